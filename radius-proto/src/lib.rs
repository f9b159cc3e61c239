//! RADIUS for a PPPoE access concentrator (the NAS side): the codec,
//! dictionaries, the crypto, a client machine for authentication and
//! accounting with retransmission and server failover, and the
//! CoA/Disconnect listener. Sans-IO: no sockets, no clock, no ambient
//! randomness; `#![no_std]` with `alloc`.
//!
//! # What is implemented
//!
//! - **RFC 2865** (RADIUS): packet format (20..=4096 octets), Access-Request,
//!   -Accept, -Reject, -Challenge, all §5 attributes, Vendor-Specific in the
//!   §5.26 layout with sub-attributes, User-Password hiding (§5.2, up to 128
//!   octets), CHAP-Password/CHAP-Challenge, Request and Response
//!   Authenticators; the §7 examples are tests, byte for byte.
//! - **RFC 2866** (accounting): Accounting-Request/-Response, its
//!   authenticator, Start/Interim-Update/Stop/Accounting-On/-Off, and
//!   Acct-Delay-Time updated on every retransmission.
//! - **RFC 2869**: Acct-Input/Output-Gigawords, Event-Timestamp,
//!   Acct-Interim-Interval, EAP-Message (passed through as octets),
//!   Message-Authenticator.
//! - **RFC 3579 §3.2**: Message-Authenticator (HMAC-MD5) on every
//!   Access-Request we send, and *required* on every Access-Accept/Reject/
//!   Challenge we accept unless [`RadiusClientConfig::require_message_authenticator`]
//!   is explicitly turned off (the Blast-RADIUS mitigation, CVE-2024-3596).
//! - **RFC 3162, RFC 6911, RFC 4818**: Framed-IPv6-Prefix,
//!   Framed-Interface-Id, Framed-IPv6-Address, DNS-Server-IPv6-Address,
//!   Delegated-IPv6-Prefix and friends.
//! - **RFC 5176**: Disconnect-/CoA-Request/ACK/NAK with Error-Cause, as a
//!   listener on the NAS ([`dynauth`]).
//! - **RFC 6929 §2.8** (invalid attributes): a known attribute whose value
//!   does not fit its type is kept raw as [`wire::Value::Invalid`], skipped
//!   by the typed accessors and reported by
//!   [`wire::Packet::invalid_attributes`]; the packet is processed (the
//!   client takes such an answer, the listener NAKs such a request with
//!   Error-Cause 407). Only broken framing makes a packet malformed.
//! - **Dictionaries** ([`dict`]): the standard attributes built in, Roaring
//!   Penguin (RP-Upstream/Downstream-Speed-Limit) and Cisco-AVPair out of the
//!   box, and a loader for FreeRADIUS dictionary files.
//!
//! Not implemented: the server role for Access/Accounting (the tests carry a
//! small one), proxying, Status-Server (RFC 5997), RADIUS over TCP/TLS
//! (RFC 6613/6614), extended attributes (RFC 6929: kept as raw octets),
//! tagged tunnel attributes (RFC 2868: kept as octets/integers), EAP itself
//! (EAP-Message is passed through).
//!
//! # The machine shape
//!
//! [`RadiusClient`] and [`DynAuthServer`] have the shape every machine of
//! the workspace shares (`sansio_primitives`'s crate docs hold the
//! reference text):
//!
//! - **constructors**: [`RadiusClient::new`]`(config, rng)` owns its
//!   [`sansio_primitives::SeededRng`] (Request Authenticators, Identifiers)
//!   and checks the configuration once ([`RadiusClientConfigError`]);
//!   [`DynAuthServer::new`]`(config)` draws nothing random and cannot be
//!   misconfigured. Neither takes `now`: no timer runs before the first
//!   request, and every command and input takes `now`.
//! - **input**: `handle_input(now, from, datagram)` returns a small `Copy`
//!   drop reason for peer garbage ([`RadiusClientDropped`],
//!   [`DynAuthDropped`]), counted per reason in the one `counters()`
//!   ([`RadiusClientCounters`], [`DynAuthCounters`]), the state unchanged.
//! - **timers**: `handle_timeout(now)` (harmless early or twice),
//!   `poll_timeout()`.
//! - **commands** (`authenticate`, `account`, `cancel`, `respond`) take
//!   `now` and refuse misuse at once ([`RadiusClientCommandError`],
//!   [`DynAuthCommandError`]).
//! - **outputs**: `poll_transmit(now)` (a [`sansio_primitives::Transmit`])
//!   and `poll_event()`, `#[must_use]`. **Drain order:** after each
//!   `handle_*` call or command, drain `poll_transmit` and then
//!   `poll_event` until each returns `None`, and read `poll_timeout` last.
//! - **codec** ([`wire`]): [`Packet`] and [`Attribute`] have `parse`,
//!   `buffer_len`, `emit` into a caller buffer (a short one is
//!   [`RadiusWireError::BufferTooShort`]) and `to_vec`; errors are
//!   [`RadiusWireError`] (`wire::Error`), naming the attribute at fault.
//! - **names** carry the protocol prefix (`RadiusClient`,
//!   `RadiusClientEvent`, `DynAuthServer`…); the codec's types keep their
//!   short names in [`wire`] (re-exported here as the common currency of
//!   every RADIUS user).
//!
//! Where this crate extends or departs from the shape, and why:
//!
//! - **The source socket**: RFC 2865 §3 makes the Identifier space per
//!   source address and port, so a client that needs more than 256
//!   requests in flight sends from several sockets
//!   ([`RadiusClientConfig::sources`]). The shared `Transmit` carries it
//!   in its destination, [`RadiusClientDestination`] (`source` index plus
//!   server `address`), and answers come back through
//!   [`RadiusClient::handle_input_on`] with the socket they arrived on
//!   (`handle_input` is source 0).
//! - **`poll_transmit(now)` ignores `now`**: datagrams are queued by
//!   `handle_*` and commands; the parameter is the shape's.
//! - **`to_vec` is a `Result`**: a packet built by hand can hold an
//!   attribute whose value its type does not allow, or exceed 4096 octets;
//!   `emit`/`to_vec` check, rather than emit what the peer would reject.
//!
//! Every table a peer can grow is bounded: 256 outstanding Identifiers per
//! source socket and [`RadiusClientConfig::sources`] (1..=64) sources per
//! client (then [`RadiusClientCommandError::IdentifiersExhausted`]),
//! `max_pending` and `cache_size` in the listener. Secrets are
//! [`Secret`]s, whose `Debug` prints `<redacted>`.
//!
//! # The `tokio` feature
//!
//! With the optional `tokio` feature, `driver` runs the machines for an
//! async application: `RadiusClientDriver` owns the client and its source
//! sockets (send a request, `await` the verified answer; retransmission,
//! failover and a bounded FIFO for requests beyond the free Identifiers
//! inside; `try_*` admit or refuse a request at once and hand back a
//! `RadiusAnswer` to await elsewhere; an Accounting-On gate for a NAS that
//! accepts sessions only once its Accounting-On is answered), and
//! `DynAuthDriver` owns the CoA/Disconnect listener's socket. An
//! Access-Request answered by FreeRADIUS through the driver is
//! `examples/tokio_access_request.rs`:
//!
//! ```text
//! let client = RadiusClient::new(config, rng)?;
//! let nas = RadiusClientDriver::bind(client, "127.0.0.1:0".parse()?, 1024).await?;
//! let answer = nas.authenticate(&[Attribute::bytes(attr::USER_NAME, b"alice")],
//!                               Some(b"wonderland")).await?;
//! assert_eq!(answer.code, Code::AccessAccept);
//! ```
//!
//! # Example
//!
//! ```
//! use sansio_primitives::{Instant, SeededRng};
//! use radius_proto::wire::{Attribute, Code, Packet, attr};
//! use radius_proto::{
//!     RadiusClient, RadiusClientConfig, RadiusClientEvent, RadiusServerConfig, Secret, crypto,
//! };
//!
//! let server = "127.0.0.1:1812".parse().unwrap();
//! let acct = "127.0.0.1:1813".parse().unwrap();
//! let secret = Secret::new(&b"s3cret"[..]);
//! let mut cfg = RadiusClientConfig::new(vec![RadiusServerConfig::new(server, acct, secret)]);
//! // RFC 2865 §4.1: every Access-Request names its NAS; the machine adds
//! // this NAS-Identifier when the caller's attributes do not.
//! cfg.nas_identifier = Some(b"nas-1".to_vec());
//! let mut nas = RadiusClient::new(cfg, SeededRng::from_u64(7)).unwrap();
//!
//! let now = Instant::ZERO;
//! let user = [Attribute::bytes(attr::USER_NAME, b"alice")];
//! let handle = nas.authenticate(now, &user, Some(b"wonderland")).unwrap();
//! let request = nas.poll_transmit(now).unwrap();
//! assert_eq!(request.destination.address, server);
//! assert!(nas.poll_event().is_none());
//! assert_eq!(nas.poll_timeout(), Some(now + sansio_primitives::Duration::from_secs(3)));
//!
//! // What a server answers (here built by hand): an Access-Accept with a
//! // Message-Authenticator, signed with the shared secret.
//! let req = Packet::parse(&request.payload).unwrap();
//! let mut accept = Packet::new(Code::AccessAccept, req.identifier, req.authenticator);
//! accept.attributes.push(Attribute::bytes(attr::MESSAGE_AUTHENTICATOR, &[0; 16]));
//! let mut bytes = accept.to_vec().unwrap();
//! crypto::sign_message_authenticator(&mut bytes, &req.authenticator, b"s3cret");
//! crypto::sign_response(&mut bytes, &req.authenticator, b"s3cret");
//!
//! nas.handle_input(now, server, &bytes).unwrap();
//! while let Some(t) = nas.poll_transmit(now) { let _ = t; }
//! match nas.poll_event() {
//!     Some(RadiusClientEvent::Response(r)) => {
//!         assert_eq!((r.handle, r.code), (handle, Code::AccessAccept));
//!     }
//!     other => panic!("{other:?}"),
//! }
//! // A duplicate of the answer is dropped and counted.
//! assert!(nas.handle_input(now, server, &bytes).is_err());
//! let c = nas.counters();
//! assert_eq!((c.late_or_duplicate, c.total_dropped()), (1, 1));
//! assert_eq!((c.transmitted, c.received), (1, 2));
//! assert_eq!(nas.poll_timeout(), None);
//! ```
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod client;
pub mod crypto;
pub mod dict;
#[cfg(feature = "tokio")]
pub mod driver;
pub mod dynauth;
mod error;
pub mod wire;

pub use client::{
    RadiusClient, RadiusClientCommandError, RadiusClientConfig, RadiusClientConfigError,
    RadiusClientCounters, RadiusClientDestination, RadiusClientDropped, RadiusClientEvent,
    RadiusServerConfig,
};
pub use crypto::Secret;
pub use dynauth::{
    DynAuthCommandError, DynAuthConfig, DynAuthCounters, DynAuthDropped, DynAuthEvent,
    DynAuthServer,
};
pub use error::AttrName;
/// The codec's error, under a name that does not clash with other crates'.
pub use error::Error as RadiusWireError;
pub use wire::{Attribute, Code, Packet, Value};
