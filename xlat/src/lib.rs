//! Stateless IP/ICMP translation (SIIT, RFC 7915), in place on the
//! caller's buffer, with RFC 6052 address embedding and an Explicit
//! Address Mapping Table (RFC 7757).
//!
//! # What is implemented
//!
//! - **RFC 7915 §4 (IPv4 → IPv6) and §5 (IPv6 → IPv4)** headers: TOS ↔
//!   Traffic Class (or reset, as Jool's `reset-traffic-class` /
//!   `reset-tos`), flow label 0, TTL / Hop Limit decremented, IPv4 options
//!   dropped, IPv6 Hop-by-Hop, Routing and Destination Options headers
//!   skipped, protocol 1 ↔ next header 58.
//! - **Fragments** both ways: IPv4 MF/offset/Identification ↔ the IPv6
//!   Fragment header; DF-less IPv4 packets too big for `lowest_ipv6_mtu`
//!   translated into IPv6 fragments (§4). Unfragmented IPv6 → IPv4: DF clear and a generated
//!   Identification up to 1260 bytes, DF set and Identification 0 above.
//! - **Errors the translator sends itself**, in place in front of the
//!   packet, to its source: ICMPv4 Time Exceeded (TTL ≤ 1) and Destination
//!   Unreachable / source route failed (an unexpired LSRR/SSRR); ICMPv6
//!   Time Exceeded (Hop Limit ≤ 1) and Parameter Problem pointing at
//!   Segments Left (a Routing header with Segments Left ≠ 0). Never about
//!   an ICMP error, a non-first fragment or a multicast packet; only when
//!   a source address for them is configured.
//! - **ICMP ↔ ICMPv6** (§4.2, §5.2): echo request/reply; Destination
//!   Unreachable codes; Time Exceeded; Parameter Problem with the
//!   Figure 3 / Figure 6 pointer maps; Fragmentation Needed ↔ Packet Too
//!   Big with the MTU ± 20 (± 28 when the packet in error carries a
//!   Fragment header), at least 1280 towards IPv6, RFC 1191 plateaus for a
//!   zero MTU (as Jool); every other type dropped. ICMP errors: the inner
//!   packet's headers translated too (addresses, inner TCP/UDP checksum,
//!   inner echo), the result cut to 1280 / 576 bytes, the checksum verified
//!   on input and computed on output.
//! - **Checksums**: TCP/UDP/ICMP echo updated incrementally (RFC 1624,
//!   pseudo-header changes folded in, `sansio_primitives::checksum::update*`);
//!   IPv4 UDP with a zero checksum computed (when unfragmented and
//!   `amend_udp_checksum_zero`) or dropped (§4.5).
//! - **Addresses** as Jool's SIIT: the EAMT first ([`eamt`], RFC 7757:
//!   IPv4 ↔ IPv6 prefixes, longest match on the looked-up side, the §3.2
//!   suffix rule, Appendix A's examples as tests), then RFC 6052 prefixes
//!   of every length (pool6, a [`Nat64Prefix`] of the shared `rfc6052` crate) with Jool's implicit denylist (0/8,
//!   127/8, 169.254/16, 224/3). Hairpinning (RFC 7757 §4.2, Jool's
//!   "intrinsic" mode): an IPv6 packet sent to the pool6 form of an
//!   address that has an EAM goes back out as IPv6 at once, its source
//!   translated by pool6 (not its EAM) so that replies come back to the
//!   address it was sent from; ICMP errors about hairpinned packets
//!   likewise. A packet sent to the EAM's own IPv6 address is not a
//!   hairpin. RFC 6791: the IPv6 source of an ICMPv6 error without an IPv4 form becomes an
//!   address of the configured pool (stable per router) or RFC 7600's
//!   192.0.0.8; the IPv4 source of an ICMPv4 error without an IPv6 form
//!   becomes `pool6791v6` (or the error is dropped).
//! - **CLAT address plan** (RFC 6877 §6.3, [`clat`]): the CLAT /96 taken
//!   from a delegated prefix, and the [`SiitConfig`] that maps the IPv4 LAN
//!   into it (an EAM) and destinations into the PLAT prefix (pool6).
//! - **Stateful NAT64** (RFC 6146, [`nat64::Nat64`]): BIB and session
//!   tables for TCP, UDP and ICMP queries with pool4 port ranges, wired
//!   into the translation: endpoint-independent mapping, address-dependent
//!   filtering, the §3.5.2.2 TCP state machine driven by the segments, the
//!   §4 lifetimes through `handle_timeout`/`poll_timeout`, hairpinning
//!   (§3.8), ICMP errors both ways with the quoted ports restored, the §3.5
//!   ICMP errors for packets that get no state, bounded tables with
//!   counted drops, a rate limit on every ICMP error it generates.
//!
//! # What is not
//!
//! - Jool's "simple" EAM hairpinning mode (only the intrinsic one), and a
//!   denylist other than the implicit one.
//! - Fragmenting in place: a DF-less IPv4 packet bigger than
//!   `lowest_ipv6_mtu` once translated is refused by the in-place calls
//!   ([`XlatDropped::NeedsFragmentation`], packet unchanged), and
//!   [`Siit::translate_4to6_fragmented`] writes its IPv6 fragments into a
//!   second buffer. Packet Too Big / Fragmentation Needed for packets too
//!   big for the next hop are left to the caller (the translator knows no
//!   link MTU).
//! - Rate limiting of the ICMP errors [`Siit`] sends (RFC 4443 §2.4 (f))
//!   unless called through [`Siit::translate_at`] (which has the time);
//!   [`nat64::Nat64`] always limits.
//! - IPv4 header checksum of an ICMP error's inner packet is not verified
//!   (it is rewritten); AH/ESP are passed through as any other protocol.
//! - The CLAT's discovery of the PLAT prefix (RFC 7050 / PREF64) and its
//!   use by `router`.
//! - Of stateful NAT64: reassembly (fragments are translated one by one
//!   after their first; one before its first is dropped), static BIB
//!   entries, storing an unsolicited IPv4 SYN (simultaneous open; it is
//!   filtered), port parity/range preservation.
//!
//! # Shape
//!
//! A data path, not a conversation: [`Siit`] has no timers and no queue.
//! Each call translates one packet in place: the packet is
//! `buf[start..start + len]` with [`HEADROOM`] free bytes in front; the
//! result is an [`XlatOutput`] saying where it now lies (within `buf[start
//! - HEADROOM..start + len]`), either the translated packet or an ICMP
//! error to send back. A drop is an [`XlatDropped`], counted in
//! [`XlatCounters`]. Nothing is allocated per packet. The steps, one
//! function per header field or ICMP case, and why they run in their order
//! are in `src/rfc7915/` (`order.md`).
//!
//! # Example
//!
//! ```
//! use xlat::{HEADROOM, Siit, SiitConfig, XlatOutput, Nat64Prefix};
//! use sansio_primitives::{SeededRng, checksum};
//!
//! let mut siit = Siit::new(SiitConfig::new(Some(Nat64Prefix::WELL_KNOWN)), SeededRng::from_u64(1)).unwrap();
//!
//! // An IPv4 UDP packet 198.51.100.7:53 -> 192.0.2.1:40000, behind HEADROOM.
//! let mut v4 = vec![
//!     0x45, 0, 0, 32, 0, 1, 0x40, 0, 64, 17, 0, 0, 198, 51, 100, 7, 192, 0, 2, 1,
//!     0, 53, 0x9c, 0x40, 0, 12, 0, 0, b'p', b'i', b'n', b'g',
//! ];
//! let c = checksum::checksum(&v4[..20]);
//! v4[10..12].copy_from_slice(&c.to_be_bytes());
//! let ph = checksum::pseudo_header_v4([198, 51, 100, 7], [192, 0, 2, 1], 17, 12);
//! let c = checksum::finish(checksum::add(ph, checksum::sum(&v4[20..])));
//! v4[26..28].copy_from_slice(&c.to_be_bytes());
//!
//! // Twice the headroom: the result is translated back in the same buffer.
//! let mut buf = vec![0; 2 * HEADROOM + v4.len()];
//! buf[2 * HEADROOM..].copy_from_slice(&v4);
//! let out = siit.translate(&mut buf, 2 * HEADROOM, v4.len()).unwrap();
//! let XlatOutput::Translated { start, len } = out else { panic!() };
//! assert_eq!(len, 40 + 12);
//! let v6 = &buf[start..start + len];
//! assert_eq!(v6[0] >> 4, 6);
//! assert_eq!(&v6[8..24], &"64:ff9b::198.51.100.7".parse::<std::net::Ipv6Addr>().unwrap().octets());
//!
//! // And back: the same bytes as before (TTL one lower each way).
//! let out = siit.translate(&mut buf, start, len).unwrap();
//! let back = &buf[out.range()];
//! assert_eq!(&back[12..], &v4[12..]);
//! assert_eq!(back[8], 62);
//! assert!(checksum::verify(&back[..20]));
//! ```
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod clat;
pub mod eamt;
mod mapping;
pub mod nat64;
mod rfc7915;
pub mod siit;

pub use clat::{Clat, ClatError};
pub use eamt::{Eam, Eamt, EamtError};
/// RFC 6052 prefixes (pool6): the shared `rfc6052` crate.
pub use rfc6052;
pub use rfc6052::{Nat64Prefix, Nat64PrefixError};
pub use siit::{
    HEADROOM, ICMP_ERROR_RATE, ICMPV4_ERROR_MAX, IPV4_DUMMY_ADDRESS, IPV6_MIN_MTU, Siit,
    SiitConfig, SiitConfigError, XlatCounters, XlatDropped, XlatFragments, XlatOutput,
    XlatWireError,
};
