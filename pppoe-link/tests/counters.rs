//! Every received frame is counted once, by outcome; every frame handed out
//! is counted.

mod common;

use common::{From, Pair};
use pppoe_link::{LinkCounters, LinkDropped, PPP_IPV4};

/// The frames a side sent over the wire.
fn sent(pair: &Pair, from: From) -> u64 {
    pair.frames.iter().filter(|(f, _)| *f == from).count() as u64
}

fn drops(c: &LinkCounters) -> u64 {
    c.pppoe_dropped + c.ppp_dropped + c.no_session + c.not_pppoe
}

#[test]
fn each_frame_counted_once_by_outcome() {
    let (home_pppoe, home_ppp, ac, ac_ppp) = Pair::configs();
    let mut pair = Pair::new(home_pppoe, home_ppp, ac, ac_ppp);
    assert!(pair.dial());
    let home = *pair.home.counters();
    let ac = *pair.ac.counters();
    assert_eq!(home.frames_transmitted, sent(&pair, From::Home));
    assert_eq!(ac.frames_transmitted, sent(&pair, From::Ac));
    assert_eq!(home.frames_received, ac.frames_transmitted);
    assert_eq!(ac.frames_received, home.frames_transmitted);
    for c in [home, ac] {
        assert!(c.control_received > 0);
        assert_eq!(
            c.control_received + c.data_received + drops(&c),
            c.frames_received
        );
    }

    // An IP packet for the data path.
    let mut buf = [0u8; 128];
    let n = pair
        .home
        .encapsulate_data(PPP_IPV4, &[0x45; 40], &mut buf)
        .unwrap();
    assert!(pair.ac.handle_input(pair.now, &buf[..n]).unwrap().is_some());
    assert_eq!(pair.ac.counters().data_received, ac.data_received + 1);

    // Not PPPoE: IPv4 straight on Ethernet.
    let mut ipv4 = buf;
    ipv4[12..14].copy_from_slice(&[0x08, 0x00]);
    assert_eq!(
        pair.ac.handle_input(pair.now, &ipv4[..n]),
        Err(LinkDropped::NotPppoe)
    );
    assert_eq!(pair.ac.counters().not_pppoe, ac.not_pppoe + 1);

    // A discovery frame cut short.
    let padi = &pair.frames[0].1;
    assert!(matches!(
        pair.ac.handle_input(pair.now, &padi[..16]),
        Err(LinkDropped::Pppoe(_))
    ));
    assert_eq!(pair.ac.counters().pppoe_dropped, ac.pppoe_dropped + 1);

    // An LCP packet whose length overruns the frame.
    let m = pair
        .home
        .encapsulate_data(0xc021, &[9, 1, 0, 200, 0, 0, 0, 0], &mut buf)
        .unwrap();
    assert!(matches!(
        pair.ac.handle_input(pair.now, &buf[..m]),
        Err(LinkDropped::Ppp(_))
    ));
    assert_eq!(pair.ac.counters().ppp_dropped, ac.ppp_dropped + 1);

    let c = *pair.ac.counters();
    assert_eq!(c.frames_received, ac.frames_received + 4);
    assert_eq!(
        c.control_received + c.data_received + drops(&c),
        c.frames_received
    );
}

#[test]
fn session_frame_before_any_session_is_no_session() {
    let (home_pppoe, home_ppp, ac, ac_ppp) = Pair::configs();
    let mut dialled = Pair::new(
        home_pppoe.clone(),
        home_ppp.clone(),
        ac.clone(),
        ac_ppp.clone(),
    );
    assert!(dialled.dial());
    let data = dialled
        .frames
        .iter()
        .rev()
        .find(|(f, _)| *f == From::Ac)
        .unwrap()
        .1
        .clone();

    let mut fresh = Pair::new(home_pppoe, home_ppp, ac, ac_ppp);
    assert_eq!(
        fresh.home.handle_input(fresh.now, &data),
        Err(LinkDropped::NoSession)
    );
    assert_eq!(fresh.home.counters().no_session, 1);
    assert_eq!(fresh.home.counters().frames_received, 1);
}
