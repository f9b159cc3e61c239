//! The DNS64 machine's upstream side: one AAAA query in flight (after a
//! NODATA answer, when the first byte's low bit is set, its A query), then
//! arbitrary datagrams as upstream answers with the query's id patched in
//! when long enough, from the right upstream and port, with timer ticks.
//! Must never panic; a dropped datagram must leave the state unchanged and
//! send nothing; every datagram sent must parse as a DNS message.
#![no_main]

use std::net::SocketAddr;

use dns64::{Dns64, Dns64Config, Dns64Destination, Dns64Source, Nat64Prefix};
use libfuzzer_sys::fuzz_target;
use sansio_primitives::{Duration, Instant, SeededRng};

/// AAAA a.example, RD.
const QUERY: &[u8] =
    b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x01a\x07example\x00\x00\x1c\x00\x01";

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let upstream: SocketAddr = "[2001:db8::53]:53".parse().unwrap();
    let client: SocketAddr = "[2001:db8:1::1]:5353".parse().unwrap();
    let config = Dns64Config::new(vec![Nat64Prefix::WELL_KNOWN], vec![upstream]);
    let mut m = Dns64::new(config, SeededRng::from_u64(u64::from(mode)), Instant::ZERO).unwrap();
    let mut now = Instant::ZERO;
    m.handle_input(now, Dns64Source::Client(client), QUERY)
        .unwrap();
    // The query in flight: its id and source port.
    let mut inflight = None;
    let mut take = |m: &mut Dns64, now| {
        while let Some(t) = m.poll_transmit(now) {
            assert!(domain::base::Message::from_octets(&t.payload[..]).is_ok());
            if let Dns64Destination::Upstream { source_port, .. } = t.destination {
                inflight = Some((t.payload, source_port));
            }
        }
        inflight.clone()
    };
    let mut cur = take(&mut m, now);
    if mode & 1 == 1 {
        // NODATA: the query itself with QR set.
        let (q, port) = cur.clone().unwrap();
        let mut a = q.clone();
        a[2] |= 0x80;
        m.handle_input(
            now,
            Dns64Source::Upstream {
                from: upstream,
                local_port: port,
            },
            &a,
        )
        .unwrap();
        cur = take(&mut m, now);
    }
    for chunk in rest.split(|&b| b == 0xff) {
        if chunk.is_empty() {
            now += Duration::from_secs(1);
            m.handle_timeout(now);
        } else if let Some((q, port)) = &cur {
            let mut a = chunk.to_vec();
            if a.len() >= 2 {
                a[..2].copy_from_slice(&q[..2]);
            }
            let before = (*m.counters(), m.outstanding(), m.poll_timeout());
            let src = Dns64Source::Upstream {
                from: upstream,
                local_port: *port,
            };
            if m.handle_input(now, src, &a).is_err() {
                let c = *m.counters();
                assert_eq!((m.outstanding(), m.poll_timeout()), (before.1, before.2));
                assert_eq!(c.upstream_answers, before.0.upstream_answers);
                assert_eq!(c.client_answers, before.0.client_answers);
                assert_eq!(c.upstream_queries, before.0.upstream_queries);
            }
        }
        cur = take(&mut m, now);
        while m.poll_event().is_some() {}
    }
});
