//! The router's DNS forwarder (`[dns] enabled = true`) end to end: the
//! `router` dials our `bng`, whose IPCP hands out a DNS server in a third
//! namespace (unbound with local data); a LAN host's DHCP lease names the
//! router as its DNS server, and its `dig` gets answers through the router
//! from that server, over IPv4 and the LAN's IPv6 addresses (global and
//! link-local); the host's own
//! name (sent in its DHCP request) resolves, forward and reverse; a query
//! from outside the LAN is refused; `router status` shows the forwarder.
//! A second test: a lease restored from the state dir is named at start
//! (before any DHCP message) and its name goes when it expires. A third:
//! the DNS servers DHCPv6 (kea, with the prefix delegation) gives become
//! upstreams beside IPCP's.
//!
//! ```text
//!  lan [eth0] ── [lan0] cpe: router [wan0] ── [acc0] isp: bng [isp0] ── [net0] net: unbound
//! ```
//!
//! Needs root, dig, dhclient and unbound (skips through `testbed::skip`).

mod common;
mod router_support;

use std::process::Command;
use std::time::Duration;

use dhcpv4_proto::file_store::FileStore;
use dhcpv4_proto::lease::{Lease, LeaseState, LeaseStore};
use router_support::{
    Router, bng_for_alice, dhclient_with, isp_cpe_lan, lan_cpe_isp_net, write_config,
};
use sansio_primitives::StdClock;
use testbed::{Netns, Testbed};

/// The upstream resolver in `net`.
const UPSTREAM: &str = "203.0.113.2";
/// Its data.
const WWW: &str = "203.0.113.80";
/// The router's LAN IPv6 address.
const LAN6: &str = "2001:db8:1::1";

fn have(test: &str, tool: &str, package: &str) -> bool {
    let ok = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        testbed::skip(
            test,
            &format!("{tool} is not installed (Debian package {package})"),
        );
    }
    ok
}

/// unbound on UPSTREAM:53 in `net`, serving `www.example`.
fn upstream(tb: &Testbed, net: &Netns) -> testbed::Process {
    let dir = tb.dir();
    let conf = format!(
        r#"server:
    interface: {UPSTREAM}
    port: 53
    access-control: 0.0.0.0/0 allow
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
    local-data: "www.example. 300 IN A {WWW}"
remote-control:
    control-enable: no
"#,
        dir.display()
    );
    let path = dir.join("unbound.conf");
    std::fs::write(&path, conf).unwrap();
    let p = tb
        .spawn(net, &["unbound", "-d", "-c", path.to_str().unwrap()])
        .unwrap();
    tb.wait_listening(net, &format!("{UPSTREAM}:53"), Duration::from_secs(10))
        .unwrap();
    p
}

/// `dig ARGS` in `ns`; its output (dig exits non-zero on no answer).
fn dig(tb: &Testbed, ns: &Netns, args: &[&str]) -> String {
    let argv = [&["dig", "+time=3", "+tries=2"][..], args].concat();
    tb.exec(ns, &argv, Duration::from_secs(15))
        .unwrap_or_else(|e| e.to_string())
}

/// The answer section's data fields.
fn answers(out: &str) -> Vec<String> {
    let mut lines = out
        .lines()
        .skip_while(|l| !l.starts_with(";; ANSWER SECTION"));
    lines.next();
    lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_whitespace().nth(4).map(String::from))
        .collect()
}

#[test]
fn lan_host_resolves_through_the_router_and_by_its_lease_name() {
    let label = "router-dns";
    for (tool, package) in [
        ("dig", "bind9-dnsutils"),
        ("unbound", "unbound"),
        ("dhclient", "isc-dhcp-client"),
    ] {
        if !have(label, tool, package) {
            return;
        }
    }
    let Some((tb, [lan, cpe, isp, net])) = lan_cpe_isp_net(label, UPSTREAM) else {
        return;
    };
    // The LAN's IPv6 prefix (as an RA/PD module would set it up).
    tb.ip(&cpe, &["link", "set", "lan0", "up"]).unwrap();
    tb.addr(&cpe, "lan0", &format!("{LAN6}/64")).unwrap();
    tb.addr(&lan, "eth0", "2001:db8:1::100/64").unwrap();
    tb.ip(&lan, &["link", "set", "eth0", "up"]).unwrap();

    let _unbound = upstream(&tb, &net);
    let _bng = bng_for_alice(&tb, &isp, &format!("dns = [\"{UPSTREAM}\"]\n"));
    let config = write_config(tb.dir(), "wan0", "lan0", "");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("[dns]\nenabled = true\n");
    std::fs::write(&config, text).unwrap();
    let mut router = Router::start(&tb, &cpe, &config);
    let status = router.wait_status(Duration::from_secs(30), |s| {
        s.contains("ipv4: 192.0.2.10") && s.contains("upstreams [203.0.113.2:53]")
    });
    assert!(
        status.contains("dns: on 198.51.100.1 [::]%lan0,"),
        "{status}"
    );

    // The lease offers the router as DNS server; the host says its name.
    let events = dhclient_with(&tb, &lan, "eth0", "send host-name \"laptop\";\n");
    let ip = events
        .split("BOUND ip=")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no lease: {events}"))
        .to_string();
    assert!(ip.starts_with("198.51.100."), "{events}");
    assert!(events.contains("dns=198.51.100.1\n"), "{events}");

    // Through the router to the ISP's resolver, then from the cache over
    // the LAN's IPv6 address.
    let out = dig(&tb, &lan, &["@198.51.100.1", "www.example", "A"]);
    assert_eq!(answers(&out), vec![WWW], "{out}\n{}", router.log());
    let out = dig(&tb, &lan, &[&format!("@{LAN6}"), "www.example", "A"]);
    assert_eq!(answers(&out), vec![WWW], "{out}");
    // And its link-local address, the one RAs name in RDNSS.
    let ll = router_support::ip_out(
        &cpe,
        &["-6", "-o", "addr", "show", "dev", "lan0", "scope", "link"],
    );
    let ll = ll
        .split_whitespace()
        .skip_while(|w| *w != "inet6")
        .nth(1)
        .and_then(|a| a.split('/').next())
        .unwrap_or_else(|| panic!("no link-local on lan0: {ll}"))
        .to_string();
    let out = dig(&tb, &lan, &[&format!("@{ll}%eth0"), "www.example", "A"]);
    assert_eq!(answers(&out), vec![WWW], "{out}");
    // DNS64 is off: no AAAA made up.
    let out = dig(&tb, &lan, &["@198.51.100.1", "www.example", "AAAA"]);
    assert!(
        out.contains("status: NOERROR") && answers(&out).is_empty(),
        "{out}"
    );

    // The lease's name, forward and reverse, answered by the router.
    let out = dig(&tb, &lan, &["@198.51.100.1", "laptop.lan", "A"]);
    assert_eq!(answers(&out), vec![ip.clone()], "{out}\n{}", router.log());
    let out = dig(&tb, &lan, &["@198.51.100.1", "-x", &ip]);
    assert_eq!(answers(&out), vec!["laptop.lan."], "{out}");

    // From outside the LAN (the router's WAN address as source): refused.
    let out = dig(
        &tb,
        &cpe,
        &["@198.51.100.1", "-b", "192.0.2.10", "www.example"],
    );
    assert!(out.contains("status: REFUSED"), "{out}");

    let status = router.status().unwrap();
    eprintln!("{status}");
    assert!(status.contains("1 local names"), "{status}");
    assert!(status.contains(" 1 refused"), "{status}");
    router.stop_cleanly(Duration::from_secs(8));
}

#[test]
fn restored_lease_named_at_start_and_dropped_when_expired() {
    let label = "router-dns-lease";
    if !have(label, "dig", "bind9-dnsutils") {
        return;
    }
    // No WAN peer: the router serves the LAN while it dials in vain, and
    // with no upstream yet forwarded queries get SERVFAIL.
    let Some((tb, [_isp, cpe, lan], config)) = isp_cpe_lan(label) else {
        return;
    };
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("[dns]\nenabled = true\n");
    std::fs::write(&config, text).unwrap();
    // A lease from before a restart, ending 8 s from now.
    let expires = StdClock::since_unix_epoch().now() + Duration::from_secs(8);
    let (mut store, _) = FileStore::open(tb.dir().join("state/dhcp-leases")).unwrap();
    store
        .persist(&[Lease {
            address: "198.51.100.120".parse().unwrap(),
            client: vec![1, 2, 0, 0, 0, 0, 1],
            hardware: vec![2, 0, 0, 0, 0, 1],
            hostname: Some(b"printer".to_vec()),
            expires,
            state: LeaseState::Bound,
        }])
        .unwrap();
    drop(store);
    tb.addr(&lan, "eth0", "198.51.100.50/24").unwrap();
    tb.ip(&lan, &["link", "set", "eth0", "up"]).unwrap();
    let mut router = Router::start(&tb, &cpe, &config);
    router.wait_status(Duration::from_secs(10), |s| s.contains("dns: on"));
    let out = dig(&tb, &lan, &["@198.51.100.1", "printer.lan", "A"]);
    assert_eq!(
        answers(&out),
        vec!["198.51.100.120"],
        "{out}\n{}",
        router.log()
    );
    let out = dig(&tb, &lan, &["@198.51.100.1", "www.example", "A"]);
    assert!(out.contains("status: SERVFAIL"), "{out}");
    // Expired (8 s), then read again within NAMES_REFRESH (5 s).
    std::thread::sleep(Duration::from_secs(15));
    let out = dig(&tb, &lan, &["@198.51.100.1", "printer.lan", "A"]);
    assert!(answers(&out).is_empty(), "{out}\n{}", router.log());
    router.stop_cleanly(Duration::from_secs(8));
}

#[test]
fn dhcpv6_dns_servers_become_upstreams() {
    let label = "router-dns-v6";
    if !have(label, "kea-dhcp6", "kea-dhcp6-server") || !have(label, "radvd", "radvd") {
        return;
    }
    let Some((tb, [isp, cpe, _lan], config)) = isp_cpe_lan(label) else {
        return;
    };
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("[dns]\nenabled = true\n[ipv6]\nlan_subnet = 1\nra_interval = 4\n");
    std::fs::write(&config, text).unwrap();
    // Our AC (IPCP DNS 192.0.2.53, .54) and kea-dhcp6 (DNS 2001:db8::53).
    let _isp_side = common::isp6::Isp::start(&tb, &isp, "2001:db8:100::");
    let mut router = Router::start(&tb, &cpe, &config);
    let status = router.wait_status(Duration::from_secs(40), |s| {
        s.contains("ipv6 dns: 2001:db8::53") && s.contains("[2001:db8::53]:53")
    });
    assert!(
        status.contains("upstreams [[2001:db8::53]:53, 192.0.2.53:53, 192.0.2.54:53]"),
        "{status}"
    );
    router.stop_cleanly(Duration::from_secs(8));
}
