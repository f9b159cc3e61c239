//! Downstream packets larger than a session's MTU (RFC 4638 lets the TUN
//! device carry 1500-byte packets while a session may still be limited to
//! 1492): the decision, the ICMPv4 Fragmentation Needed answer (RFC 792,
//! next-hop MTU of RFC 1191) and its rate limit.

use std::net::Ipv4Addr;
use std::time::Instant;

use proto_core::checksum;

/// What to do with a downstream IPv4 packet for a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// It fits the session's MTU: send it.
    Fits,
    /// Too big, Don't Fragment set: drop it and answer Fragmentation Needed.
    TooBigDf,
    /// Too big, fragmentable: drop it (fragmentation is not implemented).
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
    if fragment_offset != 0
        || src.is_unspecified()
        || src.is_broadcast()
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

/// A token bucket for the ICMP errors the bng sends: [`RATE`] per second,
/// bursts of [`BURST`] (RFC 1812 §4.3.2.8 asks routers to limit them).
#[derive(Debug, Default)]
pub struct IcmpLimit {
    /// Thousandths of a token.
    milli: u64,
    last: Option<Instant>,
}

/// ICMP errors per second.
pub const RATE: u64 = 10;
/// Most ICMP errors at once.
pub const BURST: u64 = 10;

impl IcmpLimit {
    /// Whether one more ICMP error may go at `now` (and takes its token).
    pub fn allow(&mut self, now: Instant) -> bool {
        let full = BURST * 1000;
        self.milli = match self.last {
            None => full,
            Some(l) => {
                let ms =
                    u64::try_from(now.saturating_duration_since(l).as_millis()).unwrap_or(u64::MAX);
                self.milli.saturating_add(ms.saturating_mul(RATE)).min(full)
            }
        };
        self.last = Some(now);
        if self.milli >= 1000 {
            self.milli -= 1000;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

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
        let t = Instant::now();
        let mut l = IcmpLimit::default();
        assert_eq!((0..50).filter(|_| l.allow(t)).count(), BURST as usize);
        assert!(!l.allow(t + Duration::from_millis(50)));
        assert!(l.allow(t + Duration::from_millis(100)));
        let later = t + Duration::from_secs(60);
        assert_eq!((0..50).filter(|_| l.allow(later)).count(), BURST as usize);
    }
}
