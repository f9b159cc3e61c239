//! `bng`: the ISP's PPPoE access concentrator. Many PPPoE sessions from one
//! process and one TUN device; authentication from a local users table or
//! RADIUS; accounting; Disconnect/CoA; per-session speed limits.
//!
//! `bng --config bng.toml` runs it; `bng sessions --config bng.toml` and
//! `bng stats --config bng.toml` ask the running daemon for its sessions
//! and counters. The default config is `/etc/bng/bng.toml`. See
//! `router-bin/examples/bng.toml`.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use router_bin::bng::{self, Config};

/// The ISP side of PPPoE: access concentrator, PPP authenticator, RADIUS
/// client, one TUN device for every session.
#[derive(Parser, Debug)]
#[command(name = "bng", version)]
struct Cli {
    /// The configuration file (see examples/bng.toml).
    #[arg(long, short, global = true, default_value = "/etc/bng/bng.toml")]
    config: PathBuf,
    /// What to do (default: run the concentrator).
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Lists the running daemon's sessions: user, MAC, session id, address,
    /// uptime, bytes each way.
    Sessions,
    /// Prints the running daemon's global counters.
    Stats,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let cfg = match Config::load(&cli.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("bng: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(c) = cli.command {
        let command = match c {
            Command::Sessions => "sessions",
            Command::Stats => "stats",
        };
        return match router_bin::control::request(
            &cfg.control_socket,
            command,
            Duration::from_secs(5),
        ) {
            Ok(reply) => {
                print!("{reply}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("bng: {e}");
                ExitCode::FAILURE
            }
        };
    }
    router_bin::logging::init(false);
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bng: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(bng::run(cfg)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}
