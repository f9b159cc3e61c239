//! The glue between the Sans-IO protocol machines and a Linux host: raw
//! sockets, the TUN device, netlink, the control socket, and the link
//! machines the `router` and `bng` binaries drive.
//!
//! This is the only crate of the workspace with `unsafe` code, confined to
//! [`afpacket`], [`tun`] and their event-loop registration in [`aio`], each block with the reason it is sound.

pub mod afpacket;
pub mod aio;
pub mod config_file;
pub mod control;
pub mod instance;
pub mod link;
pub mod netconf;
pub mod tun;
