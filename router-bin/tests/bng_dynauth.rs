//! Disconnect-Requests from `radclient` to the `bng` (local users table,
//! `[coa]` listener): every session identification attribute given must
//! match (RFC 5176 §3). With one user on two hosts, User-Name +
//! Calling-Station-Id ends that host's session only; an identification
//! attribute the bng cannot match is refused with Error-Cause 401.

mod bng_support;
mod common;

use std::time::Duration;

use bng_support::radiusd::{self, SECRET};
use bng_support::{Bed, NET, dial_up, ping, radclient};
use common::dialer::{Dialer, Seen};
use pppoe_link::ClientLinkEvent;
use pppoe_proto::PppoeClientEvent;
use pppoe_proto::wire::EthernetAddress;
use router_bin::afpacket::{ETH_P_ALL, PacketSocket};

/// alice's dialer on the host with MAC 02:00:00:00:00:`last`.
fn alice_on(bed: &Bed, last: u8, seed: u64) -> Dialer {
    let sock = bed
        .client
        .enter(|| PacketSocket::open("wan0", ETH_P_ALL))
        .unwrap()
        .unwrap();
    let pppoe = pppoe_proto::PppoeClientConfig::new(EthernetAddress([2, 0, 0, 0, 0, last]));
    Dialer::new(
        sock,
        pppoe,
        ppp_proto::PppConfig::peer(b"alice", b"wonderland"),
        seed,
    )
}

fn session_down(d: &mut Dialer, limit: Duration) -> bool {
    d.run_until(limit, |s| {
        matches!(
            s,
            Seen::Link(ClientLinkEvent::Pppoe(PppoeClientEvent::SessionDown { .. }))
        )
    })
}

#[test]
fn disconnect_matches_every_identification_attribute() {
    if !radiusd::available("disconnect_matches_every_identification_attribute") {
        return;
    }
    let coa = format!("[coa]\nlisten = \"127.0.0.1:3799\"\nsecret = \"{SECRET}\"\n");
    let Some(bed) = Bed::start("bng-dynauth", true, &coa) else {
        return;
    };
    let mut a = alice_on(&bed, 0xa1, 1);
    let addr_a = dial_up(&mut a, || bed.log());
    let mut b = alice_on(&bed, 0xb2, 2);
    let addr_b = dial_up(&mut b, || bed.log());
    assert!(ping(&mut a, addr_a, NET, 1, 5), "{}", bed.log());
    assert!(ping(&mut b, addr_b, NET, 1, 5), "{}", bed.log());

    // Identification the bng cannot match: refused, nothing ends.
    let out = radclient(
        &bed,
        "disconnect",
        "User-Name = \"alice\"\nNAS-Port-Id = \"eth0.100\"\n",
    );
    assert!(out.contains("Disconnect-NAK"), "{out}");
    assert!(out.contains("Unsupported-Attribute"), "{out}");
    // A host alice is not on: no session.
    let out = radclient(
        &bed,
        "disconnect",
        "User-Name = \"alice\"\nCalling-Station-Id = \"02:00:00:00:00:03\"\n",
    );
    assert!(out.contains("Session-Context-Not-Found"), "{out}");
    assert!(bed.ctl("sessions").contains("2 session(s)"));

    // User-Name + Calling-Station-Id (as servers often rewrite it): the
    // session of that host only.
    let out = radclient(
        &bed,
        "disconnect",
        "User-Name = \"alice\"\nCalling-Station-Id = \"02-00-00-00-00-B2\"\n",
    );
    assert!(out.contains("Disconnect-ACK"), "{out}\n{}", bed.log());
    assert!(
        session_down(&mut b, Duration::from_secs(10)),
        "{:?}\n{}",
        b.log,
        bed.log()
    );
    // The bng's LCP Terminate-Request says why.
    let reason = b.ppp_events().find_map(|e| match e {
        ppp_proto::PppEvent::Down { reason } => Some(reason.clone()),
        _ => None,
    });
    assert_eq!(
        reason,
        Some(ppp_proto::PppDownReason::PeerTerminated {
            message: "Administrative reset".into()
        }),
        "{:?}",
        b.log
    );
    assert!(ping(&mut a, addr_a, NET, 10, 5), "{}", bed.log());
    assert!(!session_down(&mut a, Duration::from_millis(500)));
    let table = bed.ctl("sessions");
    assert!(table.contains("02:00:00:00:00:a1"), "{table}");
    assert!(!table.contains("02:00:00:00:00:b2"), "{table}");
}
