//! Sans-IO PPP for PPPoE links: the RFC 1661 option-negotiation automaton,
//! LCP, PAP, CHAP-MD5, IPCP and IPv6CP, in the peer role (a home router
//! dialling in) and the authenticator role (an access concentrator).
//!
//! # What is implemented
//!
//! - RFC 1661: the §4 automaton written once ([`fsm`]), all ten states and
//!   every event and action of the state table, the restart timer,
//!   Max-Terminate/Max-Configure/Max-Failure; LCP (§5, §6): Configure-*,
//!   Terminate-*, Code-Reject, Protocol-Reject, Echo-Request/Reply,
//!   Discard-Request; options MRU, Authentication-Protocol, Magic-Number
//!   (looped-back link detection); the phases of §3.2 ([`PppSession`]).
//!   pppd's `silent` start ([`LcpConfig::silent`], the authenticator's
//!   default: wait up to 1 s for the client's first Configure-Request).
//! - RFC 2516 §7: ACCM, PFC and ACFC are rejected; frames carry no HDLC
//!   framing, Address/Control field or compressed Protocol field.
//! - RFC 1334 PAP and RFC 1994 CHAP with MD5, both roles; the authenticator
//!   hands the credential to the application ([`PppEvent::AuthRequest`]) and
//!   answers with its verdict ([`PppSession::accept`], [`PppSession::reject`]).
//! - RFC 1332 IPCP with RFC 1877 DNS options; RFC 5072 IPv6CP
//!   (Interface-Identifier; an authenticator may impose the peer's, as
//!   RADIUS Framed-Interface-Id asks, RFC 3162 §2.2).
//!
//! Not implemented: HDLC-like framing (RFC 1662: not used on PPPoE), the
//! automaton's passive option and its restart option on Open (the session
//! uses the restart only to renegotiate an NCP that failed to converge, at
//! most twice), LCP Identification/
//! Time-Remaining, MS-CHAP and EAP (Nak'd towards CHAP-MD5/PAP), CHAP
//! periodic re-challenge, VJ compression (rejected), NBNS options (rejected),
//! multilink, CCP/ECP (Protocol-Rejected). IPv4/IPv6 datagrams are the data
//! path's business: [`PppSession::handle_input`] refuses them
//! ([`PppDropped::NotControl`]).
//!
//! # The machine shape
//!
//! A [`PppSession`] never reads a clock or a random source and never touches
//! a socket; it has the shape every machine of the workspace shares
//! (`sansio_primitives`'s crate docs hold the reference text):
//!
//! - **constructor** [`PppSession::new`]`(config, rng, now)`: the session
//!   owns its [`sansio_primitives::SeededRng`] (Magic-Numbers, CHAP challenges,
//!   interface identifiers; an access concentrator forks one per session
//!   with `SeededRng::fork`); the configuration cannot be invalid;
//! - **input**: [`PppSession::handle_input`]`(now, frame)` (one PPP frame:
//!   Protocol + information, as carried in a PPPoE session frame) and
//!   [`PppSession::handle_timeout`]`(now)` (harmless when early or
//!   repeated); malformed or unexpected frames return `Err`, are counted
//!   per reason in the one [`PppSession::counters`] and change nothing;
//! - **commands** take `now`: [`PppSession::open`], [`PppSession::close`],
//!   [`PppSession::lower_down`], [`PppSession::accept`],
//!   [`PppSession::reject`], [`PppSession::set_ipv4_assignment`],
//!   [`PppSession::set_ipv6_peer_ifid`]; misuse returns `Err` at once;
//! - **outputs**: [`PppSession::poll_transmit`] (PPP frames),
//!   [`PppSession::poll_event`] ([`PppEvent`]), [`PppSession::poll_timeout`];
//! - **codec** ([`wire`]): `parse`, `buffer_len`, `emit` into a caller
//!   buffer, `to_vec`;
//! - **names** carry the protocol prefix where a bare name would clash with
//!   a neighbour crate's (`PppSession`, `PppConfig`, `PppEvent`,
//!   `PppDropped`, `PppWireError`…).
//!
//! Departures from the shape, and why:
//!
//! - **[`PppSession::new`] cannot fail and does not use `now`**: the
//!   session starts in the Dead phase with no timer running (its first
//!   deadline is set by [`PppSession::open`]`(now)`), and a [`PppConfig`]
//!   holds negotiation parameters (MRU, authentication methods, the RFC
//!   1661 timers and counters) that LCP negotiates or bounds at run time,
//!   so there is no `PppConfigError`. `now` stays in the signature so that
//!   every machine is built alike.
//! - **`poll_transmit(now)` ignores `now`**: frames are queued by
//!   `handle_*` and commands; the parameter is the shape's, for pacing
//!   later.
//! - **The codec keeps a public `put`** beside `emit`/`to_vec`: it appends
//!   to any [`bytes::BufMut`] (a `Vec` that grows), which is how option
//!   lists are built option by option into one Configure-Request/-Nak/
//!   -Reject without a buffer per option; the [`wire::cp::ConfigOption`]
//!   trait exposes it for the same reason.
//!
//! **Drain order**: after each `handle_*` call or command, drain
//! `poll_transmit` and then `poll_event` until each returns `None`, and read
//! `poll_timeout` last; call `handle_timeout` once that instant has passed.
//!
//! # Example
//!
//! A home router and an access concentrator, back to back in memory:
//!
//! ```
//! use ppp_proto::{PppConfig, PppEvent, Ipv4Assignment, PppSession};
//! use sansio_primitives::{Instant, SeededRng};
//! use std::net::Ipv4Addr;
//!
//! let now = Instant::ZERO;
//! let peer_config = PppConfig::peer(b"user", b"secret");
//! let mut peer = PppSession::new(peer_config, SeededRng::from_u64(1), now);
//! let ac_config = PppConfig::authenticator(b"ac", Ipv4Addr::new(192, 0, 2, 1));
//! let mut ac = PppSession::new(ac_config, SeededRng::from_u64(2), now);
//! ac.set_ipv4_assignment(Ipv4Assignment {
//!     peer: Ipv4Addr::new(192, 0, 2, 10),
//!     dns1: Some(Ipv4Addr::new(198, 51, 100, 53)),
//!     dns2: None,
//! });
//! peer.open(now);
//! ac.open(now);
//!
//! let mut peer_v4 = None;
//! for _ in 0..20 {
//!     while let Some(t) = peer.poll_transmit(now) {
//!         let _ = ac.handle_input(now, &t.payload);
//!     }
//!     while let Some(t) = ac.poll_transmit(now) {
//!         let _ = peer.handle_input(now, &t.payload);
//!     }
//!     while let Some(e) = ac.poll_event() {
//!         if let PppEvent::AuthRequest { user, credential } = e {
//!             // A local user table; RADIUS would be asked here instead.
//!             if user == b"user" && credential.verify(b"secret") {
//!                 ac.accept(now, b"welcome").unwrap();
//!             } else {
//!                 ac.reject(now, b"no").unwrap();
//!             }
//!         }
//!     }
//!     while let Some(e) = peer.poll_event() {
//!         if let PppEvent::Ipv4Up { local, .. } = e {
//!             peer_v4 = Some(local);
//!         }
//!     }
//! }
//! assert_eq!(peer_v4, Some(Ipv4Addr::new(192, 0, 2, 10)));
//! ```
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod auth;
pub mod chap;
mod config;
mod error;
pub mod fsm;
pub mod ipcp;
pub mod ipv6cp;
pub mod lcp;
pub mod pap;
mod session;
pub mod wire;

pub use auth::Credential;
pub use config::{AuthenticatorConfig, LcpConfig, PeerConfig, PppConfig, Role};
pub use error::{PppCommandError, PppDropped};
pub use ipcp::Ipv4Assignment;
pub use lcp::{AuthMethod, AuthMethods};
pub use sansio_primitives::Secret;
pub use session::{Phase, PppCounters, PppDownReason, PppEvent, PppSession};
pub use wire::Error as PppWireError;
