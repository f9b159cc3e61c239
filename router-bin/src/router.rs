//! The home router (CPE) behind the `router` binary: dials PPPoE on the WAN
//! interface, runs the session's IP traffic through a TUN device (`ppp0`)
//! with TCP MSS clamping, configures addresses and routes through netlink,
//! NAT44 and a forward firewall through nftables, and serves DHCPv4 and
//! (optionally) a caching DNS forwarder on the LAN; with IPv6, it asks the
//! ISP for a prefix (DHCPv6-PD) and numbers the LAN from it with router
//! advertisements (SLAAC). When the ISP gives no IPv4 (IPCP refused),
//! IPv6CP alone carries the session: the router learns the ISP's NAT64
//! prefix (PREF64 in its RAs, else RFC 7050) and runs a 464XLAT CLAT
//! (`clat0`) for the LAN's IPv4, which keeps DHCPv4 (with option 108 for
//! IPv6-capable hosts when configured).
//!
//! The session's data path runs on `wan.workers` threads (one per CPU by
//! default): each owns a queue of the multiqueue `ppp0` and a packet socket
//! of one `PACKET_FANOUT_HASH` group, so the kernel spreads flows over them;
//! PPPoE/PPP control, DHCP and the rest stay in the one event loop (see
//! `router/workers`). With `workers = 1` the event loop carries the data
//! too.
//!
//! [`Config::load`] reads the config (every key is documented in
//! `router-bin/examples/router.toml`); [`run`] drives the router until
//! SIGTERM/SIGINT. `src/bin/router.rs` only parses the command line.
#![forbid(unsafe_code)]

mod clat;
mod config;
mod datapath;
mod dhcp;
pub mod dns;
mod firewall;
mod ipv6;
mod nat64;
mod offload;
mod run;
mod state;
mod v6only;
mod wan;
mod wan_socket;
mod workers;

pub use config::Config;
pub use run::run;
