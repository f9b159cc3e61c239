//! The `router` binary against the real rp-pppoe `pppoe-server` + pppd
//! access concentrator in the VM of `../shared/peers/pppoe-vm/` (AC at
//! 192.0.2.1), with a LAN namespace behind it running `dhclient`:
//!
//! ```text
//!  VM: pppoe-server ── bridge ── [host0] lab netns: router (ppp0) [lan0] ── [eth0] lan: dhclient
//! ```
//!
//! The router dials (CHAP), ppp0 gets the IPCP address and the default
//! routes, the LAN host gets a lease and pings 192.0.2.1 through NAT, `router
//! status` shows all of it; then the AC's session process is killed, it
//! sends a PADT, and the router redials by itself and gets the same address
//! back; SIGTERM ends it cleanly. Slow (~1 min under TCG).

mod common;
mod router_support;

use std::time::Duration;

use common::pppoe_vm::{CHAP_ALICE, Lab, Role};
use router_support::{Router, assert_lan_online, assert_wan_up, ip_out, ping, write_config};
use testbed::Netns;

#[test]
fn router_dials_rp_pppoe_serves_the_lan_and_redials_after_padt() {
    // ipcp-accept-remote: the AC's pppd takes the address the router asks
    // for, so the redial below shows that the router re-requests its last one
    // (without it, rp-pppoe hands out the next address of its pool).
    let args = [&CHAP_ALICE[..], &["--pppd-opt", "ipcp-accept-remote"]].concat();
    let Some(lab) = Lab::start("router-vm", Role::AccessConcentrator(&args)) else {
        return;
    };
    let Some(mut tb) = testbed::Testbed::with_deadline("router-vm-lan", Duration::from_secs(240))
    else {
        return;
    };
    let cpe = Netns::existing(lab.netns());
    let lan = tb.namespace("lan").unwrap();
    tb.veth((&cpe, "lan0"), (&lan, "eth0")).unwrap();
    let config = write_config(tb.dir(), "host0", "lan0", "");
    let mut router = Router::start(&tb, &cpe, &config);

    let status = router.wait_status(Duration::from_secs(60), |s| {
        s.contains("ipv4: 192.0.2.10 peer 192.0.2.1") && s.contains("ipv6: fe80::")
    });
    eprintln!("{status}");
    assert!(
        status.contains("dns 198.51.100.53 198.51.100.54"),
        "IPCP DNS: {status}"
    );
    assert_wan_up(&cpe, "192.0.2.10");
    assert!(
        lab.wait_console("LAB-PPP ip-up", Duration::from_secs(15)),
        "{}",
        lab.console()
    );

    // The LAN host: a lease (DNS from IPCP), then a ping through NAT.
    assert_lan_online(&tb, &lan, &router, "198.51.100.53 198.51.100.54");
    let first = router.status().unwrap();
    eprintln!("{first}");
    assert!(first.contains("dhcp leases:\n  198.51.100.1"), "{first}");

    // The AC's session process sends a PADT when killed; the router redials
    // and asks for (and gets) the same address.
    if let Err(e) = lab.vm_exec_bounded("kill $(pidof pppoe)", Duration::from_secs(30)) {
        panic!("{e}\n{}", lab.console());
    }
    let status = router.wait_status(Duration::from_secs(60), |s| {
        s.contains("dials: 2") && s.contains("ipv4: 192.0.2.10 ")
    });
    eprintln!("{status}");
    let ipv6 = |s: &str| {
        s.lines()
            .find(|l| l.starts_with("ipv6: "))
            .map(str::to_owned)
    };
    assert_eq!(
        ipv6(&status),
        ipv6(&first),
        "the same IPv6 interface id again"
    );
    let log = router.log();
    assert!(log.contains("PADT from the AC"), "{log}");
    assert!(log.contains("ipv4_hint=Some(192.0.2.10)"), "{log}");
    let routes = ip_out(&cpe, &["route", "show", "default"]);
    assert!(routes.contains("default dev ppp0"), "{routes}");
    ping(&tb, &lan, "192.0.2.1").unwrap_or_else(|e| panic!("after redial: {e}\n{log}"));

    router.stop_cleanly(Duration::from_secs(10));
    eprintln!("{}", router.log());
}
