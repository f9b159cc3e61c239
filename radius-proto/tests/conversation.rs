//! The client machine against an in-memory server on a simulated clock:
//! retransmission at exact instants, failover, Identifier back-pressure, a
//! link that loses and duplicates, accounting delay, and the CoA listener.

mod common;

use std::net::SocketAddr;

use common::{MemServer, addr};
use radius_proto::client::{
    AccountingRecord, AcctStatusType, Counters, RadiusClient, RadiusClientConfig,
    RadiusClientDropped, RadiusClientEvent, RadiusServerConfig, RequestHandle,
};
use radius_proto::dict::AccessReply;
use radius_proto::wire::{Attribute, Code, Header, Packet, Value, attr};
use radius_proto::{
    RadiusClientCommandError, RadiusClientConfigError, RadiusWireError, Secret, crypto,
};
use sansio_primitives::{Duration, Instant, SeededRng};

const SECRET: &[u8] = b"s3cret";

fn server(i: u16) -> RadiusServerConfig {
    RadiusServerConfig::new(
        addr(1812 + 10 * i),
        addr(1813 + 10 * i),
        Secret::new(SECRET),
    )
}

fn client(n: u16) -> RadiusClient {
    let mut cfg = RadiusClientConfig::new((0..n).map(server).collect());
    cfg.nas_identifier = Some(b"nas".to_vec());
    cfg.timeout = Duration::from_secs(3);
    cfg.max_tries = 3;
    RadiusClient::new(cfg, SeededRng::from_u64(1)).unwrap()
}

fn server_index(a: SocketAddr) -> usize {
    usize::from((a.port() - 1812) / 10)
}

fn user() -> [Attribute<'static>; 2] {
    [
        Attribute::bytes(attr::USER_NAME, b"alice"),
        Attribute::integer(attr::NAS_PORT, 7),
    ]
}

/// Drives the client until `end`, delivering each transmit to
/// `servers[i]` (None = a server that never answers). Returns what was sent
/// (time, server, bytes) and the events (time, event).
#[allow(clippy::type_complexity)]
fn drive(
    c: &mut RadiusClient,
    servers: &mut [Option<MemServer>],
    mut now: Instant,
    end: Instant,
) -> (
    Vec<(Instant, usize, Vec<u8>)>,
    Vec<(Instant, RadiusClientEvent)>,
) {
    let mut sent = Vec::new();
    let mut events = Vec::new();
    for _ in 0..10_000 {
        while let Some(t) = c.poll_transmit(now) {
            let i = server_index(t.destination.address);
            sent.push((now, i, t.payload.clone()));
            if let Some(Some(s)) = servers.get_mut(i)
                && let Some(a) = s.answer(&t.payload)
            {
                let _ = c.handle_input(now, t.destination.address, &a);
            }
        }
        while let Some(e) = c.poll_event() {
            events.push((now, e));
        }
        match c.poll_timeout() {
            Some(t) if t <= end => {
                now = now.max(t);
                c.handle_timeout(now);
            }
            _ => break,
        }
    }
    (sent, events)
}

#[test]
fn pap_accept_reply_is_typed_and_reject_is_reported() {
    let mut c = client(1);
    let mut servers = [Some(MemServer::new(SECRET))];
    let t0 = Instant::ZERO;
    let h = c
        .authenticate(
            t0,
            &[Attribute::bytes(attr::USER_NAME, b"alice")],
            Some(b"wonderland"),
        )
        .unwrap();
    let (_, ev) = drive(&mut c, &mut servers, t0, Instant::from_secs(100));
    let RadiusClientEvent::Response(r) = &ev[0].1 else {
        panic!("{ev:?}")
    };
    assert_eq!((r.handle, r.code), (h, Code::AccessAccept));
    let reply = AccessReply::from_packet(&r.packet().unwrap());
    assert_eq!(reply.framed_ip, Some([192, 0, 2, 7].into()));
    assert_eq!(reply.acct_interim_interval, Some(300));
    assert_eq!(
        (reply.rp_upstream_kbps, reply.rp_downstream_kbps),
        (Some(1000), Some(8000))
    );

    c.authenticate(
        t0,
        &[Attribute::bytes(attr::USER_NAME, b"alice")],
        Some(b"nope"),
    )
    .unwrap();
    let (_, ev) = drive(&mut c, &mut servers, t0, Instant::from_secs(100));
    assert!(matches!(&ev[0].1, RadiusClientEvent::Response(r) if r.code == Code::AccessReject));
    assert_eq!(c.outstanding(), 0);
}

#[test]
fn chap_accept_and_reject() {
    let mut c = client(1);
    let mut servers = [Some(MemServer::new(SECRET))];
    for (pw, code) in [
        (&b"wonderland"[..], Code::AccessAccept),
        (b"bad", Code::AccessReject),
    ] {
        let challenge = [7u8; 16];
        let chap = crypto::chap_password(42, pw, &challenge);
        let attrs = [
            Attribute::bytes(attr::USER_NAME, b"alice"),
            Attribute::bytes(attr::CHAP_PASSWORD, &chap),
            Attribute::bytes(attr::CHAP_CHALLENGE, &challenge),
        ];
        c.authenticate(Instant::ZERO, &attrs, None).unwrap();
        let (_, ev) = drive(&mut c, &mut servers, Instant::ZERO, Instant::from_secs(100));
        assert!(
            matches!(&ev[0].1, RadiusClientEvent::Response(r) if r.code == code),
            "{ev:?}"
        );
    }
}

#[test]
fn retransmits_at_exact_instants_then_times_out() {
    let mut c = client(1);
    let mut servers = [None];
    let h = c.authenticate(Instant::ZERO, &user(), Some(b"pw")).unwrap();
    assert_eq!(c.poll_timeout(), Some(Instant::from_secs(3)));
    let (sent, ev) = drive(&mut c, &mut servers, Instant::ZERO, Instant::from_secs(100));
    let times: Vec<_> = sent.iter().map(|s| s.0).collect();
    assert_eq!(
        times,
        [Instant::ZERO, Instant::from_secs(3), Instant::from_secs(6)]
    );
    // Access-Request retransmissions are byte-identical.
    assert!(sent.iter().all(|s| s.2 == sent[0].2));
    assert_eq!(ev.len(), 2);
    assert!(
        matches!(ev[0], (t, RadiusClientEvent::ServerDead { server: 0, .. }) if t == Instant::from_secs(9))
    );
    assert_eq!(
        ev[1],
        (
            Instant::from_secs(9),
            RadiusClientEvent::Timeout { handle: h }
        )
    );
    assert_eq!(c.counters().retransmissions, 2);
    assert_eq!(c.counters().timeouts, 1);
    assert_eq!(c.poll_timeout(), None);
    // Early and repeated timeouts are harmless.
    c.handle_timeout(Instant::from_secs(1));
    c.handle_timeout(Instant::from_secs(1));
    assert!(c.poll_transmit(Instant::from_secs(1)).is_none());
}

#[test]
fn failover_to_the_live_server_and_dead_server_comes_back() {
    let mut c = client(2);
    let mut servers = [None, Some(MemServer::new(SECRET))];
    let h = c
        .authenticate(Instant::ZERO, &user(), Some(b"wonderland"))
        .unwrap();
    let (sent, ev) = drive(&mut c, &mut servers, Instant::ZERO, Instant::from_secs(100));
    let to: Vec<_> = sent.iter().map(|s| (s.0, s.1)).collect();
    assert_eq!(
        to,
        [
            (Instant::ZERO, 0),
            (Instant::from_secs(3), 0),
            (Instant::from_secs(6), 0),
            (Instant::from_secs(9), 1)
        ]
    );
    assert!(
        matches!(ev[0].1, RadiusClientEvent::ServerDead { server: 0, until } if until == Instant::from_secs(69))
    );
    assert!(
        matches!(&ev[1].1, RadiusClientEvent::Response(r) if r.handle == h && r.server == 1 && r.code == Code::AccessAccept)
    );
    assert_eq!(c.counters().failovers, 1);
    // While 0 is dead, new requests go straight to 1.
    for k in 0..4 {
        let t = Instant::from_secs(10 + k);
        c.authenticate(t, &user(), Some(b"wonderland")).unwrap();
        let (sent, _) = drive(&mut c, &mut servers, t, t);
        assert_eq!(sent.iter().map(|s| s.1).collect::<Vec<_>>(), [1]);
    }
    assert!(c.is_dead(0, Instant::from_secs(68)));
    assert!(!c.is_dead(0, Instant::from_secs(69)));
    // After fail_timeout it is tried again (weighted round-robin gives it
    // its share).
    let mut chosen = Vec::new();
    for k in 0..4 {
        let t = Instant::from_secs(70 + k);
        c.authenticate(t, &user(), Some(b"wonderland")).unwrap();
        let first = c.poll_transmit(t).unwrap();
        chosen.push(server_index(first.destination.address));
        let _ = c.cancel(RequestHandle(u64::MAX)); // unknown: error, no effect
        drive(&mut c, &mut servers, t, t);
    }
    assert!(chosen.contains(&0), "{chosen:?}");
}

#[test]
fn weights_share_new_requests() {
    let mut cfg = RadiusClientConfig::new(vec![server(0), server(1)]);
    cfg.nas_identifier = Some(b"nas".to_vec());
    cfg.servers[0].weight = 3;
    let mut c = RadiusClient::new(cfg, SeededRng::from_u64(2)).unwrap();
    let mut count = [0usize; 2];
    for _ in 0..40 {
        c.authenticate(Instant::ZERO, &user(), None).unwrap();
        count[server_index(c.poll_transmit(Instant::ZERO).unwrap().destination.address)] += 1;
    }
    assert_eq!(count, [30, 10]);
}

#[test]
fn identifier_exhaustion_is_back_pressure() {
    let mut c = client(1);
    let mut handles = Vec::new();
    for _ in 0..256 {
        handles.push(c.authenticate(Instant::ZERO, &user(), None).unwrap());
    }
    assert_eq!(c.outstanding(), 256);
    assert_eq!(
        c.authenticate(Instant::ZERO, &user(), None),
        Err(RadiusClientCommandError::IdentifiersExhausted)
    );
    let rec = AccountingRecord::new(AcctStatusType::Start, b"s1");
    assert_eq!(
        c.account(Instant::ZERO, &rec),
        Err(RadiusClientCommandError::IdentifiersExhausted)
    );
    // Every Identifier is distinct.
    let mut ids: Vec<u8> = std::iter::from_fn(|| c.poll_transmit(Instant::ZERO))
        .map(|t| t.payload[1])
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 256);
    // An answer frees one.
    c.cancel(handles[5]).unwrap();
    assert!(c.authenticate(Instant::ZERO, &user(), None).is_ok());
    assert_eq!(
        c.authenticate(Instant::ZERO, &user(), None),
        Err(RadiusClientCommandError::IdentifiersExhausted)
    );
}

#[test]
fn accounting_delay_time_grows_and_identifier_changes() {
    let mut c = client(1);
    let rec = AccountingRecord {
        user_name: Some(b"alice"),
        session_time: Some(60),
        counters: Some(Counters {
            input_octets: (5 << 32) + 1234,
            output_octets: 99,
            input_packets: 10,
            output_packets: 11,
        }),
        event_timestamp: Some(1_700_000_000),
        ..AccountingRecord::new(AcctStatusType::InterimUpdate, b"sess-1")
    };
    c.account(Instant::ZERO, &rec).unwrap();
    let mut sent = vec![c.poll_transmit(Instant::ZERO).unwrap().payload];
    let mut now = Instant::ZERO;
    for _ in 0..2 {
        now = c.poll_timeout().unwrap();
        c.handle_timeout(now);
        sent.push(c.poll_transmit(now).unwrap().payload);
    }
    let delays: Vec<u32> = sent
        .iter()
        .map(|b| {
            Packet::parse(b)
                .unwrap()
                .get(attr::ACCT_DELAY_TIME)
                .unwrap()
                .as_u32()
                .unwrap()
        })
        .collect();
    assert_eq!(delays, [0, 3, 6]);
    let ids: Vec<u8> = sent.iter().map(|b| b[1]).collect();
    assert!(ids[0] != ids[1] && ids[1] != ids[2]);
    // Every version is signed and carries the counters with Gigawords.
    for b in &sent {
        assert!(crypto::verify_request_zero(b, SECRET));
        let p = Packet::parse(b).unwrap();
        assert_eq!(p.get(attr::ACCT_INPUT_GIGAWORDS), Some(&Value::Integer(5)));
        assert_eq!(p.get(attr::ACCT_INPUT_OCTETS), Some(&Value::Integer(1234)));
        assert_eq!(p.get(attr::ACCT_STATUS_TYPE), Some(&Value::Integer(3)));
        assert_eq!(
            p.get(attr::EVENT_TIMESTAMP),
            Some(&Value::Time(1_700_000_000))
        );
    }
    // A late answer to the first transmission finds no request.
    let mut srv = MemServer::new(SECRET);
    let late = srv.answer(&sent[0]).unwrap();
    assert_eq!(
        c.handle_input(now, addr(1813), &late),
        Err(RadiusClientDropped::UnknownIdentifier)
    );
    // The answer to the latest one is accepted, once; its duplicate is dropped.
    let a = srv.answer(&sent[2]).unwrap();
    assert_eq!(c.handle_input(now, addr(1813), &a), Ok(()));
    assert_eq!(
        c.handle_input(now, addr(1813), &a),
        Err(RadiusClientDropped::UnknownIdentifier)
    );
    assert_eq!(c.counters().late_or_duplicate, 2);
    assert!(
        matches!(c.poll_event(), Some(RadiusClientEvent::Response(r)) if r.code == Code::AccountingResponse)
    );
}

#[test]
fn forged_or_unsigned_answers_are_dropped_and_counted() {
    let mut c = client(1);
    c.authenticate(Instant::ZERO, &user(), Some(b"wonderland"))
        .unwrap();
    let req = c.poll_transmit(Instant::ZERO).unwrap().payload;
    // A server with the wrong secret.
    let mut wrong = MemServer::new(b"other");
    wrong.secret = b"other".to_vec();
    // It cannot even verify our Message-Authenticator; forge an answer as it would.
    let mut r = Packet::new(Code::AccessAccept, req[1], req[4..20].try_into().unwrap())
        .to_vec()
        .unwrap();
    crypto::sign_response(&mut r, &req[4..20].try_into().unwrap(), b"other");
    assert_eq!(
        c.handle_input(Instant::ZERO, addr(1812), &r),
        Err(RadiusClientDropped::BadAuthenticator)
    );
    // Right secret but no Message-Authenticator: refused (Blast-RADIUS).
    let mut r = Packet::new(Code::AccessAccept, req[1], [0; 16])
        .to_vec()
        .unwrap();
    crypto::sign_response(&mut r, &req[4..20].try_into().unwrap(), SECRET);
    assert_eq!(
        c.handle_input(Instant::ZERO, addr(1812), &r),
        Err(RadiusClientDropped::MissingMessageAuthenticator)
    );
    // From the wrong port, with a wrong code, garbage.
    assert_eq!(
        c.handle_input(Instant::ZERO, addr(9), &r),
        Err(RadiusClientDropped::WrongSource)
    );
    let mut wrong_code = r.clone();
    wrong_code[0] = 5;
    assert_eq!(
        c.handle_input(Instant::ZERO, addr(1812), &wrong_code),
        Err(RadiusClientDropped::UnexpectedCode)
    );
    assert!(matches!(
        c.handle_input(Instant::ZERO, addr(1812), &[1, 2, 3]),
        Err(RadiusClientDropped::Malformed(_))
    ));
    let s = *c.counters();
    assert_eq!(
        (
            s.bad_authenticator,
            s.missing_message_authenticator,
            s.wrong_source,
            s.unexpected_code,
            s.malformed
        ),
        (1, 1, 1, 1, 1)
    );
    // One request out, five datagrams in, all five dropped.
    assert_eq!((s.transmitted, s.received, s.total_dropped()), (1, 5, 5));
    assert_eq!(c.outstanding(), 1);
    assert!(c.poll_event().is_none());
    // A bad Message-Authenticator with a correct Response Authenticator.
    let mut srv = MemServer::new(SECRET);
    let mut good = srv.answer(&req).unwrap();
    let at = crypto::find_message_authenticator(&good).unwrap();
    good[at] ^= 1;
    crypto::sign_response(&mut good, &req[4..20].try_into().unwrap(), SECRET);
    assert_eq!(
        c.handle_input(Instant::ZERO, addr(1812), &good),
        Err(RadiusClientDropped::BadMessageAuthenticator)
    );

    // Only an explicit opt-out accepts an answer without Message-Authenticator.
    let mut cfg = RadiusClientConfig::new(vec![server(0)]);
    cfg.nas_identifier = Some(b"nas".to_vec());
    cfg.require_message_authenticator = false;
    let mut c = RadiusClient::new(cfg, SeededRng::from_u64(3)).unwrap();
    c.authenticate(Instant::ZERO, &user(), Some(b"wonderland"))
        .unwrap();
    let req = c.poll_transmit(Instant::ZERO).unwrap().payload;
    let mut srv = MemServer::new(SECRET);
    srv.add_ma = false;
    let a = srv.answer(&req).unwrap();
    assert_eq!(c.handle_input(Instant::ZERO, addr(1812), &a), Ok(()));
}

/// A link that loses and duplicates datagrams (both directions) from a seed.
#[test]
fn lossy_duplicating_link_converges_and_bounds_hold() {
    use rand_core::Rng;
    for seed in 0..20u64 {
        let mut rng = SeededRng::from_u64(seed);
        let mut c = client(2);
        let mut servers = [MemServer::new(SECRET), MemServer::new(SECRET)];
        let mut now = Instant::ZERO;
        let mut handles = Vec::new();
        for k in 0..40 {
            let h = if k % 3 == 0 {
                c.account(now, &AccountingRecord::new(AcctStatusType::Start, b"x"))
                    .unwrap()
            } else {
                c.authenticate(now, &user(), Some(b"wonderland")).unwrap()
            };
            handles.push(h);
        }
        let mut done = std::collections::HashSet::new();
        for _ in 0..1000 {
            while let Some(t) = c.poll_transmit(now) {
                if rng.next_u32() % 10 < 3 {
                    continue; // request lost
                }
                let i = server_index(t.destination.address);
                if let Some(a) = servers[i].answer(&t.payload) {
                    let copies = if rng.next_u32() % 10 < 2 { 2 } else { 1 };
                    for _ in 0..copies {
                        if rng.next_u32() % 10 < 3 {
                            continue; // answer lost
                        }
                        let _ = c.handle_input(now, t.destination.address, &a);
                    }
                }
            }
            while let Some(e) = c.poll_event() {
                let h = match e {
                    RadiusClientEvent::Response(r) => r.handle,
                    RadiusClientEvent::Timeout { handle } => handle,
                    _ => continue,
                };
                assert!(done.insert(h), "answered twice: {h:?}");
            }
            assert!(c.outstanding() <= 256);
            match c.poll_timeout() {
                Some(t) => {
                    now = t;
                    c.handle_timeout(now);
                }
                None => break,
            }
        }
        assert_eq!(done.len(), handles.len(), "seed {seed}");
        assert_eq!(c.outstanding(), 0);
        assert!(now < Instant::from_secs(3 * 3 * 2 + 1));
    }
}

#[test]
fn every_access_request_carries_a_valid_message_authenticator() {
    let mut c = client(1);
    c.authenticate(Instant::ZERO, &user(), None).unwrap();
    let b = c.poll_transmit(Instant::ZERO).unwrap().payload;
    let h = Header::parse(&b).unwrap();
    assert_eq!(
        crypto::verify_message_authenticator(&b, &h.authenticator, SECRET),
        crypto::MessageAuth::Valid
    );
}

#[test]
fn configuration_errors_are_refused_up_front() {
    let rng = || SeededRng::from_u64(0);
    assert!(matches!(
        RadiusClient::new(RadiusClientConfig::new(vec![]), rng()),
        Err(RadiusClientConfigError::ServerCount)
    ));
    let mut cfg = RadiusClientConfig::new(vec![server(0)]);
    cfg.servers[0].weight = 0;
    assert!(matches!(
        RadiusClient::new(cfg, rng()),
        Err(RadiusClientConfigError::ZeroWeightOrMaxFail)
    ));
    let mut cfg = RadiusClientConfig::new(vec![server(0)]);
    cfg.max_tries = 0;
    assert!(matches!(
        RadiusClient::new(cfg, rng()),
        Err(RadiusClientConfigError::ZeroTriesOrTimeout)
    ));
    let mut cfg = RadiusClientConfig::new(vec![server(0)]);
    cfg.sources = 65;
    assert!(matches!(
        RadiusClient::new(cfg, rng()),
        Err(RadiusClientConfigError::SourceCount)
    ));
    let mut c = client(1);
    assert_eq!(
        c.authenticate(Instant::ZERO, &user(), Some(&[b'x'; 129])),
        Err(RadiusClientCommandError::Encode(
            RadiusWireError::PasswordTooLong
        ))
    );
    let delay = [Attribute::integer(attr::ACCT_DELAY_TIME, 5)];
    let rec = AccountingRecord {
        extra: &delay,
        ..AccountingRecord::new(AcctStatusType::Stop, b"s")
    };
    assert!(matches!(
        c.account(Instant::ZERO, &rec),
        Err(RadiusClientCommandError::AcctDelayTimeGiven)
    ));
    let big = [b'a'; 253];
    let many: Vec<Attribute<'_>> = (0..17)
        .map(|_| Attribute::bytes(attr::CLASS, &big))
        .collect();
    assert_eq!(
        c.authenticate(Instant::ZERO, &many, None),
        Err(RadiusClientCommandError::Encode(RadiusWireError::TooBig))
    );
    assert_eq!(c.outstanding(), 0);
    // Nothing was sent for any of these.
    assert!(c.poll_transmit(Instant::ZERO).is_none());
    assert!(format!("{:?}", server(0)).contains("<redacted>"));
    assert!(!format!("{c:?}").contains("s3cret"));
}

/// A link with random latency (0..5 s, so answers are reordered and many
/// arrive after a retransmission or a failover), loss and duplication, on a
/// simulated clock: every request ends exactly once, within the bound set by
/// the timers, and nothing stays outstanding.
#[test]
fn reordering_late_link_converges() {
    use rand_core::Rng;
    for seed in 0..20u64 {
        let mut rng = SeededRng::from_u64(1000 + seed);
        let mut c = client(2);
        let mut servers = [MemServer::new(SECRET), MemServer::new(SECRET)];
        let mut now = Instant::ZERO;
        let n = 60;
        for k in 0..n {
            if k % 2 == 0 {
                c.account(
                    now,
                    &AccountingRecord::new(AcctStatusType::InterimUpdate, b"y"),
                )
                .unwrap();
            } else {
                c.authenticate(now, &user(), Some(b"wonderland")).unwrap();
            }
        }
        // (arrival time, from, bytes) of answers in flight.
        let mut wire: Vec<(Instant, SocketAddr, Vec<u8>)> = Vec::new();
        let mut done = std::collections::HashSet::new();
        for _ in 0..100_000 {
            while let Some(t) = c.poll_transmit(now) {
                if rng.next_u32() % 10 < 2 {
                    continue;
                }
                if let Some(a) = servers[server_index(t.destination.address)].answer(&t.payload) {
                    for _ in 0..(1 + u32::from(rng.next_u32().is_multiple_of(4))) {
                        let delay = Duration::from_millis(u64::from(rng.below(5000)));
                        wire.push((now + delay, t.destination.address, a.clone()));
                    }
                }
            }
            while let Some(e) = c.poll_event() {
                let h = match e {
                    RadiusClientEvent::Response(r) => r.handle,
                    RadiusClientEvent::Timeout { handle } => handle,
                    _ => continue,
                };
                assert!(done.insert(h), "seed {seed}: {h:?} ended twice");
            }
            let next_arrival = wire.iter().map(|w| w.0).min();
            let next = match (c.poll_timeout(), next_arrival) {
                (Some(a), Some(b)) => a.min(b),
                (a, b) => match a.or(b) {
                    Some(t) => t,
                    None => break,
                },
            };
            now = now.max(next);
            if let Some(i) = wire.iter().position(|w| w.0 <= now) {
                let (_, from, bytes) = wire.swap_remove(i);
                let _ = c.handle_input(now, from, &bytes);
            } else {
                c.handle_timeout(now);
            }
        }
        assert_eq!(done.len(), n, "seed {seed}");
        assert_eq!(c.outstanding(), 0);
        // 3 tries × 3 s on each of 2 servers, plus the last answer's latency.
        assert!(now <= Instant::from_secs(18 + 5), "seed {seed}: {now:?}");
        let s = c.counters();
        assert_eq!(
            s.bad_authenticator + s.malformed + s.unexpected_code,
            0,
            "{s:?}"
        );
    }
}

/// RFC 2865 §4.1 (and RFC 2866 §4.1): every Access- and
/// Accounting-Request names its NAS. The machine adds the configured
/// NAS-Identifier (else NAS-IP-Address) when the caller did not, keeps the
/// caller's own, and refuses when it has none to add.
#[test]
fn requests_always_name_the_nas() {
    let sent = |c: &mut RadiusClient| c.poll_transmit(Instant::ZERO).unwrap().payload;
    let nas = |b: &[u8]| {
        let p = Packet::parse(b).unwrap();
        (
            p.get_all(attr::NAS_IDENTIFIER)
                .filter_map(Value::as_bytes)
                .map(<[u8]>::to_vec)
                .collect::<Vec<_>>(),
            p.get_all(attr::NAS_IP_ADDRESS)
                .filter_map(Value::as_ipv4)
                .collect::<Vec<_>>(),
        )
    };
    let mut c = client(1);
    c.authenticate(Instant::ZERO, &user(), None).unwrap();
    assert_eq!(nas(&sent(&mut c)), (vec![b"nas".to_vec()], vec![]));
    c.account(
        Instant::ZERO,
        &AccountingRecord::new(AcctStatusType::Start, b"s1"),
    )
    .unwrap();
    assert_eq!(nas(&sent(&mut c)), (vec![b"nas".to_vec()], vec![]));
    // The caller's own NAS-IP-Address: nothing added.
    let ip = std::net::Ipv4Addr::new(192, 0, 2, 1);
    let mut given = user().to_vec();
    given.push(Attribute::new(attr::NAS_IP_ADDRESS, Value::Ipv4(ip)));
    c.authenticate(Instant::ZERO, &given, None).unwrap();
    assert_eq!(nas(&sent(&mut c)), (vec![], vec![ip]));

    // Only an address configured: NAS-IP-Address.
    let mut cfg = RadiusClientConfig::new(vec![server(0)]);
    cfg.nas_ip_address = Some(ip);
    let mut c = RadiusClient::new(cfg, SeededRng::from_u64(1)).unwrap();
    c.authenticate(Instant::ZERO, &user(), None).unwrap();
    assert_eq!(nas(&sent(&mut c)), (vec![], vec![ip]));

    // Nothing to add: refused, nothing sent.
    let mut c = RadiusClient::new(
        RadiusClientConfig::new(vec![server(0)]),
        SeededRng::from_u64(1),
    )
    .unwrap();
    assert!(matches!(
        c.authenticate(Instant::ZERO, &user(), None),
        Err(RadiusClientCommandError::NoNas)
    ));
    assert!(matches!(
        c.account(
            Instant::ZERO,
            &AccountingRecord::new(AcctStatusType::Start, b"s1")
        ),
        Err(RadiusClientCommandError::NoNas)
    ));
    assert!(c.poll_transmit(Instant::ZERO).is_none());
    assert_eq!(c.outstanding(), 0);
}

/// RFC 2865 §3: the Identifier space is per source port. With four
/// sources, 1,024 requests are in flight at once (each source's 256
/// Identifiers distinct), the next is refused, an answer read on the wrong
/// source is dropped, and every answer read on its own source completes
/// its request.
#[test]
fn several_sources_carry_more_than_256_requests() {
    let mut cfg = RadiusClientConfig::new(vec![server(0)]);
    cfg.nas_identifier = Some(b"nas".to_vec());
    cfg.sources = 4;
    let mut c = RadiusClient::new(cfg, SeededRng::from_u64(9)).unwrap();
    assert_eq!(c.capacity(), 1024);
    let mut handles = std::collections::HashSet::new();
    for i in 0..1024u32 {
        let h = if i % 2 == 0 {
            c.authenticate(Instant::ZERO, &user(), Some(b"wonderland"))
        } else {
            let id = i.to_string();
            c.account(
                Instant::ZERO,
                &AccountingRecord::new(AcctStatusType::Start, id.as_bytes()),
            )
        };
        handles.insert(h.unwrap());
    }
    assert_eq!(c.outstanding(), 1024);
    assert_eq!(
        c.authenticate(Instant::ZERO, &user(), None),
        Err(RadiusClientCommandError::IdentifiersExhausted)
    );
    let sent: Vec<_> = std::iter::from_fn(|| c.poll_transmit(Instant::ZERO)).collect();
    assert_eq!(sent.len(), 1024);
    let mut per_source = [
        std::collections::HashSet::new(),
        Default::default(),
        Default::default(),
        Default::default(),
    ];
    for t in &sent {
        assert!(
            per_source[t.destination.source].insert(t.payload[1]),
            "Identifier reused on source {}",
            t.destination.source
        );
    }
    assert!(per_source.iter().all(|s| s.len() == 256));

    let mut srv = MemServer::new(SECRET);
    // On the wrong source: not this request (another one's Identifier, its
    // authenticator does not verify) or none.
    let a = srv.answer(&sent[0].payload).unwrap();
    let wrong = (sent[0].destination.source + 1) % 4;
    assert!(
        c.handle_input_on(Instant::ZERO, wrong, sent[0].destination.address, &a)
            .is_err()
    );
    assert!(
        c.handle_input_on(Instant::ZERO, 4, sent[0].destination.address, &a)
            .is_err()
    );
    assert_eq!(c.outstanding(), 1024);
    for t in &sent {
        let a = srv.answer(&t.payload).unwrap();
        c.handle_input_on(
            Instant::ZERO,
            t.destination.source,
            t.destination.address,
            &a,
        )
        .unwrap();
    }
    assert_eq!(c.outstanding(), 0);
    while let Some(e) = c.poll_event() {
        let RadiusClientEvent::Response(r) = e else {
            panic!("{e:?}")
        };
        assert!(handles.remove(&r.handle));
    }
    assert!(handles.is_empty(), "every request answered once");
    assert_eq!(c.counters().responses, 1024);
}
