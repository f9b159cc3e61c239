//! Sans-IO ICMPv6 Neighbor Discovery: the codec, an advertising router and
//! a host-side Router Advertisement / SLAAC machine.
//!
//! # RFCs implemented
//!
//! - RFC 4861 (Neighbor Discovery): the codec of RS, RA, NS, NA and
//!   Redirect (§4) with the ICMPv6 checksum over the IPv6 pseudo-header
//!   (RFC 4443 §2.3), options Source/Target Link-Layer Address, Prefix
//!   Information, Redirected Header and MTU (§4.6); an option of length 0
//!   is an error (§4.6) and messages with an IPv6 hop limit other than 255
//!   are dropped by both machines (§6.1, the hop limit is an argument of
//!   `handle_input`, since the IPv6 header is the socket's). The router's
//!   side of §6.2 ([`router`]): intervals, fast start, RS answers and their
//!   rate limit, the final RA, the §6.2.7 consistency check (reported as
//!   an event). The host's side of §6.3 ([`host`]): RS at start, default
//!   router list, prefix list, MTU.
//! - RFC 4862 §5.5.3 (SLAAC from Prefix Information, with the two-hour
//!   rule); RFC 7217 stable opaque interface identifiers
//!   ([`iid::stable_address`], HMAC-MD5 with the injected key; RFC 5453
//!   reserved identifiers skipped).
//! - RFC 4191 Route Information option and router preference: the router
//!   sends configured routes, the host learns them (§3.1, a Type C host).
//! - RFC 8106 RDNSS and DNSSL options (DNSSL names in wire format without
//!   compression); the router sends both, the host learns both.
//! - RFC 8781 PREF64 with every prefix-length code (codes 6 and 7 are an
//!   error) and the scaled lifetime; the router sends it, the host learns
//!   it (the latest one wins).
//! - RFC 3971 §5.3.2 Nonce (codec only) and RFC 8910 Captive-Portal (codec;
//!   the router sends a configured URI).
//! - RFC 9096 (CE router renumbering): lifetimes capped at
//!   ND_VALID_LIMIT/ND_PREFERRED_LIMIT, a withdrawn or replaced /64 kept
//!   with Preferred Lifetime 0 and a Valid Lifetime counted down to 0.
//! - RFC 7084 G-4/G-5: Router Lifetime 0 while the upstream is down.
//!
//! Unknown options round-trip ([`wire::NdpOption::Unknown`]); reserved
//! fields and padding are kept, so whatever parses re-emits byte for byte
//! (a radvd capture is a golden test).
//!
//! # Not implemented
//!
//! - Address resolution and Neighbor Unreachability Detection (RFC 4861 §7)
//!   and Duplicate Address Detection (RFC 4862 §5.4): the embedder's
//!   kernel does them; the host machine only records link-layer addresses
//!   it sees and takes DAD failures through [`NdpHost::dad_failed`].
//! - Redirect processing (§8): Redirects are parsed and emitted but the
//!   machines drop them as `Unexpected`.
//! - Unicast RA answers (the router always multicasts, as §6.2.6 allows),
//!   MAX_FINAL_RTR_ADVERTISEMENTS (one final RA, not three), Mobile IPv6
//!   (RFC 6275) flags beyond keeping them, SEND (RFC 3971) beyond the Nonce
//!   option's codec; on the host side, the router preference beyond
//!   reporting it, and cur hop limit / reachable time / retrans timer (left to the
//!   kernel). Neighbour Solicitations for our own addresses are not
//!   answered (the kernel does).
//! - DNS64 discovery of the PREF64 (RFC 7050): the router takes it from
//!   configuration or [`NdpRouter::set_pref64`].
//!
//! # Why not smoltcp's wire views
//!
//! smoltcp's `wire::NdiscRepr` keeps at most one Prefix Information option
//! per RA and has no RDNSS, DNSSL, PREF64, Route Information, Nonce or
//! Captive-Portal options; a router announcing several prefixes (old and
//! new during a renumbering) and a host reading radvd's RAs need all of
//! them, repeats kept, and reserved bits kept for byte-exact re-emission.
//! The five fixed ND headers are a few lines each, so this crate has its
//! own codec ([`wire`]) and does not depend on smoltcp.
//!
//! # The machines
//!
//! [`NdpRouter`] (one per advertising interface) and [`NdpHost`] (one per
//! SLAAC interface) follow the workspace's one shape:
//!
//! - `new(config, rng: SeededRng, now) -> Result<_, ConfigError>`: the
//!   machine owns its RNG; the router's first RA and the host's first RS
//!   are scheduled from `now`;
//! - `handle_input(now, source, destination, hop_limit, icmpv6_bytes)`:
//!   `Err(NdpRouterDropped / NdpHostDropped)` says why a message was
//!   dropped; it is counted in `counters()` and the state is unchanged;
//! - `handle_timeout(now)` when `poll_timeout()` has passed (harmless early
//!   or twice);
//! - commands are methods taking `now` (`set_delegated_prefix`,
//!   `set_upstream`, `shutdown`, `dad_failed`, ...);
//! - outputs: after each `handle_*` call or command, drain
//!   `poll_transmit(now)` then `poll_event()` until `None`, and read
//!   `poll_timeout()` last. A [`sansio_primitives::Transmit`] carries the ICMPv6
//!   message (checksum filled for the configured source) and its IPv6
//!   destination; send it with hop limit 255. It ignores `now` (messages
//!   are queued by `handle_*` and commands; the parameter is the shape's,
//!   for pacing later): the one departure from the shape.
//!
//! # Example
//!
//! ```
//! use ndp_proto::{NdpHost, NdpHostConfig, NdpHostEvent, NdpRouter, NdpRouterConfig, NdpSecretKey};
//! use sansio_primitives::{Duration, Instant, SeededRng};
//!
//! let router_ll = "fe80::1".parse().unwrap();
//! let now = Instant::ZERO;
//! let mut config = NdpRouterConfig::new(router_ll);
//! config.mtu = Some(1492);
//! let mut router = NdpRouter::new(config, SeededRng::from_u64(1), now).unwrap();
//! router.set_upstream(now, true).unwrap();
//! let lan = router
//!     .set_delegated_prefix(now, "2001:db8:7::".parse().unwrap(), 56,
//!         Duration::from_secs(86400), Duration::from_secs(14400))
//!     .unwrap();
//!
//! let host_cfg = NdpHostConfig::new("fe80::2".parse().unwrap(), b"eth0", NdpSecretKey([7; 32]));
//! let mut host = NdpHost::new(host_cfg, SeededRng::from_u64(2), now).unwrap();
//!
//! // Run both on a simulated clock for a minute, the link in memory.
//! let mut t = now;
//! let mut events = Vec::new();
//! while t < now + Duration::from_secs(60) {
//!     router.handle_timeout(t);
//!     host.handle_timeout(t);
//!     while let Some(rs) = host.poll_transmit(t) {
//!         let _ = router.handle_input(t, "fe80::2".parse().unwrap(), rs.destination, 255, &rs.payload);
//!     }
//!     while let Some(ra) = router.poll_transmit(t) {
//!         host.handle_input(t, router_ll, ra.destination, 255, &ra.payload).unwrap();
//!     }
//!     while router.poll_event().is_some() {}
//!     events.extend(std::iter::from_fn(|| host.poll_event()));
//!     t = router.poll_timeout().unwrap().min(host.poll_timeout().unwrap_or(Instant::MAX));
//! }
//! assert!(events.contains(&NdpHostEvent::MtuChanged { mtu: 1492 }));
//! let address = host.addresses().next().unwrap().address;
//! assert_eq!(address.octets()[..8], lan.octets()[..8]);
//! assert_eq!(host.routers().collect::<Vec<_>>(), vec![router_ll]);
//! ```
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod host;
pub mod iid;
mod prefix;
pub mod router;
pub mod wire;

pub use host::{
    NdpHost, NdpHostAddress, NdpHostConfig, NdpHostConfigError, NdpHostCounters, NdpHostDropped,
    NdpHostEvent, NdpHostUnknownAddress,
};
pub use iid::NdpSecretKey;
pub use prefix::{NdpCarveError, carve_lan_prefix};
pub use router::{
    NdpDnsServers, NdpRouter, NdpRouterCommandError, NdpRouterConfig, NdpRouterConfigError,
    NdpRouterCounters, NdpRouterDropped, NdpRouterEvent,
};
pub use wire::NdpWireError;
