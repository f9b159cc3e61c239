//! The ISP's PPPoE access concentrator behind the `bng` binary: many PPPoE
//! sessions from one process and one TUN device; authentication from a
//! local users table or RADIUS; accounting; Disconnect/CoA; per-session
//! speed limits, MTU and fragmentation, the address pools; with `[ipv6]`,
//! Router Advertisements, DHCPv6 prefix delegation and IPv6 forwarding with
//! anti-spoofing on every session (`bng/ipv6.rs`, `bng/dhcpv6.rs`).
//!
//! [`Config::load`] reads the config (see `router-bin/examples/bng.toml`);
//! [`run`] drives the concentrator until SIGTERM/SIGINT. `src/bin/bng.rs`
//! only parses the command line.
#![forbid(unsafe_code)]

mod access;
mod auth;
mod coa;
mod config;
mod ctl;
mod datapath;
mod dhcpv6;
mod engine;
mod ipv6;
mod mtu;
mod offload;
mod pool;
mod radius;
mod run;
mod sessions;
mod shaper;
mod workers;

pub use config::Config;
pub use run::run;
