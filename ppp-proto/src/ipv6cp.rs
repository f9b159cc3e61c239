//! IPv6CP's policy (RFC 5072 §4.1), both roles (they are symmetric).
//!
//! We request an Interface-Identifier: the configured one (a client's
//! previous identifier, so its link-local address stays stable across
//! reconnects; a concentrator's fixed `::1`) or a random non-zero one. The
//! peer's identifier must be non-zero and differ from ours; otherwise we Nak
//! with a new random suggestion, and we Nak a request without the option with
//! a suggestion (§4.1). A Nak of ours is taken unless it is zero or the
//! peer's own identifier.

use alloc::vec::Vec;
use rand_core::Rng;

use sansio_primitives::SeededRng;

use crate::fsm::{Policy, Verdict};
use crate::wire::cp::ConfigOption;
use crate::wire::ipv6cp::Ipv6cpOption;
use crate::wire::protocol;

/// IPv6CP negotiation state.
#[derive(Debug, Clone)]
pub struct Ipv6cpPolicy {
    want: Option<u64>,
    local: u64,
    requesting: bool,
    peer: u64,
    seen: bool,
    /// The identifier the peer must take, if imposed.
    impose: Option<u64>,
    /// Naks of the imposed identifier in this negotiation.
    impose_naks: u8,
}

/// How many times an imposed identifier is suggested before the peer's own
/// is taken (below the default Max-Failure of 5).
pub const IMPOSE_NAKS: u8 = 3;

impl Ipv6cpPolicy {
    /// Requests `ifid` when given and non-zero, else a random identifier.
    pub fn new(ifid: Option<u64>) -> Self {
        Ipv6cpPolicy {
            want: ifid.filter(|&i| i != 0),
            local: 0,
            requesting: true,
            peer: 0,
            seen: false,
            impose: None,
            impose_naks: 0,
        }
    }

    /// Imposes the peer's identifier `peer` (when given and non-zero): the
    /// peer's requests for any other are Nak'd with it. Ours is then never
    /// `peer` (a configured one equal to it is replaced by a random one).
    pub fn imposing(mut self, peer: Option<u64>) -> Self {
        self.impose = peer.filter(|&i| i != 0);
        if self.want.is_some() && self.want == self.impose {
            self.want = None;
        }
        self
    }

    /// Our identifier as negotiated.
    pub fn local(&self) -> u64 {
        self.local
    }

    /// The peer's identifier as negotiated.
    pub fn peer(&self) -> u64 {
        self.peer
    }

    fn random(&self, rng: &mut SeededRng) -> u64 {
        loop {
            let v = rng.next_u64();
            if v != 0 && v != self.local && v != self.peer && Some(v) != self.impose {
                return v;
            }
        }
    }
}

impl Policy for Ipv6cpPolicy {
    type Opt<'a> = Ipv6cpOption<'a>;
    const PROTOCOL: u16 = protocol::IPV6CP;

    fn reset(&mut self, rng: &mut SeededRng) {
        self.requesting = true;
        self.impose_naks = 0;
        self.local = match self.want {
            Some(w) => w,
            None => self.random(rng),
        };
    }

    fn write_request(&self, out: &mut Vec<u8>) {
        if self.requesting {
            Ipv6cpOption::InterfaceIdentifier(self.local).put(out);
        }
    }

    fn begin_peer_request(&mut self) {
        self.seen = false;
    }

    fn peer_option(
        &mut self,
        opt: &Ipv6cpOption<'_>,
        rng: &mut SeededRng,
    ) -> Verdict<Ipv6cpOption<'static>> {
        match opt {
            Ipv6cpOption::InterfaceIdentifier(p) => {
                self.seen = true;
                let insist = self.impose_naks < IMPOSE_NAKS || *p == 0 || *p == self.local;
                if let Some(w) = self.impose.filter(|w| w != p && insist) {
                    self.impose_naks = self.impose_naks.saturating_add(1);
                    Verdict::Nak(Ipv6cpOption::InterfaceIdentifier(w))
                } else if *p == 0 || *p == self.local {
                    Verdict::Nak(Ipv6cpOption::InterfaceIdentifier(self.random(rng)))
                } else {
                    self.peer = *p;
                    Verdict::Ack
                }
            }
            Ipv6cpOption::Unknown { .. } => Verdict::Reject,
        }
    }

    fn peer_missing(&mut self, rng: &mut SeededRng, nak: &mut Vec<u8>) {
        if !self.seen {
            let suggest = self.impose.unwrap_or_else(|| self.random(rng));
            Ipv6cpOption::InterfaceIdentifier(suggest).put(nak);
        }
    }

    fn nak_received(&mut self, opt: &Ipv6cpOption<'_>, rng: &mut SeededRng) {
        if let Ipv6cpOption::InterfaceIdentifier(s) = opt {
            self.local = if *s != 0 && *s != self.peer && Some(*s) != self.impose {
                *s
            } else {
                self.random(rng)
            };
        }
    }

    fn reject_received(&mut self, opt: &Ipv6cpOption<'_>) {
        if let Ipv6cpOption::InterfaceIdentifier(_) = opt {
            self.requesting = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_and_collision_are_naked_with_a_fresh_suggestion() {
        let mut p = Ipv6cpPolicy::new(Some(1));
        let mut rng = SeededRng::from_u64(1);
        p.reset(&mut rng);
        assert_eq!(p.local(), 1);
        for bad in [0, 1] {
            match p.peer_option(&Ipv6cpOption::InterfaceIdentifier(bad), &mut rng) {
                Verdict::Nak(Ipv6cpOption::InterfaceIdentifier(s)) => assert!(s != 0 && s != 1),
                v => panic!("{v:?}"),
            }
        }
        assert_eq!(
            p.peer_option(&Ipv6cpOption::InterfaceIdentifier(7), &mut rng),
            Verdict::Ack
        );
        p.begin_peer_request();
        let mut nak = Vec::new();
        p.peer_missing(&mut rng, &mut nak);
        assert_eq!(nak.len(), 10);
        // A Nak of ours to zero is not taken.
        p.nak_received(&Ipv6cpOption::InterfaceIdentifier(0), &mut rng);
        assert_ne!(p.local(), 0);
        p.nak_received(&Ipv6cpOption::InterfaceIdentifier(42), &mut rng);
        assert_eq!(p.local(), 42);
    }

    #[test]
    fn an_imposed_identifier_is_naked_until_the_peer_takes_it() {
        const W: u64 = 0x0200_5eff_fe00_5301;
        let mut p = Ipv6cpPolicy::new(Some(1)).imposing(Some(W));
        let mut rng = SeededRng::from_u64(2);
        p.reset(&mut rng);
        for other in [0, 1, 7] {
            assert_eq!(
                p.peer_option(&Ipv6cpOption::InterfaceIdentifier(other), &mut rng),
                Verdict::Nak(Ipv6cpOption::InterfaceIdentifier(W))
            );
        }
        assert_eq!(
            p.peer_option(&Ipv6cpOption::InterfaceIdentifier(W), &mut rng),
            Verdict::Ack
        );
        assert_eq!(p.peer(), W);
        // A peer that keeps its own past IMPOSE_NAKS gets it (once the
        // Naks of this negotiation are used up), zero still never.
        p.reset(&mut rng);
        for _ in 0..IMPOSE_NAKS {
            assert_eq!(
                p.peer_option(&Ipv6cpOption::InterfaceIdentifier(7), &mut rng),
                Verdict::Nak(Ipv6cpOption::InterfaceIdentifier(W))
            );
        }
        assert_eq!(
            p.peer_option(&Ipv6cpOption::InterfaceIdentifier(7), &mut rng),
            Verdict::Ack
        );
        assert_eq!(p.peer(), 7);
        assert!(matches!(
            p.peer_option(&Ipv6cpOption::InterfaceIdentifier(0), &mut rng),
            Verdict::Nak(_)
        ));
        p.reset(&mut rng);
        // A request without the option: the Nak suggests W.
        p.begin_peer_request();
        let mut nak = Vec::new();
        p.peer_missing(&mut rng, &mut nak);
        assert_eq!(nak[2..], W.to_be_bytes());
        // The peer cannot push us onto W.
        p.nak_received(&Ipv6cpOption::InterfaceIdentifier(W), &mut rng);
        assert!(p.local() != W && p.local() != 0);
        // Ours never equals the imposed one; zero imposes nothing.
        let mut q = Ipv6cpPolicy::new(Some(W)).imposing(Some(W));
        q.reset(&mut rng);
        assert!(q.local() != W && q.local() != 0);
        let mut z = Ipv6cpPolicy::new(Some(1)).imposing(Some(0));
        z.reset(&mut rng);
        assert_eq!(
            z.peer_option(&Ipv6cpOption::InterfaceIdentifier(7), &mut rng),
            Verdict::Ack
        );
    }
}
