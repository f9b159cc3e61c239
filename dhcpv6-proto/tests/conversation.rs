//! Our requesting router against our delegating router, in memory, on a
//! simulated clock, over a link that loses, duplicates and reorders.

use std::collections::BTreeMap;
use std::net::Ipv6Addr;

use dhcpv6_proto::client::{
    Dhcpv6Client, Dhcpv6ClientConfig, Dhcpv6ClientDestination, Dhcpv6ClientEvent, Dhcpv6LostReason,
};
use dhcpv6_proto::server::{
    Dhcpv6PrefixPool, Dhcpv6Server, Dhcpv6ServerConfig, Dhcpv6ServerSource,
};
use dhcpv6_proto::store::{BindingStore, MemoryBindingStore};
use dhcpv6_proto::wire::{ClientMessage, Duid, MessageType};
use sansio_primitives::{Duration, Instant, SeededRng};

const POOL: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0x20, 0, 0, 0, 0, 0);

fn server_cfg(f: impl FnOnce(&mut Dhcpv6ServerConfig)) -> Dhcpv6ServerConfig {
    let mut c = Dhcpv6ServerConfig::new(
        Duid::ethernet([2, 0, 0, 0, 0, 0xfe]),
        vec![Dhcpv6PrefixPool::new(POOL, 48, 56)],
    );
    c.dns_servers = vec!["2001:db8::53".parse().unwrap()];
    f(&mut c);
    c
}

fn client(n: u8, seed: u64) -> Dhcpv6Client {
    Dhcpv6Client::new(
        Dhcpv6ClientConfig::new(Duid::ethernet([2, 0, 0, 0, 1, n])),
        SeededRng::from_u64(seed),
        Instant::ZERO,
    )
    .unwrap()
}

fn ll(i: usize) -> Ipv6Addr {
    Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, i as u16 + 1)
}

#[derive(Clone, Copy)]
struct Link {
    loss: u32, // per mille
    dup: u32,  // per mille
    jitter_ms: u32,
}

const CLEAN: Link = Link {
    loss: 0,
    dup: 0,
    jitter_ms: 0,
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum To {
    Server(usize),
    Client(usize),
}

struct Sim {
    now: Instant,
    server: Dhcpv6Server,
    store: MemoryBindingStore,
    clients: Vec<Dhcpv6Client>,
    queue: Vec<(Instant, u64, To, Vec<u8>)>,
    seq: u64,
    rng: SeededRng,
    link: Link,
    events: Vec<(Instant, usize, Dhcpv6ClientEvent)>,
    /// Every client transmission: time, client, message type.
    sent: Vec<(Instant, usize, MessageType)>,
    server_up: bool,
    steps: usize,
}

impl Sim {
    fn new(server: Dhcpv6Server, clients: Vec<Dhcpv6Client>, link: Link, seed: u64) -> Sim {
        let mut s = Sim {
            now: Instant::ZERO,
            server,
            store: MemoryBindingStore::default(),
            clients,
            queue: Vec::new(),
            seq: 0,
            rng: SeededRng::from_u64(seed),
            link,
            events: Vec::new(),
            sent: Vec::new(),
            server_up: true,
            steps: 0,
        };
        for i in 0..s.clients.len() {
            s.drain_client(i);
        }
        s
    }

    fn send(&mut self, to: To, payload: Vec<u8>) {
        if self.rng.below(1000) < self.link.loss {
            return;
        }
        let copies = if self.rng.below(1000) < self.link.dup {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let delay =
                Duration::from_millis(1 + u64::from(self.rng.below(self.link.jitter_ms + 1)));
            self.seq += 1;
            self.queue
                .push((self.now + delay, self.seq, to, payload.clone()));
        }
    }

    fn drain_client(&mut self, i: usize) {
        while let Some(t) = self.clients[i].poll_transmit(self.now) {
            assert_eq!(t.destination, Dhcpv6ClientDestination::AllServers);
            let m = ClientMessage::parse(&t.payload).unwrap();
            self.sent.push((self.now, i, m.msg_type));
            self.send(To::Server(i), t.payload);
        }
        while let Some(e) = self.clients[i].poll_event() {
            self.events.push((self.now, i, e));
        }
    }

    fn drain_server(&mut self) {
        self.server.commit_to(&mut self.store).unwrap();
        while let Some(t) = self.server.poll_transmit(self.now) {
            let i = usize::from(t.destination.address.segments()[7]) - 1;
            assert_eq!(t.destination.port, 546);
            self.send(To::Client(i), t.payload);
        }
        while self.server.poll_event().is_some() {}
    }

    fn run(&mut self, until: Instant) {
        while self.now < until {
            self.steps += 1;
            assert!(self.steps < 500_000, "livelock");
            let next_pkt = self.queue.iter().map(|q| (q.0, q.1)).min();
            let next_timer = self
                .clients
                .iter()
                .filter_map(Dhcpv6Client::poll_timeout)
                .chain(self.server.poll_timeout())
                .min();
            let t = match (next_pkt, next_timer) {
                (Some((p, _)), Some(tm)) => p.min(tm),
                (Some((p, _)), None) => p,
                (None, Some(tm)) => tm,
                (None, None) => until,
            };
            if t > until {
                self.now = until;
                break;
            }
            self.now = self.now.max(t);
            if let Some((p, seq)) = next_pkt
                && p <= self.now
            {
                let idx = self.queue.iter().position(|q| q.1 == seq).unwrap();
                let (_, _, to, payload) = self.queue.swap_remove(idx);
                match to {
                    To::Server(i) if self.server_up => {
                        let mut src = Dhcpv6ServerSource::new(ll(i), 1);
                        src.link = Some(i as u64);
                        let _ = self.server.handle_input(self.now, src, &payload);
                        self.drain_server();
                    }
                    To::Server(_) => {}
                    To::Client(i) => {
                        let _ = self.clients[i].handle_input(self.now, &payload);
                        self.drain_client(i);
                    }
                }
                continue;
            }
            for i in 0..self.clients.len() {
                self.clients[i].handle_timeout(self.now);
                self.drain_client(i);
            }
            self.server.handle_timeout(self.now);
            self.drain_server();
        }
    }

    /// The prefix each client holds now.
    fn prefixes(&self) -> Vec<Option<Ipv6Addr>> {
        self.clients
            .iter()
            .map(|c| {
                c.binding()
                    .and_then(|b| b.prefixes.first())
                    .map(|p| p.prefix)
            })
            .collect()
    }

    fn times(&self, i: usize, t: MessageType) -> Vec<Instant> {
        self.sent
            .iter()
            .filter(|s| s.1 == i && s.2 == t)
            .map(|s| s.0)
            .collect()
    }
}

/// No two clients hold the same prefix at any moment.
fn assert_unique(events: &[(Instant, usize, Dhcpv6ClientEvent)]) {
    let mut holder: BTreeMap<Ipv6Addr, usize> = BTreeMap::new();
    for (_, i, e) in events {
        match e {
            Dhcpv6ClientEvent::PrefixDelegated { prefix, .. }
            | Dhcpv6ClientEvent::PrefixRenewed { prefix, .. } => {
                if let Some(other) = holder.insert(*prefix, *i) {
                    assert_eq!(other, *i, "{prefix} held by two clients");
                }
            }
            Dhcpv6ClientEvent::PrefixLost { prefix, .. } => {
                holder.remove(prefix);
            }
            _ => {}
        }
    }
}

/// Each RT after the first lies in [1.9, 2.1] × the previous, capped at
/// MRT ± 10 %; the first in `first`.
fn assert_backoff(times: &[Instant], first: (Duration, Duration), mrt: Duration) {
    let mut prev: Option<Duration> = None;
    for w in times.windows(2) {
        let rt = w[1] - w[0];
        match prev {
            None => assert!(rt >= first.0 && rt <= first.1, "first RT {rt:?}"),
            Some(p) => {
                let lo = (p * 19 / 10).min(mrt * 9 / 10);
                let hi = (p * 21 / 10).min(mrt * 11 / 10);
                assert!(rt >= lo && rt <= hi, "RT {rt:?} after {p:?}");
            }
        }
        prev = Some(rt);
    }
}

#[test]
fn clean_link_delegates_with_dns_and_renews_at_t1() {
    let server = Dhcpv6Server::new(server_cfg(|_| {}), Instant::ZERO).unwrap();
    let mut sim = Sim::new(server, vec![client(1, 1)], CLEAN, 1);
    sim.run(Instant::from_secs(5));
    let (
        t,
        _,
        Dhcpv6ClientEvent::PrefixDelegated {
            prefix,
            prefix_len,
            preferred,
            valid,
            ..
        },
    ) = sim.events[0].clone()
    else {
        panic!("{:?}", sim.events)
    };
    // Advertise collection waits one first RT (1–1.1 s), then Request.
    assert!(
        t > Instant::from_secs(1) && t < Instant::from_millis(1200),
        "{t:?}"
    );
    assert_eq!((prefix_len, preferred, valid), (56, 3600, 7200));
    assert!(matches!(sim.events[1].2, Dhcpv6ClientEvent::DnsServers(_)));
    sim.run(Instant::from_secs(10_000));
    let renews = sim.times(0, MessageType::Renew);
    assert!(renews.len() >= 5, "{renews:?}");
    let d = renews[0] - t;
    assert!(
        d >= Duration::from_secs(1800) && d < Duration::from_millis(1_800_010),
        "{d:?}"
    );
    assert_eq!(sim.prefixes(), vec![Some(prefix)]);
    assert_eq!(sim.store.records.len(), 1);
}

#[test]
fn twenty_clients_converge_over_a_lossy_duplicating_reordering_link() {
    let server = Dhcpv6Server::new(server_cfg(|_| {}), Instant::ZERO).unwrap();
    let clients = (0..20).map(|i| client(i, 100 + u64::from(i))).collect();
    let link = Link {
        loss: 300,
        dup: 200,
        jitter_ms: 300,
    };
    let mut sim = Sim::new(server, clients, link, 7);
    sim.run(Instant::from_secs(600));
    let p = sim.prefixes();
    assert!(p.iter().all(Option::is_some), "{p:?}");
    let mut uniq: Vec<_> = p.iter().flatten().collect();
    uniq.sort();
    uniq.dedup();
    assert_eq!(uniq.len(), 20);
    assert_unique(&sim.events);
    // The loss made clients retransmit.
    let retx = (0..20)
        .filter(|&i| {
            sim.times(i, MessageType::Solicit).len() + sim.times(i, MessageType::Request).len() > 2
        })
        .count();
    assert!(retx > 0);
    // Every prefix a client holds is durable in the server's store.
    for q in p.iter().flatten() {
        assert!(sim.store.records.contains_key(&(*q, 56)), "{q} not stored");
    }
    // Keeps them through renewals on the bad link.
    sim.run(Instant::from_secs(20_000));
    assert_eq!(sim.prefixes(), p);
    assert_unique(&sim.events);
}

#[test]
fn solicit_and_renew_back_off_per_rfc8415_while_the_server_is_down() {
    let server = Dhcpv6Server::new(server_cfg(|_| {}), Instant::ZERO).unwrap();
    let mut sim = Sim::new(server, vec![client(1, 3)], CLEAN, 3);
    sim.server_up = false;
    sim.run(Instant::from_secs(8000));
    let sol = sim.times(0, MessageType::Solicit);
    assert!(sol.len() >= 10, "{sol:?}");
    assert_eq!(sol[0], Instant::ZERO);
    assert_backoff(
        &sol,
        (Duration::from_millis(1001), Duration::from_millis(1100)),
        Duration::from_secs(3600),
    );
    // Server back: binds at the next Solicit.
    sim.server_up = true;
    sim.run(Instant::from_secs(12_000));
    assert!(sim.prefixes()[0].is_some());
    let bound = sim
        .events
        .iter()
        .find(|e| matches!(e.2, Dhcpv6ClientEvent::PrefixDelegated { .. }))
        .unwrap()
        .0;
    // Down again: Renew at T1 backs off from REN_TIMEOUT until T2.
    sim.server_up = false;
    sim.run(bound + Duration::from_secs(7300));
    let ren = sim.times(0, MessageType::Renew);
    assert_eq!(ren[0], bound + Duration::from_secs(1800));
    assert_backoff(
        &ren,
        (Duration::from_secs(9), Duration::from_secs(11)),
        Duration::from_secs(600),
    );
    assert!(*ren.last().unwrap() < bound + Duration::from_secs(2880));
    let reb = sim.times(0, MessageType::Rebind);
    assert_eq!(reb[0], bound + Duration::from_secs(2880));
    assert_backoff(
        &reb,
        (Duration::from_secs(9), Duration::from_secs(11)),
        Duration::from_secs(600),
    );
    // The valid lifetime ends: the prefix is withdrawn at that instant.
    let lost = sim
        .events
        .iter()
        .find(|e| {
            matches!(
                e.2,
                Dhcpv6ClientEvent::PrefixLost {
                    reason: Dhcpv6LostReason::Expired,
                    ..
                }
            )
        })
        .unwrap();
    assert_eq!(lost.0, bound + Duration::from_secs(7200));
}

#[test]
fn same_prefix_after_release_resolicit_and_after_a_server_restart() {
    let server = Dhcpv6Server::new(server_cfg(|_| {}), Instant::ZERO).unwrap();
    let mut sim = Sim::new(server, vec![client(1, 5), client(2, 6)], CLEAN, 5);
    sim.run(Instant::from_secs(10));
    let first = sim.prefixes();
    assert!(first.iter().all(Option::is_some));
    // Release and Solicit again.
    let now = sim.now;
    sim.clients[0].release(now).unwrap();
    sim.drain_client(0);
    sim.run(now + Duration::from_secs(10));
    assert_eq!(sim.prefixes()[0], None);
    let now = sim.now;
    sim.clients[0].restart(now);
    sim.drain_client(0);
    sim.run(now + Duration::from_secs(10));
    assert_eq!(sim.prefixes(), first);
    // The server restarts from its store; the WAN link flaps: both Rebind
    // and keep their prefixes.
    let mut s2 = Dhcpv6Server::new(server_cfg(|_| {}), sim.now).unwrap();
    s2.restore(sim.store.load().unwrap());
    sim.server = s2;
    let now = sim.now;
    for i in 0..2 {
        sim.clients[i].link_up(now);
        sim.drain_client(i);
    }
    sim.run(now + Duration::from_secs(10));
    assert_eq!(sim.prefixes(), first);
    assert_eq!(sim.times(0, MessageType::Rebind).len(), 1);
    // A server that lost everything still gives the hinted prefixes back
    // (Rebind for a prefix it could give).
    sim.server = Dhcpv6Server::new(server_cfg(|_| {}), sim.now).unwrap();
    sim.store = MemoryBindingStore::default();
    let now = sim.now;
    for i in 0..2 {
        sim.clients[i].link_up(now);
        sim.drain_client(i);
    }
    sim.run(now + Duration::from_secs(10));
    assert_eq!(sim.prefixes(), first);
    assert_unique(&sim.events);
}
