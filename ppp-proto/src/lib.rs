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
//!   (looped-back link detection); the phases of §3.2 ([`Session`]).
//!   pppd's `silent` start ([`LcpConfig::silent`], the authenticator's
//!   default: wait up to 1 s for the client's first Configure-Request).
//! - RFC 2516 §7: ACCM, PFC and ACFC are rejected; frames carry no HDLC
//!   framing, Address/Control field or compressed Protocol field.
//! - RFC 1334 PAP and RFC 1994 CHAP with MD5, both roles; the authenticator
//!   hands the credential to the application ([`Event::AuthRequest`]) and
//!   answers with its verdict ([`Session::accept`], [`Session::reject`]).
//! - RFC 1332 IPCP with RFC 1877 DNS options; RFC 5072 IPv6CP
//!   (Interface-Identifier).
//!
//! Not implemented: HDLC-like framing (RFC 1662: not used on PPPoE), the
//! automaton's passive option and its restart option on Open (the session
//! uses the restart only to renegotiate an NCP that failed to converge, at
//! most twice), LCP Identification/
//! Time-Remaining, MS-CHAP and EAP (Nak'd towards CHAP-MD5/PAP), CHAP
//! periodic re-challenge, VJ compression (rejected), NBNS options (rejected),
//! multilink, CCP/ECP (Protocol-Rejected). IPv4/IPv6 datagrams are the data
//! path's business: [`Session::handle_input`] refuses them
//! ([`Error::NotControl`]).
//!
//! # The machine
//!
//! A [`Session`] never reads a clock or a random source and never touches a
//! socket. Time is a parameter ([`proto_core::Instant`]); randomness
//! (Magic-Numbers, CHAP challenges, interface identifiers) comes from a
//! [`proto_core::SeededRng`] passed to the calls that may need it, so an
//! access concentrator with 10,000 sessions owns one generator rather than
//! one per session (a session holds about 700 bytes once established).
//!
//! - input: [`Session::handle_input`] (one PPP frame: Protocol +
//!   information, as carried in a PPPoE session frame) and
//!   [`Session::handle_timeout`]; malformed or unexpected frames return
//!   `Err`, are counted ([`Session::counters`]) and change nothing;
//! - commands: [`Session::open`], [`Session::close`],
//!   [`Session::lower_down`], [`Session::accept`], [`Session::reject`],
//!   [`Session::set_ipv4_assignment`];
//! - output: [`Session::poll_transmit`] (PPP frames), [`Session::poll_event`]
//!   ([`Event`]), [`Session::poll_timeout`].
//!
//! **Drain order**: after each `handle_*` call or command, drain
//! `poll_transmit` and then `poll_event` until each returns `None`, and read
//! `poll_timeout` last; call `handle_timeout` once that instant has passed
//! (early or repeated calls are harmless).
//!
//! # Example
//!
//! A home router and an access concentrator, back to back in memory:
//!
//! ```
//! use ppp_proto::{Config, Event, Ipv4Assignment, Session};
//! use proto_core::{Instant, SeededRng};
//! use std::net::Ipv4Addr;
//!
//! let now = Instant::ZERO;
//! let mut rng = SeededRng::from_u64(1);
//! let mut peer = Session::new(Config::peer(b"user", b"secret"), now);
//! let mut ac = Session::new(Config::authenticator(b"ac", Ipv4Addr::new(192, 0, 2, 1)), now);
//! ac.set_ipv4_assignment(Ipv4Assignment {
//!     peer: Ipv4Addr::new(192, 0, 2, 10),
//!     dns1: Some(Ipv4Addr::new(198, 51, 100, 53)),
//!     dns2: None,
//! });
//! peer.open(now, &mut rng);
//! ac.open(now, &mut rng);
//!
//! let mut peer_v4 = None;
//! for _ in 0..20 {
//!     while let Some(t) = peer.poll_transmit() {
//!         let _ = ac.handle_input(now, &t.payload, &mut rng);
//!     }
//!     while let Some(t) = ac.poll_transmit() {
//!         let _ = peer.handle_input(now, &t.payload, &mut rng);
//!     }
//!     while let Some(e) = ac.poll_event() {
//!         if let Event::AuthRequest { user, credential } = e {
//!             // A local user table; RADIUS would be asked here instead.
//!             if user == b"user" && credential.verify(b"secret") {
//!                 ac.accept(now, &mut rng, b"welcome").unwrap();
//!             } else {
//!                 ac.reject(now, &mut rng, b"no").unwrap();
//!             }
//!         }
//!     }
//!     while let Some(e) = peer.poll_event() {
//!         if let Event::Ipv4Up { local, .. } = e {
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
pub use config::{AuthenticatorConfig, Config, LcpConfig, PeerConfig, Role};
pub use error::Error;
pub use ipcp::Ipv4Assignment;
pub use lcp::{AuthMethod, AuthMethods};
pub use proto_core::Secret;
pub use session::{Counters, DownReason, Event, Phase, Session};
