//! The CoA/Disconnect listener: verification, session selection, ACK/NAK
//! with Error-Cause, duplicates, bounds.

use std::net::SocketAddr;

use radius_proto::crypto;
use radius_proto::dynauth::{
    Answer, DynAuthClient, DynAuthConfig, DynAuthDropped, DynAuthEvent, DynAuthServer, ErrorCause,
    RequestKind,
};
use radius_proto::wire::{Attribute, Code, Packet, Value, attr};
use radius_proto::{DynAuthCommandError, Secret};
use sansio_primitives::{Duration, Instant};

const SECRET: &[u8] = b"coa-secret";

fn from() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 40000))
}

fn listener() -> DynAuthServer {
    let mut cfg = DynAuthConfig::new(vec![DynAuthClient {
        addr: from().ip(),
        secret: Secret::new(SECRET),
    }]);
    cfg.max_pending = 4;
    DynAuthServer::new(cfg)
}

fn request(code: Code, id: u8, attrs: &[Attribute<'_>], with_ma: bool) -> Vec<u8> {
    let mut p = Packet::new(code, id, [0; 16]);
    p.attributes.extend_from_slice(attrs);
    if with_ma {
        p.attributes
            .push(Attribute::bytes(attr::MESSAGE_AUTHENTICATOR, &[0; 16]));
    }
    let mut b = p.to_vec().unwrap();
    crypto::sign_message_authenticator(&mut b, &[0; 16], SECRET);
    crypto::sign_request_zero(&mut b, SECRET);
    b
}

fn answer_of(l: &mut DynAuthServer, req: &[u8]) -> Vec<u8> {
    let t = l.poll_transmit(Instant::ZERO).expect("an answer");
    assert_eq!(t.destination, from());
    let ra: [u8; 16] = req[4..20].try_into().unwrap();
    assert!(crypto::verify_response(&t.payload, &ra, SECRET));
    t.payload
}

#[test]
fn disconnect_known_session_ack_unknown_nak_503() {
    let mut l = listener();
    for (id, with_ma, verdict) in [
        (1u8, false, Answer::Ack),
        (2, true, Answer::Nak(ErrorCause::SESSION_CONTEXT_NOT_FOUND)),
    ] {
        let req = request(
            Code::DisconnectRequest,
            id,
            &[
                Attribute::bytes(attr::ACCT_SESSION_ID, b"sess-9"),
                Attribute::bytes(attr::USER_NAME, b"alice"),
            ],
            with_ma,
        );
        l.handle_input(Instant::ZERO, from(), &req).unwrap();
        let Some(DynAuthEvent::Request(r)) = l.poll_event() else {
            panic!()
        };
        assert_eq!(r.kind, RequestKind::Disconnect);
        assert_eq!(r.selector.acct_session_id.as_deref(), Some(&b"sess-9"[..]));
        assert_eq!(r.selector.user_name.as_deref(), Some(&b"alice"[..]));
        l.respond(Instant::ZERO, r.handle, verdict).unwrap();
        let a = answer_of(&mut l, &req);
        let p = Packet::parse(&a).unwrap();
        match verdict {
            Answer::Ack => assert_eq!(p.code, Code::DisconnectAck),
            Answer::Nak(_) => {
                assert_eq!(p.code, Code::DisconnectNak);
                assert_eq!(p.get(attr::ERROR_CAUSE), Some(&Value::Integer(503)));
                let ra: [u8; 16] = req[4..20].try_into().unwrap();
                assert_eq!(
                    crypto::verify_message_authenticator(&a, &ra, SECRET),
                    crypto::MessageAuth::Valid
                );
            }
        }
        assert_eq!(
            l.respond(Instant::ZERO, r.handle, Answer::Ack),
            Err(DynAuthCommandError::UnknownHandle)
        );
    }
    assert_eq!((l.counters().acks, l.counters().naks), (1, 1));
}

#[test]
fn coa_with_framed_ip_and_retransmission_answered_from_cache() {
    let mut l = listener();
    let req = request(
        Code::CoaRequest,
        7,
        &[
            Attribute::new(attr::FRAMED_IP_ADDRESS, Value::Ipv4([192, 0, 2, 7].into())),
            Attribute::integer(attr::NAS_PORT, 3),
            Attribute::integer(attr::SESSION_TIMEOUT, 60),
            Attribute::bytes(attr::PROXY_STATE, b"ps"),
        ],
        false,
    );
    l.handle_input(Instant::ZERO, from(), &req).unwrap();
    let Some(DynAuthEvent::Request(r)) = l.poll_event() else {
        panic!()
    };
    assert_eq!(r.kind, RequestKind::Coa);
    assert_eq!(r.selector.framed_ip, Some([192, 0, 2, 7].into()));
    assert_eq!(r.selector.nas_port, Some(3));
    assert_eq!(
        l.handle_input(Instant::ZERO, from(), &req),
        Err(DynAuthDropped::Duplicate)
    );
    assert!(l.poll_transmit(Instant::ZERO).is_none()); // no answer yet to repeat
    l.respond(Instant::ZERO, r.handle, Answer::Ack).unwrap();
    let a = answer_of(&mut l, &req);
    assert_eq!(
        Packet::parse(&a)
            .unwrap()
            .get(attr::PROXY_STATE)
            .unwrap()
            .as_bytes(),
        Some(&b"ps"[..])
    );
    assert_eq!(
        l.handle_input(Instant::from_secs(1), from(), &req),
        Err(DynAuthDropped::Duplicate)
    );
    assert_eq!(answer_of(&mut l, &req), a);
    assert!(l.poll_event().is_none());
    assert_eq!(Packet::parse(&a).unwrap().code, Code::CoaAck);
}

#[test]
fn bad_authenticator_unknown_client_and_missing_selector() {
    let mut l = listener();
    let mut req = request(
        Code::DisconnectRequest,
        1,
        &[Attribute::bytes(attr::USER_NAME, b"bob")],
        false,
    );
    req[10] ^= 0xff;
    assert_eq!(
        l.handle_input(Instant::ZERO, from(), &req),
        Err(DynAuthDropped::BadAuthenticator)
    );
    req[10] ^= 0xff;
    let stranger = SocketAddr::from(([127, 0, 0, 2], 1));
    assert_eq!(
        l.handle_input(Instant::ZERO, stranger, &req),
        Err(DynAuthDropped::UnknownClient)
    );
    // Signed with another secret.
    let mut other = Packet::new(Code::DisconnectRequest, 1, [0; 16]);
    other
        .attributes
        .push(Attribute::bytes(attr::USER_NAME, b"bob"));
    let mut other = other.to_vec().unwrap();
    crypto::sign_request_zero(&mut other, b"wrong");
    assert_eq!(
        l.handle_input(Instant::ZERO, from(), &other),
        Err(DynAuthDropped::BadAuthenticator)
    );
    assert!(l.poll_event().is_none() && l.poll_transmit(Instant::ZERO).is_none());
    // No session identification: NAK 402 without bothering the application.
    let req = request(
        Code::DisconnectRequest,
        3,
        &[Attribute::integer(attr::SESSION_TIMEOUT, 1)],
        false,
    );
    l.handle_input(Instant::ZERO, from(), &req).unwrap();
    assert!(l.poll_event().is_none());
    let a = answer_of(&mut l, &req);
    assert_eq!(
        Packet::parse(&a).unwrap().get(attr::ERROR_CAUSE),
        Some(&Value::Integer(402))
    );
    // Calling-Station-Id alone, or an identification attribute the
    // selector has no field for, does identify: the application decides.
    for (id, a) in [
        (
            4,
            Attribute::bytes(attr::CALLING_STATION_ID, b"02-00-00-00-00-01"),
        ),
        (5, Attribute::bytes(attr::NAS_PORT_ID, b"eth1:7")),
    ] {
        let typ = a.typ;
        let req = request(Code::DisconnectRequest, id, &[a], false);
        l.handle_input(Instant::ZERO, from(), &req).unwrap();
        let Some(DynAuthEvent::Request(r)) = l.poll_event() else {
            panic!("attribute {typ} did not reach the application");
        };
        assert!(!r.selector.is_empty());
        if typ == attr::CALLING_STATION_ID {
            assert_eq!(
                r.selector.calling_station_id.as_deref(),
                Some(&b"02-00-00-00-00-01"[..])
            );
        } else {
            assert_eq!(r.selector.other, vec![attr::NAS_PORT_ID]);
        }
        l.respond(
            Instant::ZERO,
            r.handle,
            Answer::Nak(ErrorCause::SESSION_CONTEXT_NOT_FOUND),
        )
        .unwrap();
        while l.poll_transmit(Instant::ZERO).is_some() {}
    }
    assert!(matches!(
        l.handle_input(Instant::ZERO, from(), &[0; 5]),
        Err(DynAuthDropped::Malformed(_))
    ));
    let acct = request(Code::AccountingRequest, 1, &[], false);
    assert_eq!(
        l.handle_input(Instant::ZERO, from(), &acct),
        Err(DynAuthDropped::UnexpectedCode)
    );
}

#[test]
fn pending_requests_are_bounded_and_expire() {
    let mut l = listener();
    for id in 0..5u8 {
        let req = request(
            Code::CoaRequest,
            id,
            &[Attribute::bytes(attr::USER_NAME, b"u")],
            false,
        );
        let r = l.handle_input(Instant::ZERO, from(), &req);
        if id < 4 {
            r.unwrap();
        } else {
            assert_eq!(r, Err(DynAuthDropped::TooManyPending));
        }
    }
    assert_eq!(l.poll_timeout(), Some(Instant::from_secs(10)));
    l.handle_timeout(Instant::ZERO + Duration::from_secs(10));
    assert_eq!(l.counters().expired, 4);
}

#[test]
fn request_for_another_nas_is_naked_403() {
    let mut cfg = DynAuthConfig::new(vec![DynAuthClient {
        addr: from().ip(),
        secret: Secret::new(SECRET),
    }]);
    cfg.nas_ip = Some([192, 0, 2, 1].into());
    cfg.nas_identifier = Some(b"bng-1".to_vec());
    let mut l = DynAuthServer::new(cfg);
    for (i, nas) in [
        Attribute::new(attr::NAS_IP_ADDRESS, Value::Ipv4([192, 0, 2, 2].into())),
        Attribute::bytes(attr::NAS_IDENTIFIER, b"bng-2"),
    ]
    .into_iter()
    .enumerate()
    {
        let req = request(
            Code::DisconnectRequest,
            i as u8,
            &[Attribute::bytes(attr::USER_NAME, b"u"), nas],
            false,
        );
        l.handle_input(Instant::ZERO, from(), &req).unwrap();
        assert!(l.poll_event().is_none());
        let a = answer_of(&mut l, &req);
        assert_eq!(
            Packet::parse(&a).unwrap().get(attr::ERROR_CAUSE),
            Some(&Value::Integer(403))
        );
    }
    // Ours: handed to the application.
    let req = request(
        Code::DisconnectRequest,
        9,
        &[
            Attribute::bytes(attr::USER_NAME, b"u"),
            Attribute::new(attr::NAS_IP_ADDRESS, Value::Ipv4([192, 0, 2, 1].into())),
        ],
        false,
    );
    l.handle_input(Instant::ZERO, from(), &req).unwrap();
    assert!(matches!(l.poll_event(), Some(DynAuthEvent::Request(_))));
}

/// RFC 6929 §2.8: a CoA-Request with one empty text attribute (an invalid
/// attribute) and a good authenticator is answered — CoA-NAK with
/// Error-Cause 407 (Invalid-Attribute-Value) — not dropped as malformed, and
/// the retransmission gets the same answer from the cache.
#[test]
fn coa_with_an_empty_text_attribute_is_answered_not_dropped() {
    let mut l = listener();
    let req = request(
        Code::CoaRequest,
        9,
        &[
            Attribute::new(attr::FRAMED_IP_ADDRESS, Value::Ipv4([192, 0, 2, 7].into())),
            Attribute::new(attr::USER_NAME, Value::Invalid(b"")),
        ],
        true,
    );
    assert_eq!(&req[26..28], [attr::USER_NAME, 2]);
    l.handle_input(Instant::ZERO, from(), &req).unwrap();
    assert!(
        l.poll_event().is_none(),
        "refused whole, not half understood"
    );
    let a = answer_of(&mut l, &req);
    let p = Packet::parse(&a).unwrap();
    assert_eq!(p.code, Code::CoaNak);
    assert_eq!(p.get(attr::ERROR_CAUSE), Some(&Value::Integer(407)));
    assert_eq!(l.counters().malformed, 0);
    assert_eq!((l.counters().naks, l.counters().invalid_attributes), (1, 1));
    assert_eq!(
        l.handle_input(Instant::from_secs(1), from(), &req),
        Err(DynAuthDropped::Duplicate)
    );
    assert_eq!(answer_of(&mut l, &req), a);
}
