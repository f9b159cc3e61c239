//! Throughput of our delegating server against `kea-dhcp6` (memfile,
//! persist on), both driven by `perfdhcp -6 -e prefix-only` (Debian
//! `kea-admin`) with the same rate, client count and duration, one after
//! the other in one run, each in a fresh pair of namespaces across a veth.
//! Prints completed Solicit/Advertise/Request/Reply exchanges per second,
//! drops and the request-reply delay of each, and the ratio ours/Kea.
//!
//! Ours runs on a std UDP socket in this process: it reads every datagram
//! waiting (up to 256), sends the Advertises, appends the binding changes
//! to a [`FileBindingStore`] journal with one fsync, then sends the Replies
//! (group commit). Kea's memfile appends to its CSV file.
//!
//! Ignored by default; run through `bench/dhcpv6_vs_kea.sh` or
//! `cargo test --release -p dhcpv6-proto --test perf_kea -- --ignored --nocapture`.
//! Knobs: `DHCPV6_BENCH_RATE` (default 10000), `DHCPV6_BENCH_CLIENTS`
//! (default 200), `DHCPV6_BENCH_SECS` (default 10).

mod common;

use std::net::{SocketAddr, SocketAddrV6, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::{ifindex, wait_link_local};
use dhcpv6_proto::file_store::FileBindingStore;
use dhcpv6_proto::server::{
    Dhcpv6PrefixPool, Dhcpv6Server, Dhcpv6ServerConfig, Dhcpv6ServerSource,
};
use dhcpv6_proto::store::BindingStore;
use dhcpv6_proto::wire::{ALL_DHCP_RELAY_AGENTS_AND_SERVERS, Duid};
use sansio_primitives::StdClock;
use testbed::{Netns, Testbed};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Report {
    rate: f64,
    sent: u64,
    received: u64,
    avg_delay_ms: f64,
    text: String,
}

fn parse(text: &str) -> Report {
    let num = |line: &str| -> f64 {
        line.split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .find(|s| !s.is_empty() && s.parse::<f64>().is_ok())
            .and_then(|s| s.parse().ok())
            .unwrap_or(0.0)
    };
    let mut r = Report {
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
        if section.contains("REQUEST-REPLY") {
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

fn perfdhcp(tb: &Testbed, cli: &Netns) -> Report {
    let rate = env("DHCPV6_BENCH_RATE", 10000).to_string();
    let clients = env("DHCPV6_BENCH_CLIENTS", 200).to_string();
    let secs = env("DHCPV6_BENCH_SECS", 10);
    let mut p = tb
        .spawn(
            cli,
            &[
                "perfdhcp",
                "-6",
                "-e",
                "prefix-only",
                "-l",
                "cli0",
                "-r",
                &rate,
                "-R",
                &clients,
                "-p",
                &secs.to_string(),
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
    tb.addr(&srv, "srv0", "2001:db8:ffff::1/64").unwrap();
    wait_link_local(&tb, &srv, "srv0");
    wait_link_local(&tb, &cli, "cli0");
    Some((tb, srv, cli))
}

/// Returns (report, bindings durable in the journal).
fn ours() -> Option<(Report, usize)> {
    let (tb, srv, cli) = lab("dhcpv6-perf-ours")?;
    let idx = ifindex(&tb, &srv, "srv0");
    let sock = srv
        .enter(|| {
            let s = UdpSocket::bind("[::]:547").unwrap();
            s.join_multicast_v6(&ALL_DHCP_RELAY_AGENTS_AND_SERVERS, idx)
                .unwrap();
            s
        })
        .unwrap();
    let journal = tb.dir().join("bindings");
    let stop = Arc::new(AtomicBool::new(false));
    let st = stop.clone();
    let j = journal.clone();
    let thread = std::thread::spawn(move || {
        let clock = StdClock::new();
        let mut cfg = Dhcpv6ServerConfig::new(
            Duid::ethernet([2, 0, 0, 0, 0, 0xaa]),
            vec![Dhcpv6PrefixPool::new(
                "2001:db8:100::".parse().unwrap(),
                40,
                56,
            )],
        );
        cfg.max_advertised = 65536;
        let mut server = Dhcpv6Server::new(cfg, clock.now()).unwrap();
        let (mut store, _) = FileBindingStore::open(&j).unwrap();
        let mut buf = [0u8; 2048];
        sock.set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        while !st.load(Ordering::SeqCst) {
            let mut n_in = 0;
            sock.set_nonblocking(false).unwrap();
            while n_in < 256 {
                match sock.recv_from(&mut buf) {
                    Ok((n, SocketAddr::V6(from))) => {
                        let mut src = Dhcpv6ServerSource::new(*from.ip(), from.scope_id());
                        src.port = from.port();
                        let _ = server.handle_input(clock.now(), src, &buf[..n]);
                        n_in += 1;
                        sock.set_nonblocking(true).unwrap();
                    }
                    _ => break,
                }
            }
            server.handle_timeout(clock.now());
            // Advertises need nothing durable: out before the fsync.
            let send = |server: &mut Dhcpv6Server| {
                while let Some(t) = server.poll_transmit(clock.now()) {
                    let d = t.destination;
                    let _ = sock.send_to(
                        &t.payload,
                        SocketAddrV6::new(d.address, d.port, 0, d.interface),
                    );
                }
            };
            send(&mut server);
            server.commit_to(&mut store).unwrap();
            send(&mut server);
            while server.poll_event().is_some() {}
        }
    });
    std::thread::sleep(Duration::from_millis(200));
    let r = perfdhcp(&tb, &cli);
    stop.store(true, Ordering::SeqCst);
    thread.join().unwrap();
    let (mut store, report) = FileBindingStore::open(&journal).unwrap();
    assert_eq!(report.bad_count, 0);
    let durable = store.load().unwrap().len();
    Some((r, durable))
}

/// Returns (report, lease lines in Kea's CSV).
fn kea() -> Option<(Report, usize)> {
    let (tb, srv, cli) = lab("dhcpv6-perf-kea")?;
    let dir = tb.dir().to_path_buf();
    let conf = dir.join("kea-dhcp6.json");
    let csv = dir.join("kea-leases6.csv");
    std::fs::write(
        &conf,
        format!(
            r#"{{ "Dhcp6": {{
  "interfaces-config": {{ "interfaces": [ "srv0" ] }},
  "server-id": {{ "type": "EN", "enterprise-id": 2495, "identifier": "0102", "persist": false }},
  "lease-database": {{ "type": "memfile", "persist": true, "name": "{}", "lfc-interval": 0 }},
  "renew-timer": 1800, "rebind-timer": 2880, "preferred-lifetime": 3600, "valid-lifetime": 7200,
  "subnet6": [ {{ "id": 1, "subnet": "2001:db8:ffff::/64", "interface": "srv0",
    "pd-pools": [ {{ "prefix": "2001:db8:100::", "prefix-len": 40, "delegated-len": 56 }} ] }} ],
  "loggers": [ {{ "name": "kea-dhcp6", "severity": "WARN", "output_options": [ {{ "output": "stdout" }} ] }} ]
}} }}"#,
            csv.display()
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
                "kea-dhcp6",
                "-c",
                conf.to_str().unwrap(),
            ],
        )
        .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let r = perfdhcp(&tb, &cli);
    let text = std::fs::read_to_string(&csv).unwrap_or_default();
    let mut prefixes: Vec<&str> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .collect();
    prefixes.sort_unstable();
    prefixes.dedup();
    Some((r, prefixes.len()))
}

#[test]
#[ignore = "benchmark: perfdhcp -6 load against our server and Kea"]
fn throughput_vs_kea() {
    let Some((o, od)) = ours() else { return };
    let Some((k, kd)) = kea() else { return };
    for (name, r, durable) in [("ours", &o, od), ("kea-dhcp6", &k, kd)] {
        eprintln!("--- perfdhcp -6 against {name}:\n{}", r.text);
        println!(
            "DHCPv6 {name}: {:.0} exchanges/s, REQUEST-REPLY sent {} received {} (drops {:.1} %), avg request-reply delay {:.3} ms, {durable} prefixes durable",
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
        "DHCPv6 throughput ratio ours/kea-dhcp6: {:.2} (same rate {}, clients {}, {} s; bindings persisted by both)",
        o.rate / k.rate.max(1e-9),
        env("DHCPV6_BENCH_RATE", 10000),
        env("DHCPV6_BENCH_CLIENTS", 200),
        env("DHCPV6_BENCH_SECS", 10)
    );
    assert!(od > 0 && kd > 0);
}
