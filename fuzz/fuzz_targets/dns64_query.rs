//! The DNS64 machine's client side: arbitrary datagrams as client queries
//! (from a DNS64 client and, when the first byte's low bit is set, from one
//! the `clients` ACL leaves out), with timer ticks between them. Must never
//! panic; a dropped datagram must leave the state unchanged and send
//! nothing; every datagram sent must parse as a DNS message.
#![no_main]

use std::net::{IpAddr, SocketAddr};

use dns64::{Dns64, Dns64Acl, Dns64Config, Dns64Net, Dns64Source, Nat64Prefix};
use libfuzzer_sys::fuzz_target;
use sansio_primitives::{Duration, Instant, SeededRng};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let upstream: SocketAddr = "[2001:db8::53]:53".parse().unwrap();
    let mut config = Dns64Config::new(vec![Nat64Prefix::WELL_KNOWN], vec![upstream]);
    config.max_outstanding = 4;
    config.clients = Dns64Acl {
        elements: vec![(
            true,
            Dns64Net::new(IpAddr::V6("2001:db8:1::".parse().unwrap()), 64),
        )],
    };
    let mut m = Dns64::new(config, SeededRng::from_u64(u64::from(mode)), Instant::ZERO).unwrap();
    let client: SocketAddr = if mode & 1 == 0 {
        "[2001:db8:1::1]:5353"
    } else {
        "[2001:db8:2::1]:5353"
    }
    .parse()
    .unwrap();
    let mut now = Instant::ZERO;
    // Datagrams separated by 0xff 0xff; each separator is also a 1 s tick.
    for chunk in rest.split(|&b| b == 0xff) {
        if chunk.is_empty() {
            now += Duration::from_secs(1);
            m.handle_timeout(now);
        } else {
            let before = (*m.counters(), m.outstanding(), m.poll_timeout());
            match m.handle_input(now, Dns64Source::Client(client), chunk) {
                Ok(()) => {}
                Err(_) => {
                    let c = *m.counters();
                    assert_eq!((m.outstanding(), m.poll_timeout()), (before.1, before.2));
                    assert_eq!(c.client_queries, before.0.client_queries);
                    assert_eq!(c.upstream_queries, before.0.upstream_queries);
                    assert_eq!(c.client_answers, before.0.client_answers);
                }
            }
        }
        while let Some(t) = m.poll_transmit(now) {
            assert!(domain::base::Message::from_octets(&t.payload[..]).is_ok());
        }
        while m.poll_event().is_some() {}
        assert!(m.outstanding() <= 4);
    }
});
