#![allow(missing_docs)] // criterion_group! generates undocumented items
//! The DNS64 machine in memory: a cached answer, a whole synthesis (client AAAA query, AAAA
//! NODATA, A query, A answer, synthesized answer), a pass-through answer,
//! and RFC 6052 embedding at every prefix length. The upstream answers are
//! built inside the measured loop (their cost is included).

use std::hint::black_box;
use std::net::{Ipv4Addr, SocketAddr};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dns64::rfc6052::PREFIX_LENGTHS;
use dns64::{Dns64, Dns64Config, Dns64Destination, Dns64Source, Nat64Prefix};
use domain::base::iana::{Class, Rcode, Rtype};
use domain::base::{Message, MessageBuilder, Name, ToName, Ttl};
use domain::rdata::A;
use sansio_primitives::{Instant, SeededRng};

fn query(name: &Name<Vec<u8>>) -> Vec<u8> {
    let mut b = MessageBuilder::new_vec();
    b.header_mut().set_id(7);
    b.header_mut().set_rd(true);
    let mut q = b.question();
    q.push((name, Rtype::AAAA)).unwrap();
    q.finish()
}

fn answer(q: &[u8], a: Option<Ipv4Addr>) -> Vec<u8> {
    let msg = Message::from_octets(q).unwrap();
    let mut b = MessageBuilder::new_vec()
        .start_answer(&msg, Rcode::NOERROR)
        .unwrap();
    if let Some(a) = a {
        let name = msg.sole_question().unwrap().qname().to_name::<Vec<u8>>();
        b.push((name, Class::IN, Ttl::from_secs(60), A::new(a)))
            .unwrap();
    }
    b.finish()
}

fn upstream(t: &sansio_primitives::Transmit<Dns64Destination>) -> Dns64Source {
    let Dns64Destination::Upstream {
        server,
        source_port,
        ..
    } = t.destination
    else {
        unreachable!()
    };
    Dns64Source::Upstream {
        from: server,
        local_port: source_port,
    }
}

fn bench(c: &mut Criterion) {
    let up: SocketAddr = "[2001:db8::53]:53".parse().unwrap();
    let client: SocketAddr = "[2001:db8:1::1]:5353".parse().unwrap();
    let now = Instant::ZERO;
    // The uncached paths first: no cache, every query goes upstream.
    let mut config = Dns64Config::new(vec![Nat64Prefix::WELL_KNOWN], vec![up]);
    config.cache_entries = 0;
    let mut m = Dns64::new(config, SeededRng::from_u64(1), now).unwrap();
    let name = Name::vec_from_str("v4only.example").unwrap();
    let q = query(&name);
    let mut g = c.benchmark_group("dns64");
    g.throughput(Throughput::Elements(1));
    g.bench_function("synthesis (AAAA NODATA, A, synthesized answer)", |b| {
        b.iter(|| {
            m.handle_input(now, Dns64Source::Client(client), &q)
                .unwrap();
            let t = m.poll_transmit(now).unwrap();
            m.handle_input(now, upstream(&t), &answer(&t.payload, None))
                .unwrap();
            let t = m.poll_transmit(now).unwrap();
            m.handle_input(
                now,
                upstream(&t),
                &answer(&t.payload, Some(Ipv4Addr::new(20, 0, 0, 1))),
            )
            .unwrap();
            black_box(m.poll_transmit(now).unwrap());
        })
    });
    g.bench_function("pass-through (NXDOMAIN to an AAAA query)", |b| {
        b.iter(|| {
            m.handle_input(now, Dns64Source::Client(client), &q)
                .unwrap();
            let t = m.poll_transmit(now).unwrap();
            // NXDOMAIN: passed on with the client id, never synthesized.
            let mut a = answer(&t.payload, None);
            a[3] |= 3;
            m.handle_input(now, upstream(&t), &a).unwrap();
            black_box(m.poll_transmit(now).unwrap());
        })
    });
    g.bench_function("cached synthesized answer", |b| {
        let mut m = Dns64::new(
            Dns64Config::new(vec![Nat64Prefix::WELL_KNOWN], vec![up]),
            SeededRng::from_u64(1),
            now,
        )
        .unwrap();
        m.handle_input(now, Dns64Source::Client(client), &q)
            .unwrap();
        let t = m.poll_transmit(now).unwrap();
        m.handle_input(now, upstream(&t), &answer(&t.payload, None))
            .unwrap();
        let t = m.poll_transmit(now).unwrap();
        m.handle_input(
            now,
            upstream(&t),
            &answer(&t.payload, Some(Ipv4Addr::new(20, 0, 0, 1))),
        )
        .unwrap();
        let _ = m.poll_transmit(now).unwrap();
        b.iter(|| {
            m.handle_input(now, Dns64Source::Client(client), &q)
                .unwrap();
            black_box(m.poll_transmit(now).unwrap());
        })
    });
    g.bench_function("rfc6052 embed+extract, six lengths", |b| {
        let prefixes: Vec<_> = PREFIX_LENGTHS
            .iter()
            .map(|&l| Nat64Prefix::containing("2001:db8:122:344::".parse().unwrap(), l).unwrap())
            .collect();
        b.iter(|| {
            for p in &prefixes {
                let v6 = p.embed(black_box(Ipv4Addr::new(20, 0, 0, 1))).unwrap();
                black_box(p.extract(v6).unwrap());
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
