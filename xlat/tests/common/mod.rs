//! Hand-built packets for the translator's tests: every checksum computed
//! in full, so a translated packet compared byte for byte with one of these
//! also checks the translator's incremental checksum updates.
#![allow(dead_code)]

use sansio_primitives::checksum;
use xlat::{HEADROOM, Siit, SiitConfig, XlatDropped, XlatOutput};

pub const UDP: u8 = 17;
pub const TCP: u8 = 6;
pub const ICMP: u8 = 1;
pub const ICMPV6: u8 = 58;

/// The tests' pool6, 2001:db8:64::/96. Not the Well-Known Prefix: that one
/// is checksum-neutral (RFC 6052 §2.1), so a translator that forgot to
/// update the transport checksums would pass with it.
pub const POOL6: [u8; 12] = [0x20, 0x01, 0x0d, 0xb8, 0, 0x64, 0, 0, 0, 0, 0, 0];

/// The IPv6-side host, 2001:db8:64::192.0.2.1.
pub const H6: [u8; 16] = wkp([192, 0, 2, 1]);
pub const H6_V4: [u8; 4] = [192, 0, 2, 1];
/// The IPv4-side server 198.51.100.7.
pub const S4: [u8; 4] = [198, 51, 100, 7];
pub const S4_V6: [u8; 16] = wkp([198, 51, 100, 7]);

pub const fn wkp(a: [u8; 4]) -> [u8; 16] {
    let p = POOL6;
    [
        p[0], p[1], p[2], p[3], p[4], p[5], 0, 0, 0, 0, 0, 0, a[0], a[1], a[2], a[3],
    ]
}

pub fn pool6() -> xlat::Nat64Prefix {
    xlat::Nat64Prefix::new(std::net::Ipv6Addr::from(wkp([0; 4])), 96).unwrap()
}

pub fn siit() -> Siit {
    Siit::new(
        SiitConfig::new(Some(pool6())),
        sansio_primitives::SeededRng::from_u64(1),
    )
    .unwrap()
}

pub fn siit_with(f: impl FnOnce(&mut SiitConfig)) -> Siit {
    let mut c = SiitConfig::new(Some(pool6()));
    f(&mut c);
    Siit::new(c, sansio_primitives::SeededRng::from_u64(1)).unwrap()
}

/// Runs `pkt` through the translator with exactly [`HEADROOM`] in front
/// and returns the output's bytes.
pub fn run(x: &mut Siit, pkt: &[u8]) -> Result<(XlatOutput, Vec<u8>), XlatDropped> {
    let mut buf = vec![0xee; HEADROOM + pkt.len()];
    buf[HEADROOM..].copy_from_slice(pkt);
    let out = x.translate(&mut buf, HEADROOM, pkt.len())?;
    let r = out.range();
    assert!(r.start + HEADROOM >= HEADROOM && r.end <= buf.len());
    Ok((out, buf[r].to_vec()))
}

/// Like [`run`], expecting a translation.
pub fn translated(x: &mut Siit, pkt: &[u8]) -> Vec<u8> {
    match run(x, pkt) {
        Ok((XlatOutput::Translated { .. }, b)) => b,
        other => panic!("expected a translation, got {other:?}"),
    }
}

/// Like [`run`], expecting an ICMP error back.
pub fn icmp_error(x: &mut Siit, pkt: &[u8]) -> Vec<u8> {
    match run(x, pkt) {
        Ok((XlatOutput::IcmpError { .. }, b)) => b,
        other => panic!("expected an ICMP error, got {other:?}"),
    }
}

pub fn set16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_be_bytes());
}

/// An IPv4 packet (RFC 791); `flags_offset` is the 16-bit flags+offset word.
#[allow(clippy::too_many_arguments)]
pub fn ipv4(
    tos: u8,
    id: u16,
    flags_offset: u16,
    ttl: u8,
    protocol: u8,
    src: [u8; 4],
    dst: [u8; 4],
    options: &[u8],
    payload: &[u8],
) -> Vec<u8> {
    assert_eq!(options.len() % 4, 0);
    let ihl = 20 + options.len();
    let mut p = vec![0u8; ihl];
    p[0] = 0x40 | (ihl / 4) as u8;
    p[1] = tos;
    set16(&mut p, 2, (ihl + payload.len()) as u16);
    set16(&mut p, 4, id);
    set16(&mut p, 6, flags_offset);
    p[8] = ttl;
    p[9] = protocol;
    p[12..16].copy_from_slice(&src);
    p[16..20].copy_from_slice(&dst);
    p[20..].copy_from_slice(options);
    let c = checksum::checksum(&p);
    set16(&mut p, 10, c);
    p.extend_from_slice(payload);
    p
}

/// An IPv6 packet (RFC 8200); `ext` are extension headers, `first_nh`
/// the Next Header of the fixed header.
pub fn ipv6(
    tc: u8,
    first_nh: u8,
    hop: u8,
    src: [u8; 16],
    dst: [u8; 16],
    ext: &[u8],
    payload: &[u8],
) -> Vec<u8> {
    let mut p = vec![0u8; 40];
    p[0] = 0x60 | tc >> 4;
    p[1] = tc << 4;
    set16(&mut p, 4, (ext.len() + payload.len()) as u16);
    p[6] = first_nh;
    p[7] = hop;
    p[8..24].copy_from_slice(&src);
    p[24..40].copy_from_slice(&dst);
    p.extend_from_slice(ext);
    p.extend_from_slice(payload);
    p
}

/// The pseudo-header sum for either family.
pub enum Pseudo {
    V4([u8; 4], [u8; 4]),
    V6([u8; 16], [u8; 16]),
    None,
}

impl Pseudo {
    fn sum(&self, proto: u8, len: usize) -> u16 {
        match *self {
            Pseudo::V4(s, d) => checksum::pseudo_header_v4(s, d, proto, len as u16),
            Pseudo::V6(s, d) => checksum::pseudo_header_v6(s, d, proto, len as u32),
            Pseudo::None => 0,
        }
    }
}

fn finish_l4(mut seg: Vec<u8>, at: usize, proto: u8, ph: &Pseudo) -> Vec<u8> {
    let mut c = checksum::finish(checksum::add(ph.sum(proto, seg.len()), checksum::sum(&seg)));
    if proto == UDP && c == 0 {
        c = 0xffff;
    }
    set16(&mut seg, at, c);
    seg
}

pub fn udp(ph: Pseudo, sport: u16, dport: u16, data: &[u8]) -> Vec<u8> {
    let mut s = vec![0u8; 8];
    set16(&mut s, 0, sport);
    set16(&mut s, 2, dport);
    set16(&mut s, 4, (8 + data.len()) as u16);
    s.extend_from_slice(data);
    finish_l4(s, 6, UDP, &ph)
}

pub fn tcp(ph: Pseudo, sport: u16, dport: u16, seq: u32, data: &[u8]) -> Vec<u8> {
    let mut s = vec![0u8; 20];
    set16(&mut s, 0, sport);
    set16(&mut s, 2, dport);
    s[4..8].copy_from_slice(&seq.to_be_bytes());
    s[12] = 0x50;
    s[13] = 0x18; // PSH, ACK
    set16(&mut s, 14, 64240);
    s.extend_from_slice(data);
    finish_l4(s, 16, TCP, &ph)
}

/// An ICMP (Pseudo::None) or ICMPv6 (Pseudo::V6) message.
pub fn icmp(ph: Pseudo, typ: u8, code: u8, rest: u32, data: &[u8]) -> Vec<u8> {
    let mut s = vec![typ, code, 0, 0];
    s.extend_from_slice(&rest.to_be_bytes());
    s.extend_from_slice(data);
    let proto = if matches!(ph, Pseudo::V6(..)) {
        ICMPV6
    } else {
        ICMP
    };
    finish_l4(s, 2, proto, &ph)
}

pub fn data(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + 3) as u8).collect()
}
