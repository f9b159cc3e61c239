//! dhcpv4-proto (being written).
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod client;
#[cfg(feature = "std")]
pub mod file_store;
pub mod lease;
pub mod server;
pub mod wire;
