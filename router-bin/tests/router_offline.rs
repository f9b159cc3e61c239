//! The LAN works while the ISP does not: with no access concentrator on
//! the WAN at all, the router still hands out DHCP leases (short ones,
//! without DNS servers) and answers on its LAN address.

mod router_support;

use std::time::Duration;

use router_support::{Router, dhclient, ping, write_config};
use testbed::Testbed;

#[test]
fn lan_gets_a_lease_while_the_wan_is_down() {
    let Some(mut tb) = Testbed::new("router-offline") else {
        return;
    };
    let isp = tb.namespace("isp").unwrap();
    let cpe = tb.namespace("cpe").unwrap();
    let lan = tb.namespace("lan").unwrap();
    // A WAN link with nobody behind it: discovery keeps failing.
    tb.veth((&isp, "ac0"), (&cpe, "wan0")).unwrap();
    tb.veth((&cpe, "lan0"), (&lan, "eth0")).unwrap();
    let config = write_config(tb.dir(), "wan0", "lan0", "");
    let mut router = Router::start(&tb, &cpe, &config);
    router.wait_status(Duration::from_secs(10), |s| s.contains("dhcp leases"));

    let events = dhclient(&tb, &lan, "eth0");
    let bound = events
        .lines()
        .find(|l| l.starts_with("BOUND"))
        .unwrap_or_else(|| panic!("no lease while the WAN is down: {events}\n{}", router.log()));
    assert!(bound.contains("ip=198.51.100.1"), "{bound}");
    assert!(bound.contains("router=198.51.100.1 "), "{bound}");
    assert!(
        bound.contains("dns=") && bound.ends_with("dns="),
        "no DNS yet: {bound}"
    );
    ping(&tb, &lan, "198.51.100.1").expect("the router answers on the LAN");
    let status = router.status().unwrap();
    assert!(!status.contains("wan: up"), "{status}");
    router.stop_cleanly(Duration::from_secs(10));
}
