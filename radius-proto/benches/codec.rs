//! Encode and decode of a typical Access-Request and Accounting-Request,
//! with the crypto a NAS does per packet. Compare the rows with each other
//! (and with `radclient` via bench/), not as absolute numbers.

use criterion::{Criterion, criterion_group, criterion_main};
use radius_proto::client::{
    AccountingRecord, AcctStatusType, Counters, RadiusClient, RadiusClientConfig,
    RadiusServerConfig,
};
use radius_proto::wire::{Attribute, Packet, Value, attr};
use radius_proto::{Secret, crypto};
use sansio_primitives::{Instant, SeededRng};
use std::hint::black_box;

fn access_attrs() -> Vec<Attribute<'static>> {
    vec![
        Attribute::bytes(attr::USER_NAME, b"customer-000123@isp.example"),
        Attribute::new(attr::NAS_IP_ADDRESS, Value::Ipv4([192, 0, 2, 1].into())),
        Attribute::integer(attr::NAS_PORT, 4711),
        Attribute::integer(attr::NAS_PORT_TYPE, 15),
        Attribute::integer(attr::SERVICE_TYPE, 2),
        Attribute::integer(attr::FRAMED_PROTOCOL, 1),
        Attribute::bytes(attr::CALLING_STATION_ID, b"02:00:5e:10:00:01"),
        Attribute::bytes(attr::NAS_PORT_ID, b"eth1.100:42"),
        Attribute::bytes(attr::NAS_IDENTIFIER, b"bng-1"),
    ]
}

fn client() -> RadiusClient {
    let a = "127.0.0.1:1812".parse().unwrap();
    let b = "127.0.0.1:1813".parse().unwrap();
    let mut cfg = RadiusClientConfig::new(vec![RadiusServerConfig::new(
        a,
        b,
        Secret::new(&b"testing123"[..]),
    )]);
    cfg.nas_identifier = Some(b"nas".to_vec());
    RadiusClient::new(cfg, SeededRng::from_u64(1)).unwrap()
}

fn benches(c: &mut Criterion) {
    let attrs = access_attrs();
    let mut cl = client();
    let h = cl
        .authenticate(Instant::ZERO, &attrs, Some(b"secret-password"))
        .unwrap();
    let access = cl.poll_transmit(Instant::ZERO).unwrap().payload;
    cl.cancel(h).unwrap();
    let rec = AccountingRecord {
        user_name: Some(b"customer-000123@isp.example"),
        session_time: Some(3600),
        counters: Some(Counters {
            input_octets: 5_000_000_000,
            output_octets: 123_456_789,
            input_packets: 4_000_000,
            output_packets: 3_000_000,
        }),
        event_timestamp: Some(1_700_000_000),
        extra: &attrs[1..],
        ..AccountingRecord::new(AcctStatusType::InterimUpdate, b"0000a1b2c3d4")
    };
    let h = cl.account(Instant::ZERO, &rec).unwrap();
    let acct = cl.poll_transmit(Instant::ZERO).unwrap().payload;
    cl.cancel(h).unwrap();

    c.bench_function(
        "encode Access-Request (hide password, Message-Authenticator)",
        |b| {
            let mut cl = client();
            b.iter(|| {
                let h = cl
                    .authenticate(Instant::ZERO, black_box(&attrs), Some(b"secret-password"))
                    .unwrap();
                let t = cl.poll_transmit(Instant::ZERO).unwrap();
                cl.cancel(h).unwrap();
                black_box(t)
            })
        },
    );
    c.bench_function("encode Accounting-Request (authenticator)", |b| {
        let mut cl = client();
        b.iter(|| {
            let h = cl.account(Instant::ZERO, black_box(&rec)).unwrap();
            let t = cl.poll_transmit(Instant::ZERO).unwrap();
            cl.cancel(h).unwrap();
            black_box(t)
        })
    });
    c.bench_function("decode Access-Request (parse)", |b| {
        b.iter(|| black_box(Packet::parse(black_box(&access)).unwrap()))
    });
    c.bench_function(
        "decode Access-Request (parse + verify MA + recover password)",
        |b| {
            b.iter(|| {
                let p = Packet::parse(black_box(&access)).unwrap();
                let ok =
                    crypto::verify_message_authenticator(&access, &p.authenticator, b"testing123");
                let pw = crypto::recover_password(
                    p.get(attr::USER_PASSWORD).unwrap().as_bytes().unwrap(),
                    b"testing123",
                    &p.authenticator,
                );
                black_box((ok, pw.is_ok()))
            })
        },
    );
    c.bench_function("decode Accounting-Request (parse)", |b| {
        b.iter(|| black_box(Packet::parse(black_box(&acct)).unwrap()))
    });
    c.bench_function(
        "decode Accounting-Request (parse + verify authenticator)",
        |b| {
            b.iter(|| {
                let p = Packet::parse(black_box(&acct)).unwrap();
                black_box((
                    p.attributes.len(),
                    crypto::verify_request_zero(&acct, b"testing123"),
                ))
            })
        },
    );
    c.bench_function("emit parsed Accounting-Request", |b| {
        let p = Packet::parse(&acct).unwrap();
        let mut buf = [0u8; 4096];
        b.iter(|| black_box(p.emit(&mut buf).unwrap()))
    });
}

criterion_group!(codec, benches);
criterion_main!(codec);
