//! The RADIUS client glue's unit tests (queueing, bounds, order).

use super::*;
use crate::sessions::Acct;
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
    };
    let r = Radius::new(&cfg, SeededRng::from_u64(1)).await.unwrap();
    r.sock.writable().await.unwrap();
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
        password: ppp_proto::Secret::from("pw"),
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
    for _ in 0..IDENTIFIERS + MAX_QUEUED {
        r.account(&s, AcctStatusType::InterimUpdate, None);
    }
    // Not sent yet (flush sends): the queue is full.
    assert_eq!(r.queued(), MAX_QUEUED);
    assert_eq!(r.acct_dropped, IDENTIFIERS as u64);
    assert!(r.authenticate(&session(2), b"alice", pap()).is_err());
    assert!(r.flush(t0, &|_, _| true).is_empty());
    assert_eq!(r.queued(), MAX_QUEUED - IDENTIFIERS);
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
