//! Judging a credential: the local users table, and what a RADIUS
//! Access-Accept grants.

use std::net::Ipv4Addr;

use ppp_proto::Credential;
use radius_proto::Packet;
use radius_proto::dict::AccessReply;

use crate::bng::config::User;
use crate::bng::ipv6::V6Grant;

/// What an accepted session gets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grant {
    /// A fixed address (Framed-IP-Address, or the user's `ip`).
    pub ip: Option<Ipv4Addr>,
    /// Upstream limit, kbit/s.
    pub up_kbps: Option<u32>,
    /// Downstream limit, kbit/s.
    pub down_kbps: Option<u32>,
    /// Acct-Interim-Interval, seconds.
    pub interim: Option<u32>,
    /// Session-Timeout, seconds.
    pub session_timeout: Option<u32>,
    /// Class attributes to echo in accounting.
    pub class: Vec<Vec<u8>>,
    /// The IPv6 prefixes given (RADIUS, or the user's `ipv6_prefix`).
    pub v6: V6Grant,
}

/// The verdict on an `AuthRequest`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Accepted, with what the session gets.
    Accept(Grant),
    /// Refused; the message goes to the peer.
    Reject(&'static str),
}

/// Judges against the local users table.
pub fn local(users: &[User], user: &[u8], credential: &Credential) -> Verdict {
    match users.iter().find(|u| u.name.as_bytes() == user) {
        Some(u) if credential.verify(u.password.as_bytes()) => Verdict::Accept(Grant {
            ip: u.ip,
            up_kbps: u.upstream_kbps,
            down_kbps: u.downstream_kbps,
            v6: V6Grant::of_user(u),
            ..Grant::default()
        }),
        _ => Verdict::Reject("Authentication failed"),
    }
}

/// The shortest Acct-Interim-Interval taken from RADIUS, seconds: RFC 2869
/// §5.16 says it SHOULD NOT be below 60 (the operator's own
/// `interim_interval` may be shorter, e.g. in a lab).
pub const MIN_RADIUS_INTERIM: u32 = 60;

/// What an Access-Accept grants. Framed-IP-Address 255.255.255.254 ("the
/// NAS assigns") and 255.255.255.255 ("the user chooses", which we do not
/// offer) both mean the pool. An Acct-Interim-Interval below
/// [`MIN_RADIUS_INTERIM`] is raised to it.
pub fn from_accept(packet: &Packet<'_>) -> Grant {
    let r = AccessReply::from_packet(packet);
    let ip = r
        .framed_ip
        .filter(|a| !matches!(a.octets(), [255, 255, 255, 254 | 255]) && !a.is_unspecified());
    Grant {
        ip,
        up_kbps: r.rp_upstream_kbps.filter(|k| *k > 0),
        down_kbps: r.rp_downstream_kbps.filter(|k| *k > 0),
        interim: r.acct_interim_interval.map(|i| {
            if i < MIN_RADIUS_INTERIM {
                tracing::debug!("Acct-Interim-Interval {i} raised to {MIN_RADIUS_INTERIM} s");
            }
            i.max(MIN_RADIUS_INTERIM)
        }),
        session_timeout: r.session_timeout.filter(|t| *t > 0),
        v6: V6Grant::of_reply(&r),
        class: r.class,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ppp_proto::Secret;
    use radius_proto::wire::{Attribute, Code, Value, Vsa, attr};

    #[test]
    fn local_users_table() {
        let users = vec![User {
            name: "alice".into(),
            password: "pw".into(),
            ip: Some(Ipv4Addr::new(192, 0, 2, 5)),
            upstream_kbps: Some(100),
            downstream_kbps: None,
            ipv6_prefix: None,
        }];
        let good = Credential::Pap {
            password: Secret::from("pw"),
        };
        let bad = Credential::Pap {
            password: Secret::from("px"),
        };
        let Verdict::Accept(g) = local(&users, b"alice", &good) else {
            panic!()
        };
        assert_eq!(g.ip, Some(Ipv4Addr::new(192, 0, 2, 5)));
        assert_eq!(g.up_kbps, Some(100));
        assert!(matches!(local(&users, b"alice", &bad), Verdict::Reject(_)));
        assert!(matches!(local(&users, b"bob", &good), Verdict::Reject(_)));
    }

    #[test]
    fn accept_attributes() {
        let vsa = radius_proto::dict::rp_speed_limits(1000, 2000).unwrap();
        let mut p = Packet::new(Code::AccessAccept, 1, [0; 16]);
        p.attributes.push(Attribute::new(
            attr::FRAMED_IP_ADDRESS,
            Value::Ipv4(Ipv4Addr::new(192, 0, 2, 7)),
        ));
        p.attributes
            .push(Attribute::integer(attr::ACCT_INTERIM_INTERVAL, 60));
        p.attributes.push(Attribute::new(
            attr::VENDOR_SPECIFIC,
            Value::Vsa(Vsa {
                vendor: radius_proto::dict::VENDOR_ROARING_PENGUIN,
                data: &vsa,
            }),
        ));
        let bytes = p.to_vec().unwrap();
        let g = from_accept(&Packet::parse(&bytes).unwrap());
        assert_eq!(g.ip, Some(Ipv4Addr::new(192, 0, 2, 7)));
        assert_eq!((g.up_kbps, g.down_kbps), (Some(1000), Some(2000)));
        assert_eq!(g.interim, Some(60));

        let mut p = Packet::new(Code::AccessAccept, 1, [0; 16]);
        p.attributes.push(Attribute::new(
            attr::FRAMED_IP_ADDRESS,
            Value::Ipv4(Ipv4Addr::new(255, 255, 255, 254)),
        ));
        let bytes = p.to_vec().unwrap();
        assert_eq!(from_accept(&Packet::parse(&bytes).unwrap()).ip, None);
    }

    #[test]
    fn interim_interval_from_radius_is_at_least_60_s() {
        let interim = |secs: u32| {
            let mut p = Packet::new(Code::AccessAccept, 1, [0; 16]);
            p.attributes
                .push(Attribute::integer(attr::ACCT_INTERIM_INTERVAL, secs));
            let bytes = p.to_vec().unwrap();
            from_accept(&Packet::parse(&bytes).unwrap()).interim
        };
        assert_eq!(interim(2), Some(60));
        assert_eq!(interim(0), Some(60));
        assert_eq!(interim(59), Some(60));
        assert_eq!(interim(600), Some(600));
        let p = Packet::new(Code::AccessAccept, 1, [0; 16]);
        let bytes = p.to_vec().unwrap();
        assert_eq!(from_accept(&Packet::parse(&bytes).unwrap()).interim, None);
    }
}
