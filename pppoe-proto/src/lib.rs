//! PPPoE (RFC 2516, RFC 4638) without I/O: codec, client and access
//! concentrator machines, session framing.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod ac;
pub mod client;
mod error;
pub mod session;
pub mod wire;

pub use ac::{Ac, AcConfig, AcEvent};
pub use client::{Client, ClientConfig, ClientEvent, ClientState, DownReason, FailReason};
pub use error::{DropCounts, Error};
pub use session::SessionFramer;
