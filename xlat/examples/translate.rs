//! An IPv4 UDP packet translated to IPv6 in place (RFC 7915 with the RFC 6052
//! well-known prefix) and back again in the same buffer.

use sansio_primitives::{SeededRng, checksum};
use xlat::{HEADROOM, Nat64Prefix, Siit, SiitConfig, XlatOutput};

fn main() {
    let mut siit = Siit::new(
        SiitConfig::new(Some(Nat64Prefix::WELL_KNOWN)),
        SeededRng::from_u64(1),
    )
    .unwrap();

    // An IPv4 UDP packet 198.51.100.7:53 -> 192.0.2.1:40000, behind HEADROOM.
    let mut v4 = vec![
        0x45, 0, 0, 32, 0, 1, 0x40, 0, 64, 17, 0, 0, 198, 51, 100, 7, 192, 0, 2, 1, 0, 53, 0x9c,
        0x40, 0, 12, 0, 0, b'p', b'i', b'n', b'g',
    ];
    let c = checksum::checksum(&v4[..20]);
    v4[10..12].copy_from_slice(&c.to_be_bytes());
    let ph = checksum::pseudo_header_v4([198, 51, 100, 7], [192, 0, 2, 1], 17, 12);
    let c = checksum::finish(checksum::add(ph, checksum::sum(&v4[20..])));
    v4[26..28].copy_from_slice(&c.to_be_bytes());

    // Twice the headroom: the result is translated back in the same buffer.
    let mut buf = vec![0; 2 * HEADROOM + v4.len()];
    buf[2 * HEADROOM..].copy_from_slice(&v4);
    let out = siit.translate(&mut buf, 2 * HEADROOM, v4.len()).unwrap();
    let XlatOutput::Translated { start, len } = out else {
        panic!()
    };
    assert_eq!(len, 40 + 12);
    let v6 = &buf[start..start + len];
    assert_eq!(v6[0] >> 4, 6);
    assert_eq!(
        &v6[8..24],
        &"64:ff9b::198.51.100.7"
            .parse::<std::net::Ipv6Addr>()
            .unwrap()
            .octets()
    );

    // And back: the same bytes as before (TTL one lower each way).
    let out = siit.translate(&mut buf, start, len).unwrap();
    let back = &buf[out.range()];
    assert_eq!(&back[12..], &v4[12..]);
    assert_eq!(back[8], 62);
    assert!(checksum::verify(&back[..20]));
    println!(
        "4 -> 6 -> 4: {} bytes of IPv6, {} bytes of IPv4 again",
        len,
        back.len()
    );
}
