//! Building OFFER/ACK/NAK messages: the options the client asked for plus
//! the mandatory ones, within its maximum message size (RFC 2131 §4.3.1,
//! RFC 2132 §9.8 and §9.10, RFC 3046 §2.2, RFC 6842).

use core::net::Ipv4Addr;

use crate::wire::{BROADCAST_FLAG, DhcpOption, Message, MessageType, Op, Route, code};

use super::pool::Dhcpv4PoolConfig;

/// IPv4 (20) + UDP (8) headers, counted in option 57's size.
const IP_UDP_HEADERS: usize = 28;
/// The smallest message every client accepts (RFC 2131 §2).
const MIN_MAX_MESSAGE: usize = 576;
/// Without option 57, we stay within an Ethernet frame.
const ETHERNET_MAX_MESSAGE: usize = 1500;

/// A reply skeleton: header fields copied from the request.
pub(crate) fn skeleton(req: &Message, t: MessageType, server_id: Ipv4Addr) -> Message {
    let mut m = Message::new(Op::BootReply, t, req.xid, [0; 6]);
    m.htype = req.htype;
    m.hlen = req.hlen;
    m.chaddr = req.chaddr;
    m.flags = req.flags;
    m.giaddr = req.giaddr;
    m.options.push(DhcpOption::ServerIdentifier(server_id));
    m
}

/// Appends the echoed options (client id per RFC 6842, relay agent
/// information last per RFC 3046 §2.2).
pub(crate) fn echo(req: &Message, m: &mut Message) {
    if let Some(id) = req.client_id() {
        m.options.push(DhcpOption::ClientIdentifier(id.to_vec()));
    }
    if let Some(ri) = req.relay_agent_information() {
        m.options
            .push(DhcpOption::RelayAgentInformation(ri.to_vec()));
    }
}

/// A DHCPNAK for `req`.
pub(crate) fn nak(req: &Message, server_id: Ipv4Addr, why: &[u8]) -> Message {
    let mut m = skeleton(req, MessageType::Nak, server_id);
    if !req.giaddr.is_unspecified() {
        m.flags |= BROADCAST_FLAG;
    }
    m.options.push(DhcpOption::Message(why.to_vec()));
    echo(req, &mut m);
    m
}

fn pool_option(pool: &Dhcpv4PoolConfig, c: u8) -> Option<DhcpOption> {
    match c {
        code::ROUTER => pool.router.map(|r| DhcpOption::Router(alloc::vec![r])),
        code::DOMAIN_NAME_SERVER => {
            let d = pool.dns_servers();
            (!d.is_empty()).then_some(DhcpOption::DomainNameServer(d))
        }
        code::DOMAIN_NAME => pool.domain.clone().map(DhcpOption::DomainName),
        code::DOMAIN_SEARCH => (!pool.domain_search.is_empty())
            .then(|| DhcpOption::DomainSearch(pool.domain_search.clone())),
        code::INTERFACE_MTU => pool.mtu.map(DhcpOption::InterfaceMtu),
        // Only ever through the request list: RFC 8925 §3.3.2 forbids it to
        // a client that did not ask.
        code::IPV6_ONLY_PREFERRED => pool.ipv6_only_preferred.map(DhcpOption::Ipv6OnlyPreferred),
        code::CLASSLESS_STATIC_ROUTE => {
            if pool.routes.is_empty() {
                return None;
            }
            let mut routes = pool.routes.clone();
            // RFC 3442: a client given option 121 ignores option 3, so the
            // default route must be in option 121 too.
            if let Some(r) = pool.router
                && !routes.iter().any(|x| x.prefix_len == 0)
            {
                routes.push(Route {
                    destination: Ipv4Addr::UNSPECIFIED,
                    prefix_len: 0,
                    router: r,
                });
            }
            Some(DhcpOption::ClasslessStaticRoute(routes))
        }
        _ => None,
    }
}

/// Adds the mandatory lease options, the subnet mask, then the pool's
/// options the client asked for (in its order; the router, DNS and domain
/// when it sent no list), as long as they fit its maximum message size, and
/// the echoed options.
pub(crate) fn fill(
    req: &Message,
    m: &mut Message,
    pool: &Dhcpv4PoolConfig,
    lease_secs: Option<u32>,
) {
    if let Some(secs) = lease_secs {
        m.options.push(DhcpOption::IpAddressLeaseTime(secs));
        if secs != u32::MAX {
            m.options.push(DhcpOption::RenewalTime(secs / 2));
            m.options
                .push(DhcpOption::RebindingTime((u64::from(secs) * 7 / 8) as u32));
        }
    }
    m.options.push(DhcpOption::SubnetMask(pool.mask()));
    let max = req
        .max_message_size()
        .map_or(ETHERNET_MAX_MESSAGE, |s| {
            usize::from(s).max(MIN_MAX_MESSAGE)
        })
        .min(ETHERNET_MAX_MESSAGE)
        - IP_UDP_HEADERS;
    // The echoed options go last but their room is kept from the start.
    let mut echoed = Message::new(Op::BootReply, m.message_type, m.xid, [0; 6]);
    echo(req, &mut echoed);
    let echo_len: usize = echoed.options.iter().map(DhcpOption::wire_len).sum();
    let default_list = [code::ROUTER, code::DOMAIN_NAME_SERVER, code::DOMAIN_NAME];
    let list = req.parameter_request_list().unwrap_or(&default_list);
    let mut seen = [false; 256];
    for &c in list {
        if core::mem::replace(&mut seen[usize::from(c)], true) {
            continue;
        }
        if let Some(o) = pool_option(pool, c)
            && m.buffer_len() + o.wire_len() + echo_len <= max
        {
            m.options.push(o);
        }
    }
    m.options.extend(echoed.options);
}
