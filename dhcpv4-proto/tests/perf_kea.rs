//! DHCPv4 server benchmark: the `dhcpv4d` example against `kea-dhcp4`
//! (memfile backend, persist on), both driven by `perfdhcp` (Debian
//! `kea-admin`) at the same offered rates, client count and duration, each
//! run in a fresh pair of namespaces across a veth (192.0.2.0/24). Ours
//! fsyncs its lease journal before each batch of ACKs; Kea's memfile appends
//! to its CSV file.
//!
//! For each server it sweeps the offered rates upwards and reports the
//! highest one with < 1 % REQUEST-ACK drops (the lossless rate), and at each
//! offered rate the server's CPU per completed exchange (utime + stime from
//! `/proc/PID/stat`) and perfdhcp's own CPU (when it is near 100 % of a core,
//! perfdhcp, not the server, is the limit and the run says so). Rounds
//! alternate which server runs first; the median and spread over the rounds
//! and the load average are printed.
//!
//! Ignored by default; run through `bench/dhcpv4_vs_kea.sh` or
//! `cargo test --release -p dhcpv4-proto --test perf_kea -- --ignored --nocapture`.
//! Knobs: `DHCPV4_BENCH_RATES` (offered exchanges/s, comma list, default
//! 2000,5000,10000,15000,20000,30000), `DHCPV4_BENCH_CLIENTS` (default 200),
//! `DHCPV4_BENCH_SECS` (per point, default 5), `DHCPV4_BENCH_REPEAT`
//! (rounds, default 3).

mod common;

use std::time::Duration;

use common::daemon;
use testbed::{Netns, Testbed};

/// Drops at or above this fraction make an offered rate lossy.
const LOSSLESS_DROPS: f64 = 0.01;
/// perfdhcp's CPU share of one core from which it counts as the limit.
const PERFDHCP_LIMIT: f64 = 0.9;
/// `/proc/PID/stat` times are in USER_HZ, 100 on every Linux target.
const USER_HZ: f64 = 100.0;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rates() -> Vec<u64> {
    let s = std::env::var("DHCPV4_BENCH_RATES")
        .unwrap_or_else(|_| "2000,5000,10000,15000,20000,30000".into());
    let mut v: Vec<u64> = s.split(',').filter_map(|r| r.trim().parse().ok()).collect();
    v.sort_unstable();
    v
}

/// One perfdhcp run against one server.
struct Point {
    offered: u64,
    rate: f64,
    sent: u64,
    received: u64,
    /// Server CPU seconds during the run.
    server_cpu: f64,
    /// perfdhcp's CPU seconds and wall seconds.
    client_cpu: f64,
    client_wall: f64,
}

impl Point {
    fn drops(&self) -> f64 {
        if self.sent == 0 {
            return 1.0;
        }
        (self.sent - self.received.min(self.sent)) as f64 / self.sent as f64
    }
    fn cpu_us_per_exchange(&self) -> f64 {
        1e6 * self.server_cpu / (self.received.max(1) as f64)
    }
    fn client_share(&self) -> f64 {
        self.client_cpu / self.client_wall.max(1e-9)
    }
}

/// Pulls the 4-way exchange rate and the REQUEST-ACK counts out of
/// perfdhcp's report, and the `PERFDHCP_CPU user sys wall` line of
/// `/usr/bin/time`.
fn parse(offered: u64, out: &str, err: &str, server_cpu: f64) -> Point {
    let num = |line: &str| -> f64 {
        line.split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .find(|s| !s.is_empty() && s.parse::<f64>().is_ok())
            .and_then(|s| s.parse().ok())
            .unwrap_or(0.0)
    };
    let mut p = Point {
        offered,
        rate: 0.0,
        sent: 0,
        received: 0,
        server_cpu,
        client_cpu: 0.0,
        client_wall: 0.0,
    };
    let mut section = "";
    for line in out.lines() {
        let l = line.trim();
        if l.starts_with("***") {
            section = l;
        }
        if l.starts_with("Rate:") {
            p.rate = num(l);
        }
        if section.contains("REQUEST-ACK") {
            if l.starts_with("sent packets:") {
                p.sent = num(l) as u64;
            }
            if l.starts_with("received packets:") {
                p.received = num(l) as u64;
            }
        }
    }
    if let Some(l) = err.lines().find(|l| l.starts_with("PERFDHCP_CPU ")) {
        let f: Vec<f64> = l
            .split_whitespace()
            .skip(1)
            .filter_map(|x| x.parse().ok())
            .collect();
        if f.len() == 3 {
            p.client_cpu = f[0] + f[1];
            p.client_wall = f[2];
        }
    }
    p
}

/// utime + stime of a process, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name's closing parenthesis: state is field 3,
    // utime 14 and stime 15 of the whole line.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / USER_HZ
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn perfdhcp(tb: &Testbed, cli: &Netns, offered: u64, server_pid: u32) -> Point {
    let rate = offered.to_string();
    let clients = env("DHCPV4_BENCH_CLIENTS", 200).to_string();
    let secs = env("DHCPV4_BENCH_SECS", 5);
    let before = cpu_seconds(server_pid);
    // perfdhcp exits non-zero when it saw drops; its report is on stdout,
    // /usr/bin/time's line on stderr.
    let mut p = tb
        .spawn(
            cli,
            &[
                "/usr/bin/time",
                "-f",
                "PERFDHCP_CPU %U %S %e",
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
    let server_cpu = cpu_seconds(server_pid) - before;
    let (out, err) = p.output();
    assert!(
        status.is_some() && out.contains("Rate:"),
        "perfdhcp: {status:?}\n{out}\n{err}"
    );
    parse(offered, &out, &err, server_cpu)
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

fn ours(offered: u64) -> Option<Point> {
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
    Some(perfdhcp(&tb, &cli, offered, server.pid()))
}

fn kea(offered: u64) -> Option<Point> {
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
    // `env` execs kea-dhcp4, so the PID is Kea's own.
    let server = tb
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
    Some(perfdhcp(&tb, &cli, offered, server.pid()))
}

/// Sweeps the offered rates upwards, stopping after the first lossy one.
fn sweep(name: &str, run: fn(u64) -> Option<Point>) -> Option<Vec<Point>> {
    let mut points = Vec::new();
    for offered in rates() {
        let p = run(offered)?;
        println!(
            "DHCPv4 {name} offered {offered}/s: {:.0} exchanges/s, drops {:.2} %, server CPU {:.1} us/exchange, perfdhcp CPU {:.0} % of a core{}",
            p.rate,
            100.0 * p.drops(),
            p.cpu_us_per_exchange(),
            100.0 * p.client_share(),
            if p.client_share() >= PERFDHCP_LIMIT {
                " (perfdhcp is the limit here)"
            } else {
                ""
            }
        );
        let lossy = p.drops() >= LOSSLESS_DROPS;
        points.push(p);
        if lossy {
            break;
        }
    }
    Some(points)
}

/// The highest offered rate with < 1 % drops (0 if none), and whether
/// perfdhcp was the limit at the first lossy point or the sweep's top.
fn lossless(points: &[Point]) -> (u64, bool) {
    let best = points
        .iter()
        .filter(|p| p.drops() < LOSSLESS_DROPS)
        .map(|p| p.offered)
        .max()
        .unwrap_or(0);
    let limit = points
        .last()
        .is_some_and(|p| p.client_share() >= PERFDHCP_LIMIT);
    (best, limit)
}

fn median_spread(mut v: Vec<f64>) -> String {
    if v.is_empty() {
        return "n/a".into();
    }
    v.sort_by(f64::total_cmp);
    format!(
        "median {:.2} (min {:.2}, max {:.2}, n = {})",
        v[v.len() / 2],
        v[0],
        v[v.len() - 1],
        v.len()
    )
}

#[test]
#[ignore = "benchmark: minutes of perfdhcp load against dhcpv4d and Kea"]
fn throughput_vs_kea() {
    let rounds = env("DHCPV4_BENCH_REPEAT", 3);
    let top = rates().last().copied().unwrap_or(0);
    let mut lossless_ratio = Vec::new();
    let mut cpu_ratio = Vec::new();
    for round in 0..rounds {
        let load_before = loadavg();
        // Alternate the order: odd rounds run Kea first.
        let (o, k) = if round % 2 == 0 {
            let Some(o) = sweep("dhcpv4d", ours) else {
                return;
            };
            let Some(k) = sweep("kea-dhcp4", kea) else {
                return;
            };
            (o, k)
        } else {
            let Some(k) = sweep("kea-dhcp4", kea) else {
                return;
            };
            let Some(o) = sweep("dhcpv4d", ours) else {
                return;
            };
            (o, k)
        };
        let (ol, olim) = lossless(&o);
        let (kl, klim) = lossless(&k);
        let note = |l: u64, lim: bool| {
            if lim {
                " (perfdhcp at its limit: a lower bound)"
            } else if l == top {
                " (lossless at the sweep's top: a lower bound)"
            } else {
                ""
            }
        };
        println!(
            "DHCPv4 round {}/{rounds} ({} first; load average before {load_before}, after {}): lossless dhcpv4d {ol}/s{}, kea-dhcp4 {kl}/s{}",
            round + 1,
            if round % 2 == 0 {
                "dhcpv4d"
            } else {
                "kea-dhcp4"
            },
            loadavg(),
            note(ol, olim),
            note(kl, klim)
        );
        if kl > 0 {
            lossless_ratio.push(ol as f64 / kl as f64);
        }
        // CPU per exchange at the same offered rates, where both were lossless.
        for po in o.iter().filter(|p| p.drops() < LOSSLESS_DROPS) {
            if let Some(pk) = k
                .iter()
                .find(|p| p.offered == po.offered && p.drops() < LOSSLESS_DROPS)
            {
                let r = po.cpu_us_per_exchange() / pk.cpu_us_per_exchange().max(1e-9);
                println!(
                    "DHCPv4 round {} at {}/s: server CPU per exchange dhcpv4d {:.1} us, kea-dhcp4 {:.1} us, ratio {r:.2}",
                    round + 1,
                    po.offered,
                    po.cpu_us_per_exchange(),
                    pk.cpu_us_per_exchange()
                );
                cpu_ratio.push(r);
            }
        }
    }
    println!(
        "DHCPv4 lossless-rate ratio dhcpv4d/kea-dhcp4: {} (rates {:?}, clients {}, {} s per point; leases persisted by both)",
        median_spread(lossless_ratio),
        rates(),
        env("DHCPV4_BENCH_CLIENTS", 200),
        env("DHCPV4_BENCH_SECS", 5)
    );
    println!(
        "DHCPv4 server CPU per exchange ratio dhcpv4d/kea-dhcp4 (same offered rate, both lossless): {}",
        median_spread(cpu_ratio)
    );
}
