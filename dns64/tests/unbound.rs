//! Side by side with a real `unbound` (its `dns64 iterator` modules) in a
//! network namespace, loopback only: a second unbound serves the zone data
//! (local-data) to both. Our DNS64 machine runs in the test process on a
//! UDP socket inside the namespace, forwarding to that same data server;
//! for each name our answer must match unbound's field by field, except
//! where the RFC and unbound differ (each exception says why). Then RFC 7050
//! discovery against unbound's DNS64 with a /96 and a /64 prefix.
//!
//! Needs root and the Debian package `unbound`; without them each test
//! skips through `testbed::skip` (a failure under CI).

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::time::Duration as StdDuration;

use common::{Decoded, decode, query};
use dns64::{
    Dns64, Dns64Config, Dns64Destination, Dns64Source, Nat64Discovery, Nat64DiscoveryConfig,
    Nat64DiscoveryEvent, Nat64Prefix,
};
use domain::base::iana::Rtype;
use sansio_primitives::{SeededRng, StdClock};
use testbed::{Netns, Process, Testbed};

const DATA: &str = "127.0.0.1:5301";
const UNBOUND64: &str = "127.0.0.1:5302";
/// A plain recursive unbound over the same data: our machine's upstream, as
/// unbound's own iterator module is its DNS64 module's (a DNS64 sits in
/// front of a resolver that chases CNAMEs; the data server does not).
const RESOLVER: &str = "127.0.0.1:5303";

const ZONE: &str = r#"
    local-zone: "example." static
    local-data: "example. 3600 IN SOA ns.example. host.example. 1 3600 600 86400 300"
    local-data: "a-only.example. 3600 IN A 20.0.0.1"
    local-data: "aaaa-only.example. 3600 IN AAAA 2001:db8::1"
    local-data: "both.example. 3600 IN A 20.0.0.2"
    local-data: "both.example. 3600 IN AAAA 2001:db8::2"
    local-data: "cname.example. 3600 IN CNAME a-only.example."
    local-data: "cname2.example. 3600 IN CNAME cname.example."
    local-data: "nodata.example. 3600 IN TXT hello"
    local-data: "mapped.example. 3600 IN AAAA ::ffff:20.0.0.3"
    local-data: "mapped.example. 3600 IN A 20.0.0.3"
    local-data: "private.example. 3600 IN A 10.0.0.1"
    local-data: "short.example. 30 IN A 20.0.0.4"
    local-zone: "20.in-addr.arpa." static
    local-data: "20.in-addr.arpa. 3600 IN SOA ns.example. host.example. 1 3600 600 86400 300"
    local-data: "1.0.0.20.in-addr.arpa. 3600 IN PTR a-only.example."
    local-zone: "0.0.192.in-addr.arpa." static
    local-data: "0.0.192.in-addr.arpa. 3600 IN SOA ns.example. host.example. 1 3600 600 86400 300"
    local-data: "170.0.0.192.in-addr.arpa. 3600 IN PTR ipv4only.arpa."
    local-data: "171.0.0.192.in-addr.arpa. 3600 IN PTR ipv4only.arpa."
    local-zone: "ipv4only.arpa." static
    local-data: "ipv4only.arpa. 3600 IN SOA ns.example. host.example. 1 3600 600 86400 300"
    local-data: "ipv4only.arpa. 3600 IN A 192.0.0.170"
    local-data: "ipv4only.arpa. 3600 IN A 192.0.0.171"
"#;

fn common_conf(listen: &str, dir: &Path) -> String {
    let (addr, port) = listen.split_once(':').unwrap();
    format!(
        r#"server:
    interface: {addr}@{port}
    port: {port}
    access-control: 127.0.0.0/8 allow
    username: ""
    chroot: ""
    directory: "{dir}"
    pidfile: ""
    use-syslog: no
    logfile: ""
    verbosity: 1
    do-daemonize: no
    do-not-query-localhost: no
    num-threads: 1
"#,
        dir = dir.display()
    )
}

struct Lab {
    // Dropped first: the daemons stop before the namespace goes.
    _procs: Vec<Process>,
    tb: Testbed,
    ns: Netns,
}

/// The data server and unbound's DNS64 with `prefix`.
fn lab(label: &str, prefix: Nat64Prefix) -> Option<Lab> {
    let found = std::process::Command::new("sh")
        .args(["-c", "command -v unbound"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        testbed::skip(label, "unbound is not installed (Debian package unbound)");
        return None;
    }
    let mut tb = Testbed::new(label)?;
    let ns = tb.namespace("dns").unwrap();
    tb.link_up(&ns, "lo").unwrap();
    let dir = tb.dir().to_path_buf();
    let data = format!(
        "{}    module-config: \"iterator\"\n{ZONE}remote-control:\n    control-enable: no\n",
        common_conf(DATA, &dir)
    );
    let (a, p) = DATA.split_once(':').unwrap();
    let mut dns64 = common_conf(UNBOUND64, &dir);
    dns64 += &format!("    module-config: \"dns64 iterator\"\n    dns64-prefix: {prefix}\n");
    let mut resolver = common_conf(RESOLVER, &dir);
    resolver += "    module-config: \"iterator\"\n";
    // unbound answers the documentation prefix's reverse zone itself
    // (NXDOMAIN) before its dns64 module sees a PTR query under our prefix.
    dns64 += "    local-zone: \"8.b.d.0.1.0.0.2.ip6.arpa.\" nodefault\n";
    let mut forwards = String::new();
    for zone in [
        "example.",
        "20.in-addr.arpa.",
        "0.0.192.in-addr.arpa.",
        "ipv4only.arpa.",
    ] {
        forwards += &format!("forward-zone:\n    name: \"{zone}\"\n    forward-addr: {a}@{p}\n");
    }
    forwards += "remote-control:\n    control-enable: no\n";
    dns64 += &forwards;
    resolver += &forwards;
    std::fs::write(dir.join("data.conf"), data).unwrap();
    std::fs::write(dir.join("dns64.conf"), dns64).unwrap();
    std::fs::write(dir.join("resolver.conf"), resolver).unwrap();
    let mut procs = Vec::new();
    for (conf, listen) in [
        ("data.conf", DATA),
        ("dns64.conf", UNBOUND64),
        ("resolver.conf", RESOLVER),
    ] {
        let path = dir.join(conf);
        procs.push(
            tb.spawn(&ns, &["unbound", "-d", "-c", path.to_str().unwrap()])
                .unwrap(),
        );
        tb.wait_listening(&ns, listen, StdDuration::from_secs(10))
            .unwrap();
    }
    Some(Lab {
        _procs: procs,
        tb,
        ns,
    })
}

fn socket(ns: &Netns) -> UdpSocket {
    let s = ns
        .enter(|| UdpSocket::bind("127.0.0.1:0"))
        .unwrap()
        .unwrap();
    s.set_read_timeout(Some(StdDuration::from_secs(3))).unwrap();
    s
}

/// One question to a server over UDP, the answer's bytes.
fn ask(s: &UdpSocket, server: &str, q: &[u8]) -> Vec<u8> {
    s.send_to(q, server).unwrap();
    let mut buf = vec![0u8; 65535];
    let (n, _) = s.recv_from(&mut buf).unwrap();
    buf.truncate(n);
    buf
}

/// Our machine answering `q`, forwarding to the plain resolver over `s`.
fn ours(s: &UdpSocket, prefix: Nat64Prefix, q: &[u8]) -> Vec<u8> {
    let port = s.local_addr().unwrap().port();
    let mut config = Dns64Config::new(vec![prefix], vec![RESOLVER.parse().unwrap()]);
    config.source_ports = (port, port);
    let clock = StdClock::new();
    let mut m = Dns64::new(config, SeededRng::from_u64(1), clock.now()).unwrap();
    let client: SocketAddr = "127.0.0.1:40000".parse().unwrap();
    m.handle_input(clock.now(), Dns64Source::Client(client), q)
        .unwrap();
    loop {
        let t = m
            .poll_transmit(clock.now())
            .expect("the machine is waiting for nothing");
        match t.destination {
            Dns64Destination::UpstreamTcp { .. } => panic!("no truncated answers here"),
            Dns64Destination::ClientTcp { .. } => panic!("the client asked over UDP"),
            Dns64Destination::Client(_) => return t.payload,
            Dns64Destination::Upstream {
                server,
                source_port,
                ..
            } => {
                assert_eq!(source_port, port);
                s.send_to(&t.payload, server).unwrap();
                let mut buf = vec![0u8; 65535];
                let (n, from) = s.recv_from(&mut buf).unwrap();
                let src = Dns64Source::Upstream {
                    from,
                    local_port: port,
                };
                m.handle_input(clock.now(), src, &buf[..n]).unwrap();
            }
        }
    }
}

/// The negative TTL of the zone's SOA (min(SOA TTL 3600, MINIMUM 300)).
const NEGATIVE_TTL: u32 = 300;

/// The fields compared: all, with the documented differences applied.
fn normalized(mut d: Decoded) -> Decoded {
    d.id = 0;
    d
}

/// Ours must equal theirs after the differences the RFC makes:
/// - RFC 6147 §5.1.7: a synthesized AAAA's TTL is at most the negative TTL
///   of the AAAA answer; unbound keeps the A record's TTL.
/// - RFC 6147 §5.3.1: a PTR query under the prefix is answered with a
///   CNAME to the `in-addr.arpa` name (TTL `local_ttl`, 3600) followed by
///   that name's PTR; unbound puts the PTR data under the `ip6.arpa` name
///   itself.
/// - RFC 6147 §5.1.4: AAAA records in `::ffff:0:0/96` are treated as absent
///   and the A record synthesized (the zone's `mapped.example` has the same
///   IPv4 in both), TTL min(A TTL, 600) as the AAAA answer had no SOA
///   (§5.1.7); unbound passes the mapped address on.
/// - TTLs from either resolver's cache may have counted down a second or
///   two since an earlier question fetched them.
fn compare(prefix: Nat64Prefix, mine: &Decoded, theirs: &Decoded) -> Decoded {
    let mut t = theirs.clone();
    if t.question.1 == Rtype::PTR && t.question.0.ends_with("ip6.arpa") {
        let v4 = in_addr(&mine.question.0, prefix);
        let mut answer = vec![(t.question.0.clone(), Rtype::CNAME, 3600, format!("{v4}."))];
        for rr in &t.answer {
            answer.push((v4.clone(), rr.1, rr.2, rr.3.clone()));
        }
        t.answer = answer;
    }
    for (i, rr) in t.answer.iter_mut().enumerate() {
        if let Ok(std::net::IpAddr::V6(a)) = rr.3.parse::<std::net::IpAddr>()
            && let Some(v4) = a.to_ipv4_mapped()
        {
            rr.3 = prefix.embed(v4).unwrap().to_string();
            rr.2 = rr.2.min(600);
        } else if rr.1 == Rtype::AAAA && rr.3.parse().is_ok_and(|a| prefix.contains(a)) {
            rr.2 = rr.2.min(NEGATIVE_TTL);
        }
        if let Some(m) = mine.answer.get(i)
            && m.2.abs_diff(rr.2) <= 2
        {
            rr.2 = m.2;
        }
    }
    t
}

/// The `in-addr.arpa` name of the IPv4 address an `ip6.arpa` name under
/// `prefix` embeds.
fn in_addr(ip6_arpa: &str, prefix: Nat64Prefix) -> String {
    let nibbles: String = ip6_arpa
        .split('.')
        .take(32)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let a = std::net::Ipv6Addr::from(u128::from_str_radix(&nibbles, 16).unwrap());
    let o = prefix.extract(a).unwrap().octets();
    format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0])
}

#[test]
fn answers_match_unbound_dns64_field_by_field() {
    let prefix = Nat64Prefix::new("2001:db8:64::".parse().unwrap(), 96).unwrap();
    let Some(lab) = lab("dns64-vs-unbound", prefix) else {
        return;
    };
    let s = socket(&lab.ns);
    let cases: &[(&str, Rtype)] = &[
        ("a-only.example", Rtype::AAAA),
        ("aaaa-only.example", Rtype::AAAA),
        ("both.example", Rtype::AAAA),
        ("cname.example", Rtype::AAAA),
        ("cname2.example", Rtype::AAAA),
        ("nodata.example", Rtype::AAAA),
        ("nx.example", Rtype::AAAA),
        ("private.example", Rtype::AAAA),
        ("mapped.example", Rtype::AAAA),
        ("short.example", Rtype::AAAA),
        ("a-only.example", Rtype::A),
        ("cname.example", Rtype::A),
        ("nx.example", Rtype::A),
        (
            "1.0.0.0.0.0.4.1.0.0.0.0.0.0.0.0.0.0.0.0.4.6.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
            Rtype::PTR,
        ),
    ];
    let mut report = String::new();
    for (i, &(name, qtype)) in cases.iter().enumerate() {
        let q = query(i as u16 + 1, name, qtype, false, None);
        let theirs = normalized(decode(&ask(&s, UNBOUND64, &q)));
        let mine = normalized(decode(&ours(&s, prefix, &q)));
        report += &format!("{name} {qtype}:\n  unbound {theirs:?}\n  ours    {mine:?}\n");
        assert_eq!(
            mine,
            compare(prefix, &mine, &theirs),
            "{name} {qtype}\n{report}"
        );
    }
    drop(lab.tb);
}

#[test]
fn rfc7050_discovery_against_unbound_dns64() {
    for (p, len) in [("2001:db8:64::", 96), ("2001:db8:122:344::", 64)] {
        let prefix = Nat64Prefix::new(p.parse().unwrap(), len).unwrap();
        let Some(lab) = lab("rfc7050-vs-unbound", prefix) else {
            return;
        };
        let s = socket(&lab.ns);
        let port = s.local_addr().unwrap().port();
        for validate in [false, true] {
            let mut c = Nat64DiscoveryConfig::new(vec![UNBOUND64.parse().unwrap()]);
            c.source_ports = (port, port);
            c.validate = validate;
            let clock = StdClock::new();
            let mut m = Nat64Discovery::new(c, SeededRng::from_u64(2), clock.now()).unwrap();
            let mut found = vec![];
            while let Some(t) = m.poll_transmit(clock.now()) {
                let a = ask(&s, UNBOUND64, &t.payload);
                m.handle_input(clock.now(), UNBOUND64.parse().unwrap(), port, &a)
                    .unwrap();
                while let Some(e) = m.poll_event() {
                    found.push(e);
                }
            }
            assert_eq!(
                found,
                vec![Nat64DiscoveryEvent::PrefixFound(prefix)],
                "{prefix} validate={validate}"
            );
        }
    }
}
