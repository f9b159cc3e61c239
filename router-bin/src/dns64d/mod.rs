//! The DNS64 daemon behind the `dns64d` binary, for an ISP (or the lab's
//! IPv6-only ISP) in front of its recursive resolvers: the `dns64` machine
//! on its tokio driver, UDP and TCP on the configured addresses, BIND's
//! `allow-query`/`clients`/`mapped`/`exclude`/`break-dnssec` as config
//! keys, a control socket for `dns64d stats`, SIGTERM/SIGINT answering the
//! queries in flight before it exits.
//!
//! [`Config::load`] reads `dns64d.toml` (every key is documented in
//! `router-bin/examples/dns64d.toml`); [`run`] serves until a signal.
#![forbid(unsafe_code)]

mod config;

pub use config::Config;

use std::time::Duration;

use dns64::Dns64;
use dns64::driver::{Dns64Driver, Dns64DriverStats, Dns64Listeners};
use sansio_primitives::{SeededRng, StdClock};
use tokio::signal::unix::{SignalKind, signal};
use tracing::{info, warn};

use crate::instance::InstanceLock;

/// `dns64d stats`: the counters, one per line.
pub fn stats_text(s: &Dns64DriverStats) -> String {
    let m = &s.machine;
    let d = &s.driver;
    format!(
        "queries {} (udp+tcp), answers {}, from cache {}, synthesized {}, local {}, refused {}, servfail {}\n\
         upstream queries {}, answers {}, tcp retries {}\n\
         dropped: malformed {}, not ours {}, question mismatch {}, unexpected {}, table full {}\n\
         tcp: open {}, accepted {}, over limit {}, idle closed {}, slow closed {}\n\
         in flight {}, cached {}\n",
        m.client_queries,
        m.client_answers,
        m.cache_hits,
        m.synthesized,
        m.local_answers,
        m.refused,
        m.servfail,
        m.upstream_queries,
        m.upstream_answers,
        m.tcp_retries,
        m.malformed,
        m.not_ours,
        m.question_mismatch,
        m.unexpected,
        m.table_full,
        s.tcp_connections,
        d.tcp_accepted,
        d.tcp_over_limit,
        d.tcp_idle_closed,
        d.tcp_slow_closed,
        s.outstanding,
        s.cached,
    )
}

/// Serves until SIGTERM or SIGINT, then lets the queries in flight finish.
pub async fn run(cfg: Config) -> Result<(), String> {
    let machine_cfg = cfg.machine()?;
    let addrs = cfg.listen_addrs()?;
    let socket = &cfg.control_socket;
    let lock_path = socket.with_extension("lock");
    let _lock = InstanceLock::acquire(
        &lock_path,
        "dns64d",
        &format!("control socket {}", socket.display()),
    )?;
    let control = crate::control::bind(socket)
        .map_err(|e| format!("control socket {}: {e}", socket.display()))?;
    let seed = crate::daemon::os_seed()?;
    let clock = StdClock::new();
    let machine = Dns64::new(machine_cfg, SeededRng::from_seed(seed), clock.now())
        .map_err(|e| e.to_string())?;
    let listeners = Dns64Listeners::bind(&addrs)
        .await
        .map_err(|e| format!("listen {addrs:?}: {e}"))?;
    let driver = Dns64Driver::spawn(machine, clock, listeners, cfg.driver());
    let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    info!(
        "dns64d ready: {addrs:?} (UDP, TCP), upstreams {:?}, prefixes {:?}",
        cfg.upstreams, cfg.prefixes
    );
    loop {
        tokio::select! {
            c = control.accept() => {
                let Ok((mut stream, _)) = c else {
                    // Out of descriptors, say: do not spin.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                };
                // A client that sends nothing does not hold the loop long.
                let cmd = tokio::time::timeout(
                    Duration::from_secs(2),
                    crate::control::read_command(&mut stream),
                )
                .await
                .unwrap_or_else(|_| Err(std::io::ErrorKind::TimedOut.into()));
                let reply = match cmd.as_deref() {
                    Ok("stats") => match driver.stats().await {
                        Ok(s) => stats_text(&s),
                        Err(e) => format!("{e}\n"),
                    },
                    Ok(other) => format!("unknown command `{other}` (known: stats)\n"),
                    Err(e) => {
                        warn!("control: {e}");
                        continue;
                    }
                };
                let _ = crate::control::write_reply(&mut stream, &reply).await;
            }
            _ = term.recv() => break,
            _ = int.recv() => break,
        }
    }
    info!("stopping: answering the queries in flight");
    driver.shutdown().await;
    let _ = std::fs::remove_file(socket);
    info!("stopped");
    Ok(())
}
