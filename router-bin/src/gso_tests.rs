use super::*;
use sansio_primitives::checksum;

const SRC4: [u8; 4] = [192, 0, 2, 10];
const DST4: [u8; 4] = [198, 51, 100, 1];
const SRC6: [u8; 16] = [
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];
const DST6: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const SEQ: u32 = 0xffff_f000; // wraps inside the super-packet

pub(crate) fn payload(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + 3) as u8).collect()
}

/// A TCP super-packet as an offloading TUN hands it over: the TCP checksum
/// field holds the pseudo-header sum (`NEEDS_CSUM`), the IP length is the
/// whole packet's; a 12-byte timestamp option makes the TCP header 32.
pub(crate) fn super_packet(v6: bool, data: &[u8], flags: u8) -> (VnetHdr, Vec<u8>) {
    let l4 = if v6 { 40 } else { 20 };
    let hdr = l4 + 32;
    let mut p = vec![0u8; hdr + data.len()];
    let total = p.len();
    if v6 {
        p[0] = 0x60;
        p[4..6].copy_from_slice(&((total - 40) as u16).to_be_bytes());
        p[6] = 6;
        p[7] = 64;
        p[8..24].copy_from_slice(&SRC6);
        p[24..40].copy_from_slice(&DST6);
    } else {
        p[0] = 0x45;
        p[2..4].copy_from_slice(&(total as u16).to_be_bytes());
        p[4..6].copy_from_slice(&0xfffeu16.to_be_bytes()); // the id wraps too
        p[6] = 0x40;
        p[8] = 64;
        p[9] = 6;
        p[12..16].copy_from_slice(&SRC4);
        p[16..20].copy_from_slice(&DST4);
        let c = checksum::checksum(&p[..20]);
        p[10..12].copy_from_slice(&c.to_be_bytes());
    }
    let t = &mut p[l4..];
    t[..2].copy_from_slice(&40000u16.to_be_bytes());
    t[2..4].copy_from_slice(&443u16.to_be_bytes());
    t[4..8].copy_from_slice(&SEQ.to_be_bytes());
    t[8..12].copy_from_slice(&0x1234_5678u32.to_be_bytes());
    t[12] = 8 << 4;
    t[13] = flags;
    t[14..16].copy_from_slice(&502u16.to_be_bytes());
    t[20..32].copy_from_slice(&[1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2]);
    t[32..].copy_from_slice(data);
    let tcp_len = t.len();
    let ph = if v6 {
        checksum::pseudo_header_v6(SRC6, DST6, 6, tcp_len as u32)
    } else {
        checksum::pseudo_header_v4(SRC4, DST4, 6, tcp_len as u16)
    };
    t[16..18].copy_from_slice(&ph.to_be_bytes());
    let h = VnetHdr {
        flags: NEEDS_CSUM,
        gso_type: if v6 { GSO_TCPV6 } else { GSO_TCPV4 },
        hdr_len: hdr as u16,
        gso_size: 1448,
        csum_start: l4 as u16,
        csum_offset: 16,
    };
    (h, p)
}

fn tcp_sum_ok(seg: &[u8], v6: bool) -> bool {
    let l4 = if v6 { 40 } else { 20 };
    let ph = if v6 {
        checksum::pseudo_header_v6(SRC6, DST6, 6, (seg.len() - l4) as u32)
    } else {
        checksum::pseudo_header_v4(SRC4, DST4, 6, (seg.len() - l4) as u16)
    };
    checksum::add(ph, checksum::sum(&seg[l4..])) == 0xffff
}

fn run(h: &VnetHdr, p: &[u8], mtu: u16) -> Result<Vec<Vec<u8>>, GsoError> {
    let mut scratch = vec![0u8; 2048];
    let mut segs = Vec::new();
    let done = segment(h, p, mtu, &mut scratch, |s| {
        segs.push(s.to_vec());
        true
    })?;
    assert_eq!(done.segments, segs.len());
    assert_eq!(done.bytes, segs.iter().map(Vec::len).sum::<usize>());
    Ok(segs)
}

/// IPv4, 4000 bytes with PSH|FIN|CWR|ACK at MTU 1600: the kernel's
/// gso_size 1448 (below 1600 − 52) gives 1448 + 1448 + 1104, each segment
/// whole.
#[test]
fn a_tcpv4_super_packet_is_cut_segment_by_segment() {
    let data = payload(4000);
    let (h, p) = super_packet(false, &data, 0x80 | 0x10 | 0x08 | 0x01);
    let segs = run(&h, &p, 1600).unwrap();
    let sizes: Vec<usize> = segs.iter().map(|s| s.len() - 52).collect();
    assert_eq!(sizes, [1448, 1448, 1104]);
    let mut rebuilt = Vec::new();
    for (i, s) in segs.iter().enumerate() {
        assert_eq!(usize::from(u16::from_be_bytes([s[2], s[3]])), s.len());
        assert_eq!(
            u16::from_be_bytes([s[4], s[5]]),
            0xfffeu16.wrapping_add(i as u16),
            "IP id of segment {i}"
        );
        assert!(checksum::verify(&s[..20]), "IP header checksum of {i}");
        let seq = u32::from_be_bytes([s[24], s[25], s[26], s[27]]);
        assert_eq!(seq, SEQ.wrapping_add((i * 1448) as u32));
        let want = match i {
            0 => 0x80 | 0x10,
            1 => 0x10,
            _ => 0x10 | 0x08 | 0x01,
        };
        assert_eq!(s[33], want, "flags of segment {i}");
        assert!(tcp_sum_ok(s, false), "TCP checksum of segment {i}");
        assert_eq!(s[20..52][20..], p[20..52][20..], "options copied");
        rebuilt.extend_from_slice(&s[52..]);
    }
    assert_eq!(rebuilt, data);
}

/// IPv6 at an MTU below the kernel's gso_size: the MTU wins (1400 − 72
/// bytes of headers = 1328 per segment), payload lengths and checksums per
/// segment.
#[test]
fn a_tcpv6_super_packet_is_cut_at_the_session_mtu() {
    let data = payload(3000);
    let (h, p) = super_packet(true, &data, 0x10 | 0x08);
    let segs = run(&h, &p, 1400).unwrap();
    let sizes: Vec<usize> = segs.iter().map(|s| s.len() - 72).collect();
    assert_eq!(sizes, [1328, 1328, 344]);
    for (i, s) in segs.iter().enumerate() {
        assert_eq!(usize::from(u16::from_be_bytes([s[4], s[5]])) + 40, s.len());
        assert!(s.len() <= 1400);
        assert_eq!(s[53] & 0x08 != 0, i == 2, "PSH only on the last");
        assert!(tcp_sum_ok(s, true), "TCP checksum of segment {i}");
    }
    let rebuilt: Vec<u8> = segs.iter().flat_map(|s| s[72..].to_vec()).collect();
    assert_eq!(rebuilt, data);
}

/// A GSO packet that fits one segment still leaves with a full checksum.
#[test]
fn a_small_gso_packet_is_one_complete_segment() {
    let (h, p) = super_packet(false, &payload(100), 0x18);
    let segs = run(&h, &p, 1492).unwrap();
    assert_eq!(segs.len(), 1);
    assert_eq!(segs[0].len(), p.len());
    assert!(tcp_sum_ok(&segs[0], false));
    assert_eq!(segs[0][33], 0x18);
}

/// Hostile or unexpected headers: a precise error and nothing emitted.
#[test]
fn bad_super_packets_emit_nothing() {
    let (h, p) = super_packet(false, &payload(3000), 0x10);
    let v6 = VnetHdr {
        gso_type: GSO_TCPV6,
        ..h
    };
    assert_eq!(run(&v6, &p, 1492), Err(GsoError::GsoType(GSO_TCPV6)));
    let udp = VnetHdr { gso_type: 5, ..h };
    assert_eq!(run(&udp, &p, 1492), Err(GsoError::GsoType(5)));
    assert_eq!(run(&h, &p[..p.len() - 1], 1492), Err(GsoError::Malformed));
    assert_eq!(run(&h, &p[..30], 1492), Err(GsoError::Malformed));
    assert_eq!(run(&h, &p, 52), Err(GsoError::NoRoom(52)));
    let mut frag = p.clone();
    frag[6] = 0x20; // MF
    assert_eq!(run(&h, &frag, 1492), Err(GsoError::NotTcp));
    let mut bad_doff = p.clone();
    bad_doff[32] = 4 << 4;
    assert_eq!(run(&h, &bad_doff, 1492), Err(GsoError::Malformed));
    assert_eq!(run(&h, &[], 1492), Err(GsoError::Malformed));
    assert_eq!(run(&h, &[0x75; 60], 1492), Err(GsoError::Malformed));
}

/// `emit` refusing (a full socket) stops the cut there.
#[test]
fn a_refused_segment_stops_the_cut() {
    let (h, p) = super_packet(false, &payload(4000), 0x10);
    let mut scratch = [0u8; 1500];
    let mut n = 0;
    let done = segment(&h, &p, 1492, &mut scratch, |_| {
        n += 1;
        n < 2
    })
    .unwrap();
    assert_eq!(done.segments, 1);
    assert_eq!(n, 2);
}

/// A packet without GSO but with a partial checksum (TCP and UDP) gets
/// the checksum the kernel would have written.
#[test]
fn a_partial_checksum_is_completed() {
    let (mut h, mut p) = super_packet(false, &payload(500), 0x18);
    h.gso_type = GSO_NONE;
    complete_checksum(&h, &mut p).unwrap();
    assert!(tcp_sum_ok(&p, false));
    // Without NEEDS_CSUM nothing changes.
    let before = p.clone();
    complete_checksum(&VnetHdr::default(), &mut p).unwrap();
    assert_eq!(p, before);
    let bad = VnetHdr {
        csum_start: 600,
        ..h
    };
    assert_eq!(
        complete_checksum(&bad, &mut p),
        Err(GsoError::BadCsumOffsets)
    );
    assert_eq!(p, before);
    // UDP: a zero result is sent as all ones.
    let mut udp = vec![0u8; 8];
    let h = VnetHdr {
        flags: NEEDS_CSUM,
        csum_start: 0,
        csum_offset: 6,
        ..VnetHdr::default()
    };
    udp[6..8].copy_from_slice(&0xffffu16.to_be_bytes());
    complete_checksum(&h, &mut udp).unwrap();
    assert_eq!(udp[6..8], [0xff, 0xff]);
}

#[test]
fn the_header_round_trips() {
    let h = VnetHdr {
        flags: NEEDS_CSUM,
        gso_type: GSO_TCPV4 | GSO_ECN,
        hdr_len: 52,
        gso_size: 1448,
        csum_start: 20,
        csum_offset: 16,
    };
    let mut b = [0u8; 10];
    h.write(&mut b);
    assert_eq!(VnetHdr::parse(&b), Some(h));
    assert_eq!(VnetHdr::parse(&b[..9]), None);
    assert_eq!(h.gso(), GSO_TCPV4);
}

/// tshark reads the segments, as PPPoE session frames in a capture, with
/// IP and TCP checksum validation on: every one good, none malformed.
#[test]
fn tshark_finds_every_segment_checksum_good() {
    if std::process::Command::new("tshark")
        .arg("-v")
        .output()
        .is_err()
    {
        testbed::skip("tshark_finds_every_segment_checksum_good", "no tshark");
        return;
    }
    let mut frames = Vec::new();
    for v6 in [false, true] {
        let (h, p) = super_packet(v6, &payload(9000), 0x18);
        for s in run(&h, &p, 1492).unwrap() {
            let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x88, 0x64];
            f.extend_from_slice(&[0x11, 0x00, 0x00, 0x01]);
            f.extend_from_slice(&((s.len() + 2) as u16).to_be_bytes());
            f.extend_from_slice(if v6 { &[0x00, 0x57] } else { &[0x00, 0x21] });
            f.extend_from_slice(&s);
            frames.push(f);
        }
    }
    let mut pcap = Vec::new();
    pcap.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    pcap.extend_from_slice(&2u16.to_le_bytes());
    pcap.extend_from_slice(&4u16.to_le_bytes());
    for w in [0u32, 0, 65535, 1] {
        pcap.extend_from_slice(&w.to_le_bytes());
    }
    for f in &frames {
        for w in [0u32, 0, f.len() as u32, f.len() as u32] {
            pcap.extend_from_slice(&w.to_le_bytes());
        }
        pcap.extend_from_slice(f);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("segments.pcap");
    std::fs::write(&path, pcap).unwrap();
    let cap = testbed::Pcap::open(&path);
    let check = [
        "-o",
        "ip.check_checksum:TRUE",
        "-o",
        "tcp.check_checksum:TRUE",
        "-Y",
    ];
    let good = "tcp.checksum.status == \"Good\" && (ipv6 || ip.checksum.status == \"Good\")";
    let good = cap.decode(&[&check[..], &[good]].concat()).unwrap();
    assert_eq!(good.lines().count(), frames.len(), "{good}");
    let bad = "_ws.malformed || _ws.expert.severity >= \"Warning\" && !tcp.analysis";
    let bad = cap.decode(&[&check[..], &[bad]].concat()).unwrap();
    assert_eq!(bad, "");
    assert_eq!(
        frames.len(),
        9000usize.div_ceil(1440) + 9000usize.div_ceil(1420)
    );
}
