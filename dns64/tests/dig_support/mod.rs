//! `tests/dig.rs`'s kit: a stub upstream counting the queries it gets, the
//! driver on loopback, `dig` and its output read.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::{Rr, answer, decode};
use dns64::driver::{Dns64Driver, Dns64DriverConfig, Dns64Listeners};
use dns64::{Dns64, Dns64Acl, Dns64Config, Dns64Net, Nat64Prefix};
use domain::base::iana::{Rcode, Rtype};
use sansio_primitives::{SeededRng, StdClock};

/// Queries the stub got, by name.
pub type Seen = Arc<Mutex<HashMap<String, usize>>>;

/// `a.example` and `b.example` have one A record (TTL 60); `big.example`
/// 39, more than 512 octets; `slow.example` one, answered after 400 ms;
/// everything else NODATA.
fn reply(q: &[u8], seen: &Seen) -> Vec<u8> {
    let d = decode(q);
    let name = d.question.0.trim_end_matches('.').to_string();
    *seen.lock().unwrap().entry(name.clone()).or_default() += 1;
    let rrs: Vec<Rr> = match (name.as_str(), d.question.1) {
        ("a.example", Rtype::A) => vec![Rr::A("a.example", 60, Ipv4Addr::new(192, 0, 2, 1))],
        ("b.example", Rtype::A) => vec![Rr::A("b.example", 60, Ipv4Addr::new(192, 0, 2, 2))],
        ("slow.example", Rtype::A) => {
            std::thread::sleep(Duration::from_millis(400));
            vec![Rr::A("slow.example", 60, Ipv4Addr::new(192, 0, 2, 3))]
        }
        ("big.example", Rtype::A) => (1..40u8)
            .map(|i| Rr::A("big.example", 60, Ipv4Addr::new(192, 0, 2, i)))
            .collect(),
        _ => Vec::new(),
    };
    answer(q, Rcode::NOERROR, &rrs, &[])
}

/// The stub upstream on a free loopback port, UDP (a no-EDNS answer over
/// 512 octets truncated, as a resolver does) and TCP.
pub fn stub() -> (SocketAddr, Seen) {
    let (udp, tcp) = pair("127.0.0.1");
    let addr = udp.local_addr().unwrap();
    let seen = Seen::default();
    let s = Arc::clone(&seen);
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        loop {
            let (n, from) = udp.recv_from(&mut buf).unwrap();
            let q = &buf[..n];
            let mut a = reply(q, &s);
            if decode(q).edns.is_none() && a.len() > 512 {
                a.truncate(12 + question_len(q));
                a[2] |= 0x02; // TC
                a[6..12].fill(0);
            }
            udp.send_to(&a, from).unwrap();
        }
    });
    let s = Arc::clone(&seen);
    std::thread::spawn(move || {
        for c in tcp.incoming() {
            let mut c = c.unwrap();
            let mut len = [0u8; 2];
            if c.read_exact(&mut len).is_err() {
                continue;
            }
            let mut q = vec![0u8; usize::from(u16::from_be_bytes(len))];
            c.read_exact(&mut q).unwrap();
            let a = reply(&q, &s);
            let mut framed = (a.len() as u16).to_be_bytes().to_vec();
            framed.extend_from_slice(&a);
            let _ = c.write_all(&framed);
        }
    });
    (addr, seen)
}

/// Octets of the (uncompressed) question after the header.
fn question_len(q: &[u8]) -> usize {
    let mut i = 12;
    while q[i] != 0 {
        i += 1 + usize::from(q[i]);
    }
    i + 1 + 4 - 12
}

/// A UDP socket and a TCP listener on the same free port of `ip`.
pub fn pair(ip: &str) -> (UdpSocket, TcpListener) {
    loop {
        let udp = UdpSocket::bind((ip, 0)).unwrap();
        if let Ok(tcp) = TcpListener::bind(udp.local_addr().unwrap()) {
            return (udp, tcp);
        }
    }
}

/// The machine as the example daemon makes it, with `allow` as its only
/// `allow_query` network when given.
pub fn machine(upstreams: Vec<SocketAddr>, allow: Option<Dns64Net>) -> (Dns64, StdClock) {
    let mut c = Dns64Config::new(vec![Nat64Prefix::WELL_KNOWN], upstreams);
    if let Some(n) = allow {
        c.allow_query = Dns64Acl {
            elements: vec![(true, n)],
        };
    }
    let clock = StdClock::new();
    // A seed of its own per machine: the tests run at once, and machines
    // drawing the same source ports would fail to bind them.
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let m = Dns64::new(c, SeededRng::from_u64(seed), clock.now()).unwrap();
    (m, clock)
}

/// The driver on loopback (within the test's runtime) in front of
/// `upstreams`.
pub async fn driver(
    upstreams: Vec<SocketAddr>,
    allow: Option<Dns64Net>,
    config: Dns64DriverConfig,
) -> Dns64Driver {
    let (m, clock) = machine(upstreams, allow);
    let listeners = Dns64Listeners::bind(&["127.0.0.1:0".parse().unwrap()])
        .await
        .unwrap();
    Dns64Driver::spawn(m, clock, listeners, config)
}

/// The driver on a thread of its own in network namespace `ns` (its
/// upstream sockets are made there too), for a test that blocks its own
/// thread; on a free port of 127.0.0.1, returned; runs until the test ends.
pub fn driver_thread(ns: &str, upstreams: Vec<SocketAddr>) -> SocketAddr {
    let (m, clock) = machine(upstreams, None);
    let (tx, rx) = std::sync::mpsc::channel();
    let ns = ns.to_string();
    std::thread::spawn(move || {
        testbed::in_namespace(&ns, move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let any = ["127.0.0.1:0".parse().unwrap()];
                let listeners = Dns64Listeners::bind(&any).await.unwrap();
                let d = Dns64Driver::spawn(m, clock, listeners, Dns64DriverConfig::default());
                tx.send(d.udp_addrs()[0]).unwrap();
                std::future::pending::<()>().await;
            });
        })
    });
    rx.recv_timeout(Duration::from_secs(10)).unwrap()
}

pub fn have_dig(test: &str) -> bool {
    let ok = Command::new("dig").arg("-v").output().is_ok();
    if !ok {
        testbed::skip(test, "dig is not installed (Debian package bind9-dnsutils)");
    }
    ok
}

/// dig's whole output (on the blocking pool: the driver runs on the
/// test's thread).
pub async fn dig(server: SocketAddr, args: &[&str]) -> String {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let out = Command::new("dig")
            .arg(format!("@{}", server.ip()))
            .args(["-p", &server.port().to_string(), "+time=3", "+tries=1"])
            .args(&args)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    })
    .await
    .unwrap()
}

/// The answer section's (TTL, data) lines.
pub fn answers(out: &str) -> Vec<(u32, String)> {
    let mut lines = out
        .lines()
        .skip_while(|l| !l.starts_with(";; ANSWER SECTION"));
    lines.next();
    lines
        .take_while(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[1].parse().unwrap(), f[4].to_string())
        })
        .collect()
}

/// The header's flags (`qr rd ra`...).
pub fn flags(out: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix(";; flags: "))
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}
