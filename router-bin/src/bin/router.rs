//! `router`: the home router (CPE). Dials PPPoE on the WAN interface, runs
//! the session's IP traffic through a TUN device (`ppp0`) with TCP MSS
//! clamping, configures addresses and routes through netlink, NAT44 and a
//! forward firewall through nftables, serves DHCPv4 on the LAN, and numbers
//! the LAN from the prefix the ISP delegates (DHCPv6-PD, RAs for SLAAC).
//!
//! ```text
//! router --config router.toml            # run (until SIGTERM/SIGINT)
//! router status --config router.toml     # ask the running router
//! ```
//!
//! Every key of the config is documented in `router-bin/examples/router.toml`.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use router_bin::daemon;
use router_bin::router::{self, Config};

/// The home router: PPPoE uplink, NAT44, DHCPv4 on the LAN.
#[derive(Parser)]
#[command(name = "router", version)]
struct Cli {
    /// The config file (see examples/router.toml).
    #[arg(long, short, global = true, default_value = "/etc/router/router.toml")]
    config: PathBuf,
    /// Log at debug level.
    #[arg(long, short, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the router (the default).
    Run,
    /// Show WAN state, addresses, uptime, the delegated IPv6 prefix and the
    /// LAN's prefixes, counters and DHCP leases of the running router.
    Status,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    daemon::main(
        "router",
        cli.verbose,
        || Config::load(&cli.config),
        |cfg| match cli.command.unwrap_or(Command::Run) {
            Command::Status => daemon::ask(&cfg.control_path(), "status"),
            Command::Run => daemon::block_on(router::run(cfg)),
        },
    )
}
