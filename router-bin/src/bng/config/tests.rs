//! The configuration's unit tests: defaults, the example file, checks.

use super::*;

const MIN: &str = r#"
    interface = "eth1"
    [pool]
    first = "198.51.100.10"
    last = "198.51.100.20"
    local = "198.51.100.1"
    [[users]]
    name = "alice"
    password = "pw"
"#;

#[test]
fn minimal_config_gets_defaults() {
    let c = Config::parse(MIN).unwrap();
    assert_eq!(c.tun, "bng0");
    assert_eq!(c.max_sessions, 4096);
    assert_eq!(c.max_sessions_per_mac, 1);
    assert_eq!(c.at_mac_limit, AtMacLimit::Replace);
    assert!(c.ipv6cp);
    assert_eq!(c.lcp.echo_interval, 10);
    assert!(c.radius.is_none());
}

#[test]
fn the_example_parses() {
    let text = include_str!("../../../examples/bng.toml");
    let c = Config::parse(text).unwrap();
    assert!(c.radius.is_none());
    assert!(!c.users.is_empty());
    // Its commented-out RADIUS part parses too.
    let uncommented: String = text
        .lines()
        .map(|l| l.strip_prefix("#> ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    let c = Config::parse(&uncommented).unwrap();
    assert!(c.radius.is_some() && c.coa.is_some());
    assert_eq!(c.coa_clients(), vec![IpAddr::from([127, 0, 0, 1])]);
    let v6 = c.ipv6.as_ref().expect("the [ipv6] example");
    assert_eq!(
        (v6.delegated_length, v6.managed, v6.ra_interval),
        (56, true, 600)
    );
    assert_eq!(c.state_dir, PathBuf::from("/var/lib/bng"));
}

#[test]
fn ipv6_section_is_checked() {
    let v6 = |body: &str| Config::parse(&format!("{MIN}\n[ipv6]\n{body}\n"));
    let c = v6("pools = [\"2001:db8:100::/40\"]").unwrap();
    assert_eq!(c.ipv6.as_ref().unwrap().pools[0].len, 40);
    assert_eq!(c.ipv6.unwrap().icmp_source, None);
    let c = v6("icmp_source = \"2001:db8:ffff::1\"").unwrap();
    assert_eq!(
        c.ipv6.unwrap().icmp_source,
        Some("2001:db8:ffff::1".parse().unwrap())
    );
    for bad in [
        "pools = [\"2001:db8:100::/40\"]\ndelegated_length = 72",
        "pools = [\"2001:db8:100::/20\"]",
        "pools = [\"2001:db8:100::1/40\"]",
        "preferred_lifetime = 9000",
        "ra_interval = 2",
        "max_bindings = 0",
        "icmp_source = \"fe80::1\"",
        "icmp_source = \"::\"",
        "icmp_source = \"ff02::1\"",
        "no_such_key = 1",
    ] {
        assert!(v6(bad).is_err(), "{bad}");
    }
}

#[test]
fn shutdown_grace_outlasts_the_radius_retries() {
    let c = Config::parse(MIN).unwrap();
    assert_eq!(c.shutdown_grace(), Duration::from_secs(3));
    let server = "[[radius.servers]]\nauth = \"127.0.0.1:1812\"\n\
                  acct = \"127.0.0.1:1813\"\nsecret = \"s\"\n";
    let radius = |extra: &str, servers: usize| {
        Config::parse(&format!(
            "{MIN}\n[radius]\n{extra}\n{}",
            server.repeat(servers)
        ))
        .unwrap()
        .shutdown_grace()
    };
    // The defaults: 3 s x 3 tries.
    assert_eq!(radius("", 1), Duration::from_millis(9500));
    assert_eq!(
        radius("timeout_ms = 1000\nretries = 2", 2),
        Duration::from_millis(4500)
    );
    assert_eq!(
        radius("timeout_ms = 100\nretries = 1", 1),
        Duration::from_secs(3)
    );
    assert_eq!(radius("", 3), Duration::from_millis(27500));
    assert_eq!(radius("", 4), Duration::from_secs(30));
}

#[test]
fn ppp_max_payload_is_rfc_4638_range() {
    assert_eq!(Config::parse(MIN).unwrap().max_payload(), 1492);
    for (v, ok) in [(1492, false), (1493, true), (1500, true), (1501, false)] {
        let c = Config::parse(&format!("ppp_max_payload = {v}\n{MIN}"));
        assert_eq!(c.is_ok(), ok, "{v}");
        if ok {
            assert_eq!(c.unwrap().max_payload(), v);
        }
    }
}

#[test]
fn unknown_key_names_the_key_and_line() {
    let e = Config::parse(&format!("{MIN}\nbogus = 1\n")).unwrap_err();
    assert!(e.contains("bogus"), "{e}");
    assert!(e.contains("line"), "{e}");
}

#[test]
fn bad_values_are_refused() {
    let swapped = MIN.replace("\"198.51.100.10\"", "\"198.51.100.30\"");
    assert!(Config::parse(&swapped).unwrap_err().contains("pool.first"));
    let no_users = MIN.replace("[[users]]", "[x]").replace("name", "#");
    assert!(Config::parse(&no_users).is_err());
    let e = Config::parse(&format!(
        "{MIN}\n[[users]]\nname = \"alice\"\npassword = \"x\"\n"
    ))
    .unwrap_err();
    assert!(e.contains("twice"), "{e}");
}

#[test]
fn the_per_mac_limit_is_checked() {
    let with = |keys: &str| {
        Config::parse(&MIN.replace(
            "interface = \"eth1\"",
            &format!("interface = \"eth1\"\n{keys}"),
        ))
    };
    let c = with("max_sessions_per_mac = 3\nat_mac_limit = \"refuse\"").unwrap();
    assert_eq!(c.max_sessions_per_mac, 3);
    assert_eq!(c.at_mac_limit, AtMacLimit::Refuse);
    for bad in [
        "max_sessions_per_mac = 0",
        "max_sessions = 10\nmax_sessions_per_mac = 11",
    ] {
        let e = with(bad).unwrap_err();
        assert!(
            e.contains("max_sessions_per_mac must be 1..="),
            "{bad}: {e}"
        );
    }
    let e = with("at_mac_limit = \"kick\"").unwrap_err();
    assert!(
        e.contains("at_mac_limit") || (e.contains("replace") && e.contains("refuse")),
        "{e}"
    );
}

#[test]
fn ipv4_off_needs_ipv6() {
    assert!(Config::parse(MIN).unwrap().ipv4, "IPCP on by default");
    let no_v4 = MIN.replace("interface = \"eth1\"", "interface = \"eth1\"\nipv4 = false");
    let err = Config::parse(&no_v4).unwrap_err();
    assert!(err.contains("ipv4 = false needs"), "{err}");
    let c = Config::parse(&format!(
        "{no_v4}\n[ipv6]\npools = [\"2001:db8:100::/40\"]\n"
    ))
    .unwrap();
    assert!(!c.ipv4);
    let no_v6cp = no_v4.replace("ipv4 = false", "ipv4 = false\nipv6cp = false");
    assert!(
        Config::parse(&format!(
            "{no_v6cp}\n[ipv6]\npools = [\"2001:db8:100::/40\"]\n"
        ))
        .is_err()
    );
}

#[test]
fn the_padi_rate_over_all_hosts_is_configurable() {
    let c = Config::parse(MIN).unwrap();
    assert_eq!((c.discovery.padi_rate, c.discovery.padi_burst), (200, 400));
    let text = format!("{MIN}\n[discovery]\npadi_rate = 5000\npadi_burst = 10000\n");
    let c = Config::parse(&text).unwrap();
    let l = c.discovery.padi_rate_total();
    assert_eq!((l.per_second, l.burst), (5000, 10000));
    let zero = format!("{MIN}\n[discovery]\npadi_rate = 0\n");
    let err = Config::parse(&zero).unwrap_err();
    assert!(err.contains("padi_rate and padi_burst"), "{err}");
    assert_eq!(c.discovery.mac_rate_slots, 1024);
    let slots = format!("{MIN}\n[discovery]\nmac_rate_slots = 65536\n");
    assert_eq!(
        Config::parse(&slots).unwrap().discovery.mac_rate_slots,
        65536
    );
    let too_many = format!("{MIN}\n[discovery]\nmac_rate_slots = 65537\n");
    assert!(
        Config::parse(&too_many)
            .unwrap_err()
            .contains("mac_rate_slots")
    );
    let unknown = format!("{MIN}\n[discovery]\npadr_rate = 1\n");
    assert!(Config::parse(&unknown).is_err());
}

#[test]
fn the_worker_count_is_checked() {
    assert_eq!(Config::parse(MIN).unwrap().datapath.workers, 1);
    let two = format!("{MIN}\n[datapath]\nworkers = 2\n");
    assert_eq!(Config::parse(&two).unwrap().datapath.workers, 2);
    for bad in [0, 17] {
        let text = format!("{MIN}\n[datapath]\nworkers = {bad}\n");
        let err = Config::parse(&text).unwrap_err();
        assert!(err.contains("datapath.workers"), "{err}");
    }
}
