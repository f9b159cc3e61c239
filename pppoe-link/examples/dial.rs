//! A home router's link dials an access concentrator in memory until IPCP
//! gives it an address.

use std::net::Ipv4Addr;

use ppp_proto::{Ipv4Assignment, PppConfig, PppEvent};
use pppoe_link::{AcLink, AcLinkEvent, ClientLink, ClientLinkEvent};
use pppoe_proto::wire::EthernetAddress;
use pppoe_proto::{PppoeAcConfig, PppoeClientConfig};
use sansio_primitives::{Instant, SeededRng};

fn main() {
    let mut now = Instant::ZERO;
    let ac_mac = EthernetAddress([0x02, 0xac, 0, 0, 0, 1]);
    let home_mac = EthernetAddress([0x02, 0xc1, 0, 0, 0, 1]);
    let ac_ppp = PppConfig::authenticator(b"ac", Ipv4Addr::new(192, 0, 2, 1));
    let mut ac = AcLink::new(
        PppoeAcConfig::new(ac_mac, b"ac"),
        ac_ppp,
        SeededRng::from_u64(1),
        now,
    )
    .unwrap();
    let home_ppp = PppConfig::peer(b"alice", b"secret");
    let mut home = ClientLink::new(
        PppoeClientConfig::new(home_mac),
        home_ppp,
        SeededRng::from_u64(2),
        now,
    )
    .unwrap();

    let mut address = None;
    for _ in 0..100 {
        let mut moved = false;
        // Home router -> AC.
        while let Some(frame) = home.poll_transmit(now) {
            let _ = ac.handle_input(now, &frame);
            moved = true;
        }
        // AC -> home router; the AC's application checks the password.
        while let Some(frame) = ac.poll_transmit(now) {
            let _ = home.handle_input(now, &frame);
            moved = true;
        }
        while let Some(event) = ac.poll_event() {
            if let AcLinkEvent::Ppp {
                session_id,
                event: PppEvent::AuthRequest { credential, .. },
            } = event
            {
                assert!(credential.verify(b"secret"));
                let ipv4 = Ipv4Assignment {
                    peer: Ipv4Addr::new(192, 0, 2, 10),
                    dns1: None,
                    dns2: None,
                };
                ac.accept(now, session_id, Some(ipv4), b"welcome").unwrap();
            }
            moved = true;
        }
        while let Some(event) = home.poll_event() {
            if let ClientLinkEvent::Ppp(PppEvent::Ipv4Up { local, .. }) = event {
                address = Some(local);
            }
            moved = true;
        }
        if address.is_some() {
            break;
        }
        if !moved {
            // Nothing in flight: let time pass to the next timer.
            let next = [home.poll_timeout(), ac.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            now = now.max(next.unwrap());
            home.handle_timeout(now);
            ac.handle_timeout(now);
        }
    }
    assert_eq!(address, Some(Ipv4Addr::new(192, 0, 2, 10)));
    println!("IPCP up: {}", address.unwrap());
}
