//! The `router`'s IPv6 against real peers, over its real WAN path (PPPoE,
//! PPP, the TUN `ppp0`), in network namespaces:
//!
//! ```text
//!  isp: our AC on [ac0], the session's IPv6 bridged to the TUN [sess0]
//!       (fe80::1, 2001:db8:ffff::1/64), kea-dhcp6 and radvd on sess0
//!    ── [wan0] cpe: router (ppp0) [lan0] ── [eth0] lan: a Linux host (SLAAC)
//! ```
//!
//! The ISP side is the kernel of the `isp` namespace with `kea-dhcp6`
//! delegating /56s from 2001:db8:100::/48 and `radvd` advertising
//! 2001:db8:ffff::/64 on the session: the router's DHCPv6-PD client, the
//! kernel's RA handling on ppp0, the LAN's RAs and the firewall are all
//! exercised the way they run in production, with a real server as the
//! delegating router (bng's own delegating server is other work).
//!
//! Needs root, `kea-dhcp6` (kea-dhcp6-server), `radvd`, `rdisc6` (ndisc6)
//! and `tshark`.

mod common;
mod router_support;

use std::io::Write;
use std::net::{Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::isp6::{Isp, sh, wait};
use router_support::{Router, ip_out, isp_cpe_lan};
use testbed::{Netns, Testbed};

/// The ISP's address beyond the router.
const SERVER: &str = "2001:db8:ffff::1";

fn require(tool: &str, package: &str) -> bool {
    let found = std::process::Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        testbed::skip(
            "router_ipv6",
            &format!("`{tool}` missing (apt-get install {package})"),
        );
    }
    found
}

/// The lab, the router's config with `[ipv6]` (`lan_subnet = 1`, RAs every
/// 3–4 s) and the ISP started; `None` when skipped.
fn lab(label: &str, extra: &str) -> Option<(Testbed, [Netns; 3], PathBuf, Isp)> {
    if !require("kea-dhcp6", "kea-dhcp6-server") || !require("radvd", "radvd") {
        return None;
    }
    let (tb, [isp, cpe, lan], config) = isp_cpe_lan(label)?;
    std::fs::OpenOptions::new()
        .append(true)
        .open(&config)
        .unwrap()
        .write_all(format!("[ipv6]\nlan_subnet = 1\nra_interval = 4\n{extra}").as_bytes())
        .unwrap();
    let isp_side = Isp::start(&tb, &isp, "2001:db8:100::");
    Some((tb, [isp, cpe, lan], config, isp_side))
}

/// The delegated prefix and the LAN /64 from `router status`.
fn prefixes(status: &str) -> Option<(Ipv6Addr, Ipv6Addr)> {
    let field = |key: &str| {
        let rest = status.lines().find_map(|l| l.strip_prefix(key))?;
        let (p, _) = rest.split_once('/')?;
        p.parse::<Ipv6Addr>().ok()
    };
    Some((field("ipv6 prefix: ")?, field("ipv6 lan: ")?))
}

/// Whether `a` is inside the /64 `lan`.
fn in_64(a: Ipv6Addr, lan: Ipv6Addr) -> bool {
    u128::from(a) >> 64 == u128::from(lan) >> 64
}

/// The global addresses of `eth0` in `ns`, with their `ip -o` lines.
fn host_addresses(ns: &Netns) -> Vec<(Ipv6Addr, String)> {
    ip_out(
        ns,
        &["-6", "-o", "addr", "show", "dev", "eth0", "scope", "global"],
    )
    .lines()
    .filter_map(|l| {
        let a = l.split_whitespace().skip_while(|w| *w != "inet6").nth(1)?;
        let a = a.split('/').next()?.parse().ok()?;
        Some((a, l.to_owned()))
    })
    .collect()
}

/// Waits until the LAN host has a SLAAC address in `lan` that is not
/// deprecated; returns it.
fn wait_slaac(router: &Router, ns: &Netns, lan: Ipv6Addr) -> Ipv6Addr {
    let end = Instant::now() + Duration::from_secs(30);
    while Instant::now() < end {
        if let Some((a, _)) = host_addresses(ns)
            .into_iter()
            .find(|(a, l)| in_64(*a, lan) && !l.contains("deprecated") && !l.contains("tentative"))
        {
            return a;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    panic!(
        "no SLAAC address in {lan}/64:\n{}\n{}",
        ip_out(ns, &["-6", "addr"]),
        router.log()
    );
}

fn connect(ns: &Netns, addr: SocketAddr) -> std::io::Result<TcpStream> {
    ns.enter(move || TcpStream::connect_timeout(&addr, Duration::from_secs(2)))
        .unwrap()
}

/// IPv6CP up, kea delegates a /56, the LAN gets its second /64 (`::1` on
/// lan0, an unreachable route for the rest), the kernel takes radvd's RA on
/// ppp0 (a WAN address although forwarding is on); a Linux host on the LAN
/// forms a SLAAC address in the /64, gets the default route and RDNSS from
/// the router's RAs, and pings the ISP's server; the firewall drops a new
/// inbound connection and passes the replies to the host's own; an address
/// of the delegated prefix outside the LAN is unreachable (no loop). After a
/// restart the saved prefix is hinted and comes back.
#[test]
fn router_gets_a_prefix_from_kea_and_the_lan_host_uses_slaac() {
    let Some((tb, [isp, cpe, lan], config, isp_side)) =
        lab("r6-kea-slaac", "nat64_prefix = \"64:ff9b::/96\"\n")
    else {
        return;
    };
    let capture = tb.capture(&isp, "sess0").unwrap();
    let lan_capture = tb.capture(&lan, "eth0").unwrap();
    let mut router = Router::start(&tb, &cpe, &config);
    let status = router.wait_status(Duration::from_secs(40), |s| {
        s.contains("ipv6 prefix: 2001:db8:100:") && s.contains("(router ")
    });
    eprintln!("{status}");
    let (prefix, lan64) = prefixes(&status).unwrap();
    assert_eq!(u128::from(lan64), u128::from(prefix) | 1 << 64, "{status}");
    assert!(status.contains("ipv6 dns: 2001:db8::53"), "{status}");
    assert!(status.contains("/56 preferred "), "{status}");
    assert!(status.contains("nat64 prefix: 64:ff9b::/96\n"), "{status}");
    assert!(
        isp_side.kea_log().contains("DHCP6_PD_LEASE_ALLOC"),
        "{}",
        isp_side.kea_log()
    );

    let lan_addr = format!("{}/64", Ipv6Addr::from(u128::from(lan64) | 1));
    let wait_cpe = |what: &str, args: &[&str], want: &str| {
        wait(Duration::from_secs(20), what, || {
            ip_out(&cpe, args).contains(want)
        });
    };
    wait_cpe(
        "the LAN address",
        &["-6", "addr", "show", "dev", "lan0"],
        &lan_addr,
    );
    wait_cpe(
        "the unreachable route",
        &["-6", "route", "show", "type", "unreachable"],
        &format!("unreachable {prefix}/56"),
    );
    // radvd's prefix: the kernel formed a WAN address although it forwards.
    wait_cpe(
        "a WAN address from the ISP's RA",
        &["-6", "addr", "show", "dev", "ppp0"],
        "inet6 2001:db8:ffff:",
    );
    let routes = ip_out(&cpe, &["-6", "route", "show", "default"]);
    assert!(routes.contains("default dev ppp0"), "{routes}");

    // The LAN host: SLAAC in the /64, the router as default router.
    let host = wait_slaac(&router, &lan, lan64);
    wait(Duration::from_secs(10), "the host's default route", || {
        ip_out(&lan, &["-6", "route", "show", "default"]).contains("via fe80::")
    });
    let out = sh(&tb, &lan, &format!("ping -6 -c 3 -W 2 -i 0.3 {SERVER}"));
    assert!(out.contains(&format!("bytes from {SERVER}")), "{out}");
    // rdisc6 (an independent decoder) reads the RA: the prefix, RDNSS.
    if require("rdisc6", "ndisc6") {
        let out = sh(&tb, &lan, "rdisc6 -1 -n -w 3000 -r 3 eth0");
        assert!(
            out.contains(&format!("Prefix                   : {lan64}/64")),
            "{out}"
        );
        // The router runs no DNS forwarder here ([dns] off): RDNSS names
        // the ISP's server from DHCPv6, not the router.
        assert!(
            out.contains("Recursive DNS server     : 2001:db8::53"),
            "{out}"
        );
        // The router counted rdisc6's solicitations.
        let status = router.status().unwrap();
        let counters = status
            .lines()
            .find(|l| l.starts_with("ipv6 counters: "))
            .unwrap();
        assert!(
            !counters.contains(" rs 0 ") && !counters.contains("ra tx 0 "),
            "{counters}"
        );
    }

    // tshark reads the PREF64 of the configured NAT64 prefix in the RAs.
    let pcap = lan_capture.stop().unwrap();
    let pref64 = pcap
        .decode(&[
            "-Y",
            "icmpv6.type == 134",
            "-T",
            "fields",
            "-e",
            "icmpv6.opt.pref64.prefix",
        ])
        .unwrap();
    assert!(pref64.lines().any(|l| l == "64:ff9b::"), "{pref64}");
    assert_eq!(pcap.problems().unwrap(), Vec::<String>::new());

    // The firewall: a new connection in is dropped, the host's own out
    // gets its replies.
    let listener = lan.enter(|| TcpListener::bind("[::]:0")).unwrap().unwrap();
    let port = listener.local_addr().unwrap().port();
    let err = connect(&isp, SocketAddr::new(host.into(), port))
        .expect_err("a new inbound connection is dropped");
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut, "{err}");
    let outside = isp.enter(|| TcpListener::bind("[::]:0")).unwrap().unwrap();
    let port = outside.local_addr().unwrap().port();
    let server: Ipv6Addr = SERVER.parse().unwrap();
    connect(&lan, SocketAddr::new(server.into(), port)).expect("replies pass");

    // The rest of the /56 is unreachable, not looped back to the ISP.
    let other = Ipv6Addr::from(u128::from(prefix) | 0xff << 64 | 1);
    let out = sh(&tb, &isp, &format!("ping -6 -c 1 -W 2 {other} 2>&1; true"));
    assert!(out.contains("No route"), "{out}");
    assert!(!out.contains("Time exceeded"), "{out}");

    // Restart: the prefix is saved, the LAN address goes with the router,
    // and the new router hints the saved prefix and gets it back.
    router.stop_cleanly(Duration::from_secs(8));
    let saved = std::fs::read_to_string(tb.dir().join("state/ipv6.toml")).unwrap();
    assert!(
        saved.contains(&format!("delegated_prefix = \"{prefix}/56\"")),
        "{saved}"
    );
    assert!(!ip_out(&cpe, &["-6", "addr", "show", "dev", "lan0"]).contains(&lan_addr));
    let mut router = Router::start(&tb, &cpe, &config);
    let status = router.wait_status(Duration::from_secs(40), |s| s.contains("(router "));
    assert_eq!(prefixes(&status), Some((prefix, lan64)), "{status}");
    assert!(
        router.log().contains(&format!(
            "last delegated prefix {prefix}/56: asking for it again"
        )),
        "{}",
        router.log()
    );
    router.stop_cleanly(Duration::from_secs(8));
    let pcap = capture.stop().unwrap();
    // The second Solicit carries the saved prefix as its hint.
    let hinted = pcap
        .count(&format!(
            "dhcpv6.msgtype == 1 && dhcpv6.iaprefix.pref_addr == {prefix}"
        ))
        .unwrap();
    assert!(hinted >= 1, "{}", pcap.decode(&["-Y", "dhcpv6"]).unwrap());
    assert_eq!(pcap.problems().unwrap(), Vec::<String>::new());
    drop(isp_side);
}

/// A PPP reconnect keeps the prefix (the client Rebinds; the LAN host's
/// address stays); then the ISP renumbers (kea restarted with another pool
/// and no leases): at the next Renew the router gets a new prefix, the LAN
/// host forms a new address and the old one is deprecated (preferred
/// lifetime 0, RFC 9096), and the host reaches the server again.
#[test]
fn reconnect_keeps_the_prefix_and_renumbering_deprecates_the_old() {
    let Some((tb, [isp, cpe, lan], config, mut isp_side)) = lab("r6-renumber", "") else {
        return;
    };
    let capture = tb.capture(&isp, "sess0").unwrap();
    let mut router = Router::start(&tb, &cpe, &config);
    let status = router.wait_status(Duration::from_secs(40), |s| s.contains("(router "));
    let (prefix, lan64) = prefixes(&status).unwrap();
    let host = wait_slaac(&router, &lan, lan64);

    // The AC vanishes and comes back: a new PPP session.
    isp_side.stop_ac();
    router.wait_status(Duration::from_secs(20), |s| s.contains("dials: 2"));
    isp_side.start_ac();
    let status = router.wait_status(Duration::from_secs(30), |s| {
        s.contains("wan: up") && s.contains("ipv6: fe80::") && s.contains("(dhcpv6 bound)")
    });
    eprintln!("{status}");
    assert_eq!(prefixes(&status), Some((prefix, lan64)), "{status}");
    assert!(host_addresses(&lan).iter().any(|(a, _)| *a == host));
    // The router was withdrawn as default router while the WAN was down
    // (RFC 7084 G-4) and advertises itself again.
    wait(
        Duration::from_secs(10),
        "the host's default route back",
        || ip_out(&lan, &["-6", "route", "show", "default"]).contains("via fe80::"),
    );
    let out = sh(&tb, &lan, &format!("ping -6 -c 2 -W 2 -i 0.3 {SERVER}"));
    assert!(out.contains(&format!("bytes from {SERVER}")), "{out}");

    // Renumbered: another pool, the old lease forgotten.
    isp_side.start_kea(&tb, "2001:db8:200::");
    let status = router.wait_status(Duration::from_secs(40), |s| {
        s.contains("ipv6 prefix: 2001:db8:200:") && s.contains("(router ")
    });
    eprintln!("{status}");
    let (new_prefix, new_lan) = prefixes(&status).unwrap();
    assert!(
        status.contains(&format!("{lan64}/64 deprecated")),
        "{status}"
    );
    let new_host = wait_slaac(&router, &lan, new_lan);
    wait(
        Duration::from_secs(15),
        "the old address deprecated",
        || {
            host_addresses(&lan).iter().any(|(a, l)| {
                *a == host && l.contains("deprecated") && l.contains("preferred_lft 0sec")
            })
        },
    );
    let cpe_lan = ip_out(&cpe, &["-6", "addr", "show", "dev", "lan0"]);
    assert!(
        !cpe_lan.contains(&format!("{}/64", Ipv6Addr::from(u128::from(lan64) | 1))),
        "{cpe_lan}"
    );
    let routes = ip_out(&cpe, &["-6", "route", "show", "type", "unreachable"]);
    assert!(
        routes.contains(&format!("{new_prefix}/56")) && !routes.contains(&format!("{prefix}/56")),
        "{routes}"
    );
    let out = sh(
        &tb,
        &lan,
        &format!("ping -6 -c 2 -W 2 -i 0.3 -I {new_host} {SERVER}"),
    );
    assert!(out.contains(&format!("bytes from {SERVER}")), "{out}");
    router.stop_cleanly(Duration::from_secs(8));
    let pcap = capture.stop().unwrap();
    // The reconnect's first message was a Rebind (RFC 8415 §18.2.5).
    assert!(pcap.count("dhcpv6.msgtype == 6").unwrap() >= 1);
    assert_eq!(pcap.problems().unwrap(), Vec::<String>::new());
}
