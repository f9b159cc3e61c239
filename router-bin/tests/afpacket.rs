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

/// 100 frames leave in batches (sendmmsg) and arrive in batches
/// (recvmmsg): one call takes every queued frame up to the batch's 64,
/// whole and in order; the sender's own frames are left out of its batch.
#[test]
fn frames_cross_a_veth_in_batches() {
    use router_bin::batch::{BATCH_FRAMES, FrameBatch};
    let Some(mut tb) = Testbed::new("afpacket-batch") else {
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
    let sall = a
        .enter(|| PacketSocket::open("eth-a", router_bin::afpacket::ETH_P_ALL))
        .unwrap()
        .unwrap();
    let frame = |i: usize| {
        let mut f = Vec::new();
        f.extend_from_slice(&sb.mac());
        f.extend_from_slice(&sa.mac());
        f.extend_from_slice(&EXPERIMENTAL.to_be_bytes());
        f.extend_from_slice(&(i as u32).to_be_bytes());
        f.resize(60 + i, i as u8);
        f
    };
    let mut out = FrameBatch::standard();
    let mut sent = 0;
    for i in 0..100 {
        if out.is_full() {
            sent += sa.try_send_batch(&out).unwrap();
            out.clear();
        }
        let f = frame(i);
        assert!(out.push_with(|s| {
            s[..f.len()].copy_from_slice(&f);
            Some(f.len())
        }));
    }
    sent += sa.try_send_batch(&out).unwrap();
    assert_eq!(sent, 100);

    // veth delivers synchronously: all 100 are queued at the receiver.
    std::thread::sleep(Duration::from_millis(100));
    let mut inb = FrameBatch::standard();
    let mut got = Vec::new();
    let mut calls = 0;
    while got.len() < 100 && calls < 10 {
        let n = sb.try_recv_batch(&mut inb).unwrap();
        calls += 1;
        assert!(n <= BATCH_FRAMES);
        got.extend(inb.frames_mut().map(|f| f.to_vec()));
    }
    assert_eq!(got.len(), 100);
    assert_eq!(calls, 2, "64 + 36 frames in two calls");
    for (i, f) in got.iter().enumerate() {
        assert_eq!(f, &frame(i), "frame {i}");
    }
    assert_eq!(
        sb.try_recv_batch(&mut inb).unwrap_err().kind(),
        std::io::ErrorKind::WouldBlock
    );
    // A socket for every ethertype on the sender saw the 100 frames
    // leave: they fill slots (64 in one call), left empty.
    let mut own = FrameBatch::standard();
    let n = sall.try_recv_batch(&mut own).unwrap();
    assert!(n >= 64, "{n}");
    let ours = own
        .frames_mut()
        .filter(|f| f[12..14] == EXPERIMENTAL.to_be_bytes())
        .count();
    assert_eq!(ours, 0);
}

#[test]
fn a_full_receive_buffer_counts_drops_and_a_larger_one_is_granted() {
    let Some(mut tb) = Testbed::new("bg-afpacket-drops") else {
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
    // As root SO_RCVBUFFORCE grants the 4 MiB (the kernel doubles it).
    assert!(sb.set_recv_buffer(4 << 20).unwrap() >= 4 << 20);
    // The smallest buffer the kernel allows, then frames nobody reads.
    assert!(sb.set_recv_buffer(1).unwrap() < 64 << 10);
    assert_eq!(sb.take_statistics().unwrap().drops, 0);
    let mut frame = Vec::new();
    frame.extend_from_slice(&sb.mac());
    frame.extend_from_slice(&sa.mac());
    frame.extend_from_slice(&EXPERIMENTAL.to_be_bytes());
    frame.resize(1500, 0xa5);
    for _ in 0..200 {
        sa.send(&frame).unwrap();
    }
    let st = sb.take_statistics().unwrap();
    assert_eq!(st.packets, 200, "{st:?}");
    assert!(st.drops > 100, "{st:?}");
    // Reading reset the kernel's counters.
    assert_eq!(sb.take_statistics().unwrap().packets, 0);
}

#[test]
fn frames_cross_with_the_qdisc_bypassed() {
    let Some(mut tb) = Testbed::new("bg-afpacket-bypass") else {
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
    assert!(!sa.qdisc_bypass().unwrap());
    sa.set_qdisc_bypass(true).unwrap();
    assert!(sa.qdisc_bypass().unwrap());
    let mut frame = Vec::new();
    frame.extend_from_slice(&sb.mac());
    frame.extend_from_slice(&sa.mac());
    frame.extend_from_slice(&EXPERIMENTAL.to_be_bytes());
    frame.extend_from_slice(b"past the qdisc, straight to the veth driver, sixty bytes+");
    sa.send(&frame).unwrap();
    let mut buf = [0u8; 1600];
    let n = sb
        .recv(&mut buf, Some(Duration::from_secs(2)))
        .unwrap()
        .expect("frame arrives");
    assert_eq!(&buf[..n], &frame[..]);
    sa.set_qdisc_bypass(false).unwrap();
    assert!(!sa.qdisc_bypass().unwrap());
}
