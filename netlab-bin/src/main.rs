//! `netlab`: the lab that runs `router` and `bng` together in network
//! namespaces, with a LAN host behind the router and an internet host
//! behind the ISP, and checks that the LAN gets online through them.
//!
//! ```text
//!  netlab-lan ── netlab-cpe (router) ══ PPPoE ══ netlab-isp (bng [+ FreeRADIUS]) ── netlab-internet
//!  dhclient,     LAN 203.0.113.1/24              pool 192.0.2.10-250                   198.51.100.2
//!  SLAAC         + a /64 of the /56              /56s of 2001:db8:100::/40             2001:db8:ffff::2
//!                                                198.51.100.1, 2001:db8:ffff::1       web + iperf3
//! ```
//!
//! `--ipv6-only`: the bng refuses IPCP; the ISP runs xlatd (NAT64,
//! 2001:db8:64::/96 → pool4 203.0.113.254) and dns64d (2001:db8:53::53);
//! the internet adds an IPv4-only web server (198.51.100.3) and unbound
//! with their names; `netlab-lan4`, an IPv4-only host, sits on the LAN
//! bridge beside `netlab-lan` and reaches IPv4 through the router's CLAT.

mod checks;
mod checks6;
mod checks_v6only;
mod configs;
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
        /// The IPv6-only lab: IPCP refused, NAT64 (xlatd) and DNS64
        /// (dns64d) at the ISP, an IPv4-only LAN host behind the CLAT.
        #[arg(long)]
        ipv6_only: bool,
    },
    /// Runs the checks against a lab that is up.
    Test,
    /// Stops every daemon the lab started and removes the namespaces.
    Down,
    /// Up, test, down for the dual-stack lab, then the same for the
    /// IPv6-only one; the exit status is the tests'.
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
        Command::Up { radius, ipv6_only } => {
            host::install_packages().and_then(|()| lab.up(radius, ipv6_only))
        }
        Command::Test => checks::run(&lab),
        Command::Down => lab.down().map(|done| print_down(&done, "nothing was up")),
        Command::Demo { radius } => host::install_packages().and_then(|()| {
            // Tear down whatever an interrupted run left first.
            let left = lab.down()?;
            if !left.is_empty() {
                println!("netlab: an earlier run was left up; cleaned up:");
                print_down(&left, "");
            }
            let mut failed = Vec::new();
            for ipv6_only in [false, true] {
                let name = if ipv6_only { "IPv6-only" } else { "dual-stack" };
                println!("netlab: the {name} lab");
                let up = lab.up(radius, ipv6_only);
                let tested = up.and_then(|()| checks::run(&lab));
                if let Err(e) = &tested {
                    lab.dump_logs();
                    failed.push(format!("{name}: {e}"));
                }
                lab.down().map(|done| print_down(&done, "nothing was up"))?;
            }
            if failed.is_empty() {
                Ok(())
            } else {
                Err(std::io::Error::other(failed.join("; ")))
            }
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
