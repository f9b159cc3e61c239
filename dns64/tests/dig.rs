//! `dig` against the `dns64d` example daemon on loopback (UDP and TCP on one
//! address), its upstream a stub resolver in this process that counts the
//! queries it gets: cached answers, TTLs counting down, failover past a
//! silent first upstream, TC over UDP and the whole answer over TCP (RFC
//! 7766), and REFUSED for a source outside `allow_query`.
//!
//! Then one with a real upstream: unbound serving local-data in a network
//! namespace, its query log showing the second answer came from our cache.
//!
//! Needs `dig` (Debian package bind9-dnsutils), the last one also root and
//! unbound; without them each test skips through `testbed::skip` (a
//! failure under CI).

mod common;
// Its `main` and argument parsing are not used here.
#[allow(dead_code)]
#[path = "../examples/dns64d.rs"]
mod dns64d;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Rr, answer, decode};
use dns64::{Dns64Acl, Dns64Config, Dns64Net, Nat64Prefix};
use domain::base::iana::{Rcode, Rtype};

/// Queries the stub got, by name.
type Seen = Arc<Mutex<HashMap<String, usize>>>;

/// `a.example` has one A record (TTL 60); `big.example` 39, more than 512
/// octets; everything else NODATA.
fn reply(q: &[u8], seen: &Seen) -> Option<Vec<u8>> {
    let d = decode(q);
    let name = d.question.0.trim_end_matches('.').to_string();
    *seen.lock().unwrap().entry(name.clone()).or_default() += 1;
    let rrs: Vec<Rr> = match (name.as_str(), d.question.1) {
        ("a.example", Rtype::A) => vec![Rr::A("a.example", 60, Ipv4Addr::new(192, 0, 2, 1))],
        ("big.example", Rtype::A) => (1..40u8)
            .map(|i| Rr::A("big.example", 60, Ipv4Addr::new(192, 0, 2, i)))
            .collect(),
        _ => Vec::new(),
    };
    Some(answer(q, Rcode::NOERROR, &rrs, &[]))
}

/// The stub upstream on a free loopback port, UDP (a no-EDNS answer over
/// 512 octets truncated, as a resolver does) and TCP.
fn stub() -> (SocketAddr, Seen) {
    let (udp, tcp) = pair("127.0.0.1");
    let addr = udp.local_addr().unwrap();
    let seen = Seen::default();
    let s = Arc::clone(&seen);
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        loop {
            let (n, from) = udp.recv_from(&mut buf).unwrap();
            let q = &buf[..n];
            let Some(mut a) = reply(q, &s) else { continue };
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
            let a = reply(&q, &s).unwrap();
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
fn pair(ip: &str) -> (UdpSocket, TcpListener) {
    loop {
        let udp = UdpSocket::bind((ip, 0)).unwrap();
        if let Ok(tcp) = TcpListener::bind(udp.local_addr().unwrap()) {
            return (udp, tcp);
        }
    }
}

/// `dns64d` on a free loopback port in front of `upstreams`.
fn daemon(upstreams: Vec<SocketAddr>, allow: Option<Dns64Net>) -> SocketAddr {
    daemon_on(pair("127.0.0.1"), upstreams, allow)
}

fn daemon_on(
    (udp, tcp): (UdpSocket, TcpListener),
    upstreams: Vec<SocketAddr>,
    allow: Option<Dns64Net>,
) -> SocketAddr {
    let addr = udp.local_addr().unwrap();
    let mut c = Dns64Config::new(vec![Nat64Prefix::WELL_KNOWN], upstreams);
    if let Some(n) = allow {
        c.allow_query = Dns64Acl {
            elements: vec![(true, n)],
        };
    }
    std::thread::spawn(move || dns64d::serve(udp, tcp, c));
    addr
}

fn have_dig(test: &str) -> bool {
    let ok = Command::new("dig").arg("-v").output().is_ok();
    if !ok {
        testbed::skip(test, "dig is not installed (Debian package bind9-dnsutils)");
    }
    ok
}

/// dig's whole output.
fn dig(server: SocketAddr, args: &[&str]) -> String {
    let out = Command::new("dig")
        .arg(format!("@{}", server.ip()))
        .args(["-p", &server.port().to_string(), "+time=3", "+tries=1"])
        .args(args)
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

/// The answer section's (TTL, data) lines.
fn answers(out: &str) -> Vec<(u32, String)> {
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

fn flags(out: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix(";; flags: "))
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn second_answer_from_the_cache_with_the_ttl_counted_down() {
    if !have_dig("second_answer_from_the_cache_with_the_ttl_counted_down") {
        return;
    }
    let (up, seen) = stub();
    let d = daemon(vec![up], None);
    let first = answers(&dig(d, &["a.example", "A"]));
    assert_eq!(first, vec![(60, "192.0.2.1".to_string())]);
    std::thread::sleep(Duration::from_millis(2100));
    let second = answers(&dig(d, &["a.example", "A"]));
    assert_eq!(second.len(), 1);
    assert!((55..=58).contains(&second[0].0), "{second:?}");
    assert_eq!(seen.lock().unwrap()["a.example"], 1, "one upstream query");
}

#[test]
fn failover_past_a_silent_first_upstream() {
    if !have_dig("failover_past_a_silent_first_upstream") {
        return;
    }
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (up, seen) = stub();
    let d = daemon(vec![silent.local_addr().unwrap(), up], None);
    let t = Instant::now();
    let out = dig(d, &["a.example", "A"]);
    let took = t.elapsed();
    assert_eq!(answers(&out), vec![(60, "192.0.2.1".to_string())], "{out}");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_millis(2000),
        "{took:?}"
    );
    assert_eq!(seen.lock().unwrap()["a.example"], 1);
    let mut buf = [0u8; 512];
    silent.set_nonblocking(true).unwrap();
    assert!(
        silent.recv_from(&mut buf).is_ok(),
        "asked the first one first"
    );
}

#[test]
fn large_answer_tc_over_udp_whole_over_tcp() {
    if !have_dig("large_answer_tc_over_udp_whole_over_tcp") {
        return;
    }
    let (up, seen) = stub();
    let d = daemon(vec![up], None);
    // No EDNS: 512 octets over UDP. dig +ignore keeps the TC answer.
    let out = dig(d, &["+noedns", "+ignore", "big.example", "A"]);
    assert!(flags(&out).split(' ').any(|f| f == "tc"), "{out}");
    assert!(answers(&out).is_empty(), "{out}");
    // dig without +ignore retries over TCP.
    let out = dig(d, &["+noedns", "big.example", "A"]);
    assert!(out.contains("Truncated, retrying in TCP mode"), "{out}");
    assert_eq!(answers(&out).len(), 39, "{out}");
    // And straight over TCP.
    let out = dig(d, &["+tcp", "+noedns", "big.example", "A"]);
    assert!(!flags(&out).split(' ').any(|f| f == "tc"), "{out}");
    assert_eq!(answers(&out).len(), 39, "{out}");
    // The upstream truncated too: its UDP answer, then over TCP once;
    // the rest came from the cache.
    assert_eq!(seen.lock().unwrap()["big.example"], 2);
}

#[test]
fn source_outside_allow_query_refused() {
    if !have_dig("source_outside_allow_query_refused") {
        return;
    }
    let (up, seen) = stub();
    let d = daemon(
        vec![up],
        Some(Dns64Net::new("127.0.0.1".parse().unwrap(), 32)),
    );
    let out = dig(d, &["-b", "127.0.0.2", "a.example", "A"]);
    assert!(out.contains("status: REFUSED"), "{out}");
    let out = dig(d, &["-b", "127.0.0.2", "+tcp", "a.example", "A"]);
    assert!(out.contains("status: REFUSED"), "{out}");
    assert!(seen.lock().unwrap().is_empty());
    let out = dig(d, &["-b", "127.0.0.1", "a.example", "A"]);
    assert!(out.contains("status: NOERROR"), "{out}");
}

#[test]
fn tcp_client_gets_an_answer_from_upstream() {
    if !have_dig("tcp_client_gets_an_answer_from_upstream") {
        return;
    }
    let (up, seen) = stub();
    let d = daemon(vec![up], None);
    let out = dig(d, &["+tcp", "a.example", "A"]);
    assert_eq!(answers(&out), vec![(60, "192.0.2.1".to_string())], "{out}");
    assert_eq!(seen.lock().unwrap()["a.example"], 1);
    // Two queries on one connection (RFC 7766 §6.2.1.1: pipelined).
    let mut c = TcpStream::connect(d).unwrap();
    for id in [1u16, 2] {
        let q = common::query(id, "a.example", Rtype::A, false, None);
        let mut framed = (q.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(&q);
        c.write_all(&framed).unwrap();
    }
    c.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    for id in [1u16, 2] {
        let mut len = [0u8; 2];
        c.read_exact(&mut len).unwrap();
        let mut a = vec![0u8; usize::from(u16::from_be_bytes(len))];
        c.read_exact(&mut a).unwrap();
        let a = decode(&a);
        assert_eq!((a.id, a.answer.len()), (id, 1));
    }
}

/// Where the namespace's unbound serves local-data.
const UNBOUND: &str = "127.0.0.1:5301";

#[test]
fn synthesized_answer_via_unbound_then_from_the_cache() {
    let label = "synthesized_answer_via_unbound_then_from_the_cache";
    if !have_dig(label) {
        return;
    }
    if !Command::new("sh")
        .args(["-c", "command -v unbound"])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        testbed::skip(label, "unbound is not installed (Debian package unbound)");
        return;
    }
    let Some(mut tb) = testbed::Testbed::new(label) else {
        return;
    };
    let ns = tb.namespace("dig").unwrap();
    tb.link_up(&ns, "lo").unwrap();
    let dir = tb.dir().to_path_buf();
    let conf = format!(
        r#"server:
    interface: 127.0.0.1@5301
    port: 5301
    access-control: 127.0.0.0/8 allow
    username: ""
    chroot: ""
    directory: "{}"
    pidfile: ""
    use-syslog: no
    logfile: ""
    verbosity: 1
    log-queries: yes
    do-daemonize: no
    num-threads: 1
    module-config: "iterator"
    local-zone: "example." static
    local-data: "example. 3600 IN SOA ns.example. host.example. 1 3600 600 86400 300"
    local-data: "a-only.example. 3600 IN A 20.0.0.1"
remote-control:
    control-enable: no
"#,
        dir.display()
    );
    let path = dir.join("data.conf");
    std::fs::write(&path, conf).unwrap();
    let unbound = tb
        .spawn(&ns, &["unbound", "-d", "-c", path.to_str().unwrap()])
        .unwrap();
    tb.wait_listening(&ns, UNBOUND, Duration::from_secs(10))
        .unwrap();
    let sockets = ns.enter(|| pair("127.0.0.1")).unwrap();
    let d = daemon_on(sockets, vec![UNBOUND.parse().unwrap()], None);
    let port = d.port().to_string();
    let ask = || {
        let argv = ["dig", "@127.0.0.1", "-p", &port, "+time=3", "+tries=1"];
        let argv = [&argv[..], &["a-only.example", "AAAA"]].concat();
        answers(&tb.exec(&ns, &argv, Duration::from_secs(10)).unwrap())
    };
    let first = ask();
    // RFC 6147 §5.1.7: min(A TTL, the NODATA's negative TTL 300).
    assert_eq!(first, vec![(300, "64:ff9b::1400:1".to_string())]);
    std::thread::sleep(Duration::from_millis(1100));
    let second = ask();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].1, "64:ff9b::1400:1");
    assert!((297..=299).contains(&second[0].0), "{second:?}");
    // unbound saw one AAAA and one A query: the second answer was ours.
    let (_, log) = unbound.output();
    let count = |t: &str| {
        log.lines()
            .filter(|l| l.contains(&format!("a-only.example. {t} IN")))
            .count()
    };
    assert_eq!((count("AAAA"), count("A")), (1, 1), "{log}");
}
