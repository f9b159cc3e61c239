//! The retransmission table (RFC 8415 §7.6) and algorithm (§15).
//!
//! Each client exchange starts with an initial retransmission time IRT;
//! each next RT doubles the previous one, capped at MRT; every RT is
//! randomised by a factor RAND drawn uniformly from [-0.1, +0.1] (for the
//! first Solicit, from (0, +0.1], so that the first Advertise-collection
//! window is never shorter than IRT). An exchange fails after MRC
//! transmissions or MRD since its first transmission (0 = no limit).

use sansio_primitives::{Duration, SeededRng};

/// One row of the table.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Params {
    /// Initial retransmission time.
    pub irt: Duration,
    /// Maximum retransmission time (zero: none).
    pub mrt: Duration,
    /// Maximum transmissions (zero: none).
    pub mrc: u32,
    /// Maximum duration (zero: none).
    pub mrd: Duration,
}

const fn s(secs: u64) -> Duration {
    Duration::from_secs(secs)
}

/// SOL_TIMEOUT 1 s, SOL_MAX_RT 3600 s.
pub const SOLICIT: Params = Params {
    irt: s(1),
    mrt: s(3600),
    mrc: 0,
    mrd: s(0),
};
/// REQ_TIMEOUT 1 s, REQ_MAX_RT 30 s, REQ_MAX_RC 10.
pub const REQUEST: Params = Params {
    irt: s(1),
    mrt: s(30),
    mrc: 10,
    mrd: s(0),
};
/// CNF_TIMEOUT 1 s, CNF_MAX_RT 4 s, CNF_MAX_RD 10 s.
pub const CONFIRM: Params = Params {
    irt: s(1),
    mrt: s(4),
    mrc: 0,
    mrd: s(10),
};
/// REN_TIMEOUT 10 s, REN_MAX_RT 600 s; MRD: until T2.
pub const RENEW: Params = Params {
    irt: s(10),
    mrt: s(600),
    mrc: 0,
    mrd: s(0),
};
/// REB_TIMEOUT 10 s, REB_MAX_RT 600 s; MRD: until the valid lifetimes end.
pub const REBIND: Params = Params {
    irt: s(10),
    mrt: s(600),
    mrc: 0,
    mrd: s(0),
};
/// INF_TIMEOUT 1 s, INF_MAX_RT 3600 s.
pub const INFORMATION_REQUEST: Params = Params {
    irt: s(1),
    mrt: s(3600),
    mrc: 0,
    mrd: s(0),
};
/// REL_TIMEOUT 1 s, REL_MAX_RC 4.
pub const RELEASE: Params = Params {
    irt: s(1),
    mrt: s(0),
    mrc: 4,
    mrd: s(0),
};
/// DEC_TIMEOUT 1 s, DEC_MAX_RC 4.
pub const DECLINE: Params = Params {
    irt: s(1),
    mrt: s(0),
    mrc: 4,
    mrd: s(0),
};

/// IRT_DEFAULT: the Information Refresh Time when the server gives none.
pub const IRT_DEFAULT: Duration = s(86400);
/// IRT_MINIMUM: the shortest Information Refresh Time honoured.
pub const IRT_MINIMUM: Duration = s(600);

/// `base + RAND * of`, RAND uniform in [-0.1, 0.1] (in steps of 1/10000),
/// or in (0, 0.1] when `positive`.
fn randomised(base: Duration, of: Duration, positive: bool, rng: &mut SeededRng) -> Duration {
    let tenth = Duration::from_nanos((of.as_nanos() / 10).min(u128::from(u64::MAX)) as u64);
    if positive {
        let r = rng.below(1000) + 1; // RAND = r / 10000, 1..=1000
        base + tenth * r / 1000
    } else {
        let r = rng.below(2001); // RAND = (r - 1000) / 10000
        (base + tenth * r / 1000).saturating_sub(tenth)
    }
}

/// The next RT (§15): `IRT + RAND*IRT` first, then `2*RTprev + RAND*RTprev`;
/// past MRT, `MRT + RAND*MRT`.
pub fn next_rt(
    p: &Params,
    prev: Option<Duration>,
    first_solicit: bool,
    rng: &mut SeededRng,
) -> Duration {
    let rt = match prev {
        None => randomised(p.irt, p.irt, first_solicit, rng),
        Some(prev) => randomised(prev * 2, prev, false, rng),
    };
    if p.mrt > Duration::ZERO && rt > p.mrt {
        randomised(p.mrt, p.mrt, false, rng)
    } else {
        rt
    }
}
