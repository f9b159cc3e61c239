//! IPCP's policy (RFC 1332, RFC 1877), both roles.
//!
//! - Client (the peer, a home router): requests IP-Address 0.0.0.0 (or a
//!   hint such as its last address) and, when configured, Primary and
//!   Secondary DNS 0.0.0.0; takes the server's Nak suggestions; stops
//!   requesting what the server rejects. It acknowledges the server's own
//!   non-zero address and rejects everything else it is asked. A server
//!   that sends no IP-Address of its own (some BRAS omit it) is accepted:
//!   a point-to-point route needs no peer address, so the session reports
//!   [`PLACEHOLDER_PEER`] as the peer, flagged `peer_assumed`, as pppd does
//!   ("Could not determine remote IP address: defaulting to 10.64.64.64").
//! - Server (the authenticator side): requests its own address (none when
//!   it is configured as 0.0.0.0, as such a BRAS does); Naks the
//!   client's IP-Address and DNS options towards what the application
//!   assigned ([`Ipv4Assignment`]), suggests an address when the client sent
//!   none, rejects DNS options when it has no DNS server to give, and always
//!   rejects IP-Compression-Protocol (no VJ compression here).

use alloc::vec::Vec;
use core::net::Ipv4Addr;

use sansio_primitives::SeededRng;

use crate::fsm::{Policy, Verdict};
use crate::wire::cp::ConfigOption;
use crate::wire::ipcp::IpcpOption;
use crate::wire::protocol;

/// The peer address a client reports when the server sent no IP-Address
/// of its own: pppd's default (10.64.64.64 + unit 0). Only a name for the
/// other end of a point-to-point link; nothing is routed *to* it.
pub const PLACEHOLDER_PEER: Ipv4Addr = Ipv4Addr::new(10, 64, 64, 64);

/// What the server gives the client: from RADIUS or an address pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Assignment {
    /// The client's address.
    pub peer: Ipv4Addr,
    /// Primary DNS server (RFC 1877), if any.
    pub dns1: Option<Ipv4Addr>,
    /// Secondary DNS server, if any.
    pub dns2: Option<Ipv4Addr>,
}

/// IPCP negotiation state.
#[derive(Debug, Clone)]
pub struct IpcpPolicy {
    /// Server role when set: what we assign.
    assign: Option<Ipv4Assignment>,
    want_addr: Ipv4Addr,
    want_dns: bool,
    addr: Option<Ipv4Addr>,
    dns: [Option<Ipv4Addr>; 2],
    peer_addr: Option<Ipv4Addr>,
    seen_addr: bool,
}

impl IpcpPolicy {
    /// The client role: request `hint` (or 0.0.0.0) and optionally DNS.
    pub fn client(hint: Option<Ipv4Addr>, request_dns: bool) -> Self {
        IpcpPolicy {
            assign: None,
            want_addr: hint.unwrap_or(Ipv4Addr::UNSPECIFIED),
            want_dns: request_dns,
            addr: None,
            dns: [None; 2],
            peer_addr: None,
            seen_addr: false,
        }
    }

    /// The server role: our address `local`, and what we assign.
    pub fn server(local: Ipv4Addr, assign: Ipv4Assignment) -> Self {
        IpcpPolicy {
            assign: Some(assign),
            want_addr: local,
            want_dns: false,
            addr: None,
            dns: [None; 2],
            peer_addr: None,
            seen_addr: false,
        }
    }

    /// Our address as negotiated.
    pub fn local(&self) -> Ipv4Addr {
        self.addr.unwrap_or(Ipv4Addr::UNSPECIFIED)
    }

    /// True when this is the server role.
    pub fn is_server(&self) -> bool {
        self.assign.is_some()
    }

    /// The peer's address as negotiated (0.0.0.0 when a server sent none).
    pub fn peer(&self) -> Ipv4Addr {
        match self.assign {
            Some(a) => a.peer,
            None => self.peer_addr.unwrap_or(Ipv4Addr::UNSPECIFIED),
        }
    }

    /// DNS servers: those the server gave us (client) or those we gave
    /// (server).
    pub fn dns(&self) -> [Option<Ipv4Addr>; 2] {
        match self.assign {
            Some(a) => [a.dns1, a.dns2],
            None => self.dns.map(|d| d.filter(|a| !a.is_unspecified())),
        }
    }
}

fn nak_or_ack(
    got: Ipv4Addr,
    want: Option<Ipv4Addr>,
    make: fn(Ipv4Addr) -> IpcpOption<'static>,
) -> Verdict<IpcpOption<'static>> {
    match want {
        Some(w) if w == got => Verdict::Ack,
        Some(w) => Verdict::Nak(make(w)),
        None => Verdict::Reject,
    }
}

impl Policy for IpcpPolicy {
    type Opt<'a> = IpcpOption<'a>;
    const PROTOCOL: u16 = protocol::IPCP;

    fn reset(&mut self, _rng: &mut SeededRng) {
        // A server configured without an address of its own requests none.
        let none = self.assign.is_some() && self.want_addr.is_unspecified();
        self.addr = (!none).then_some(self.want_addr);
        let d = self.want_dns.then_some(Ipv4Addr::UNSPECIFIED);
        self.dns = [d, d];
    }

    fn write_request(&self, out: &mut Vec<u8>) {
        if let Some(a) = self.addr {
            IpcpOption::IpAddress(a).put(out);
        }
        if let Some(d) = self.dns[0] {
            IpcpOption::PrimaryDns(d).put(out);
        }
        if let Some(d) = self.dns[1] {
            IpcpOption::SecondaryDns(d).put(out);
        }
    }

    fn begin_peer_request(&mut self) {
        self.seen_addr = false;
        if self.assign.is_none() {
            self.peer_addr = None;
        }
    }

    fn peer_option(
        &mut self,
        opt: &IpcpOption<'_>,
        _rng: &mut SeededRng,
    ) -> Verdict<IpcpOption<'static>> {
        match (self.assign, opt) {
            (Some(a), IpcpOption::IpAddress(got)) => {
                self.seen_addr = true;
                nak_or_ack(*got, Some(a.peer), IpcpOption::IpAddress)
            }
            (Some(a), IpcpOption::PrimaryDns(got)) => {
                nak_or_ack(*got, a.dns1, IpcpOption::PrimaryDns)
            }
            (Some(a), IpcpOption::SecondaryDns(got)) => {
                nak_or_ack(*got, a.dns2, IpcpOption::SecondaryDns)
            }
            (None, IpcpOption::IpAddress(got)) if !got.is_unspecified() => {
                self.peer_addr = Some(*got);
                Verdict::Ack
            }
            // IP-Compression-Protocol (VJ), DNS asked of a client, a server
            // without an address, unknown options.
            _ => Verdict::Reject,
        }
    }

    fn peer_missing(&mut self, _rng: &mut SeededRng, nak: &mut Vec<u8>) {
        if let (Some(a), false) = (self.assign, self.seen_addr) {
            IpcpOption::IpAddress(a.peer).put(nak);
        }
    }

    fn nak_received(&mut self, opt: &IpcpOption<'_>, _rng: &mut SeededRng) {
        match opt {
            // A server keeps its own address; a client takes the suggestion.
            IpcpOption::IpAddress(a) if self.assign.is_none() => self.addr = Some(*a),
            IpcpOption::PrimaryDns(d) if self.dns[0].is_some() => self.dns[0] = Some(*d),
            IpcpOption::SecondaryDns(d) if self.dns[1].is_some() => self.dns[1] = Some(*d),
            _ => {}
        }
    }

    fn reject_received(&mut self, opt: &IpcpOption<'_>) {
        match opt {
            IpcpOption::IpAddress(_) => self.addr = None,
            IpcpOption::PrimaryDns(_) => self.dns[0] = None,
            IpcpOption::SecondaryDns(_) => self.dns[1] = None,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_naks_towards_the_assignment_and_rejects_vj() {
        let a = Ipv4Assignment {
            peer: Ipv4Addr::new(192, 0, 2, 10),
            dns1: Some(Ipv4Addr::new(198, 51, 100, 53)),
            dns2: None,
        };
        let mut s = IpcpPolicy::server(Ipv4Addr::new(192, 0, 2, 1), a);
        let mut rng = SeededRng::from_u64(1);
        s.begin_peer_request();
        assert_eq!(
            s.peer_option(&IpcpOption::IpAddress(Ipv4Addr::UNSPECIFIED), &mut rng),
            Verdict::Nak(IpcpOption::IpAddress(a.peer))
        );
        assert_eq!(
            s.peer_option(&IpcpOption::PrimaryDns(Ipv4Addr::UNSPECIFIED), &mut rng),
            Verdict::Nak(IpcpOption::PrimaryDns(Ipv4Addr::new(198, 51, 100, 53)))
        );
        assert_eq!(
            s.peer_option(&IpcpOption::SecondaryDns(Ipv4Addr::UNSPECIFIED), &mut rng),
            Verdict::Reject
        );
        let vj = IpcpOption::IpCompressionProtocol {
            protocol: 0x2d,
            data: &[0x0f, 1],
        };
        assert_eq!(s.peer_option(&vj, &mut rng), Verdict::Reject);
        // No IP-Address in the request: suggest one.
        s.begin_peer_request();
        let mut nak = Vec::new();
        s.peer_missing(&mut rng, &mut nak);
        assert_eq!(nak, [3, 6, 192, 0, 2, 10]);
    }

    #[test]
    fn client_takes_the_nak() {
        let mut c = IpcpPolicy::client(None, true);
        let mut rng = SeededRng::from_u64(1);
        c.reset(&mut rng);
        let mut req = Vec::new();
        c.write_request(&mut req);
        assert_eq!(
            req,
            [3, 6, 0, 0, 0, 0, 129, 6, 0, 0, 0, 0, 131, 6, 0, 0, 0, 0]
        );
        c.nak_received(
            &IpcpOption::IpAddress(Ipv4Addr::new(192, 0, 2, 10)),
            &mut rng,
        );
        c.reject_received(&IpcpOption::SecondaryDns(Ipv4Addr::UNSPECIFIED));
        let mut req = Vec::new();
        c.write_request(&mut req);
        assert_eq!(req, [3, 6, 192, 0, 2, 10, 129, 6, 0, 0, 0, 0]);
    }
}
