//! The delegating router against hand-built client messages.

use std::net::Ipv6Addr;

use dhcpv6_proto::server::{
    Dhcpv6PrefixPool, Dhcpv6Server, Dhcpv6ServerConfig, Dhcpv6ServerConfigError,
    Dhcpv6ServerDropped, Dhcpv6ServerEvent, Dhcpv6ServerSource, Dhcpv6StaticDelegation,
    Dhcpv6StaticKey,
};
use dhcpv6_proto::store::{BindingStore, Dhcpv6BindingState, MemoryBindingStore};
use dhcpv6_proto::wire::{
    ClientMessage, Dhcpv6Option, Duid, IaPd, IaPrefix, Message, MessageType, RelayMessage,
    StatusCode, code,
};
use sansio_primitives::{Duration, Instant};

const POOL: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0x10, 0, 0, 0, 0, 0);
const LL: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 2);

fn sid() -> Duid {
    Duid::Llt {
        hardware_type: 1,
        time: 1,
        link_layer: vec![2, 0, 0, 0, 0, 0xaa],
    }
}

fn cid(n: u8) -> Duid {
    Duid::ethernet([2, 0, 0, 0, 1, n])
}

/// A /48 in /56s, optionally smaller (a /54 holds 4 /56s).
fn server(pool_len: u8, f: impl FnOnce(&mut Dhcpv6ServerConfig)) -> Dhcpv6Server {
    let mut c = Dhcpv6ServerConfig::new(sid(), vec![Dhcpv6PrefixPool::new(POOL, pool_len, 56)]);
    c.dns_servers = vec!["2001:db8::53".parse().unwrap()];
    f(&mut c);
    Dhcpv6Server::new(c, Instant::ZERO).unwrap()
}

fn msg(t: MessageType, client: u8, server: bool, prefix: Option<Ipv6Addr>) -> ClientMessage {
    let mut m = ClientMessage::new(t, 0x42);
    m.options.push(Dhcpv6Option::ClientId(cid(client)));
    if server {
        m.options.push(Dhcpv6Option::ServerId(sid()));
    }
    m.options.push(Dhcpv6Option::Oro(vec![code::DNS_SERVERS]));
    m.options.push(Dhcpv6Option::IaPd(IaPd {
        iaid: 7,
        t1: 0,
        t2: 0,
        options: vec![Dhcpv6Option::IaPrefix(IaPrefix {
            preferred: 0,
            valid: 0,
            prefix_len: 56,
            prefix: prefix.unwrap_or(Ipv6Addr::UNSPECIFIED),
            options: vec![],
        })],
    }));
    m
}

fn src() -> Dhcpv6ServerSource {
    Dhcpv6ServerSource::new(LL, 3)
}

fn send(s: &mut Dhcpv6Server, now: Instant, m: &ClientMessage) -> Result<(), Dhcpv6ServerDropped> {
    s.handle_input(now, src(), &m.to_vec())
}

fn out(s: &mut Dhcpv6Server, now: Instant) -> Vec<ClientMessage> {
    std::iter::from_fn(|| s.poll_transmit(now))
        .map(|t| ClientMessage::parse(&t.payload).unwrap())
        .collect()
}

fn prefix_of(m: &ClientMessage) -> Option<(Ipv6Addr, u32, u32)> {
    let p = m.ia_pds().next()?.prefixes().next()?;
    Some((p.prefix, p.preferred, p.valid))
}

fn delegate(s: &mut Dhcpv6Server, store: &mut MemoryBindingStore, client: u8) -> Ipv6Addr {
    send(
        s,
        Instant::ZERO,
        &msg(MessageType::Solicit, client, false, None),
    )
    .unwrap();
    let adv = out(s, Instant::ZERO).pop().unwrap();
    let p = prefix_of(&adv).unwrap().0;
    send(
        s,
        Instant::ZERO,
        &msg(MessageType::Request, client, true, Some(p)),
    )
    .unwrap();
    s.commit_to(store).unwrap();
    let r = out(s, Instant::ZERO).pop().unwrap();
    assert_eq!(prefix_of(&r).unwrap().0, p);
    p
}

#[test]
fn solicit_advertise_request_reply_and_the_reply_waits_for_the_commit() {
    let mut s = server(48, |_| {});
    send(
        &mut s,
        Instant::ZERO,
        &msg(MessageType::Solicit, 1, false, None),
    )
    .unwrap();
    let adv = out(&mut s, Instant::ZERO).pop().unwrap();
    assert_eq!(adv.msg_type, MessageType::Advertise);
    assert_eq!(adv.server_id(), Some(&sid()));
    assert_eq!(adv.client_id(), Some(&cid(1)));
    let (p, pl, vl) = prefix_of(&adv).unwrap();
    assert!(u128::from(p) >> 80 == u128::from(POOL) >> 80 && (pl, vl) == (3600, 7200));
    assert!(adv.option(code::DNS_SERVERS).is_some());
    let pd = adv.ia_pds().next().unwrap();
    assert_eq!((pd.t1, pd.t2), (1800, 2880));
    assert!(
        s.pending_bindings().is_empty(),
        "Advertise changes nothing durable"
    );

    send(
        &mut s,
        Instant::ZERO,
        &msg(MessageType::Request, 1, true, Some(p)),
    )
    .unwrap();
    assert!(out(&mut s, Instant::ZERO).is_empty(), "held until durable");
    assert_eq!(s.pending_bindings().len(), 1);
    let mut store = MemoryBindingStore {
        fail_next: true,
        ..Default::default()
    };
    assert!(s.commit_to(&mut store).is_err());
    assert!(
        out(&mut s, Instant::ZERO).is_empty(),
        "failed write: no Reply"
    );
    // The client retransmits; this time the write succeeds.
    send(
        &mut s,
        Instant::ZERO,
        &msg(MessageType::Request, 1, true, Some(p)),
    )
    .unwrap();
    s.commit_to(&mut store).unwrap();
    let r = out(&mut s, Instant::ZERO).pop().unwrap();
    assert_eq!(r.msg_type, MessageType::Reply);
    assert_eq!(prefix_of(&r).unwrap().0, p);
    assert_eq!(store.records.len(), 1);
    assert!(matches!(
        s.poll_event(),
        Some(Dhcpv6ServerEvent::Delegated(_))
    ));
}

#[test]
fn same_prefix_after_release_and_after_a_restart_from_the_store() {
    let mut s = server(48, |_| {});
    let mut store = MemoryBindingStore::default();
    let p = delegate(&mut s, &mut store, 1);
    let q = delegate(&mut s, &mut store, 2);
    assert_ne!(p, q);
    send(
        &mut s,
        Instant::ZERO,
        &msg(MessageType::Release, 1, true, Some(p)),
    )
    .unwrap();
    s.commit_to(&mut store).unwrap();
    let r = out(&mut s, Instant::ZERO).pop().unwrap();
    assert_eq!(r.status(), Some(StatusCode::Success));
    assert_eq!(
        s.binding(&cid(1), 7).unwrap().state,
        Dhcpv6BindingState::Released
    );
    assert_eq!(delegate(&mut s, &mut store, 1), p);
    // Restart: a new server restored from the store gives the same prefixes.
    let mut s2 = server(48, |_| {});
    s2.restore(store.load().unwrap());
    assert_eq!(delegate(&mut s2, &mut store, 2), q);
    assert_eq!(delegate(&mut s2, &mut store, 1), p);
}

#[test]
fn no_prefix_avail_when_the_pool_is_empty_and_table_bounds() {
    let mut s = server(55, |_| {}); // a /55: two /56s
    let mut store = MemoryBindingStore::default();
    delegate(&mut s, &mut store, 1);
    delegate(&mut s, &mut store, 2);
    send(
        &mut s,
        Instant::ZERO,
        &msg(MessageType::Solicit, 3, false, None),
    )
    .unwrap();
    let adv = out(&mut s, Instant::ZERO).pop().unwrap();
    assert_eq!(
        adv.ia_pds().next().unwrap().status(),
        Some(StatusCode::NoPrefixAvail)
    );
    assert_eq!(s.counters().no_prefix_avail, 1);

    let mut s = server(48, |c| c.max_advertised = 1);
    send(
        &mut s,
        Instant::ZERO,
        &msg(MessageType::Solicit, 1, false, None),
    )
    .unwrap();
    let before = s.advertised_count();
    assert_eq!(
        send(
            &mut s,
            Instant::ZERO,
            &msg(MessageType::Solicit, 2, false, None)
        ),
        Err(Dhcpv6ServerDropped::TableFull)
    );
    assert_eq!(s.advertised_count(), before);
    // The hold expires: room again.
    s.handle_timeout(Instant::ZERO + Duration::from_secs(31));
    send(
        &mut s,
        Instant::from_secs(31),
        &msg(MessageType::Solicit, 2, false, None),
    )
    .unwrap();

    let mut s = server(48, |c| c.max_bindings = 1);
    let mut store = MemoryBindingStore::default();
    delegate(&mut s, &mut store, 1);
    assert_eq!(
        send(
            &mut s,
            Instant::ZERO,
            &msg(MessageType::Request, 2, true, None)
        ),
        Err(Dhcpv6ServerDropped::TableFull)
    );
    assert!(s.pending_bindings().is_empty());
}

#[test]
fn radius_prefix_beats_static_beats_pool() {
    let fixed: Ipv6Addr = "2001:db8:99::".parse().unwrap();
    let by_link: Ipv6Addr = "2001:db8:77::".parse().unwrap();
    let mut s = server(48, |c| {
        c.statics.push(Dhcpv6StaticDelegation {
            key: Dhcpv6StaticKey::Link(5),
            prefix: by_link,
            prefix_len: 56,
        });
        c.statics.push(Dhcpv6StaticDelegation {
            key: Dhcpv6StaticKey::Duid(cid(9)),
            prefix: fixed,
            prefix_len: 60,
        });
    });
    let mut src5 = src();
    src5.link = Some(5);
    s.handle_input(
        Instant::ZERO,
        src5,
        &msg(MessageType::Solicit, 1, false, None).to_vec(),
    )
    .unwrap();
    assert_eq!(
        prefix_of(&out(&mut s, Instant::ZERO)[0]).unwrap().0,
        by_link
    );
    send(
        &mut s,
        Instant::ZERO,
        &msg(MessageType::Solicit, 9, false, None),
    )
    .unwrap();
    let a = out(&mut s, Instant::ZERO).pop().unwrap();
    assert_eq!(
        a.ia_pds()
            .next()
            .unwrap()
            .prefixes()
            .next()
            .unwrap()
            .prefix_len,
        60
    );
    let radius: Ipv6Addr = "2001:db8:5555:100::".parse().unwrap();
    src5.delegated_prefix = Some((radius, 56));
    s.handle_input(
        Instant::ZERO,
        src5,
        &msg(MessageType::Solicit, 1, false, None).to_vec(),
    )
    .unwrap();
    assert_eq!(prefix_of(&out(&mut s, Instant::ZERO)[0]).unwrap().0, radius);
}

#[test]
fn renew_rebind_and_unknown_bindings() {
    let mut s = server(48, |_| {});
    let mut store = MemoryBindingStore::default();
    let p = delegate(&mut s, &mut store, 1);
    let t = Instant::from_secs(1000);
    send(&mut s, t, &msg(MessageType::Renew, 1, true, Some(p))).unwrap();
    s.commit_to(&mut store).unwrap();
    assert_eq!(prefix_of(&out(&mut s, t).pop().unwrap()).unwrap().0, p);
    assert_eq!(
        s.binding(&cid(1), 7).unwrap().expires,
        t + Duration::from_secs(7200)
    );
    send(&mut s, t, &msg(MessageType::Rebind, 1, false, Some(p))).unwrap();
    s.commit_to(&mut store).unwrap();
    assert_eq!(prefix_of(&out(&mut s, t).pop().unwrap()).unwrap().0, p);
    // Renew for an unknown binding: NoBinding.
    send(&mut s, t, &msg(MessageType::Renew, 2, true, Some(p))).unwrap();
    s.commit();
    let r = out(&mut s, t).pop().unwrap();
    assert_eq!(
        r.ia_pds().next().unwrap().status(),
        Some(StatusCode::NoBinding)
    );
    // Rebind by another client for p (held): its lifetimes go to 0.
    send(&mut s, t, &msg(MessageType::Rebind, 2, false, Some(p))).unwrap();
    s.commit();
    let r = out(&mut s, t).pop().unwrap();
    assert_eq!(prefix_of(&r), Some((p, 0, 0)));
    // Expiry.
    let end = s.poll_timeout().unwrap();
    assert_eq!(end, t + Duration::from_secs(7200));
    s.handle_timeout(end);
    assert!(
        std::iter::from_fn(|| s.poll_event()).any(|e| matches!(e, Dhcpv6ServerEvent::Expired(_)))
    );
}

#[test]
fn drops_leave_the_state_unchanged() {
    let mut s = server(48, |_| {});
    let bad: &[(&[u8], Dhcpv6ServerDropped)] = &[
        (
            &[1, 0],
            Dhcpv6ServerDropped::Malformed(dhcpv6_proto::wire::Error::Truncated {
                field: "transaction-id",
            }),
        ),
        (&[2, 0, 0, 1], Dhcpv6ServerDropped::NotRequest),
        (&[1, 0, 0, 1], Dhcpv6ServerDropped::Invalid),
    ];
    for (b, e) in bad {
        assert_eq!(s.handle_input(Instant::ZERO, src(), b), Err(*e));
    }
    let mut other = msg(MessageType::Request, 1, false, None);
    other.options.push(Dhcpv6Option::ServerId(cid(99)));
    assert_eq!(
        send(&mut s, Instant::ZERO, &other),
        Err(Dhcpv6ServerDropped::NotOurs)
    );
    assert_eq!(
        send(
            &mut s,
            Instant::ZERO,
            &msg(MessageType::Solicit, 1, true, None)
        ),
        Err(Dhcpv6ServerDropped::Invalid)
    );
    assert_eq!(s.advertised_count(), 0);
    assert!(s.pending_bindings().is_empty() && s.poll_event().is_none());
    assert!(out(&mut s, Instant::ZERO).is_empty());
    let k = s.counters();
    assert_eq!(
        (k.malformed, k.not_request, k.invalid, k.not_ours),
        (1, 1, 2, 1)
    );
    assert!(matches!(
        Dhcpv6Server::new(
            Dhcpv6ServerConfig::new(sid(), vec![Dhcpv6PrefixPool::new(POOL, 20, 56)]),
            Instant::ZERO
        ),
        Err(Dhcpv6ServerConfigError::BadPool { index: 0 })
    ));
}

#[test]
fn relayed_solicit_gets_a_nested_relay_reply_with_interface_ids() {
    let mut s = server(48, |_| {});
    let inner = Message::Relay(RelayMessage {
        msg_type: MessageType::RelayForw,
        hop_count: 0,
        link_address: "2001:db8:1::1".parse().unwrap(),
        peer_address: LL,
        options: vec![
            Dhcpv6Option::InterfaceId(b"ppp7".to_vec()),
            Dhcpv6Option::RelayMessage(Box::new(Message::Client(msg(
                MessageType::Solicit,
                1,
                false,
                None,
            )))),
        ],
    });
    let outer = Message::Relay(RelayMessage {
        msg_type: MessageType::RelayForw,
        hop_count: 1,
        link_address: Ipv6Addr::UNSPECIFIED,
        peer_address: "fe80::9".parse().unwrap(),
        options: vec![Dhcpv6Option::RelayMessage(Box::new(inner))],
    });
    let relay: Ipv6Addr = "2001:db8::2".parse().unwrap();
    let mut from = Dhcpv6ServerSource::new(relay, 1);
    from.port = 547;
    s.handle_input(Instant::ZERO, from, &outer.to_vec())
        .unwrap();
    let t = s.poll_transmit(Instant::ZERO).unwrap();
    assert_eq!((t.destination.address, t.destination.port), (relay, 547));
    let Message::Relay(o) = Message::parse(&t.payload).unwrap() else {
        panic!()
    };
    assert_eq!((o.msg_type, o.hop_count), (MessageType::RelayRepl, 1));
    let Some(Message::Relay(i)) = o.relayed() else {
        panic!()
    };
    assert_eq!(i.interface_id(), Some(&b"ppp7"[..]));
    assert_eq!(i.peer_address, LL);
    let Some(Message::Client(a)) = i.relayed() else {
        panic!()
    };
    assert_eq!(a.msg_type, MessageType::Advertise);
}

#[test]
fn rapid_commit_binds_and_information_request_and_confirm() {
    let mut s = server(48, |c| {
        c.on_link = vec![("2001:db8:1::".parse().unwrap(), 64)]
    });
    let mut m = msg(MessageType::Solicit, 1, false, None);
    m.options.push(Dhcpv6Option::RapidCommit);
    send(&mut s, Instant::ZERO, &m).unwrap();
    assert!(out(&mut s, Instant::ZERO).is_empty());
    s.commit();
    let r = out(&mut s, Instant::ZERO).pop().unwrap();
    assert_eq!(r.msg_type, MessageType::Reply);
    assert!(r.option(code::RAPID_COMMIT).is_some() && prefix_of(&r).is_some());

    let mut i = ClientMessage::new(MessageType::InformationRequest, 5);
    i.options.push(Dhcpv6Option::Oro(vec![code::DNS_SERVERS]));
    send(&mut s, Instant::ZERO, &i).unwrap();
    let r = out(&mut s, Instant::ZERO).pop().unwrap();
    assert!(r.option(code::DNS_SERVERS).is_some());

    let confirm = |a: &str| {
        let mut c = ClientMessage::new(MessageType::Confirm, 6);
        c.options.push(Dhcpv6Option::ClientId(cid(1)));
        c.options.push(Dhcpv6Option::IaNa(dhcpv6_proto::wire::IaNa {
            iaid: 1,
            t1: 0,
            t2: 0,
            options: vec![Dhcpv6Option::IaAddr(dhcpv6_proto::wire::IaAddr {
                address: a.parse().unwrap(),
                preferred: 0,
                valid: 0,
                options: vec![],
            })],
        }));
        c
    };
    send(&mut s, Instant::ZERO, &confirm("2001:db8:1::5")).unwrap();
    assert_eq!(
        out(&mut s, Instant::ZERO)[0].status(),
        Some(StatusCode::Success)
    );
    send(&mut s, Instant::ZERO, &confirm("2001:db8:2::5")).unwrap();
    assert_eq!(
        out(&mut s, Instant::ZERO)[0].status(),
        Some(StatusCode::NotOnLink)
    );
}

#[test]
fn a_static_prefix_goes_to_one_ia_only() {
    let fixed: Ipv6Addr = "2001:db8:99::".parse().unwrap();
    let mut s = server(48, |c| {
        c.statics.push(Dhcpv6StaticDelegation {
            key: Dhcpv6StaticKey::Duid(cid(4)),
            prefix: fixed,
            prefix_len: 56,
        })
    });
    let mut m = msg(MessageType::Solicit, 4, false, None);
    let mut second = m.ia_pds().next().unwrap().clone();
    second.iaid = 8;
    m.options.push(Dhcpv6Option::IaPd(second));
    send(&mut s, Instant::ZERO, &m).unwrap();
    let a = out(&mut s, Instant::ZERO).pop().unwrap();
    let got: Vec<Ipv6Addr> = a
        .ia_pds()
        .map(|ia| ia.prefixes().next().unwrap().prefix)
        .collect();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0], fixed);
    assert_ne!(got[1], fixed);
}

/// Two clients are advertised the same fixed prefix (one user's two
/// sessions, before either is bound); the first binds it; the second's
/// Request (its embedder no longer fixes the prefix, as the bng does when
/// another session holds it) gets another prefix, never the held one.
#[test]
fn an_advertised_prefix_another_client_has_since_bound_is_not_given() {
    let mut s = server(48, |_| {});
    let mut store = MemoryBindingStore::default();
    let fixed: Ipv6Addr = "2001:db8:5555:100::".parse().unwrap();
    let mut with_fixed = src();
    with_fixed.link = Some(5);
    with_fixed.delegated_prefix = Some((fixed, 56));
    for client in [1, 2] {
        let m = msg(MessageType::Solicit, client, false, None);
        s.handle_input(Instant::ZERO, with_fixed, &m.to_vec())
            .unwrap();
        let adv = out(&mut s, Instant::ZERO).pop().unwrap();
        assert_eq!(prefix_of(&adv).unwrap().0, fixed);
    }
    let m = msg(MessageType::Request, 1, true, Some(fixed));
    s.handle_input(Instant::ZERO, with_fixed, &m.to_vec())
        .unwrap();
    s.commit_to(&mut store).unwrap();
    assert_eq!(
        prefix_of(&out(&mut s, Instant::ZERO).pop().unwrap())
            .unwrap()
            .0,
        fixed
    );
    let mut plain = src();
    plain.link = Some(5);
    let m = msg(MessageType::Request, 2, true, Some(fixed));
    s.handle_input(Instant::ZERO, plain, &m.to_vec()).unwrap();
    s.commit_to(&mut store).unwrap();
    let got = prefix_of(&out(&mut s, Instant::ZERO).pop().unwrap())
        .unwrap()
        .0;
    assert_ne!(got, fixed, "a held prefix given to a second client");
    assert_eq!(s.binding(&cid(1), 7).unwrap().prefix, fixed);
    assert_eq!(s.binding(&cid(2), 7).unwrap().prefix, got);
}
