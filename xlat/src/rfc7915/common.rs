//! What both directions share: protocol numbers, byte access, the
//! transport checksum updates.

use sansio_primitives::checksum;

use crate::siit::{XlatDropped, XlatWireError};

pub(crate) const PROTO_HOP_BY_HOP: u8 = 0;
pub(crate) const PROTO_ICMP: u8 = 1;
pub(crate) const PROTO_TCP: u8 = 6;
pub(crate) const PROTO_UDP: u8 = 17;
pub(crate) const PROTO_ROUTING: u8 = 43;
pub(crate) const PROTO_FRAGMENT: u8 = 44;
pub(crate) const PROTO_ICMPV6: u8 = 58;
pub(crate) const PROTO_DEST_OPTS: u8 = 60;

pub(crate) const IPV4_HEADER_LEN: usize = 20;
pub(crate) const IPV6_HEADER_LEN: usize = 40;
pub(crate) const FRAGMENT_HEADER_LEN: usize = 8;
pub(crate) const ICMP_HEADER_LEN: usize = 8;

#[inline]
pub(crate) fn rd16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

#[inline]
pub(crate) fn rd32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

#[inline]
pub(crate) fn wr16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_be_bytes());
}

#[inline]
pub(crate) fn wr32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

pub(crate) fn truncated(field: &'static str) -> XlatDropped {
    XlatDropped::Malformed(XlatWireError::Truncated { field })
}

pub(crate) fn bad_value(field: &'static str) -> XlatDropped {
    XlatDropped::Malformed(XlatWireError::BadValue { field })
}

pub(crate) fn bad_checksum(field: &'static str) -> XlatDropped {
    XlatDropped::Malformed(XlatWireError::BadChecksum { field })
}

/// Where a TCP or UDP header keeps its checksum.
#[inline]
pub(crate) fn transport_checksum_at(protocol: u8) -> Option<usize> {
    match protocol {
        PROTO_TCP => Some(16),
        PROTO_UDP => Some(6),
        _ => None,
    }
}

/// Folds a wide one's-complement accumulator to 16 bits.
#[inline]
fn fold(mut acc: u64) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u16
}

/// The one's-complement sum of two IPv4 addresses (a pseudo-header's
/// address part), without a loop.
#[inline]
pub(crate) fn sum_addrs4(a: &[u8; 4], b: &[u8; 4]) -> u16 {
    fold(u64::from(u32::from_be_bytes(*a)) + u64::from(u32::from_be_bytes(*b)))
}

/// The one's-complement sum of two IPv6 addresses, 32 bits at a time.
#[inline]
pub(crate) fn sum_addrs6(a: &[u8; 16], b: &[u8; 16]) -> u16 {
    let words = |x: u128| {
        u64::from((x >> 96) as u32)
            + u64::from((x >> 64) as u32)
            + u64::from((x >> 32) as u32)
            + u64::from(x as u32)
    };
    fold(words(u128::from_be_bytes(*a)) + words(u128::from_be_bytes(*b)))
}

/// The IPv4 header checksum of a 20-byte header from its fields, without
/// reading the bytes back.
#[inline]
pub(crate) fn ipv4_header_checksum(words: [u16; 5], src: &[u8; 4], dst: &[u8; 4]) -> u16 {
    let acc: u64 = words.iter().map(|&w| u64::from(w)).sum::<u64>()
        + u64::from(u32::from_be_bytes(*src))
        + u64::from(u32::from_be_bytes(*dst));
    !fold(acc)
}

/// RFC 1624 update of a TCP/UDP checksum whose pseudo-header addresses
/// changed from those summing to `old` to those summing to `new` (lengths
/// and protocol number are equal in both pseudo-headers, so only the
/// addresses matter): `checksum::update` with the sums as the changed
/// word. UDP's zero means "no checksum", so a computed zero is sent as all
/// ones (RFC 768).
#[inline]
pub(crate) fn update_transport_checksum(
    l4: &mut [u8],
    protocol: u8,
    old: u16,
    new: u16,
) -> Result<(), XlatDropped> {
    let Some(at) = transport_checksum_at(protocol) else {
        return Ok(());
    };
    if l4.len() < at + 2 {
        return Err(truncated(if protocol == PROTO_TCP {
            "TCP header"
        } else {
            "UDP header"
        }));
    }
    let cs = rd16(l4, at);
    if protocol == PROTO_UDP && cs == 0 {
        // Handled by the caller (§4.5) or kept (IPv6 → IPv4: zero is legal).
        return Ok(());
    }
    let mut c = checksum::update(cs, old, new);
    if protocol == PROTO_UDP && c == 0 {
        c = 0xffff;
    }
    wr16(l4, at, c);
    Ok(())
}

/// The same update on an ICMP error's inner transport header, which may be
/// cut short: a checksum field the error does not carry is left alone.
#[inline]
pub(crate) fn update_inner_transport_checksum(l4: &mut [u8], protocol: u8, old: u16, new: u16) {
    if let Some(at) = transport_checksum_at(protocol)
        && l4.len() >= at + 2
    {
        let _ = update_transport_checksum(l4, protocol, old, new);
    }
}

/// Rewrites an ICMP echo header's type (code stays 0) and moves its
/// checksum from one family to the other: the type word changes, and the
/// ICMPv6 pseudo-header sum `pseudo` is added (`add_pseudo`) or removed.
#[inline]
pub(crate) fn translate_echo_header(icmp: &mut [u8], new_type: u8, pseudo: u16, add_pseudo: bool) {
    let old_word = rd16(icmp, 0);
    let new_word = u16::from(new_type) << 8 | u16::from(icmp[1]);
    let c = checksum::update(rd16(icmp, 2), old_word, new_word);
    let part = if add_pseudo { pseudo } else { !pseudo };
    let c = checksum::finish(checksum::add(!c, part));
    icmp[0] = new_type;
    wr16(icmp, 2, c);
}
