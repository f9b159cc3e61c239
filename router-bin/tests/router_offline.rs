//! The LAN works while the ISP does not: with no access concentrator on
//! the WAN at all, the router still hands out DHCP leases (short ones,
//! without DNS servers) and answers on its LAN address.

mod router_support;

use std::net::Ipv4Addr;
use std::time::Duration;

use dhcpv4_proto::file_store::FileStore;
use dhcpv4_proto::lease::{LeaseState, LeaseStore};

use router_support::{Router, dhclient, isp_cpe_lan, ping};

#[test]
fn lan_gets_a_lease_while_the_wan_is_down() {
    // A WAN link with nobody behind it: discovery keeps failing.
    let Some((tb, [_isp, cpe, lan], config)) = isp_cpe_lan("router-offline") else {
        return;
    };
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

    // The ACK leaves only once its lease is durable (the write runs off the
    // event loop): the client is bound, so the journal already holds the
    // lease, before the router stops.
    let ip: Ipv4Addr = bound
        .split_whitespace()
        .find_map(|w| w.strip_prefix("ip="))
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no ip= in {bound}"));
    let journal = config.parent().unwrap().join("state/dhcp-leases");
    let text = std::fs::read_to_string(&journal).expect("lease journal");
    assert!(
        text.lines().any(|l| l.starts_with(&format!("L {ip} B "))),
        "{ip} not in the journal while the router runs:\n{text}"
    );
    router.stop_cleanly(Duration::from_secs(10));

    let (mut store, report) = FileStore::open(&journal).expect("lease journal");
    assert_eq!(report.bad_count, 0);
    let leases = store.load().unwrap();
    assert!(
        leases
            .iter()
            .any(|l| l.address == ip && l.state == LeaseState::Bound),
        "{ip} not in the journal: {leases:?}"
    );
}
