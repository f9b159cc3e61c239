use super::*;
use ndp_proto::wire::{Pref64, Pref64Length, RouterAdvertisement};

const ISP: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);
const US: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 2);

/// The IPv6 packet of an RA from the ISP carrying `options`.
fn ra_packet(options: Vec<NdpOption>, hop_limit: u8) -> Vec<u8> {
    let ra = NdpMessage::RouterAdvertisement(RouterAdvertisement {
        cur_hop_limit: 64,
        flags: 0,
        router_lifetime: 1800,
        reachable_time: 0,
        retrans_timer: 0,
        options,
    });
    let icmp = ra.to_vec(ISP, US);
    let mut p = vec![0x60, 0, 0, 0];
    p.extend_from_slice(&(icmp.len() as u16).to_be_bytes());
    p.extend_from_slice(&[58, hop_limit]);
    p.extend_from_slice(&ISP.octets());
    p.extend_from_slice(&US.octets());
    p.extend_from_slice(&icmp);
    p
}

fn pref64(prefix: &str, len: Pref64Length, secs: u64) -> NdpOption {
    NdpOption::Pref64(Pref64::new(
        prefix.parse().unwrap(),
        len,
        Duration::from_secs(secs),
    ))
}

#[test]
fn pref64_is_read_from_the_isps_ra() {
    let p = ra_packet(vec![pref64("2001:db8:64::", Pref64Length::L96, 1800)], 255);
    let (prefix, life) = pref64_in(&p).unwrap();
    assert_eq!(prefix.to_string(), "2001:db8:64::/96");
    assert_eq!(life, StdDuration::from_secs(1800));
    let p = ra_packet(vec![pref64("2001:db8:6400::", Pref64Length::L48, 600)], 255);
    assert_eq!(pref64_in(&p).unwrap().0.to_string(), "2001:db8:6400::/48");
    // Not from a neighbour (hop limit), no PREF64, a broken checksum, a
    // truncated packet, not an RA: nothing.
    assert!(
        pref64_in(&ra_packet(
            vec![pref64("64:ff9b::", Pref64Length::L96, 60)],
            64
        ))
        .is_none()
    );
    assert!(pref64_in(&ra_packet(vec![], 255)).is_none());
    let mut bad = ra_packet(vec![pref64("64:ff9b::", Pref64Length::L96, 60)], 255);
    bad[43] ^= 1;
    assert!(pref64_in(&bad).is_none());
    let good = ra_packet(vec![pref64("64:ff9b::", Pref64Length::L96, 60)], 255);
    for n in 0..good.len() {
        let _ = pref64_in(&good[..n]);
    }
    let mut echo = good.clone();
    echo[40] = 128;
    assert!(pref64_in(&echo).is_none());
}

#[test]
fn the_configured_prefix_wins_then_pref64() {
    let wkp = Nat64Prefix::WELL_KNOWN;
    let isp = Nat64Prefix::new("2001:db8:64::".parse().unwrap(), 96).unwrap();
    let mut l = Nat64Learner::new(None, [1; 32]);
    assert_eq!(l.current(), None);
    assert!(l.status_text().contains("no PREF64"));
    l.on_pref64(isp, StdDuration::from_secs(600));
    assert_eq!(l.current(), Some((isp, Nat64Source::Pref64)));
    assert_eq!(
        l.status_text(),
        "nat64 source: PREF64 in the ISP's RA (2001:db8:64::/96)\n"
    );
    // Lifetime 0 withdraws it.
    l.on_pref64(isp, StdDuration::ZERO);
    assert_eq!(l.current(), None);
    let mut l = Nat64Learner::new(Some((wkp.addr(), 96)), [1; 32]);
    l.on_pref64(isp, StdDuration::from_secs(600));
    assert_eq!(l.current(), Some((wkp, Nat64Source::Config)));
}
