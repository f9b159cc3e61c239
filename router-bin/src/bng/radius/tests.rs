//! The RADIUS client glue's unit tests (queueing, bounds, order).

use super::*;
use crate::bng::sessions::Acct;
use std::time::Duration;

/// A client whose server (a socket of ours) never answers.
async fn client(sink: &std::net::UdpSocket) -> Radius {
    let addr = sink.local_addr().unwrap();
    let cfg = config::Radius {
        servers: vec![config::RadiusServer {
            auth: addr,
            acct: addr,
            secret: "s".into(),
        }],
        nas_identifier: "test".into(),
        nas_ip: None,
        timeout_ms: 1000,
        retries: 1,
        sources: 1,
    };
    let r = Radius::new(&cfg, SeededRng::from_u64(1)).await.unwrap();
    r.socks[0].writable().await.unwrap();
    r
}

fn session(id: u16) -> Session {
    let mut s = Session::new(u64::from(id), id, [2; 6], std::time::Instant::now());
    s.user = Some(b"alice".to_vec());
    s.acct = Some(Acct {
        class: Vec::new(),
        interim: None,
        next_interim: None,
        started: true,
        stopped: false,
    });
    s
}

fn pap() -> Credential {
    Credential::Pap {
        password: Secret::from("pw"),
    }
}

#[tokio::test]
async fn requests_beyond_the_identifiers_wait_and_go_out_in_order() {
    let sink = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut r = client(&sink).await;
    let t0 = Instant::from_secs(100);
    let always = |_: u16, _: u64| true;
    for i in 0..300 {
        r.account(&session(i), AcctStatusType::Start, None);
    }
    r.authenticate(&session(1000), b"alice", pap()).unwrap();
    assert!(r.flush(t0, &always).is_empty());
    // 256 in flight (every Identifier), the rest waits: nothing lost.
    assert_eq!(r.client.outstanding(), 256);
    assert_eq!((r.queued(), r.outstanding()), (45, 301));
    assert_eq!((r.errors, r.acct_dropped), (0, 0));
    // The 256 time out (one try, one server): the queue goes out.
    r.handle_timeout(t0 + Duration::from_millis(1100));
    assert!(
        r.flush(t0 + Duration::from_millis(1100), &always)
            .is_empty()
    );
    assert_eq!((r.queued(), r.outstanding()), (0, 45));
    // The Access-Request went out last and times out last: rejected.
    r.handle_timeout(t0 + Duration::from_millis(2200));
    let out = r.flush(t0 + Duration::from_millis(2200), &always);
    assert_eq!(out.len(), 1);
    assert_eq!((out[0].id, out[0].serial), (1000, 1000));
    assert!(matches!(out[0].verdict, Verdict::Reject(_)));
    assert_eq!(r.outstanding(), 0);
}

#[tokio::test]
async fn the_queue_is_bounded_and_skips_sessions_gone() {
    let sink = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut r = client(&sink).await;
    let t0 = Instant::from_secs(100);
    let s = session(1);
    for _ in 0..256 + MAX_QUEUED {
        r.account(&s, AcctStatusType::InterimUpdate, None);
    }
    // Not sent yet (flush sends): the queue is full.
    assert_eq!(r.queued(), MAX_QUEUED);
    assert_eq!(r.acct_dropped, 256);
    assert!(r.authenticate(&session(2), b"alice", pap()).is_err());
    assert!(r.flush(t0, &|_, _| true).is_empty());
    assert_eq!(r.queued(), MAX_QUEUED - 256);
    // An Access-Request of a session that stopped waiting is not sent.
    r.authenticate(&session(3), b"alice", pap()).unwrap();
    let mut t = t0;
    while r.queued() > 0 {
        t += Duration::from_millis(1100);
        r.handle_timeout(t);
        assert!(r.flush(t, &|_, _| false).is_empty());
    }
    assert!(r.auth.is_empty());
}

/// RFC 6929 §2.8: an Access-Accept with an invalid attribute the bng does
/// not use (an empty Reply-Message) is accepted; one with an invalid
/// attribute it acts on (a 3-octet Session-Timeout) is refused.
#[test]
fn invalid_attributes_in_an_access_accept() {
    use radius_proto::wire::{Attribute, Value};
    let mut p = Packet::new(Code::AccessAccept, 1, [0; 16]);
    p.attributes
        .push(Attribute::new(attr::REPLY_MESSAGE, Value::Invalid(b"")));
    p.attributes
        .push(Attribute::integer(attr::SESSION_TIMEOUT, 60));
    let bytes = p.to_vec().unwrap();
    let parsed = Packet::parse(&bytes).unwrap();
    match verdict_of(Code::AccessAccept, &parsed, 1) {
        Verdict::Accept(g) => assert_eq!(g.session_timeout, Some(60)),
        v => panic!("{v:?}"),
    }
    p.attributes[1] = Attribute::new(attr::SESSION_TIMEOUT, Value::Invalid(&[0, 0, 60]));
    let bytes = p.to_vec().unwrap();
    let parsed = Packet::parse(&bytes).unwrap();
    assert!(matches!(
        verdict_of(Code::AccessAccept, &parsed, 1),
        Verdict::Reject(_)
    ));
    assert!(matches!(
        verdict_of(
            Code::AccessReject,
            &Packet::new(Code::AccessReject, 1, [0; 16]),
            1
        ),
        Verdict::Reject(_)
    ));
}

/// A loopback RADIUS server on its own thread: answers every
/// Access-Request with a signed Access-Accept and every
/// Accounting-Request with an Accounting-Response, until idle for 3 s.
fn loopback_server(secret: &'static [u8]) -> (SocketAddr, std::thread::JoinHandle<usize>) {
    use radius_proto::crypto;
    use radius_proto::wire::Attribute;
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None).unwrap();
    s.set_recv_buffer_size(4 << 20).unwrap();
    s.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .unwrap();
    let sock: std::net::UdpSocket = s.into();
    sock.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let addr = sock.local_addr().unwrap();
    let t = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        let mut answered = 0;
        while let Ok((n, from)) = sock.recv_from(&mut buf) {
            let Ok(req) = Packet::parse(&buf[..n]) else {
                continue;
            };
            let code = match req.code {
                Code::AccessRequest => Code::AccessAccept,
                Code::AccountingRequest => Code::AccountingResponse,
                _ => continue,
            };
            let mut a = Packet::new(code, req.identifier, req.authenticator);
            if code == Code::AccessAccept {
                a.attributes
                    .push(Attribute::bytes(attr::MESSAGE_AUTHENTICATOR, &[0; 16]));
            }
            let mut b = a.to_vec().unwrap();
            crypto::sign_message_authenticator(&mut b, &req.authenticator, secret);
            crypto::sign_response(&mut b, &req.authenticator, secret);
            sock.send_to(&b, from).unwrap();
            answered += 1;
        }
        answered
    });
    (addr, t)
}

/// More than 256 requests in flight: with 4 source sockets (4 Identifier
/// spaces, RFC 2865 §3), 1,000 Access- and Accounting-Requests go out at
/// once (none waits in the queue) and all complete over loopback, each
/// answer read on the socket its request went from.
#[tokio::test]
async fn a_thousand_concurrent_requests_complete_over_several_sources() {
    let (server, thread) = loopback_server(b"s");
    let cfg = config::Radius {
        servers: vec![config::RadiusServer {
            auth: server,
            acct: server,
            secret: "s".into(),
        }],
        nas_identifier: "test".into(),
        nas_ip: None,
        timeout_ms: 1000,
        retries: 3,
        sources: 4,
    };
    let mut r = Radius::new(&cfg, SeededRng::from_u64(1)).await.unwrap();
    for s in &r.socks {
        s.writable().await.unwrap();
    }
    let clock = sansio_primitives::StdClock::new();
    let always = |_: u16, _: u64| true;
    for i in 0..1000u16 {
        if i % 2 == 0 {
            r.authenticate(&session(i), b"alice", pap()).unwrap();
        } else {
            r.account(&session(i), AcctStatusType::Start, None);
        }
    }
    let mut accepted = 0;
    accepted += r.flush(clock.now(), &always).len();
    assert_eq!((r.client.outstanding(), r.queued()), (1000, 0));
    let mut buf = vec![0u8; 4096];
    let end = std::time::Instant::now() + Duration::from_secs(20);
    while r.outstanding() > 0 {
        assert!(std::time::Instant::now() < end, "{} left", r.outstanding());
        match tokio::time::timeout(Duration::from_millis(200), r.recv(&mut buf)).await {
            Ok((source, Ok((n, from)))) => r.handle_datagram(clock.now(), source, from, &buf[..n]),
            Ok((_, Err(e))) => panic!("{e}"),
            Err(_) => r.handle_timeout(clock.now()),
        }
        for o in r.flush(clock.now(), &always) {
            assert!(matches!(o.verdict, Verdict::Accept(_)), "{o:?}");
            accepted += 1;
        }
    }
    assert_eq!(accepted, 500);
    assert_eq!(r.client.counters().responses, 1000);
    assert_eq!(r.errors, 0);
    let answered = tokio::task::spawn_blocking(move || thread.join().unwrap())
        .await
        .unwrap();
    assert!(answered >= 1000);
}

/// The first datagram after start-up goes out as soon as its socket is
/// writable: a tokio socket reports EWOULDBLOCK until the reactor has seen
/// it writable, and the Accounting-On used to be dropped there (sent only on
/// retransmission, after the first session's Start).
#[tokio::test]
async fn the_first_datagram_waits_for_a_writable_socket_and_is_not_lost() {
    let sink = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sink.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    let addr = sink.local_addr().unwrap();
    let cfg = config::Radius {
        servers: vec![config::RadiusServer {
            auth: addr,
            acct: addr,
            secret: "s".into(),
        }],
        nas_identifier: "test".into(),
        nas_ip: None,
        timeout_ms: 1000,
        retries: 1,
        sources: 2,
    };
    // No `writable().await` here: as at the bng's start.
    let mut r = Radius::new(&cfg, SeededRng::from_u64(1)).await.unwrap();
    let t0 = Instant::from_secs(100);
    r.accounting_on_off(true);
    assert!(!r.ready());
    assert!(r.flush(t0, &|_, _| true).is_empty());
    assert_eq!(r.errors, 0, "nothing dropped");
    if r.unsent() > 0 {
        tokio::time::timeout(Duration::from_secs(1), r.writable())
            .await
            .expect("the socket becomes writable")
            .unwrap();
        assert!(r.flush(t0, &|_, _| true).is_empty());
    }
    assert_eq!((r.unsent(), r.errors), (0, 0));
    // Already in the sink's buffer (sent synchronously), or never.
    let mut buf = [0u8; 4096];
    let (n, _) = sink
        .recv_from(&mut buf)
        .expect("the Accounting-On arrives without a retransmission");
    let p = Packet::parse(&buf[..n]).unwrap();
    assert_eq!(p.code, Code::AccountingRequest);
    assert_eq!(
        p.get(attr::ACCT_STATUS_TYPE).and_then(|v| v.as_u32()),
        Some(7)
    );
    // Unanswered: after its one try, sessions are accepted anyway.
    r.handle_timeout(t0 + Duration::from_millis(1100));
    assert!(
        r.flush(t0 + Duration::from_millis(1100), &|_, _| true)
            .is_empty()
    );
    assert!(r.ready());
}

/// Sessions wait for the Accounting-On's answer.
#[tokio::test]
async fn ready_once_accounting_on_is_answered() {
    let (server, thread) = loopback_server(b"s");
    let cfg = config::Radius {
        servers: vec![config::RadiusServer {
            auth: server,
            acct: server,
            secret: "s".into(),
        }],
        nas_identifier: "test".into(),
        nas_ip: None,
        timeout_ms: 1000,
        retries: 3,
        sources: 1,
    };
    let mut r = Radius::new(&cfg, SeededRng::from_u64(1)).await.unwrap();
    let t0 = Instant::from_secs(100);
    r.accounting_on_off(true);
    r.account(&session(1), AcctStatusType::Start, None);
    let mut buf = vec![0u8; 4096];
    assert!(r.flush(t0, &|_, _| true).is_empty());
    assert!(!r.ready());
    while r.outstanding() > 0 {
        tokio::select! {
            w = r.writable() => w.unwrap(),
            (i, got) = r.recv(&mut buf) => {
                let (n, from) = got.unwrap();
                r.handle_datagram(t0, i, from, &buf[..n]);
            }
            _ = tokio::time::sleep(Duration::from_secs(2)) => panic!("no answer"),
        }
        assert!(r.flush(t0, &|_, _| true).is_empty());
    }
    assert!(r.ready());
    assert_eq!(r.client.counters().retransmissions, 0);
    drop(r);
    let _ = tokio::task::spawn_blocking(move || thread.join()).await;
}
