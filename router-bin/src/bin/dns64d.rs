//! `dns64d`: a DNS64 resolver front (RFC 6147) for an ISP, in front of its
//! recursive resolvers: AAAA synthesized under the NAT64 prefixes, a cache,
//! BIND's ACLs.
//!
//! ```text
//! dns64d --config dns64d.toml            # run (until SIGTERM/SIGINT)
//! dns64d stats --config dns64d.toml      # ask the running daemon
//! ```
//!
//! Every key of the config is documented in `router-bin/examples/dns64d.toml`.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use router_bin::daemon;
use router_bin::dns64d::{self, Config};

/// DNS64 in front of recursive resolvers.
#[derive(Parser)]
#[command(name = "dns64d", version)]
struct Cli {
    /// The config file (see examples/dns64d.toml).
    #[arg(long, short, global = true, default_value = "/etc/dns64d/dns64d.toml")]
    config: PathBuf,
    /// Log at debug level.
    #[arg(long, short, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon (the default).
    Run,
    /// Show the running daemon's counters.
    Stats,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    daemon::main(
        "dns64d",
        cli.verbose,
        || Config::load(&cli.config),
        |cfg| match cli.command.unwrap_or(Command::Run) {
            Command::Stats => daemon::ask(&cfg.control_socket, "stats"),
            // One thread: the machine is one task's.
            Command::Run => daemon::block_on(dns64d::run(cfg)),
        },
    )
}
