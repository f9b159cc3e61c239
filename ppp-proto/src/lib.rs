//! ppp-proto (being written).
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod error;
pub mod fsm;
mod secret;
pub mod wire;

pub use error::Error;
pub use secret::Secret;
