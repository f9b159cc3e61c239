//! `bng-loadgen`: dials N PPPoE sessions from N MACs over one packet socket
//! against a `bng`, reports sessions/s, failures by stage and the bng's
//! RSS, holds the sessions, tears them down. See `router_bin::loadgen` and
//! `bench/bng_sessions.sh`. Exits 1 when fewer than N sessions came up.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use router_bin::loadgen::{self, Auth, LoadgenConfig};

#[derive(Clone, Copy, Debug, ValueEnum)]
enum AuthArg {
    Pap,
    Chap,
    Any,
}

/// A PPPoE session-setup load generator for bng.
#[derive(Parser, Debug)]
#[command(name = "bng-loadgen")]
struct Cli {
    /// The interface facing the bng.
    #[arg(long, short)]
    interface: String,
    /// Sessions to bring up.
    #[arg(long, short = 'n', default_value_t = 1000)]
    sessions: usize,
    /// Dials (and teardowns) in flight at most.
    #[arg(long, default_value_t = 64)]
    in_flight: usize,
    /// User name (`{n}` is replaced by the subscriber's number).
    #[arg(long, default_value = "bench")]
    user: String,
    /// Password / CHAP secret.
    #[arg(long, default_value = "bench")]
    password: String,
    /// Authentication the subscribers accept.
    #[arg(long, value_enum, default_value = "any")]
    auth: AuthArg,
    /// Do not negotiate IPCP (IPv6-only access).
    #[arg(long)]
    no_ipv4: bool,
    /// Do not negotiate IPv6CP.
    #[arg(long)]
    no_ipv6: bool,
    /// DHCPv6 prefix delegation after IPv6CP.
    #[arg(long)]
    pd: bool,
    /// Second octet of the MACs (02:SEED:nn:nn:nn:nn).
    #[arg(long, default_value_t = 0x5b)]
    mac_seed: u8,
    /// Redials of a failed dial.
    #[arg(long, default_value_t = 2)]
    redials: u32,
    /// Seconds a dial may take before it counts as failed.
    #[arg(long, default_value_t = 60)]
    dial_timeout: u64,
    /// Seconds to keep the sessions up (SIGINT/SIGTERM/SIGUSR1 or
    /// --until-file end it earlier).
    #[arg(long, default_value_t = 0)]
    hold: u64,
    /// Tear down once this file exists.
    #[arg(long)]
    until_file: Option<PathBuf>,
    /// The bng's PID (its VmRSS/VmHWM are read).
    #[arg(long)]
    bng_pid: Option<u32>,
    /// Session counts at which the bng's RSS is read (comma-separated).
    #[arg(long, value_delimiter = ',', default_values_t = [1000usize, 10000])]
    rss_at: Vec<usize>,
    /// Leave the sessions up at the end (no teardown).
    #[arg(long)]
    no_teardown: bool,
    /// Seconds the teardown may take.
    #[arg(long, default_value_t = 120)]
    teardown_timeout: u64,
}

fn main() -> ExitCode {
    let c = Cli::parse();
    if c.no_ipv4 && c.no_ipv6 {
        eprintln!("bng-loadgen: --no-ipv4 and --no-ipv6 leave nothing to bring up");
        return ExitCode::from(2);
    }
    let cfg = LoadgenConfig {
        interface: c.interface,
        sessions: c.sessions,
        in_flight: c.in_flight.max(1),
        user: c.user,
        password: c.password,
        auth: match c.auth {
            AuthArg::Pap => Auth::Pap,
            AuthArg::Chap => Auth::Chap,
            AuthArg::Any => Auth::Any,
        },
        ipv4: !c.no_ipv4,
        ipv6: !c.no_ipv6,
        pd: c.pd && !c.no_ipv6,
        mac_seed: c.mac_seed,
        redials: c.redials,
        dial_timeout: Duration::from_secs(c.dial_timeout),
        hold: Duration::from_secs(c.hold),
        until_file: c.until_file,
        bng_pid: c.bng_pid,
        rss_at: c.rss_at,
        teardown: !c.no_teardown,
        teardown_timeout: Duration::from_secs(c.teardown_timeout),
    };
    match loadgen::run(&cfg, |line| eprintln!("bng-loadgen: {line}")) {
        Ok(report) => {
            print!("{}", report.render());
            if report.up == cfg.sessions {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("bng-loadgen: {e}");
            ExitCode::from(2)
        }
    }
}
