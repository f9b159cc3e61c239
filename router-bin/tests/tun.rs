//! The TUN glue against the kernel: the namespace pings a peer behind a TUN
//! device, and this test, as that peer, answers from userspace.

use std::time::Duration;

use proto_core::checksum;
use router_bin::tun::Tun;
use testbed::Testbed;

#[test]
fn ping_through_a_tun_device_answered_from_userspace() {
    let Some(mut tb) = Testbed::new("tun") else {
        return;
    };
    let ns = tb.namespace("tun").unwrap();
    let mut tun = ns.enter(|| Tun::open("ppp0")).unwrap().unwrap();
    assert_eq!(tun.name(), "ppp0");
    tb.ip(
        &ns,
        &[
            "addr",
            "add",
            "192.0.2.10",
            "peer",
            "192.0.2.1",
            "dev",
            "ppp0",
        ],
    )
    .unwrap();
    tb.link_up(&ns, "ppp0").unwrap();

    let ping = tb
        .spawn(
            &ns,
            &["ping", "-c", "3", "-i", "0.2", "-W", "2", "192.0.2.1"],
        )
        .unwrap();
    let mut buf = [0u8; 1600];
    let mut answered = 0;
    let end = std::time::Instant::now() + Duration::from_secs(10);
    while answered < 3 && std::time::Instant::now() < end {
        let Some(n) = tun
            .recv(&mut buf, Some(Duration::from_millis(500)))
            .unwrap()
        else {
            continue;
        };
        let p = &mut buf[..n];
        // An IPv4 ICMP Echo Request to the peer (the kernel may also send
        // other things, such as IPv6 router solicitations: ignored).
        if n < 28 || p[0] >> 4 != 4 || p[9] != 1 || p[16..20] != [192, 0, 2, 1] {
            continue;
        }
        let ihl = usize::from(p[0] & 0x0f) * 4;
        if p[ihl] != 8 {
            continue;
        }
        // Swap the addresses (the IPv4 checksum is unchanged by a swap) and
        // turn the request into a reply, patching the ICMP checksum.
        let (src, dst) = ([p[12], p[13], p[14], p[15]], [p[16], p[17], p[18], p[19]]);
        p[12..16].copy_from_slice(&dst);
        p[16..20].copy_from_slice(&src);
        let old = u16::from_be_bytes([p[ihl], p[ihl + 1]]);
        p[ihl] = 0;
        let c = u16::from_be_bytes([p[ihl + 2], p[ihl + 3]]);
        let c = checksum::update(c, old, u16::from_be_bytes([p[ihl], p[ihl + 1]]));
        p[ihl + 2..ihl + 4].copy_from_slice(&c.to_be_bytes());
        tun.send(p).unwrap();
        answered += 1;
    }
    let mut ping = ping;
    let status = ping.wait_timeout(Duration::from_secs(10)).unwrap();
    let (out, err) = ping.output();
    assert!(
        status.is_some_and(|s| s.success()),
        "ping failed: {out}{err}"
    );
    assert!(out.contains("3 received"), "{out}");
}

#[test]
fn a_bad_name_is_a_clear_error() {
    let err = Tun::open("a-name-longer-than-fifteen").unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}
