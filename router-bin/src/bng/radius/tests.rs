//! The RADIUS client glue's unit tests (queueing, bounds, order).

use super::*;
use crate::bng::sessions::Acct;
use std::time::Duration;

/// The `[radius]` section for one server at `addr`.
fn config(addr: SocketAddr, timeout_ms: u64, retries: u32, sources: usize) -> config::Radius {
    config::Radius {
        servers: vec![config::RadiusServer {
            auth: addr,
            acct: addr,
            secret: "s".into(),
        }],
        nas_identifier: "test".into(),
        nas_ip: None,
        timeout_ms,
        retries,
        sources,
    }
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

/// A silent server: a thread reading what arrives (as it comes, so the
/// socket buffer never overflows) until idle for `idle_ms`; the Codes in
/// order.
fn silent_server(idle_ms: u64) -> (SocketAddr, std::thread::JoinHandle<Vec<Code>>) {
    let sink = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sink.set_read_timeout(Some(Duration::from_millis(idle_ms)))
        .unwrap();
    let addr = sink.local_addr().unwrap();
    let t = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        let mut codes = Vec::new();
        while let Ok((n, _)) = sink.recv_from(&mut buf) {
            codes.push(Packet::parse(&buf[..n]).unwrap().code);
        }
        codes
    });
    (addr, t)
}

/// Waits (at most 3 s) until `done` holds.
async fn until(mut done: impl FnMut() -> bool) {
    let end = std::time::Instant::now() + Duration::from_secs(3);
    while !done() {
        assert!(std::time::Instant::now() < end, "timed out");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn requests_beyond_the_identifiers_wait_and_go_out_in_order() {
    let (server, sink) = silent_server(1000);
    let cfg = config(server, 300, 1, 1);
    let mut r = Radius::new(&cfg, SeededRng::from_u64(1)).await.unwrap();
    let always = |_: u16, _: u64| true;
    for i in 0..300 {
        r.account(&session(i), AcctStatusType::Start, None);
    }
    r.authenticate(&session(1000), b"alice", pap()).unwrap();
    assert_eq!(r.outstanding(), 301);
    // 256 in flight (every Identifier), the rest waits: nothing lost.
    until(|| r.queued() == 45).await;
    assert_eq!(r.outstanding(), 301);
    assert_eq!((r.errors(), r.acct_dropped), (0, 0));
    // The 256 time out (one try, one server): the queue goes out, the
    // Access-Request last, and it times out last: rejected. Each
    // Accounting-Request's end wakes the loop too (`decided`).
    let mut out = Vec::new();
    while out.is_empty() {
        tokio::time::timeout(Duration::from_secs(3), r.decided())
            .await
            .expect("decided");
        out = r.flush(Instant::ZERO, &always);
    }
    assert_eq!(out.len(), 1);
    assert_eq!((out[0].id, out[0].serial), (1000, 1000));
    assert!(matches!(out[0].verdict, Verdict::Reject(_)));
    until(|| r.outstanding() == 0).await;
    let codes = tokio::task::spawn_blocking(move || sink.join().unwrap())
        .await
        .unwrap();
    assert_eq!(codes.len(), 301);
    assert!(codes[..300].iter().all(|c| *c == Code::AccountingRequest));
    assert_eq!(codes[300], Code::AccessRequest);
}

#[tokio::test]
async fn the_queue_is_bounded() {
    let sink = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let cfg = config(sink.local_addr().unwrap(), 60_000, 1, 1);
    let mut r = Radius::new(&cfg, SeededRng::from_u64(1)).await.unwrap();
    let s = session(1);
    // Admitted at once: every Identifier's worth, and the queue.
    for _ in 0..256 + MAX_QUEUED {
        r.account(&s, AcctStatusType::InterimUpdate, None);
    }
    assert_eq!(r.acct_dropped, 0);
    // Beyond: an Accounting-Request is dropped, an Access-Request refused.
    for _ in 0..10 {
        r.account(&s, AcctStatusType::InterimUpdate, None);
    }
    assert_eq!(r.acct_dropped, 10);
    assert!(r.authenticate(&session(2), b"alice", pap()).is_err());
    until(|| r.queued() == MAX_QUEUED).await;
    assert!(r.authenticate(&session(2), b"alice", pap()).is_err());
    assert_eq!(r.outstanding(), 256 + MAX_QUEUED);
}

#[tokio::test]
async fn an_access_request_of_a_session_gone_is_withdrawn() {
    let (server, sink) = silent_server(1000);
    let cfg = config(server, 300, 1, 1);
    let mut r = Radius::new(&cfg, SeededRng::from_u64(1)).await.unwrap();
    for i in 0..256 {
        r.account(&session(i), AcctStatusType::Start, None);
    }
    r.authenticate(&session(1000), b"alice", pap()).unwrap();
    until(|| r.queued() == 1).await;
    // The session stopped waiting while its request waits for an
    // Identifier: withdrawn, never sent, never decided.
    assert!(r.flush(Instant::ZERO, &|_, _| false).is_empty());
    assert!(r.auth.is_empty());
    until(|| r.outstanding() == 0).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(r.flush(Instant::ZERO, &|_, _| true).is_empty());
    let codes = tokio::task::spawn_blocking(move || sink.join().unwrap())
        .await
        .unwrap();
    assert_eq!(codes.len(), 256, "the 256 Starts, not the Access-Request");
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
    let cfg = config(server, 1000, 3, 4);
    let mut r = Radius::new(&cfg, SeededRng::from_u64(1)).await.unwrap();
    let always = |_: u16, _: u64| true;
    for i in 0..1000u16 {
        if i % 2 == 0 {
            r.authenticate(&session(i), b"alice", pap()).unwrap();
        } else {
            r.account(&session(i), AcctStatusType::Start, None);
        }
    }
    // None waits for an Identifier: 4 × 256 of them.
    until(|| r.queued() == 0).await;
    let mut accepted = 0;
    let end = std::time::Instant::now() + Duration::from_secs(20);
    while accepted < 500 {
        assert!(std::time::Instant::now() < end, "{accepted} accepted");
        let _ = tokio::time::timeout(Duration::from_millis(200), r.decided()).await;
        for o in r.flush(Instant::ZERO, &always) {
            assert!(matches!(o.verdict, Verdict::Accept(_)), "{o:?}");
            accepted += 1;
        }
    }
    until(|| r.outstanding() == 0).await;
    until(|| r.driver.counters().responses == 1000).await;
    assert_eq!(r.errors(), 0);
    let answered = tokio::task::spawn_blocking(move || thread.join().unwrap())
        .await
        .unwrap();
    assert!(answered >= 1000);
}

/// The first datagram after start-up goes out at once: the Accounting-On
/// must reach the server before any session's Start (it used to be
/// dropped on a socket the reactor had not yet seen writable, and sent
/// only on retransmission).
#[tokio::test]
async fn the_first_datagram_is_not_lost() {
    let sink = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let cfg = config(sink.local_addr().unwrap(), 1000, 1, 2);
    let mut r = Radius::new(&cfg, SeededRng::from_u64(1)).await.unwrap();
    r.accounting_on_off(true);
    assert!(!r.ready());
    // Its one try is within the first second: no retransmission.
    let first = tokio::task::spawn_blocking(move || {
        sink.set_read_timeout(Some(Duration::from_millis(900)))
            .unwrap();
        let mut buf = [0u8; 4096];
        sink.recv_from(&mut buf).map(|(n, _)| buf[..n].to_vec())
    })
    .await
    .unwrap()
    .expect("the Accounting-On arrives without a retransmission");
    let p = Packet::parse(&first).unwrap();
    assert_eq!(p.code, Code::AccountingRequest);
    assert_eq!(
        p.get(attr::ACCT_STATUS_TYPE).and_then(|v| v.as_u32()),
        Some(7)
    );
    assert_eq!(
        p.get(attr::NAS_IDENTIFIER).and_then(|v| v.as_str()),
        Some("test")
    );
    assert!(p.get(attr::EVENT_TIMESTAMP).is_some());
    // Unanswered: after its one try, sessions are accepted anyway.
    until(|| r.ready()).await;
    assert!(r.flush(Instant::ZERO, &|_, _| true).is_empty());
    assert_eq!(r.errors(), 0);
}

/// Sessions wait for the Accounting-On's answer.
#[tokio::test]
async fn ready_once_accounting_on_is_answered() {
    let (server, thread) = loopback_server(b"s");
    let cfg = config(server, 1000, 3, 1);
    let mut r = Radius::new(&cfg, SeededRng::from_u64(1)).await.unwrap();
    r.accounting_on_off(true);
    r.account(&session(1), AcctStatusType::Start, None);
    assert!(!r.ready());
    until(|| r.ready()).await;
    until(|| r.outstanding() == 0).await;
    until(|| r.driver.counters().responses == 2).await;
    assert_eq!(r.driver.counters().retransmissions, 0);
    drop(r);
    let _ = tokio::task::spawn_blocking(move || thread.join()).await;
}
