//! Sans-IO DHCPv4: the codec, a server with stable lease allocation and a
//! durable lease store, and a client.
//!
//! # RFCs
//!
//! - RFC 2131 (DHCP): the BOOTP header, the server's allocation and reply
//!   rules (§4.3, with §4.1's reply destinations) and the client's state
//!   machine (§4.4) with its retransmission backoff.
//! - RFC 2132 options: subnet mask, router, DNS, host name, domain name,
//!   interface MTU, requested address, lease time, overload, message type,
//!   server identifier, parameter request list, message, maximum message
//!   size, T1/T2, vendor class, client identifier. Any other option is kept
//!   raw and round-trips.
//! - RFC 3396 (long options split across instances, joined on parse, split
//!   on emit), RFC 3397 (domain search with compression), RFC 3442
//!   (classless static routes), RFC 3046 (relay agent information, echoed
//!   untouched), RFC 6842 (client identifier echoed), RFC 8925 (option
//!   108, IPv6-Only Preferred: the server gives it to the clients that ask
//!   for it when the pool has a V6ONLY_WAIT; the client does not ask).
//!
//! The codec parses into an owned value ([`wire::Message`]); there is no
//! zero-copy view layer, since options must be reassembled (RFC 3396) and
//! overloaded areas joined before they can be read.
//!
//! Not implemented: BOOTP-only clients (a message without option 53 is
//! refused), the server's use of option overload on output, DHCP
//! authentication (RFC 3118), lease query (RFC 4388), failover, the
//! client's ARP check of an offered address (the application reports a
//! conflict with [`Dhcpv4Client::decline`]), and the client's initial
//! 1–10 s random wait (left to the driver).
//!
//! # The machine shape
//!
//! [`Dhcpv4Server`] and [`Dhcpv4Client`] never read a clock, a random
//! source or a socket; they have the shape every machine of the workspace
//! shares (`sansio_primitives`'s crate docs hold the reference text):
//!
//! - `new(config, .., now)` checks the configuration once
//!   ([`Dhcpv4ClientConfigError`], [`Dhcpv4ServerConfigError`]). The client
//!   owns its [`sansio_primitives::SeededRng`] (transaction ids, backoff
//!   jitter). The server draws nothing random (its address choice is a hash
//!   of the client, stable by design), so [`Dhcpv4Server::new`] takes no
//!   RNG, as `dhcpv6-proto`'s server.
//! - `handle_input(now, ..)` for a received datagram; peer garbage is an
//!   `Err` ([`Dhcpv4ClientDropped`], [`Dhcpv4ServerDropped`]: small `Copy`
//!   enums, one variant per reason), counted per reason in the one
//!   `counters()` ([`Dhcpv4ClientCounters`], [`Dhcpv4ServerCounters`]),
//!   with the state unchanged;
//! - `handle_timeout(now)` when `poll_timeout()` has passed (harmless when
//!   early or repeated);
//! - commands (`decline`, `release`, ...) take `now`; misuse is an `Err`
//!   at once ([`client::Dhcpv4ClientCommandError`]);
//! - outputs: after each `handle_*` call or command, drain
//!   `poll_transmit(now)` (a [`sansio_primitives::Transmit`]) then
//!   `poll_event` until each returns `None`, and read `poll_timeout` last.
//!   The `poll_*` methods are `#[must_use]`.
//! - codec ([`wire`]): [`wire::Message`] has `parse`, `buffer_len`, `emit`
//!   into a caller buffer (a short one is
//!   [`Dhcpv4WireError::BufferTooShort`]) and `to_vec`. Options have no
//!   codec of their own: an option is only meaningful inside a message,
//!   where several instances are joined (RFC 3396) before
//!   [`wire::DhcpOption::decode`] reads it.
//! - names carry the protocol prefix (`Dhcpv4Client`, `Dhcpv4ServerEvent`,
//!   `Dhcpv4WireError`…) so they do not clash with a neighbour crate's.
//!
//! Departures from the shape: [`Dhcpv4Server::new`] takes no RNG (above);
//! `poll_transmit(now)` ignores `now` (replies are queued by `handle_*`
//! and commands; the parameter is the shape's); options have no codec of
//! their own (above).
//!
//! The server adds one step before draining: its lease changes are
//! [`Dhcpv4Server::pending_leases`], and the ACKs that depend on them are
//! held until the driver has made them durable and called
//! [`Dhcpv4Server::commit`] (or [`Dhcpv4Server::commit_to`] with a
//! [`lease::LeaseStore`]). No ACK leaves before its lease is stored. Behind
//! the `std` feature, [`file_store::FileStore`] is a journal on disk,
//! grown ahead in zeros (so a commit changes no metadata), fsynced per
//! commit and compacted atomically.
//!
//! The `dhcpv4d` example runs the server on a real socket.
//!
//! # The `tokio` feature
//!
//! With the optional `tokio` feature, `driver::Dhcpv4ServerDriver` runs
//! the server on a UDP socket bound to one interface (`SO_BINDTODEVICE`,
//! port 67) with a [`lease::LeaseStore`], keeping the commit discipline (no
//! ACK before its lease is durable; the write on tokio's blocking pool or,
//! for a runtime serving DHCP alone, on the event loop), reading and
//! sending datagrams in `recvmmsg`/`sendmmsg` bursts, with an optional
//! group-commit window (a small batch waits up to it for more requests,
//! so one fsync makes them all durable). `examples/dhcpv4d.rs` is a whole
//! server on it.
//!
//! # Example
//!
//! ```
//! use std::net::Ipv4Addr;
//! use dhcpv4_proto::lease::MemoryStore;
//! use dhcpv4_proto::{
//!     Dhcpv4Client, Dhcpv4ClientConfig, Dhcpv4ClientEvent, Dhcpv4PoolConfig, Dhcpv4Server,
//!     Dhcpv4ServerConfig,
//! };
//! use sansio_primitives::{Instant, SeededRng};
//!
//! let sid = Ipv4Addr::new(192, 0, 2, 1);
//! let pool = Dhcpv4PoolConfig::new(
//!     1, Ipv4Addr::new(192, 0, 2, 0), 24,
//!     Ipv4Addr::new(192, 0, 2, 100), Ipv4Addr::new(192, 0, 2, 199), Some(sid),
//! );
//! let now = Instant::ZERO;
//! let mut server = Dhcpv4Server::new(Dhcpv4ServerConfig::new(sid, vec![pool]), now).unwrap();
//! let mut store = MemoryStore::default();
//! let config = Dhcpv4ClientConfig::new([2, 0, 0, 0, 0, 1]);
//! let mut client = Dhcpv4Client::new(config, SeededRng::from_u64(1), now).unwrap();
//!
//! let mut bound = None;
//! for _ in 0..4 {
//!     // Client -> server.
//!     while let Some(t) = client.poll_transmit(now) {
//!         let _ = server.handle_input(now, 1, &t.payload);
//!     }
//!     // The server's lease changes become durable before its ACKs leave.
//!     server.commit_to(&mut store).unwrap();
//!     while let Some(t) = server.poll_transmit(now) {
//!         let _ = client.handle_input(now, &t.payload);
//!     }
//!     while let Some(_e) = server.poll_event() {}
//!     while let Some(e) = client.poll_event() {
//!         if let Dhcpv4ClientEvent::Bound(b) = e {
//!             bound = Some(b);
//!         }
//!     }
//! }
//! let b = bound.expect("bound");
//! assert_eq!(b.router, vec![sid]);
//! assert!(store.leases.contains_key(&b.address));
//! // DISCOVER and REQUEST out, OFFER and ACK in, nothing dropped.
//! let c = client.counters();
//! assert_eq!((c.transmitted, c.received, c.total_dropped()), (2, 2, 0));
//! ```
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod client;
#[cfg(feature = "tokio")]
pub mod driver;
#[cfg(feature = "std")]
pub mod file_store;
pub mod lease;
pub mod server;
pub mod wire;

pub use client::{
    Dhcpv4Client, Dhcpv4ClientConfig, Dhcpv4ClientConfigError, Dhcpv4ClientCounters,
    Dhcpv4ClientDropped, Dhcpv4ClientEvent,
};
pub use server::{
    Dhcpv4PoolConfig, Dhcpv4Server, Dhcpv4ServerConfig, Dhcpv4ServerConfigError,
    Dhcpv4ServerCounters, Dhcpv4ServerDropped, Dhcpv4ServerEvent,
};
/// The codec's error, under a name that does not clash with other crates'.
pub use wire::Error as Dhcpv4WireError;
