//! The client machine's `handle_input` and the CoA listener's, on arbitrary
//! datagrams (and a few made to match an outstanding Identifier): never
//! panics, bounds hold, the state stays consistent.
#![no_main]

use std::net::SocketAddr;

use libfuzzer_sys::fuzz_target;
use sansio_primitives::{Duration, Instant, SeededRng};
use radius_proto::client::{AccountingRecord, AcctStatusType, RadiusClient, RadiusClientConfig, RadiusServerConfig};
use radius_proto::dynauth::{DynAuthClient, DynAuthConfig, DynAuthServer};
use radius_proto::wire::{Attribute, attr};
use radius_proto::Secret;

fuzz_target!(|data: &[u8]| {
    let a = SocketAddr::from(([127, 0, 0, 1], 1812));
    let b = SocketAddr::from(([127, 0, 0, 1], 1813));
    let mut cfg = RadiusClientConfig::new(vec![RadiusServerConfig::new(a, b, Secret::new(&b"s"[..]))]);
    cfg.nas_identifier = Some(b"nas".to_vec());
    let mut c = RadiusClient::new(cfg, SeededRng::from_u64(1)).unwrap();
    let mut l = DynAuthServer::new(DynAuthConfig::new(vec![DynAuthClient {
        addr: a.ip(),
        secret: Secret::new(&b"s"[..]),
    }]));
    let mut now = Instant::ZERO;
    let _ = c.authenticate(now, &[Attribute::bytes(attr::USER_NAME, b"u")], Some(b"p"));
    let _ = c.account(now, &AccountingRecord::new(AcctStatusType::Start, b"x"));
    let ids: Vec<u8> = std::iter::from_fn(|| c.poll_transmit(now)).map(|t| t.payload[1]).collect();
    for (i, chunk) in data.split(|&x| x == 0xfe).enumerate() {
        let mut d = chunk.to_vec();
        if d.len() > 1 && !ids.is_empty() {
            d[1] = ids[i % ids.len()];
        }
        let _ = c.handle_input(now, if i % 2 == 0 { a } else { b }, &d);
        let _ = l.handle_input(now, a, &d);
        now += Duration::from_millis(700);
        c.handle_timeout(now);
        l.handle_timeout(now);
        while c.poll_transmit(now).is_some() {}
        while c.poll_event().is_some() {}
        while l.poll_transmit(now).is_some() {}
        while l.poll_event().is_some() {}
        assert!(c.outstanding() <= 256);
    }
});
