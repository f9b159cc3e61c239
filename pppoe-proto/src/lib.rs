//! PPPoE (RFC 2516, RFC 4638) as Sans-IO state machines: the discovery
//! codec, the host (client) and access-concentrator machines, and in-place
//! session framing. No sockets, no clock, no ambient randomness: frames and
//! time go in, frames, timers and events come out.
//!
//! # What is implemented
//!
//! - **Codec** ([`wire`]): Ethernet II header (optionally 802.1Q tagged),
//!   the PPPoE header (RFC 2516 §4), every discovery packet (§5: PADI, PADO,
//!   PADR, PADS, PADT) and every tag of Appendix A (End-Of-List,
//!   Service-Name, AC-Name, Host-Uniq, AC-Cookie, Vendor-Specific,
//!   Relay-Session-Id, Service-Name-Error, AC-System-Error, Generic-Error)
//!   plus PPP-Max-Payload (RFC 4638 §4). Unknown tags and codes round-trip.
//! - **Client** ([`client`]): PADI with Host-Uniq and Service-Name, AC choice
//!   by AC-Name/Service-Name filter or first valid PADO, PADR echoing
//!   AC-Cookie and Relay-Session-Id, PADS, PADT both ways; the RFC 2516 §7
//!   doubling retransmission with attempt limits; RFC 4638 negotiation.
//! - **Access concentrator** ([`ac`]): stateless PADO with an HMAC-MD5
//!   AC-Cookie under a rotating secret, PADI token buckets per MAC and
//!   overall, session bounds total and per MAC (at the per-MAC bound a new
//!   session replaces the MAC's oldest, or is refused), error PADS, unique
//!   session ids in 1..=0xFFFE, PADT both ways, a rate-limited PADT for
//!   session frames of unknown sessions; admission automatic within the
//!   bounds or decided by the application per PADR.
//! - **Session framing** ([`session`]): 0x8864 encapsulation and
//!   decapsulation in place, MTU 1492 or the RFC 4638 value; TCP MSS
//!   clamping of SYNs crossing the session ([`mss`]), in place with an
//!   RFC 1624 checksum update.
//!
//! Not implemented: RFC 4938 (PADG/PADC/PADQ credit flow control), RFC 5578,
//! the TR-101 Vendor-Specific sub-options (carried as opaque bytes), an AC
//! admission hook deciding per PADR (admission is automatic within the
//! configured bounds; see [`ac`]), choosing among several PADOs by anything
//! but order of arrival, and any PPP processing (that is `ppp-proto`).
//!
//! # The machine shape
//!
//! [`PppoeClient`] and [`PppoeAc`] have the shape every machine of the
//! workspace shares (`sansio_primitives`'s crate docs hold the reference text):
//!
//! - `new(config, rng, now)`: the machine owns its [`sansio_primitives::SeededRng`];
//!   the configuration is checked once, here ([`PppoeConfigError`]).
//! - `handle_input(now, frame)` takes one received Ethernet frame of type
//!   0x8863 (without FCS; Ethernet padding is fine). `Err` is a
//!   [`PppoeDropped`]: the frame was dropped — malformed
//!   ([`PppoeDropped::Malformed`] with the codec's [`PppoeWireError`]), not
//!   addressed to us, from the wrong peer, with the wrong Host-Uniq or
//!   session id, over a rate limit — and is counted per reason in the one
//!   `counters()` ([`PppoeCounters`]); the state is exactly as before. Log
//!   and carry on.
//! - `handle_timeout(now)` when `poll_timeout()` has passed (early or
//!   repeated calls are harmless).
//! - Commands: [`PppoeClient::close`], [`PppoeClient::reconnect`],
//!   [`PppoeAc::close`], [`PppoeAc::accept`], [`PppoeAc::refuse`]. Caller
//!   misuse returns a [`PppoeCommandError`] at once.
//! - Outputs: `poll_transmit(now)` (a [`sansio_primitives::Transmit`] with the
//!   destination MAC and the whole Ethernet frame), `poll_event()`
//!   (protocol outcomes: session up/down, discovery failed, refused),
//!   `poll_timeout()`.
//! - Codec ([`wire`]): `parse`, `buffer_len`, `emit` into a caller buffer,
//!   `to_vec`; errors are [`PppoeWireError`] (`wire::Error`).
//! - Names carry the protocol prefix where a bare name would clash with a
//!   neighbour crate's (`PppoeClient`, `PppoeAcEvent`, …).
//!
//! Departures from the shape, and why:
//!
//! - **One [`PppoeDropped`] for both machines** (not a `PppoeClientDropped`
//!   and a `PppoeAcDropped`), and one [`PppoeCounters`]: most reasons are
//!   shared (malformed, not for us, wrong peer, wrong session id,
//!   unexpected code, missing tag, VLAN), and one enum lets a composition
//!   such as `pppoe-link` report either machine's drops as one type. Each variant's doc says which
//!   machine reports it where only one does; the other machine's counter
//!   for it stays zero.
//! - **`poll_transmit(now)` ignores `now`**: frames are queued by
//!   `handle_*` and commands; the parameter is the shape's, for pacing
//!   later.
//!
//! **Drain order:** after each `handle_*` call or command, drain
//! `poll_transmit` until `None`, then `poll_event` until `None`, and read
//! `poll_timeout` last. The `poll_*` methods are `#[must_use]`. Time must
//! not go backwards between calls.
//!
//! Session-stage frames (0x8864) never go through the machines: once
//! `SessionUp` is reported, take the [`SessionFramer`] from
//! [`PppoeClient::session_framer`] or [`PppoeAc::session_framer`] and frame PPP in
//! place.
//!
//! # Example: a client and an AC in memory
//!
//! ```
//! use pppoe_proto::wire::EthernetAddress;
//! use pppoe_proto::{PppoeAc, PppoeAcConfig, PppoeAcEvent, PppoeClient, PppoeClientConfig, PppoeClientEvent};
//! use sansio_primitives::{Instant, SeededRng};
//!
//! let host = EthernetAddress([0x02, 0, 0, 0, 0, 0x01]);
//! let ac_mac = EthernetAddress([0x02, 0, 0, 0, 0, 0xac]);
//! let now = Instant::ZERO;
//!
//! let mut config = PppoeClientConfig::new(host);
//! config.ppp_max_payload = Some(1500); // RFC 4638
//! let mut client = PppoeClient::new(config, SeededRng::from_u64(1), now).unwrap();
//! let mut ac_config = PppoeAcConfig::new(ac_mac, b"my-ac");
//! ac_config.ppp_max_payload = Some(1500);
//! let mut ac = PppoeAc::new(ac_config, SeededRng::from_u64(2), now).unwrap();
//!
//! // PADI -> PADO -> PADR -> PADS: shuttle frames until nothing moves.
//! let mut up = None;
//! for _ in 0..4 {
//!     while let Some(t) = client.poll_transmit(now) {
//!         ac.handle_input(now, &t.payload).unwrap();
//!     }
//!     while let Some(t) = ac.poll_transmit(now) {
//!         assert_eq!(t.destination, host);
//!         client.handle_input(now, &t.payload).unwrap();
//!     }
//!     while let Some(e) = client.poll_event() {
//!         up = Some(e);
//!     }
//!     while let Some(e) = ac.poll_event() {
//!         assert!(matches!(e, PppoeAcEvent::SessionUp { session_id: 1, .. }));
//!     }
//! }
//! assert_eq!(
//!     up,
//!     Some(PppoeClientEvent::SessionUp { ac_mac, session_id: 1, ppp_max_payload: Some(1500) })
//! );
//! // PADI and PADR out, PADO and PADS in, nothing dropped.
//! let c = client.counters();
//! assert_eq!((c.transmitted, c.received, c.total_dropped()), (2, 2, 0));
//!
//! // Session stage: frame a PPP packet in place, unframe it on the AC.
//! let tx = client.session_framer().unwrap();
//! let rx = ac.session_framer(1).unwrap();
//! let mut buf = [0u8; 1600];
//! let ppp = [0xc0, 0x21, 0x09, 0x07, 0x00, 0x08, 0x12, 0x34, 0x56, 0x78];
//! buf[tx.header_len()..][..ppp.len()].copy_from_slice(&ppp);
//! let n = tx.encapsulate(&mut buf, ppp.len()).unwrap();
//! let range = rx.decapsulate(&buf[..n]).unwrap();
//! assert_eq!(&buf[range], &ppp);
//!
//! // Hang up: the client sends a PADT, the AC frees the session.
//! client.close(now).unwrap();
//! let padt = client.poll_transmit(now).unwrap();
//! ac.handle_input(now, &padt.payload).unwrap();
//! assert_eq!(ac.session_count(), 0);
//! ```
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod ac;
pub mod client;
mod error;
pub mod mss;
pub mod session;
pub mod wire;

pub use ac::{PppoeAc, PppoeAcConfig, PppoeAcEvent};
pub use client::{
    PppoeClient, PppoeClientConfig, PppoeClientEvent, PppoeClientState, PppoeDownReason,
    PppoeFailReason,
};
pub use error::{PppoeCommandError, PppoeConfigError, PppoeCounters, PppoeDropped};
pub use session::SessionFramer;
pub use wire::Error as PppoeWireError;
