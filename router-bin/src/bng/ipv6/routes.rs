//! The data path's IPv6 routes: prefix → session, longest match.

use std::collections::{BTreeMap, HashMap};
use std::net::Ipv6Addr;

use crate::bng::config::{Prefix6, mask};

/// Prefixes routed to sessions. A lookup costs one hash probe per prefix
/// length in use (a handful: /56s, /64s, the odd static /48).
#[derive(Debug, Default)]
pub struct Routes6 {
    by_prefix: HashMap<(u128, u8), u16>,
    /// How many prefixes of each length there are.
    lengths: BTreeMap<u8, usize>,
}

impl Routes6 {
    /// Routes `p` to session `id` (replacing another session's route).
    pub fn insert(&mut self, p: Prefix6, id: u16) {
        let key = (u128::from(p.addr), p.len);
        if self.by_prefix.insert(key, id).is_none() {
            *self.lengths.entry(p.len).or_default() += 1;
        }
    }

    /// The session `p` is routed to.
    pub fn get(&self, p: &Prefix6) -> Option<&u16> {
        self.by_prefix.get(&(u128::from(p.addr), p.len))
    }

    /// Removes the route of `p`.
    pub fn remove(&mut self, p: &Prefix6) -> Option<u16> {
        let id = self.by_prefix.remove(&(u128::from(p.addr), p.len))?;
        if let Some(n) = self.lengths.get_mut(&p.len) {
            *n -= 1;
            if *n == 0 {
                self.lengths.remove(&p.len);
            }
        }
        Some(id)
    }

    /// The session of the longest prefix holding `dst`.
    pub fn lookup(&self, dst: Ipv6Addr) -> Option<u16> {
        let d = u128::from(dst);
        self.lengths
            .keys()
            .rev()
            .find_map(|&l| self.by_prefix.get(&(d & mask(l), l)).copied())
    }

    /// How many prefixes are routed.
    pub fn len(&self) -> usize {
        self.by_prefix.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_match_wins_and_removal_forgets() {
        let mut r = Routes6::default();
        let p56: Prefix6 = "2001:db8:100::/56".parse().unwrap();
        let p64: Prefix6 = "2001:db8:100:5::/64".parse().unwrap();
        r.insert(p56, 1);
        r.insert(p64, 2);
        assert_eq!(r.lookup("2001:db8:100:5::1".parse().unwrap()), Some(2));
        assert_eq!(r.lookup("2001:db8:100:6::1".parse().unwrap()), Some(1));
        assert_eq!(r.lookup("2001:db8:101::1".parse().unwrap()), None);
        assert_eq!(r.remove(&p64), Some(2));
        assert_eq!(r.lookup("2001:db8:100:5::1".parse().unwrap()), Some(1));
        r.insert(p56, 3);
        assert_eq!(r.len(), 1);
        assert_eq!(r.remove(&p56), Some(3));
        assert!(r.len() == 0 && r.lengths.is_empty());
    }
}
