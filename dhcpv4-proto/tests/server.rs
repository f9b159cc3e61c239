//! The server machine against hand-built client messages.

use std::net::{Ipv4Addr, SocketAddrV4};

use dhcpv4_proto::lease::{LeaseState, LeaseStore, MemoryStore};
use dhcpv4_proto::server::{
    Dhcpv4PoolConfig, Dhcpv4Refusal, Dhcpv4Reservation, Dhcpv4ReservationKey, Dhcpv4Server,
    Dhcpv4ServerConfig, Dhcpv4ServerDestination, Dhcpv4ServerDropped, Dhcpv4ServerEvent,
};
use dhcpv4_proto::wire::{BROADCAST_FLAG, DhcpOption, Message, MessageType, Op, code};
use sansio_primitives::{Duration, Instant};

const SID: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);

fn ip(d: u8) -> Ipv4Addr {
    Ipv4Addr::new(192, 0, 2, d)
}

fn pool() -> Dhcpv4PoolConfig {
    let mut p = Dhcpv4PoolConfig::new(1, ip(0), 24, ip(100), ip(199), Some(SID));
    p.domain = Some(b"lan.example".to_vec());
    p.mtu = Some(1492);
    p
}

fn server() -> Dhcpv4Server {
    Dhcpv4Server::new(Dhcpv4ServerConfig::new(SID, vec![pool()]), Instant::ZERO).unwrap()
}

fn mac(n: u8) -> [u8; 6] {
    [2, 0, 0, 0, 0, n]
}

fn msg(t: MessageType, n: u8) -> Message {
    let mut m = Message::new(Op::BootRequest, t, 0x1000 + u32::from(n), mac(n));
    m.options
        .push(DhcpOption::ParameterRequestList(vec![1, 3, 6, 15, 26]));
    m
}

fn request(n: u8, addr: Ipv4Addr) -> Message {
    let mut m = msg(MessageType::Request, n);
    m.options.push(DhcpOption::ServerIdentifier(SID));
    m.options.push(DhcpOption::RequestedIpAddress(addr));
    m
}

/// Feeds a message, commits to `store`, returns the replies.
fn feed(
    s: &mut Dhcpv4Server,
    store: &mut MemoryStore,
    now: Instant,
    m: &Message,
) -> Vec<(Dhcpv4ServerDestination, Message)> {
    s.handle_input(now, 1, &m.to_vec()).unwrap();
    s.commit_to(store).unwrap();
    let mut out = Vec::new();
    while let Some(t) = s.poll_transmit(now) {
        out.push((t.destination, Message::parse(&t.payload).unwrap()));
    }
    while s.poll_event().is_some() {}
    out
}

fn lease(s: &mut Dhcpv4Server, store: &mut MemoryStore, now: Instant, n: u8) -> Ipv4Addr {
    let offer = feed(s, store, now, &msg(MessageType::Discover, n))
        .remove(0)
        .1;
    assert_eq!(offer.message_type, MessageType::Offer);
    let ack = feed(s, store, now, &request(n, offer.yiaddr)).remove(0).1;
    assert_eq!(ack.message_type, MessageType::Ack);
    ack.yiaddr
}

#[test]
fn full_exchange_with_options_and_ack_held_until_commit() {
    let mut s = server();
    let mut store = MemoryStore::default();
    let t0 = Instant::from_secs(100);
    let replies = feed(&mut s, &mut store, t0, &msg(MessageType::Discover, 1));
    let (dst, offer) = &replies[0];
    assert!(matches!(
        dst,
        Dhcpv4ServerDestination::Link { interface: 1, .. }
    ));
    assert_eq!(offer.server_id(), Some(SID));
    assert_eq!(offer.lease_time(), Some(12 * 3600));
    assert_eq!(offer.renewal_time(), Some(6 * 3600));
    assert_eq!(offer.rebinding_time(), Some(12 * 3600 * 7 / 8));
    assert_eq!(offer.subnet_mask(), Some(Ipv4Addr::new(255, 255, 255, 0)));
    assert_eq!(offer.routers(), &[SID]);
    assert_eq!(offer.dns_servers(), &[SID], "DNS defaults to the router");
    assert_eq!(offer.domain_name(), Some(&b"lan.example"[..]));
    assert_eq!(offer.interface_mtu(), Some(1492));
    let a = offer.yiaddr;
    assert!(a >= ip(100) && a <= ip(199));

    // With the broadcast bit, the reply is broadcast (RFC 2131 §4.1).
    let mut b = msg(MessageType::Discover, 1);
    b.flags = BROADCAST_FLAG;
    b.xid += 1;
    let r = feed(&mut s, &mut store, t0, &b);
    assert_eq!(r[0].0, Dhcpv4ServerDestination::Broadcast { interface: 1 });
    assert_eq!(r[0].1.yiaddr, a, "the same address offered again");

    // The ACK waits for the commit.
    s.handle_input(t0, 1, &request(1, a).to_vec()).unwrap();
    assert!(s.poll_transmit(t0).is_none());
    assert_eq!(s.pending_leases().len(), 1);
    store.fail_next = true;
    assert!(s.commit_to(&mut store).is_err());
    assert!(
        s.poll_transmit(t0).is_none(),
        "no ACK when the write failed"
    );
    assert!(store.leases.is_empty());
    // The client retries; this time it is durable first.
    s.handle_input(t0, 1, &request(1, a).to_vec()).unwrap();
    s.commit_to(&mut store).unwrap();
    let ack = Message::parse(&s.poll_transmit(t0).unwrap().payload).unwrap();
    assert_eq!((ack.message_type, ack.yiaddr), (MessageType::Ack, a));
    assert_eq!(store.leases[&a].state, LeaseState::Bound);
    assert!(matches!(s.poll_event(), Some(Dhcpv4ServerEvent::Leased(_))));
}

#[test]
fn address_is_stable_per_client_across_expiry_and_restart() {
    let mut store = MemoryStore::default();
    let mut s = server();
    let a1 = lease(&mut s, &mut store, Instant::ZERO, 7);
    let b1 = lease(&mut s, &mut store, Instant::ZERO, 8);
    assert_ne!(a1, b1);
    // Long after expiry.
    let later = Instant::from_secs(3 * 24 * 3600);
    assert_eq!(lease(&mut s, &mut store, later, 7), a1);
    // A fresh server without the store: the hash gives the same again.
    let mut fresh = server();
    assert_eq!(
        lease(&mut fresh, &mut MemoryStore::default(), Instant::ZERO, 7),
        a1
    );
    // A restarted server with the store.
    let mut restarted = server();
    assert_eq!(restarted.restore(store.load().unwrap()), 0);
    assert_eq!(lease(&mut restarted, &mut store, later, 8), b1);
}

#[test]
fn reservations_and_exclusions() {
    let mut p = pool();
    p.range_start = ip(100);
    p.range_end = ip(102);
    p.exclusions.push((ip(101), ip(101)));
    p.reservations.push(Dhcpv4Reservation {
        key: Dhcpv4ReservationKey::Hardware(mac(9).to_vec()),
        address: ip(50),
    });
    p.reservations.push(Dhcpv4Reservation {
        key: Dhcpv4ReservationKey::ClientId(vec![0, b'x']),
        address: ip(51),
    });
    let mut s = Dhcpv4Server::new(Dhcpv4ServerConfig::new(SID, vec![p]), Instant::ZERO).unwrap();
    let mut st = MemoryStore::default();
    assert_eq!(lease(&mut s, &mut st, Instant::ZERO, 9), ip(50));
    let mut m = msg(MessageType::Discover, 10);
    m.options.push(DhcpOption::ClientIdentifier(vec![0, b'x']));
    assert_eq!(feed(&mut s, &mut st, Instant::ZERO, &m)[0].1.yiaddr, ip(51));
    let a = lease(&mut s, &mut st, Instant::ZERO, 1);
    let b = lease(&mut s, &mut st, Instant::ZERO, 2);
    let mut got = [a, b];
    got.sort();
    assert_eq!(got, [ip(100), ip(102)]);
    // Exhausted: no offer, an event.
    s.handle_input(Instant::ZERO, 1, &msg(MessageType::Discover, 3).to_vec())
        .unwrap();
    assert!(s.poll_transmit(Instant::ZERO).is_none());
    assert!(matches!(
        s.poll_event(),
        Some(Dhcpv4ServerEvent::Refused {
            reason: Dhcpv4Refusal::PoolExhausted,
            ..
        })
    ));
}

#[test]
fn naks_wrong_network_and_taken_address_and_handles_init_reboot() {
    let mut s = server();
    let mut st = MemoryStore::default();
    let a = lease(&mut s, &mut st, Instant::ZERO, 1);
    let mut m = msg(MessageType::Request, 2);
    m.options.push(DhcpOption::RequestedIpAddress(Ipv4Addr::new(
        198, 51, 100, 5,
    )));
    let r = feed(&mut s, &mut st, Instant::ZERO, &m);
    assert_eq!(r[0].1.message_type, MessageType::Nak);
    assert_eq!(r[0].0, Dhcpv4ServerDestination::Broadcast { interface: 1 });
    let mut m = msg(MessageType::Request, 2);
    m.options.push(DhcpOption::RequestedIpAddress(a));
    assert_eq!(
        feed(&mut s, &mut st, Instant::ZERO, &m)[0].1.message_type,
        MessageType::Nak
    );
    // INIT-REBOOT of the owner: ACK.
    let mut m = msg(MessageType::Request, 1);
    m.options.push(DhcpOption::RequestedIpAddress(a));
    assert_eq!(
        feed(&mut s, &mut st, Instant::ZERO, &m)[0].1.message_type,
        MessageType::Ack
    );
    // RENEWING: unicast to ciaddr.
    let mut m = msg(MessageType::Request, 1);
    m.ciaddr = a;
    let r = feed(&mut s, &mut st, Instant::from_secs(60), &m);
    assert_eq!(r[0].1.message_type, MessageType::Ack);
    assert_eq!(
        r[0].0,
        Dhcpv4ServerDestination::Unicast {
            interface: 1,
            address: SocketAddrV4::new(a, 68)
        }
    );
    assert_eq!(st.leases[&a].expires, Instant::from_secs(60 + 12 * 3600));
    // A REQUEST for another server clears our offer, no reply.
    feed(
        &mut s,
        &mut st,
        Instant::ZERO,
        &msg(MessageType::Discover, 3),
    );
    assert_eq!(s.offer_count(), 1);
    let mut m = request(3, ip(150));
    m.options[1] = DhcpOption::ServerIdentifier(ip(2));
    assert!(feed(&mut s, &mut st, Instant::ZERO, &m).is_empty());
    assert_eq!(s.offer_count(), 0);
}

#[test]
fn decline_quarantines_and_release_keeps_address_for_the_client() {
    let mut s = server();
    let mut st = MemoryStore::default();
    let a = lease(&mut s, &mut st, Instant::ZERO, 1);
    let mut d = msg(MessageType::Decline, 1);
    d.options.push(DhcpOption::ServerIdentifier(SID));
    d.options.push(DhcpOption::RequestedIpAddress(a));
    assert!(feed(&mut s, &mut st, Instant::ZERO, &d).is_empty());
    assert_eq!(st.leases[&a].state, LeaseState::Declined);
    let b = lease(&mut s, &mut st, Instant::ZERO, 1);
    assert_ne!(a, b);
    // A foreign client cannot release it.
    let mut r = msg(MessageType::Release, 2);
    r.ciaddr = b;
    assert_eq!(
        s.handle_input(Instant::ZERO, 1, &r.to_vec()),
        Err(Dhcpv4ServerDropped::NotOurs)
    );
    let mut r = msg(MessageType::Release, 1);
    r.ciaddr = b;
    r.options.push(DhcpOption::ServerIdentifier(SID));
    feed(&mut s, &mut st, Instant::from_secs(5), &r);
    assert_eq!(st.leases[&b].state, LeaseState::Released);
    assert_eq!(lease(&mut s, &mut st, Instant::from_secs(6), 1), b);
}

#[test]
fn inform_relay_and_max_message_size() {
    let mut s = server();
    let mut st = MemoryStore::default();
    let mut m = msg(MessageType::Inform, 1);
    m.ciaddr = ip(20);
    let r = feed(&mut s, &mut st, Instant::ZERO, &m);
    assert_eq!(
        r[0].0,
        Dhcpv4ServerDestination::Unicast {
            interface: 1,
            address: SocketAddrV4::new(ip(20), 68)
        }
    );
    assert_eq!(r[0].1.lease_time(), None);
    assert_eq!(r[0].1.yiaddr, Ipv4Addr::UNSPECIFIED);

    // Relayed DISCOVER: to giaddr:67, option 82 echoed last.
    let mut m = msg(MessageType::Discover, 2);
    m.giaddr = ip(2);
    m.flags = BROADCAST_FLAG;
    m.options
        .push(DhcpOption::RelayAgentInformation(vec![1, 2, b'e', b'0']));
    let r = feed(&mut s, &mut st, Instant::ZERO, &m);
    assert_eq!(
        r[0].0,
        Dhcpv4ServerDestination::Unicast {
            interface: 1,
            address: SocketAddrV4::new(ip(2), 67)
        }
    );
    assert_eq!(
        r[0].1.options.last().unwrap().code(),
        code::RELAY_AGENT_INFORMATION
    );

    // A huge option list within a 576-octet limit.
    let mut p = pool();
    p.dns = (0..80).map(|i| Ipv4Addr::new(192, 0, 2, i)).collect();
    let mut s = Dhcpv4Server::new(Dhcpv4ServerConfig::new(SID, vec![p]), Instant::ZERO).unwrap();
    let mut m = msg(MessageType::Discover, 3);
    m.options.push(DhcpOption::MaxMessageSize(576));
    m.options[0] = DhcpOption::ParameterRequestList(vec![6, 3, 15]);
    s.handle_input(Instant::ZERO, 1, &m.to_vec()).unwrap();
    let t = s.poll_transmit(Instant::ZERO).unwrap();
    assert!(t.payload.len() <= 576 - 28);
    let offer = Message::parse(&t.payload).unwrap();
    assert!(
        offer.dns_servers().is_empty(),
        "320 octets of DNS do not fit"
    );
    assert_eq!(offer.routers(), &[SID]);
    // Asked for 1500: it fits.
    m.options.pop();
    m.options.push(DhcpOption::MaxMessageSize(1500));
    m.xid += 1;
    s.handle_input(Instant::from_secs(2), 1, &m.to_vec())
        .unwrap();
    let offer = Message::parse(&s.poll_transmit(Instant::from_secs(2)).unwrap().payload).unwrap();
    assert_eq!(offer.dns_servers().len(), 80);
}

#[test]
fn bounds_hold_and_garbage_is_counted() {
    let mut cfg = Dhcpv4ServerConfig::new(SID, vec![pool()]);
    cfg.max_offers = 3;
    cfg.max_requests_per_second = 2;
    cfg.pools[0].max_leases = 2;
    let mut s = Dhcpv4Server::new(cfg, Instant::ZERO).unwrap();
    let mut st = MemoryStore::default();
    for n in 1..=5 {
        feed(
            &mut s,
            &mut st,
            Instant::ZERO,
            &msg(MessageType::Discover, n),
        );
    }
    assert_eq!(s.offer_count(), 3);
    // Offers expire, leases are capped.
    let t = Instant::from_secs(31);
    s.handle_timeout(t);
    assert_eq!(s.offer_count(), 0);
    lease(&mut s, &mut st, t, 1);
    lease(&mut s, &mut st, t, 2);
    let r = feed(&mut s, &mut st, t, &msg(MessageType::Discover, 3));
    assert!(r.is_empty());
    assert_eq!(s.leases().count(), 2);
    // Rate limit: 2 per second per client.
    let t = Instant::from_secs(40);
    let d = msg(MessageType::Discover, 1).to_vec();
    assert!(s.handle_input(t, 1, &d).is_ok());
    assert!(s.handle_input(t, 1, &d).is_ok());
    assert_eq!(
        s.handle_input(t, 1, &d),
        Err(Dhcpv4ServerDropped::RateLimited)
    );
    assert!(s.handle_input(t + Duration::from_secs(1), 1, &d).is_ok());
    // Garbage.
    assert!(matches!(
        s.handle_input(t, 1, &[1, 2, 3]),
        Err(Dhcpv4ServerDropped::Malformed(_))
    ));
    assert_eq!(s.handle_input(t, 9, &d), Err(Dhcpv4ServerDropped::NoPool));
    let stats = s.counters();
    assert_eq!(
        (stats.malformed, stats.no_pool, stats.rate_limited),
        (1, 1, 1)
    );
}

#[test]
fn classless_routes_carry_the_default_route_and_search_list() {
    use dhcpv4_proto::wire::{DomainName, Route};
    let mut p = pool();
    p.routes.push(Route {
        destination: Ipv4Addr::new(198, 51, 100, 0),
        prefix_len: 24,
        router: ip(254),
    });
    p.domain_search
        .push(DomainName::from_dotted("lan.example").unwrap());
    let mut s = Dhcpv4Server::new(Dhcpv4ServerConfig::new(SID, vec![p]), Instant::ZERO).unwrap();
    let mut m = msg(MessageType::Discover, 1);
    m.options[0] = DhcpOption::ParameterRequestList(vec![1, 3, 121, 119]);
    let offer = feed(&mut s, &mut MemoryStore::default(), Instant::ZERO, &m)
        .remove(0)
        .1;
    assert_eq!(
        offer.classless_routes(),
        &[
            Route {
                destination: Ipv4Addr::new(198, 51, 100, 0),
                prefix_len: 24,
                router: ip(254)
            },
            Route {
                destination: Ipv4Addr::UNSPECIFIED,
                prefix_len: 0,
                router: SID
            },
        ]
    );
    assert_eq!(offer.domain_search()[0].to_dotted(), "lan.example");
    // Not asked for: not sent.
    let mut m = msg(MessageType::Discover, 2);
    m.options[0] = DhcpOption::ParameterRequestList(vec![1, 3]);
    let offer = feed(&mut s, &mut MemoryStore::default(), Instant::ZERO, &m)
        .remove(0)
        .1;
    assert!(offer.classless_routes().is_empty());
    assert!(offer.domain_search().is_empty());
}

/// RFC 8925 §3.3.2: option 108 in OFFER and ACK to a client that lists it,
/// never to one that does not (nor from a pool without it).
#[test]
fn ipv6_only_preferred_only_to_who_asks() {
    let mut p = pool();
    p.ipv6_only_preferred = Some(1800);
    let mut s = Dhcpv4Server::new(Dhcpv4ServerConfig::new(SID, vec![p]), Instant::ZERO).unwrap();
    let mut store = MemoryStore::default();
    let v6only = |m: &Message| {
        m.options.iter().find_map(|o| match o {
            DhcpOption::Ipv6OnlyPreferred(w) => Some(*w),
            _ => None,
        })
    };
    let mut m = msg(MessageType::Discover, 1);
    m.options[0] = DhcpOption::ParameterRequestList(vec![1, 3, 108, 6]);
    let offer = feed(&mut s, &mut store, Instant::ZERO, &m).remove(0).1;
    assert_eq!(v6only(&offer), Some(1800));
    let raw = offer.to_vec();
    assert!(raw.windows(6).any(|w| w == [108, 4, 0, 0, 0x07, 0x08]));
    let mut r = request(1, offer.yiaddr);
    r.options[0] = DhcpOption::ParameterRequestList(vec![108]);
    let ack = feed(&mut s, &mut store, Instant::ZERO, &r).remove(0).1;
    assert_eq!(ack.message_type, MessageType::Ack);
    assert_eq!(v6only(&ack), Some(1800));
    // A legacy client (no 108 in its list) gets none.
    let offer = feed(
        &mut s,
        &mut store,
        Instant::ZERO,
        &msg(MessageType::Discover, 2),
    )
    .remove(0)
    .1;
    assert_eq!(v6only(&offer), None);
    // A pool that is not IPv6-mostly gives none even when asked.
    let mut s = server();
    let offer = feed(&mut s, &mut MemoryStore::default(), Instant::ZERO, &m)
        .remove(0)
        .1;
    assert_eq!(v6only(&offer), None);
    // Parsing: 4 octets or a precise error.
    assert_eq!(
        DhcpOption::decode(108, &[0, 0, 1, 44]),
        Ok(DhcpOption::Ipv6OnlyPreferred(300))
    );
    assert!(DhcpOption::decode(108, &[0, 1]).is_err());
}

#[test]
fn bad_configs_are_refused_and_uncommitted_work_is_bounded() {
    use dhcpv4_proto::server::Dhcpv4ServerConfigError;
    let mut p = pool();
    p.network = Ipv4Addr::new(0, 0, 0, 0);
    p.prefix_len = 0;
    p.range_start = Ipv4Addr::new(1, 0, 0, 0);
    p.range_end = Ipv4Addr::new(200, 0, 0, 0);
    assert_eq!(
        Dhcpv4Server::new(Dhcpv4ServerConfig::new(SID, vec![p]), Instant::ZERO).err(),
        Some(Dhcpv4ServerConfigError::BadPool { index: 0 })
    );
    let mut p = pool();
    p.range_end = ip(50);
    assert!(Dhcpv4Server::new(Dhcpv4ServerConfig::new(SID, vec![p]), Instant::ZERO).is_err());
    let mut c = Dhcpv4ServerConfig::new(SID, vec![pool()]);
    c.max_offers = 0;
    assert_eq!(
        Dhcpv4Server::new(c, Instant::ZERO).err(),
        Some(Dhcpv4ServerConfigError::ZeroBound)
    );

    // A driver that never commits: ACKs and lease changes pile up to the bound.
    let mut c = Dhcpv4ServerConfig::new(SID, vec![pool()]);
    c.max_uncommitted = 3;
    let mut s = Dhcpv4Server::new(c, Instant::ZERO).unwrap();
    let mut refused = 0;
    for n in 1..=10u8 {
        if s.handle_input(Instant::ZERO, 1, &request(n, ip(100 + n)).to_vec())
            == Err(Dhcpv4ServerDropped::Backlogged)
        {
            refused += 1;
        }
    }
    assert_eq!(refused, 7);
    assert_eq!(s.pending_leases().len(), 3);
    assert!(s.poll_transmit(Instant::ZERO).is_none());
    s.commit();
    let mut acks = 0;
    while s.poll_transmit(Instant::ZERO).is_some() {
        acks += 1;
    }
    assert_eq!(acks, 3);
}

#[test]
fn empty_dns_announces_the_router_unless_told_not_to() {
    let mut p = pool();
    assert_eq!(p.dns_servers(), vec![SID]);
    p.dns_defaults_to_router = false;
    assert!(p.dns_servers().is_empty());
    p.dns = vec![ip(53)];
    assert_eq!(p.dns_servers(), vec![ip(53)]);
}

#[test]
fn counters_count_datagrams_in_and_out_and_each_drop_reason() {
    let mut s = server();
    let mut st = MemoryStore::default();
    lease(&mut s, &mut st, Instant::ZERO, 1);
    assert_eq!(
        s.handle_input(Instant::ZERO, 9, &msg(MessageType::Discover, 2).to_vec()),
        Err(Dhcpv4ServerDropped::NoPool)
    );
    let c = s.counters();
    // DISCOVER and REQUEST in, OFFER and ACK out, one DISCOVER dropped.
    assert_eq!(
        (c.received, c.transmitted, c.offers, c.acks, c.no_pool),
        (3, 2, 1, 1, 1)
    );
    assert_eq!(c.total_dropped(), 1);
}
