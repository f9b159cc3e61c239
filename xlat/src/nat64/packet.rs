//! What stateful NAT64 reads from a packet before translating it (the
//! tuple its tables are keyed by, RFC 6146 §3.4), and the port rewrites
//! it does around the stateless translation.

use sansio_primitives::checksum;

use super::fragments::FragKey;
use super::tables::{Nat64Dropped, Nat64Protocol, TcpFlags};
use crate::rfc7915::common::*;
use crate::rfc7915::v4_to_v6::parse_ipv4;
use crate::rfc7915::v6_to_v4::parse_ipv6;

/// A packet's flow, by the side it came from.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Flow<A> {
    /// TCP, UDP or an ICMP query: its own tuple. ICMP queries carry the
    /// identifier as the source port (from IPv6) or destination port
    /// (from IPv4) and 0 as the other.
    Query {
        protocol: Nat64Protocol,
        src: (A, u16),
        dst: (A, u16),
        tcp: TcpFlags,
        /// The datagram's key when this is its first fragment.
        first_fragment: Option<FragKey>,
    },
    /// A fragment after the first: no transport header.
    LaterFragment(FragKey),
    /// An ICMP error: the tuple of the packet it quotes, which went the
    /// other way; `host` is the quoted packet's end on our side (its
    /// destination when from IPv6, its source when from IPv4), `port_at`
    /// where that end's port (or identifier) lies in the buffer.
    Error {
        protocol: Nat64Protocol,
        host: (A, u16),
        port_at: usize,
        /// The quoted transport checksum (absent when cut off, or a UDP
        /// zero checksum, which stays zero).
        inner_checksum_at: Option<usize>,
        /// The ICMP error's own checksum.
        outer_checksum_at: usize,
    },
}

fn malformed(field: &'static str) -> Nat64Dropped {
    Nat64Dropped::Xlat(truncated(field))
}

fn protocol_of(p: u8, icmp: u8) -> Result<Nat64Protocol, Nat64Dropped> {
    match p {
        PROTO_TCP => Ok(Nat64Protocol::Tcp),
        PROTO_UDP => Ok(Nat64Protocol::Udp),
        _ if p == icmp => Ok(Nat64Protocol::Icmp),
        _ => Err(Nat64Dropped::UnsupportedProtocol),
    }
}

fn tcp_flags(b: u8) -> TcpFlags {
    TcpFlags {
        fin: b & 0x01 != 0,
        syn: b & 0x02 != 0,
        rst: b & 0x04 != 0,
    }
}

/// The ports (or identifier) and flags of a transport header at `l4`.
fn ports(
    buf: &[u8],
    l4: usize,
    end: usize,
    protocol: Nat64Protocol,
) -> Result<(u16, u16, TcpFlags), Nat64Dropped> {
    let need = match protocol {
        Nat64Protocol::Tcp => 14,
        _ => 8,
    };
    if end < l4 + need {
        return Err(malformed("transport header"));
    }
    Ok(match protocol {
        Nat64Protocol::Tcp => (rd16(buf, l4), rd16(buf, l4 + 2), tcp_flags(buf[l4 + 13])),
        Nat64Protocol::Udp => (rd16(buf, l4), rd16(buf, l4 + 2), TcpFlags::NONE),
        Nat64Protocol::Icmp => (rd16(buf, l4 + 4), 0, TcpFlags::NONE),
    })
}

/// Where a quoted transport header keeps its port `which` (0: source,
/// 2: destination; the identifier for ICMP) and its checksum, if the
/// quote reaches that far.
fn quoted(
    buf: &[u8],
    l4: usize,
    end: usize,
    protocol: Nat64Protocol,
    which: usize,
) -> Result<(usize, Option<usize>), Nat64Dropped> {
    let (port_at, sum_at) = match protocol {
        Nat64Protocol::Tcp => (l4 + which, l4 + 16),
        Nat64Protocol::Udp => (l4 + which, l4 + 6),
        Nat64Protocol::Icmp => (l4 + 4, l4 + 2),
    };
    if end < port_at + 2 {
        return Err(malformed("quoted transport header"));
    }
    let sum = (end >= sum_at + 2 && !(protocol == Nat64Protocol::Udp && rd16(buf, sum_at) == 0))
        .then_some(sum_at);
    Ok((port_at, sum))
}

/// The flow of the IPv6 packet `buf[start..start + len]`.
pub(crate) fn flow6(buf: &[u8], start: usize, len: usize) -> Result<Flow<[u8; 16]>, Nat64Dropped> {
    let (h, chain) = parse_ipv6(&buf[start..start + len], true).map_err(Nat64Dropped::Xlat)?;
    let first_fragment = match chain.fragment {
        Some(f) if f.offset != 0 => {
            return Ok(Flow::LaterFragment(FragKey::V6(
                h.src,
                h.dst,
                f.identification,
            )));
        }
        Some(f) => Some(FragKey::V6(h.src, h.dst, f.identification)),
        None => None,
    };
    let end = start + IPV6_HEADER_LEN + h.payload_length;
    let l4 = start + chain.l4_at;
    let protocol = protocol_of(chain.protocol, PROTO_ICMPV6)?;
    if protocol == Nat64Protocol::Icmp {
        let t = *buf.get(l4).ok_or(malformed("ICMPv6 header"))?;
        if t < 128 {
            let inner = l4 + ICMP_HEADER_LEN;
            if end < inner {
                return Err(malformed("ICMPv6 header"));
            }
            let (ih, ic) = parse_ipv6(&buf[inner..end], false).map_err(Nat64Dropped::Xlat)?;
            if ic.fragment.is_some_and(|f| f.offset != 0) {
                return Err(Nat64Dropped::Fragment);
            }
            let protocol = protocol_of(ic.protocol, PROTO_ICMPV6)?;
            let il4 = inner + ic.l4_at;
            let (port_at, inner_checksum_at) = quoted(buf, il4, end, protocol, 2)?;
            return Ok(Flow::Error {
                protocol,
                host: (ih.dst, rd16(buf, port_at)),
                port_at,
                inner_checksum_at,
                outer_checksum_at: l4 + 2,
            });
        }
        if t != 128 && t != 129 {
            // Neither an error nor an echo: the translator drops it.
            return Err(Nat64Dropped::Xlat(crate::XlatDropped::UntranslatableIcmp));
        }
    }
    let (sport, dport, tcp) = ports(buf, l4, end, protocol)?;
    Ok(Flow::Query {
        protocol,
        src: (h.src, sport),
        dst: (h.dst, dport),
        tcp,
        first_fragment,
    })
}

/// The flow of the IPv4 packet `buf[start..start + len]`.
pub(crate) fn flow4(buf: &[u8], start: usize, len: usize) -> Result<Flow<[u8; 4]>, Nat64Dropped> {
    let h = parse_ipv4(&buf[start..start + len], true).map_err(Nat64Dropped::Xlat)?;
    let key = FragKey::V4(h.src, h.dst, h.protocol, h.identification);
    if h.fragment_offset != 0 {
        return Ok(Flow::LaterFragment(key));
    }
    let first_fragment = h.is_fragment().then_some(key);
    let end = start + h.total_length;
    let l4 = start + h.ihl;
    let protocol = protocol_of(h.protocol, PROTO_ICMP)?;
    if protocol == Nat64Protocol::Icmp {
        let t = *buf.get(l4).ok_or(malformed("ICMP header"))?;
        if matches!(t, 3 | 4 | 5 | 11 | 12) {
            let inner = l4 + ICMP_HEADER_LEN;
            if end < inner {
                return Err(malformed("ICMP header"));
            }
            let ih = parse_ipv4(&buf[inner..end], false).map_err(Nat64Dropped::Xlat)?;
            if ih.fragment_offset != 0 {
                return Err(Nat64Dropped::Fragment);
            }
            let protocol = protocol_of(ih.protocol, PROTO_ICMP)?;
            let il4 = inner + ih.ihl;
            let (port_at, inner_checksum_at) = quoted(buf, il4, end, protocol, 0)?;
            return Ok(Flow::Error {
                protocol,
                host: (ih.src, rd16(buf, port_at)),
                port_at,
                inner_checksum_at,
                outer_checksum_at: l4 + 2,
            });
        }
        if t != 0 && t != 8 {
            return Err(Nat64Dropped::Xlat(crate::XlatDropped::UntranslatableIcmp));
        }
    }
    let (sport, dport, tcp) = ports(buf, l4, end, protocol)?;
    let (sport, dport) = match protocol {
        // From IPv4 the identifier is the pool4 side's: the "destination".
        Nat64Protocol::Icmp => (0, sport),
        _ => (sport, dport),
    };
    Ok(Flow::Query {
        protocol,
        src: (h.src, sport),
        dst: (h.dst, dport),
        tcp,
        first_fragment,
    })
}

/// Writes `new` into the 16-bit field at `at` and updates the checksum at
/// `sum_at` for it (RFC 1624); a UDP checksum that comes out zero is sent
/// as all ones (RFC 768). Returns the checksum's old and new values.
fn rewrite(buf: &mut [u8], at: usize, new: u16, sum_at: usize, udp: bool) -> (u16, u16) {
    let old = rd16(buf, at);
    wr16(buf, at, new);
    let c = rd16(buf, sum_at);
    let mut n = checksum::update(c, old, new);
    if udp && n == 0 {
        n = 0xffff;
    }
    wr16(buf, sum_at, n);
    (c, n)
}

/// The port (source `which` = 0, destination 2) or ICMP identifier of the
/// translated packet at `buf[start..]` set to `new`, its checksum updated.
pub(crate) fn set_port(
    buf: &mut [u8],
    start: usize,
    protocol: Nat64Protocol,
    which: usize,
    new: u16,
) {
    let l4 = if buf[start] >> 4 == 6 {
        // The translator adds no extension header but a Fragment header.
        start
            + IPV6_HEADER_LEN
            + if buf[start + 6] == PROTO_FRAGMENT {
                8
            } else {
                0
            }
    } else {
        start + usize::from(buf[start] & 0x0f) * 4
    };
    match protocol {
        Nat64Protocol::Tcp => {
            rewrite(buf, l4 + which, new, l4 + 16, false);
        }
        Nat64Protocol::Udp => {
            if rd16(buf, l4 + 6) == 0 {
                // No checksum (IPv4): nothing to update.
                wr16(buf, l4 + which, new);
            } else {
                rewrite(buf, l4 + which, new, l4 + 6, true);
            }
        }
        Nat64Protocol::Icmp => {
            rewrite(buf, l4 + 4, new, l4 + 2, false);
        }
    }
}

/// The quoted port of an ICMP error (before translation) set to `new`,
/// the quoted checksum and the error's own checksum updated to match.
pub(crate) fn set_quoted_port(
    buf: &mut [u8],
    flow_error: (usize, Option<usize>, usize, bool),
    new: u16,
) {
    let (port_at, inner_sum, outer_sum, udp) = flow_error;
    let old = rd16(buf, port_at);
    if old == new {
        return;
    }
    let outer = rd16(buf, outer_sum);
    match inner_sum {
        Some(ic) => {
            let (c_old, c_new) = rewrite(buf, port_at, new, ic, udp);
            let o = checksum::update(outer, old, new);
            wr16(buf, outer_sum, checksum::update(o, c_old, c_new));
        }
        None => {
            wr16(buf, port_at, new);
            wr16(buf, outer_sum, checksum::update(outer, old, new));
        }
    }
}
