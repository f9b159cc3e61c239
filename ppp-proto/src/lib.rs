//! ppp-proto (being written).
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
mod secret;
mod session;
pub mod wire;

pub use auth::Credential;
pub use config::{AuthenticatorConfig, Config, LcpConfig, PeerConfig, Role};
pub use error::Error;
pub use ipcp::Ipv4Assignment;
pub use lcp::{AuthMethod, AuthMethods};
pub use secret::Secret;
pub use session::{Counters, DownReason, Event, Phase, Session};
