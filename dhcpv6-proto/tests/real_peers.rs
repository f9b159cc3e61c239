//! Real peers in network namespaces across a veth pair (documentation
//! prefixes only): our server against ISC `dhclient -6 -P`, our client
//! against `kea-dhcp6-server`, each delegating a /56. Each side gets the
//! prefix, renews it at T1 (10 s), and gets the same prefix back after a
//! release and a new Solicit; tshark decodes every captured packet with no
//! malformed one.
//!
//! Needs root and the Debian packages `isc-dhcp-client kea-dhcp6-server
//! tshark`; without root each test prints `SKIP` (and fails under CI).

mod common;

use std::net::Ipv6Addr;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use common::{ClientCommand, run_client, run_server, wait, wait_link_local};
use dhcpv6_proto::client::{Dhcpv6Client, Dhcpv6ClientConfig, Dhcpv6ClientEvent};
use dhcpv6_proto::server::{Dhcpv6PrefixPool, Dhcpv6Server, Dhcpv6ServerConfig, Dhcpv6ServerEvent};
use dhcpv6_proto::wire::Duid;
use sansio_primitives::SeededRng;
use testbed::Testbed;

const POOL: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0x100, 0, 0, 0, 0, 0);

fn in_pool(p: Ipv6Addr) -> bool {
    u128::from(p) >> 80 == u128::from(POOL) >> 80
}

/// Checks a capture; keeps it as `DIR/NAME.pcap` when
/// `DHCPV6_KEEP_CAPTURES=DIR` (to refresh `tests/golden/`).
fn assert_clean(cap: testbed::Capture, name: &str) {
    let pcap = cap.stop().unwrap();
    if let Some(dir) = std::env::var_os("DHCPV6_KEEP_CAPTURES") {
        std::fs::copy(
            pcap.path(),
            std::path::Path::new(&dir).join(format!("{name}.pcap")),
        )
        .unwrap();
    }
    let n = pcap.count("dhcpv6").unwrap();
    assert!(n >= 6, "only {n} DHCPv6 packets captured");
    let problems = pcap.problems().unwrap();
    assert!(problems.is_empty(), "tshark found problems: {problems:?}");
}

#[test]
fn our_server_delegates_to_dhclient_which_renews_and_gets_it_back() {
    let Some(mut tb) = Testbed::new("dhcpv6-server-vs-dhclient") else {
        return;
    };
    let srv = tb.namespace("server").unwrap();
    let cli = tb.namespace("client").unwrap();
    tb.veth((&srv, "srv0"), (&cli, "cli0")).unwrap();
    wait_link_local(&tb, &srv, "srv0");
    wait_link_local(&tb, &cli, "cli0");
    let cap = tb.capture(&srv, "srv0").unwrap();
    let mut cfg = Dhcpv6ServerConfig::new(
        Duid::ethernet([2, 0, 0, 0, 0, 0xaa]),
        vec![Dhcpv6PrefixPool::new(POOL, 48, 56)],
    );
    (cfg.t1, cfg.t2, cfg.preferred, cfg.valid) = (10, 16, 20, 40);
    cfg.dns_servers = vec!["2001:db8::53".parse().unwrap()];
    let server = Dhcpv6Server::new(cfg, sansio_primitives::Instant::ZERO).unwrap();
    let mut drv = run_server(&tb, &srv, "srv0", server);

    let dir = tb.dir().to_path_buf();
    let events = dir.join("events");
    std::fs::write(&events, "").unwrap();
    let script = dir.join("script");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$reason $new_ip6_prefix $old_ip6_prefix\" >> {}\n",
            events.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let lf = dir.join("dhclient6.leases");
    let dhclient = |pid: &str, release: bool| {
        let mut v = vec![
            "dhclient".to_owned(),
            "-6".into(),
            "-P".into(),
            "-d".into(),
            "-lf".into(),
            lf.display().to_string(),
            "-pf".into(),
            dir.join(pid).display().to_string(),
            "-sf".into(),
            script.display().to_string(),
        ];
        if release {
            v.push("-r".into());
        }
        v.push("cli0".into());
        v
    };
    let lines = || -> Vec<(String, String)> {
        std::fs::read_to_string(&events)
            .unwrap_or_default()
            .lines()
            .map(|l| {
                let mut f = l.split(' ');
                (
                    f.next().unwrap_or("").to_owned(),
                    f.next().unwrap_or("").to_owned(),
                )
            })
            .collect()
    };
    let argv = dhclient("pid1", false);
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let mut p = tb.spawn(&cli, &argv).unwrap();
    let dump = |p: &testbed::Process| {
        let (o, e) = p.output();
        format!(
            "dhclient:\n{o}\n{e}\nevents: {:?}",
            std::fs::read_to_string(&events)
        )
    };
    wait(
        Duration::from_secs(20),
        "BOUND6",
        || dump(&p),
        || lines().iter().any(|(r, _)| r == "BOUND6"),
    );
    let (_, prefix) = lines().into_iter().find(|(r, _)| r == "BOUND6").unwrap();
    let (addr, len) = prefix.split_once('/').unwrap();
    let addr: Ipv6Addr = addr.parse().unwrap();
    assert!(in_pool(addr) && len == "56", "{prefix}");
    // T1 = 10 s: dhclient renews and keeps the prefix.
    wait(
        Duration::from_secs(25),
        "RENEW6",
        || dump(&p),
        || lines().iter().any(|(r, p)| r == "RENEW6" && *p == prefix),
    );
    p.stop().unwrap();
    // Release, then ask again: the same prefix.
    let argv = dhclient("pid2", true);
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    tb.exec(&cli, &argv, Duration::from_secs(20)).unwrap();
    wait(Duration::from_secs(5), "Released", String::new, || {
        drv.events
            .lock()
            .unwrap()
            .iter()
            .any(|e| matches!(e, Dhcpv6ServerEvent::Released(r) if r.prefix == addr))
    });
    std::fs::write(&events, "").unwrap();
    let argv = dhclient("pid3", false);
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let mut p = tb.spawn(&cli, &argv).unwrap();
    wait(
        Duration::from_secs(20),
        "BOUND6 again",
        || dump(&p),
        || lines().iter().any(|(r, _)| r == "BOUND6"),
    );
    let (_, again) = lines().into_iter().find(|(r, _)| r == "BOUND6").unwrap();
    assert_eq!(again, prefix);
    p.stop().unwrap();
    drv.stop();
    assert_clean(cap, "dhclient");
}

#[test]
fn our_client_gets_a_prefix_from_kea_renews_and_gets_it_back() {
    let Some(mut tb) = Testbed::new("dhcpv6-client-vs-kea") else {
        return;
    };
    let srv = tb.namespace("server").unwrap();
    let cli = tb.namespace("client").unwrap();
    tb.veth((&srv, "srv0"), (&cli, "cli0")).unwrap();
    tb.addr(&srv, "srv0", "2001:db8:ffff::1/64").unwrap();
    wait_link_local(&tb, &srv, "srv0");
    wait_link_local(&tb, &cli, "cli0");
    let cap = tb.capture(&srv, "srv0").unwrap();
    let dir = tb.dir().to_path_buf();
    let conf = dir.join("kea-dhcp6.conf");
    std::fs::write(
        &conf,
        format!(
            r#"{{ "Dhcp6": {{
  "interfaces-config": {{ "interfaces": [ "srv0" ] }},
  "server-id": {{ "type": "EN", "enterprise-id": 2495, "identifier": "0102", "persist": false }},
  "lease-database": {{ "type": "memfile", "persist": true, "name": "{}/leases6.csv", "lfc-interval": 0 }},
  "renew-timer": 10, "rebind-timer": 16, "preferred-lifetime": 20, "valid-lifetime": 40,
  "subnet6": [ {{
    "id": 1, "subnet": "2001:db8:ffff::/64", "interface": "srv0",
    "pd-pools": [ {{ "prefix": "2001:db8:100::", "prefix-len": 48, "delegated-len": 56 }} ],
    "option-data": [ {{ "name": "dns-servers", "data": "2001:db8::53" }} ]
  }} ],
  "loggers": [ {{ "name": "kea-dhcp6", "output_options": [ {{ "output": "stdout" }} ], "severity": "INFO" }} ]
}} }}"#,
            dir.display()
        ),
    )
    .unwrap();
    let envs = format!("KEA_PIDFILE_DIR={0} KEA_LOCKFILE_DIR={0}", dir.display());
    let cmd = format!("env {envs} kea-dhcp6 -c {}", conf.display());
    let kea = tb.spawn(&srv, &["sh", "-c", &cmd]).unwrap();
    let kdump = || {
        let (o, e) = kea.output();
        format!("kea:\n{o}\n{e}")
    };
    wait(Duration::from_secs(10), "kea ready", kdump, || {
        kea.output().0.contains("DHCP6_STARTED")
            || kea.output().0.contains("DHCPSRV_CFGMGR_ADD_IFACE")
    });
    std::thread::sleep(Duration::from_millis(500));

    let (mut drv, cmd) = run_client(&tb, &cli, "cli0", |now| {
        Dhcpv6Client::new(
            Dhcpv6ClientConfig::new(Duid::ethernet([2, 0, 0, 0, 1, 1])),
            SeededRng::from_u64(0x6b6561),
            now,
        )
        .unwrap()
    });
    let delegated = || {
        drv.events.lock().unwrap().iter().find_map(|e| match e {
            Dhcpv6ClientEvent::PrefixDelegated {
                prefix, prefix_len, ..
            } => Some((*prefix, *prefix_len)),
            _ => None,
        })
    };
    wait(Duration::from_secs(15), "PrefixDelegated", kdump, || {
        delegated().is_some()
    });
    let (prefix, len) = delegated().unwrap();
    assert!(
        in_pool(prefix) && len == 56,
        "{prefix}/{len}\n{}",
        kea.output().0
    );
    assert!(drv.events.lock().unwrap().iter().any(|e| matches!(e, Dhcpv6ClientEvent::DnsServers(d) if d[0] == "2001:db8::53".parse::<Ipv6Addr>().unwrap())));
    wait(Duration::from_secs(25), "PrefixRenewed", kdump, || {
        drv.events.lock().unwrap().iter().any(
            |e| matches!(e, Dhcpv6ClientEvent::PrefixRenewed { prefix: p, .. } if *p == prefix),
        )
    });
    cmd.send(ClientCommand::Release).unwrap();
    std::thread::sleep(Duration::from_secs(2));
    drv.events.lock().unwrap().clear();
    cmd.send(ClientCommand::Restart).unwrap();
    wait(
        Duration::from_secs(15),
        "PrefixDelegated again",
        kdump,
        || delegated().is_some(),
    );
    assert_eq!(delegated(), Some((prefix, len)), "{}", kea.output().0);
    drv.stop();
    drop(kea);
    assert_clean(cap, "kea");
}
