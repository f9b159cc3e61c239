//! Sans-IO DHCPv6 prefix delegation (RFC 8415): the codec, the requesting
//! router (client) and the delegating router (server) with a durable
//! binding store.
//!
//! # RFCs
//!
//! - RFC 8415 (DHCPv6). Codec ([`wire`]): every message type, Relay-Forward
//!   and Relay-Reply with nesting (bounded by [`wire::MAX_NESTING`]),
//!   Interface-Id and Relay Message; the options Client/Server Identifier
//!   (DUID-LLT, -EN, -LL, and DUID-UUID from RFC 6355), IA_NA + IAADDR,
//!   IA_PD + IAPREFIX, ORO, Preference, Elapsed Time, Status Code, Rapid
//!   Commit, Server Unicast, Reconfigure Message, Reconfigure Accept,
//!   Authentication, SOL_MAX_RT, INF_MAX_RT, Information Refresh Time. Any
//!   other option, DUID type or NTP suboption is kept raw and round-trips.
//!   [`auth`]: the reconfigure key protocol (§20.4, HMAC-MD5).
//!   [`retransmission`]: the §7.6 table and the §15 algorithm.
//! - RFC 3646 (DNS servers, domain search list: names in RFC 1035 wire
//!   format, uncompressed), RFC 5908 (NTP server), RFC 6334 (AFTR-Name),
//!   RFC 6603 (Prefix Exclude: parsed, checked against its IAPREFIX and
//!   reported to the client's application; the server does not send it).
//! - RFC 4818 is honoured through the embedder: a Delegated-IPv6-Prefix it
//!   got from RADIUS is passed with the input and takes precedence.
//!
//! The client ([`client::Dhcpv6Client`]) implements §18.2: Solicit with an
//! IA_PD hint, optional IA_NA, Rapid Commit, Advertise selection, Request,
//! Renew, Rebind, Release, Decline, Confirm (addresses only, after a link
//! change), Information-Request with refresh, Reconfigure (only with the
//! key and a rising replay counter), the status codes UseMulticast,
//! NoBinding, NoPrefixAvail, NotOnLink, UnspecFail.
//!
//! The server ([`server::Dhcpv6Server`]) implements §18.3 for prefix
//! delegation: Solicit/Advertise, Rapid Commit, Request, Renew, Rebind,
//! Release, Decline, Confirm (against configured on-link prefixes),
//! Information-Request, relayed messages (§19).
//!
//! Not implemented: address assignment by the server (IA_NA is answered
//! NoAddrsAvail), IA_TA (kept raw), the server's Reconfigure and Server
//! Unicast option (it never sends them; the client honours both), delayed
//! authentication (RFC 3315 §21.4, removed by RFC 8415), the client's
//! random 0–1 s delay before its first message (left to the driver),
//! several IA_PDs per client (one is asked for; the server answers every
//! one it gets), Prefix Exclude on the server, leasequery, failover, rate
//! limiting per client. The codec is a small bounds-checked cursor, not
//! nom (fixed big-endian fields and length-prefixed runs only).
//!
//! Tested against real peers in network namespaces (`tests/real_peers*.rs`):
//! ISC `dhclient -6 -P` and WIDE `dhcp6c` against our server, Kea 2.2
//! `kea-dhcp6` and WIDE `dhcp6s` against our client; golden bytes from
//! those exchanges in `tests/golden/`.
//!
//! # The machines
//!
//! Neither machine reads a clock, a random source or a socket: time is
//! passed in as [`sansio_primitives::Instant`], the client owns a
//! [`sansio_primitives::SeededRng`] (transaction ids, jitter). Each follows one
//! shape:
//!
//! - `new(config, [rng,] now) -> Result<_, ConfigError>`;
//! - `handle_input(now, ..)` for a received datagram: peer garbage is an
//!   `Err(..Dropped)` saying why, counted in `counters()`, with the state
//!   unchanged;
//! - `handle_timeout(now)` when `poll_timeout()` has passed (harmless when
//!   early or repeated);
//! - commands taking `now` (`release`, `decline`, `link_up`, `restart`);
//! - outputs: after each `handle_*` call or command, drain
//!   `poll_transmit(now)` then `poll_event()` until each returns `None`,
//!   and read `poll_timeout()` last (`poll_transmit` ignores `now`: messages
//!   are queued by `handle_*` and commands; the parameter is the shape's,
//!   for pacing later). The server adds one step first: its
//!   binding changes are [`server::Dhcpv6Server::pending_bindings`] and the
//!   Replies that depend on them are held until the driver has made them
//!   durable and called [`server::Dhcpv6Server::commit`] (or
//!   [`server::Dhcpv6Server::commit_to`] with a [`store::BindingStore`]).
//!   No Reply leaves before its binding is stored. Behind the `std`
//!   feature, [`file_store::FileBindingStore`] is a journal on disk.
//!
//! # Example
//!
//! Both roles in memory:
//!
//! ```
//! use core::net::Ipv6Addr;
//! use dhcpv6_proto::client::{Dhcpv6Client, Dhcpv6ClientConfig, Dhcpv6ClientEvent};
//! use dhcpv6_proto::server::{Dhcpv6PrefixPool, Dhcpv6Server, Dhcpv6ServerConfig, Dhcpv6ServerSource};
//! use dhcpv6_proto::store::MemoryBindingStore;
//! use dhcpv6_proto::wire::Duid;
//! use sansio_primitives::{Duration, Instant, SeededRng};
//!
//! // The delegating router: a /48 carved into /56s.
//! let pool = Dhcpv6PrefixPool::new("2001:db8:10::".parse().unwrap(), 48, 56);
//! let cfg = Dhcpv6ServerConfig::new(Duid::ethernet([2, 0, 0, 0, 0, 1]), vec![pool]);
//! let mut server = Dhcpv6Server::new(cfg, Instant::ZERO).unwrap();
//! let mut store = MemoryBindingStore::default();
//!
//! // The requesting router.
//! let cfg = Dhcpv6ClientConfig::new(Duid::ethernet([2, 0, 0, 0, 0, 2]));
//! let mut client = Dhcpv6Client::new(cfg, SeededRng::from_u64(1), Instant::ZERO).unwrap();
//!
//! let from = Dhcpv6ServerSource::new("fe80::2".parse().unwrap(), 1);
//! let mut now = Instant::ZERO;
//! let mut delegated = None;
//! for _ in 0..8 {
//!     while let Some(t) = client.poll_transmit(now) {
//!         let _ = server.handle_input(now, from, &t.payload);
//!     }
//!     // Binding changes become durable before their Replies leave.
//!     server.commit_to(&mut store).unwrap();
//!     while let Some(t) = server.poll_transmit(now) {
//!         let _ = client.handle_input(now, &t.payload);
//!     }
//!     while let Some(_e) = server.poll_event() {}
//!     while let Some(e) = client.poll_event() {
//!         if let Dhcpv6ClientEvent::PrefixDelegated { prefix, prefix_len, .. } = e {
//!             delegated = Some((prefix, prefix_len));
//!         }
//!     }
//!     // Advertises are collected for one first RT (just over 1 s).
//!     now = client.poll_timeout().unwrap_or(now + Duration::from_secs(1));
//!     client.handle_timeout(now);
//! }
//! let (prefix, len) = delegated.expect("delegated");
//! assert_eq!(len, 56);
//! assert_eq!(u128::from(prefix) >> 80, u128::from("2001:db8:10::".parse::<Ipv6Addr>().unwrap()) >> 80);
//! assert_eq!(store.records.len(), 1);
//! ```
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod auth;
pub mod client;
#[cfg(feature = "std")]
pub mod file_store;
pub mod retransmission;
pub mod server;
pub mod store;
pub mod wire;

pub use client::{
    Dhcpv6Client, Dhcpv6ClientConfig, Dhcpv6ClientCounters, Dhcpv6ClientDropped, Dhcpv6ClientEvent,
};
pub use server::{
    Dhcpv6Server, Dhcpv6ServerConfig, Dhcpv6ServerCounters, Dhcpv6ServerDropped, Dhcpv6ServerEvent,
};
/// The codec's error, under a name that does not clash with other crates'.
pub use wire::Error as Dhcpv6WireError;

/// The README's example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
