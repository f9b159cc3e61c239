//! The IPv4 address pool: a bounded range, a cursor that hands addresses
//! round robin, and a memory of who had each address last so a user who
//! reconnects gets the same one back when it is still free.

use std::collections::{HashMap, HashSet};
use std::net::Ipv4Addr;

/// Addresses `first..=last` minus the bng's own.
#[derive(Debug)]
pub struct Pool {
    first: u32,
    last: u32,
    local: u32,
    cursor: u32,
    used: HashSet<u32>,
    /// Address → user who last held it (one entry per address: bounded).
    last_owner: HashMap<u32, Vec<u8>>,
    /// User → address they last held (kept consistent with `last_owner`).
    remembered: HashMap<Vec<u8>, u32>,
}

impl Pool {
    /// A pool; the caller checked `first <= last` and the size.
    pub fn new(first: Ipv4Addr, last: Ipv4Addr, local: Ipv4Addr) -> Pool {
        Pool {
            first: first.into(),
            last: last.into(),
            local: local.into(),
            cursor: first.into(),
            used: HashSet::new(),
            last_owner: HashMap::new(),
            remembered: HashMap::new(),
        }
    }

    /// Whether `a` lies in the range.
    pub fn contains(&self, a: Ipv4Addr) -> bool {
        (self.first..=self.last).contains(&u32::from(a))
    }

    /// An address for `user`: the one it had last if free, else the next
    /// free one, preferring addresses nobody remembers. `None`: exhausted.
    pub fn allocate(&mut self, user: &[u8]) -> Option<Ipv4Addr> {
        if let Some(&a) = self.remembered.get(user)
            && !self.used.contains(&a)
        {
            self.used.insert(a);
            return Some(a.into());
        }
        let size = u64::from(self.last - self.first) + 1;
        let mut fallback = None;
        let mut a = self.cursor;
        for _ in 0..size {
            let candidate = a;
            a = if a >= self.last { self.first } else { a + 1 };
            if candidate == self.local || self.used.contains(&candidate) {
                continue;
            }
            if !self.last_owner.contains_key(&candidate) {
                fallback = Some(candidate);
                break;
            }
            fallback.get_or_insert(candidate);
        }
        let chosen = fallback?;
        self.cursor = if chosen >= self.last {
            self.first
        } else {
            chosen + 1
        };
        if let Some(old) = self.last_owner.remove(&chosen) {
            self.remembered.remove(&old);
        }
        self.used.insert(chosen);
        Some(chosen.into())
    }

    /// Takes the fixed address `a` out of the pool; `false` when it is
    /// outside it, the bng's own, or in use.
    pub fn reserve(&mut self, a: Ipv4Addr) -> bool {
        let a = u32::from(a);
        if !(self.first..=self.last).contains(&a) || a == self.local || !self.used.insert(a) {
            return false;
        }
        if let Some(old) = self.last_owner.remove(&a) {
            self.remembered.remove(&old);
        }
        true
    }

    /// Gives `a` back; `user` is remembered as its last holder.
    pub fn release(&mut self, a: Ipv4Addr, user: &[u8]) {
        let a = u32::from(a);
        if !self.used.remove(&a) {
            return;
        }
        if let Some(previous) = self.remembered.insert(user.to_vec(), a)
            && previous != a
        {
            self.last_owner.remove(&previous);
        }
        if let Some(other) = self.last_owner.insert(a, user.to_vec())
            && other != user
        {
            self.remembered.remove(&other);
        }
    }

    /// Addresses in use.
    pub fn in_use(&self) -> usize {
        self.used.len()
    }
}

/// The CIDR blocks that exactly cover `first..=last`.
pub fn cidr_blocks(first: Ipv4Addr, last: Ipv4Addr) -> Vec<(Ipv4Addr, u8)> {
    let (mut a, end) = (u64::from(u32::from(first)), u64::from(u32::from(last)));
    let mut out = Vec::new();
    while a <= end {
        let mut size = if a == 0 {
            1u64 << 32
        } else {
            a & a.wrapping_neg()
        };
        while a + size - 1 > end {
            size >>= 1;
        }
        out.push((Ipv4Addr::from(a as u32), 32 - size.trailing_zeros() as u8));
        a += size;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> Ipv4Addr {
        Ipv4Addr::new(192, 0, 2, last)
    }

    #[test]
    fn allocates_round_robin_skips_local_and_exhausts() {
        let mut p = Pool::new(ip(1), ip(3), ip(2));
        assert_eq!(p.allocate(b"a"), Some(ip(1)));
        assert_eq!(p.allocate(b"b"), Some(ip(3)));
        assert_eq!(p.allocate(b"c"), None);
        p.release(ip(1), b"a");
        assert_eq!(p.allocate(b"c"), Some(ip(1)));
        assert_eq!(p.in_use(), 2);
        assert!(!p.reserve(ip(1)) && !p.reserve(ip(2)) && !p.reserve(ip(4)));
        p.release(ip(3), b"b");
        assert!(p.reserve(ip(3)));
    }

    #[test]
    fn a_returning_user_gets_its_address_back() {
        let mut p = Pool::new(ip(10), ip(20), ip(1));
        let a = p.allocate(b"alice").unwrap();
        let b = p.allocate(b"bob").unwrap();
        p.release(a, b"alice");
        p.release(b, b"bob");
        // Someone new gets a fresh address, not alice's or bob's.
        let c = p.allocate(b"carol").unwrap();
        assert!(c != a && c != b);
        assert_eq!(p.allocate(b"alice"), Some(a));
        assert_eq!(p.allocate(b"bob"), Some(b));
    }

    #[test]
    fn memory_stays_bounded_by_the_pool() {
        let mut p = Pool::new(ip(10), ip(12), ip(1));
        for i in 0..1000u32 {
            let user = i.to_be_bytes();
            let a = p.allocate(&user).unwrap();
            p.release(a, &user);
        }
        assert!(p.remembered.len() <= 3 && p.last_owner.len() <= 3);
        assert_eq!(p.remembered.len(), p.last_owner.len());
    }

    #[test]
    fn cidr_cover() {
        let ip = |s: &str| s.parse::<Ipv4Addr>().unwrap();
        assert_eq!(
            cidr_blocks(ip("198.51.100.10"), ip("198.51.100.20")),
            vec![
                (ip("198.51.100.10"), 31),
                (ip("198.51.100.12"), 30),
                (ip("198.51.100.16"), 30),
                (ip("198.51.100.20"), 32)
            ]
        );
        assert_eq!(
            cidr_blocks(ip("192.0.2.0"), ip("192.0.2.255")),
            vec![(ip("192.0.2.0"), 24)]
        );
        assert_eq!(
            cidr_blocks(ip("0.0.0.0"), ip("255.255.255.255")),
            vec![(ip("0.0.0.0"), 0)]
        );
    }
}
