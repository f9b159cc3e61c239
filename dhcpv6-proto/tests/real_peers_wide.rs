//! Real peers, WIDE-DHCPv6 (Debian `wide-dhcpv6-client`/`-server`,
//! 20080615): our server against `dhcp6c`, our client against `dhcp6s`
//! (which delegates only static per-DUID prefixes), each a /56 across a veth
//! pair in network namespaces. Each side gets the prefix, renews it, and
//! gets the same prefix back after a release; tshark finds no malformed
//! packet.
//!
//! WIDE keeps its DUIDs in `/var/lib/dhcpv6/` (a compile-time path), so
//! these tests create `dhcp6c_duid` / `dhcp6s_duid` there if absent.
//! Needs root; without root each test prints `SKIP` (and fails under CI).

mod common;

use std::net::Ipv6Addr;
use std::time::Duration;

use common::{ClientCommand, run_client, run_server, wait, wait_link_local};
use dhcpv6_proto::client::{Dhcpv6Client, Dhcpv6ClientConfig, Dhcpv6ClientEvent};
use dhcpv6_proto::server::{Dhcpv6PrefixPool, Dhcpv6Server, Dhcpv6ServerConfig, Dhcpv6ServerEvent};
use dhcpv6_proto::wire::Duid;
use sansio_primitives::SeededRng;
use testbed::Testbed;

const POOL: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0x300, 0, 0, 0, 0, 0);

fn assert_clean(cap: testbed::Capture) {
    let pcap = cap.stop().unwrap();
    let n = pcap.count("dhcpv6").unwrap();
    assert!(n >= 6, "only {n} DHCPv6 packets captured");
    let problems = pcap.problems().unwrap();
    assert!(problems.is_empty(), "tshark found problems: {problems:?}");
}

#[test]
fn our_server_delegates_to_wide_dhcp6c() {
    let Some(mut tb) = Testbed::new("dhcpv6-server-vs-dhcp6c") else {
        return;
    };
    let srv = tb.namespace("server").unwrap();
    let cli = tb.namespace("client").unwrap();
    tb.veth((&srv, "srv0"), (&cli, "cli0")).unwrap();
    wait_link_local(&tb, &srv, "srv0");
    wait_link_local(&tb, &cli, "cli0");
    let cap = tb.capture(&srv, "srv0").unwrap();
    let mut cfg = Dhcpv6ServerConfig::new(
        Duid::ethernet([2, 0, 0, 0, 0, 0xab]),
        vec![Dhcpv6PrefixPool::new(POOL, 48, 56)],
    );
    (cfg.t1, cfg.t2, cfg.preferred, cfg.valid) = (10, 16, 20, 40);
    let server = Dhcpv6Server::new(cfg, sansio_primitives::Instant::ZERO).unwrap();
    let mut drv = run_server(&tb, &srv, "srv0", server);
    let dir = tb.dir().to_path_buf();
    let conf = dir.join("dhcp6c.conf");
    std::fs::write(
        &conf,
        "interface cli0 {\n  send ia-pd 0;\n};\nid-assoc pd 0 {\n};\n",
    )
    .unwrap();
    let pidf = dir.join("dhcp6c.pid");
    let argv = [
        "dhcp6c",
        "-f",
        "-D",
        "-c",
        conf.to_str().unwrap(),
        "-p",
        pidf.to_str().unwrap(),
        "cli0",
    ];
    let delegated = |drv: &common::Driver<Dhcpv6ServerEvent>| -> Vec<Ipv6Addr> {
        drv.events
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                Dhcpv6ServerEvent::Delegated(r) => Some(r.prefix),
                _ => None,
            })
            .collect()
    };
    let mut p = tb.spawn(&cli, &argv).unwrap();
    let dump = |p: &testbed::Process| {
        let (o, e) = p.output();
        format!("dhcp6c:\n{o}\n{e}")
    };
    wait(
        Duration::from_secs(20),
        "a delegation",
        || dump(&p),
        || !delegated(&drv).is_empty(),
    );
    let prefix = delegated(&drv)[0];
    assert_eq!(u128::from(prefix) >> 80, u128::from(POOL) >> 80);
    // dhcp6c took it (its debug log), and renews at T1 = 10 s.
    wait(
        Duration::from_secs(25),
        "a renewal",
        || dump(&p),
        || delegated(&drv).len() >= 2 && p.output().1.contains("update a prefix"),
    );
    assert!(delegated(&drv).iter().all(|d| *d == prefix));
    // On SIGTERM it releases.
    p.stop().unwrap();
    wait(Duration::from_secs(10), "Released", String::new, || {
        drv.events
            .lock()
            .unwrap()
            .iter()
            .any(|e| matches!(e, Dhcpv6ServerEvent::Released(r) if r.prefix == prefix))
    });
    drv.events.lock().unwrap().clear();
    let p = tb.spawn(&cli, &argv).unwrap();
    wait(
        Duration::from_secs(20),
        "a delegation again",
        || dump(&p),
        || !delegated(&drv).is_empty(),
    );
    assert_eq!(delegated(&drv)[0], prefix);
    drop(p);
    drv.stop();
    assert_clean(cap);
}

#[test]
fn our_client_gets_a_prefix_from_wide_dhcp6s() {
    let Some(mut tb) = Testbed::new("dhcpv6-client-vs-dhcp6s") else {
        return;
    };
    let srv = tb.namespace("server").unwrap();
    let cli = tb.namespace("client").unwrap();
    tb.veth((&srv, "srv0"), (&cli, "cli0")).unwrap();
    wait_link_local(&tb, &srv, "srv0");
    wait_link_local(&tb, &cli, "cli0");
    let cap = tb.capture(&srv, "srv0").unwrap();
    let dir = tb.dir().to_path_buf();
    let conf = dir.join("dhcp6s.conf");
    // Our client's DUID-LL 00:03:00:01:02:00:00:00:01:07.
    std::fs::write(
        &conf,
        "option domain-name-servers 2001:db8::53;\n\
         host home {\n  duid 00:03:00:01:02:00:00:00:01:07;\n  prefix 2001:db8:300:700::/56 20 40;\n};\n",
    )
    .unwrap();
    let pidf = dir.join("dhcp6s.pid");
    let s = tb
        .spawn(
            &srv,
            &[
                "dhcp6s",
                "-f",
                "-D",
                "-c",
                conf.to_str().unwrap(),
                "-P",
                pidf.to_str().unwrap(),
                "srv0",
            ],
        )
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let (mut drv, cmd) = run_client(&tb, &cli, "cli0", |now| {
        Dhcpv6Client::new(
            Dhcpv6ClientConfig::new(Duid::ethernet([2, 0, 0, 0, 1, 7])),
            SeededRng::from_u64(0x77),
            now,
        )
        .unwrap()
    });
    let sdump = || {
        let (o, e) = s.output();
        format!("dhcp6s:\n{o}\n{e}")
    };
    let delegated = || {
        drv.events.lock().unwrap().iter().find_map(|e| match e {
            Dhcpv6ClientEvent::PrefixDelegated {
                prefix, prefix_len, ..
            } => Some((*prefix, *prefix_len)),
            _ => None,
        })
    };
    let want: Ipv6Addr = "2001:db8:300:700::".parse().unwrap();
    wait(Duration::from_secs(15), "PrefixDelegated", sdump, || {
        delegated().is_some()
    });
    assert_eq!(delegated(), Some((want, 56)));
    // Renewed at T1 (dhcp6s's, or 0.5 × the 20 s preferred lifetime when it
    // sends 0).
    wait(Duration::from_secs(25), "PrefixRenewed", sdump, || {
        drv.events
            .lock()
            .unwrap()
            .iter()
            .any(|e| matches!(e, Dhcpv6ClientEvent::PrefixRenewed { prefix: p, .. } if *p == want))
    });
    cmd.send(ClientCommand::Release).unwrap();
    std::thread::sleep(Duration::from_secs(2));
    drv.events.lock().unwrap().clear();
    cmd.send(ClientCommand::Restart).unwrap();
    wait(
        Duration::from_secs(15),
        "PrefixDelegated again",
        sdump,
        || delegated().is_some(),
    );
    assert_eq!(delegated(), Some((want, 56)));
    drv.stop();
    drop(s);
    assert_clean(cap);
}
