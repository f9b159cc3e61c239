//! Local names (the LAN's hosts, say from the DHCP lease tables), answered
//! without asking upstream: A, AAAA and the PTR of their addresses.
//!
//! No AAAA is synthesized for a local name: its IPv4 address is on the LAN,
//! not behind the NAT64.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::net::IpAddr;

use domain::base::Name;
use domain::base::iana::{Class, Rcode, Rtype};
use domain::base::name::ToName;
use domain::rdata::{A, Aaaa, Ptr};

use crate::names;
use crate::wire::{self, Question, ReplyTo};

/// Why a local name was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum Dns64LocalNameError {
    /// Not a valid domain name.
    #[error("not a valid domain name")]
    BadName,
    /// `max_local_names` names already.
    #[error("local name table full")]
    TableFull,
}

/// One local name and its addresses.
type Host = (Name<Vec<u8>>, Vec<IpAddr>);

/// The table, keyed by the lowercased wire name.
#[derive(Clone, Debug, Default)]
pub(crate) struct LocalNames {
    names: BTreeMap<Vec<u8>, Host>,
}

fn key<N: ToName + ?Sized>(n: &N) -> Vec<u8> {
    let name: Name<Vec<u8>> = n.to_name();
    name.as_octets().to_ascii_lowercase()
}

impl LocalNames {
    pub(crate) fn set(
        &mut self,
        name: &str,
        addrs: Vec<IpAddr>,
        max: usize,
    ) -> Result<(), Dns64LocalNameError> {
        let n =
            Name::<Vec<u8>>::from_chars(name.chars()).map_err(|_| Dns64LocalNameError::BadName)?;
        let k = key(&n);
        if !self.names.contains_key(&k) && self.names.len() >= max {
            return Err(Dns64LocalNameError::TableFull);
        }
        self.names.insert(k, (n, addrs));
        Ok(())
    }

    pub(crate) fn remove(&mut self, name: &str) -> bool {
        let Ok(n) = Name::<Vec<u8>>::from_chars(name.chars()) else {
            return false;
        };
        self.names.remove(&key(&n)).is_some()
    }

    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    /// The local answer to `q`, if the name (or the reverse name of an
    /// address) is ours.
    pub(crate) fn answer(&self, reply: ReplyTo, q: &Question, ttl: u32) -> Option<Vec<u8>> {
        if q.qclass != Class::IN || self.names.is_empty() {
            return None;
        }
        let ttl = wire::ttl(ttl);
        if let Some((name, addrs)) = self.names.get(&key(&q.name)) {
            let mut b = wire::reply_builder(reply, q, Rcode::NOERROR, true);
            b.header_mut().set_aa(true);
            for a in addrs {
                let _ = match (q.qtype, a) {
                    (Rtype::A, IpAddr::V4(v4)) => b.push((name, Class::IN, ttl, A::new(*v4))),
                    (Rtype::AAAA, IpAddr::V6(v6)) => b.push((name, Class::IN, ttl, Aaaa::new(*v6))),
                    _ => Ok(()),
                };
            }
            return Some(wire::finish(b.additional(), reply.edns));
        }
        if q.qtype != Rtype::PTR {
            return None;
        }
        let addr = names::ip6_arpa_address(&q.name)
            .map(IpAddr::V6)
            .or_else(|| names::in_addr_arpa_address(&q.name).map(IpAddr::V4))?;
        let (name, _) = self
            .names
            .values()
            .find(|(_, addrs)| addrs.contains(&addr))?;
        let mut b = wire::reply_builder(reply, q, Rcode::NOERROR, true);
        b.header_mut().set_aa(true);
        let _ = b.push((&q.name, Class::IN, ttl, Ptr::new(name)));
        Some(wire::finish(b.additional(), reply.edns))
    }
}
