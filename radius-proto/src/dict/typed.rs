//! Typed accessors for the reply attributes a NAS acts on.

use alloc::string::String;
use alloc::vec::Vec;
use core::net::{Ipv4Addr, Ipv6Addr};

use crate::error::Error;
use crate::wire::vsa::encode_sub_attributes;
use crate::wire::{Ipv6Prefix, Packet, Value, attr};

/// Roaring Penguin's Private Enterprise Code.
pub const VENDOR_ROARING_PENGUIN: u32 = 10055;
/// RP-Upstream-Speed-Limit (kbit/s, integer).
pub const RP_UPSTREAM_SPEED_LIMIT: u8 = 1;
/// RP-Downstream-Speed-Limit (kbit/s, integer).
pub const RP_DOWNSTREAM_SPEED_LIMIT: u8 = 2;
/// Cisco's Private Enterprise Code.
pub const VENDOR_CISCO: u32 = 9;
/// Cisco-AVPair (`name=value` text).
pub const CISCO_AVPAIR: u8 = 1;

fn vendor_u32(p: &Packet<'_>, vendor: u32, typ: u8) -> Option<u32> {
    let v = p.vendor_attr(vendor, typ)?;
    Some(u32::from_be_bytes(v.try_into().ok()?))
}

/// The vendor data of a Roaring Penguin VSA carrying both speed limits
/// (kbit/s), for `Value::Vsa`.
pub fn rp_speed_limits(up_kbps: u32, down_kbps: u32) -> Result<Vec<u8>, Error> {
    encode_sub_attributes(
        VENDOR_ROARING_PENGUIN,
        &[
            (RP_UPSTREAM_SPEED_LIMIT, &up_kbps.to_be_bytes()),
            (RP_DOWNSTREAM_SPEED_LIMIT, &down_kbps.to_be_bytes()),
        ],
    )
}

/// What an Access-Accept tells the NAS, decoded into typed values. Missing
/// or malformed attributes are `None`/empty.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct AccessReply {
    /// Framed-IP-Address.
    pub framed_ip: Option<Ipv4Addr>,
    /// Framed-IP-Netmask.
    pub framed_netmask: Option<Ipv4Addr>,
    /// Framed-MTU.
    pub framed_mtu: Option<u32>,
    /// Framed-Pool.
    pub framed_pool: Option<String>,
    /// Session-Timeout, seconds.
    pub session_timeout: Option<u32>,
    /// Idle-Timeout, seconds.
    pub idle_timeout: Option<u32>,
    /// Acct-Interim-Interval, seconds.
    pub acct_interim_interval: Option<u32>,
    /// Framed-Interface-Id.
    pub framed_interface_id: Option<[u8; 8]>,
    /// Framed-IPv6-Prefix.
    pub framed_ipv6_prefix: Option<Ipv6Prefix>,
    /// Framed-IPv6-Address.
    pub framed_ipv6_address: Option<Ipv6Addr>,
    /// Delegated-IPv6-Prefix.
    pub delegated_ipv6_prefix: Option<Ipv6Prefix>,
    /// DNS-Server-IPv6-Address (all of them).
    pub dns_ipv6: Vec<Ipv6Addr>,
    /// Class (all, to echo in accounting).
    pub class: Vec<Vec<u8>>,
    /// Reply-Message (concatenated).
    pub reply_message: Option<String>,
    /// RP-Upstream-Speed-Limit, kbit/s.
    pub rp_upstream_kbps: Option<u32>,
    /// RP-Downstream-Speed-Limit, kbit/s.
    pub rp_downstream_kbps: Option<u32>,
    /// Cisco-AVPair values (`name=value`).
    pub cisco_avpairs: Vec<String>,
}

impl AccessReply {
    /// Decodes the typed view of `p`.
    pub fn from_packet(p: &Packet<'_>) -> Self {
        let prefix = |t| match p.get(t) {
            Some(Value::Ipv6Prefix(x)) => Some(*x),
            _ => None,
        };
        let v6 = |v: &Value<'_>| match v {
            Value::Ipv6(a) => Some(*a),
            _ => None,
        };
        let text = |t| p.get(t).and_then(Value::as_str).map(String::from);
        let mut reply_message: Option<String> = None;
        for m in p.get_all(attr::REPLY_MESSAGE).filter_map(Value::as_str) {
            reply_message.get_or_insert_with(String::new).push_str(m);
        }
        AccessReply {
            framed_ip: p.get(attr::FRAMED_IP_ADDRESS).and_then(Value::as_ipv4),
            framed_netmask: p.get(attr::FRAMED_IP_NETMASK).and_then(Value::as_ipv4),
            framed_mtu: p.get(attr::FRAMED_MTU).and_then(Value::as_u32),
            framed_pool: text(attr::FRAMED_POOL),
            session_timeout: p.get(attr::SESSION_TIMEOUT).and_then(Value::as_u32),
            idle_timeout: p.get(attr::IDLE_TIMEOUT).and_then(Value::as_u32),
            acct_interim_interval: p.get(attr::ACCT_INTERIM_INTERVAL).and_then(Value::as_u32),
            framed_interface_id: match p.get(attr::FRAMED_INTERFACE_ID) {
                Some(Value::InterfaceId(i)) => Some(*i),
                _ => None,
            },
            framed_ipv6_prefix: prefix(attr::FRAMED_IPV6_PREFIX),
            framed_ipv6_address: p.get(attr::FRAMED_IPV6_ADDRESS).and_then(v6),
            delegated_ipv6_prefix: prefix(attr::DELEGATED_IPV6_PREFIX),
            dns_ipv6: p
                .get_all(attr::DNS_SERVER_IPV6_ADDRESS)
                .filter_map(v6)
                .collect(),
            class: p
                .get_all(attr::CLASS)
                .filter_map(Value::as_bytes)
                .map(<[u8]>::to_vec)
                .collect(),
            reply_message,
            rp_upstream_kbps: vendor_u32(p, VENDOR_ROARING_PENGUIN, RP_UPSTREAM_SPEED_LIMIT),
            rp_downstream_kbps: vendor_u32(p, VENDOR_ROARING_PENGUIN, RP_DOWNSTREAM_SPEED_LIMIT),
            cisco_avpairs: p
                .vendor(VENDOR_CISCO)
                .flat_map(|v| v.sub_attributes())
                .filter_map(Result::ok)
                .filter(|s| s.typ == CISCO_AVPAIR)
                .filter_map(|s| core::str::from_utf8(s.value).ok().map(String::from))
                .collect(),
        }
    }

    /// The value of Cisco-AVPair `name=value` for `name` (e.g. `throttle`).
    pub fn cisco_avpair(&self, name: &str) -> Option<&str> {
        self.cisco_avpairs.iter().find_map(|p| {
            let (k, v) = p.split_once('=')?;
            (k.trim() == name).then_some(v.trim())
        })
    }
}
