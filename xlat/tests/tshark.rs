//! Translated packets of every rule, written to a pcap and read by
//! tshark with checksum validation on: no malformed packet, no expert
//! error. A deliberately broken packet shows the check can fail.

mod common;

use std::path::PathBuf;

use common::*;
use testbed::Pcap;

/// A classic pcap with LINKTYPE_RAW (101): each record an IPv4 or IPv6
/// packet.
fn write_pcap(name: &str, packets: &[Vec<u8>]) -> PathBuf {
    let mut b = Vec::new();
    b.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&4u16.to_le_bytes());
    b.extend_from_slice(&[0; 8]);
    b.extend_from_slice(&65535u32.to_le_bytes());
    b.extend_from_slice(&101u32.to_le_bytes());
    for (i, p) in packets.iter().enumerate() {
        b.extend_from_slice(&(i as u32).to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&(p.len() as u32).to_le_bytes());
        b.extend_from_slice(&(p.len() as u32).to_le_bytes());
        b.extend_from_slice(p);
    }
    let path = std::env::temp_dir().join(format!("xlat-{name}-{}.pcap", std::process::id()));
    std::fs::write(&path, b).unwrap();
    path
}

/// Frames tshark flags, with IP/TCP/UDP checksum validation switched on.
fn problems(path: &PathBuf) -> Vec<String> {
    let out = Pcap::open(path)
        .decode(&[
            "-o",
            "ip.check_checksum:TRUE",
            "-o",
            "udp.check_checksum:TRUE",
            "-o",
            "tcp.check_checksum:TRUE",
            "-Y",
            "_ws.malformed || _ws.expert.severity >= \"Warning\"",
        ])
        .unwrap();
    out.lines().map(str::to_owned).collect()
}

fn tshark_installed() -> bool {
    std::process::Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn v4_inputs() -> Vec<Vec<u8>> {
    let p4 = || Pseudo::V4(S4, H6_V4);
    let inner = ipv4(
        0,
        3,
        0x4000,
        5,
        UDP,
        H6_V4,
        S4,
        &[],
        &udp(Pseudo::V4(H6_V4, S4), 40000, 9999, &data(1400)),
    );
    let ping = ipv4(
        0,
        3,
        0x4000,
        1,
        ICMP,
        H6_V4,
        S4,
        &[],
        &icmp(Pseudo::None, 8, 0, 0x10001, &data(20)),
    );
    let seg = udp(p4(), 7, 9, &data(40));
    vec![
        ipv4(
            0xb8,
            1,
            0x4000,
            64,
            UDP,
            S4,
            H6_V4,
            &[],
            &udp(p4(), 9999, 40000, &data(30)),
        ),
        ipv4(
            0,
            2,
            0x4000,
            64,
            TCP,
            S4,
            H6_V4,
            &[7, 7, 4, 0, 0, 0, 0, 0],
            &tcp(p4(), 443, 50000, 1, &data(1200)),
        ),
        ipv4(0, 3, 0x2000, 64, UDP, S4, H6_V4, &[], &seg[..24]),
        ipv4(0, 3, 3, 64, UDP, S4, H6_V4, &[], &seg[24..]),
        ipv4(
            0,
            4,
            0x4000,
            64,
            ICMP,
            S4,
            H6_V4,
            &[],
            &icmp(Pseudo::None, 8, 0, 0x10001, &data(56)),
        ),
        ipv4(
            0,
            5,
            0x4000,
            64,
            ICMP,
            S4,
            H6_V4,
            &[],
            &icmp(Pseudo::None, 0, 0, 0x10001, &data(56)),
        ),
        ipv4(
            0,
            6,
            0,
            50,
            ICMP,
            S4,
            H6_V4,
            &[],
            &icmp(Pseudo::None, 3, 4, 1400, &inner),
        ),
        ipv4(
            0,
            7,
            0,
            50,
            ICMP,
            S4,
            H6_V4,
            &[],
            &icmp(Pseudo::None, 3, 3, 0, &inner[..200]),
        ),
        ipv4(
            0,
            8,
            0,
            50,
            ICMP,
            S4,
            H6_V4,
            &[],
            &icmp(Pseudo::None, 11, 0, 0, &ping),
        ),
        ipv4(
            0,
            9,
            0,
            50,
            ICMP,
            S4,
            H6_V4,
            &[],
            &icmp(Pseudo::None, 12, 0, 9 << 24, &inner[..48]),
        ),
        // TTL 1: an ICMPv4 Time Exceeded comes back.
        ipv4(
            0,
            10,
            0x4000,
            1,
            UDP,
            S4,
            H6_V4,
            &[],
            &udp(p4(), 9999, 40000, &data(30)),
        ),
    ]
}

fn v6_inputs() -> Vec<Vec<u8>> {
    let p6 = || Pseudo::V6(H6, S4_V6);
    let inner = ipv6(
        0,
        UDP,
        5,
        S4_V6,
        H6,
        &[],
        &udp(Pseudo::V6(S4_V6, H6), 9999, 40000, &data(1200)),
    );
    let router: [u8; 16] = "2001:db8::ff"
        .parse::<std::net::Ipv6Addr>()
        .unwrap()
        .octets();
    let seg = udp(p6(), 7, 9, &data(40));
    let hbh = [TCP, 0, 1, 4, 0, 0, 0, 0];
    let mut rh = vec![UDP, 2, 0, 1, 0, 0, 0, 0];
    rh.extend_from_slice(&S4_V6);
    vec![
        ipv6(
            0xb8,
            UDP,
            64,
            H6,
            S4_V6,
            &[],
            &udp(p6(), 40000, 9999, &data(30)),
        ),
        ipv6(
            0,
            0,
            64,
            H6,
            S4_V6,
            &hbh,
            &tcp(p6(), 50000, 443, 1, &data(1300)),
        ),
        ipv6(
            0,
            44,
            64,
            H6,
            S4_V6,
            &[UDP, 0, 0, 1, 0, 0, 0, 9],
            &seg[..24],
        ),
        ipv6(
            0,
            44,
            64,
            H6,
            S4_V6,
            &[UDP, 0, 0, 0x18, 0, 0, 0, 9],
            &seg[24..],
        ),
        ipv6(
            0,
            ICMPV6,
            64,
            H6,
            S4_V6,
            &[],
            &icmp(p6(), 128, 0, 0x10001, &data(56)),
        ),
        ipv6(
            0,
            ICMPV6,
            50,
            H6,
            S4_V6,
            &[],
            &icmp(p6(), 2, 0, 1500, &inner),
        ),
        ipv6(
            0,
            ICMPV6,
            50,
            router,
            S4_V6,
            &[],
            &icmp(Pseudo::V6(router, S4_V6), 3, 0, 0, &inner[..100]),
        ),
        ipv6(
            0,
            ICMPV6,
            50,
            H6,
            S4_V6,
            &[],
            &icmp(p6(), 4, 0, 7, &inner[..100]),
        ),
        // Hop limit 1 and a Routing header with Segments Left: ICMPv6 back.
        ipv6(
            0,
            UDP,
            1,
            H6,
            S4_V6,
            &[],
            &udp(p6(), 40000, 9999, &data(30)),
        ),
        ipv6(
            0,
            43,
            64,
            H6,
            S4_V6,
            &rh,
            &udp(p6(), 40000, 9999, &data(30)),
        ),
    ]
}

#[test]
fn tshark_reads_translations_without_complaint() {
    if !tshark_installed() {
        testbed::skip(
            "tshark_reads_translations_without_complaint",
            "tshark not installed",
        );
        return;
    }
    let mut x = siit_with(|c| {
        c.icmp_error_source_v4 = Some([203, 0, 113, 1].into());
        c.icmp_error_source_v6 = Some("2001:db8::1".parse().unwrap());
    });
    let mut packets = Vec::new();
    for p in v4_inputs().into_iter().chain(v6_inputs()) {
        let (_, out) = run(&mut x, &p).unwrap();
        packets.push(p);
        packets.push(out);
    }
    // A DF-less packet too big for 1280 bytes: three IPv6 fragments, which
    // tshark reassembles and checks the UDP checksum of.
    let big = ipv4(
        0,
        0x4242,
        0,
        64,
        UDP,
        S4,
        H6_V4,
        &[],
        &udp(Pseudo::V4(S4, H6_V4), 7, 9999, &data(3000)),
    );
    let mut buf = vec![0u8; xlat::HEADROOM + big.len()];
    buf[xlat::HEADROOM..].copy_from_slice(&big);
    let mut out = vec![0u8; 4 * 1280];
    let f = x
        .translate_4to6_fragmented(&mut buf, xlat::HEADROOM, big.len(), &mut out)
        .unwrap();
    assert_eq!(f.count, 3);
    packets.push(big);
    for i in 0..f.count {
        packets.push(out[f.range(i)].to_vec());
    }

    // EAMT with pool6, hairpinning (RFC 7757 §4.2): A (EAM 192.0.2.1) to
    // the pool6 form of B (EAM 192.0.2.2) comes out as IPv6 to B.
    let a: [u8; 16] = "2001:db8:aaaa::"
        .parse::<std::net::Ipv6Addr>()
        .unwrap()
        .octets();
    let mut x = siit_with(|c| {
        for (a4, a6) in [
            ([192, 0, 2, 1], "2001:db8:aaaa::"),
            ([192, 0, 2, 2], "2001:db8:bbbb::b"),
        ] {
            let eam = xlat::Eam::new(a4.into(), 32, a6.parse().unwrap(), 128).unwrap();
            c.eamt.add(eam).unwrap();
        }
    });
    let b6 = wkp([192, 0, 2, 2]);
    for p in [
        ipv6(
            0,
            UDP,
            64,
            a,
            b6,
            &[],
            &udp(Pseudo::V6(a, b6), 5000, 6000, &data(40)),
        ),
        ipv6(
            0,
            TCP,
            64,
            a,
            S4_V6,
            &[],
            &tcp(Pseudo::V6(a, S4_V6), 5000, 443, 9, &data(40)),
        ),
    ] {
        let (_, out) = run(&mut x, &p).unwrap();
        packets.push(p);
        packets.push(out);
    }
    assert_eq!(x.counters().hairpinned, 1);
    let path = write_pcap("all", &packets);
    let found = problems(&path);
    assert_eq!(
        found,
        Vec::<String>::new(),
        "pcap kept at {}",
        path.display()
    );
    // Every packet is decoded, v4 and v6 alike.
    let all = Pcap::open(&path).decode(&[]).unwrap();
    assert_eq!(all.lines().count(), packets.len());
    let _ = std::fs::remove_file(&path);

    // The check can fail: a translated UDP packet with one payload bit off.
    let mut broken = run(&mut x, &v4_inputs()[0]).unwrap().1;
    *broken.last_mut().unwrap() ^= 1;
    let path = write_pcap("broken", &[broken]);
    assert_eq!(problems(&path).len(), 1);
    let _ = std::fs::remove_file(&path);
}
