//! Downstream packets larger than a session's MTU (RFC 4638 lets the TUN
//! device carry 1500-byte packets while a session may still be limited to
//! 1492): the decision, the ICMPv4 Fragmentation Needed answer (RFC 792,
//! next-hop MTU of RFC 1191) and its rate limit.

use std::net::Ipv4Addr;

use sansio_primitives::{RateLimit, RateLimiter, checksum};

use crate::bng::datapath::TunWrite;
use crate::bng::engine::Stats;

/// What to do with a downstream IPv4 packet for a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// It fits the session's MTU: send it.
    Fits,
    /// Too big, Don't Fragment set: drop it and answer Fragmentation Needed.
    TooBigDf,
    /// Too big, fragmentable: [`fragment`] it.
    TooBig,
}

/// Whether the IPv4 `packet` fits a session of MTU `mtu`.
pub fn fit(packet: &[u8], mtu: u16) -> Fit {
    if packet.len() <= usize::from(mtu) {
        Fit::Fits
    } else if packet.get(6).is_some_and(|f| f & 0x40 != 0) {
        Fit::TooBigDf
    } else {
        Fit::TooBig
    }
}

/// Answers the downstream IPv4 `packet` (DF set, larger than the
/// session's `mtu`) with Fragmentation Needed from `local` into the TUN
/// device, within the bng's ICMP rate limit `limit`, counting it in
/// `stats` (the event loop's and the workers' alike).
pub(crate) fn answer_frag_needed(
    packet: &[u8],
    local: Ipv4Addr,
    mtu: u16,
    limit: &mut RateLimiter,
    now: sansio_primitives::Instant,
    tun: &impl TunWrite,
    stats: &mut Stats,
) {
    let Some(icmp) = frag_needed(packet, local, mtu) else {
        return;
    };
    if !limit.allow(now) {
        stats.icmp_rate_limited += 1;
    } else if tun.send_bare(&icmp).is_ok() {
        stats.frag_needed_sent += 1;
    } else {
        stats.tun_errors += 1;
    }
}

/// [`fragment`], each fragment placed behind `headroom` free octets as a
/// TUN read is (so it can take the downstream path again): the buffers
/// and each fragment's length.
pub(crate) fn fragments_behind(
    packet: &[u8],
    mtu: u16,
    headroom: usize,
) -> Option<impl Iterator<Item = (Vec<u8>, usize)>> {
    Some(fragment(packet, mtu)?.into_iter().map(move |f| {
        let mut b = vec![0u8; headroom + f.len()];
        b[headroom..].copy_from_slice(&f);
        (b, f.len())
    }))
}

/// The ICMPv4 Destination Unreachable / Fragmentation Needed (type 3,
/// code 4) answer to `original`, from `from`, carrying the next-hop `mtu`
/// and quoting the original IP header plus its first 8 data bytes.
/// `None` when no ICMP error may be sent (RFC 1122 §3.2.2): a malformed
/// packet, a non-first fragment, a non-unicast source, or an ICMP error.
pub fn frag_needed(original: &[u8], from: Ipv4Addr, mtu: u16) -> Option<Vec<u8>> {
    let ihl = usize::from(original.first()? & 0x0f) * 4;
    if original[0] >> 4 != 4 || ihl < 20 || original.len() < ihl {
        return None;
    }
    let fragment_offset = u16::from_be_bytes([original[6], original[7]]) & 0x1fff;
    let src = Ipv4Addr::new(original[12], original[13], original[14], original[15]);
    // RFC 1812 §4.3.2.7: no error to a source that is not one host:
    // 0/8 ("this network"), loopback, multicast, class E and broadcast.
    if fragment_offset != 0
        || src.octets()[0] == 0
        || src.octets()[0] >= 240
        || src.is_multicast()
        || src.is_loopback()
    {
        return None;
    }
    // ICMP errors (other than to Echo, Timestamp, ... queries) get none.
    if original[9] == 1
        && original
            .get(ihl)
            .is_some_and(|t| matches!(t, 3 | 4 | 5 | 11 | 12))
    {
        return None;
    }
    let quote = &original[..original.len().min(ihl + 8)];
    let total = 20 + 8 + quote.len();
    let mut p = vec![0u8; total];
    p[0] = 0x45;
    p[2..4].copy_from_slice(&(total as u16).to_be_bytes());
    p[8] = 64;
    p[9] = 1;
    p[12..16].copy_from_slice(&from.octets());
    p[16..20].copy_from_slice(&src.octets());
    let header_sum = checksum::checksum(&p[..20]);
    p[10..12].copy_from_slice(&header_sum.to_be_bytes());
    p[20] = 3;
    p[21] = 4;
    p[26..28].copy_from_slice(&mtu.to_be_bytes());
    p[28..].copy_from_slice(quote);
    let icmp_sum = checksum::checksum(&p[20..]);
    p[22..24].copy_from_slice(&icmp_sum.to_be_bytes());
    Some(p)
}

/// RFC 791 fragmentation of an IPv4 packet without Don't Fragment into
/// pieces of at most `mtu` bytes (RFC 1812 §4.2.2.7: a router must
/// fragment). `None` when it is not done here: a malformed packet, one with
/// IP options (only options with the copied flag may be repeated in every
/// fragment; packets with options are rare enough to drop and count), or
/// an MTU too small for 8 data bytes.
pub fn fragment(packet: &[u8], mtu: u16) -> Option<Vec<Vec<u8>>> {
    if packet.len() < 20 || packet[0] != 0x45 {
        return None;
    }
    let total = usize::from(u16::from_be_bytes([packet[2], packet[3]]));
    if total < 20 || total > packet.len() {
        return None;
    }
    let flags_offset = u16::from_be_bytes([packet[6], packet[7]]);
    if flags_offset & 0x4000 != 0 {
        return None; // Don't Fragment
    }
    let more_after = flags_offset & 0x2000 != 0;
    let offset = flags_offset & 0x1fff;
    // Data per fragment: a multiple of 8 bytes.
    let chunk = (usize::from(mtu).checked_sub(20)? / 8) * 8;
    if chunk == 0 {
        return None;
    }
    let data = &packet[20..total];
    let count = data.len().div_ceil(chunk);
    let mut fragments = Vec::with_capacity(count);
    for (i, piece) in data.chunks(chunk).enumerate() {
        let mut f = Vec::with_capacity(20 + piece.len());
        f.extend_from_slice(&packet[..20]);
        f.extend_from_slice(piece);
        let len = u16::try_from(f.len()).ok()?;
        f[2..4].copy_from_slice(&len.to_be_bytes());
        // The original's offset (it may itself be a fragment) plus ours;
        // a 16-bit total length keeps it within 13 bits.
        let off = offset + u16::try_from(i * chunk / 8).ok()?;
        let more = i + 1 < count || more_after;
        let field = if more { 0x2000 } else { 0 } | off;
        f[6..8].copy_from_slice(&field.to_be_bytes());
        f[10..12].copy_from_slice(&[0, 0]);
        let sum = checksum::checksum(&f[..20]);
        f[10..12].copy_from_slice(&sum.to_be_bytes());
        fragments.push(f);
    }
    Some(fragments)
}

/// The rate limit of the ICMP errors the bng sends: 10 per second, bursts
/// of 10 (RFC 1812 §4.3.2.8 asks routers to limit them).
pub const ICMP_LIMIT: RateLimit = RateLimit {
    per_second: 10,
    burst: 10,
};

#[cfg(test)]
mod tests {
    use super::*;
    use sansio_primitives::{Duration, RateLimiter};

    /// A 1500-byte UDP packet 203.0.113.5 → 198.51.100.10.
    fn big(df: bool) -> Vec<u8> {
        let mut p = vec![0u8; 1500];
        p[0] = 0x45;
        p[2..4].copy_from_slice(&1500u16.to_be_bytes());
        p[6] = if df { 0x40 } else { 0 };
        p[8] = 63;
        p[9] = 17;
        p[12..16].copy_from_slice(&[203, 0, 113, 5]);
        p[16..20].copy_from_slice(&[198, 51, 100, 10]);
        let s = checksum::checksum(&p[..20]);
        p[10..12].copy_from_slice(&s.to_be_bytes());
        for (i, b) in p[20..].iter_mut().enumerate() {
            *b = i as u8;
        }
        p
    }

    #[test]
    fn the_session_mtu_decides() {
        assert_eq!(fit(&big(true), 1500), Fit::Fits);
        assert_eq!(fit(&big(true), 1492), Fit::TooBigDf);
        assert_eq!(fit(&big(false), 1492), Fit::TooBig);
        assert_eq!(fit(&big(false)[..1492], 1492), Fit::Fits);
        assert_eq!(fit(&[0x45], 0), Fit::TooBig);
    }

    #[test]
    fn fragmentation_needed_quotes_the_header_and_8_bytes() {
        let orig = big(true);
        let local = Ipv4Addr::new(198, 51, 100, 1);
        let p = frag_needed(&orig, local, 1492).unwrap();
        assert_eq!(p.len(), 20 + 8 + 28);
        assert_eq!(u16::from_be_bytes([p[2], p[3]]), 56);
        assert_eq!(
            (p[9], &p[12..16], &p[16..20]),
            (1, &[198, 51, 100, 1][..], &[203, 0, 113, 5][..])
        );
        assert!(checksum::verify(&p[..20]));
        assert!(checksum::verify(&p[20..]));
        assert_eq!((p[20], p[21]), (3, 4));
        assert_eq!(u16::from_be_bytes([p[26], p[27]]), 1492);
        assert_eq!(p[28..], orig[..28]);
    }

    #[test]
    fn no_answer_where_rfc_1122_forbids_one() {
        let local = Ipv4Addr::new(198, 51, 100, 1);
        let mut frag = big(true);
        frag[7] = 1;
        assert!(frag_needed(&frag, local, 1492).is_none());
        let mut mcast = big(true);
        mcast[12] = 224;
        assert!(frag_needed(&mcast, local, 1492).is_none());
        let mut icmp_error = big(true);
        icmp_error[9] = 1;
        icmp_error[20] = 3;
        assert!(frag_needed(&icmp_error, local, 1492).is_none());
        icmp_error[20] = 8; // an Echo Request is answered
        assert!(frag_needed(&icmp_error, local, 1492).is_some());
        assert!(frag_needed(&[], local, 1492).is_none());
        assert!(frag_needed(&[0x46; 20], local, 1492).is_none());
        // A short packet quotes what there is.
        assert_eq!(
            frag_needed(&big(true)[..24], local, 1492).unwrap().len(),
            52
        );
    }

    #[test]
    fn icmp_errors_are_rate_limited() {
        let t = sansio_primitives::Instant::from_secs(1);
        let mut l = RateLimiter::new(ICMP_LIMIT, t);
        assert_eq!((0..50).filter(|_| l.allow(t)).count(), 10);
        assert!(!l.allow(t + Duration::from_millis(50)));
        assert!(l.allow(t + Duration::from_millis(100)));
        let later = t + Duration::from_secs(60);
        assert_eq!((0..50).filter(|_| l.allow(later)).count(), 10);
    }

    #[test]
    fn fragments_reassemble_to_the_original() {
        let original = big(false);
        let frags = fragment(&original, 1492).unwrap();
        assert_eq!(frags.len(), 2);
        let mut data = Vec::new();
        for (i, f) in frags.iter().enumerate() {
            assert!(f.len() <= 1492);
            assert!(checksum::verify(&f[..20]), "header checksum");
            let field = u16::from_be_bytes([f[6], f[7]]);
            assert_eq!(field & 0x2000 != 0, i == 0, "MF on all but the last");
            assert_eq!(usize::from(field & 0x1fff) * 8, data.len(), "offset");
            assert_eq!(usize::from(u16::from_be_bytes([f[2], f[3]])), f.len());
            assert_eq!(f[12..20], original[12..20]);
            data.extend_from_slice(&f[20..]);
        }
        assert_eq!(data, original[20..]);
        // Data per fragment is a multiple of 8: 1472 of 1480.
        assert_eq!(frags[0].len(), 20 + 1472);
        // Not done: Don't Fragment, IP options, malformed, tiny MTU.
        assert!(fragment(&big(true), 1492).is_none());
        let mut options = big(false);
        options[0] = 0x46;
        assert!(fragment(&options, 1492).is_none());
        assert!(fragment(&original[..10], 1492).is_none());
        assert!(fragment(&original, 27).is_none());
        // A fragment of a fragment keeps MF and adds to the offset.
        let mut middle = big(false);
        middle[6..8].copy_from_slice(&(0x2000u16 | 100).to_be_bytes());
        let frags = fragment(&middle, 1000).unwrap();
        let last = frags.last().unwrap();
        let field = u16::from_be_bytes([last[6], last[7]]);
        assert!(field & 0x2000 != 0);
        assert_eq!(field & 0x1fff, 100 + (frags.len() as u16 - 1) * (976 / 8));
    }

    #[test]
    fn the_icmp_limit_refills_under_steady_calls() {
        // A call every 100 µs for 10 s: the burst plus 10 per second.
        let start = sansio_primitives::Instant::ZERO;
        let mut limit = RateLimiter::new(ICMP_LIMIT, start);
        let allowed = (0..100_000u64)
            .filter(|i| limit.allow(start + Duration::from_micros(i * 100)))
            .count();
        // 10 at once, then at 0.1 s, 0.2 s, … 9.9 s.
        assert_eq!(allowed, 10 + 99);
    }

    #[test]
    fn no_error_to_this_network_or_class_e_sources() {
        for src in [[0, 1, 2, 3], [240, 0, 0, 1], [255, 255, 255, 255]] {
            let mut p = big(true);
            p[12..16].copy_from_slice(&src);
            assert!(frag_needed(&p, Ipv4Addr::new(192, 0, 2, 1), 1492).is_none());
        }
    }
}
