use std::cell::{Cell, RefCell};
use std::net::Ipv4Addr;
use std::time::Instant;

use sansio_primitives::checksum;

use super::*;
use crate::bng::datapath::source_ok_v4;
use crate::gso::{GSO_NONE, GSO_TCPV4, GSO_TCPV6, NEEDS_CSUM};

const ACK: u8 = 0x10;
const PSH: u8 = 0x08;
const SYN: u8 = 0x02;
const A: [u8; 4] = [203, 0, 113, 10];
const B: [u8; 4] = [203, 0, 113, 11];
const NET: [u8; 4] = [198, 51, 100, 2];
const MSS: usize = 1400;

/// A TCP segment from `src:sport` to the internet host, checksums right:
/// IPv4 (ID `id`, DF) or, with `v6`, IPv6 from `2001:db8::src[3]`.
fn seg(v6: bool, src: [u8; 4], sport: u16, seq: u32, id: u16, flags: u8, n: usize) -> Vec<u8> {
    let l4 = if v6 { 40 } else { 20 };
    let mut p = vec![0u8; l4 + 20 + n];
    let total = p.len();
    let (s6, d6) = (v6_of(src), v6_of(NET));
    if v6 {
        p[0] = 0x60;
        p[4..6].copy_from_slice(&((total - 40) as u16).to_be_bytes());
        p[6] = 6;
        p[7] = 64;
        p[8..24].copy_from_slice(&s6);
        p[24..40].copy_from_slice(&d6);
    } else {
        p[0] = 0x45;
        p[2..4].copy_from_slice(&(total as u16).to_be_bytes());
        p[4..6].copy_from_slice(&id.to_be_bytes());
        p[6] = 0x40;
        p[8] = 64;
        p[9] = 6;
        p[12..16].copy_from_slice(&src);
        p[16..20].copy_from_slice(&NET);
        let c = checksum::checksum(&p[..20]);
        p[10..12].copy_from_slice(&c.to_be_bytes());
    }
    let t = &mut p[l4..];
    t[..2].copy_from_slice(&sport.to_be_bytes());
    t[2..4].copy_from_slice(&443u16.to_be_bytes());
    t[4..8].copy_from_slice(&seq.to_be_bytes());
    t[8..12].copy_from_slice(&7u32.to_be_bytes());
    t[12] = 5 << 4;
    t[13] = flags;
    t[14..16].copy_from_slice(&500u16.to_be_bytes());
    for (i, b) in t[20..].iter_mut().enumerate() {
        *b = (seq as usize + i) as u8;
    }
    let ph = if v6 {
        checksum::pseudo_header_v6(s6, d6, 6, (total - l4) as u32)
    } else {
        checksum::pseudo_header_v4(src, NET, 6, (total - l4) as u16)
    };
    let c = checksum::finish(checksum::add(ph, checksum::sum(t)));
    t[16..18].copy_from_slice(&c.to_be_bytes());
    p
}

fn v6_of(a: [u8; 4]) -> [u8; 16] {
    let mut o = [0u8; 16];
    o[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
    o[15] = a[3];
    o
}

/// The `k`-th full segment of a flow (sequence and IP ID count up).
fn nth(v6: bool, src: [u8; 4], sport: u16, k: u32, flags: u8) -> Vec<u8> {
    seg(
        v6,
        src,
        sport,
        1000 + k * MSS as u32,
        100 + k as u16,
        flags,
        MSS,
    )
}

/// A TUN device that records writes; it may refuse GSO or every write.
#[derive(Default)]
struct Rec {
    /// (behind a header given by the caller, the bytes).
    writes: RefCell<Vec<(bool, Vec<u8>)>>,
    refuse_gso: Cell<bool>,
    broken: Cell<bool>,
}

impl TunWrite for Rec {
    fn send_hdr(&self, b: &[u8]) -> io::Result<()> {
        let gso = VnetHdr::parse(b).unwrap().gso();
        if self.broken.get() || (self.refuse_gso.get() && gso != GSO_NONE) {
            let e = if self.broken.get() {
                libc::EIO
            } else {
                libc::EINVAL
            };
            return Err(io::Error::from_raw_os_error(e));
        }
        self.writes.borrow_mut().push((true, b.to_vec()));
        Ok(())
    }
    fn send_bare(&self, p: &[u8]) -> io::Result<()> {
        if self.broken.get() {
            return Err(io::Error::from_raw_os_error(libc::EIO));
        }
        self.writes.borrow_mut().push((false, p.to_vec()));
        Ok(())
    }
}

impl Rec {
    /// Each write as the IP packets the kernel will see: a super-packet
    /// cut back into its segments.
    fn packets(&self) -> Vec<Vec<Vec<u8>>> {
        let mut scratch = vec![0u8; 4096];
        self.writes
            .borrow()
            .iter()
            .map(|(with_hdr, b)| {
                if !with_hdr {
                    return vec![b.clone()];
                }
                let h = VnetHdr::parse(b).unwrap();
                if h.gso() == GSO_NONE {
                    return vec![b[VNET_HDR_LEN..].to_vec()];
                }
                let mut out = Vec::new();
                gso::segment(&h, &b[VNET_HDR_LEN..], u16::MAX, &mut scratch, |s| {
                    out.push(s.to_vec());
                    true
                })
                .unwrap();
                out
            })
            .collect()
    }
}

/// Sessions 1 (address A) and 2 (address B), IPCP up.
fn sessions() -> HashMap<u16, Session> {
    let now = Instant::now();
    [(1u16, A), (2, B)]
        .into_iter()
        .map(|(id, a)| {
            let mut s = Session::new(u64::from(id), id, [2, 0, 0, 0, 0, id as u8], now);
            s.addr = Some(Ipv4Addr::from(a));
            s.ipv4_up = true;
            (id, s)
        })
        .collect()
}

/// One receive batch through the per-packet check (anti-spoofing, as
/// `Bng::upstream`) and the coalescer.
fn batch(
    up: &mut UpGro,
    tun: &Rec,
    sessions: &mut HashMap<u16, Session>,
    stats: &mut Stats,
    frames: &[(u16, Vec<u8>)],
) {
    for (id, p) in frames {
        let s = sessions.get_mut(id).unwrap();
        if p[0] >> 4 == 4 && !source_ok_v4(s, p) {
            s.traffic.spoofed += 1;
            continue;
        }
        up.send(tun, sessions, stats, *id, p);
    }
    up.flush(tun, sessions, stats);
}

fn in_counts(sessions: &HashMap<u16, Session>, id: u16) -> (u64, u64) {
    let t = &sessions[&id].traffic;
    (t.in_packets, t.in_octets)
}

/// Two sessions' flows interleaved in one batch, with a spoofed segment
/// (session 1 claiming session 2's address, continuing its flow) in the
/// middle: one super-packet per run, each the original segments byte for
/// byte, the spoofed one nowhere; each session billed its own packets.
#[test]
fn interleaved_sessions_coalesce_per_run_and_bill_original_packets() {
    let (tun, mut ss, mut stats) = (Rec::default(), sessions(), Stats::default());
    let mut up = UpGro::new(true);
    let a: Vec<Vec<u8>> = (0..5).map(|k| nth(false, A, 40000, k, ACK)).collect();
    let b: Vec<Vec<u8>> = (0..3).map(|k| nth(false, B, 50000, k, ACK)).collect();
    let frames = vec![
        (1, a[0].clone()),
        (1, a[1].clone()),
        (1, a[2].clone()),
        (2, b[0].clone()),
        (2, b[1].clone()),
        (1, b[2].clone()),
        (2, b[2].clone()),
        (1, a[3].clone()),
        (1, a[4].clone()),
    ];
    batch(&mut up, &tun, &mut ss, &mut stats, &frames);
    assert_eq!(
        tun.packets(),
        [a[..3].to_vec(), b.clone(), a[3..].to_vec()],
        "runs in arrival order, each segment intact"
    );
    assert!(tun.writes.borrow().iter().all(|(h, _)| *h));
    let h = VnetHdr::parse(&tun.writes.borrow()[0].1).unwrap();
    assert_eq!(
        h,
        VnetHdr {
            flags: NEEDS_CSUM,
            gso_type: GSO_TCPV4,
            hdr_len: 40,
            gso_size: MSS as u16,
            csum_start: 20,
            csum_offset: 16,
        }
    );
    assert_eq!(stats.tun_gro, 3);
    assert_eq!(in_counts(&ss, 1), (5, 5 * (40 + MSS as u64)));
    assert_eq!(in_counts(&ss, 2), (3, 3 * (40 + MSS as u64)));
    assert_eq!(ss[&1].traffic.spoofed, 1);
    assert_eq!(stats.tun_errors, 0);
}

/// Out of order, a gap, flags other than ACK/PSH, a non-TCP packet: no
/// run crosses them and nothing is reordered; PSH ends a run with itself.
#[test]
fn order_gaps_and_flags_end_runs() {
    let (tun, mut ss, mut stats) = (Rec::default(), sessions(), Stats::default());
    let mut up = UpGro::new(true);
    let s = |k, f| nth(false, A, 40000, k, f);
    let mut udp = s(9, ACK);
    udp[9] = 17;
    let frames: Vec<(u16, Vec<u8>)> = vec![
        s(0, SYN),       // not coalesced
        s(1, ACK),       // a run: 1, 2
        s(2, ACK),       //
        s(4, ACK),       // a gap: a new run, alone
        s(3, ACK),       // out of order: alone
        s(5, ACK),       // a run: 5, 6 with PSH
        s(6, ACK | PSH), //
        s(7, ACK),       // a run: 7, cut by the UDP packet
        udp.clone(),     // not TCP: as it is
        s(8, ACK | SYN), // flags: as it is
    ]
    .into_iter()
    .map(|p| (1, p))
    .collect();
    batch(&mut up, &tun, &mut ss, &mut stats, &frames);
    let got = tun.packets();
    let want: Vec<Vec<Vec<u8>>> = vec![
        vec![s(0, SYN)],
        vec![s(1, ACK), s(2, ACK)],
        vec![s(4, ACK)],
        vec![s(3, ACK)],
        vec![s(5, ACK), s(6, ACK | PSH)],
        vec![s(7, ACK)],
        vec![udp],
        vec![s(8, ACK | SYN)],
    ];
    assert_eq!(got, want);
    assert_eq!(stats.tun_gro, 2);
    assert_eq!(in_counts(&ss, 1).0, 10);
    let octets: usize = frames.iter().map(|(_, p)| p.len()).sum();
    assert_eq!(in_counts(&ss, 1).1, octets as u64);
}

/// IPv6: two flows of one session alternating never share a run; a
/// flow's consecutive segments do (TCPV6).
#[test]
fn ipv6_flows_coalesce_apart() {
    let (tun, mut ss, mut stats) = (Rec::default(), sessions(), Stats::default());
    let mut up = UpGro::new(true);
    let x = |k| nth(true, A, 40000, k, ACK);
    let y = |k| nth(true, A, 40001, k, ACK);
    let frames: Vec<(u16, Vec<u8>)> = [x(0), x(1), y(0), x(2), y(1), y(2), y(3)]
        .into_iter()
        .map(|p| (1, p))
        .collect();
    batch(&mut up, &tun, &mut ss, &mut stats, &frames);
    assert_eq!(
        tun.packets(),
        [
            vec![x(0), x(1)],
            vec![y(0)],
            vec![x(2)],
            vec![y(1), y(2), y(3)]
        ]
    );
    let h = VnetHdr::parse(&tun.writes.borrow()[0].1).unwrap();
    assert_eq!((h.gso_type, h.csum_start), (GSO_TCPV6, 40));
    assert_eq!(in_counts(&ss, 1), (7, 7 * (60 + MSS as u64)));
}

/// The kernel refuses the offload: each refused run goes out segment by
/// segment, billed per segment; GRO stays on through fewer than
/// `REFUSALS_BEFORE_OFF` refusals in a row (one subscriber's odd run must
/// not turn it off for all), and is off after that many.
#[test]
fn a_refused_offload_falls_back_to_per_packet_writes() {
    let (tun, mut ss, mut stats) = (Rec::default(), sessions(), Stats::default());
    tun.refuse_gso.set(true);
    let mut up = UpGro::new(true);
    let runs = REFUSALS_BEFORE_OFF;
    let a: Vec<(u16, Vec<u8>)> = (0..2 * runs + 1)
        .map(|k| (1, nth(false, A, 40000, k, ACK)))
        .collect();
    for r in 0..runs as usize {
        assert!(up.active(), "GRO off after {r} refusals");
        batch(&mut up, &tun, &mut ss, &mut stats, &a[2 * r..2 * r + 2]);
    }
    assert!(!up.active());
    batch(&mut up, &tun, &mut ss, &mut stats, &a[2 * runs as usize..]);
    let w = tun.writes.borrow();
    assert!(w.iter().all(|(h, _)| !h), "bare writes only");
    let got: Vec<Vec<u8>> = w.iter().map(|(_, b)| b.clone()).collect();
    let want: Vec<Vec<u8>> = a.iter().map(|(_, p)| p.clone()).collect();
    assert_eq!(got, want);
    let n = a.len() as u64;
    assert_eq!(in_counts(&ss, 1), (n, n * (40 + MSS as u64)));
    assert_eq!((stats.tun_gro, stats.tun_errors), (0, 0));
}

/// A refusal followed by a super-packet the kernel takes: the count starts
/// over, GRO stays on.
#[test]
fn a_taken_super_packet_resets_the_refusals() {
    let (tun, mut ss, mut stats) = (Rec::default(), sessions(), Stats::default());
    let mut up = UpGro::new(true);
    let a: Vec<(u16, Vec<u8>)> = (0..40).map(|k| (1, nth(false, A, 40000, k, ACK))).collect();
    for r in 0..20 {
        tun.refuse_gso.set(r % 2 == 0);
        batch(&mut up, &tun, &mut ss, &mut stats, &a[2 * r..2 * r + 2]);
    }
    assert!(up.active());
    assert_eq!(stats.tun_gro, 10);
    assert_eq!(in_counts(&ss, 1).0, 40);
}

/// A write that fails: every segment of it counts as a TUN error and
/// nothing is billed. Without offloads every packet goes bare.
#[test]
fn failed_writes_are_counted_not_billed_and_no_vnet_means_bare() {
    let (tun, mut ss, mut stats) = (Rec::default(), sessions(), Stats::default());
    tun.broken.set(true);
    let mut up = UpGro::new(true);
    let a: Vec<(u16, Vec<u8>)> = (0..3).map(|k| (1, nth(false, A, 40000, k, ACK))).collect();
    batch(&mut up, &tun, &mut ss, &mut stats, &a);
    assert_eq!(stats.tun_errors, 3);
    assert_eq!(in_counts(&ss, 1), (0, 0));
    assert!(up.active(), "an I/O error is no refusal of the offload");

    let (tun, mut ss, mut stats) = (Rec::default(), sessions(), Stats::default());
    let mut up = UpGro::new(false);
    batch(&mut up, &tun, &mut ss, &mut stats, &a);
    assert_eq!(tun.writes.borrow().len(), 3);
    assert!(tun.writes.borrow().iter().all(|(h, _)| !h));
    assert_eq!(in_counts(&ss, 1).0, 3);
}
