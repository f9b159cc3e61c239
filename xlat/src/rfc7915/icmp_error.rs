//! ICMP errors the translator sends itself, built in place in front of
//! the packet in error: ICMPv4 Time Exceeded / source route failed (§4.1)
//! and ICMPv6 Time Exceeded / Parameter Problem (§5.1).
//!
//! None is sent about an ICMP error, a non-first fragment, or a packet
//! from an unspecified or multicast source or to a multicast destination
//! (RFC 1812 §4.3.2.7, RFC 4443 §2.4 (e)); nor when no source address is
//! configured for them. Then the packet is dropped with `reason`.

use sansio_primitives::checksum;

use super::common::*;
use crate::siit::{Core, HEADROOM, ICMPV4_ERROR_MAX, IPV6_MIN_MTU, XlatDropped, XlatOutput};

/// What the error is about, read before anything is written.
pub(crate) struct Offender {
    /// The offending packet's source: the error's destination.
    pub(crate) src: [u8; 16],
    /// Whether the error may be sent at all (see the module doc).
    pub(crate) may_answer: bool,
}

/// Sends ICMPv4 `icmp_type`/`code` (rest of header zero) back to the
/// source of the IPv4 packet `buf[start..start + len]`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn icmpv4(
    core: &Core,
    buf: &mut [u8],
    start: usize,
    len: usize,
    to: &Offender,
    icmp_type: u8,
    code: u8,
    reason: XlatDropped,
) -> Result<XlatOutput, XlatDropped> {
    let Some(source) = core.config.icmp_error_source_v4 else {
        return Err(reason);
    };
    if !to.may_answer {
        return Err(reason);
    }
    const HDRS: usize = IPV4_HEADER_LEN + ICMP_HEADER_LEN;
    let keep = len.min(ICMPV4_ERROR_MAX - HDRS);
    let new_start = start - HDRS;
    let total = HDRS + keep;
    let out = &mut buf[new_start..new_start + total];
    let ip = &mut out[..IPV4_HEADER_LEN];
    ip.copy_from_slice(&[
        0x45, 0, 0, 0, 0, 0, 0, 0, 64, PROTO_ICMP, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    wr16(ip, 2, total as u16);
    ip[12..16].copy_from_slice(&source.octets());
    ip[16..20].copy_from_slice(&to.src[..4]);
    let c = checksum::checksum(ip);
    wr16(ip, 10, c);
    let icmp = &mut out[IPV4_HEADER_LEN..];
    icmp[..8].copy_from_slice(&[icmp_type, code, 0, 0, 0, 0, 0, 0]);
    let c = checksum::checksum(icmp);
    wr16(icmp, 2, c);
    Ok(XlatOutput::IcmpError {
        start: new_start,
        len: total,
    })
}

/// Sends ICMPv6 `icmp_type`/`code` (rest-of-header `word`) back to the
/// source of the IPv6 packet `buf[start..start + len]`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn icmpv6(
    core: &Core,
    buf: &mut [u8],
    start: usize,
    len: usize,
    to: &Offender,
    icmp_type: u8,
    code: u8,
    word: u32,
    reason: XlatDropped,
) -> Result<XlatOutput, XlatDropped> {
    let Some(source) = core.config.icmp_error_source_v6 else {
        return Err(reason);
    };
    if !to.may_answer {
        return Err(reason);
    }
    const HDRS: usize = IPV6_HEADER_LEN + ICMP_HEADER_LEN;
    const _: () = assert!(HDRS <= HEADROOM);
    let keep = len.min(usize::from(IPV6_MIN_MTU) - HDRS);
    let new_start = start - HDRS;
    let total = HDRS + keep;
    let out = &mut buf[new_start..new_start + total];
    let src = source.octets();
    let ip = &mut out[..IPV6_HEADER_LEN];
    ip[..8].copy_from_slice(&[0x60, 0, 0, 0, 0, 0, PROTO_ICMPV6, 64]);
    wr16(ip, 4, (total - IPV6_HEADER_LEN) as u16);
    ip[8..24].copy_from_slice(&src);
    ip[24..40].copy_from_slice(&to.src);
    let icmp = &mut out[IPV6_HEADER_LEN..];
    icmp[..4].copy_from_slice(&[icmp_type, code, 0, 0]);
    wr32(icmp, 4, word);
    let pseudo = checksum::pseudo_header_v6(src, to.src, PROTO_ICMPV6, icmp.len() as u32);
    let c = checksum::finish(checksum::add(pseudo, checksum::sum(icmp)));
    wr16(icmp, 2, c);
    Ok(XlatOutput::IcmpError {
        start: new_start,
        len: total,
    })
}
