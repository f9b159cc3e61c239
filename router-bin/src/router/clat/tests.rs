use super::*;

fn lan() -> LanAddr {
    LanAddr {
        address: Ipv4Addr::new(198, 51, 100, 1),
        prefix_len: 24,
    }
}

fn inputs() -> ClatInputs {
    ClatInputs {
        delegated: ("2001:db8:100::".parse().unwrap(), 56),
        plat: Nat64Prefix::WELL_KNOWN,
        wan_mtu: 1492,
    }
}

/// The LAN's IPv4 subnet goes into the first /96 of the last /64 of the
/// delegation; IPv4 destinations into the PLAT's prefix.
#[test]
fn the_plan_takes_the_last_64_of_the_delegation() {
    let p = plan(&ClatConfig::default(), lan(), &inputs()).unwrap();
    assert_eq!(
        p.prefix.addr(),
        "2001:db8:100:ff::".parse::<Ipv6Addr>().unwrap()
    );
    assert_eq!(p.lan, (Ipv4Addr::new(198, 51, 100, 0), 24));
    assert_eq!(
        p.source_v6(Ipv4Addr::new(198, 51, 100, 100)),
        Some("2001:db8:100:ff::c633:6464".parse().unwrap())
    );
    let cfg = ClatConfig {
        subnet: Some(2),
        ..ClatConfig::default()
    };
    let p = plan(&cfg, lan(), &inputs()).unwrap();
    assert_eq!(
        p.prefix.addr(),
        "2001:db8:100:2::".parse::<Ipv6Addr>().unwrap()
    );
    // A /64 delegation has one /64 only: subnet 2 does not fit.
    let mut i = inputs();
    i.delegated.1 = 64;
    assert!(plan(&cfg, lan(), &i).unwrap_err().contains("does not fit"));
}

/// A LAN host's ICMPv4 echo leaves as ICMPv6 from its CLAT address to the
/// server's NAT64 address, and the reply comes back as IPv4 to the host.
#[test]
fn the_translator_does_the_plan_both_ways() {
    let p = plan(&ClatConfig::default(), lan(), &inputs()).unwrap();
    let mut siit = Siit::new(p.siit_config().unwrap(), SeededRng::from_seed([7; 32])).unwrap();
    let host = [198, 51, 100, 100];
    let server = [203, 0, 113, 80];
    let mut v4 = vec![0x45, 0, 0, 28, 0, 1, 0, 0, 64, 1, 0, 0];
    v4.extend_from_slice(&host);
    v4.extend_from_slice(&server);
    v4.extend_from_slice(&[8, 0, 0, 0, 0x12, 0x34, 0, 1]);
    let c = sansio_primitives::checksum::checksum(&v4[..20]);
    v4[10..12].copy_from_slice(&c.to_be_bytes());
    let c = sansio_primitives::checksum::checksum(&v4[20..]);
    v4[22..24].copy_from_slice(&c.to_be_bytes());
    let mut buf = vec![0u8; HEADROOM + 200];
    buf[HEADROOM..HEADROOM + v4.len()].copy_from_slice(&v4);
    let out = siit.translate(&mut buf, HEADROOM, v4.len()).unwrap();
    let v6 = buf[out.range()].to_vec();
    assert_eq!(v6[0] >> 4, 6);
    assert_eq!(v6[6], 58, "ICMPv6");
    let src = Ipv6Addr::from(<[u8; 16]>::try_from(&v6[8..24]).unwrap());
    let dst = Ipv6Addr::from(<[u8; 16]>::try_from(&v6[24..40]).unwrap());
    assert_eq!(
        src,
        "2001:db8:100:ff::c633:6464".parse::<Ipv6Addr>().unwrap()
    );
    assert_eq!(dst, "64:ff9b::cb00:7150".parse::<Ipv6Addr>().unwrap());
    // The echo reply, as the NAT64 sends it back.
    let mut reply = v6.clone();
    reply[8..24].copy_from_slice(&dst.octets());
    reply[24..40].copy_from_slice(&src.octets());
    reply[40] = 129;
    let ck = u16::from_be_bytes([reply[42], reply[43]]);
    let ck = sansio_primitives::checksum::update(ck, 0x8000, 0x8100);
    reply[42..44].copy_from_slice(&ck.to_be_bytes());
    let mut buf = vec![0u8; HEADROOM + 200];
    buf[HEADROOM..HEADROOM + reply.len()].copy_from_slice(&reply);
    let out = siit.translate(&mut buf, HEADROOM, reply.len()).unwrap();
    let back = &buf[out.range()];
    assert_eq!(back[0] >> 4, 4);
    assert_eq!(&back[12..16], &server);
    assert_eq!(&back[16..20], &host);
    assert_eq!(siit.counters().translated_4to6, 1);
    assert_eq!(siit.counters().translated_6to4, 1);
}
