//! ICMPv6 Packet Too Big (RFC 4443 §3.2, RFC 8200 §5, RFC 8201): a
//! downstream IPv6 packet larger than its session's MTU is never
//! fragmented on the way, so the bng drops it and tells the sender the
//! session's MTU. The answer quotes as much of the packet as fits in 1280
//! octets, is rate limited (RFC 4443 §2.4(f)), and is never sent to a
//! multicast, unspecified, loopback or link-local source, nor about an
//! ICMPv6 error or Redirect (§2.4(e)).
//!
//! Its source is `ipv6.icmp_source` when set, else the address the kernel
//! would choose to reach the sender (RFC 6724, asked with a connected UDP
//! socket that never sends): an address of this host the sender can reach,
//! typically the uplink's.
//!
//! With TUN offloads a TCP super-packet is cut at the kernel's segment
//! size before it gets here ([`crate::bng::offload`]), so only a segment
//! (a real packet) larger than the session's MTU is answered, never the
//! super-packet's total length.

use std::net::{Ipv6Addr, SocketAddrV6, UdpSocket};

use sansio_primitives::{RateLimiter, checksum};

use super::packet::{self, ICMPV6};
use crate::bng::datapath::TunWrite;
use crate::bng::engine::{Bng, Stats};
use crate::bng::mtu::ICMP_LIMIT;

/// ICMPv6 Packet Too Big.
const PACKET_TOO_BIG: u8 = 2;
/// ICMPv6 Redirect (§2.4(e.2): no error about one).
const REDIRECT: u8 = 137;
/// The IPv6 minimum MTU: the error with its quote fits in it.
const MIN_MTU: usize = 1280;

/// The Packet Too Big sender's state.
#[derive(Debug)]
pub struct PacketTooBig {
    /// RFC 4443 §2.4(f).
    limit: RateLimiter,
    /// `ipv6.icmp_source`.
    source: Option<Ipv6Addr>,
    /// Asks the kernel for the source toward a sender (unset `source`).
    probe: Option<UdpSocket>,
    /// Warned once that no source could be found.
    warned: bool,
}

impl PacketTooBig {
    /// With source `source`, else the kernel's choice toward each sender.
    pub fn new(source: Option<Ipv6Addr>, now: sansio_primitives::Instant) -> PacketTooBig {
        let probe = match source {
            Some(_) => None,
            None => UdpSocket::bind("[::]:0")
                .inspect_err(|e| tracing::warn!("no IPv6 source probe ({e})"))
                .ok(),
        };
        PacketTooBig {
            limit: RateLimiter::new(ICMP_LIMIT, now),
            source,
            probe,
            warned: false,
        }
    }

    /// The source for an error to `to`: global unicast only.
    fn source_for(&mut self, to: Ipv6Addr) -> Option<Ipv6Addr> {
        let s = self.source.or_else(|| {
            let p = self.probe.as_ref()?;
            p.connect(SocketAddrV6::new(to, 9, 0, 0)).ok()?;
            match p.local_addr().ok()? {
                std::net::SocketAddr::V6(a) => Some(*a.ip()),
                std::net::SocketAddr::V4(_) => None,
            }
        });
        let s = s.filter(|a| answerable(*a));
        if s.is_none() && !self.warned {
            self.warned = true;
            tracing::warn!(
                "no global IPv6 address toward {to}: no ICMPv6 Packet Too Big (set ipv6.icmp_source)"
            );
        }
        s
    }
}

/// Whether an ICMPv6 error may go to (or come from) `a`.
fn answerable(a: Ipv6Addr) -> bool {
    !(a.is_unspecified() || a.is_multicast() || a.is_loopback() || a.is_unicast_link_local())
}

/// The upper-layer protocol of `p` and where it starts, past the
/// extension headers; `None` when it cannot be known (a non-first
/// fragment, ESP, a header cut short).
fn upper_layer(p: &[u8]) -> Option<(u8, usize)> {
    let (mut next, mut at) = (*p.get(6)?, 40);
    // Each extension header takes at least 8 octets of a bounded packet;
    // a bound on the count keeps the walk short anyway.
    for _ in 0..16 {
        let len = match next {
            // Hop-by-Hop, Routing, Destination Options: (Hdr Ext Len + 1) × 8.
            0 | 43 | 60 => (usize::from(*p.get(at + 1)?) + 1) * 8,
            // Fragment: only the first fragment carries the upper layer.
            44 => {
                let off = u16::from_be_bytes([*p.get(at + 2)?, *p.get(at + 3)?]) >> 3;
                if off != 0 {
                    return None;
                }
                8
            }
            // AH: (Payload Len + 2) × 4.
            51 => (usize::from(*p.get(at + 1)?) + 2) * 4,
            _ => return Some((next, at)),
        };
        next = *p.get(at)?;
        at += len;
    }
    None
}

/// The Packet Too Big answer from `from` to the sender of `original` (a
/// whole IPv6 packet), carrying `mtu`. `None` where RFC 4443 §2.4(e)
/// forbids one: a malformed packet, a source that is not one host's
/// routable address, an ICMPv6 error or Redirect.
pub fn packet_too_big(original: &[u8], from: Ipv6Addr, mtu: u32) -> Option<Vec<u8>> {
    let h = packet::header(original)?;
    if !answerable(h.src) {
        return None;
    }
    if let Some((ICMPV6, at)) = upper_layer(original)
        && original.get(at).is_none_or(|&t| t < 128 || t == REDIRECT)
    {
        return None;
    }
    let quote = &original[..original.len().min(MIN_MTU - 40 - 8)];
    let mut icmp = Vec::with_capacity(8 + quote.len());
    icmp.extend_from_slice(&[PACKET_TOO_BIG, 0, 0, 0]);
    icmp.extend_from_slice(&mtu.to_be_bytes());
    icmp.extend_from_slice(quote);
    let sum = checksum::add(
        checksum::pseudo_header_v6(from.octets(), h.src.octets(), ICMPV6, icmp.len() as u32),
        checksum::sum(&icmp),
    );
    icmp[2..4].copy_from_slice(&checksum::finish(sum).to_be_bytes());
    Some(packet::ipv6(from, h.src, ICMPV6, 64, &icmp))
}

/// What to do about a downstream IPv6 packet too big for its session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PtbAnswer {
    /// No answer (RFC 4443 §2.4(e), an MTU below 1280, no source).
    Nothing,
    /// One was due, but the rate limit holds it back.
    RateLimited,
    /// This Packet Too Big goes into the TUN device.
    Send(Vec<u8>),
}

impl PacketTooBig {
    /// The answer to the downstream IPv6 `packet`, larger than its
    /// session's `mtu`, at `now`.
    pub fn answer(
        &mut self,
        packet: &[u8],
        mtu: u16,
        now: sansio_primitives::Instant,
    ) -> PtbAnswer {
        // Below the IPv6 minimum no sender goes (RFC 8200 §5): the answer
        // would not help.
        if usize::from(mtu) < MIN_MTU {
            return PtbAnswer::Nothing;
        }
        let Some(to) = packet::header(packet).map(|h| h.src) else {
            return PtbAnswer::Nothing;
        };
        let Some(from) = self.source_for(to) else {
            return PtbAnswer::Nothing;
        };
        let Some(answer) = packet_too_big(packet, from, u32::from(mtu)) else {
            return PtbAnswer::Nothing;
        };
        if self.limit.allow(now) {
            PtbAnswer::Send(answer)
        } else {
            PtbAnswer::RateLimited
        }
    }
}

impl PtbAnswer {
    /// Writes the answer (if one is due) into the TUN device, counting it
    /// in `stats` (the event loop's and the workers' alike).
    pub(crate) fn deliver(self, tun: &impl TunWrite, stats: &mut Stats) {
        match self {
            PtbAnswer::Nothing => {}
            PtbAnswer::RateLimited => stats.icmp_rate_limited += 1,
            PtbAnswer::Send(a) => match tun.send_bare(&a) {
                Ok(()) => stats.packet_too_big_sent += 1,
                Err(_) => stats.tun_errors += 1,
            },
        }
    }
}

impl Bng {
    /// The downstream IPv6 `packet` is larger than its session's `mtu`:
    /// the sender gets a Packet Too Big (within the rate limit). The
    /// caller drops the packet and counts it (`too_big`).
    pub(crate) fn too_big_v6(&mut self, packet: &[u8], mtu: u16) {
        let now = self.clock.now();
        let Some(ptb) = self.ptb.as_mut() else { return };
        ptb.answer(packet, mtu, now)
            .deliver(&self.tun, &mut self.stats);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FROM: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0xffff, 0, 0, 0, 0, 1);
    const SENDER: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0xffff, 0, 0, 0, 0, 2);
    const SUBSCRIBER: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0x100, 0, 0, 0, 0, 1);

    /// A 1500-octet UDP packet SENDER → SUBSCRIBER.
    fn big() -> Vec<u8> {
        let data: Vec<u8> = (0..1500 - 48).map(|i| i as u8).collect();
        let mut p = packet::udp(SENDER, SUBSCRIBER, 4000, 5000, &data);
        p[7] = 63;
        p
    }

    #[test]
    fn packet_too_big_carries_the_mtu_and_fits_1280() {
        let orig = big();
        let p = packet_too_big(&orig, FROM, 1492).unwrap();
        assert_eq!(p.len(), 1280);
        let h = packet::header(&p).unwrap();
        assert_eq!((h.src, h.dst, h.next), (FROM, SENDER, ICMPV6));
        assert_eq!(h.payload_len, 1240);
        assert_eq!((p[40], p[41]), (2, 0));
        assert_eq!(u32::from_be_bytes([p[44], p[45], p[46], p[47]]), 1492);
        assert_eq!(p[48..], orig[..1232]);
        let sum = checksum::add(
            checksum::pseudo_header_v6(FROM.octets(), SENDER.octets(), ICMPV6, 1240),
            checksum::sum(&p[40..]),
        );
        assert_eq!(checksum::finish(sum), 0, "checksum verifies");
        // A shorter original is quoted whole.
        let small = packet::udp(SENDER, SUBSCRIBER, 1, 2, &[7; 100]);
        assert_eq!(packet_too_big(&small, FROM, 1280).unwrap().len(), 48 + 148);
    }

    #[test]
    fn no_answer_where_rfc_4443_forbids_one() {
        for src in ["::", "ff02::1", "::1", "fe80::2"] {
            let mut p = big();
            p[8..24].copy_from_slice(&src.parse::<Ipv6Addr>().unwrap().octets());
            assert!(packet_too_big(&p, FROM, 1492).is_none(), "{src}");
        }
        // ICMPv6 errors (here a Destination Unreachable) and Redirects.
        let error = |t: u8| {
            let mut m = vec![t, 0, 0, 0, 0, 0, 0, 0];
            m.extend_from_slice(&[0; 1400]);
            packet::ipv6(SENDER, SUBSCRIBER, ICMPV6, 64, &m)
        };
        for t in [1, 2, 3, 4, 127, REDIRECT] {
            assert!(packet_too_big(&error(t), FROM, 1492).is_none(), "type {t}");
        }
        // An Echo Request is answered, also behind extension headers.
        assert!(packet_too_big(&error(128), FROM, 1492).is_some());
        let mut m = vec![ICMPV6, 0, 0, 0, 0, 0, 0, 0]; // Destination Options
        m.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0]);
        m.extend_from_slice(&[0; 1400]);
        let behind = packet::ipv6(SENDER, SUBSCRIBER, 60, 64, &m);
        assert!(packet_too_big(&behind, FROM, 1492).is_none());
        m[8] = 128;
        let behind = packet::ipv6(SENDER, SUBSCRIBER, 60, 64, &m);
        assert!(packet_too_big(&behind, FROM, 1492).is_some());
        // Malformed: shorter than its header says, not IPv6.
        assert!(packet_too_big(&big()[..100], FROM, 1492).is_none());
        assert!(packet_too_big(&[0x45; 60], FROM, 1492).is_none());
        assert!(packet_too_big(&[], FROM, 1492).is_none());
    }

    #[test]
    fn the_upper_layer_is_found_past_extension_headers() {
        let mut m = vec![44, 0, 0, 0, 0, 0, 0, 0]; // Hop-by-Hop → Fragment
        m.extend_from_slice(&[ICMPV6, 0, 0, 0, 0, 0, 0, 1]); // offset 0, M
        m.extend_from_slice(&[1, 0, 0, 0]);
        let first = packet::ipv6(SENDER, SUBSCRIBER, 0, 64, &m);
        assert_eq!(upper_layer(&first), Some((ICMPV6, 56)));
        // A non-first fragment: unknown (and so answered).
        m[10] = 1;
        let later = packet::ipv6(SENDER, SUBSCRIBER, 0, 64, &m);
        assert_eq!(upper_layer(&later), None);
        // A header running past the packet.
        let cut = packet::ipv6(SENDER, SUBSCRIBER, 60, 64, &[17, 9]);
        assert_eq!(upper_layer(&cut), Some((17, 8 * 10 + 40)));
        assert!(packet_too_big(&cut, FROM, 1492).is_some());
    }

    #[test]
    fn the_configured_source_is_used_and_must_be_global() {
        let t = sansio_primitives::Instant::ZERO;
        let mut p = PacketTooBig::new(Some(FROM), t);
        assert_eq!(p.source_for(SENDER), Some(FROM));
        let mut p = PacketTooBig::new(Some("fe80::1".parse().unwrap()), t);
        assert_eq!(p.source_for(SENDER), None);
    }
}
