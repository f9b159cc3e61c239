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
use std::time::Duration;

use clap::{Parser, Subcommand};
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
    router_bin::logging::init(cli.verbose);
    let cfg = match Config::load(&cli.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("dns64d: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command.unwrap_or(Command::Run) {
        Command::Stats => {
            router_bin::control::request(&cfg.control_socket, "stats", Duration::from_secs(5))
                .map(|reply| print!("{reply}"))
                .map_err(|e| e.to_string())
        }
        // One thread: the machine is one task's.
        Command::Run => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("tokio runtime: {e}"))
            .and_then(|rt| rt.block_on(dns64d::run(cfg))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dns64d: {e}");
            ExitCode::FAILURE
        }
    }
}
