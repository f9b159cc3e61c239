//! PPPoE discovery in memory: a host's client dials an access concentrator
//! (PADI, PADO, PADR, PADS), both agree on RFC 4638's 1500-byte payload,
//! one PPP frame crosses the session, and the host hangs up with a PADT.
//!
//! `cargo run --example discovery`

use pppoe_proto::wire::{DiscoveryFrame, EthernetAddress};
use pppoe_proto::{
    PppoeAc, PppoeAcConfig, PppoeAcEvent, PppoeClient, PppoeClientConfig, PppoeClientEvent,
};
use sansio_primitives::{Instant, SeededRng};

fn main() {
    let host = EthernetAddress([0x02, 0, 0, 0, 0, 0x01]);
    let ac_mac = EthernetAddress([0x02, 0, 0, 0, 0, 0xac]);
    let now = Instant::ZERO;

    let mut config = PppoeClientConfig::new(host);
    config.ppp_max_payload = Some(1500);
    let mut client = PppoeClient::new(config, SeededRng::from_u64(1), now).expect("client config");
    let mut ac_config = PppoeAcConfig::new(ac_mac, b"example-ac");
    ac_config.ppp_max_payload = Some(1500);
    let mut ac = PppoeAc::new(ac_config, SeededRng::from_u64(2), now).expect("AC config");

    // Shuttle frames both ways, draining each machine in the documented
    // order (transmits, then events), until the session is up: two round
    // trips, so four rounds are plenty (and a bug cannot loop forever).
    let mut session = None;
    for _ in 0..4 {
        while let Some(t) = client.poll_transmit(now) {
            show("host -> AC", &t.payload);
            ac.handle_input(now, &t.payload)
                .expect("the AC accepts the frame");
        }
        while let Some(e) = ac.poll_event() {
            if let PppoeAcEvent::SessionUp { session_id, .. } = e {
                println!("AC: session {session_id} up");
            }
        }
        while let Some(t) = ac.poll_transmit(now) {
            show("AC -> host", &t.payload);
            client
                .handle_input(now, &t.payload)
                .expect("the client accepts the frame");
        }
        while let Some(e) = client.poll_event() {
            match e {
                PppoeClientEvent::SessionUp {
                    session_id,
                    ppp_max_payload,
                    ..
                } => {
                    println!("host: session {session_id} up, PPP-Max-Payload {ppp_max_payload:?}");
                    session = Some(session_id);
                }
                other => panic!("discovery failed: {other:?}"),
            }
        }
    }
    let session_id = session.expect("discovery completes in two round trips");

    // Session stage: frame an LCP Echo-Request in place, unframe it on the AC.
    let tx = client.session_framer().expect("a session is up");
    let rx = ac
        .session_framer(session_id)
        .expect("the AC knows the session");
    let ppp = [0xc0, 0x21, 0x09, 0x01, 0x00, 0x08, 0x12, 0x34, 0x56, 0x78];
    let mut buf = [0u8; 1600];
    buf[tx.header_len()..][..ppp.len()].copy_from_slice(&ppp);
    let n = tx
        .encapsulate(&mut buf, ppp.len())
        .expect("fits the session MTU");
    let range = rx.decapsulate(&buf[..n]).expect("a frame of our session");
    assert_eq!(&buf[range], &ppp);
    println!(
        "session frame: {n} bytes on the wire, {} bytes of PPP",
        ppp.len()
    );

    // Hang up: the client's PADT frees the AC's session.
    client.close(now).expect("a session to close");
    let padt = client.poll_transmit(now).expect("a PADT");
    show("host -> AC", &padt.payload);
    ac.handle_input(now, &padt.payload)
        .expect("the AC accepts the PADT");
    assert_eq!(ac.session_count(), 0);
    println!("AC: {} sessions left", ac.session_count());
}

/// Prints one discovery frame as the codec reads it.
fn show(direction: &str, frame: &[u8]) {
    let f = DiscoveryFrame::parse(frame).expect("a discovery frame");
    println!(
        "{direction}: {} {} -> {}, session {}, {} tags",
        f.pppoe.code,
        f.ethernet.src,
        f.ethernet.dst,
        f.pppoe.session_id,
        f.pppoe.tags().len()
    );
}
