//! Golden bytes: a Router Advertisement captured from radvd 2.19 (Debian
//! bookworm) with tcpdump, configuration in `golden/radvd.conf`: two
//! Prefix Information options, Route Information, RDNSS, DNSSL, MTU and the
//! source link-layer address. The fixture is the whole IPv6 packet.

use std::net::Ipv6Addr;

use ndp_proto::wire::{DomainName, NdpMessage, NdpOption, PrefixInformation, RouterPreference};

const RADVD_RA: &[u8] = include_bytes!("golden/radvd_ra.ipv6");

fn split(packet: &[u8]) -> (u8, Ipv6Addr, Ipv6Addr, &[u8]) {
    let src: [u8; 16] = packet[8..24].try_into().unwrap();
    let dst: [u8; 16] = packet[24..40].try_into().unwrap();
    (packet[7], src.into(), dst.into(), &packet[40..])
}

#[test]
fn radvd_ra_parses_field_by_field_and_re_emits_identical_bytes() {
    let (hop_limit, src, dst, icmp) = split(RADVD_RA);
    assert_eq!(hop_limit, 255);
    assert_eq!(dst, "ff02::1".parse::<Ipv6Addr>().unwrap());
    let NdpMessage::RouterAdvertisement(ra) = NdpMessage::parse(icmp, src, dst).unwrap() else {
        panic!("not an RA")
    };
    assert_eq!(ra.cur_hop_limit, 64);
    assert_eq!(ra.flags, 0x40); // O
    assert_eq!(ra.router_lifetime, 12); // 3 × MaxRtrAdvInterval
    assert_eq!(ra.preference(), RouterPreference::Medium);
    let o = &ra.options;
    assert_eq!(o.len(), 7);
    assert_eq!(
        o[0],
        NdpOption::PrefixInformation(PrefixInformation::slaac(
            "2001:db8:1:2::".parse().unwrap(),
            64,
            5400,
            2700
        ))
    );
    let NdpOption::PrefixInformation(p2) = &o[1] else {
        panic!()
    };
    assert!(p2.on_link() && !p2.autonomous());
    assert_eq!((p2.valid_lifetime, p2.preferred_lifetime), (86400, 14400));
    let NdpOption::RouteInformation(r) = &o[2] else {
        panic!()
    };
    assert_eq!(r.prefix, "2001:db8:ff00::".parse::<Ipv6Addr>().unwrap());
    assert_eq!((r.prefix_length, r.route_lifetime, r.length), (40, 1800, 3));
    assert_eq!(r.preference(), RouterPreference::High);
    let NdpOption::Rdnss(d) = &o[3] else { panic!() };
    assert_eq!(d.lifetime, 1200);
    assert_eq!(
        d.servers,
        vec![
            "2001:db8:1:2::53".parse::<Ipv6Addr>().unwrap(),
            "2001:db8:1:2::54".parse().unwrap()
        ]
    );
    let NdpOption::Dnssl(s) = &o[4] else { panic!() };
    assert_eq!(s.lifetime, 1200);
    assert_eq!(
        s.domains,
        vec![
            DomainName::from_dotted("home.arpa").unwrap(),
            DomainName::from_dotted("example.com").unwrap()
        ]
    );
    assert_eq!(s.extra_padding, 0);
    assert!(matches!(o[5], NdpOption::Mtu(m) if m.mtu == 1492));
    assert_eq!(o[6].ethernet(), Some([2, 0, 0, 0, 0x0a, 1]));

    let msg = NdpMessage::RouterAdvertisement(ra);
    assert_eq!(msg.buffer_len(), icmp.len());
    assert_eq!(msg.to_vec(src, dst), icmp);
}

#[test]
fn a_flipped_bit_fails_the_checksum() {
    let (_, src, dst, icmp) = split(RADVD_RA);
    let mut bad = icmp.to_vec();
    bad[7] ^= 1; // router lifetime
    assert_eq!(
        NdpMessage::parse(&bad, src, dst),
        Err(ndp_proto::NdpWireError::BadChecksum)
    );
    // The checksum covers the pseudo-header: another source fails too.
    assert_eq!(
        NdpMessage::parse(icmp, "fe80::99".parse().unwrap(), dst),
        Err(ndp_proto::NdpWireError::BadChecksum)
    );
}
