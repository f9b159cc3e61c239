//! The translator daemon behind the `xlatd` binary: SIIT (RFC 7915, with
//! pool6, the EAMT and RFC 6791 pools: also a CLAT) or stateful NAT64 (RFC
//! 6146) on a TUN device, from one TOML file, with the routes it needs
//! and a control socket for `xlatd status`.
//!
//! [`Config::load`] reads and checks the config (every key is documented
//! in `router-bin/examples/xlatd.toml`; errors name the file, line and
//! key); [`run`] translates until SIGTERM/SIGINT. `src/bin/xlatd.rs` only
//! parses the command line.
//!
//! The kernel routes the prefixes of `routes4`/`routes6` into the TUN;
//! each packet read is translated in place (the `xlat` crate) and written
//! back into the TUN, where the kernel routes it on as the other family.
//! Packets are read in batches of up to 64 before the loop looks at
//! timers and the control socket. With `offload` (the default) the TUN
//! hands over TCP segments of up to 64 KiB and partial checksums
//! (`IFF_VNET_HDR`), translated as one packet each and cut by the kernel
//! on the way out.
#![forbid(unsafe_code)]

mod config;
mod offload;
mod run;
pub(crate) mod siit_io;

pub use config::{Checked, Config, EamEntry, Mode, Nat64Section, Pool4Entry, Translator};
pub use run::run;
