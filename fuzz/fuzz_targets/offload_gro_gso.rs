//! The userspace receive and segmentation offloads of router-bin's data
//! paths (`router_bin::gro`, `router_bin::gso`), which see every packet a
//! subscriber or the internet sends: never a panic, and a round trip that
//! loses nothing. The input describes a stream of TCP segments of two
//! flows (sizes, PSH, sequence gaps, IPv4 ID skips or a flow label change,
//! bad checksums, other flags, a UDP packet in between); they go through
//! the GRO one by one as they would come off the wire; every super-packet
//! it writes is cut again by the GSO code the other direction uses, and the
//! packets that come out must be the ones that went in, in order, with
//! valid checksums.
#![no_main]

use libfuzzer_sys::fuzz_target;
use router_bin::gro::Gro;
use router_bin::gso::{self, VnetHdr};
use router_bin::tun::VNET_HDR_LEN;
use sansio_primitives::checksum;

const MAX_SEGMENTS: usize = 64;

struct Flow {
    seq: u32,
    id: u16,
}

/// A packet of the stream: IPv4 or IPv6, TCP (or UDP), checksums right
/// unless `bad`.
fn build(v6: bool, opts: usize, flow: usize, f: &mut Flow, len: usize, m: u8, n: usize) -> Vec<u8> {
    let l4 = if v6 { 40 } else { 20 };
    let udp = m & 0x40 != 0;
    let th = if udp { 8 } else { 20 + opts };
    let total = l4 + th + len;
    let mut p = vec![0u8; total];
    if v6 {
        p[0] = 0x60;
        p[1] = if m & 0x08 != 0 { 1 } else { 0 }; // flow label change
        p[4..6].copy_from_slice(&((th + len) as u16).to_be_bytes());
        p[6] = if udp { 17 } else { 6 };
        p[7] = if m & 0x80 != 0 { 63 } else { 64 };
        p[8..24].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        p[24..40].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    } else {
        p[0] = 0x45;
        p[2..4].copy_from_slice(&(total as u16).to_be_bytes());
        if m & 0x08 != 0 {
            f.id = f.id.wrapping_add(1); // an ID skip
        }
        p[4..6].copy_from_slice(&f.id.to_be_bytes());
        p[6] = 0x40; // DF
        p[8] = if m & 0x80 != 0 { 63 } else { 64 };
        p[9] = if udp { 17 } else { 6 };
        p[12..16].copy_from_slice(&[192, 0, 2, 1]);
        p[16..20].copy_from_slice(&[198, 51, 100, 2]);
        let c = checksum::checksum(&p[..20]);
        p[10..12].copy_from_slice(&c.to_be_bytes());
    }
    f.id = f.id.wrapping_add(1);
    let t = &mut p[l4..];
    t[0..2].copy_from_slice(&40000u16.to_be_bytes());
    t[2..4].copy_from_slice(&(443 + flow as u16).to_be_bytes());
    if udp {
        t[4..6].copy_from_slice(&((8 + len) as u16).to_be_bytes());
    } else {
        if m & 0x02 != 0 {
            f.seq = f.seq.wrapping_add(1); // a gap
        }
        t[4..8].copy_from_slice(&f.seq.to_be_bytes());
        t[8..12].copy_from_slice(&7u32.to_be_bytes());
        t[12] = ((20 + opts) / 4 << 4) as u8;
        t[13] = 0x10 | if m & 0x01 != 0 { 0x08 } else { 0 } | if m & 0x10 != 0 { 0x01 } else { 0 };
        t[14..16].copy_from_slice(&502u16.to_be_bytes());
        for o in &mut t[20..20 + opts] {
            *o = 1; // NOP
        }
        f.seq = f.seq.wrapping_add(len as u32);
    }
    for (k, b) in t[th..].iter_mut().enumerate() {
        *b = (n * 7 + k) as u8;
    }
    let ph = if v6 {
        let (s, d) = (p[8..24].try_into().unwrap(), p[24..40].try_into().unwrap());
        checksum::pseudo_header_v6(s, d, p[6], (th + len) as u32)
    } else {
        let (s, d) = (p[12..16].try_into().unwrap(), p[16..20].try_into().unwrap());
        checksum::pseudo_header_v4(s, d, p[9], (th + len) as u16)
    };
    let at = l4 + if udp { 6 } else { 16 };
    let mut c = !checksum::add(ph, checksum::sum(&p[l4..]));
    if m & 0x20 != 0 {
        c ^= 0x5a5a; // a bad checksum
    }
    p[at..at + 2].copy_from_slice(&c.to_be_bytes());
    p
}

/// Whether `p`'s checksums verify (the IPv4 header's and TCP's).
fn checksums_ok(p: &[u8]) -> bool {
    let v6 = p[0] >> 4 == 6;
    let l4 = if v6 { 40 } else { 20 };
    if !v6 && checksum::sum(&p[..20]) != 0xffff {
        return false;
    }
    let ph = if v6 {
        checksum::pseudo_header_v6(
            p[8..24].try_into().unwrap(),
            p[24..40].try_into().unwrap(),
            6,
            (p.len() - l4) as u32,
        )
    } else {
        checksum::pseudo_header_v4(
            p[12..16].try_into().unwrap(),
            p[16..20].try_into().unwrap(),
            6,
            (p.len() - l4) as u16,
        )
    };
    checksum::add(ph, checksum::sum(&p[l4..])) == 0xffff
}

/// `a` and `b` equal but for the checksum fields (a checksum of 0x0000 and
/// one of 0xffff verify alike), and `b`'s checksums verify.
fn same_packet(a: &[u8], b: &[u8]) -> bool {
    if a == b {
        return true;
    }
    if a.len() != b.len() || !checksums_ok(b) {
        return false;
    }
    let v6 = a[0] >> 4 == 6;
    let l4 = if v6 { 40 } else { 20 };
    let masked = |p: &[u8]| {
        let mut p = p.to_vec();
        if !v6 {
            p[10..12].fill(0);
        }
        p[l4 + 16..l4 + 18].fill(0);
        p
    };
    masked(a) == masked(b)
}

fuzz_target!(|data: &[u8]| {
    let Some((&head, rest)) = data.split_first() else {
        return;
    };
    let v6 = head & 1 != 0;
    let opts = usize::from(head >> 1 & 3) * 4;
    let mut flows = [Flow { seq: 1000, id: 1 }, Flow { seq: 9000, id: 500 }];
    let mut sent: Vec<Vec<u8>> = Vec::new();
    let mut out: Vec<(Vec<u8>, usize)> = Vec::new();
    let mut gro = Gro::new();
    for (n, c) in rest.chunks_exact(3).take(MAX_SEGMENTS).enumerate() {
        let len = usize::from(u16::from_be_bytes([c[0], c[1]])) % 1461;
        let flow = usize::from(c[2] >> 2 & 1);
        let p = build(v6, opts, flow, &mut flows[flow], len, c[2], n);
        let taken = gro.offer_counted(&p, |b, k| out.push((b.to_vec(), k)));
        if !taken {
            let mut b = vec![0u8; VNET_HDR_LEN];
            b.extend_from_slice(&p);
            out.push((b, 1));
        }
        sent.push(p);
    }
    gro.flush_counted(|b, k| out.push((b.to_vec(), k)));

    let mut back: Vec<Vec<u8>> = Vec::new();
    let mut scratch = vec![0u8; 65536];
    for (b, k) in &out {
        let hdr = VnetHdr::parse(b).expect("GRO wrote no virtio_net_hdr");
        let pkt = &b[VNET_HDR_LEN..];
        if *k == 1 {
            assert_eq!(
                hdr,
                VnetHdr::default(),
                "a lone segment went out with a GSO header"
            );
            back.push(pkt.to_vec());
            continue;
        }
        let mut segs = Vec::new();
        let done = gso::segment(&hdr, pkt, u16::MAX, &mut scratch, |s| {
            segs.push(s.to_vec());
            true
        })
        .expect("GRO wrote a super-packet GSO cannot cut");
        assert_eq!(
            done.segments, *k,
            "GRO counted {k} segments, GSO cut {}",
            done.segments
        );
        back.extend(segs);
    }
    assert_eq!(
        back.len(),
        sent.len(),
        "packets in {} != packets out {}",
        sent.len(),
        back.len()
    );
    for (i, (a, b)) in sent.iter().zip(&back).enumerate() {
        assert!(
            same_packet(a, b),
            "packet {i} changed:\n in  {a:02x?}\n out {b:02x?}"
        );
    }
});
