//! The session-setup load generator (`bng-loadgen`) against a real bng, so
//! it cannot rot: 50 dual-stack sessions with PAP from 50 MACs over one
//! packet socket, the bng's RSS read at 50, all held and torn down (the
//! bng is left with none); and 20 IPv6-only sessions with CHAP and
//! DHCPv6-PD. Each fails if a session does not come up.

mod bng_support;
mod common;

use std::time::Duration;

use bng_support::{Bed, config_text};

/// A bng whose pool holds 191 addresses; `extra` goes first.
fn start(label: &str, extra: &str, ipv6: bool) -> Option<Bed> {
    Bed::start_text(label, |dir| {
        let v6 = if ipv6 {
            "[ipv6]\npools = [\"2001:db8:100::/40\"]\n"
        } else {
            ""
        };
        let text = config_text(dir, true, v6)
            .replace("last = \"198.51.100.20\"", "last = \"198.51.100.200\"");
        format!("{extra}state_dir = \"{}/state\"\n{text}", dir.display())
    })
}

/// Runs the generator in the client namespace; its exit success and output.
fn loadgen(bed: &Bed, args: &[&str]) -> (bool, String) {
    let pid = bed.bng.pid().to_string();
    let mut argv = vec![
        env!("CARGO_BIN_EXE_bng-loadgen"),
        "--interface",
        "wan0",
        "--bng-pid",
        &pid,
        "--hold",
        "1",
    ];
    argv.extend_from_slice(args);
    let mut p = bed.tb.spawn(&bed.client, &argv).unwrap();
    let status = p.wait_timeout(Duration::from_secs(60)).unwrap();
    let (out, err) = p.output();
    (status.is_some_and(|s| s.success()), format!("{out}\n{err}"))
}

fn field<'a>(out: &'a str, key: &str) -> &'a str {
    let line = out
        .lines()
        .find(|l| l.starts_with("RESULT "))
        .unwrap_or_else(|| panic!("no RESULT line:\n{out}"));
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
        .unwrap_or_else(|| panic!("no {key} in {line}"))
}

fn sessions(bed: &Bed) -> usize {
    let stats = bed.ctl("stats");
    stats
        .lines()
        .find_map(|l| l.strip_prefix("sessions ")?.parse().ok())
        .unwrap_or_else(|| panic!("{stats}"))
}

#[test]
fn fifty_dual_stack_sessions_up_held_and_torn_down() {
    let Some(bed) = start("lg-50", "", false) else {
        return;
    };
    let (ok, out) = loadgen(
        &bed,
        &[
            "--sessions",
            "50",
            "--in-flight",
            "16",
            "--user",
            "alice",
            "--password",
            "wonderland",
            "--auth",
            "pap",
            "--rss-at",
            "50",
        ],
    );
    assert!(ok, "{out}\n{}", bed.log());
    assert_eq!(field(&out, "up"), "50", "{out}");
    assert_eq!(field(&out, "failed"), "0", "{out}");
    assert!(
        field(&out, "rss50_kib").parse::<u64>().unwrap() > 0,
        "{out}"
    );
    assert_eq!(field(&out, "lost"), "0", "{out}");
    assert_ne!(field(&out, "teardown_s"), "-", "{out}");
    // Every session came from its own MAC, and the teardown ended them all.
    let mut left = usize::MAX;
    for _ in 0..50 {
        left = sessions(&bed);
        if left == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(left, 0, "{}\n{}", bed.ctl("sessions"), bed.log());
    let log = bed.log();
    assert_eq!(log.matches("session up").count(), 50, "{log}");
}

#[test]
fn ipv6_only_chap_sessions_with_prefix_delegation() {
    let Some(bed) = start("lg-v6", "ipv4 = false\n", true) else {
        return;
    };
    let (ok, out) = loadgen(
        &bed,
        &[
            "--sessions",
            "20",
            "--user",
            "alice",
            "--password",
            "wonderland",
            "--auth",
            "chap",
            "--no-ipv4",
            "--pd",
        ],
    );
    assert!(ok, "{out}\n{}", bed.log());
    assert_eq!(field(&out, "up"), "20", "{out}");
    let log = bed.log();
    assert!(log.matches("IPv6CP up").count() >= 20, "{log}");
}
