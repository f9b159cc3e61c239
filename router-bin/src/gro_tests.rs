use super::*;
use crate::gso::tests::{payload, super_packet};
use crate::gso::{GSO_NONE, segment};

/// The segments of a super-packet, as the wire would bring them.
fn cut(v6: bool, n: usize, flags: u8, mtu: u16) -> (VnetHdr, Vec<u8>, Vec<Vec<u8>>) {
    let (h, p) = super_packet(v6, &payload(n), flags);
    let mut scratch = vec![0u8; 2048];
    let mut segs = Vec::new();
    segment(&h, &p, mtu, &mut scratch, |s| {
        segs.push(s.to_vec());
        true
    })
    .unwrap();
    (h, p, segs)
}

fn offer_all(gro: &mut Gro, segs: &[Vec<u8>]) -> (Vec<Vec<u8>>, Vec<usize>) {
    let mut out = Vec::new();
    let mut passed = Vec::new();
    for (i, s) in segs.iter().enumerate() {
        if !gro.offer(s, |b| out.push(b.to_vec())) {
            passed.push(i);
        }
    }
    gro.flush(|b| out.push(b.to_vec()));
    (out, passed)
}

/// Segmented and coalesced again, a super-packet comes back byte for
/// byte (its partial checksum included), behind the header the TUN
/// needs: both families, the last segment short and with PSH.
#[test]
fn segments_coalesce_back_into_the_super_packet() {
    for v6 in [false, true] {
        let (h, p, segs) = cut(v6, 20_000, ACK | PSH, 1500);
        assert!(segs.len() > 10);
        let mut gro = Gro::new();
        let (out, passed) = offer_all(&mut gro, &segs);
        assert!(passed.is_empty());
        assert_eq!(out.len(), 1, "one write for v6={v6}");
        let got = VnetHdr::parse(&out[0]).unwrap();
        let mss = segs[0].len() - usize::from(h.hdr_len);
        assert_eq!(
            got,
            VnetHdr {
                gso_size: mss as u16,
                ..h
            }
        );
        assert_eq!(out[0][VNET_HDR_LEN..], p[..], "v6={v6}");
        assert_eq!(gro.counters().super_packets, 1);
        assert_eq!(gro.counters().coalesced, segs.len() as u64 - 1);
    }
}

/// The 64 KiB bound: a longer run is written in two super-packets.
#[test]
fn a_run_past_64_kib_is_split() {
    let mut segs = Vec::new();
    let (_, _, a) = cut(false, 41 * 1448, ACK, 1500);
    let mut seq = 0u32;
    for s in &a {
        seq = u32::from_be_bytes([s[24], s[25], s[26], s[27]]).wrapping_add(s.len() as u32 - 52);
        segs.push(s.clone());
    }
    // Ten more segments continuing the flow (sequence and IP ID).
    let last = a.last().unwrap().clone();
    let mss = a[0].len() - 52;
    let id0 = u16::from_be_bytes([a[0][4], a[0][5]]);
    for i in 0..10 {
        let mut s = a[0].clone();
        let id = id0.wrapping_add((a.len() + i) as u16);
        s[4..6].copy_from_slice(&id.to_be_bytes());
        s[10..12].copy_from_slice(&[0, 0]);
        let c = checksum::checksum(&s[..20]);
        s[10..12].copy_from_slice(&c.to_be_bytes());
        s[24..28].copy_from_slice(&seq.to_be_bytes());
        seq = seq.wrapping_add(mss as u32);
        s[36..38].copy_from_slice(&[0, 0]);
        let ph = checksum::pseudo_header_v4(
            [s[12], s[13], s[14], s[15]],
            [s[16], s[17], s[18], s[19]],
            6,
            (s.len() - 20) as u16,
        );
        let c = checksum::finish(checksum::add(ph, checksum::sum(&s[20..])));
        s[36..38].copy_from_slice(&c.to_be_bytes());
        segs.push(s);
    }
    assert_eq!(last.len(), a[0].len(), "41 whole segments");
    let mut gro = Gro::new();
    let (out, passed) = offer_all(&mut gro, &segs);
    assert!(passed.is_empty());
    assert_eq!(out.len(), 2);
    assert!(out.iter().all(|o| o.len() <= VNET_HDR_LEN + MAX_GSO_PACKET));
    let total: usize = out.iter().map(|o| o.len() - VNET_HDR_LEN - 52).sum();
    assert_eq!(total, 51 * mss);
    assert_eq!(gro.counters().super_packets, 2);
}

/// What may not be coalesced breaks the run, in order: a gap, a bad
/// checksum, another flow, a FIN, something not TCP.
#[test]
fn what_does_not_fit_is_written_in_order() {
    let (_, _, segs) = cut(false, 8 * 1448, ACK, 1500);
    let mut gro = Gro::new();
    let mut out = Vec::new();
    let mut w = |b: &[u8]| out.push(b.to_vec());
    // 0, 1 then 3 (a gap): 0+1 are written, 3 starts anew.
    assert!(gro.offer(&segs[0], &mut w));
    assert!(gro.offer(&segs[1], &mut w));
    assert!(gro.offer(&segs[3], &mut w));
    // A corrupt segment is handed back after the flush of 3.
    let mut bad = segs[4].clone();
    bad[100] ^= 1;
    assert!(!gro.offer(&bad, &mut w));
    // A FIN is not taken; nor is a UDP packet.
    let mut fin = segs[5].clone();
    fin[33] |= 0x01;
    assert!(!gro.offer(&fin, &mut w));
    assert!(!gro.offer(&[0x45; 28], &mut w));
    gro.flush(&mut w);
    assert_eq!(out.len(), 2);
    let h0 = VnetHdr::parse(&out[0]).unwrap();
    assert_eq!((h0.gso_type, h0.gso_size), (GSO_TCPV4, 1448));
    assert_eq!(out[0].len(), VNET_HDR_LEN + 52 + 2 * 1448);
    // A lone segment goes as it came, with an empty header.
    assert_eq!(VnetHdr::parse(&out[1]).unwrap().gso_type, GSO_NONE);
    assert_eq!(out[1][VNET_HDR_LEN..], segs[3][..]);
}

/// The coalesced packet, its checksum completed as the kernel would, is a
/// valid TCP packet (the partial sum is right).
#[test]
fn the_partial_checksum_completes_to_a_valid_one() {
    let (_, _, segs) = cut(true, 5000, ACK, 1400);
    let mut gro = Gro::new();
    let (out, _) = offer_all(&mut gro, &segs);
    let h = VnetHdr::parse(&out[0]).unwrap();
    let mut p = out[0][VNET_HDR_LEN..].to_vec();
    crate::gso::complete_checksum(&h, &mut p).unwrap();
    let (mut s, mut d) = ([0u8; 16], [0u8; 16]);
    s.copy_from_slice(&p[8..24]);
    d.copy_from_slice(&p[24..40]);
    let ph = checksum::pseudo_header_v6(s, d, 6, (p.len() - 40) as u32);
    assert_eq!(checksum::add(ph, checksum::sum(&p[40..])), 0xffff);
}
