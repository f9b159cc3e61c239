//! Throughput of the `dhcpv4d` example against `kea-dhcp4` (memfile
//! backend, persist on), both driven by `perfdhcp` (Debian `kea-admin`) with
//! the same rate, client count and duration, one after the other in one
//! run, each in a fresh pair of namespaces across a veth (192.0.2.0/24).
//! Prints completed 4-way exchanges per second, drops and the request-ack
//! delay of each, and the ratio ours/Kea. Ours fsyncs its lease journal
//! before each batch of ACKs; Kea's memfile appends to its CSV file.
//!
//! Ignored by default (it takes a minute); run through
//! `bench/dhcpv4_vs_kea.sh` or
//! `cargo test --release -p dhcpv4-proto --test perf_kea -- --ignored --nocapture`.
//! Knobs: `DHCPV4_BENCH_RATE` (offered exchanges/s, default 10000),
//! `DHCPV4_BENCH_CLIENTS` (default 200), `DHCPV4_BENCH_SECS` (default 10).

mod common;

use std::time::Duration;

use common::daemon;
use testbed::{Netns, Testbed};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Result {
    rate: f64,
    sent: u64,
    received: u64,
    avg_delay_ms: f64,
    text: String,
}

/// Pulls the 4-way exchange rate, the DISCOVER/REQUEST counts and the
/// request-ack average delay out of perfdhcp's report.
fn parse(text: &str) -> Result {
    let num = |line: &str| -> f64 {
        line.split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .find(|s| !s.is_empty() && s.parse::<f64>().is_ok())
            .and_then(|s| s.parse().ok())
            .unwrap_or(0.0)
    };
    let mut r = Result {
        rate: 0.0,
        sent: 0,
        received: 0,
        avg_delay_ms: 0.0,
        text: text.to_owned(),
    };
    let mut section = "";
    for line in text.lines() {
        let l = line.trim();
        if l.starts_with("***") {
            section = l;
        }
        if l.starts_with("Rate:") {
            r.rate = num(l);
        }
        if section.contains("REQUEST-ACK") {
            if l.starts_with("sent packets:") {
                r.sent = num(l) as u64;
            }
            if l.starts_with("received packets:") {
                r.received = num(l) as u64;
            }
            if l.starts_with("avg delay:") {
                r.avg_delay_ms = num(l);
            }
        }
    }
    r
}

fn perfdhcp(tb: &Testbed, cli: &Netns) -> Result {
    let rate = env("DHCPV4_BENCH_RATE", 10000).to_string();
    let clients = env("DHCPV4_BENCH_CLIENTS", 200).to_string();
    let secs = env("DHCPV4_BENCH_SECS", 10);
    // perfdhcp exits non-zero when it saw drops; its report is on stdout.
    let mut p = tb
        .spawn(
            cli,
            &[
                "perfdhcp",
                "-4",
                "-l",
                "cli0",
                "-r",
                &rate,
                "-R",
                &clients,
                "-p",
                &secs.to_string(),
                "192.0.2.1",
            ],
        )
        .unwrap();
    let status = p.wait_timeout(Duration::from_secs(secs + 30)).unwrap();
    let (out, err) = p.output();
    assert!(
        status.is_some() && out.contains("Rate:"),
        "perfdhcp: {status:?}\n{out}\n{err}"
    );
    parse(&out)
}

fn lab(label: &str) -> Option<(Testbed, Netns, Netns)> {
    let mut tb = Testbed::with_deadline(label, Duration::from_secs(600))?;
    let srv = tb.namespace("server").unwrap();
    let cli = tb.namespace("client").unwrap();
    tb.veth((&srv, "srv0"), (&cli, "cli0")).unwrap();
    tb.addr(&srv, "srv0", "192.0.2.1/24").unwrap();
    tb.addr(&cli, "cli0", "192.0.2.2/24").unwrap();
    Some((tb, srv, cli))
}

fn ours() -> Option<Result> {
    let (tb, srv, cli) = lab("dhcpv4-perf-ours")?;
    let dir = tb.dir().to_path_buf();
    let conf = dir.join("dhcpv4d.toml");
    std::fs::write(
        &conf,
        format!(
            "interface = \"srv0\"\nserver_id = \"192.0.2.1\"\nlease_file = \"{}\"\nlease_time = 3600\nmax_requests_per_second = 1000000\n\n[pool]\nnetwork = \"192.0.2.0\"\nprefix_len = 24\nrange = [\"192.0.2.10\", \"192.0.2.250\"]\nrouter = \"192.0.2.1\"\n",
            dir.join("leases").display()
        ),
    )
    .unwrap();
    let server = tb
        .spawn(&srv, &[daemon().to_str().unwrap(), conf.to_str().unwrap()])
        .unwrap();
    let end = std::time::Instant::now() + Duration::from_secs(10);
    while !server.output().0.contains("ready on") {
        assert!(
            std::time::Instant::now() < end,
            "dhcpv4d did not start: {:?}",
            server.output()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    Some(perfdhcp(&tb, &cli))
}

fn kea() -> Option<Result> {
    let (tb, srv, cli) = lab("dhcpv4-perf-kea")?;
    let dir = tb.dir().to_path_buf();
    let conf = dir.join("kea-dhcp4.json");
    std::fs::write(
        &conf,
        format!(
            r#"{{ "Dhcp4": {{
  "interfaces-config": {{ "interfaces": [ "srv0" ] }},
  "lease-database": {{ "type": "memfile", "persist": true, "name": "{}", "lfc-interval": 0 }},
  "valid-lifetime": 3600,
  "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24",
    "pools": [ {{ "pool": "192.0.2.10 - 192.0.2.250" }} ],
    "option-data": [ {{ "name": "routers", "data": "192.0.2.1" }} ] }} ],
  "loggers": [ {{ "name": "kea-dhcp4", "severity": "WARN", "output_options": [ {{ "output": "stdout" }} ] }} ]
}} }}"#,
            dir.join("kea-leases4.csv").display()
        ),
    )
    .unwrap();
    let d = dir.display().to_string();
    let _server = tb
        .spawn(
            &srv,
            &[
                "env",
                &format!("KEA_PIDFILE_DIR={d}"),
                &format!("KEA_LOCKFILE_DIR={d}"),
                "kea-dhcp4",
                "-c",
                conf.to_str().unwrap(),
            ],
        )
        .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    Some(perfdhcp(&tb, &cli))
}

#[test]
#[ignore = "benchmark: a minute of perfdhcp load against dhcpv4d and Kea"]
fn throughput_vs_kea() {
    let Some(o) = ours() else { return };
    let Some(k) = kea() else { return };
    for (name, r) in [("dhcpv4d", &o), ("kea-dhcp4", &k)] {
        eprintln!("--- perfdhcp against {name}:\n{}", r.text);
        println!(
            "DHCPv4 {name}: {:.0} 4-way exchanges/s, REQUEST-ACK sent {} received {} (drops {:.1} %), avg request-ack delay {:.3} ms",
            r.rate,
            r.sent,
            r.received,
            if r.sent > 0 {
                100.0 * (r.sent - r.received.min(r.sent)) as f64 / r.sent as f64
            } else {
                0.0
            },
            r.avg_delay_ms
        );
    }
    println!(
        "DHCPv4 throughput ratio dhcpv4d/kea-dhcp4: {:.2} (same rate {}, clients {}, {} s; leases persisted by both)",
        o.rate / k.rate.max(1e-9),
        env("DHCPV4_BENCH_RATE", 10000),
        env("DHCPV4_BENCH_CLIENTS", 200),
        env("DHCPV4_BENCH_SECS", 10)
    );
}
