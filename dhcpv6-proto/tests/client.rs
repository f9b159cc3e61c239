//! The requesting router against scripted server messages: every branch
//! of RFC 8415 §18.2 the issue names, on a simulated clock.

use std::net::Ipv6Addr;

use dhcpv6_proto::auth::ReconfigureKey;
use dhcpv6_proto::client::{
    Dhcpv6Client, Dhcpv6ClientConfig, Dhcpv6ClientDestination, Dhcpv6ClientDropped,
    Dhcpv6ClientEvent, Dhcpv6ClientState, Dhcpv6LostReason,
};
use dhcpv6_proto::wire::{
    ClientMessage, Dhcpv6Option, DomainName, Duid, IaPd, IaPrefix, MessageType, StatusCode, code,
};
use sansio_primitives::{Duration, Instant, SeededRng};

const P1: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0x100, 0, 0, 0, 0);
const P2: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0x200, 0, 0, 0, 0);

fn duid() -> Duid {
    Duid::ethernet([2, 0, 0, 0, 0, 1])
}

fn server(n: u8) -> Duid {
    Duid::En {
        enterprise: 32473,
        identifier: vec![n],
    }
}

fn t(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

fn client(cfg: impl FnOnce(&mut Dhcpv6ClientConfig)) -> Dhcpv6Client {
    let mut c = Dhcpv6ClientConfig::new(duid());
    cfg(&mut c);
    Dhcpv6Client::new(c, SeededRng::from_u64(9), Instant::ZERO).unwrap()
}

/// Every datagram sent, parsed.
fn sent(c: &mut Dhcpv6Client, now: Instant) -> Vec<(Dhcpv6ClientDestination, ClientMessage)> {
    let mut v = vec![];
    while let Some(t) = c.poll_transmit(now) {
        v.push((t.destination, ClientMessage::parse(&t.payload).unwrap()));
    }
    v
}

fn events(c: &mut Dhcpv6Client) -> Vec<Dhcpv6ClientEvent> {
    std::iter::from_fn(|| c.poll_event()).collect()
}

/// A server message answering `to`.
fn answer(
    to: &ClientMessage,
    t: MessageType,
    sid: u8,
    prefix: Option<(Ipv6Addr, u32, u32)>,
) -> ClientMessage {
    let mut m = ClientMessage::new(t, to.transaction_id);
    m.options.push(Dhcpv6Option::ClientId(duid()));
    m.options.push(Dhcpv6Option::ServerId(server(sid)));
    let mut ia = IaPd {
        iaid: 1,
        t1: 0,
        t2: 0,
        options: vec![],
    };
    match prefix {
        Some((p, pl, vl)) => ia.options.push(Dhcpv6Option::IaPrefix(IaPrefix {
            preferred: pl,
            valid: vl,
            prefix_len: 56,
            prefix: p,
            options: vec![],
        })),
        None => ia.options.push(Dhcpv6Option::StatusCode {
            code: StatusCode::NoPrefixAvail,
            message: vec![],
        }),
    }
    m.options.push(Dhcpv6Option::IaPd(ia));
    m
}

fn feed(c: &mut Dhcpv6Client, now: Instant, m: &ClientMessage) -> Result<(), Dhcpv6ClientDropped> {
    c.handle_input(now, &m.to_vec())
}

/// Solicit → Advertise → (collect) → Request → Reply; returns the Request.
fn bind(c: &mut Dhcpv6Client, prefix: Ipv6Addr, pl: u32, vl: u32) -> ClientMessage {
    let s = sent(c, Instant::ZERO).pop().unwrap().1;
    let mut adv = answer(&s, MessageType::Advertise, 1, Some((prefix, pl, vl)));
    adv.options.push(Dhcpv6Option::Preference(255));
    feed(c, t(10), &adv).unwrap();
    let r = sent(c, t(10)).pop().unwrap().1;
    assert_eq!(r.msg_type, MessageType::Request);
    feed(
        c,
        t(20),
        &answer(&r, MessageType::Reply, 1, Some((prefix, pl, vl))),
    )
    .unwrap();
    assert_eq!(c.state(), Dhcpv6ClientState::Bound);
    r
}

#[test]
fn solicit_carries_the_hint_and_options() {
    let mut c = client(|c| {
        c.rapid_commit = true;
        c.request_address = true;
        c.last_prefix = Some((P2, 56));
    });
    let (d, s) = sent(&mut c, Instant::ZERO).pop().unwrap();
    assert_eq!(d, Dhcpv6ClientDestination::AllServers);
    assert_eq!(s.msg_type, MessageType::Solicit);
    assert_eq!(s.client_id(), Some(&duid()));
    assert!(s.option(code::RAPID_COMMIT).is_some());
    assert_eq!(s.ia_nas().count(), 1);
    let hint = s
        .ia_pds()
        .next()
        .unwrap()
        .prefixes()
        .next()
        .unwrap()
        .clone();
    assert_eq!((hint.prefix, hint.prefix_len), (P2, 56));
    let Some(Dhcpv6Option::Oro(oro)) = s.option(code::ORO) else {
        panic!()
    };
    assert!(oro.contains(&code::SOL_MAX_RT) && oro.contains(&code::DNS_SERVERS));
    // Default hint: ::/56.
    let mut c = client(|_| {});
    let s = sent(&mut c, Instant::ZERO).pop().unwrap().1;
    let hint = s
        .ia_pds()
        .next()
        .unwrap()
        .prefixes()
        .next()
        .unwrap()
        .clone();
    assert_eq!((hint.prefix, hint.prefix_len), (Ipv6Addr::UNSPECIFIED, 56));
}

#[test]
fn solicit_retransmissions_follow_rfc8415_section_15() {
    let mut c = client(|_| {});
    let _ = sent(&mut c, Instant::ZERO);
    let mut now = Instant::ZERO;
    let mut prev = Duration::ZERO;
    let mut xid = None;
    for i in 0..16 {
        let next = c.poll_timeout().unwrap();
        let rt = next - now;
        if i == 0 {
            // First RT: IRT + RAND*IRT, RAND in (0, 0.1].
            assert!(
                rt > Duration::from_secs(1) && rt <= Duration::from_millis(1100),
                "{rt:?}"
            );
        } else {
            let lo = (prev * 2)
                .saturating_sub(prev / 10)
                .min(Duration::from_secs(3240));
            let hi = (prev * 2 + prev / 10).min(Duration::from_secs(3960));
            assert!(
                rt >= lo && rt <= hi,
                "RT {i}: {rt:?} not in [{lo:?}, {hi:?}]"
            );
        }
        assert!(rt <= Duration::from_secs(3960), "SOL_MAX_RT + 10 %");
        prev = rt;
        now = next;
        c.handle_timeout(now);
        let s = sent(&mut c, now);
        assert_eq!(s.len(), 1);
        // Same transaction, elapsed time in hundredths (capped).
        assert_eq!(
            *xid.get_or_insert(s[0].1.transaction_id),
            s[0].1.transaction_id
        );
        let el = (now.since_origin().as_millis() / 10).min(0xffff) as u16;
        assert_eq!(
            s[0].1.option(code::ELAPSED_TIME),
            Some(&Dhcpv6Option::ElapsedTime(el))
        );
    }
    assert!(
        prev >= Duration::from_secs(3240),
        "capped at SOL_MAX_RT ± 10 %: {prev:?}"
    );
}

#[test]
fn advertises_are_collected_during_the_first_rt_and_the_most_preferred_wins() {
    let mut c = client(|_| {});
    let s = sent(&mut c, Instant::ZERO).pop().unwrap().1;
    let mut a1 = answer(&s, MessageType::Advertise, 1, Some((P1, 100, 200)));
    a1.options.push(Dhcpv6Option::Preference(10));
    let mut a2 = answer(&s, MessageType::Advertise, 2, Some((P2, 100, 200)));
    a2.options.push(Dhcpv6Option::Preference(20));
    let empty = answer(&s, MessageType::Advertise, 3, None);
    feed(&mut c, t(100), &a1).unwrap();
    feed(&mut c, t(200), &a2).unwrap();
    feed(&mut c, t(300), &empty).unwrap();
    assert_eq!(c.counters().empty_advertises, 1);
    assert!(sent(&mut c, t(300)).is_empty(), "waits for the first RT");
    let end = c.poll_timeout().unwrap();
    assert!(end > t(1000));
    c.handle_timeout(end);
    let r = sent(&mut c, end).pop().unwrap().1;
    assert_eq!(r.msg_type, MessageType::Request);
    assert_eq!(r.server_id(), Some(&server(2)));
    let p = r
        .ia_pds()
        .next()
        .unwrap()
        .prefixes()
        .next()
        .unwrap()
        .clone();
    assert_eq!((p.prefix, p.valid), (P2, 0));
}

#[test]
fn preference_255_is_taken_at_once_and_reply_delegates() {
    let mut c = client(|_| {});
    bind(&mut c, P1, 1000, 2000);
    let ev = events(&mut c);
    assert_eq!(
        ev,
        [Dhcpv6ClientEvent::PrefixDelegated {
            prefix: P1,
            prefix_len: 56,
            preferred: 1000,
            valid: 2000,
            exclude: None
        }]
    );
    // T1/T2 were 0: 0.5 and 0.8 of the shortest preferred lifetime.
    let b = c.binding().unwrap();
    assert_eq!(b.t1, t(20) + Duration::from_secs(500));
    assert_eq!(b.t2, t(20) + Duration::from_secs(800));
}

#[test]
fn renew_at_t1_to_the_delegating_server_then_rebind_at_t2_then_lost() {
    let mut c = client(|_| {});
    bind(&mut c, P1, 1000, 2000);
    let _ = events(&mut c);
    let t1 = c.poll_timeout().unwrap();
    assert_eq!(t1, t(20) + Duration::from_secs(500));
    c.handle_timeout(t1 - Duration::from_millis(1)); // early: nothing
    assert!(sent(&mut c, t1).is_empty());
    c.handle_timeout(t1);
    let r = sent(&mut c, t1).pop().unwrap().1;
    assert_eq!(r.msg_type, MessageType::Renew);
    assert_eq!(r.server_id(), Some(&server(1)));
    // REN_TIMEOUT 10 s ± 10 %.
    let n = c.poll_timeout().unwrap();
    assert!(n - t1 >= Duration::from_secs(9) && n - t1 <= Duration::from_secs(11));
    // No answer: Renew retransmits until T2, then Rebind (no server id).
    let mut now = t1;
    let mut rebind = None;
    while rebind.is_none() {
        now = c.poll_timeout().unwrap();
        c.handle_timeout(now);
        for (_, m) in sent(&mut c, now) {
            if m.msg_type == MessageType::Rebind {
                rebind = Some(m);
            }
        }
    }
    assert_eq!(now, t(20) + Duration::from_secs(800));
    assert_eq!(rebind.unwrap().server_id(), None);
    // No answer until the valid lifetime: the prefix is withdrawn.
    let mut last = vec![];
    while c.binding().is_some() {
        now = c.poll_timeout().unwrap();
        c.handle_timeout(now);
        last = sent(&mut c, now);
    }
    assert_eq!(now, t(20) + Duration::from_secs(2000));
    assert!(events(&mut c).contains(&Dhcpv6ClientEvent::PrefixLost {
        prefix: P1,
        prefix_len: 56,
        reason: Dhcpv6LostReason::Expired
    }));
    assert_eq!(c.state(), Dhcpv6ClientState::Soliciting);
    // The new Solicit hints the lost prefix.
    let s = &last.last().unwrap().1;
    assert_eq!(s.msg_type, MessageType::Solicit);
    assert_eq!(
        s.ia_pds().next().unwrap().prefixes().next().unwrap().prefix,
        P1
    );
}

#[test]
fn renew_reply_renews_and_no_binding_makes_a_request() {
    let mut c = client(|_| {});
    bind(&mut c, P1, 1000, 2000);
    let _ = events(&mut c);
    let t1 = c.poll_timeout().unwrap();
    c.handle_timeout(t1);
    let r = sent(&mut c, t1).pop().unwrap().1;
    feed(
        &mut c,
        t1,
        &answer(&r, MessageType::Reply, 1, Some((P1, 1000, 2000))),
    )
    .unwrap();
    assert_eq!(
        events(&mut c),
        [Dhcpv6ClientEvent::PrefixRenewed {
            prefix: P1,
            prefix_len: 56,
            preferred: 1000,
            valid: 2000
        }]
    );
    let t1 = c.poll_timeout().unwrap();
    c.handle_timeout(t1);
    let r = sent(&mut c, t1).pop().unwrap().1;
    let mut nb = answer(&r, MessageType::Reply, 1, Some((P1, 1, 2)));
    let Dhcpv6Option::IaPd(ia) = nb.options.last_mut().unwrap() else {
        panic!()
    };
    ia.options = vec![Dhcpv6Option::StatusCode {
        code: StatusCode::NoBinding,
        message: vec![],
    }];
    feed(&mut c, t1, &nb).unwrap();
    let q = sent(&mut c, t1).pop().unwrap().1;
    assert_eq!(q.msg_type, MessageType::Request);
    assert_eq!(
        q.ia_pds().next().unwrap().prefixes().next().unwrap().prefix,
        P1
    );
    assert_eq!(c.binding().unwrap().prefixes.len(), 1, "kept meanwhile");
}

#[test]
fn a_server_failure_reply_is_dropped_and_state_unchanged() {
    let mut c = client(|_| {});
    let s = sent(&mut c, Instant::ZERO).pop().unwrap().1;
    let mut adv = answer(&s, MessageType::Advertise, 1, Some((P1, 10, 20)));
    adv.options.push(Dhcpv6Option::Preference(255));
    feed(&mut c, t(1), &adv).unwrap();
    let r = sent(&mut c, t(1)).pop().unwrap().1;
    let deadline = c.poll_timeout();
    let mut fail = answer(&r, MessageType::Reply, 1, Some((P1, 10, 20)));
    fail.options.push(Dhcpv6Option::StatusCode {
        code: StatusCode::UnspecFail,
        message: b"busy".to_vec(),
    });
    assert_eq!(
        feed(&mut c, t(2), &fail),
        Err(Dhcpv6ClientDropped::ServerFailure)
    );
    // Wrong transaction, wrong client, no server id, garbage.
    let mut other = answer(&r, MessageType::Reply, 1, Some((P1, 10, 20)));
    other.transaction_id ^= 1;
    assert_eq!(
        feed(&mut c, t(2), &other),
        Err(Dhcpv6ClientDropped::NotOurs)
    );
    let mut nosid = answer(&r, MessageType::Reply, 1, Some((P1, 10, 20)));
    nosid.options.remove(1);
    assert_eq!(
        feed(&mut c, t(2), &nosid),
        Err(Dhcpv6ClientDropped::Invalid)
    );
    assert!(matches!(
        c.handle_input(t(2), &[7, 0, 0]),
        Err(Dhcpv6ClientDropped::Malformed(_))
    ));
    assert_eq!(c.state(), Dhcpv6ClientState::Requesting);
    assert_eq!(c.poll_timeout(), deadline);
    assert!(sent(&mut c, t(2)).is_empty() && events(&mut c).is_empty());
    let k = c.counters();
    assert_eq!(
        (k.server_failure, k.not_ours, k.invalid, k.malformed),
        (1, 1, 1, 1)
    );
}

#[test]
fn no_prefix_avail_in_the_reply_goes_back_to_solicit() {
    let mut c = client(|_| {});
    let s = sent(&mut c, Instant::ZERO).pop().unwrap().1;
    let mut adv = answer(&s, MessageType::Advertise, 1, Some((P1, 10, 20)));
    adv.options.push(Dhcpv6Option::Preference(255));
    feed(&mut c, t(1), &adv).unwrap();
    let r = sent(&mut c, t(1)).pop().unwrap().1;
    feed(&mut c, t(2), &answer(&r, MessageType::Reply, 1, None)).unwrap();
    assert_eq!(c.state(), Dhcpv6ClientState::Soliciting);
    assert_eq!(
        sent(&mut c, t(2)).pop().unwrap().1.msg_type,
        MessageType::Solicit
    );
}

#[test]
fn use_multicast_resends_by_multicast() {
    let mut c = client(|_| {});
    let s = sent(&mut c, Instant::ZERO).pop().unwrap().1;
    let ua: Ipv6Addr = "2001:db8::547".parse().unwrap();
    let mut adv = answer(&s, MessageType::Advertise, 1, Some((P1, 10, 20)));
    adv.options.push(Dhcpv6Option::Preference(255));
    adv.options.push(Dhcpv6Option::Unicast(ua));
    feed(&mut c, t(1), &adv).unwrap();
    let (d, r) = sent(&mut c, t(1)).pop().unwrap();
    assert_eq!(d, Dhcpv6ClientDestination::Unicast(ua));
    let mut um = ClientMessage::new(MessageType::Reply, r.transaction_id);
    um.options.push(Dhcpv6Option::ClientId(duid()));
    um.options.push(Dhcpv6Option::ServerId(server(1)));
    um.options.push(Dhcpv6Option::StatusCode {
        code: StatusCode::UseMulticast,
        message: vec![],
    });
    feed(&mut c, t(2), &um).unwrap();
    let (d, r2) = sent(&mut c, t(2)).pop().unwrap();
    assert_eq!(d, Dhcpv6ClientDestination::AllServers);
    assert_eq!(
        (r2.msg_type, r2.transaction_id),
        (MessageType::Request, r.transaction_id)
    );
}

#[test]
fn rapid_commit_reply_binds_from_solicit() {
    let mut c = client(|c| c.rapid_commit = true);
    let s = sent(&mut c, Instant::ZERO).pop().unwrap().1;
    let mut r = answer(&s, MessageType::Reply, 1, Some((P1, 10, 20)));
    // Without Rapid Commit in the Reply it is not accepted.
    assert_eq!(feed(&mut c, t(1), &r), Err(Dhcpv6ClientDropped::Unexpected));
    r.options.push(Dhcpv6Option::RapidCommit);
    r.options.push(Dhcpv6Option::DnsServers(vec![
        "2001:db8::53".parse().unwrap(),
    ]));
    r.options.push(Dhcpv6Option::AftrName(
        DomainName::from_dotted("aftr.example").unwrap(),
    ));
    feed(&mut c, t(1), &r).unwrap();
    assert_eq!(c.state(), Dhcpv6ClientState::Bound);
    let ev = events(&mut c);
    assert_eq!(ev.len(), 3, "{ev:?}");
    assert!(matches!(ev[1], Dhcpv6ClientEvent::DnsServers(_)));
    assert!(matches!(ev[2], Dhcpv6ClientEvent::AftrName(_)));
}

#[test]
fn release_then_restart_hints_the_old_prefix() {
    let mut c = client(|_| {});
    bind(&mut c, P1, 1000, 2000);
    let _ = events(&mut c);
    c.release(t(30)).unwrap();
    let r = sent(&mut c, t(30)).pop().unwrap().1;
    assert_eq!(r.msg_type, MessageType::Release);
    assert_eq!(r.server_id(), Some(&server(1)));
    assert_eq!(
        events(&mut c),
        [Dhcpv6ClientEvent::PrefixLost {
            prefix: P1,
            prefix_len: 56,
            reason: Dhcpv6LostReason::Released
        }]
    );
    // REL_MAX_RC 4 transmissions, then idle.
    let mut n = 1;
    while let Some(d) = c.poll_timeout() {
        c.handle_timeout(d);
        n += sent(&mut c, d).len();
    }
    assert_eq!(n, 4);
    assert_eq!(c.state(), Dhcpv6ClientState::Idle);
    assert!(c.release(t(99)).is_err());
    c.restart(t(100_000));
    let s = sent(&mut c, t(100_000)).pop().unwrap().1;
    assert_eq!(
        s.ia_pds().next().unwrap().prefixes().next().unwrap().prefix,
        P1
    );
}

#[test]
fn link_up_rebinds_first_then_solicits_with_the_old_prefix() {
    let mut c = client(|_| {});
    bind(&mut c, P1, 1000, 2000);
    let _ = events(&mut c);
    c.link_up(t(50));
    let r = sent(&mut c, t(50)).pop().unwrap().1;
    assert_eq!(r.msg_type, MessageType::Rebind);
    let (now, solicit) = loop {
        let now = c.poll_timeout().unwrap();
        c.handle_timeout(now);
        let s = sent(&mut c, now);
        if let Some((_, m)) = s
            .into_iter()
            .find(|(_, m)| m.msg_type == MessageType::Solicit)
        {
            assert_eq!(
                m.ia_pds().next().unwrap().prefixes().next().unwrap().prefix,
                P1
            );
            break (now, m);
        }
    };
    assert_eq!(now, t(50) + Duration::from_secs(30), "link_up_rebind");
    assert!(c.binding().is_some(), "still valid: kept while soliciting");
    // A server answers the Solicit with another prefix: the old one is
    // withdrawn, the new one delegated.
    let mut adv = answer(&solicit, MessageType::Advertise, 2, Some((P2, 1000, 2000)));
    adv.options.push(Dhcpv6Option::Preference(255));
    feed(&mut c, now, &adv).unwrap();
    let r = sent(&mut c, now).pop().unwrap().1;
    feed(
        &mut c,
        now,
        &answer(&r, MessageType::Reply, 2, Some((P2, 1000, 2000))),
    )
    .unwrap();
    let ev = events(&mut c);
    assert_eq!(
        ev[0],
        Dhcpv6ClientEvent::PrefixLost {
            prefix: P1,
            prefix_len: 56,
            reason: Dhcpv6LostReason::Withdrawn
        }
    );
    assert!(matches!(
        ev[1],
        Dhcpv6ClientEvent::PrefixDelegated { prefix: P2, .. }
    ));
}

#[test]
fn reconfigure_needs_the_key_from_the_reply() {
    let key = ReconfigureKey([0x5a; 16]);
    let mut c = client(|c| c.accept_reconfigure = true);
    let s = sent(&mut c, Instant::ZERO).pop().unwrap().1;
    assert!(s.option(code::RECONF_ACCEPT).is_some());
    let mut adv = answer(&s, MessageType::Advertise, 1, Some((P1, 1000, 2000)));
    adv.options.push(Dhcpv6Option::Preference(255));
    feed(&mut c, t(1), &adv).unwrap();
    let r = sent(&mut c, t(1)).pop().unwrap().1;
    let mut reply = answer(&r, MessageType::Reply, 1, Some((P1, 1000, 2000)));
    reply.options.push(key.key_option(10));
    feed(&mut c, t(2), &reply).unwrap();
    let mut rc = ClientMessage::new(MessageType::Reconfigure, 0);
    rc.options.push(Dhcpv6Option::ClientId(duid()));
    rc.options.push(Dhcpv6Option::ServerId(server(1)));
    rc.options
        .push(Dhcpv6Option::ReconfigureMessage(MessageType::Renew));
    let mut bad = rc.clone();
    ReconfigureKey([1; 16]).sign(&mut bad, 11);
    assert_eq!(
        feed(&mut c, t(3), &bad),
        Err(Dhcpv6ClientDropped::Unauthenticated)
    );
    let mut replayed = rc.clone();
    key.sign(&mut replayed, 10);
    assert_eq!(
        feed(&mut c, t(3), &replayed),
        Err(Dhcpv6ClientDropped::Unauthenticated)
    );
    assert_eq!(
        feed(&mut c, t(3), &rc),
        Err(Dhcpv6ClientDropped::Unauthenticated)
    );
    assert!(sent(&mut c, t(3)).is_empty());
    assert_eq!(c.state(), Dhcpv6ClientState::Bound);
    key.sign(&mut rc, 11);
    feed(&mut c, t(3), &rc).unwrap();
    assert_eq!(c.state(), Dhcpv6ClientState::Renewing);
    assert_eq!(
        sent(&mut c, t(3)).pop().unwrap().1.msg_type,
        MessageType::Renew
    );
}

#[test]
fn stateless_information_request_and_refresh() {
    let mut c = client(|c| c.request_prefix = false);
    let (_, s) = sent(&mut c, Instant::ZERO).pop().unwrap();
    assert_eq!(s.msg_type, MessageType::InformationRequest);
    let mut r = ClientMessage::new(MessageType::Reply, s.transaction_id);
    r.options.push(Dhcpv6Option::ClientId(duid()));
    r.options.push(Dhcpv6Option::ServerId(server(1)));
    r.options.push(Dhcpv6Option::DnsServers(vec![
        "2001:db8::53".parse().unwrap(),
    ]));
    r.options.push(Dhcpv6Option::InformationRefreshTime(60));
    feed(&mut c, t(5), &r).unwrap();
    assert_eq!(c.state(), Dhcpv6ClientState::Idle);
    assert_eq!(events(&mut c).len(), 1);
    // 60 s is below IRT_MINIMUM: refreshed after 600 s.
    assert_eq!(c.poll_timeout(), Some(t(5) + Duration::from_secs(600)));
}

#[test]
fn decline_sends_the_address() {
    let mut c = client(|c| {
        c.request_address = true;
        c.request_prefix = false;
    });
    let s = sent(&mut c, Instant::ZERO).pop().unwrap().1;
    let a: Ipv6Addr = "2001:db8::10".parse().unwrap();
    let mk = |to: &ClientMessage, ty| {
        let mut m = ClientMessage::new(ty, to.transaction_id);
        m.options.push(Dhcpv6Option::ClientId(duid()));
        m.options.push(Dhcpv6Option::ServerId(server(1)));
        m.options.push(Dhcpv6Option::Preference(255));
        m.options.push(Dhcpv6Option::IaNa(dhcpv6_proto::wire::IaNa {
            iaid: 1,
            t1: 0,
            t2: 0,
            options: vec![Dhcpv6Option::IaAddr(dhcpv6_proto::wire::IaAddr {
                address: a,
                preferred: 100,
                valid: 200,
                options: vec![],
            })],
        }));
        m
    };
    feed(&mut c, t(1), &mk(&s, MessageType::Advertise)).unwrap();
    let r = sent(&mut c, t(1)).pop().unwrap().1;
    feed(&mut c, t(2), &mk(&r, MessageType::Reply)).unwrap();
    assert!(matches!(
        events(&mut c)[..],
        [Dhcpv6ClientEvent::AddressAssigned { .. }]
    ));
    c.decline(t(3), a).unwrap();
    let d = sent(&mut c, t(3)).pop().unwrap().1;
    assert_eq!(d.msg_type, MessageType::Decline);
    assert_eq!(
        d.ia_nas()
            .next()
            .unwrap()
            .addresses()
            .next()
            .unwrap()
            .address,
        a
    );
    assert!(c.decline(t(3), a).is_err());
}

#[test]
fn link_up_with_addresses_only_confirms_and_not_on_link_resolicits() {
    let mut c = client(|c| {
        c.request_address = true;
        c.request_prefix = false;
    });
    let s = sent(&mut c, Instant::ZERO).pop().unwrap().1;
    let a: Ipv6Addr = "2001:db8::10".parse().unwrap();
    let mk = |to: &ClientMessage, ty| {
        let mut m = ClientMessage::new(ty, to.transaction_id);
        m.options.push(Dhcpv6Option::ClientId(duid()));
        m.options.push(Dhcpv6Option::ServerId(server(1)));
        m.options.push(Dhcpv6Option::Preference(255));
        m.options.push(Dhcpv6Option::IaNa(dhcpv6_proto::wire::IaNa {
            iaid: 1,
            t1: 0,
            t2: 0,
            options: vec![Dhcpv6Option::IaAddr(dhcpv6_proto::wire::IaAddr {
                address: a,
                preferred: 100,
                valid: 200,
                options: vec![],
            })],
        }));
        m
    };
    feed(&mut c, t(1), &mk(&s, MessageType::Advertise)).unwrap();
    let r = sent(&mut c, t(1)).pop().unwrap().1;
    feed(&mut c, t(2), &mk(&r, MessageType::Reply)).unwrap();
    let _ = events(&mut c);
    // Link back with a valid binding of addresses only: Confirm (no
    // server id); no answer within CNF_MAX_RD (10 s): keep it.
    c.link_up(t(3));
    let cf = sent(&mut c, t(3)).pop().unwrap().1;
    assert_eq!(cf.msg_type, MessageType::Confirm);
    assert_eq!(cf.server_id(), None);
    assert_eq!(c.state(), Dhcpv6ClientState::Confirming);
    let mut now = t(3);
    while c.state() == Dhcpv6ClientState::Confirming {
        now = c.poll_timeout().unwrap();
        c.handle_timeout(now);
        let _ = sent(&mut c, now);
    }
    assert_eq!(now, t(3) + Duration::from_secs(10));
    assert_eq!(c.state(), Dhcpv6ClientState::Bound);
    // Again; this time the server says NotOnLink: lost, and Solicit.
    c.link_up(now);
    let cf = sent(&mut c, now).pop().unwrap().1;
    let mut nl = ClientMessage::new(MessageType::Reply, cf.transaction_id);
    nl.options.push(Dhcpv6Option::ClientId(duid()));
    nl.options.push(Dhcpv6Option::ServerId(server(1)));
    nl.options.push(Dhcpv6Option::StatusCode {
        code: StatusCode::NotOnLink,
        message: vec![],
    });
    feed(&mut c, now, &nl).unwrap();
    assert_eq!(
        events(&mut c),
        [Dhcpv6ClientEvent::AddressLost {
            address: a,
            reason: Dhcpv6LostReason::NotOnLink
        }]
    );
    assert_eq!(c.state(), Dhcpv6ClientState::Soliciting);
    assert_eq!(
        sent(&mut c, now).pop().unwrap().1.msg_type,
        MessageType::Solicit
    );
}

#[test]
fn sol_max_rt_from_an_empty_advertise_caps_the_running_solicit() {
    let mut c = client(|_| {});
    let s = sent(&mut c, Instant::ZERO).pop().unwrap().1;
    // §18.2.9: an Advertise with no prefix is ignored, but its SOL_MAX_RT
    // (here 60 s) applies to the retransmissions that follow.
    let mut empty = answer(&s, MessageType::Advertise, 1, None);
    empty.options.push(Dhcpv6Option::SolMaxRt(60));
    feed(&mut c, t(100), &empty).unwrap();
    let mut now = Instant::ZERO;
    let mut last = Duration::ZERO;
    for _ in 0..12 {
        let next = c.poll_timeout().unwrap();
        last = next - now;
        now = next;
        c.handle_timeout(now);
        let _ = sent(&mut c, now);
    }
    assert!(
        last >= Duration::from_secs(54) && last <= Duration::from_secs(66),
        "{last:?}"
    );
}

#[test]
fn a_renew_reply_without_leases_keeps_renewing_then_rebinds_at_t2() {
    let mut c = client(|_| {});
    bind(&mut c, P1, 1000, 2000);
    let _ = events(&mut c);
    let t1 = c.poll_timeout().unwrap();
    c.handle_timeout(t1);
    let r = sent(&mut c, t1).pop().unwrap().1;
    // The server cannot extend it (NoPrefixAvail in the IA): we keep the
    // prefix until it expires and keep trying, Rebind at T2.
    assert_eq!(
        feed(&mut c, t1, &answer(&r, MessageType::Reply, 1, None)),
        Err(Dhcpv6ClientDropped::ServerFailure)
    );
    assert_eq!(c.state(), Dhcpv6ClientState::Renewing);
    let (now, rebind) = loop {
        let now = c.poll_timeout().unwrap();
        c.handle_timeout(now);
        if let Some((_, m)) = sent(&mut c, now)
            .into_iter()
            .find(|(_, m)| m.msg_type == MessageType::Rebind)
        {
            break (now, m);
        }
    };
    assert_eq!(now, t(20) + Duration::from_secs(800));
    assert_eq!(
        rebind
            .ia_pds()
            .next()
            .unwrap()
            .prefixes()
            .next()
            .unwrap()
            .prefix,
        P1
    );
    assert!(events(&mut c).is_empty(), "still ours");
}
