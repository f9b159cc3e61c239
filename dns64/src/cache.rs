//! A bounded answer cache: final answers as sent to clients, keyed by the
//! question and the query bits that shape the answer, served with their
//! TTLs counted down until the smallest reaches zero.
//!
//! Positive answers live for their smallest record TTL, negative ones
//! (NXDOMAIN, NODATA) for the SOA's negative TTL, min(SOA TTL, MINIMUM)
//! (RFC 2308 §5); a negative answer without SOA, SERVFAIL, other errors and
//! truncated answers are not cached. At the bound, expired entries go
//! first, then the one closest to expiry.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use domain::base::iana::{Rcode, Rtype};
use domain::rdata::AllRecordData;
use sansio_primitives::{Duration, Instant};

use crate::wire::{self, Question, ReplyTo};

/// What an answer depends on besides the question.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(crate) struct CacheKey {
    name: Vec<u8>,
    qtype: u16,
    qclass: u16,
    flags: u8,
}

impl CacheKey {
    pub(crate) fn new(q: &Question, reply: &ReplyTo, synthesis: bool) -> CacheKey {
        // Length octets are below 64, so lowercasing every octet only
        // touches letters.
        let name = q.name.as_octets().to_ascii_lowercase();
        let e = reply.edns;
        let flags = u8::from(e.is_some())
            | u8::from(e.is_some_and(|e| e.dnssec_ok)) << 1
            | u8::from(reply.cd) << 2
            | u8::from(reply.rd) << 3
            | u8::from(synthesis) << 4;
        CacheKey {
            name,
            qtype: q.qtype.to_int(),
            qclass: q.qclass.to_int(),
            flags,
        }
    }
}

#[derive(Clone, Debug)]
struct Entry {
    bytes: Vec<u8>,
    stored: Instant,
    expires: Instant,
}

/// The cache.
#[derive(Clone, Debug)]
pub(crate) struct Cache {
    entries: BTreeMap<CacheKey, Entry>,
    max: usize,
}

impl Cache {
    pub(crate) fn new(max: usize) -> Cache {
        Cache {
            entries: BTreeMap::new(),
            max,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The cached answer with TTLs counted down, if still valid.
    pub(crate) fn get(&self, key: &CacheKey, now: Instant) -> Option<Vec<u8>> {
        let e = self.entries.get(key)?;
        if now >= e.expires {
            return None;
        }
        let mut bytes = e.bytes.clone();
        let age = (now - e.stored).as_secs();
        age_ttls(&mut bytes, u32::try_from(age).unwrap_or(u32::MAX))?;
        Some(bytes)
    }

    /// Keeps `bytes` (a final answer) if cacheable.
    pub(crate) fn insert(&mut self, key: CacheKey, bytes: &[u8], now: Instant) {
        if self.max == 0 {
            return;
        }
        let Some(ttl) = cache_ttl(bytes) else { return };
        if ttl == 0 {
            return;
        }
        if self.entries.len() >= self.max && !self.entries.contains_key(&key) {
            self.entries.retain(|_, e| e.expires > now);
            if self.entries.len() >= self.max {
                let soonest = self
                    .entries
                    .iter()
                    .min_by_key(|(_, e)| e.expires)
                    .map(|(k, _)| k.clone());
                if let Some(k) = soonest {
                    self.entries.remove(&k);
                }
            }
        }
        let expires = now + Duration::from_secs(u64::from(ttl));
        self.entries.insert(
            key,
            Entry {
                bytes: bytes.to_vec(),
                stored: now,
                expires,
            },
        );
    }
}

/// How long an answer may be cached, `None` when not at all.
fn cache_ttl(bytes: &[u8]) -> Option<u32> {
    let (msg, _) = wire::parse(bytes).ok()?;
    let h = msg.header();
    if h.tc() || (h.rcode() != Rcode::NOERROR && h.rcode() != Rcode::NXDOMAIN) {
        return None;
    }
    let answers: Vec<_> = wire::answers(&msg).collect();
    if h.rcode() == Rcode::NOERROR && !answers.is_empty() {
        let auth = wire::authorities(&msg).map(|r| r.ttl().as_secs());
        return answers.iter().map(|r| r.ttl().as_secs()).chain(auth).min();
    }
    wire::authorities(&msg).find_map(|r| match r.data() {
        AllRecordData::Soa(s) => Some(r.ttl().as_secs().min(s.minimum().as_secs())),
        _ => None,
    })
}

fn skip_name(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        let l = *b.get(i)?;
        if l == 0 {
            return Some(i + 1);
        }
        if l & 0xc0 == 0xc0 {
            return Some(i + 2);
        }
        i += 1 + usize::from(l);
    }
}

fn u16_at(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?]))
}

/// Subtracts `secs` from every record's TTL (not OPT's, whose TTL field
/// holds flags), in place.
fn age_ttls(b: &mut [u8], secs: u32) -> Option<()> {
    let qd = u16_at(b, 4)?;
    let rr = u32::from(u16_at(b, 6)?) + u32::from(u16_at(b, 8)?) + u32::from(u16_at(b, 10)?);
    let mut i = 12;
    for _ in 0..qd {
        i = skip_name(b, i)? + 4;
    }
    for _ in 0..rr {
        i = skip_name(b, i)?;
        let rtype = u16_at(b, i)?;
        let ttl_bytes = b.get_mut(i + 4..i + 8)?;
        if rtype != Rtype::OPT.to_int() {
            let ttl = u32::from_be_bytes([ttl_bytes[0], ttl_bytes[1], ttl_bytes[2], ttl_bytes[3]]);
            ttl_bytes.copy_from_slice(&ttl.saturating_sub(secs).to_be_bytes());
        }
        i += 10 + usize::from(u16_at(b, i + 8)?);
    }
    Some(())
}
