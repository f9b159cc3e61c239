//! A PPPoE session-setup load generator for `bng`: dials N sessions from N
//! locally administered MACs (`02:<seed>:<n>`) over ONE `AF_PACKET` socket,
//! each with our own subscriber machines (pppoe-link's [`ClientLink`]:
//! PADI/PADO/PADR/PADS, LCP, PAP or CHAP-MD5, IPCP and/or IPv6CP; with
//! `pd`, a DHCPv6-PD requesting router in the session), at most
//! `in_flight` dials at once, retransmissions by the machines' own timers
//! and a failed dial redialled up to `redials` times. It reports the time
//! until N are up and the rate, failures by stage and bng's RSS (VmRSS,
//! VmHWM of `--bng-pid`) at chosen session counts; it then keeps the
//! sessions up (answering LCP echoes) until `hold` passes, `until_file`
//! exists or SIGINT/SIGTERM/SIGUSR1 arrives, and tears them down (LCP
//! Terminate, then PADT; at most `in_flight` at once), timing that too.
//!
//! The `bng-loadgen` binary parses the command line; `bench/bng_sessions.sh`
//! runs it. Frames go only to the interface it is given (a veth inside a
//! namespace of the bench).
//!
//! [`ClientLink`]: pppoe_link::ClientLink
#![forbid(unsafe_code)]

mod dial;
mod pd;
mod run;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

pub use dial::{Stage, mac_of};
/// Also the bng tests' UDP-in-IPv6 builder (one checksummed copy).
pub use pd::udp6;
pub use run::run;

/// Which authentication the subscribers accept (the bng proposes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// PAP only (a CHAP proposal is Nak'ed towards PAP).
    Pap,
    /// CHAP-MD5 only.
    Chap,
    /// Whatever the bng proposes.
    Any,
}

/// What to dial and how.
#[derive(Debug, Clone)]
pub struct LoadgenConfig {
    /// The interface facing the bng.
    pub interface: String,
    /// Sessions to bring up.
    pub sessions: usize,
    /// Dials (and teardowns) in flight at most.
    pub in_flight: usize,
    /// User name; `{n}` is replaced by the subscriber's number.
    pub user: String,
    /// Password (PAP) / secret (CHAP).
    pub password: String,
    /// Authentication accepted.
    pub auth: Auth,
    /// Negotiate IPCP (a session is up once it is open).
    pub ipv4: bool,
    /// Negotiate IPv6CP (likewise).
    pub ipv6: bool,
    /// DHCPv6 prefix delegation after IPv6CP (a session is up once it has
    /// its prefix).
    pub pd: bool,
    /// The second octet of every MAC (runs side by side differ).
    pub mac_seed: u8,
    /// Redials of a failed dial.
    pub redials: u32,
    /// A dial not up after this counts as failed in its stage.
    pub dial_timeout: Duration,
    /// How long to keep the sessions up (unless told earlier).
    pub hold: Duration,
    /// Tear down once this file exists.
    pub until_file: Option<PathBuf>,
    /// The bng's PID, for its RSS.
    pub bng_pid: Option<u32>,
    /// Session counts at which the bng's RSS is read.
    pub rss_at: Vec<usize>,
    /// Tear the sessions down at the end (else leave them).
    pub teardown: bool,
    /// Bounds the teardown.
    pub teardown_timeout: Duration,
}

/// The bng's memory: (VmRSS, VmHWM) in KiB.
pub type Rss = (u64, u64);

/// VmRSS and VmHWM of process `pid` from `/proc/PID/status`.
pub fn rss_of(pid: u32) -> Option<Rss> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib = |key: &str| {
        s.lines().find_map(|l| {
            l.strip_prefix(key)?
                .trim()
                .strip_suffix("kB")?
                .trim()
                .parse()
                .ok()
        })
    };
    Some((kib("VmRSS:")?, kib("VmHWM:")?))
}

/// A point of the run: `sessions` were up `at` after the start.
#[derive(Debug, Clone)]
pub struct Milestone {
    /// Sessions up.
    pub sessions: usize,
    /// Since the first PADI.
    pub at: Duration,
    /// The bng's memory then, when asked for.
    pub rss: Option<Rss>,
}

/// What a run measured.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Sessions asked for.
    pub wanted: usize,
    /// Sessions that came up.
    pub up: usize,
    /// Dials given up, by the stage they were in.
    pub failures: Vec<(Stage, u64)>,
    /// Redials (a failed attempt dialled again).
    pub redials: u64,
    /// Until the last dial came up or was given up.
    pub setup: Duration,
    /// Until all `wanted` were up (`None` if some never came up).
    pub all_up: Option<Duration>,
    /// Points along the way (and every `rss_at`).
    pub milestones: Vec<Milestone>,
    /// The bng's memory with every session up.
    pub rss_up: Option<Rss>,
    /// Sessions that went down by themselves while held.
    pub lost: u64,
    /// Sessions torn down and how long it took.
    pub teardown: Option<(usize, Duration)>,
    /// The bng's memory after the teardown.
    pub rss_after: Option<Rss>,
    /// Frames sent / received / sends that failed.
    pub frames: (u64, u64, u64),
    /// `/proc/loadavg` at the end of the setup.
    pub loadavg: String,
}

impl Report {
    /// Sessions up per second of setup.
    pub fn rate(&self) -> f64 {
        self.up as f64 / self.setup.as_secs_f64().max(1e-9)
    }

    /// Failures summed.
    pub fn failed(&self) -> u64 {
        self.failures.iter().map(|(_, n)| n).sum()
    }

    /// The human summary, then one `RESULT key=value ...` line for scripts.
    pub fn render(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "{} of {} sessions up in {:.2} s: {:.1} sessions/s ({} redials)",
            self.up,
            self.wanted,
            self.setup.as_secs_f64(),
            self.rate(),
            self.redials
        );
        for m in &self.milestones {
            let rss = m.rss.map_or_else(String::new, |(r, h)| {
                format!("  bng VmRSS {r} KiB VmHWM {h} KiB")
            });
            let rate = m.sessions as f64 / m.at.as_secs_f64().max(1e-9);
            let _ = writeln!(
                o,
                "  {:>6} up at {:>8.2} s ({rate:.1}/s){rss}",
                m.sessions,
                m.at.as_secs_f64()
            );
        }
        let fails: Vec<String> = self
            .failures
            .iter()
            .map(|(s, n)| format!("{}={n}", s.name()))
            .collect();
        let _ = writeln!(o, "failures: {}", fails.join(" "));
        if let Some((n, d)) = self.teardown {
            let _ = writeln!(
                o,
                "teardown: {n} sessions in {:.2} s ({:.1}/s), {} lost while held",
                d.as_secs_f64(),
                n as f64 / d.as_secs_f64().max(1e-9),
                self.lost
            );
        }
        let _ = writeln!(o, "loadavg: {}", self.loadavg);
        let kib = |r: Option<Rss>, i: usize| {
            r.map_or_else(
                || "-".into(),
                |r| (if i == 0 { r.0 } else { r.1 }).to_string(),
            )
        };
        let mut line = format!(
            "RESULT wanted={} up={} failed={} redials={} setup_s={:.3} rate={:.1} all_up_s={} \
             rss_up_kib={} hwm_up_kib={} rss_after_kib={} lost={} teardown_s={} \
             tx={} rx={} tx_err={} loadavg={}",
            self.wanted,
            self.up,
            self.failed(),
            self.redials,
            self.setup.as_secs_f64(),
            self.rate(),
            self.all_up
                .map_or_else(|| "-".into(), |d| format!("{:.3}", d.as_secs_f64())),
            kib(self.rss_up, 0),
            kib(self.rss_up, 1),
            kib(self.rss_after, 0),
            self.lost,
            self.teardown
                .map_or_else(|| "-".into(), |(_, d)| format!("{:.3}", d.as_secs_f64())),
            self.frames.0,
            self.frames.1,
            self.frames.2,
            self.loadavg.split_whitespace().next().unwrap_or("-"),
        );
        for (s, n) in &self.failures {
            let _ = write!(line, " fail_{}={n}", s.name());
        }
        for m in &self.milestones {
            if let Some(r) = m.rss {
                let _ = write!(
                    line,
                    " at{}_s={:.3} rss{}_kib={} hwm{}_kib={}",
                    m.sessions,
                    m.at.as_secs_f64(),
                    m.sessions,
                    r.0,
                    m.sessions,
                    r.1
                );
            }
        }
        o.push_str(&line);
        o.push('\n');
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_are_local_unicast_and_distinct() {
        let a = mac_of(7, 1);
        assert_eq!(a, [2, 7, 0, 0, 0, 1]);
        assert_eq!(a[0] & 0x03, 0x02, "locally administered, unicast");
        assert_ne!(mac_of(7, 65536), mac_of(7, 0));
    }

    #[test]
    fn rss_of_ourselves_is_read() {
        let (rss, hwm) = rss_of(std::process::id()).unwrap();
        assert!(rss > 0 && hwm >= rss, "{rss} {hwm}");
        assert_eq!(rss_of(u32::MAX), None);
    }

    #[test]
    fn the_result_line_carries_rss_at_each_milestone() {
        let r = Report {
            wanted: 2,
            up: 2,
            failures: vec![(Stage::Discovery, 0), (Stage::Auth, 1)],
            setup: Duration::from_secs(1),
            milestones: vec![Milestone {
                sessions: 2,
                at: Duration::from_millis(500),
                rss: Some((10, 12)),
            }],
            loadavg: "1.50 1.00 0.50 1/2 3".into(),
            ..Report::default()
        };
        let text = r.render();
        let line = text.lines().last().unwrap();
        assert!(line.starts_with("RESULT wanted=2 up=2 failed=1 "), "{line}");
        assert!(line.contains(" rate=2.0 "), "{line}");
        assert!(line.contains(" fail_auth=1"), "{line}");
        assert!(line.contains(" rss2_kib=10 hwm2_kib=12"), "{line}");
        assert!(line.contains(" loadavg=1.50"), "{line}");
    }
}
