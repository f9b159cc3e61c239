//! The WAN controller against our AC link, in memory.

use std::net::Ipv4Addr;

use ppp_proto::{Ipv4Assignment, PppConfig, PppEvent};
use pppoe_link::{AcLink, AcLinkEvent};
use pppoe_proto::PppoeAcConfig;
use pppoe_proto::wire::EthernetAddress;
use sansio_primitives::{SeededRng, StdClock};

use super::Wan;
use crate::router::config::Config;

/// A Wan dialling an AC that gives IPv4 (`Some`) or refuses IPCP (`None`),
/// frames passed back and forth until both are quiet.
fn dial(ipv4: Option<Ipv4Assignment>) -> (Wan, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config::parse(&format!(
        r#"state_dir = "{}"
[wan]
interface = "wan0"
user = "alice"
password = "s3cret"
[lan]
interface = "lan0"
address = "198.51.100.1/24"
[dhcp]
range = ["198.51.100.100", "198.51.100.199"]
"#,
        dir.path().display()
    ))
    .unwrap();
    let clock = StdClock::new();
    let ac_mac = [2, 0, 0, 0, 0, 1];
    let mut ppp = PppConfig::authenticator(b"ac", Ipv4Addr::new(192, 0, 2, 1));
    if let ppp_proto::Role::Authenticator(a) = &mut ppp.role {
        a.ipv6_ifid = Some(1);
    }
    let mut ac = AcLink::new(
        PppoeAcConfig::new(EthernetAddress(ac_mac), b"ac"),
        ppp,
        SeededRng::from_u64(5),
        clock.now(),
    )
    .unwrap();
    let mut wan = Wan::new(cfg, [2, 0, 0, 0, 0, 2], [9; 32]);
    for _ in 0..200 {
        let mut quiet = true;
        while let Some(f) = wan.poll_transmit() {
            quiet = false;
            let _ = ac.handle_input(clock.now(), &f);
        }
        while let Some(e) = ac.poll_event() {
            quiet = false;
            if let AcLinkEvent::Ppp {
                session_id,
                event: PppEvent::AuthRequest { .. },
            } = e
            {
                ac.accept(clock.now(), session_id, ipv4, b"ok").unwrap();
            }
        }
        while let Some(f) = ac.poll_transmit(clock.now()) {
            quiet = false;
            wan.handle_frame(&f);
        }
        while wan.poll_action().is_some() {}
        if quiet {
            break;
        }
    }
    (wan, dir)
}

/// IPCP Protocol-Rejected: IPv6CP alone carries the session and the WAN
/// says it has no IPv4 and why; with IPv4 it says nothing of the kind.
#[test]
fn a_refused_ipcp_is_an_ipv6_only_wan() {
    let (wan, _dir) = dial(None);
    assert_eq!(
        wan.ipv4_absent(),
        Some("the ISP refused IPCP (Protocol-Reject)")
    );
    let s = wan.status_text();
    assert!(s.starts_with("wan: up on wan0 (ppp0)\n"), "{s}");
    assert!(
        s.contains("ipv4: none, IPv6-only WAN (the ISP refused IPCP (Protocol-Reject))\n"),
        "{s}"
    );
    assert!(s.contains("ipv6: fe80::"), "{s}");
    assert!(wan.ipcp_dns().is_empty());

    let (wan, _dir) = dial(Some(Ipv4Assignment {
        peer: Ipv4Addr::new(192, 0, 2, 10),
        dns1: Some(Ipv4Addr::new(192, 0, 2, 53)),
        dns2: None,
    }));
    assert_eq!(wan.ipv4_absent(), None);
    assert_eq!(wan.ipcp_dns(), &[Ipv4Addr::new(192, 0, 2, 53)]);
    assert!(wan.status_text().contains("ipv4: 192.0.2.10 "));
}
