//! RADIUS for a PPPoE access concentrator: the codec, dictionaries, the
//! crypto, the NAS-side client machine and the CoA/Disconnect listener.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod client;
pub mod crypto;
pub mod dict;
pub mod dynauth;
mod error;
pub mod wire;

pub use crypto::Secret;
pub use error::{AttrName, Error};
pub use wire::{Attribute, Code, Packet, Value};
