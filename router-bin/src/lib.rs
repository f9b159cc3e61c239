//! The glue between the Sans-IO protocol machines and a Linux host: raw
//! sockets, the TUN device, netlink and the control socket the `router` and
//! `bng` binaries drive (their link machines are the `pppoe-link` crate),
//! and the daemons themselves as library modules, [`router`], [`bng`] and
//! [`xlatd`] (the IP/ICMP translator): each binary's `main` only parses its command line and calls
//! them.
//!
//! This is the only crate of the workspace with `unsafe` code, confined to
//! [`afpacket`], [`tun`] and their event-loop registration in [`aio`], each block with the reason it is sound.

pub mod afpacket;
pub mod aio;
pub mod batch;
pub mod bng;
pub mod config_file;
pub mod control;
pub mod daemon;
pub mod dns64d;
pub mod gro;
pub mod gso;
pub mod instance;
pub mod loadgen;
pub mod logging;
pub mod netconf;
pub mod router;
pub mod tun;
pub mod xlatd;
