//! `[discovery]`: the PPPoE discovery limits over all hosts.

use serde::Deserialize;

/// The PADI rate limit over all hosts (each host is also held to 1 PADI/s,
/// burst 3). A PADI over it gets no PADO; the host sends it again after
/// its own timeout (1 s, doubling), so this bounds how fast sessions can
/// be set up after, say, a power cut brings every CPE back at once.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Discovery {
    /// PADIs answered per second, sustained.
    #[serde(default = "default_padi_rate")]
    pub padi_rate: u32,
    /// PADIs answered at once after a quiet period.
    #[serde(default = "default_padi_burst")]
    pub padi_burst: u32,
}

fn default_padi_rate() -> u32 {
    200
}
fn default_padi_burst() -> u32 {
    400
}

impl Default for Discovery {
    fn default() -> Self {
        Discovery {
            padi_rate: default_padi_rate(),
            padi_burst: default_padi_burst(),
        }
    }
}

impl Discovery {
    /// Both at least 1 (0 would stop answering PADIs for good).
    pub fn check(&self) -> Result<(), String> {
        if self.padi_rate == 0 || self.padi_burst == 0 {
            return Err("discovery: padi_rate and padi_burst must be at least 1".into());
        }
        Ok(())
    }

    /// As pppoe-proto's limit.
    pub fn padi_rate_total(&self) -> sansio_primitives::RateLimit {
        sansio_primitives::RateLimit {
            per_second: self.padi_rate,
            burst: self.padi_burst,
        }
    }
}
