//! Codec tests: hand-checked bytes from RFC 8415's formats, every malformed
//! case the issue names, proptest round-trips both ways.

use std::net::Ipv6Addr;

use dhcpv6_proto::auth::ReconfigureKey;
use dhcpv6_proto::wire::{
    Authentication, ClientMessage, Dhcpv6Option, DomainName, Duid, Error, IaAddr, IaNa, IaPd,
    IaPrefix, Message, MessageType, NtpSuboption, PdExclude, RelayMessage, StatusCode,
};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// A Solicit as RFC 8415 §8/§21 lay it out, checked field by field:
/// Client Identifier DUID-LL (Ethernet), Elapsed Time 0, ORO (DNS, domain
/// list), Rapid Commit, IA_PD IAID 1 with an IAPREFIX hint ::/56.
const SOLICIT: &str = "01 abcdef
    0001 000a 0003 0001 020000000001
    0008 0002 0000
    0006 0004 0017 0018
    000e 0000
    0019 0029 00000001 00000000 00000000
        001a 0019 00000000 00000000 38 00000000000000000000000000000000";

#[test]
fn golden_solicit() {
    let b = hex(SOLICIT);
    let m = ClientMessage::parse(&b).unwrap();
    assert_eq!(m.msg_type, MessageType::Solicit);
    assert_eq!(m.transaction_id, 0xabcdef);
    assert_eq!(m.client_id(), Some(&Duid::ethernet([2, 0, 0, 0, 0, 1])));
    assert_eq!(m.options[2], Dhcpv6Option::Oro(vec![23, 24]));
    assert_eq!(m.options[3], Dhcpv6Option::RapidCommit);
    let pd = m.ia_pds().next().unwrap();
    assert_eq!(pd.iaid, 1);
    let p = pd.prefixes().next().unwrap();
    assert_eq!((p.prefix_len, p.prefix), (56, Ipv6Addr::UNSPECIFIED));
    assert_eq!(m.to_vec(), b);
}

/// A Relay-Forward (§9.1) from a relay with Interface-Id "ppp0", holding the
/// Solicit above, inside a second relay (hop-count 1).
#[test]
fn golden_nested_relay_forward() {
    let solicit = hex(SOLICIT);
    let mut inner = hex(
        "0c 00 20010db8000000000000000000000001 fe800000000000000000000000000002
        0012 0004 70707030",
    );
    inner.extend_from_slice(&[0, 9, 0, solicit.len() as u8]);
    inner.extend_from_slice(&solicit);
    let mut outer = hex("0c 01 00000000000000000000000000000000 fe800000000000000000000000000003");
    outer.extend_from_slice(&[0, 9, 0, inner.len() as u8]);
    outer.extend_from_slice(&inner);
    let m = RelayMessage::parse(&outer).unwrap();
    assert_eq!(m.hop_count, 1);
    let Some(Message::Relay(r)) = m.relayed() else {
        panic!("no inner relay")
    };
    assert_eq!(r.interface_id(), Some(&b"ppp0"[..]));
    assert_eq!(r.link_address, "2001:db8::1".parse::<Ipv6Addr>().unwrap());
    let Some(Message::Client(c)) = r.relayed() else {
        panic!("no relayed solicit")
    };
    assert_eq!(c.msg_type, MessageType::Solicit);
    assert_eq!(Message::Relay(m).to_vec(), outer);
}

/// A Reply with IA_PD (T1 1800, T2 2880) delegating 2001:db8:0:100::/56
/// with a Prefix Exclude of 2001:db8:0:1ff::/64 (RFC 6603), DNS servers,
/// a domain list, NTP server (address and FQDN), AFTR-Name, status.
#[test]
fn golden_reply_with_pd_options() {
    let b = hex("07 000001
        0019 003d 00000001 00000708 00000b40
          001a 002d 00000e10 00001c20 38 20010db8000001000000000000000000
            0043 0002 40 ff
            000d 000a 0000 616c6c20676f6f64
        0017 0010 20010db8000000000000000000000035
        0018 000d 076578616d706c65036e657400
        0038 0029 0001 0010 20010db80000000000000000000000 7b
                  0003 0011 036e7470076578616d706c65036e657400
        0040 0012 04616674720765 78616d706c65 036e657400
        000d 0002 0000");
    let m = ClientMessage::parse(&b).unwrap();
    let pd = m.ia_pds().next().unwrap();
    assert_eq!((pd.t1, pd.t2), (1800, 2880));
    let p = pd.prefixes().next().unwrap();
    assert_eq!(p.prefix, "2001:db8:0:100::".parse::<Ipv6Addr>().unwrap());
    assert_eq!((p.preferred, p.valid), (3600, 7200));
    assert_eq!(p.status(), Some(StatusCode::Success));
    let x = p.exclude().unwrap();
    assert_eq!(
        x.excluded(p.prefix, p.prefix_len),
        Some("2001:db8:0:1ff::".parse().unwrap())
    );
    assert_eq!(
        PdExclude::new(56, "2001:db8:0:1ff::".parse().unwrap(), 64).as_ref(),
        Some(x)
    );
    assert_eq!(
        m.options[2],
        Dhcpv6Option::DomainList(vec![DomainName::from_dotted("example.net").unwrap()])
    );
    let Dhcpv6Option::NtpServer(ntp) = &m.options[3] else {
        panic!()
    };
    assert_eq!(
        ntp[1],
        NtpSuboption::Fqdn(DomainName::from_dotted("ntp.example.net.").unwrap())
    );
    assert_eq!(
        m.options[4],
        Dhcpv6Option::AftrName(DomainName::from_dotted("aftr.example.net").unwrap())
    );
    assert_eq!(m.to_vec(), b);
}

fn err(s: &str) -> Error {
    Message::parse(&hex(s)).unwrap_err()
}

#[test]
fn malformed_inputs_name_the_field() {
    // An option longer than its message.
    assert_eq!(
        err("01 000001 0008 0004 0000"),
        Error::OptionOverrun {
            code: 8,
            container: "message"
        }
    );
    // An IAPREFIX longer than its IA_PD.
    assert_eq!(
        err("07 000001 0019 0010 00000001 00000000 00000000 001a 0019 0000"),
        Error::OptionOverrun {
            code: 26,
            container: "OPTION_IA_PD"
        }
    );
    // IAPREFIX prefix length 129.
    assert_eq!(
        err("07 000001 0019 0029 00000001 00000000 00000000
             001a 0019 00000000 00000000 81 00000000000000000000000000000000"),
        Error::BadValue {
            field: "IAPREFIX prefix length"
        }
    );
    // preferred > valid.
    assert_eq!(
        err("07 000001 0019 0029 00000001 00000000 00000000
             001a 0019 00000002 00000001 38 00000000000000000000000000000000"),
        Error::BadValue {
            field: "IAPREFIX preferred lifetime"
        }
    );
    assert_eq!(
        err("07 000001 0003 0028 00000001 00000000 00000000
             0005 0018 00000000000000000000000000000001 00000002 00000001"),
        Error::BadValue {
            field: "IAADDR preferred lifetime"
        }
    );
    // Truncated DUIDs.
    assert_eq!(
        err("01 000001 0001 0005 0001 0001 00"),
        Error::Truncated {
            field: "DUID-LLT time"
        }
    );
    assert_eq!(
        err("01 000001 0001 0001 00"),
        Error::Truncated { field: "DUID type" }
    );
    assert_eq!(
        err("01 000001 0001 0008 0004 000102030405"),
        Error::Truncated { field: "DUID-UUID" }
    );
    // Fixed-length options.
    assert_eq!(
        err("01 000001 0008 0001 00"),
        Error::BadLength {
            field: "OPTION_ELAPSED_TIME",
            len: 1
        }
    );
    // A compression pointer in a domain list.
    assert_eq!(
        err("07 000001 0018 0002 c000"),
        Error::BadValue {
            field: "domain label length"
        }
    );
    // Prefix Exclude not longer than its IAPREFIX.
    assert_eq!(
        err("07 000001 0019 002f 00000001 00000000 00000000
             001a 001f 00000000 00000000 38 00000000000000000000000000000000 0043 0002 38 00"),
        Error::BadValue {
            field: "OPTION_PD_EXCLUDE prefix-len"
        }
    );
    assert_eq!(
        err("01 0000"),
        Error::Truncated {
            field: "transaction-id"
        }
    );
    assert_eq!(
        err("0c 00 0000"),
        Error::Truncated {
            field: "link-address"
        }
    );
}

#[test]
fn deep_relay_nesting_is_refused() {
    let mut m = hex("01 000001");
    for _ in 0..40 {
        let mut r = hex("0c 00 00000000000000000000000000000000 00000000000000000000000000000000");
        r.extend_from_slice(&[0, 9]);
        r.extend_from_slice(&(m.len() as u16).to_be_bytes());
        r.extend_from_slice(&m);
        m = r;
    }
    assert_eq!(
        Message::parse(&m).unwrap_err(),
        Error::BadValue {
            field: "relay nesting"
        }
    );
}

#[test]
fn emit_refuses_a_short_buffer_and_bad_values() {
    let m = Message::parse(&hex(SOLICIT)).unwrap();
    let mut small = vec![0; m.buffer_len() - 1];
    assert_eq!(m.emit(&mut small), Err(Error::BufferTooShort));
    let mut c = ClientMessage::new(MessageType::Reply, 1 << 24);
    assert_eq!(
        c.emit(&mut [0; 4]),
        Err(Error::BadValue {
            field: "transaction-id"
        })
    );
    c.transaction_id = 1;
    c.options.push(Dhcpv6Option::IaPrefix(IaPrefix {
        preferred: 2,
        valid: 1,
        prefix_len: 56,
        prefix: Ipv6Addr::UNSPECIFIED,
        options: vec![],
    }));
    assert!(c.to_vec().is_empty());
}

#[test]
fn reconfigure_digest_checks_and_key_is_not_printed() {
    let key = ReconfigureKey([7; 16]);
    let mut m = ClientMessage::new(MessageType::Reconfigure, 0);
    m.options
        .push(Dhcpv6Option::ReconfigureMessage(MessageType::Renew));
    key.sign(&mut m, 5);
    let parsed = ClientMessage::parse(&m.to_vec()).unwrap();
    assert_eq!(key.verify(&parsed), Some(5));
    assert_eq!(ReconfigureKey([8; 16]).verify(&parsed), None);
    let mut tampered = parsed.clone();
    tampered.transaction_id = 1;
    assert_eq!(key.verify(&tampered), None);
    let shown = format!("{:?} {:?}", key, key.key_option(1));
    assert!(!shown.contains("7, 7"), "{shown}");
}

// ---- proptest strategies -------------------------------------------------

fn addr() -> impl Strategy<Value = Ipv6Addr> {
    any::<u128>().prop_map(Ipv6Addr::from)
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..max)
}

fn duid() -> impl Strategy<Value = Duid> {
    prop_oneof![
        (any::<u16>(), any::<u32>(), bytes(20)).prop_map(|(h, t, l)| Duid::Llt {
            hardware_type: h,
            time: t,
            link_layer: l
        }),
        (any::<u32>(), bytes(20)).prop_map(|(e, i)| Duid::En {
            enterprise: e,
            identifier: i
        }),
        (any::<u16>(), bytes(20)).prop_map(|(h, l)| Duid::Ll {
            hardware_type: h,
            link_layer: l
        }),
        any::<[u8; 16]>().prop_map(Duid::Uuid),
        (5u16.., bytes(20)).prop_map(|(t, v)| Duid::Unknown(t, v)),
    ]
}

fn name() -> impl Strategy<Value = DomainName> {
    prop::collection::vec("[a-z0-9-]{1,12}", 0..4)
        .prop_map(|l| DomainName::from_dotted(&l.join(".")).unwrap())
}

fn status() -> impl Strategy<Value = Dhcpv6Option> {
    (0u16..9, bytes(10)).prop_map(|(c, m)| Dhcpv6Option::StatusCode {
        code: c.into(),
        message: m,
    })
}

fn iaprefix() -> impl Strategy<Value = Dhcpv6Option> {
    (
        any::<u32>(),
        any::<u32>(),
        0u8..=120,
        addr(),
        any::<bool>(),
        any::<u128>(),
    )
        .prop_map(|(a, b, len, prefix, excl, ex)| {
            let mut options = vec![];
            if excl {
                options.push(Dhcpv6Option::PdExclude(
                    PdExclude::new(len, Ipv6Addr::from(ex), len + 8).unwrap(),
                ));
            }
            Dhcpv6Option::IaPrefix(IaPrefix {
                preferred: a.min(b),
                valid: a.max(b),
                prefix_len: len,
                prefix,
                options,
            })
        })
}

fn leaf() -> impl Strategy<Value = Dhcpv6Option> {
    use Dhcpv6Option as O;
    prop_oneof![
        duid().prop_map(O::ClientId),
        duid().prop_map(O::ServerId),
        prop::collection::vec(any::<u16>(), 0..5).prop_map(O::Oro),
        any::<u8>().prop_map(O::Preference),
        any::<u16>().prop_map(O::ElapsedTime),
        (
            any::<u8>(),
            any::<u8>(),
            any::<u8>(),
            any::<u64>(),
            bytes(20)
        )
            .prop_map(|(p, a, r, d, i)| O::Authentication(Authentication {
                protocol: p,
                algorithm: a,
                rdm: r,
                replay_detection: d,
                info: i
            })),
        addr().prop_map(O::Unicast),
        status(),
        Just(O::RapidCommit),
        bytes(10).prop_map(O::InterfaceId),
        any::<u8>().prop_map(|t| O::ReconfigureMessage(t.into())),
        Just(O::ReconfigureAccept),
        prop::collection::vec(addr(), 0..3).prop_map(O::DnsServers),
        prop::collection::vec(name(), 0..3).prop_map(O::DomainList),
        any::<u32>().prop_map(O::InformationRefreshTime),
        prop::collection::vec(
            prop_oneof![
                addr().prop_map(NtpSuboption::Address),
                addr().prop_map(NtpSuboption::Multicast),
                name().prop_map(NtpSuboption::Fqdn),
                (4u16.., bytes(8)).prop_map(|(c, v)| NtpSuboption::Unknown(c, v)),
            ],
            0..3
        )
        .prop_map(O::NtpServer),
        name().prop_map(O::AftrName),
        any::<u32>().prop_map(O::SolMaxRt),
        any::<u32>().prop_map(O::InfMaxRt),
        (90u16..200, bytes(12)).prop_map(|(c, v)| O::Unknown(c, v)),
        iaprefix(),
    ]
}

fn option() -> impl Strategy<Value = Dhcpv6Option> {
    use Dhcpv6Option as O;
    prop_oneof![
        4 => leaf(),
        1 => (any::<u32>(), any::<u32>(), any::<u32>(), prop::collection::vec(prop_oneof![iaprefix(), status()], 0..3))
            .prop_map(|(iaid, t1, t2, options)| O::IaPd(IaPd { iaid, t1, t2, options })),
        1 => (any::<u32>(), any::<u32>(), any::<u32>(), prop::collection::vec(
                (addr(), any::<u32>(), any::<u32>(), prop::collection::vec(status(), 0..2))
                    .prop_map(|(address, a, b, options)| O::IaAddr(IaAddr {
                        address, preferred: a.min(b), valid: a.max(b), options })),
                0..3))
            .prop_map(|(iaid, t1, t2, options)| O::IaNa(IaNa { iaid, t1, t2, options })),
    ]
}

fn client_message() -> impl Strategy<Value = ClientMessage> {
    (
        1u8..12,
        0u32..1 << 24,
        prop::collection::vec(option(), 0..6),
    )
        .prop_map(|(t, x, o)| ClientMessage {
            msg_type: t.into(),
            transaction_id: x,
            options: o,
        })
}

fn message() -> impl Strategy<Value = Message> {
    client_message()
        .prop_map(Message::Client)
        .prop_recursive(3, 8, 2, |inner| {
            (any::<bool>(), any::<u8>(), addr(), addr(), bytes(6), inner).prop_map(
                |(reply, hops, l, p, ifid, m)| {
                    Message::Relay(RelayMessage {
                        msg_type: if reply {
                            MessageType::RelayRepl
                        } else {
                            MessageType::RelayForw
                        },
                        hop_count: hops,
                        link_address: l,
                        peer_address: p,
                        options: vec![
                            Dhcpv6Option::InterfaceId(ifid),
                            Dhcpv6Option::RelayMessage(Box::new(m)),
                        ],
                    })
                },
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(0x6d6c_7636),
        ..ProptestConfig::default()
    })]

    #[test]
    fn parse_emit_round_trip(m in message()) {
        let b = m.to_vec();
        prop_assert_eq!(b.len(), m.buffer_len());
        prop_assert_eq!(Message::parse(&b).unwrap(), m);
    }

    #[test]
    fn emit_parse_is_identity_on_anything_accepted(b in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(m) = Message::parse(&b) {
            prop_assert_eq!(m.to_vec(), b);
        }
    }

    #[test]
    fn mutated_valid_messages_never_panic(m in message(), at in any::<prop::sample::Index>(), v in any::<u8>()) {
        let mut b = m.to_vec();
        let i = at.index(b.len());
        b[i] = v;
        if let Ok(m2) = Message::parse(&b) {
            prop_assert_eq!(m2.to_vec(), b);
        }
    }

    #[test]
    fn single_options_round_trip(o in option()) {
        prop_assert_eq!(Dhcpv6Option::parse(&o.to_vec()).unwrap(), o);
    }
}
