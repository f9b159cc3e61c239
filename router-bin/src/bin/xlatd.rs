//! `xlatd`: the IP/ICMP translator daemon. SIIT (with EAMs: a CLAT) or
//! stateful NAT64 on a TUN device, what a tayga or Jool user switches to.
//!
//! ```text
//! xlatd --config xlatd.toml            # run (until SIGTERM/SIGINT)
//! xlatd status --config xlatd.toml     # counters and tables of the running one
//! ```
//!
//! Every key of the config is documented in `router-bin/examples/xlatd.toml`.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use router_bin::daemon;
use router_bin::xlatd::{self, Config};

/// The IP/ICMP translator: SIIT or NAT64 on a TUN device.
#[derive(Parser)]
#[command(name = "xlatd", version)]
struct Cli {
    /// The config file (see examples/xlatd.toml).
    #[arg(long, short, global = true, default_value = "/etc/xlatd/xlatd.toml")]
    config: PathBuf,
    /// Log at debug level (every dropped packet).
    #[arg(long, short, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the translator (the default).
    Run,
    /// Show the running translator's counters and tables.
    Status,
    /// Check the config file and exit.
    Check,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    daemon::main(
        "xlatd",
        cli.verbose,
        || Config::load(&cli.config),
        |(cfg, checked)| match cli.command.unwrap_or(Command::Run) {
            Command::Check => Ok(()),
            Command::Status => daemon::ask(&cfg.control_path(), "status"),
            Command::Run => daemon::block_on(xlatd::run(cfg, checked)),
        },
    )
}
