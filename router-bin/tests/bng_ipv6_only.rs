//! IPv6-only access (`ipv4 = false`): a session takes no IPv4 address from
//! the pool (so a one-address pool carries several sessions, including a
//! user with a fixed `ip`), `bng sessions` shows no address for it and
//! `bng stats` counts it among the IPv6 sessions with nothing in the pool
//! in use; with FreeRADIUS, accounting carries no Framed-IP-Address even
//! when the Access-Accept had one.

mod bng_support;
mod common;

use std::time::Duration;

use bng_support::{Bed, config_text};
use common::dialer::{Dialer, ppp};
use ppp_proto::{PppConfig, PppEvent};
use pppoe_proto::PppoeClientConfig;
use pppoe_proto::wire::EthernetAddress;
use router_bin::afpacket::{ETH_P_ALL, PacketSocket};

/// `ipv4 = false`, `[ipv6]`, and a pool of one address (198.51.100.10).
fn ipv6_only(dir: &std::path::Path, users: bool, extra: &str) -> String {
    let text = config_text(
        dir,
        users,
        &format!("{extra}[ipv6]\npools = [\"2001:db8:100::/40\"]\n"),
    )
    .replace("last = \"198.51.100.20\"", "last = \"198.51.100.10\"");
    format!(
        "ipv4 = false\nstate_dir = \"{}/state\"\n{text}",
        dir.display()
    )
}

/// A dialer from its own MAC `02:00:00:00:6b:<n>`.
fn dialer(bed: &Bed, n: u8, user: &[u8], password: &[u8]) -> Dialer {
    let sock = bed
        .client
        .enter(|| PacketSocket::open("wan0", ETH_P_ALL))
        .unwrap()
        .unwrap();
    let pppoe = PppoeClientConfig::new(EthernetAddress([2, 0, 0, 0, 0x6b, n]));
    Dialer::new(sock, pppoe, PppConfig::peer(user, password), u64::from(n))
}

/// Runs `d` until IPv6CP is up; panics with both logs if not.
fn ipv6_up(bed: &Bed, d: &mut Dialer) {
    let up = d.run_until(Duration::from_secs(15), |s| {
        ppp(s, |e| matches!(e, PppEvent::Ipv6Up { .. }))
    });
    assert!(up, "no IPv6CP: {:?}\n{}", d.log, bed.log());
}

fn stat(stats: &str, name: &str) -> u64 {
    stats
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in:\n{stats}"))
}

#[test]
fn ipv6_only_sessions_take_no_pool_address() {
    let Some(bed) = Bed::start_text("b6-only", |dir| ipv6_only(dir, true, "")) else {
        return;
    };
    // Three sessions on a one-address pool; bob has a fixed `ip`.
    let mut dialers = vec![
        dialer(&bed, 1, b"alice", b"wonderland"),
        dialer(&bed, 2, b"alice", b"wonderland"),
        dialer(&bed, 3, b"bob", b"builder"),
    ];
    for d in &mut dialers {
        ipv6_up(&bed, d);
    }
    for d in &mut dialers {
        d.run_until(Duration::from_millis(200), |_| false);
        assert!(d.ipv4().is_none(), "IPCP opened: {:?}", d.log);
    }
    let stats = bed.ctl("stats");
    assert_eq!(stat(&stats, "sessions"), 3, "{stats}\n{}", bed.log());
    assert_eq!(stat(&stats, "sessions_ipv6"), 3, "{stats}");
    assert_eq!(stat(&stats, "sessions_ipv4"), 0, "{stats}");
    assert_eq!(stat(&stats, "pool_in_use"), 0, "{stats}");
    let table = bed.ctl("sessions");
    let rows: Vec<Vec<&str>> = table
        .lines()
        .skip(1)
        .filter(|l| l.contains("02:00:00:00:6b:"))
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 3, "{table}");
    for row in &rows {
        assert_eq!(
            row[3], "-",
            "an IPv6-only session shows no address: {table}"
        );
    }
    assert!(!table.contains("198.51.100.") && !table.contains("192.0.2.77"));
}

const RADIUS_USERS: &str = r#"
erin	Cleartext-Password := "pw6"
	Framed-IP-Address = 198.51.100.15,
	Message-Authenticator = 0x00

DEFAULT	Auth-Type := Reject
	Message-Authenticator = 0x00
"#;

#[test]
fn ipv6_only_accounting_has_no_framed_ip_address() {
    use bng_support::radiusd::{self, Radiusd, records};
    if !radiusd::available("ipv6_only_accounting_has_no_framed_ip_address") {
        return;
    }
    let Some((bed, radius)) = Bed::start_prepared(
        "b6-only-r",
        |dir| ipv6_only(dir, false, &radiusd::bng_sections()),
        |tb, ns| Radiusd::start(tb, ns, RADIUS_USERS),
    ) else {
        return;
    };
    let mut d = dialer(&bed, 9, b"erin", b"pw6");
    ipv6_up(&bed, &mut d);
    assert!(d.ipv4().is_none(), "IPCP opened: {:?}", d.log);
    let stats = bed.ctl("stats");
    assert_eq!(stat(&stats, "pool_in_use"), 0, "{stats}");
    d.hang_up();
    d.run_until(Duration::from_secs(2), |_| false);
    let detail = radius
        .wait_detail(Duration::from_secs(10), |d| {
            d.contains("Acct-Status-Type = Stop")
        })
        .unwrap_or_else(|| panic!("no Stop:\n{}\n{}", radius.detail(), bed.log()));
    let recs = records(&detail);
    for status in ["Start", "Stop"] {
        let r = recs
            .iter()
            .find(|r| r.contains(&format!("Acct-Status-Type = {status}")))
            .unwrap_or_else(|| panic!("no {status}:\n{detail}"));
        assert!(r.contains("User-Name = \"erin\""), "{r}");
        assert!(
            !r.contains("Framed-IP-Address"),
            "an IPv6-only session reports no IPv4 address:\n{r}"
        );
    }
}
