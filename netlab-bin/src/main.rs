//! `netlab`: the lab that runs `router` and `bng` together in network
//! namespaces, with a LAN host behind the router and an internet host
//! behind the ISP, and checks that the LAN gets online through them.
//!
//! ```text
//!  netlab-lan ── netlab-cpe (router) ══ PPPoE ══ netlab-isp (bng [+ FreeRADIUS]) ── netlab-internet
//!  dhclient      LAN 203.0.113.1/24              pool 192.0.2.10-250                   198.51.100.2
//!                                                 198.51.100.1                          web + iperf3
//! ```

mod checks;
mod host;
mod radius;
mod topology;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Runs the home router and the access concentrator in network namespaces.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Where the lab keeps its configs, logs, pid files and web content.
    #[arg(long, global = true, default_value = "/run/netlab")]
    dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Builds the topology and starts every daemon.
    Up {
        /// Authenticate and account through FreeRADIUS instead of the bng's
        /// local users table.
        #[arg(long)]
        radius: bool,
    },
    /// Runs the checks against a lab that is up.
    Test,
    /// Stops every daemon the lab started and removes the namespaces.
    Down,
    /// Up, test, down; the exit status is the test's.
    Demo {
        /// As for `up`.
        #[arg(long)]
        radius: bool,
    },
}

/// Prints what `down` did, one line each, or `nothing` when it did nothing.
fn print_down(done: &[String], nothing: &str) {
    if done.is_empty() {
        if !nothing.is_empty() {
            println!("netlab down: {nothing}");
        }
        return;
    }
    println!("netlab down:");
    for line in done {
        println!("  {line}");
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = host::require_root() {
        eprintln!("netlab: {e}");
        return ExitCode::from(2);
    }
    let lab = topology::Lab::new(cli.dir);
    let result = match cli.command {
        Command::Up { radius } => host::install_packages().and_then(|()| lab.up(radius)),
        Command::Test => checks::run(&lab),
        Command::Down => lab.down().map(|done| print_down(&done, "nothing was up")),
        Command::Demo { radius } => host::install_packages().and_then(|()| {
            // Tear down whatever an interrupted run left first.
            let left = lab.down()?;
            if !left.is_empty() {
                println!("netlab: an earlier run was left up; cleaned up:");
                print_down(&left, "");
            }
            let up = lab.up(radius);
            let tested = up.and_then(|()| checks::run(&lab));
            if tested.is_err() {
                lab.dump_logs();
            }
            let down = lab.down().map(|done| print_down(&done, "nothing was up"));
            tested.and(down)
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("netlab: {e}");
            ExitCode::FAILURE
        }
    }
}
