//! Sans-IO DHCPv6 (RFC 8415), prefix delegation.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod auth;
pub mod client;
pub mod retransmission;
pub mod server;
pub mod store;
pub mod wire;
