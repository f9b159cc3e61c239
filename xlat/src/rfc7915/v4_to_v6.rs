//! IPv4 → IPv6 (RFC 7915 §4), in place: the IPv6 header is written over
//! the IPv4 header and the headroom in front of it, so that it ends where
//! the IPv4 payload begins; the payload never moves.

use sansio_primitives::checksum;

use super::common::*;
use super::icmp_error::{self, Offender};
use crate::mapping::is_reserved_v4;
use crate::siit::{Core, IPV6_MIN_MTU, XlatDropped, XlatOutput};

/// The IPv4 header fields the translation reads (RFC 791 names).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ipv4Header {
    /// Header length in bytes (IHL × 4).
    pub(crate) ihl: usize,
    pub(crate) tos: u8,
    pub(crate) total_length: usize,
    pub(crate) identification: u16,
    pub(crate) df: bool,
    pub(crate) mf: bool,
    /// Fragment Offset, in 8-byte units.
    pub(crate) fragment_offset: u16,
    pub(crate) ttl: u8,
    pub(crate) protocol: u8,
    pub(crate) src: [u8; 4],
    pub(crate) dst: [u8; 4],
}

impl Ipv4Header {
    pub(crate) fn is_fragment(&self) -> bool {
        self.mf || self.fragment_offset != 0
    }
}

/// Reads an IPv4 header. The outer header must be whole and verify; an
/// ICMP error's inner header only needs its own bytes (its payload is
/// usually cut short).
#[inline(always)]
pub(crate) fn parse_ipv4(pkt: &[u8], outer: bool) -> Result<Ipv4Header, XlatDropped> {
    if pkt.len() < IPV4_HEADER_LEN {
        return Err(truncated("IPv4 header"));
    }
    if pkt[0] >> 4 != 4 {
        return Err(bad_value("IPv4 Version"));
    }
    let ihl = usize::from(pkt[0] & 0x0f) * 4;
    if ihl < IPV4_HEADER_LEN {
        return Err(bad_value("IPv4 IHL"));
    }
    if pkt.len() < ihl {
        return Err(truncated("IPv4 options"));
    }
    let total_length = usize::from(rd16(pkt, 2));
    if total_length < ihl {
        return Err(bad_value("IPv4 Total Length"));
    }
    if outer {
        if pkt.len() < total_length {
            return Err(truncated("IPv4 payload"));
        }
        if !checksum::verify(&pkt[..ihl]) {
            return Err(bad_checksum("IPv4 header"));
        }
    }
    let flags = rd16(pkt, 6);
    Ok(Ipv4Header {
        ihl,
        tos: pkt[1],
        total_length,
        identification: rd16(pkt, 4),
        df: flags & 0x4000 != 0,
        mf: flags & 0x2000 != 0,
        fragment_offset: flags & 0x1fff,
        ttl: pkt[8],
        protocol: pkt[9],
        src: [pkt[12], pkt[13], pkt[14], pkt[15]],
        dst: [pkt[16], pkt[17], pkt[18], pkt[19]],
    })
}

/// Translates the IPv4 packet `buf[start..start + len]` (§4).
///
/// `hairpin`: the packet is the IPv4 form of an IPv6 packet that is being
/// hairpinned (RFC 7757 §4.2, Jool's "intrinsic" hairpinning): its TTL was
/// decremented already, and its source is translated by pool6, not by its
/// EAM, so that the destination answers to the address it was sent from.
///
/// `fragmenting`: a DF-less packet too big for `lowest_ipv6_mtu` is
/// translated whole with a Fragment header (§4.1: "the DF bit is not set
/// and the packet size is greater than the minimum IPv6 MTU"), for the
/// caller to split, instead of being refused.
#[inline]
pub(crate) fn translate(
    core: &mut Core,
    buf: &mut [u8],
    start: usize,
    len: usize,
    hairpin: bool,
    fragmenting: bool,
) -> Result<XlatOutput, XlatDropped> {
    let h = parse_ipv4(&buf[start..start + len], true)?;
    // Link-layer padding after Total Length is not part of the packet.
    let len = h.total_length;
    let l4 = start + h.ihl;
    let first = h.fragment_offset == 0;
    if h.protocol == PROTO_ICMP && h.is_fragment() {
        // Its checksum covers the whole message (§4.2 needs all of it).
        return Err(XlatDropped::FragmentedIcmp);
    }
    let icmp_type = (h.protocol == PROTO_ICMP && first)
        .then(|| buf.get(l4).copied())
        .flatten();
    if let Some(t) = icmp_type
        && is_icmpv4_error(t)
    {
        return translate_icmp_error(core, buf, start, &h, hairpin);
    }

    let (src6, dst6) = addresses(core, &h, !hairpin, true)?;
    let offender = || Offender {
        src: map_offender(h.src),
        may_answer: may_answer_v4(&h, icmp_type),
    };
    let hop_limit = match hop_limit(h.ttl, hairpin) {
        Some(hl) => hl,
        None => {
            return icmp_error::icmpv4(
                core,
                buf,
                start,
                len,
                &offender(),
                11,
                0,
                XlatDropped::HopLimitExceeded,
            );
        }
    };
    if !hairpin && has_unexpired_source_route(&buf[start + IPV4_HEADER_LEN..l4]) {
        // §4.1: destination unreachable, source route failed (type 3 code 5).
        return icmp_error::icmpv4(
            core,
            buf,
            start,
            len,
            &offender(),
            3,
            5,
            XlatDropped::SourceRoute,
        );
    }
    let payload = len - h.ihl;
    let too_big = !h.df
        && !h.is_fragment()
        && IPV6_HEADER_LEN + payload > usize::from(core.config.lowest_ipv6_mtu);
    if too_big && !fragmenting {
        return Err(XlatDropped::NeedsFragmentation);
    }
    let fragment_header = h.is_fragment() || too_big;
    let ext = if fragment_header {
        FRAGMENT_HEADER_LEN
    } else {
        0
    };
    if first {
        transport(core, &mut buf[l4..start + len], &h, &src6, &dst6)?;
    }
    let new_start = l4 - IPV6_HEADER_LEN - ext;
    let next_header = next_header(h.protocol);
    let ip6 = &mut buf[new_start..l4];
    write_ipv6_header(
        ip6,
        traffic_class(core, h.tos),
        (payload + ext) as u16,
        if fragment_header {
            PROTO_FRAGMENT
        } else {
            next_header
        },
        hop_limit,
        &src6,
        &dst6,
    );
    if fragment_header {
        write_fragment_header(&mut ip6[IPV6_HEADER_LEN..], next_header, &h);
    }
    Ok(XlatOutput::Translated {
        start: new_start,
        len: IPV6_HEADER_LEN + ext + payload,
    })
}

/// §4.1 Source and Destination Address: both through the address mapping
/// (EAMT, then pool6; the EAM skipped where hairpinning says so).
#[inline(always)]
fn addresses(
    core: &Core,
    h: &Ipv4Header,
    src_eam: bool,
    dst_eam: bool,
) -> Result<([u8; 16], [u8; 16]), XlatDropped> {
    let src = core
        .mapping
        .v4_to_v6(h.src, src_eam)
        .ok_or(XlatDropped::UntranslatableSource)?;
    let dst = core
        .mapping
        .v4_to_v6(h.dst, dst_eam)
        .ok_or(XlatDropped::UntranslatableDestination)?;
    Ok((src, dst))
}

/// The offender's address, IPv4 in the first four bytes (what
/// [`icmp_error::icmpv4`] reads).
fn map_offender(src: [u8; 4]) -> [u8; 16] {
    let mut a = [0; 16];
    a[..4].copy_from_slice(&src);
    a
}

fn may_answer_v4(h: &Ipv4Header, icmp_type: Option<u8>) -> bool {
    h.fragment_offset == 0
        && !icmp_type.is_some_and(is_icmpv4_error)
        && !is_reserved_v4(h.src)
        && h.dst[0] < 224
}

/// §4.1 Hop Limit: TTL − 1; `None` when that reaches zero. A hairpinned
/// packet's was decremented on its way in.
#[inline]
fn hop_limit(ttl: u8, hairpin: bool) -> Option<u8> {
    if hairpin {
        return Some(ttl);
    }
    (ttl > 1).then(|| ttl - 1)
}

/// §4.1 Traffic Class: the TOS octet, or zero when so configured.
#[inline]
fn traffic_class(core: &Core, tos: u8) -> u8 {
    if core.config.reset_traffic_class {
        0
    } else {
        tos
    }
}

/// §4.1 Next Header: the protocol, ICMP becoming ICMPv6.
#[inline]
fn next_header(protocol: u8) -> u8 {
    if protocol == PROTO_ICMP {
        PROTO_ICMPV6
    } else {
        protocol
    }
}

/// §4.1: "If the IPv4 packet contains a Source Route option that has not
/// been exhausted": a Loose or Strict Source Route whose pointer is not
/// past its data.
fn has_unexpired_source_route(options: &[u8]) -> bool {
    let mut at = 0;
    while at < options.len() {
        match options[at] {
            0 => return false,
            1 => at += 1,
            kind => {
                let Some(&len) = options.get(at + 1) else {
                    return false;
                };
                if (kind == 131 || kind == 137)
                    && let Some(&pointer) = options.get(at + 2)
                {
                    return pointer <= len;
                }
                if len < 2 {
                    return false;
                }
                at += usize::from(len);
            }
        }
    }
    false
}

/// §4.1's IPv6 header fields, written in one go.
#[inline]
fn write_ipv6_header(
    ip6: &mut [u8],
    traffic_class: u8,
    payload_length: u16,
    next_header: u8,
    hop_limit: u8,
    src: &[u8; 16],
    dst: &[u8; 16],
) {
    ip6[0] = 0x60 | traffic_class >> 4;
    ip6[1] = traffic_class << 4;
    ip6[2] = 0;
    ip6[3] = 0;
    wr16(ip6, 4, payload_length);
    ip6[6] = next_header;
    ip6[7] = hop_limit;
    ip6[8..24].copy_from_slice(src);
    ip6[24..40].copy_from_slice(dst);
}

/// §4.1 Fragment Header: IPv4 Identification (zero-extended), Fragment
/// Offset and More Fragments carried over.
fn write_fragment_header(frag: &mut [u8], next_header: u8, h: &Ipv4Header) {
    frag[0] = next_header;
    frag[1] = 0;
    wr16(frag, 2, h.fragment_offset << 3 | u16::from(h.mf));
    wr32(frag, 4, u32::from(h.identification));
}

/// §4.2–§4.5 for the first fragment's transport header: TCP/UDP checksums
/// moved to the IPv6 pseudo-header, ICMP echo translated.
#[inline]
fn transport(
    core: &Core,
    l4: &mut [u8],
    h: &Ipv4Header,
    src6: &[u8; 16],
    dst6: &[u8; 16],
) -> Result<(), XlatDropped> {
    match h.protocol {
        PROTO_ICMP => icmp_info(l4, src6, dst6),
        PROTO_UDP if l4.len() >= 8 && rd16(l4, 6) == 0 => {
            udp_zero_checksum(core, l4, h, src6, dst6)
        }
        p => {
            let old = sum_addrs4(&h.src, &h.dst);
            let new = sum_addrs6(src6, dst6);
            update_transport_checksum(l4, p, old, new)
        }
    }
}

/// §4.5: an IPv4 UDP packet without checksum gets one, or is dropped.
fn udp_zero_checksum(
    core: &Core,
    l4: &mut [u8],
    h: &Ipv4Header,
    src6: &[u8; 16],
    dst6: &[u8; 16],
) -> Result<(), XlatDropped> {
    if !core.config.amend_udp_checksum_zero || h.is_fragment() {
        return Err(XlatDropped::UdpZeroChecksum);
    }
    let pseudo = checksum::pseudo_header_v6(*src6, *dst6, PROTO_UDP, l4.len() as u32);
    let mut c = checksum::finish(checksum::add(pseudo, checksum::sum(l4)));
    if c == 0 {
        c = 0xffff;
    }
    wr16(l4, 6, c);
    Ok(())
}

/// §4.2 ICMPv4 query messages: Echo Request/Reply become ICMPv6 Echo
/// Request/Reply; every other query type is dropped.
fn icmp_info(icmp: &mut [u8], src6: &[u8; 16], dst6: &[u8; 16]) -> Result<(), XlatDropped> {
    if icmp.len() < ICMP_HEADER_LEN {
        return Err(truncated("ICMP header"));
    }
    let new_type = match icmp[0] {
        8 => 128,
        0 => 129,
        _ => return Err(XlatDropped::UntranslatableIcmp),
    };
    let pseudo = checksum::pseudo_header_v6(*src6, *dst6, PROTO_ICMPV6, icmp.len() as u32);
    translate_echo_header(icmp, new_type, pseudo, true);
    Ok(())
}

/// ICMPv4 error types (RFC 792): Destination Unreachable, Source Quench,
/// Redirect, Time Exceeded, Parameter Problem.
#[inline]
fn is_icmpv4_error(t: u8) -> bool {
    matches!(t, 3 | 4 | 5 | 11 | 12)
}

/// §4.2's mapping of an ICMPv4 error to ICMPv6 type, code and
/// rest-of-header word; `None` when it has no counterpart.
fn map_icmp_error(icmp: &[u8], inner: &Ipv4Header) -> Option<(u8, u8, u32)> {
    let (t, code) = (icmp[0], icmp[1]);
    match t {
        3 => map_destination_unreachable(code, icmp, inner),
        11 if code <= 1 => Some((3, code, 0)),
        12 => map_parameter_problem(code, icmp[4]),
        // Source Quench, Redirect: "Single hop message. Silently drop."
        _ => None,
    }
}

/// §4.2 Destination Unreachable codes.
fn map_destination_unreachable(code: u8, icmp: &[u8], inner: &Ipv4Header) -> Option<(u8, u8, u32)> {
    Some(match code {
        // Net/host unreachable, source route failed, unknown, isolated, TOS.
        0 | 1 | 5 | 6 | 7 | 8 | 11 | 12 => (1, 0, 0),
        // Protocol unreachable: Parameter Problem, unrecognized Next Header,
        // pointing at the Next Header field.
        2 => (4, 1, 6),
        3 => (1, 4, 0),
        4 => (2, 0, packet_too_big_mtu(rd16(icmp, 6), inner)),
        // Administratively prohibited.
        9 | 10 | 13 | 15 => (1, 1, 0),
        _ => return None,
    })
}

/// RFC 1191 §7's plateau table, for a Fragmentation Needed without MTU.
const PLATEAUS: [u16; 11] = [
    65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68,
];

/// §4.2 Fragmentation Needed → Packet Too Big: the MTU grows by the header
/// difference, 20, or 28 when the packet in error travels with a Fragment
/// header; at least 1280. An MTU of zero (a pre-RFC 1191 router) is
/// estimated from the plateau below the packet's length, as Jool does.
fn packet_too_big_mtu(mtu4: u16, inner: &Ipv4Header) -> u32 {
    let mtu4 = if mtu4 == 0 {
        PLATEAUS
            .iter()
            .copied()
            .find(|&p| usize::from(p) < inner.total_length)
            .unwrap_or(68)
    } else {
        mtu4
    };
    let growth = if inner.is_fragment() { 28 } else { 20 };
    (u32::from(mtu4) + growth).max(u32::from(IPV6_MIN_MTU))
}

/// §4.2 Parameter Problem: codes 0 and 2 become code 0 with the pointer
/// moved per Figure 3; code 1 and pointers to fields IPv6 lacks are
/// dropped.
fn map_parameter_problem(code: u8, pointer: u8) -> Option<(u8, u8, u32)> {
    if code != 0 && code != 2 {
        return None;
    }
    let p6 = match pointer {
        0 => 0,
        1 => 1,
        2 | 3 => 4,
        8 => 7,
        9 => 6,
        12..=15 => 8,
        16..=19 => 24,
        _ => return None,
    };
    Some((4, 0, p6))
}

/// §4.3: an ICMPv4 error, its outer header, ICMP header and inner packet
/// translated; the result cut to 1280 bytes and its checksum computed
/// anew (the input's is verified first, so corruption is not laundered).
///
/// Layout: `[IPv4][ICMPv4][inner IPv4][rest]` becomes `[IPv6][ICMPv6]
/// [inner IPv6 (+ Fragment)][rest]`, `rest` not moving.
fn translate_icmp_error(
    core: &Core,
    buf: &mut [u8],
    start: usize,
    h: &Ipv4Header,
    hairpin: bool,
) -> Result<XlatOutput, XlatDropped> {
    let end = start + h.total_length;
    let icmp_at = start + h.ihl;
    let icmp = &buf[icmp_at..end];
    if icmp.len() < ICMP_HEADER_LEN {
        return Err(truncated("ICMP header"));
    }
    if !checksum::verify(icmp) {
        return Err(bad_checksum("ICMPv4 message"));
    }
    let inner = parse_ipv4(&icmp[ICMP_HEADER_LEN..], false)?;
    let (icmp_type, code, word) =
        map_icmp_error(icmp, &inner).ok_or(XlatDropped::UntranslatableIcmp)?;
    let hop_limit = hop_limit(h.ttl, hairpin).ok_or(XlatDropped::HopLimitExceeded)?;
    // Hairpinned (Jool's rules): the error's source is pool6-translated
    // when it is the node the inner packet went to, and the inner
    // destination (the hairpinned sender) too.
    let src_eam = !(hairpin && h.src == inner.dst);
    // The outer source is often a router without an IPv6 form: RFC 6791.
    let src6 = core
        .mapping
        .v4_to_v6(h.src, src_eam)
        .or_else(|| core.config.pool6791v6.map(|a| a.octets()))
        .ok_or(XlatDropped::UntranslatableSource)?;
    let dst6 = core
        .mapping
        .v4_to_v6(h.dst, true)
        .ok_or(XlatDropped::UntranslatableDestination)?;
    let (inner_src6, inner_dst6) = addresses(core, &inner, true, !hairpin)?;

    let inner_at = icmp_at + ICMP_HEADER_LEN;
    let rest = inner_at + inner.ihl;
    // The inner transport header: checksum moved, echo translated.
    if inner.fragment_offset == 0 {
        let l4 = &mut buf[rest..end];
        match inner.protocol {
            PROTO_ICMP => inner_icmp(l4, &inner, &inner_src6, &inner_dst6)?,
            p => {
                let old = sum_addrs4(&inner.src, &inner.dst);
                let new = sum_addrs6(&inner_src6, &inner_dst6);
                update_inner_transport_checksum(l4, p, old, new);
            }
        }
    }
    let inner_frag = inner.is_fragment();
    let inner_ext = if inner_frag { FRAGMENT_HEADER_LEN } else { 0 };
    let inner6_at = rest - IPV6_HEADER_LEN - inner_ext;
    let new_start = inner6_at - ICMP_HEADER_LEN - IPV6_HEADER_LEN;
    let len = (end - new_start).min(usize::from(IPV6_MIN_MTU));
    let inner_next_header = next_header(inner.protocol);
    let inner6 = &mut buf[inner6_at..rest];
    write_ipv6_header(
        inner6,
        traffic_class(core, inner.tos),
        (inner.total_length - inner.ihl + inner_ext) as u16,
        if inner_frag {
            PROTO_FRAGMENT
        } else {
            inner_next_header
        },
        inner.ttl,
        &inner_src6,
        &inner_dst6,
    );
    if inner_frag {
        write_fragment_header(&mut inner6[IPV6_HEADER_LEN..], inner_next_header, &inner);
    }
    let out = &mut buf[new_start..new_start + len];
    write_ipv6_header(
        &mut out[..IPV6_HEADER_LEN],
        traffic_class(core, h.tos),
        (len - IPV6_HEADER_LEN) as u16,
        PROTO_ICMPV6,
        hop_limit,
        &src6,
        &dst6,
    );
    let icmp6 = &mut out[IPV6_HEADER_LEN..];
    icmp6[..4].copy_from_slice(&[icmp_type, code, 0, 0]);
    wr32(icmp6, 4, word);
    let pseudo = checksum::pseudo_header_v6(src6, dst6, PROTO_ICMPV6, icmp6.len() as u32);
    let c = checksum::finish(checksum::add(pseudo, checksum::sum(icmp6)));
    wr16(icmp6, 2, c);
    Ok(XlatOutput::Translated {
        start: new_start,
        len,
    })
}

/// The inner packet of an ICMPv4 error is an ICMP echo (a ping that met
/// a router): translated like an outer one when its header is there; an
/// error inside an error is refused.
fn inner_icmp(
    icmp: &mut [u8],
    inner: &Ipv4Header,
    src6: &[u8; 16],
    dst6: &[u8; 16],
) -> Result<(), XlatDropped> {
    if icmp.len() < 4 {
        return Ok(());
    }
    let new_type = match icmp[0] {
        8 => 128,
        0 => 129,
        _ => return Err(XlatDropped::UntranslatableIcmp),
    };
    let len = (inner.total_length - inner.ihl) as u32;
    let pseudo = checksum::pseudo_header_v6(*src6, *dst6, PROTO_ICMPV6, len);
    translate_echo_header(icmp, new_type, pseudo, true);
    Ok(())
}
