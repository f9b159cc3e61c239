//! Sans-IO DNS64 (RFC 6147), IPv4-embedded IPv6 addresses (RFC 6052) and
//! NAT64 prefix discovery (RFC 7050).
//!
//! # What is implemented
//!
//! - [`rfc6052`]: [`Nat64Prefix`] (lengths 32, 40, 48, 56, 64, 96; u octet
//!   zero), embedding and extraction for all six lengths, the Well-Known
//!   Prefix refused for non-global IPv4 (§3.1, the RFC 6890 list in
//!   [`rfc6052::NON_GLOBAL_IPV4`]). It is the `rfc6052` crate (only
//!   `core`, no DNS codec), re-exported here; the translator `xlat`
//!   shares it.
//! - [`server::Dns64`], the DNS64 machine in front of recursive resolvers:
//!   AAAA synthesis from A when the AAAA answer is empty, all excluded
//!   (`::ffff:0:0/96` always, plus configured ranges) or (optionally) an
//!   error other than NXDOMAIN (§5.1.2, §5.1.4); never for NXDOMAIN; BIND's
//!   `clients` and `mapped` ACLs and `break-dnssec`; TTL as §5.1.7; CNAME
//!   chains kept; CD/DO as §5.5; PTR under a prefix as a CNAME into
//!   `in-addr.arpa` (§5.3.1); `ipv4only.arpa` answered locally (RFC 8880
//!   §7.2); upstream answers checked against id, source port, upstream
//!   address and question; ids and ports from the owned RNG; a bounded table
//!   of queries in flight; failover to the next upstream on timeout; a
//!   bounded cache of final answers (TTLs counted down, negative answers
//!   for the SOA's negative TTL, RFC 2308 §5), keyed by question, RD, CD,
//!   EDNS/DO and whether the client gets DNS64; local names (A, AAAA and
//!   PTR, bounded, set by the embedder, e.g. from the DHCP leases) answered
//!   without upstream; BIND's `allow-query` (REFUSED for the others); a
//!   truncated UDP answer from upstream asked again over TCP (RFC 7766
//!   §6.2.1, the driver frames the messages); clients over UDP and TCP
//!   (RFC 7766, the driver's connection id), answers larger than a UDP
//!   client's size sent with TC, whole over TCP.
//! - [`discovery::Nat64Discovery`]: RFC 7050 §3 (every prefix, all six
//!   lengths, both well-known addresses required), the §3.1 validation as an
//!   option, refresh before the TTL ends, retransmission with backoff, and a
//!   PREF64 (RFC 8781) handed in by the embedder taking precedence.
//!
//! # What is not
//!
//! - Sockets only behind the `tokio` feature: `driver::Dns64Driver`, one
//!   task owning the machine, client UDP/TCP listeners (client UDP in
//!   bursts: one `recvmmsg`/`sendmmsg` per burst on Linux, through `nix`),
//!   an upstream socket per query on the machine's source port, bounded
//!   TCP connections with an idle timeout, the upstreams and local names
//!   changed at runtime,
//!   graceful shutdown; `tests/dig.rs` drives it with `dig`, the `dns64d`
//!   example daemon is a command line around it.
//! - No DNSSEC validation of its own: with DO and without CD it
//!   synthesizes, clears AD and leaves RRSIGs out of the synthesized answer
//!   (§5.5 case 2 without validation); with CD it does not synthesize
//!   unless `break_dnssec`.
//! - The upstream must be a recursive resolver (it chases CNAMEs): an
//!   answer ending in a CNAME without data at its target is taken as final,
//!   the machine does not follow the chain itself.
//! - Not in RFC 6147: DNAME-only chains (a DNAME without its synthesized
//!   CNAME is not followed), BIND's `suffix` and `recursive-only`, §5.3.1's
//!   check that the in-addr.arpa answer is not itself synthesized.
//! - Not in RFC 7050: the DNSSEC check of the NAT64's name in §3.1, and
//!   ICMPv6/PCP-based discovery; the RA parsing of PREF64 is the
//!   embedder's (give [`Nat64Discovery::set_pref64`] the prefix and
//!   lifetime).
//!
//! `tests/unbound.rs` runs the machine beside unbound 1.17's `dns64
//! iterator` over the same data: the answers match field by field except
//! where unbound differs from what RFC 6147 asks (its synthesized TTL is not
//! capped by the negative TTL, §5.1.7; it passes `::ffff:0:0/96` AAAA on,
//! §5.1.4; it puts the PTR data under the `ip6.arpa` name where we answer
//! with §5.3.1's CNAME into `in-addr.arpa`).
//!
//! The DNS codec is NLnet Labs' `domain` 0.12 with only its `alloc` feature
//! (`base::Message`, `MessageBuilder` over `Vec<u8>`): the whole crate is
//! `no_std` + `alloc`; `std` only switches on `std` in the dependencies.
//!
//! # The machines
//!
//! Each never reads a clock, a random source or a socket. `new(config, rng,
//! now)` validates the configuration; `handle_input(now, source, bytes)`
//! takes a datagram and returns why it was dropped (counted in
//! `counters()`, state unchanged); `handle_timeout(now)` when
//! `poll_timeout()` has passed. After each `handle_*` call or command, drain
//! `poll_transmit` then `poll_event` until `None`, and read `poll_timeout`
//! last.
//!
//! # Example
//!
//! Prefix discovery asking the DNS64 machine, which answers `ipv4only.arpa`
//! itself:
//!
//! ```
//! use std::net::SocketAddr;
//! use dns64::{
//!     Dns64, Dns64Config, Dns64Destination, Dns64Source, Nat64Discovery, Nat64DiscoveryConfig,
//!     Nat64DiscoveryEvent, Nat64Prefix,
//! };
//! use sansio_primitives::{Instant, SeededRng};
//!
//! let dns64_addr: SocketAddr = "[2001:db8::53]:53".parse().unwrap();
//! let upstream: SocketAddr = "[2001:db8::1]:53".parse().unwrap();
//! let prefix = Nat64Prefix::new("2001:db8:64::".parse().unwrap(), 96).unwrap();
//! let now = Instant::ZERO;
//! let mut dns64 = Dns64::new(
//!     Dns64Config::new(vec![prefix], vec![upstream]),
//!     SeededRng::from_u64(1),
//!     now,
//! )
//! .unwrap();
//! let mut clat =
//!     Nat64Discovery::new(Nat64DiscoveryConfig::new(vec![dns64_addr]), SeededRng::from_u64(2), now)
//!         .unwrap();
//!
//! let client: SocketAddr = "[2001:db8::2]:0".parse().unwrap();
//! let mut found = None;
//! while let Some(q) = clat.poll_transmit(now) {
//!     let src = SocketAddr::new(client.ip(), q.destination.source_port);
//!     dns64.handle_input(now, Dns64Source::Client(src), &q.payload).unwrap();
//!     while let Some(a) = dns64.poll_transmit(now) {
//!         let Dns64Destination::Client(to) = a.destination else { unreachable!() };
//!         clat.handle_input(now, dns64_addr, to.port(), &a.payload).unwrap();
//!     }
//!     while let Some(Nat64DiscoveryEvent::PrefixFound(p)) = clat.poll_event() {
//!         found = Some(p);
//!     }
//! }
//! assert_eq!(found, Some(prefix));
//! ```
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod cache;
pub mod config;
pub mod discovery;
#[cfg(feature = "tokio")]
pub mod driver;
mod local;
pub mod names;
pub mod server;
pub mod wire;

/// RFC 6052 addresses: the shared `rfc6052` crate, at its old path.
pub use ::rfc6052;
pub use config::{Dns64Acl, Dns64Config, Dns64ConfigError, Dns64Net};
pub use discovery::{
    Nat64Discovery, Nat64DiscoveryConfig, Nat64DiscoveryConfigError, Nat64DiscoveryCounters,
    Nat64DiscoveryDestination, Nat64DiscoveryDropped, Nat64DiscoveryEvent,
};
pub use local::Dns64LocalNameError;
pub use rfc6052::{Nat64AddressError, Nat64Prefix, Nat64PrefixError};
pub use server::{Dns64, Dns64Counters, Dns64Destination, Dns64Dropped, Dns64Event, Dns64Source};
pub use wire::Dns64WireError;
