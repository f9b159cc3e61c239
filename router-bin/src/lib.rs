//! The glue between the Sans-IO protocol machines and a Linux host: raw
//! sockets, and (as they arrive) the `router` and `bng` binaries.
//!
//! This is the only crate of the workspace with `unsafe` code, confined to
//! [`afpacket`] and [`tun`], each block with the reason it is sound.

pub mod afpacket;
pub mod link;
pub mod tun;
