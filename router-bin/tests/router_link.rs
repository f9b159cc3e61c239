//! The `router` binary against our own access concentrator (AcLink over
//! AF_PACKET, `common/concentrator.rs`) in network namespaces:
//!
//! ```text
//!  isp [ac0] ── [wan0] cpe: router (ppp0 TUN) [lan0] ── [eth0] lan: dhclient
//! ```
//!
//! The router comes up (ppp0 has the IPCP address, default routes), a LAN
//! host gets a DHCP lease and pings the AC's address through NAT, `router
//! status` shows it all, a TCP SYN leaves with its MSS clamped to 1452, a
//! corrupt state file is ignored, and SIGTERM hangs up (LCP Terminate +
//! PADT) and removes the nft table. A second test: the AC vanishes, LCP
//! echoes fail, the router redials until it is back. A third: the WAN
//! interface is deleted and re-created (a USB NIC replugged); the router
//! reopens its packet socket on the new interface and comes back up. A
//! fourth: with `wan.qdisc_bypass` the router dials past a WAN qdisc that
//! drops everything.

mod common;
mod router_support;

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::concentrator::{AcSeen, AcSettings, serve};
use ppp_proto::PppEvent;
use pppoe_link::AcLinkEvent;
use router_bin::afpacket::{ETH_P_ALL, PacketSocket};
use router_support::{Router, assert_lan_online, assert_wan_up, ip_out, isp_cpe_lan};
use testbed::Netns;

#[test]
fn router_dials_our_ac_serves_the_lan_and_hangs_up() {
    let Some((tb, [isp, cpe, lan], config)) = isp_cpe_lan("router-link") else {
        return;
    };
    let (stop, ac) = start_ac(&isp);
    // A corrupt state file is reported and ignored.
    std::fs::write(tb.dir().join("state/wan.toml"), "ipv4 = [oops").unwrap();
    let mut router = Router::start(&tb, &cpe, &config);
    let status = router.wait_status(Duration::from_secs(30), |s| {
        s.contains("ipv4: 192.0.2.10") && s.contains("ipv6: fe80::")
    });
    eprintln!("{status}");
    assert!(status.contains("wan: up on wan0 (ppp0)"), "{status}");
    assert!(
        router.log().contains("ignoring the WAN state file"),
        "{}",
        router.log()
    );

    assert_wan_up(&cpe, "192.0.2.10");
    let saved = std::fs::read_to_string(tb.dir().join("state/wan.toml")).unwrap();
    assert!(saved.contains("ipv4 = \"192.0.2.10\""), "{saved}");

    // The LAN host: a lease with the router and the ISP's DNS, then a
    // ping of the AC's address through NAT.
    assert_lan_online(&tb, &lan, &router, "192.0.2.53 192.0.2.54");

    // A TCP SYN from the LAN (MSS 1460 for its 1500-byte link) leaves in the
    // session with MSS 1452 (1492 - 40); our AC does not answer TCP.
    let capture = tb.capture(&cpe, "wan0").unwrap();
    let _ = tb.exec(
        &lan,
        &[
            "timeout",
            "2",
            "bash",
            "-c",
            "exec 3<>/dev/tcp/192.0.2.1/80",
        ],
        Duration::from_secs(5),
    );
    let pcap = capture.stop().unwrap();
    assert_eq!(pcap.problems().unwrap(), Vec::<String>::new());
    let clamped = "pppoes && tcp.flags.syn == 1 && tcp.options.mss_val == 1452";
    assert!(
        pcap.count(clamped).unwrap() > 0,
        "no clamped SYN in the session:\n{}",
        pcap.decode(&[]).unwrap()
    );
    assert_eq!(pcap.count("tcp.options.mss_val == 1460").unwrap(), 0);

    let status = router.status().unwrap();
    eprintln!("{status}");
    assert!(status.contains("dhcp leases:\n  198.51.100.1"), "{status}");
    assert!(!status.contains("tx 0 packets"), "{status}");
    assert!(!status.contains("mss clamped 0,"), "{status}");
    // The WAN socket's receive buffer held every frame the AC sent.
    assert!(status.contains(", rx_dropped 0\n"), "{status}");

    router.stop_cleanly(Duration::from_secs(8));
    stop.store(true, Ordering::Relaxed);
    let seen = ac.join().unwrap();
    // The AC saw our hang-up: the session went down.
    assert!(
        seen.iter().any(|s| matches!(
            s,
            AcSeen::Link(AcLinkEvent::Ppp {
                event: PppEvent::Down { .. },
                ..
            })
        )),
        "{seen:?}"
    );
}

/// Runs our AC on `ac0` in `isp` until the flag is set.
fn start_ac(isp: &Netns) -> (Arc<AtomicBool>, std::thread::JoinHandle<Vec<AcSeen>>) {
    let sock = testbed::in_namespace(isp.name(), || PacketSocket::open("ac0", ETH_P_ALL))
        .unwrap()
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let ac = std::thread::spawn(move || {
        let settings = AcSettings {
            ac_name: b"test-ac",
            users: vec![(b"alice", b"s3cret")],
            local: Ipv4Addr::new(192, 0, 2, 1),
            pool_start: Ipv4Addr::new(192, 0, 2, 10),
            dns: [Ipv4Addr::new(192, 0, 2, 53), Ipv4Addr::new(192, 0, 2, 54)],
        };
        serve(sock, settings, flag)
    });
    (stop, ac)
}

#[test]
fn router_redials_after_lcp_echo_failure() {
    let Some((tb, [isp, cpe, _], config)) = isp_cpe_lan("router-link-echo") else {
        return;
    };
    let (stop, ac) = start_ac(&isp);
    let mut router = Router::start(&tb, &cpe, &config);
    router.wait_status(Duration::from_secs(30), |s| s.contains("ipv4: 192.0.2.10 "));

    // The AC vanishes: echoes (every 2 s, 3 may fail) go unanswered.
    stop.store(true, Ordering::Relaxed);
    ac.join().unwrap();
    let status = router.wait_status(Duration::from_secs(20), |s| {
        s.contains("last down: PPP down: EchoTimeout") && s.contains("dials: 2")
    });
    eprintln!("{status}");
    let routes = ip_out(&cpe, &["route", "show", "default"]);
    assert!(!routes.contains("ppp0"), "default route left: {routes}");

    // It comes back: the router's next PADI finds it.
    let (stop, ac) = start_ac(&isp);
    let status = router.wait_status(Duration::from_secs(40), |s| {
        s.contains("wan: up") && s.contains("ipv4: 192.0.2.10 ")
    });
    eprintln!("{status}");
    assert!(
        router.log().contains("ipv4_hint=Some(192.0.2.10)"),
        "{}",
        router.log()
    );
    router.stop_cleanly(Duration::from_secs(8));
    stop.store(true, Ordering::Relaxed);
    ac.join().unwrap();
}

#[test]
fn router_reopens_a_recreated_wan_interface() {
    let Some((mut tb, [isp, cpe, _], config)) = isp_cpe_lan("router-link-replug") else {
        return;
    };
    let (stop, ac) = start_ac(&isp);
    let mut router = Router::start(&tb, &cpe, &config);
    router.wait_status(Duration::from_secs(30), |s| s.contains("ipv4: 192.0.2.10 "));

    // Unplugged: the AC stops, the veth pair goes (both ends).
    stop.store(true, Ordering::Relaxed);
    ac.join().unwrap();
    tb.ip(&cpe, &["link", "del", "wan0"]).unwrap();
    let status = router.wait_status(Duration::from_secs(20), |s| s.contains("dials: 2"));
    eprintln!("{status}");

    // Plugged back: a new interface of the same name (a new index and MAC).
    tb.veth((&isp, "ac0"), (&cpe, "wan0")).unwrap();
    tb.ip(&cpe, &["link", "set", "wan0", "down"]).unwrap();
    // The router looks for the interface each second and dials at once
    // (no waiting out a discovery on the old MAC or the backoff).
    let (stop, ac) = start_ac(&isp);
    let status = router.wait_status(Duration::from_secs(15), |s| {
        s.contains("wan: up") && s.contains("ipv4: 192.0.2.10 ")
    });
    eprintln!("{status}");
    let log = router.log();
    assert!(log.contains("WAN interface wan0 is gone"), "{log}");
    assert!(log.contains("WAN interface wan0 reopened"), "{log}");
    assert_wan_up(&cpe, "192.0.2.10");
    router.stop_cleanly(Duration::from_secs(8));
    stop.store(true, Ordering::Relaxed);
    ac.join().unwrap();
}

/// `wan.qdisc_bypass = true`: the WAN frames skip the interface's qdisc,
/// so a qdisc that drops everything (`pfifo limit 0`) does not stop the
/// router from dialling and bringing the session up.
#[test]
fn qdisc_bypass_skips_the_wan_qdisc() {
    let Some(mut tb) = testbed::Testbed::new("rq-bypass") else {
        return;
    };
    let isp = tb.namespace("isp").unwrap();
    let cpe = tb.namespace("cpe").unwrap();
    let lan = tb.namespace("lan").unwrap();
    tb.veth((&isp, "ac0"), (&cpe, "wan0")).unwrap();
    tb.veth((&cpe, "lan0"), (&lan, "eth0")).unwrap();
    let config = router_support::write_config(tb.dir(), "wan0", "lan0", "qdisc_bypass = true\n");
    ip_out(&cpe, &["link", "set", "wan0", "up"]);
    let tc = [
        "tc", "qdisc", "replace", "dev", "wan0", "root", "pfifo", "limit", "0",
    ];
    tb.exec(&cpe, &tc, Duration::from_secs(5)).expect("tc");
    let (stop, ac) = start_ac(&isp);
    let mut router = Router::start(&tb, &cpe, &config);
    let status = router.wait_status(Duration::from_secs(30), |s| s.contains("ipv4: 192.0.2.10"));
    eprintln!("{status}");
    router.stop_cleanly(Duration::from_secs(8));
    stop.store(true, Ordering::Relaxed);
    let _ = ac.join().unwrap();
}
