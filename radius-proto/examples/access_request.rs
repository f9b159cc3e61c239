//! A NAS asks a RADIUS server about a PPP user, in memory: the client
//! machine encodes an Access-Request (User-Password hidden, a
//! Message-Authenticator added); a synthetic server checks the password and
//! answers an Access-Accept with an address. A forged answer, signed with
//! the wrong secret, is dropped; the genuine one is verified and read.
//!
//! `cargo run --example access_request`

use std::net::{Ipv4Addr, SocketAddr};

use radius_proto::dict::AccessReply;
use radius_proto::wire::{Attribute, Code, Packet, Value, attr};
use radius_proto::{
    RadiusClient, RadiusClientConfig, RadiusClientEvent, RadiusServerConfig, Secret, crypto,
};
use sansio_primitives::{Instant, SeededRng};

const SECRET: &[u8] = b"s3cret";

fn main() {
    let server: SocketAddr = "192.0.2.2:1812".parse().unwrap();
    let accounting: SocketAddr = "192.0.2.2:1813".parse().unwrap();
    let config = RadiusClientConfig::new(vec![RadiusServerConfig::new(
        server,
        accounting,
        Secret::new(SECRET),
    )]);
    let mut nas = RadiusClient::new(config, SeededRng::from_u64(7)).expect("config");
    let now = Instant::ZERO;

    let attributes = [
        Attribute::bytes(attr::USER_NAME, b"alice"),
        Attribute::new(
            attr::NAS_IP_ADDRESS,
            Value::Ipv4(Ipv4Addr::new(192, 0, 2, 1)),
        ),
        Attribute::integer(attr::FRAMED_PROTOCOL, 1), // PPP
    ];
    let handle = nas
        .authenticate(now, &attributes, Some(b"wonderland"))
        .expect("an Identifier");
    let request = nas.poll_transmit(now).expect("the Access-Request");
    assert_eq!(request.destination.address, server);
    let req = Packet::parse(&request.payload).expect("we emit valid packets");
    println!(
        "NAS -> {server}: {:?} id {}, {} bytes",
        req.code,
        req.identifier,
        request.payload.len()
    );
    for a in &req.attributes {
        let name = attr::def(a.typ).map_or("?", |d| d.name);
        match a.value.as_str() {
            Some(text) => println!("  {name} ({}): {text:?}", a.typ),
            None => println!("  {name} ({}): {:?}", a.typ, a.value),
        }
    }
    println!(
        "retransmission at {:?}",
        nas.poll_timeout().expect("a timer")
    );

    // The server's side: recover the password, answer with an address.
    let hidden = req
        .get(attr::USER_PASSWORD)
        .and_then(Value::as_bytes)
        .expect("User-Password");
    let password =
        crypto::recover_password(hidden, SECRET, &req.authenticator).expect("hidden well");
    assert!(password.expose() == b"wonderland");
    let mut accept = Packet::new(Code::AccessAccept, req.identifier, req.authenticator);
    accept.attributes.push(Attribute::new(
        attr::FRAMED_IP_ADDRESS,
        Value::Ipv4(Ipv4Addr::new(192, 0, 2, 10)),
    ));
    accept
        .attributes
        .push(Attribute::integer(attr::SESSION_TIMEOUT, 3600));
    accept
        .attributes
        .push(Attribute::bytes(attr::MESSAGE_AUTHENTICATOR, &[0; 16]));
    let answer = |secret: &[u8]| {
        let mut bytes = accept.to_vec().expect("fits 4096 octets");
        crypto::sign_message_authenticator(&mut bytes, &req.authenticator, secret);
        crypto::sign_response(&mut bytes, &req.authenticator, secret);
        bytes
    };

    // A forgery (wrong secret) is dropped, counted, and changes nothing.
    let dropped = nas
        .handle_input(now, server, &answer(b"guess"))
        .unwrap_err();
    println!("forged Access-Accept: dropped ({dropped})");
    assert!(nas.poll_event().is_none());

    nas.handle_input(now, server, &answer(SECRET))
        .expect("the genuine answer");
    match nas.poll_event() {
        Some(RadiusClientEvent::Response(r)) => {
            assert_eq!((r.handle, r.code), (handle, Code::AccessAccept));
            let reply = AccessReply::from_packet(&r.packet().expect("verified"));
            println!(
                "{server} -> NAS: {:?}, Framed-IP-Address {:?}, Session-Timeout {:?}",
                r.code, reply.framed_ip, reply.session_timeout
            );
            assert_eq!(reply.framed_ip, Some(Ipv4Addr::new(192, 0, 2, 10)));
        }
        other => panic!("expected the Access-Accept, got {other:?}"),
    }
    assert_eq!(nas.poll_timeout(), None); // nothing left to retransmit
}
