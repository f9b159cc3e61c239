//! `dig` against the tokio driver (`dns64::driver`, what the `dns64d`
//! example daemon runs) on loopback (UDP and TCP on one address), its
//! upstream a stub resolver in this process that counts the queries it
//! gets: cached answers, TTLs counting down, failover past a silent first
//! upstream, TC over UDP and the whole answer over TCP (RFC 7766), REFUSED
//! for a source outside `allow_query`, upstreams and local names changed
//! while it runs, the TCP connection limit and idle timeout, answers to a
//! TCP client that closed its side, answers from the address asked (two
//! sockets of one family), and a graceful shutdown answering the query in
//! flight.
//!
//! Then one with a real upstream: unbound serving local-data in a network
//! namespace, its query log showing the second answer came from our cache.
//!
//! Needs `dig` (Debian package bind9-dnsutils), the last one also root and
//! unbound; without them each test skips through `testbed::skip` (a
//! failure under CI).

mod common;
mod dig_support;

use std::net::UdpSocket;
use std::process::Command;
use std::time::{Duration, Instant};

use dig_support::{answers, dig, driver, driver_thread, flags, have_dig, stub};
use dns64::driver::{Dns64DriverConfig, Dns64DriverError};
use dns64::{Dns64LocalNameError, Dns64Net};
use domain::base::iana::Rtype;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The driver's first address (UDP and TCP share it).
fn addr(d: &dns64::driver::Dns64Driver) -> std::net::SocketAddr {
    d.udp_addrs()[0]
}

#[tokio::test]
async fn second_answer_from_the_cache_with_the_ttl_counted_down() {
    if !have_dig("second_answer_from_the_cache_with_the_ttl_counted_down") {
        return;
    }
    let (up, seen) = stub();
    let d = driver(vec![up], None, Dns64DriverConfig::default()).await;
    let first = answers(&dig(addr(&d), &["a.example", "A"]).await);
    assert_eq!(first, vec![(60, "192.0.2.1".to_string())]);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let second = answers(&dig(addr(&d), &["a.example", "A"]).await);
    assert_eq!(second.len(), 1);
    assert!((55..=58).contains(&second[0].0), "{second:?}");
    assert_eq!(seen.lock().unwrap()["a.example"], 1, "one upstream query");
    let stats = d.stats().await.unwrap();
    assert_eq!(stats.machine.cache_hits, 1, "{stats:?}");
}

#[tokio::test]
async fn failover_past_a_silent_first_upstream() {
    if !have_dig("failover_past_a_silent_first_upstream") {
        return;
    }
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (up, seen) = stub();
    let d = driver(
        vec![silent.local_addr().unwrap(), up],
        None,
        Dns64DriverConfig::default(),
    )
    .await;
    let t = Instant::now();
    let out = dig(addr(&d), &["a.example", "A"]).await;
    let took = t.elapsed();
    assert_eq!(answers(&out), vec![(60, "192.0.2.1".to_string())], "{out}");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_millis(2000),
        "{took:?}"
    );
    assert_eq!(seen.lock().unwrap()["a.example"], 1);
    let mut buf = [0u8; 512];
    silent.set_nonblocking(true).unwrap();
    let stats = d.stats().await.unwrap();
    let (_, from) = silent
        .recv_from(&mut buf)
        .unwrap_or_else(|e| panic!("asked the first one first: {e} {stats:?}"));
    // From a port of its own, not the listening one (RFC 5452 §9.2).
    assert_ne!(from.port(), addr(&d).port());
}

#[tokio::test]
async fn large_answer_tc_over_udp_whole_over_tcp() {
    if !have_dig("large_answer_tc_over_udp_whole_over_tcp") {
        return;
    }
    let (up, seen) = stub();
    let d = driver(vec![up], None, Dns64DriverConfig::default()).await;
    // No EDNS: 512 octets over UDP. dig +ignore keeps the TC answer.
    let out = dig(addr(&d), &["+noedns", "+ignore", "big.example", "A"]).await;
    assert!(flags(&out).split(' ').any(|f| f == "tc"), "{out}");
    assert!(answers(&out).is_empty(), "{out}");
    // dig without +ignore retries over TCP.
    let out = dig(addr(&d), &["+noedns", "big.example", "A"]).await;
    assert!(out.contains("Truncated, retrying in TCP mode"), "{out}");
    assert_eq!(answers(&out).len(), 39, "{out}");
    // And straight over TCP.
    let out = dig(addr(&d), &["+tcp", "+noedns", "big.example", "A"]).await;
    assert!(!flags(&out).split(' ').any(|f| f == "tc"), "{out}");
    assert_eq!(answers(&out).len(), 39, "{out}");
    // The upstream truncated too: its UDP answer, then over TCP once;
    // the rest came from the cache.
    assert_eq!(seen.lock().unwrap()["big.example"], 2);
    assert_eq!(d.stats().await.unwrap().machine.tcp_retries, 1);
}

#[tokio::test]
async fn source_outside_allow_query_refused() {
    if !have_dig("source_outside_allow_query_refused") {
        return;
    }
    let (up, seen) = stub();
    let lo = Dns64Net::new("127.0.0.1".parse().unwrap(), 32);
    let d = driver(vec![up], Some(lo), Dns64DriverConfig::default()).await;
    let out = dig(addr(&d), &["-b", "127.0.0.2", "a.example", "A"]).await;
    assert!(out.contains("status: REFUSED"), "{out}");
    let out = dig(addr(&d), &["-b", "127.0.0.2", "+tcp", "a.example", "A"]).await;
    assert!(out.contains("status: REFUSED"), "{out}");
    assert!(seen.lock().unwrap().is_empty());
    let out = dig(addr(&d), &["-b", "127.0.0.1", "a.example", "A"]).await;
    assert!(out.contains("status: NOERROR"), "{out}");
}

/// A query over an open connection (RFC 7766 §8 framing); the answer's id
/// and answer count.
async fn ask_tcp(c: &mut TcpStream, id: u16, name: &str) -> std::io::Result<(u16, usize)> {
    let q = common::query(id, name, Rtype::A, false, None);
    let mut framed = (q.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&q);
    c.write_all(&framed).await?;
    read_answer(c).await
}

async fn read_answer(c: &mut TcpStream) -> std::io::Result<(u16, usize)> {
    let mut len = [0u8; 2];
    tokio::time::timeout(Duration::from_secs(3), c.read_exact(&mut len)).await??;
    let mut a = vec![0u8; usize::from(u16::from_be_bytes(len))];
    c.read_exact(&mut a).await?;
    let a = common::decode(&a);
    Ok((a.id, a.answer.len()))
}

#[tokio::test]
async fn tcp_client_gets_an_answer_from_upstream() {
    if !have_dig("tcp_client_gets_an_answer_from_upstream") {
        return;
    }
    let (up, seen) = stub();
    let d = driver(vec![up], None, Dns64DriverConfig::default()).await;
    let out = dig(addr(&d), &["+tcp", "a.example", "A"]).await;
    assert_eq!(answers(&out), vec![(60, "192.0.2.1".to_string())], "{out}");
    assert_eq!(seen.lock().unwrap()["a.example"], 1);
    // Two queries on one connection, the second sent before the first is
    // answered (RFC 7766 §6.2.1.1: pipelined).
    let mut c = TcpStream::connect(addr(&d)).await.unwrap();
    for id in [1u16, 2] {
        let q = common::query(id, "b.example", Rtype::A, false, None);
        let mut framed = (q.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(&q);
        c.write_all(&framed).await.unwrap();
    }
    let mut got = vec![
        read_answer(&mut c).await.unwrap(),
        read_answer(&mut c).await.unwrap(),
    ];
    got.sort();
    assert_eq!(got, vec![(1, 1), (2, 1)]);
}

#[tokio::test]
async fn upstreams_and_local_names_changed_while_running() {
    if !have_dig("upstreams_and_local_names_changed_while_running") {
        return;
    }
    let (first, seen_first) = stub();
    let (second, seen_second) = stub();
    let d = driver(vec![first], None, Dns64DriverConfig::default()).await;
    let out = dig(addr(&d), &["a.example", "A"]).await;
    assert_eq!(answers(&out), vec![(60, "192.0.2.1".to_string())], "{out}");
    // None for a while (the WAN went down): SERVFAIL at once.
    d.set_upstreams(vec![]).await.unwrap();
    let out = dig(addr(&d), &["b.example", "A"]).await;
    assert!(out.contains("status: SERVFAIL"), "{out}");
    // The WAN's DNS servers change.
    d.set_upstreams(vec![second]).await.unwrap();
    let out = dig(addr(&d), &["b.example", "A"]).await;
    assert_eq!(answers(&out), vec![(60, "192.0.2.2".to_string())], "{out}");
    assert!(!seen_first.lock().unwrap().contains_key("b.example"));
    assert_eq!(seen_second.lock().unwrap()["b.example"], 1);
    // A lease appears: its name and address answered locally.
    let lease = vec![(
        "laptop.lan".to_string(),
        vec!["198.51.100.20".parse().unwrap()],
    )];
    d.set_local_names(lease).await.unwrap();
    let out = dig(addr(&d), &["laptop.lan", "A"]).await;
    assert_eq!(
        answers(&out),
        vec![(60, "198.51.100.20".to_string())],
        "{out}"
    );
    assert!(flags(&out).split(' ').any(|f| f == "aa"), "{out}");
    let out = dig(addr(&d), &["-x", "198.51.100.20"]).await;
    assert_eq!(
        answers(&out),
        vec![(60, "laptop.lan.".to_string())],
        "{out}"
    );
    assert!(!seen_second.lock().unwrap().contains_key("laptop.lan"));
    // A bad table is refused whole; the old one stays.
    let bad = vec![("x".repeat(64), vec![])];
    assert_eq!(
        d.set_local_names(bad).await,
        Err(Dns64DriverError::LocalNames(Dns64LocalNameError::BadName))
    );
    let out = dig(addr(&d), &["laptop.lan", "A"]).await;
    assert_eq!(answers(&out).len(), 1, "{out}");
    // The lease ends: the name goes upstream again.
    d.set_local_names(vec![]).await.unwrap();
    let out = dig(addr(&d), &["laptop.lan", "A"]).await;
    assert!(answers(&out).is_empty(), "{out}");
    assert_eq!(seen_second.lock().unwrap()["laptop.lan"], 1);
}

#[tokio::test]
async fn tcp_connections_bounded_and_closed_when_idle() {
    if !have_dig("tcp_connections_bounded_and_closed_when_idle") {
        return;
    }
    let (up, _) = stub();
    let config = Dns64DriverConfig {
        max_tcp_connections: 2,
        tcp_idle: Duration::from_millis(600),
        ..Dns64DriverConfig::default()
    };
    let d = driver(vec![up], None, config).await;
    let mut open = Vec::new();
    for id in [1, 2] {
        let mut c = TcpStream::connect(addr(&d)).await.unwrap();
        assert_eq!(ask_tcp(&mut c, id, "a.example").await.unwrap(), (id, 1));
        open.push(c);
    }
    // The third is closed at once.
    let mut third = TcpStream::connect(addr(&d)).await.unwrap();
    let r = ask_tcp(&mut third, 3, "a.example").await;
    assert!(r.is_err(), "{r:?}");
    // Idle past 600 ms: both closed by the driver (EOF).
    tokio::time::sleep(Duration::from_millis(900)).await;
    for c in &mut open {
        let mut b = [0u8; 1];
        let n = tokio::time::timeout(Duration::from_secs(1), c.read(&mut b)).await;
        assert!(matches!(n, Ok(Ok(0)) | Ok(Err(_))), "{n:?}");
    }
    // Room again.
    let mut c = TcpStream::connect(addr(&d)).await.unwrap();
    assert_eq!(ask_tcp(&mut c, 4, "a.example").await.unwrap(), (4, 1));
    let s = d.stats().await.unwrap();
    assert_eq!(
        (s.driver.tcp_accepted, s.driver.tcp_over_limit),
        (3, 1),
        "{s:?}"
    );
    assert_eq!(s.driver.tcp_idle_closed, 2, "{s:?}");
    assert_eq!(s.tcp_connections, 1, "{s:?}");
}

#[tokio::test]
async fn shutdown_answers_the_query_in_flight_then_closes() {
    if !have_dig("shutdown_answers_the_query_in_flight_then_closes") {
        return;
    }
    let (up, _) = stub();
    let d = driver(vec![up], None, Dns64DriverConfig::default()).await;
    let a = addr(&d);
    // The stub takes 400 ms; the shutdown starts 100 ms in.
    let asking = tokio::spawn(dig(a, &["slow.example", "A"]));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let t = Instant::now();
    d.shutdown().await;
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    let out = asking.await.unwrap();
    assert_eq!(answers(&out), vec![(60, "192.0.2.3".to_string())], "{out}");
    // The sockets are closed: the address is free again.
    UdpSocket::bind(a).unwrap();
    std::net::TcpListener::bind(a).unwrap();
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
    let d = driver_thread(ns.name(), vec![UNBOUND.parse().unwrap()]);
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

#[tokio::test]
async fn answers_leave_from_the_address_asked() {
    if !have_dig("answers_leave_from_the_address_asked") {
        return;
    }
    // Two IPv4 sockets: each answer must come from the one its query went
    // to (dig drops a reply from another address), also when the answer
    // comes later from upstream.
    let (up, _) = stub();
    let (m, clock) = dig_support::machine(vec![up], None);
    let addrs = [
        "127.0.0.1:0".parse().unwrap(),
        "127.0.0.2:0".parse().unwrap(),
    ];
    let listeners = dns64::driver::Dns64Listeners::bind(&addrs).await.unwrap();
    let d = dns64::driver::Dns64Driver::spawn(m, clock, listeners, Dns64DriverConfig::default());
    for (i, name) in [(1, "a.example"), (0, "b.example"), (1, "b.example")] {
        let out = dig(d.udp_addrs()[i], &[name, "A"]).await;
        assert_eq!(answers(&out).len(), 1, "{out}");
    }
    let s = d.stats().await.unwrap();
    assert_eq!(s.driver.client_send_errors, 0, "{s:?}");
}

#[tokio::test]
async fn tcp_client_closing_its_side_still_gets_its_answers() {
    if !have_dig("tcp_client_closing_its_side_still_gets_its_answers") {
        return;
    }
    let (up, _) = stub();
    let d = driver(vec![up], None, Dns64DriverConfig::default()).await;
    let mut c = TcpStream::connect(addr(&d)).await.unwrap();
    // Two queries (one slow upstream), then the write side closed.
    for (id, name) in [(1u16, "slow.example"), (2, "a.example")] {
        let q = common::query(id, name, Rtype::A, false, None);
        let mut framed = (q.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(&q);
        c.write_all(&framed).await.unwrap();
    }
    c.shutdown().await.unwrap();
    let mut got = vec![
        read_answer(&mut c).await.unwrap(),
        read_answer(&mut c).await.unwrap(),
    ];
    got.sort();
    assert_eq!(got, vec![(1, 1), (2, 1)]);
    // Then the driver closes.
    let mut b = [0u8; 1];
    let n = tokio::time::timeout(Duration::from_secs(2), c.read(&mut b)).await;
    assert!(matches!(n, Ok(Ok(0))), "{n:?}");
}
