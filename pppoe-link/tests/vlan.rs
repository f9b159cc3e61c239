//! The link on an 802.1Q VLAN: tagged Discovery and Session frames are
//! dispatched by the ethertype behind the tag, every answer carries the
//! link's tag, and the session's IP packets reach the data path.

mod common;

use common::{From, HOME_IPV4, Pair};
use pppoe_link::{LinkDropped, PPP_IPV4};

/// PCP 5, VLAN id 100.
const TCI: u16 = 0xa064;

fn vlan_pair() -> Pair {
    let (mut home_pppoe, home_ppp, mut ac, ac_ppp) = Pair::configs();
    home_pppoe.vlan = Some(TCI);
    ac.vlan = Some(TCI);
    Pair::new(home_pppoe, home_ppp, ac, ac_ppp)
}

#[test]
fn tagged_link_dials_and_every_frame_carries_the_tag() {
    let mut pair = vlan_pair();
    assert!(pair.dial(), "no Ipv4Up over the VLAN");
    for from in [From::Home, From::Ac] {
        assert!(pair.frames.iter().any(|(f, _)| *f == from));
    }
    for (from, frame) in &pair.frames {
        assert_eq!(frame[12..14], [0x81, 0x00], "{from:?} frame without tag");
        assert_eq!(u16::from_be_bytes([frame[14], frame[15]]), TCI);
        assert!(matches!(frame[16..18], [0x88, 0x63] | [0x88, 0x64]));
    }
    assert!(pair.frames.iter().any(|(_, f)| f[16..18] == [0x88, 0x64]));

    // An IP packet of the session, tagged, reaches the AC's data path.
    let packet = [0x45u8; 40];
    let mut buf = [0u8; 128];
    let n = pair
        .home
        .encapsulate_data(PPP_IPV4, &packet, &mut buf)
        .unwrap();
    assert_eq!(buf[12..14], [0x81, 0x00]);
    let (id, range) = pair.ac.handle_input(pair.now, &buf[..n]).unwrap().unwrap();
    assert_eq!(buf[range.clone()][..2], PPP_IPV4.to_be_bytes());
    assert_eq!(buf[range][2..], packet);
    assert!(pair.ac.session(id).is_some());
    assert!(
        pair.home_events.iter().any(|e| matches!(
            e,
            pppoe_link::ClientLinkEvent::Ppp(ppp_proto::PppEvent::Ipv4Up { local, .. }) if *local == HOME_IPV4
        ))
    );
}

#[test]
fn tag_without_pppoe_behind_it_is_not_pppoe() {
    let mut pair = vlan_pair();
    // 802.1Q tag, then IPv4: not ours, at once.
    let mut frame = vec![0xffu8; 6];
    frame.extend_from_slice(&common::HOME_MAC.0);
    frame.extend_from_slice(&[0x81, 0x00, 0xa0, 0x64, 0x08, 0x00]);
    frame.extend_from_slice(&[0u8; 46]);
    assert_eq!(
        pair.ac.handle_input(pair.now, &frame),
        Err(LinkDropped::NotPppoe)
    );
    assert_eq!(
        pair.home.handle_input(pair.now, &frame),
        Err(LinkDropped::NotPppoe)
    );
    // QinQ (two tags) is not supported by pppoe-proto: refused as not
    // PPPoE rather than handed to a machine that would misread it.
    let mut qinq = frame[..12].to_vec();
    qinq.extend_from_slice(&[0x81, 0x00, 0x00, 0x0a, 0x81, 0x00, 0xa0, 0x64, 0x88, 0x63]);
    qinq.extend_from_slice(&[0u8; 46]);
    assert_eq!(
        pair.ac.handle_input(pair.now, &qinq),
        Err(LinkDropped::NotPppoe)
    );
    // A tag cut short is not a frame either.
    assert_eq!(
        pair.ac.handle_input(pair.now, &frame[..16]),
        Err(LinkDropped::NotPppoe)
    );
}

#[test]
fn frames_of_another_vlan_are_refused_without_answer() {
    let mut pair = vlan_pair();
    assert!(pair.dial());
    let packet = [0x45u8; 40];
    let mut buf = [0u8; 128];
    let n = pair
        .home
        .encapsulate_data(PPP_IPV4, &packet, &mut buf)
        .unwrap();
    // Same frame, VLAN id 101: neither the session nor a PADT answer.
    buf[15] = 0x65;
    assert!(pair.ac.handle_input(pair.now, &buf[..n]).is_err());
    assert!(pair.ac.poll_transmit(pair.now).is_none());
    // A PADI on VLAN 101 gets no PADO.
    let padi = pair
        .frames
        .iter()
        .find(|(f, fr)| *f == From::Home && fr[16..18] == [0x88, 0x63]);
    let mut padi = padi.unwrap().1.clone();
    padi[15] = 0x65;
    assert!(pair.ac.handle_input(pair.now, &padi).is_err());
    assert!(pair.ac.poll_transmit(pair.now).is_none());
    assert_eq!(pair.ac.session_count(), 1);
}
