//! PPPoE (RFC 2516, RFC 4638) without I/O: codec, client and access
//! concentrator machines, session framing.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod error;
pub mod wire;

pub use error::{DropCounts, Error};
