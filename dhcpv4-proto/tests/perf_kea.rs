//! DHCPv4 server benchmark: the `dhcpv4d` example against `kea-dhcp4`
//! (memfile backend, persist on), both driven by `perfdhcp` (Debian
//! `kea-admin`) at the same offered rates, client count and duration, each
//! run in fresh namespaces: the server on a bridge (192.0.2.1/24), one or
//! more perfdhcp load generators in namespaces of their own behind it
//! (192.0.2.2, .3, ...; each relays, so replies come back to it alone), each
//! with its share of the rate and of the clients and its own client MAC
//! range (`-b mac=00:0c:0N:00:00:00`).
//!
//! Durability differs, so ours runs twice: as shipped (`dhcpv4d`: the lease
//! journal `fdatasync`ed before each batch of ACKs, which survives a power
//! loss; a small batch waits up to the 1 ms commit window for more) and with `fsync_leases = false` (`dhcpv4d-nofsync`: written, not
//! fsynced, before the ACK). Kea's memfile (persist on) writes each lease
//! to its CSV file (`write(2)` per lease, no fsync: `CSVFile::append`), so
//! the second is the comparison at equal durability (a crash of the
//! process loses no ACKed lease, a power loss may). A server's CPU is its
//! own (`/proc/PID/stat`): what the kernel does for it in its context (our
//! fdatasync submits and waits for its writes there) counts, the write-back
//! of the unsynced ones by the kernel's flusher threads later does not, nor
//! does ext4's journal thread (`jbd2/…`, whose CPU during each point is
//! printed apart: it is the whole machine's, other writers included).
//!
//! For each server it finds the lossless rate (the highest offered rate with
//! < 1 % REQUEST-ACK drops): offered rates doubling from
//! `DHCPV4_BENCH_START` until the first lossy one, then a bisection between
//! the last lossless and the first lossy rate down to 1/10 of the rate. At
//! every point it prints the server's CPU per completed exchange and its
//! share of a core (utime + stime from `/proc/PID/stat`) and each perfdhcp's
//! share of a core (`/usr/bin/time`), the UDP receive-buffer overflows in
//! the server's and the generators' namespaces (RcvbufErrors), and names the
//! limit there: a perfdhcp at >= 90 % of a core, else the server at >= 90 %,
//! else neither, with whose receive buffer overflowed (latency: a process
//! waiting for a CPU on a shared machine, or for its disk). The doubling rates are the same for
//! both servers, so their CPU per exchange is compared at equal offered
//! rates where both were lossless. Rounds alternate which server runs
//! first; the median and spread over the rounds and the load average are
//! printed.
//!
//! Ignored by default; run through `bench/dhcpv4_vs_kea.sh` or
//! `cargo test --release -p dhcpv4-proto --test perf_kea -- --ignored --nocapture`.
//! Knobs: `DHCPV4_BENCH_START` (first offered rate, exchanges/s, default
//! 1000), `DHCPV4_BENCH_MAX` (highest, default 64000), `DHCPV4_BENCH_GENERATORS`
//! (perfdhcp processes, default 2), `DHCPV4_BENCH_CLIENTS` (all generators
//! together, default 200), `DHCPV4_BENCH_SECS` (per point, default 5),
//! `DHCPV4_BENCH_REPEAT` (rounds, default 3), `DHCPV4_BENCH_NOFSYNC` (0: skip
//! `dhcpv4d-nofsync`, default 1), `DHCPV4_BENCH_LEASE_DIR` (where the lease
//! files go, default the lab's temporary directory; left there),
//! `DHCPV4_BENCH_WINDOWS` (comma-separated group-commit windows in µs, e.g.
//! `0,500,1000`: the fsynced `dhcpv4d` runs once per window, as
//! `dhcpv4d-wN`, with `commit_window_us = N`; default: once, as shipped).

mod common;

use std::time::Duration;

use common::daemon;
use testbed::procstat::cpu_seconds;
use testbed::{Netns, Testbed};

/// Drops at or above this fraction make an offered rate lossy.
const LOSSLESS_DROPS: f64 = 0.01;
/// A process's CPU share of one core from which it counts as the limit.
const CPU_LIMIT: f64 = 0.9;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One perfdhcp process's run.
#[derive(Default)]
struct Generator {
    rate: f64,
    sent: u64,
    received: u64,
    /// CPU seconds and wall seconds.
    cpu: f64,
    wall: f64,
}

/// One point: every generator against one server at one offered rate.
struct Point {
    offered: u64,
    gens: Vec<Generator>,
    /// Server CPU seconds during the run.
    server_cpu: f64,
    /// UDP datagrams dropped for a full receive buffer (RcvbufErrors) in
    /// the server's namespace and in the generators' during the run.
    server_overflows: u64,
    client_overflows: u64,
    /// CPU seconds of every ext4 journal thread during the run.
    jbd2_cpu: f64,
}

impl Point {
    fn sent(&self) -> u64 {
        self.gens.iter().map(|g| g.sent).sum()
    }
    fn received(&self) -> u64 {
        self.gens.iter().map(|g| g.received.min(g.sent)).sum()
    }
    fn rate(&self) -> f64 {
        self.gens.iter().map(|g| g.rate).sum()
    }
    fn wall(&self) -> f64 {
        self.gens.iter().map(|g| g.wall).fold(1e-9, f64::max)
    }
    fn drops(&self) -> f64 {
        if self.sent() == 0 {
            return 1.0;
        }
        (self.sent() - self.received()) as f64 / self.sent() as f64
    }
    fn lossy(&self) -> bool {
        self.drops() >= LOSSLESS_DROPS
    }
    fn cpu_us_per_exchange(&self) -> f64 {
        1e6 * self.server_cpu / (self.received().max(1) as f64)
    }
    fn server_share(&self) -> f64 {
        self.server_cpu / self.wall()
    }
    fn generator_shares(&self) -> Vec<f64> {
        self.gens.iter().map(|g| g.cpu / g.wall.max(1e-9)).collect()
    }
    /// What held the rate here.
    fn limit(&self) -> &'static str {
        if self.generator_shares().iter().any(|&s| s >= CPU_LIMIT) {
            "perfdhcp"
        } else if self.server_share() >= CPU_LIMIT {
            "the server"
        } else if self.server_overflows > 0 {
            "neither at a full core; the server's receive buffer overflowed while it waited (for a CPU or its disk)"
        } else if self.client_overflows > 0 {
            "neither at a full core; perfdhcp's receive buffer overflowed while it waited for a CPU"
        } else {
            "neither at a full core"
        }
    }
}

/// Pulls the 4-way exchange rate and the REQUEST-ACK counts out of
/// perfdhcp's report, and the `PERFDHCP_CPU user sys wall` line of
/// `/usr/bin/time`.
fn parse(out: &str, err: &str) -> Generator {
    let num = |line: &str| -> f64 {
        line.split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .find(|s| !s.is_empty() && s.parse::<f64>().is_ok())
            .and_then(|s| s.parse().ok())
            .unwrap_or(0.0)
    };
    let mut g = Generator::default();
    let mut section = "";
    for line in out.lines() {
        let l = line.trim();
        if l.starts_with("***") {
            section = l;
        }
        if l.starts_with("Rate:") {
            g.rate = num(l);
        }
        if section.contains("REQUEST-ACK") {
            if l.starts_with("sent packets:") {
                g.sent = num(l) as u64;
            }
            if l.starts_with("received packets:") {
                g.received = num(l) as u64;
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
            g.cpu = f[0] + f[1];
            g.wall = f[2];
        }
    }
    g
}

/// CPU seconds of the ext4 journal threads (`jbd2/DEVICE`), all of them:
/// their commits are not billed to the process that asked for them.
fn jbd2_cpu_seconds() -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.starts_with("jbd2/"))
        })
        .map(cpu_seconds)
        .sum()
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// RcvbufErrors of a namespace's UDP (`/proc/net/snmp` is per namespace).
fn rcvbuf_errors(tb: &Testbed, ns: &Netns) -> u64 {
    let snmp = tb
        .exec(ns, &["cat", "/proc/net/snmp"], Duration::from_secs(5))
        .unwrap_or_default();
    let mut udp = snmp.lines().filter(|l| l.starts_with("Udp: "));
    let (Some(names), Some(values)) = (udp.next(), udp.next()) else {
        return 0;
    };
    names
        .split_whitespace()
        .zip(values.split_whitespace())
        .find(|(n, _)| *n == "RcvbufErrors")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0)
}

/// Runs every generator at its share of `offered` at once.
fn perfdhcp(tb: &Testbed, srv: &Netns, clis: &[Netns], offered: u64, server_pid: u32) -> Point {
    let overflows = || {
        let c: u64 = clis.iter().map(|c| rcvbuf_errors(tb, c)).sum();
        (rcvbuf_errors(tb, srv), c)
    };
    let (srv_before, cli_before) = overflows();
    let n = clis.len() as u64;
    let rate = (offered / n).max(1).to_string();
    let clients = (env("DHCPV4_BENCH_CLIENTS", 200) / n).max(1).to_string();
    let secs = env("DHCPV4_BENCH_SECS", 5);
    let before = cpu_seconds(server_pid);
    let jbd2_before = jbd2_cpu_seconds();
    let procs: Vec<_> = clis
        .iter()
        .enumerate()
        .map(|(i, cli)| {
            // perfdhcp exits non-zero when it saw drops; its report is on
            // stdout, /usr/bin/time's line on stderr.
            tb.spawn(
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
                    "-b",
                    &format!("mac=00:0c:{:02x}:00:00:00", i + 1),
                    "-p",
                    &secs.to_string(),
                    "192.0.2.1",
                ],
            )
            .unwrap()
        })
        .collect();
    let mut gens = Vec::new();
    for mut p in procs {
        let status = p.wait_timeout(Duration::from_secs(secs + 30)).unwrap();
        let (out, err) = p.output();
        assert!(
            status.is_some() && out.contains("Rate:"),
            "perfdhcp: {status:?}\n{out}\n{err}"
        );
        gens.push(parse(&out, &err));
    }
    let server_cpu = cpu_seconds(server_pid) - before;
    let jbd2_cpu = jbd2_cpu_seconds() - jbd2_before;
    let (srv_after, cli_after) = overflows();
    Point {
        offered,
        gens,
        server_cpu,
        server_overflows: srv_after.saturating_sub(srv_before),
        client_overflows: cli_after.saturating_sub(cli_before),
        jbd2_cpu,
    }
}

/// The server's namespace with 192.0.2.1/24 on the bridge `br0`, and one
/// namespace per generator on a port of it (192.0.2.2, .3, ...).
fn lab(label: &str) -> Option<(Testbed, Netns, Vec<Netns>)> {
    let mut tb = Testbed::with_deadline(label, Duration::from_secs(600))?;
    let srv = tb.namespace("server").unwrap();
    tb.ip(&srv, &["link", "add", "br0", "type", "bridge"])
        .unwrap();
    tb.link_up(&srv, "br0").unwrap();
    tb.addr(&srv, "br0", "192.0.2.1/24").unwrap();
    let mut clis = Vec::new();
    for i in 0..env("DHCPV4_BENCH_GENERATORS", 2).clamp(1, 8) {
        let cli = tb.namespace("client").unwrap();
        let port = format!("srv{i}");
        tb.veth((&srv, &port), (&cli, "cli0")).unwrap();
        tb.ip(&srv, &["link", "set", &port, "master", "br0"])
            .unwrap();
        tb.addr(&cli, "cli0", &format!("192.0.2.{}/24", i + 2))
            .unwrap();
        clis.push(cli);
    }
    Some((tb, srv, clis))
}

/// Where a server's lease file goes: the lab's directory, or
/// `DHCPV4_BENCH_LEASE_DIR` (another filesystem: with or without an ext4
/// journal, say), named after the lab so runs do not share one.
fn lease_file(tb: &Testbed, name: &str) -> std::path::PathBuf {
    match std::env::var_os("DHCPV4_BENCH_LEASE_DIR") {
        Some(d) => {
            let lab = tb.dir().file_name().unwrap_or_default().to_string_lossy();
            std::path::PathBuf::from(d).join(format!("{lab}-{name}"))
        }
        None => tb.dir().join(name),
    }
}

/// `dhcpv4d` with `fsync_leases = fsync` and, when given, `commit_window_us`.
fn run_ours(offered: u64, fsync: bool, window_us: Option<u64>) -> Option<Point> {
    let (tb, srv, clis) = lab("dhcpv4-perf-ours")?;
    let dir = tb.dir().to_path_buf();
    let conf = dir.join("dhcpv4d.toml");
    let window = window_us.map_or(String::new(), |w| format!("commit_window_us = {w}\n"));
    std::fs::write(
        &conf,
        format!(
            "interface = \"br0\"\nserver_id = \"192.0.2.1\"\nlease_file = \"{}\"\nlease_time = 3600\nmax_requests_per_second = 1000000\nlog_leases = false\nfsync_leases = {fsync}\n{window}\n[pool]\nnetwork = \"192.0.2.0\"\nprefix_len = 24\nrange = [\"192.0.2.10\", \"192.0.2.250\"]\nrouter = \"192.0.2.1\"\n",
            lease_file(&tb, "leases").display()
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
    Some(perfdhcp(&tb, &srv, &clis, offered, server.pid()))
}

fn kea(offered: u64) -> Option<Point> {
    let (tb, srv, clis) = lab("dhcpv4-perf-kea")?;
    let dir = tb.dir().to_path_buf();
    let conf = dir.join("kea-dhcp4.json");
    std::fs::write(
        &conf,
        format!(
            r#"{{ "Dhcp4": {{
  "interfaces-config": {{ "interfaces": [ "br0" ] }},
  "lease-database": {{ "type": "memfile", "persist": true, "name": "{}", "lfc-interval": 0 }},
  "valid-lifetime": 3600,
  "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24",
    "pools": [ {{ "pool": "192.0.2.10 - 192.0.2.250" }} ],
    "option-data": [ {{ "name": "routers", "data": "192.0.2.1" }} ] }} ],
  "loggers": [ {{ "name": "kea-dhcp4", "severity": "WARN", "output_options": [ {{ "output": "stdout" }} ] }} ]
}} }}"#,
            lease_file(&tb, "kea-leases4.csv").display()
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
    Some(perfdhcp(&tb, &srv, &clis, offered, server.pid()))
}

fn report(name: &str, p: &Point) {
    let gens: Vec<String> = p
        .generator_shares()
        .iter()
        .map(|s| format!("{:.0} %", 100.0 * s))
        .collect();
    println!(
        "DHCPv4 {name} offered {}/s: {:.0} exchanges/s, drops {:.2} %, server CPU {:.1} us/exchange ({:.0} % of a core), perfdhcp CPU {} of a core; jbd2 (whole machine) {:.1} us/exchange; receive-buffer overflows: server {}, perfdhcp {}; limit: {}",
        p.offered,
        p.rate(),
        100.0 * p.drops(),
        p.cpu_us_per_exchange(),
        100.0 * p.server_share(),
        gens.join(" + "),
        1e6 * p.jbd2_cpu / (p.received().max(1) as f64),
        p.server_overflows,
        p.client_overflows,
        p.limit()
    );
}

/// Doubles the offered rate from `DHCPV4_BENCH_START` until the first
/// lossy one (or `DHCPV4_BENCH_MAX`), then bisects between the last
/// lossless and the first lossy rate down to a tenth of the rate.
fn sweep(name: &str, run: &dyn Fn(u64) -> Option<Point>) -> Option<Vec<Point>> {
    let max = env("DHCPV4_BENCH_MAX", 64_000);
    let mut offered = env("DHCPV4_BENCH_START", 1000).clamp(1, max);
    let mut points = Vec::new();
    let mut lossless = 0;
    let lossy = loop {
        let p = run(offered)?;
        report(name, &p);
        let lossy = p.lossy();
        points.push(p);
        if lossy {
            break offered;
        }
        lossless = offered;
        if offered >= max {
            return Some(points);
        }
        offered = (offered * 2).min(max);
    };
    let mut hi = lossy;
    while hi - lossless > (lossless / 10).max(50) {
        let mid = lossless + (hi - lossless) / 2;
        let p = run(mid)?;
        report(name, &p);
        match p.lossy() {
            true => hi = mid,
            false => lossless = mid,
        }
        points.push(p);
    }
    Some(points)
}

/// The highest offered rate with < 1 % drops (0 if none), and what held the
/// lowest lossy rate (`None`: no lossy rate up to `DHCPV4_BENCH_MAX`).
fn lossless(points: &[Point]) -> (u64, Option<&'static str>) {
    let best = points
        .iter()
        .filter(|p| !p.lossy())
        .map(|p| p.offered)
        .max()
        .unwrap_or(0);
    let limit = points
        .iter()
        .filter(|p| p.lossy())
        .min_by_key(|p| p.offered)
        .map(Point::limit);
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

/// One of our variants against Kea in one round: the lossless-rate ratio,
/// and the CPU-per-exchange ratios at the offered rates where both were
/// lossless (each printed).
fn compare(
    round: u64,
    name: &str,
    o: &[Point],
    k: &[Point],
    lossless_ratio: &mut Vec<f64>,
    cpu_ratio: &mut Vec<f64>,
) {
    let (ol, _) = lossless(o);
    let (kl, _) = lossless(k);
    if kl > 0 {
        lossless_ratio.push(ol as f64 / kl as f64);
    }
    for po in o.iter().filter(|p| !p.lossy()) {
        if let Some(pk) = k.iter().find(|p| p.offered == po.offered && !p.lossy()) {
            let r = po.cpu_us_per_exchange() / pk.cpu_us_per_exchange().max(1e-9);
            println!(
                "DHCPv4 round {round} at {}/s: server CPU per exchange {name} {:.1} us, kea-dhcp4 {:.1} us, ratio {r:.2}",
                po.offered,
                po.cpu_us_per_exchange(),
                pk.cpu_us_per_exchange()
            );
            cpu_ratio.push(r);
        }
    }
}

type Server = (String, Box<dyn Fn(u64) -> Option<Point>>);

#[test]
#[ignore = "benchmark: minutes of perfdhcp load against dhcpv4d and Kea"]
fn throughput_vs_kea() {
    let rounds = env("DHCPV4_BENCH_REPEAT", 3);
    let nofsync = env("DHCPV4_BENCH_NOFSYNC", 1) != 0;
    let mut servers: Vec<Server> = match std::env::var("DHCPV4_BENCH_WINDOWS") {
        Ok(w) if !w.trim().is_empty() => w
            .split(',')
            .map(|w| {
                let w: u64 = w
                    .trim()
                    .parse()
                    .expect("DHCPV4_BENCH_WINDOWS: µs, comma-separated");
                let run: Box<dyn Fn(u64) -> Option<Point>> =
                    Box::new(move |r| run_ours(r, true, Some(w)));
                (format!("dhcpv4d-w{w}"), run)
            })
            .collect(),
        _ => vec![("dhcpv4d".into(), Box::new(|r| run_ours(r, true, None)))],
    };
    if nofsync {
        servers.push((
            "dhcpv4d-nofsync".into(),
            Box::new(|r| run_ours(r, false, None)),
        ));
    }
    servers.push(("kea-dhcp4".into(), Box::new(kea)));
    // Per variant of ours: lossless-rate ratios and CPU ratios to Kea.
    let mut ratios: Vec<(Vec<f64>, Vec<f64>)> = vec![(Vec::new(), Vec::new()); servers.len() - 1];
    for round in 0..rounds {
        let load_before = loadavg();
        // Alternate the order: odd rounds run them backwards (Kea first).
        let order: Vec<usize> = match round % 2 {
            0 => (0..servers.len()).collect(),
            _ => (0..servers.len()).rev().collect(),
        };
        let mut sweeps: Vec<Option<Vec<Point>>> = (0..servers.len()).map(|_| None).collect();
        for &i in &order {
            let Some(points) = sweep(&servers[i].0, &*servers[i].1) else {
                return;
            };
            sweeps[i] = Some(points);
        }
        let sweeps: Vec<Vec<Point>> = sweeps.into_iter().map(Option::unwrap_or_default).collect();
        let note = |lim: Option<&str>| match lim {
            None => " (lossless at DHCPV4_BENCH_MAX: a lower bound)".to_string(),
            Some("perfdhcp") => " (perfdhcp was the limit: a lower bound)".to_string(),
            Some(l) => format!(" (limit: {l})"),
        };
        let lossless_rates: Vec<String> = servers
            .iter()
            .zip(&sweeps)
            .map(|((name, _), points)| {
                let (rate, lim) = lossless(points);
                format!("{name} {rate}/s{}", note(lim))
            })
            .collect();
        println!(
            "DHCPv4 round {}/{rounds} ({} first; load average before {load_before}, after {}): lossless {}",
            round + 1,
            servers[order[0]].0,
            loadavg(),
            lossless_rates.join(", ")
        );
        let (kea_points, ours_points) = sweeps.split_last().unwrap();
        for (i, o) in ours_points.iter().enumerate() {
            let (l, c) = &mut ratios[i];
            compare(round + 1, &servers[i].0, o, kea_points, l, c);
        }
    }
    println!(
        "DHCPv4 durability: dhcpv4d fdatasyncs its lease journal before each batch of ACKs, a small batch waiting up to its commit window (default 1 ms) for more (survives a power loss); dhcpv4d-nofsync (fsync_leases = false, so no commit window) and kea-dhcp4 (memfile, persist on: a write(2) per lease, no fsync) write each lease before its ACK without fsync (survive the server's crash, not a power loss)"
    );
    for (i, (lossless_ratio, cpu_ratio)) in ratios.into_iter().enumerate() {
        let name = &servers[i].0;
        println!(
            "DHCPv4 lossless-rate ratio {name}/kea-dhcp4: {} (doubling from {}/s then bisection, {} perfdhcp, clients {}, {} s per point)",
            median_spread(lossless_ratio),
            env("DHCPV4_BENCH_START", 1000),
            env("DHCPV4_BENCH_GENERATORS", 2),
            env("DHCPV4_BENCH_CLIENTS", 200),
            env("DHCPV4_BENCH_SECS", 5)
        );
        println!(
            "DHCPv4 server CPU per exchange ratio {name}/kea-dhcp4 (same offered rate, both lossless): {}",
            median_spread(cpu_ratio)
        );
    }
}
