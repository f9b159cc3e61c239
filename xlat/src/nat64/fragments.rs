//! Fragments without reassembly (RFC 6146 §3.4 allows either): the first
//! fragment of a datagram carries the transport header and goes through
//! the tables like any packet; its address mapping is remembered for
//! FRAGMENT_MIN (2 s, §4) under the datagram's identification, so the
//! fragments after it are translated with the same addresses. A fragment
//! that comes before its first one, or after the bounded table filled
//! up, is dropped ([`super::Nat64Dropped::Fragment`]).

use alloc::collections::{BTreeMap, BTreeSet};

use sansio_primitives::{Duration, Instant};

/// RFC 6146 §4: FRAGMENT_MIN.
pub(crate) const FRAGMENT_LIFETIME: Duration = Duration::from_secs(2);

/// One datagram's fragments, by the side they came from: IPv6 source,
/// destination and Identification; IPv4 source, destination, protocol
/// and Identification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum FragKey {
    V6([u8; 16], [u8; 16], u32),
    V4([u8; 4], [u8; 4], u8, u16),
}

/// The host ↔ pool4 address mapping its first fragment was translated with.
pub(crate) type Pin = ([u8; 16], [u8; 4]);

#[derive(Debug)]
pub(crate) struct Fragments {
    max: usize,
    map: BTreeMap<FragKey, (Instant, Pin)>,
    expiries: BTreeSet<(Instant, FragKey)>,
}

impl Fragments {
    pub(crate) fn new(max: usize) -> Fragments {
        Fragments {
            max,
            map: BTreeMap::new(),
            expiries: BTreeSet::new(),
        }
    }

    /// Remembers a first fragment's mapping; nothing when the table is
    /// full (its later fragments are then dropped).
    pub(crate) fn insert(&mut self, now: Instant, key: FragKey, pin: Pin) {
        let until = now + FRAGMENT_LIFETIME;
        if let Some((old, _)) = self.map.insert(key, (until, pin)) {
            self.expiries.remove(&(old, key));
        } else if self.map.len() > self.max {
            self.map.remove(&key);
            return;
        }
        self.expiries.insert((until, key));
    }

    pub(crate) fn get(&self, key: &FragKey) -> Option<Pin> {
        self.map.get(key).map(|&(_, pin)| pin)
    }

    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        while let Some(&(t, key)) = self.expiries.first() {
            if t > now {
                break;
            }
            self.expiries.pop_first();
            self.map.remove(&key);
        }
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.expiries.first().map(|&(t, _)| t)
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }
}
