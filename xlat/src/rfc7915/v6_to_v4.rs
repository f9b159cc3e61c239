//! IPv6 → IPv4 (RFC 7915 §5), in place: the IPv4 header is written over
//! the end of the IPv6 header (and its extension headers), ending where
//! the upper-layer payload begins; the payload never moves.

use sansio_primitives::checksum;

use super::common::*;
use super::icmp_error::{self, Offender};
use crate::siit::{Core, ICMPV4_ERROR_MAX, IPV4_DUMMY_ADDRESS, XlatDropped, XlatOutput};

/// At most this many extension headers are walked (hostile chains are
/// refused rather than followed).
const MAX_EXTENSION_HEADERS: usize = 8;

/// §5.1: above this many bytes the IPv4 packet gets DF set (and no
/// Identification); at or below, DF clear and a generated Identification.
const DF_THRESHOLD: usize = 1260;

/// The IPv6 header fields the translation reads (RFC 8200 names).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ipv6Header {
    pub(crate) traffic_class: u8,
    pub(crate) payload_length: usize,
    pub(crate) hop_limit: u8,
    pub(crate) src: [u8; 16],
    pub(crate) dst: [u8; 16],
}

/// The Fragment header's fields.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fragment {
    /// Fragment Offset in 8-byte units.
    pub(crate) offset: u16,
    pub(crate) m: bool,
    pub(crate) identification: u32,
}

/// The extension header chain, walked.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Chain {
    /// The upper-layer protocol.
    pub(crate) protocol: u8,
    /// Offset of the upper-layer header from the IPv6 header's start.
    pub(crate) l4_at: usize,
    pub(crate) fragment: Option<Fragment>,
    /// Offset of the first Routing header's non-zero Segments Left.
    pub(crate) segments_left_at: Option<usize>,
}

impl Chain {
    fn first_fragment(&self) -> bool {
        self.fragment.is_none_or(|f| f.offset == 0)
    }
}

/// Reads an IPv6 header and walks its extension headers (§5.1: skipped).
/// The outer packet must be whole; an ICMPv6 error's inner packet only
/// needs its headers.
#[inline(always)]
pub(crate) fn parse_ipv6(pkt: &[u8], outer: bool) -> Result<(Ipv6Header, Chain), XlatDropped> {
    if pkt.len() < IPV6_HEADER_LEN {
        return Err(truncated("IPv6 header"));
    }
    if pkt[0] >> 4 != 6 {
        return Err(bad_value("IPv6 Version"));
    }
    let payload_length = usize::from(rd16(pkt, 4));
    let limit = if outer {
        if payload_length == 0 {
            // A jumbogram (RFC 2675) has no IPv4 form.
            return Err(bad_value("IPv6 Payload Length"));
        }
        if pkt.len() < IPV6_HEADER_LEN + payload_length {
            return Err(truncated("IPv6 payload"));
        }
        IPV6_HEADER_LEN + payload_length
    } else {
        pkt.len().min(IPV6_HEADER_LEN + payload_length)
    };
    let mut src = [0; 16];
    src.copy_from_slice(&pkt[8..24]);
    let mut dst = [0; 16];
    dst.copy_from_slice(&pkt[24..40]);
    let h = Ipv6Header {
        traffic_class: pkt[0] << 4 | pkt[1] >> 4,
        payload_length,
        hop_limit: pkt[7],
        src,
        dst,
    };
    let mut chain = Chain {
        protocol: pkt[6],
        l4_at: IPV6_HEADER_LEN,
        fragment: None,
        segments_left_at: None,
    };
    for _ in 0..=MAX_EXTENSION_HEADERS {
        let at = chain.l4_at;
        match chain.protocol {
            PROTO_HOP_BY_HOP | PROTO_ROUTING | PROTO_DEST_OPTS => {
                if limit < at + 2 {
                    return Err(truncated("IPv6 extension header"));
                }
                let hdr_len = (usize::from(pkt[at + 1]) + 1) * 8;
                if limit < at + hdr_len {
                    return Err(truncated("IPv6 extension header"));
                }
                if chain.protocol == PROTO_ROUTING
                    && pkt[at + 3] != 0
                    && chain.segments_left_at.is_none()
                {
                    chain.segments_left_at = Some(at + 3);
                }
                chain.protocol = pkt[at];
                chain.l4_at = at + hdr_len;
            }
            PROTO_FRAGMENT => {
                if chain.fragment.is_some() {
                    return Err(bad_value("IPv6 Fragment header (a second one)"));
                }
                if limit < at + FRAGMENT_HEADER_LEN {
                    return Err(truncated("IPv6 Fragment header"));
                }
                let off = rd16(pkt, at + 2);
                let f = Fragment {
                    offset: off >> 3,
                    m: off & 1 != 0,
                    identification: rd32(pkt, at + 4),
                };
                chain.fragment = Some(f);
                chain.protocol = pkt[at];
                chain.l4_at = at + FRAGMENT_HEADER_LEN;
                if f.offset != 0 {
                    // What follows is the middle of the fragmentable part.
                    return Ok((h, chain));
                }
            }
            _ => return Ok((h, chain)),
        }
    }
    Err(bad_value("IPv6 extension header chain"))
}

/// Translates the IPv6 packet `buf[start..start + len]` (§5).
#[inline]
pub(crate) fn translate(
    core: &mut Core,
    buf: &mut [u8],
    start: usize,
    len: usize,
) -> Result<XlatOutput, XlatDropped> {
    let (h, chain) = parse_ipv6(&buf[start..start + len], true)?;
    let len = IPV6_HEADER_LEN + h.payload_length;
    let l4 = start + chain.l4_at;
    let end = start + len;
    if chain.protocol == PROTO_ICMPV6 && chain.fragment.is_some() {
        return Err(XlatDropped::FragmentedIcmp);
    }
    let icmp_type = (chain.protocol == PROTO_ICMPV6)
        .then(|| buf[l4..end].first().copied())
        .flatten();
    if let Some(t) = icmp_type
        && t < 128
    {
        return translate_icmp_error(core, buf, start, end, &h, &chain);
    }
    let (src4, dst4) = addresses(core, &h)?;
    let offender = Offender {
        src: h.src,
        may_answer: chain.first_fragment()
            && icmp_type.is_none_or(|t| t >= 128)
            && h.src != [0; 16]
            && h.src[0] != 0xff
            && h.dst[0] != 0xff,
    };
    let Some(ttl) = ttl(h.hop_limit) else {
        return icmp_error::icmpv6(
            core,
            buf,
            start,
            len,
            &offender,
            3,
            0,
            0,
            XlatDropped::HopLimitExceeded,
        );
    };
    if let Some(pointer) = chain.segments_left_at {
        // §5.1: Parameter Problem, erroneous header field, at Segments Left.
        return icmp_error::icmpv6(
            core,
            buf,
            start,
            len,
            &offender,
            4,
            0,
            pointer as u32,
            XlatDropped::SegmentsLeft,
        );
    }
    let payload = end - l4;
    let total_length = IPV4_HEADER_LEN + payload;
    if total_length > usize::from(u16::MAX) {
        return Err(bad_value("IPv6 Payload Length"));
    }
    if chain.first_fragment() {
        transport(&mut buf[l4..end], &h, &chain, &src4, &dst4)?;
    }
    let (identification, flags) = identification_and_flags(core, &chain, total_length);
    let new_start = l4 - IPV4_HEADER_LEN;
    write_ipv4_header(
        &mut buf[new_start..l4],
        tos(core, h.traffic_class),
        total_length as u16,
        identification,
        flags,
        ttl,
        protocol(chain.protocol),
        &src4,
        &dst4,
    );
    hairpin(core, buf, new_start, total_length, &h.dst, dst4)
}

/// RFC 7757 §4.2: an IPv6 packet sent to the pool6 form of an address that
/// has an EAM would be routed straight back to this translator as IPv4; it
/// goes back to IPv6 at once (Jool's intrinsic hairpinning). A destination
/// reached through its EAM (a CLAT's LAN host) is not a hairpin.
#[inline]
fn hairpin(
    core: &mut Core,
    buf: &mut [u8],
    start: usize,
    len: usize,
    dst6: &[u8; 16],
    dst4: [u8; 4],
) -> Result<XlatOutput, XlatDropped> {
    if core.mapping.is_hairpin(dst6, dst4) {
        return super::v4_to_v6::translate(core, buf, start, len, true, false);
    }
    Ok(XlatOutput::Translated { start, len })
}

/// §5.1 Source and Destination Address: both through the address mapping.
#[inline(always)]
fn addresses(core: &Core, h: &Ipv6Header) -> Result<([u8; 4], [u8; 4]), XlatDropped> {
    let src = core
        .mapping
        .v6_to_v4(&h.src)
        .ok_or(XlatDropped::UntranslatableSource)?;
    let dst = core
        .mapping
        .v6_to_v4(&h.dst)
        .ok_or(XlatDropped::UntranslatableDestination)?;
    Ok((src, dst))
}

/// §5.1 TTL: Hop Limit − 1; `None` when that reaches zero.
#[inline]
fn ttl(hop_limit: u8) -> Option<u8> {
    (hop_limit > 1).then(|| hop_limit - 1)
}

/// §5.1 Type of Service: the Traffic Class, or the configured value.
#[inline]
fn tos(core: &Core, traffic_class: u8) -> u8 {
    if core.config.reset_tos {
        core.config.new_tos
    } else {
        traffic_class
    }
}

/// §5.1 Protocol: the upper-layer Next Header, ICMPv6 becoming ICMP.
#[inline]
fn protocol(next_header: u8) -> u8 {
    if next_header == PROTO_ICMPV6 {
        PROTO_ICMP
    } else {
        next_header
    }
}

/// §5.1 Identification and Flags (§5.1.1 with a Fragment header: its
/// Identification's low 16 bits, its offset and M; DF clear).
#[inline]
fn identification_and_flags(core: &mut Core, chain: &Chain, total_length: usize) -> (u16, u16) {
    match chain.fragment {
        Some(f) => (f.identification as u16, u16::from(f.m) << 13 | f.offset),
        None if total_length <= DF_THRESHOLD => (core.ipv4_id(), 0),
        None => (0, 0x4000),
    }
}

/// §5.1's IPv4 header (no options), its checksum computed.
#[allow(clippy::too_many_arguments)]
#[inline]
fn write_ipv4_header(
    ip: &mut [u8],
    tos: u8,
    total_length: u16,
    identification: u16,
    flags_and_offset: u16,
    ttl: u8,
    protocol: u8,
    src: &[u8; 4],
    dst: &[u8; 4],
) {
    ip[0] = 0x45;
    ip[1] = tos;
    wr16(ip, 2, total_length);
    wr16(ip, 4, identification);
    wr16(ip, 6, flags_and_offset);
    ip[8] = ttl;
    ip[9] = protocol;
    ip[12..16].copy_from_slice(src);
    ip[16..20].copy_from_slice(dst);
    let words = [
        0x4500 | u16::from(tos),
        total_length,
        identification,
        flags_and_offset,
        u16::from(ttl) << 8 | u16::from(protocol),
    ];
    wr16(ip, 10, ipv4_header_checksum(words, src, dst));
}

/// §5.3–§5.5 for the first fragment's transport header.
#[inline]
fn transport(
    l4: &mut [u8],
    h: &Ipv6Header,
    chain: &Chain,
    src4: &[u8; 4],
    dst4: &[u8; 4],
) -> Result<(), XlatDropped> {
    if chain.protocol == PROTO_ICMPV6 {
        return icmp_info(l4, h);
    }
    let old = sum_addrs6(&h.src, &h.dst);
    let new = sum_addrs4(src4, dst4);
    update_transport_checksum(l4, chain.protocol, old, new)
}

/// §5.2 ICMPv6 informational messages: Echo Request/Reply become ICMPv4
/// Echo/Echo Reply; MLD, ND and the rest are dropped.
fn icmp_info(icmp: &mut [u8], h: &Ipv6Header) -> Result<(), XlatDropped> {
    if icmp.len() < ICMP_HEADER_LEN {
        return Err(truncated("ICMPv6 header"));
    }
    let new_type = match icmp[0] {
        128 => 8,
        129 => 0,
        _ => return Err(XlatDropped::UntranslatableIcmp),
    };
    let pseudo = checksum::pseudo_header_v6(h.src, h.dst, PROTO_ICMPV6, icmp.len() as u32);
    translate_echo_header(icmp, new_type, pseudo, false);
    Ok(())
}

/// §5.2's mapping of an ICMPv6 error to ICMPv4 type, code and
/// rest-of-header word; `None` when it has no counterpart.
fn map_icmp_error(icmp: &[u8], inner: &Chain) -> Option<(u8, u8, u32)> {
    let (t, code) = (icmp[0], icmp[1]);
    match t {
        1 => map_destination_unreachable(code),
        2 => Some((3, 4, fragmentation_needed_mtu(rd32(icmp, 4), inner))),
        3 if code <= 1 => Some((11, code, 0)),
        4 => map_parameter_problem(code, rd32(icmp, 4)),
        _ => None,
    }
}

/// §5.2 Destination Unreachable codes.
fn map_destination_unreachable(code: u8) -> Option<(u8, u8, u32)> {
    Some(match code {
        // No route, beyond scope, address unreachable: host unreachable.
        0 | 2 | 3 => (3, 1, 0),
        // Administratively prohibited: communication with host prohibited.
        1 => (3, 10, 0),
        4 => (3, 3, 0),
        _ => return None,
    })
}

/// §5.2 Packet Too Big → Fragmentation Needed: the MTU shrinks by the
/// header difference, 20, or 28 when the packet in error carried a
/// Fragment header; at most 0xffff. It goes in the low 16 bits (RFC 1191).
fn fragmentation_needed_mtu(mtu6: u32, inner: &Chain) -> u32 {
    let shrink = if inner.fragment.is_some() { 28 } else { 20 };
    mtu6.saturating_sub(shrink).min(0xffff)
}

/// §5.2 Parameter Problem: code 0 with the pointer moved per Figure 6
/// (fields IPv4 lacks dropped), code 1 (unrecognized Next Header) becomes
/// Protocol Unreachable, code 2 (unrecognized option) is dropped.
fn map_parameter_problem(code: u8, pointer: u32) -> Option<(u8, u8, u32)> {
    match code {
        0 => {
            let p4 = match pointer {
                0 => 0,
                1 => 1,
                4 | 5 => 2,
                6 => 9,
                7 => 8,
                8..=23 => 12,
                24..=39 => 16,
                _ => return None,
            };
            Some((12, 0, p4 << 24))
        }
        1 => Some((3, 2, 0)),
        _ => None,
    }
}

/// RFC 6791: an IPv4 source for an ICMPv6 error from a router without an
/// IPv4 form: an address of the configured pool picked by a hash of the
/// IPv6 source (stable per router), or RFC 7600's 192.0.0.8.
fn rfc6791_source(core: &Core, src6: &[u8; 16]) -> [u8; 4] {
    let Some((base, plen)) = core.config.pool6791v4 else {
        return IPV4_DUMMY_ADDRESS.octets();
    };
    let host_bits = 32 - u32::from(plen);
    let mask = if host_bits == 32 {
        0
    } else {
        u32::MAX << host_bits
    };
    let size = 1u64 << host_bits;
    let pick = (u64::from(checksum::sum(src6)) % size) as u32;
    ((u32::from(base) & mask) | pick).to_be_bytes()
}

/// §5.3: an ICMPv6 error, its outer header, ICMP header and inner packet
/// translated; the result cut to 576 bytes and its checksum computed anew
/// (the input's is verified first).
///
/// Layout: `[IPv6 + ext][ICMPv6][inner IPv6 + ext][rest]` becomes `[IPv4]
/// [ICMPv4][inner IPv4][rest]`, `rest` not moving.
fn translate_icmp_error(
    core: &mut Core,
    buf: &mut [u8],
    start: usize,
    end: usize,
    h: &Ipv6Header,
    chain: &Chain,
) -> Result<XlatOutput, XlatDropped> {
    let icmp_at = start + chain.l4_at;
    let icmp = &buf[icmp_at..end];
    if icmp.len() < ICMP_HEADER_LEN {
        return Err(truncated("ICMPv6 header"));
    }
    let pseudo = checksum::pseudo_header_v6(h.src, h.dst, PROTO_ICMPV6, icmp.len() as u32);
    if checksum::add(pseudo, checksum::sum(icmp)) != 0xffff {
        return Err(bad_checksum("ICMPv6 message"));
    }
    let (inner, ic) = parse_ipv6(&icmp[ICMP_HEADER_LEN..], false)?;
    let (icmp_type, code, word) =
        map_icmp_error(icmp, &ic).ok_or(XlatDropped::UntranslatableIcmp)?;
    let ttl = ttl(h.hop_limit).ok_or(XlatDropped::HopLimitExceeded)?;
    let src4 = core
        .mapping
        .v6_to_v4(&h.src)
        .unwrap_or_else(|| rfc6791_source(core, &h.src));
    let dst4 = core
        .mapping
        .v6_to_v4(&h.dst)
        .ok_or(XlatDropped::UntranslatableDestination)?;
    let (inner_src4, inner_dst4) = addresses(core, &inner)?;

    let inner_at = icmp_at + ICMP_HEADER_LEN;
    let rest = inner_at + ic.l4_at;
    let inner_payload = (IPV6_HEADER_LEN + inner.payload_length).saturating_sub(ic.l4_at);
    if ic.first_fragment() {
        let l4 = &mut buf[rest..end];
        if ic.protocol == PROTO_ICMPV6 {
            inner_icmp(l4, &inner, inner_payload)?;
        } else {
            let old = sum_addrs6(&inner.src, &inner.dst);
            let new = sum_addrs4(&inner_src4, &inner_dst4);
            update_inner_transport_checksum(l4, ic.protocol, old, new);
        }
    }
    let inner_total = (IPV4_HEADER_LEN + inner_payload).min(usize::from(u16::MAX));
    let (inner_id, inner_flags) = match ic.fragment {
        Some(f) => (f.identification as u16, u16::from(f.m) << 13 | f.offset),
        None if inner_total <= DF_THRESHOLD => (0, 0),
        None => (0, 0x4000),
    };
    let inner4_at = rest - IPV4_HEADER_LEN;
    write_ipv4_header(
        &mut buf[inner4_at..rest],
        tos(core, inner.traffic_class),
        inner_total as u16,
        inner_id,
        inner_flags,
        inner.hop_limit,
        protocol(ic.protocol),
        &inner_src4,
        &inner_dst4,
    );
    let new_start = inner4_at - ICMP_HEADER_LEN - IPV4_HEADER_LEN;
    let len = (end - new_start).min(ICMPV4_ERROR_MAX);
    let icmp4 = &mut buf[new_start + IPV4_HEADER_LEN..new_start + len];
    icmp4[..4].copy_from_slice(&[icmp_type, code, 0, 0]);
    wr32(icmp4, 4, word);
    let c = checksum::checksum(icmp4);
    wr16(icmp4, 2, c);
    let id = core.ipv4_id();
    write_ipv4_header(
        &mut buf[new_start..new_start + IPV4_HEADER_LEN],
        tos(core, h.traffic_class),
        len as u16,
        id,
        0,
        ttl,
        PROTO_ICMP,
        &src4,
        &dst4,
    );
    hairpin(core, buf, new_start, len, &h.dst, dst4)
}

/// The inner packet of an ICMPv6 error is an echo: translated like an
/// outer one when its header is there; an error inside an error is refused.
fn inner_icmp(icmp: &mut [u8], inner: &Ipv6Header, len: usize) -> Result<(), XlatDropped> {
    if icmp.len() < 4 {
        return Ok(());
    }
    let new_type = match icmp[0] {
        128 => 8,
        129 => 0,
        _ => return Err(XlatDropped::UntranslatableIcmp),
    };
    let pseudo = checksum::pseudo_header_v6(inner.src, inner.dst, PROTO_ICMPV6, len as u32);
    translate_echo_header(icmp, new_type, pseudo, false);
    Ok(())
}
