//! Codec tests: every error path named, proptest round-trips of every
//! message and option type.

use std::net::Ipv6Addr;

use ndp_proto::NdpWireError;
use ndp_proto::wire::{
    Dnssl, DomainName, Mtu, NdpMessage, NdpOption, NeighborAdvertisement, NeighborSolicitation,
    Pref64, Pref64Length, PrefixInformation, Rdnss, Redirect, RouteInformation,
    RouterAdvertisement, RouterPreference, RouterSolicitation, icmpv6_checksum,
};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

const SRC: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);
const DST: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);

/// An RS with the given option bytes, checksum filled.
fn rs_with(options: &[u8]) -> Vec<u8> {
    let mut m = vec![133, 0, 0, 0, 0, 0, 0, 0];
    m.extend_from_slice(options);
    let c = icmpv6_checksum(&m, SRC, DST);
    m[2..4].copy_from_slice(&c.to_be_bytes());
    m
}

#[test]
fn option_length_zero_is_an_error() {
    let m = rs_with(&[1, 0, 2, 0, 0, 0, 0, 1]);
    assert_eq!(
        NdpMessage::parse(&m, SRC, DST),
        Err(NdpWireError::BadLength {
            field: "option length",
            len: 0
        })
    );
}

#[test]
fn malformed_inputs_name_the_field() {
    let cases: &[(&[u8], NdpWireError)] = &[
        (
            &[1, 2, 0, 0, 0, 0, 0, 0],
            NdpWireError::Truncated {
                field: "option body",
            },
        ),
        (
            &[1],
            NdpWireError::Truncated {
                field: "option length",
            },
        ),
        // RDNSS of even length.
        (
            &[25, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0],
            NdpWireError::BadLength {
                field: "RDNSS",
                len: 2,
            },
        ),
        // MTU of length 2.
        (
            &[5, 2, 0, 0, 0, 0, 5, 0xdc, 0, 0, 0, 0, 0, 0, 0, 0],
            NdpWireError::BadLength {
                field: "MTU",
                len: 2,
            },
        ),
        // PREF64 with prefix-length codes 6 and 7.
        (
            &[38, 2, 0, 6, 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0],
            NdpWireError::BadValue {
                field: "PREF64 prefix length code",
            },
        ),
        (
            &[38, 2, 0, 7, 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0],
            NdpWireError::BadValue {
                field: "PREF64 prefix length code",
            },
        ),
        // Route Information /65 in length 2.
        (
            &[24, 2, 65, 0, 0, 0, 0, 0, 0x20, 1, 0xd, 0xb8, 0, 0, 0, 0],
            NdpWireError::BadLength {
                field: "Route Information",
                len: 2,
            },
        ),
        // Route Information with a prefix length over 128.
        (
            &[
                24, 3, 129, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            ],
            NdpWireError::BadValue {
                field: "Route Information prefix length",
            },
        ),
        // DNSSL with garbage after the padding started.
        (
            &[31, 2, 0, 0, 0, 0, 0, 1, 1, b'a', 0, 0, 0, 9, 0, 0],
            NdpWireError::BadValue {
                field: "DNSSL padding",
            },
        ),
        // DNSSL with a compression pointer.
        (
            &[31, 2, 0, 0, 0, 0, 0, 1, 0xc0, 12, 0, 0, 0, 0, 0, 0],
            NdpWireError::BadValue {
                field: "DNSSL label length",
            },
        ),
    ];
    for (opts, want) in cases {
        assert_eq!(
            NdpMessage::parse(&rs_with(opts), SRC, DST),
            Err(*want),
            "{opts:?}"
        );
    }
    assert_eq!(
        NdpMessage::parse(&[128, 0, 0, 0], SRC, DST),
        Err(NdpWireError::NotNdp { icmp_type: 128 })
    );
    let mut code1 = rs_with(&[]);
    code1[1] = 1;
    assert_eq!(
        NdpMessage::parse(&code1, SRC, DST),
        Err(NdpWireError::BadValue {
            field: "ICMPv6 code"
        })
    );
    assert_eq!(
        NdpMessage::parse(&[134, 0, 0, 0, 64], SRC, DST),
        Err(NdpWireError::Truncated { field: "RA flags" })
    );
}

#[test]
fn every_pref64_code_round_trips_and_the_lifetime_is_scaled() {
    for code in 0..6u8 {
        let l = Pref64Length::from_code(code).unwrap();
        let p = Pref64::new(
            "64:ff9b::".parse().unwrap(),
            l,
            std::time::Duration::from_secs(1801),
        );
        assert_eq!(p.scaled_lifetime, 226); // 1801 / 8 rounded up
        assert_eq!(p.lifetime().as_secs(), 1808);
        let o = NdpOption::Pref64(p);
        let bytes = o.to_vec();
        assert_eq!(bytes[3] & 7, code);
        assert_eq!(NdpOption::parse(&bytes).unwrap(), o);
        assert_eq!(Pref64Length::from_bits(l.bits()), Some(l));
    }
    let long = Pref64::new(
        "64:ff9b::".parse().unwrap(),
        Pref64Length::L96,
        std::time::Duration::from_secs(1 << 20),
    );
    assert_eq!(long.scaled_lifetime, 8191);
    // RFC 8781 §4 example layout: 64:ff9b::/96, lifetime 600 s (75 units).
    let ex = NdpOption::Pref64(Pref64::new(
        "64:ff9b::".parse().unwrap(),
        Pref64Length::L96,
        std::time::Duration::from_secs(600),
    ));
    assert_eq!(
        ex.to_vec(),
        [
            38, 2, 0x02, 0x58, 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0
        ]
    );
}

#[test]
fn unknown_options_and_captive_portal_round_trip() {
    let uri = b"https://portal.example/api";
    let cp = NdpOption::captive_portal(uri);
    assert_eq!(cp.buffer_len() % 8, 0);
    assert_eq!(
        NdpOption::parse(&cp.to_vec()).unwrap().captive_portal_uri(),
        Some(&uri[..])
    );
    let unknown = [200, 1, 1, 2, 3, 4, 5, 6];
    assert_eq!(
        NdpOption::parse(&unknown).unwrap(),
        NdpOption::Unknown(200, vec![1, 2, 3, 4, 5, 6])
    );
    assert_eq!(NdpOption::parse(&unknown).unwrap().to_vec(), unknown);
}

#[test]
fn emit_refuses_a_short_buffer_and_unrepresentable_values() {
    let m = NdpMessage::RouterSolicitation(RouterSolicitation::default());
    assert_eq!(
        m.emit(&mut [0; 7], SRC, DST),
        Err(NdpWireError::BufferTooShort)
    );
    let root = NdpOption::Dnssl(Dnssl {
        reserved: 0,
        lifetime: 1,
        domains: vec![DomainName::from_dotted(".").unwrap()],
        extra_padding: 0,
    });
    assert_eq!(
        root.emit(&mut [0; 64]),
        Err(NdpWireError::BadValue {
            field: "DNSSL domain name"
        })
    );
    let empty = NdpOption::Rdnss(Rdnss {
        reserved: 0,
        lifetime: 1,
        servers: vec![],
    });
    assert!(empty.emit(&mut [0; 64]).is_err());
}

fn addr() -> impl Strategy<Value = Ipv6Addr> {
    any::<u128>().prop_map(Ipv6Addr::from)
}

/// A body whose length plus the two header octets is a multiple of 8.
fn body() -> impl Strategy<Value = Vec<u8>> {
    (0usize..6).prop_flat_map(|units| proptest::collection::vec(any::<u8>(), units * 8 + 6))
}

fn domain() -> impl Strategy<Value = DomainName> {
    proptest::collection::vec("[a-z0-9-]{1,12}", 1..4)
        .prop_map(|labels| DomainName::from_dotted(&labels.join(".")).unwrap())
}

fn option() -> impl Strategy<Value = NdpOption> {
    prop_oneof![
        body().prop_map(NdpOption::SourceLinkLayerAddress),
        body().prop_map(NdpOption::TargetLinkLayerAddress),
        body().prop_map(NdpOption::RedirectedHeader),
        body().prop_map(NdpOption::Nonce),
        body().prop_map(NdpOption::CaptivePortal),
        (
            any::<u8>().prop_filter("unknown", |t| ![1, 2, 3, 4, 5, 14, 24, 25, 31, 37, 38]
                .contains(t)),
            body()
        )
            .prop_map(|(t, b)| NdpOption::Unknown(t, b)),
        (
            0u8..=128,
            any::<u8>(),
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            addr()
        )
            .prop_map(
                |(prefix_length, flags, valid_lifetime, preferred_lifetime, reserved2, prefix)| {
                    NdpOption::PrefixInformation(PrefixInformation {
                        prefix_length,
                        flags,
                        valid_lifetime,
                        preferred_lifetime,
                        reserved2,
                        prefix,
                    })
                }
            ),
        (any::<u16>(), any::<u32>())
            .prop_map(|(reserved, mtu)| NdpOption::Mtu(Mtu { reserved, mtu })),
        (0u8..=128, any::<u8>(), any::<u32>(), addr(), 0u8..3).prop_map(
            |(plen, flags, life, p, extra)| {
                let mut r = RouteInformation::new(p, plen, RouterPreference::Low, life);
                r.flags = flags;
                r.length = (r.length + extra).min(3);
                // Octets past those carried are zero on parse.
                let carried = (usize::from(r.length) - 1) * 8;
                let mut o = r.prefix.octets();
                o[carried..].fill(0);
                r.prefix = o.into();
                NdpOption::RouteInformation(r)
            }
        ),
        (
            any::<u16>(),
            any::<u32>(),
            proptest::collection::vec(addr(), 1..5)
        )
            .prop_map(|(reserved, lifetime, servers)| NdpOption::Rdnss(Rdnss {
                reserved,
                lifetime,
                servers
            })),
        (
            any::<u16>(),
            any::<u32>(),
            proptest::collection::vec(domain(), 0..4),
            0u8..3
        )
            .prop_map(|(reserved, lifetime, domains, extra_padding)| {
                NdpOption::Dnssl(Dnssl {
                    reserved,
                    lifetime,
                    domains,
                    extra_padding,
                })
            }),
        (0u16..=8191, 0u8..6, any::<[u8; 12]>()).prop_map(|(scaled_lifetime, code, prefix)| {
            NdpOption::Pref64(Pref64 {
                scaled_lifetime,
                length: Pref64Length::from_code(code).unwrap(),
                prefix,
            })
        }),
    ]
}

fn message() -> impl Strategy<Value = NdpMessage> {
    let opts = || proptest::collection::vec(option(), 0..6);
    prop_oneof![
        (any::<u32>(), opts()).prop_map(|(reserved, options)| {
            NdpMessage::RouterSolicitation(RouterSolicitation { reserved, options })
        }),
        (
            any::<u8>(),
            any::<u8>(),
            any::<u16>(),
            any::<u32>(),
            any::<u32>(),
            opts()
        )
            .prop_map(
                |(
                    cur_hop_limit,
                    flags,
                    router_lifetime,
                    reachable_time,
                    retrans_timer,
                    options,
                )| {
                    NdpMessage::RouterAdvertisement(RouterAdvertisement {
                        cur_hop_limit,
                        flags,
                        router_lifetime,
                        reachable_time,
                        retrans_timer,
                        options,
                    })
                }
            ),
        (any::<u32>(), addr(), opts()).prop_map(|(reserved, target, options)| {
            NdpMessage::NeighborSolicitation(NeighborSolicitation {
                reserved,
                target,
                options,
            })
        }),
        (any::<u32>(), addr(), opts()).prop_map(|(flags, target, options)| {
            NdpMessage::NeighborAdvertisement(NeighborAdvertisement {
                flags,
                target,
                options,
            })
        }),
        (any::<u32>(), addr(), addr(), opts()).prop_map(
            |(reserved, target, destination, options)| {
                NdpMessage::Redirect(Redirect {
                    reserved,
                    target,
                    destination,
                    options,
                })
            }
        ),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(0x4e44_5000),
        ..ProptestConfig::default()
    })]

    #[test]
    fn messages_round_trip(m in message(), src in addr(), dst in addr()) {
        let bytes = m.to_vec(src, dst);
        prop_assert_eq!(bytes.len(), m.buffer_len());
        let back = NdpMessage::parse(&bytes, src, dst).unwrap();
        prop_assert_eq!(&back, &m);
        prop_assert_eq!(back.to_vec(src, dst), bytes);
    }

    #[test]
    fn options_round_trip(o in option()) {
        let bytes = o.to_vec();
        prop_assert_eq!(bytes.len(), o.buffer_len());
        prop_assert_eq!(NdpOption::parse(&bytes).unwrap(), o);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut d = data;
        if d.len() >= 4 {
            d[0] = 133 + d[0] % 5;
            d[1] = 0;
            let c = icmpv6_checksum(&d, SRC, DST);
            d[2..4].copy_from_slice(&c.to_be_bytes());
        }
        if let Ok(m) = NdpMessage::parse(&d, SRC, DST) {
            prop_assert_eq!(m.to_vec(SRC, DST), d);
        }
    }
}
