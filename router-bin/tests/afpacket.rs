//! The AF_PACKET glue against the kernel: two namespaces joined by a veth
//! pair, frames of one ethertype sent and received whole.

use std::time::Duration;

use router_bin::afpacket::PacketSocket;
use testbed::Testbed;

/// An ethertype reserved for local experiments (IEEE 802 "Local Experimental 1").
const EXPERIMENTAL: u16 = 0x88b5;

fn mac_of(tb: &Testbed, ns: &testbed::Netns, ifname: &str) -> [u8; 6] {
    let text = tb
        .exec(
            ns,
            &["cat", &format!("/sys/class/net/{ifname}/address")],
            Duration::from_secs(5),
        )
        .unwrap();
    let mut mac = [0u8; 6];
    for (byte, hex) in mac.iter_mut().zip(text.trim().split(':')) {
        *byte = u8::from_str_radix(hex, 16).unwrap();
    }
    mac
}

#[test]
fn frames_cross_a_veth_whole_and_own_frames_are_not_echoed() {
    let Some(mut tb) = Testbed::new("afpacket") else {
        return;
    };
    let a = tb.namespace("a").unwrap();
    let b = tb.namespace("b").unwrap();
    tb.veth((&a, "eth-a"), (&b, "eth-b")).unwrap();
    let sa = a
        .enter(|| PacketSocket::open("eth-a", EXPERIMENTAL))
        .unwrap()
        .unwrap();
    let sb = b
        .enter(|| PacketSocket::open("eth-b", EXPERIMENTAL))
        .unwrap()
        .unwrap();
    assert_eq!(sa.mac(), mac_of(&tb, &a, "eth-a"));
    assert_eq!(sb.mac(), mac_of(&tb, &b, "eth-b"));

    let mut frame = Vec::new();
    frame.extend_from_slice(&sb.mac());
    frame.extend_from_slice(&sa.mac());
    frame.extend_from_slice(&EXPERIMENTAL.to_be_bytes());
    frame.extend_from_slice(b"hello across the veth, padded past sixty bytes of frame");
    sa.send(&frame).unwrap();

    let mut buf = [0u8; 1600];
    let n = sb
        .recv(&mut buf, Some(Duration::from_secs(2)))
        .unwrap()
        .expect("frame arrives");
    assert_eq!(&buf[..n], &frame[..]);
    // The sender's socket saw its own frame go out, and must not report it.
    assert_eq!(
        sa.recv(&mut buf, Some(Duration::from_millis(200))).unwrap(),
        None
    );
    // Nothing else of this ethertype is on the link.
    assert_eq!(
        sb.recv(&mut buf, Some(Duration::from_millis(100))).unwrap(),
        None
    );
}

#[test]
fn a_missing_interface_is_a_clear_error() {
    let Some(mut tb) = Testbed::new("afpacket-missing") else {
        return;
    };
    let a = tb.namespace("a").unwrap();
    let err = a
        .enter(|| PacketSocket::open("nope0", EXPERIMENTAL))
        .unwrap()
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    assert!(err.to_string().contains("nope0"), "{err}");
}
