//! The IPv6 logic against `dhcpv6-proto`'s delegating server in memory, on
//! a simulated clock; the RAs it queues parsed back with `ndp-proto`.

use super::*;
use dhcpv6_proto::server::{Dhcpv6PrefixPool, Dhcpv6ServerConfig, Dhcpv6ServerSource};
use dhcpv6_proto::store::MemoryBindingStore;
use dhcpv6_proto::wire::{ClientMessage, MessageType};
use dhcpv6_proto::{Dhcpv6ClientEvent, Dhcpv6Server};
use ndp_proto::router::ALL_NODES;
use ndp_proto::wire::{NdpMessage, NdpOption, RouterAdvertisement};

const LAN_LL: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0xa);
const WAN_LL: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x10);

fn addr(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

fn config() -> Ipv6Config {
    Ipv6Config {
        lan_subnet: 1,
        ..Ipv6Config::default()
    }
}

/// A delegating server handing out /56s of `pool`/48.
struct Isp {
    server: Dhcpv6Server,
    store: MemoryBindingStore,
}

impl Isp {
    fn new(pool: &str) -> Isp {
        let mut cfg = Dhcpv6ServerConfig::new(
            Duid::ethernet([2, 0, 0, 0, 0, 1]),
            vec![Dhcpv6PrefixPool::new(addr(pool), 48, 56)],
        );
        (cfg.t1, cfg.t2, cfg.preferred, cfg.valid) = (100, 160, 200, 400);
        cfg.dns_servers = vec![addr("2001:db8::53")];
        Isp {
            server: Dhcpv6Server::new(cfg, Instant::ZERO).unwrap(),
            store: MemoryBindingStore::default(),
        }
    }
}

/// Runs the client against `isp` on a simulated clock from `now` until
/// `until`; the RAs sent meanwhile (parsed) and the last `now`.
fn run(
    core: &mut Ipv6Core,
    isp: &mut Isp,
    mut now: Instant,
    until: Instant,
) -> (Vec<RouterAdvertisement>, Instant) {
    let from = Dhcpv6ServerSource::new(WAN_LL, 1);
    let mut ras = Vec::new();
    loop {
        while let Some(t) = core.poll_dhcp(now) {
            let _ = isp.server.handle_input(now, from, &t.payload);
        }
        isp.server.commit_to(&mut isp.store).unwrap();
        let mut replies = Vec::new();
        while let Some(t) = isp.server.poll_transmit(now) {
            replies.push(t.payload);
        }
        while isp.server.poll_event().is_some() {}
        for r in &replies {
            core.handle_dhcp(now, r);
        }
        while let Some(t) = core.poll_ra(now) {
            assert_eq!(t.destination, ALL_NODES);
            match NdpMessage::parse(&t.payload, LAN_LL, ALL_NODES).unwrap() {
                NdpMessage::RouterAdvertisement(ra) => ras.push(ra),
                other => panic!("{other:?}"),
            }
        }
        if !replies.is_empty() {
            continue;
        }
        let next = core.poll_timeout().unwrap_or(until);
        if next > until {
            return (ras, until);
        }
        now = next.max(now);
        core.handle_timeout(now);
    }
}

fn prefixes(ra: &RouterAdvertisement) -> Vec<(Ipv6Addr, u32, u32)> {
    ra.options
        .iter()
        .filter_map(|o| match o {
            NdpOption::PrefixInformation(p) => {
                Some((p.prefix, p.preferred_lifetime, p.valid_lifetime))
            }
            _ => None,
        })
        .collect()
}

fn drain_net(core: &mut Ipv6Core) -> Vec<NetChange> {
    std::iter::from_fn(|| core.poll_net()).collect()
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// IPv6CP up: Solicit, a /56 from the server; the LAN gets its second /64
/// (`lan_subnet = 1`) with `::1`, an unreachable route covers the rest,
/// the prefix is to be saved, the RAs carry the /64 with the delegation's
/// lifetimes and a router lifetime, and the status shows it all.
#[test]
fn a_delegated_prefix_numbers_the_lan() {
    let mut core = Ipv6Core::new(config(), [2, 0, 0, 0, 0, 2], None, SeededRng::from_u64(1));
    let t0 = Instant::ZERO;
    core.lan_ready(t0, LAN_LL, Some([2, 0, 0, 0, 0, 0xa]));
    core.wan_up(t0);
    let mut isp = Isp::new("2001:db8:100::");
    let (ras, now) = run(&mut core, &mut isp, t0, t0 + secs(10));
    let d = core.delegation().expect("a prefix");
    assert_eq!(
        (d.prefix_len, d.lan),
        (56, Ipv6Addr::from(u128::from(d.prefix) | 1 << 64))
    );
    assert_eq!(
        drain_net(&mut core),
        [
            NetChange::AddUnreachable(d.prefix, 56),
            NetChange::AddLanAddress(d.lan)
        ]
    );
    assert_eq!(core.poll_save(), Some((d.prefix, 56)));
    assert_eq!(router_address(d.lan), Ipv6Addr::from(u128::from(d.lan) | 1));
    let last = ras.last().expect("RAs");
    // The delegation's lifetimes (200 s, 400 s), counted down since.
    let [(lan, preferred, valid)] = prefixes(last)[..] else {
        panic!("{last:?}")
    };
    assert!(
        lan == d.lan && (190..=200).contains(&preferred) && (390..=400).contains(&valid),
        "{last:?}"
    );
    assert!(last.router_lifetime > 0);
    let status = core.status_text(now, "lan0");
    assert!(
        status.contains(&format!("ipv6 prefix: {}/56 preferred ", d.prefix)),
        "{status}"
    );
    assert!(
        status.contains(&format!(
            "ipv6 lan: {}/64 (router {}) on lan0",
            d.lan,
            router_address(d.lan)
        )),
        "{status}"
    );
    assert!(status.contains("ipv6 dns: 2001:db8::53"), "{status}");
    assert!(status.ends_with("nat64 prefix:\n"), "{status}");
}

/// The ISP delegates another prefix (its pool renumbered): the old /64
/// stays in the RAs with preferred lifetime 0 (RFC 9096), its address and
/// unreachable route go, the new ones come, and the new prefix is saved.
#[test]
fn a_new_prefix_renumbers_the_lan_and_deprecates_the_old() {
    let mut core = Ipv6Core::new(config(), [2, 0, 0, 0, 0, 2], None, SeededRng::from_u64(2));
    let t0 = Instant::ZERO;
    core.lan_ready(t0, LAN_LL, None);
    core.wan_up(t0);
    let mut isp = Isp::new("2001:db8:100::");
    let (_, now) = run(&mut core, &mut isp, t0, t0 + secs(10));
    let old = core.delegation().unwrap();
    drain_net(&mut core);
    let _ = core.poll_save();
    // The ISP's pool changes; at T1 (100 s) the Renew gets NoBinding and
    // the client asks again.
    let mut isp = Isp::new("2001:db8:200::");
    let (ras, now) = run(&mut core, &mut isp, now, now + secs(150));
    let new = core.delegation().unwrap();
    assert_ne!(new.prefix, old.prefix);
    assert_eq!(
        drain_net(&mut core),
        [
            NetChange::DeleteLanAddress(old.lan),
            NetChange::DeleteUnreachable(old.prefix, 56),
            NetChange::AddUnreachable(new.prefix, 56),
            NetChange::AddLanAddress(new.lan),
        ]
    );
    assert_eq!(core.poll_save(), Some((new.prefix, 56)));
    let last = prefixes(ras.last().unwrap());
    assert!(
        last.iter().any(|p| p.0 == new.lan && p.1 > 0 && p.2 > p.1),
        "{last:?}"
    );
    let stale = last.iter().find(|p| p.0 == old.lan).expect("old /64 kept");
    assert_eq!(stale.1, 0, "old /64 not deprecated: {last:?}");
    assert!(stale.2 > 0);
    let status = core.status_text(now, "lan0");
    assert!(
        status.contains(&format!("{}/64 deprecated", old.lan)),
        "{status}"
    );
}

/// A PPP reconnect: the LAN loses its default router at once (Router
/// Lifetime 0) but keeps the prefix; IPv6CP up again Rebinds and gets the
/// same prefix, and nothing in the kernel changes.
#[test]
fn a_reconnect_keeps_the_prefix() {
    let mut core = Ipv6Core::new(config(), [2, 0, 0, 0, 0, 2], None, SeededRng::from_u64(3));
    let t0 = Instant::ZERO;
    core.lan_ready(t0, LAN_LL, None);
    core.wan_up(t0);
    let mut isp = Isp::new("2001:db8:100::");
    let (_, now) = run(&mut core, &mut isp, t0, t0 + secs(10));
    let before = core.delegation().unwrap();
    drain_net(&mut core);
    core.wan_down(now);
    let (ras, now) = run(&mut core, &mut isp, now, now + secs(1));
    let ra = ras.first().expect("an RA at once");
    assert_eq!(ra.router_lifetime, 0);
    assert_eq!(prefixes(ra)[0].0, before.lan);
    core.wan_up(now);
    let first = core.poll_dhcp(now).expect("a message at once");
    let m = ClientMessage::parse(&first.payload).unwrap();
    assert_eq!(m.msg_type, MessageType::Rebind);
    let _ = isp
        .server
        .handle_input(now, Dhcpv6ServerSource::new(WAN_LL, 1), &first.payload);
    let (ras, _) = run(&mut core, &mut isp, now, now + secs(10));
    assert_eq!(core.delegation().unwrap().prefix, before.prefix);
    assert!(drain_net(&mut core).is_empty());
    assert!(ras.last().unwrap().router_lifetime > 0);
}

/// After a restart the saved prefix is the hint in the first Solicit.
#[test]
fn the_saved_prefix_is_hinted() {
    let hint = (addr("2001:db8:100:4200::"), 56);
    let mut core = Ipv6Core::new(
        config(),
        [2, 0, 0, 0, 0, 2],
        Some(hint),
        SeededRng::from_u64(4),
    );
    core.wan_up(Instant::ZERO);
    let t = core.poll_dhcp(Instant::ZERO).unwrap();
    let m = ClientMessage::parse(&t.payload).unwrap();
    assert_eq!(m.msg_type, MessageType::Solicit);
    let hinted: Vec<(Ipv6Addr, u8)> = m
        .ia_pds()
        .flat_map(|ia| ia.prefixes())
        .map(|p| (p.prefix, p.prefix_len))
        .collect();
    assert_eq!(hinted, [hint]);
    // Without a saved prefix: only the length is hinted.
    let mut core = Ipv6Core::new(config(), [2, 0, 0, 0, 0, 2], None, SeededRng::from_u64(4));
    core.wan_up(Instant::ZERO);
    let t = core.poll_dhcp(Instant::ZERO).unwrap();
    let m = ClientMessage::parse(&t.payload).unwrap();
    let hinted: Vec<(Ipv6Addr, u8)> = m
        .ia_pds()
        .flat_map(|ia| ia.prefixes())
        .map(|p| (p.prefix, p.prefix_len))
        .collect();
    assert_eq!(hinted, [(Ipv6Addr::UNSPECIFIED, 56)]);
}

/// The NAT64 prefix: set before or after the RAs start, it is in the next
/// RA as PREF64 and in the status; a length PREF64 cannot carry is refused
/// and changes nothing.
#[test]
fn the_nat64_prefix_goes_into_pref64_and_status() {
    let mut core = Ipv6Core::new(config(), [2, 0, 0, 0, 0, 2], None, SeededRng::from_u64(5));
    let t0 = Instant::ZERO;
    core.set_nat64_prefix(t0, Some((addr("64:ff9b::"), 96)))
        .unwrap();
    core.lan_ready(t0, LAN_LL, None);
    let pref64 = |core: &mut Ipv6Core, now| {
        let mut last = None;
        while let Some(t) = core.poll_ra(now) {
            let NdpMessage::RouterAdvertisement(ra) =
                NdpMessage::parse(&t.payload, LAN_LL, ALL_NODES).unwrap()
            else {
                panic!()
            };
            last = Some(ra.options.iter().find_map(|o| match o {
                NdpOption::Pref64(p) => Some((p.prefix(), p.length.bits())),
                _ => None,
            }));
        }
        last.expect("an RA")
    };
    assert_eq!(pref64(&mut core, t0), Some((addr("64:ff9b::"), 96)));
    let e = core
        .set_nat64_prefix(t0, Some((addr("2001:db8:64::"), 80)))
        .unwrap_err();
    assert!(e.contains("length must be"), "{e}");
    assert!(
        core.status_text(t0, "lan0")
            .contains("nat64 prefix: 64:ff9b::/96")
    );
    let later = t0 + secs(5);
    core.set_nat64_prefix(later, Some((addr("2001:db8:64::"), 64)))
        .unwrap();
    assert_eq!(pref64(&mut core, later), Some((addr("2001:db8:64::"), 64)));
    assert!(
        core.status_text(later, "lan0")
            .contains("nat64 prefix: 2001:db8:64::/64")
    );
}

/// Shutdown: a final RA with Router Lifetime 0; the LAN address and the
/// unreachable route are removed.
#[test]
fn shutdown_withdraws_the_router_and_the_lan_address() {
    let mut core = Ipv6Core::new(config(), [2, 0, 0, 0, 0, 2], None, SeededRng::from_u64(6));
    let t0 = Instant::ZERO;
    core.lan_ready(t0, LAN_LL, None);
    core.wan_up(t0);
    let mut isp = Isp::new("2001:db8:100::");
    let (_, now) = run(&mut core, &mut isp, t0, t0 + secs(10));
    let d = core.delegation().unwrap();
    drain_net(&mut core);
    core.shutdown(now);
    let t = core.poll_ra(now).expect("a final RA");
    let NdpMessage::RouterAdvertisement(ra) =
        NdpMessage::parse(&t.payload, LAN_LL, ALL_NODES).unwrap()
    else {
        panic!()
    };
    assert_eq!(ra.router_lifetime, 0);
    assert_eq!(
        drain_net(&mut core),
        [
            NetChange::DeleteLanAddress(d.lan),
            NetChange::DeleteUnreachable(d.prefix, 56)
        ]
    );
}

fn delegated(prefix: &str, exclude: Option<(Ipv6Addr, u8)>) -> Dhcpv6ClientEvent {
    Dhcpv6ClientEvent::PrefixDelegated {
        prefix: addr(prefix),
        prefix_len: 56,
        preferred: 3600,
        valid: 7200,
        exclude,
    }
}

/// The ISP renumbers again and again: at most four old /64s are kept
/// deprecated (as many as the advertising router keeps), each dropped when
/// its lifetime is over.
#[test]
fn deprecated_prefixes_are_bounded_and_run_out() {
    let mut core = Ipv6Core::new(config(), [2, 0, 0, 0, 0, 2], None, SeededRng::from_u64(7));
    let mut now = Instant::ZERO;
    core.lan_ready(now, LAN_LL, None);
    core.wan_up(now);
    for i in 1..=7 {
        core.on_client(now, delegated(&format!("2001:db8:{i}00::"), None));
        core.handle_timeout(now);
        while core.poll_ra(now).is_some() {}
        now += secs(10);
    }
    let status = core.status_text(now, "lan0");
    assert_eq!(status.matches("deprecated").count(), 4, "{status}");
    assert!(
        !status.contains("2001:db8:200:1::/64"),
        "the oldest went first: {status}"
    );
    assert!(
        status.contains("2001:db8:600:1::/64 deprecated"),
        "{status}"
    );
    // ND_VALID_LIMIT (5400 s) later they have all run out.
    let later = now + secs(5400);
    core.handle_timeout(later);
    let status = core.status_text(later, "lan0");
    assert!(!status.contains("deprecated"), "{status}");
}

/// RFC 6603: a delegation whose excluded prefix covers the LAN's /64 is
/// not used (the ISP numbers its side of the link from it).
#[test]
fn an_excluded_lan_subnet_is_not_used() {
    let mut core = Ipv6Core::new(config(), [2, 0, 0, 0, 0, 2], None, SeededRng::from_u64(8));
    let now = Instant::ZERO;
    core.wan_up(now);
    // lan_subnet = 1: 2001:db8:100:1::/64.
    core.on_client(
        now,
        delegated("2001:db8:100::", Some((addr("2001:db8:100:1::"), 64))),
    );
    assert_eq!(core.delegation(), None);
    assert!(drain_net(&mut core).is_empty());
    core.on_client(
        now,
        delegated("2001:db8:100::", Some((addr("2001:db8:100:ff::"), 64))),
    );
    assert_eq!(core.delegation().unwrap().lan, addr("2001:db8:100:1::"));
}

/// The servers the LAN's RAs name in RDNSS.
fn rdnss(ra: &RouterAdvertisement) -> Vec<Ipv6Addr> {
    ra.options
        .iter()
        .filter_map(|o| match o {
            NdpOption::Rdnss(r) => Some(r.servers.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

/// RDNSS names a resolver that runs: the router itself when its forwarder
/// does, else the ISP's servers from DHCPv6 (none before DHCPv6 gave
/// them, rather than the router's address, where nothing would answer).
#[test]
fn rdnss_names_the_router_only_when_it_answers_dns() {
    for forwarder in [true, false] {
        let mut core = Ipv6Core::new(config(), [2, 0, 0, 0, 0, 2], None, SeededRng::from_u64(5));
        core.set_rdnss_is_router(forwarder);
        let t0 = Instant::ZERO;
        core.lan_ready(t0, LAN_LL, Some([2, 0, 0, 0, 0, 0xa]));
        let first = core.poll_ra(t0).expect("the first RA at once");
        let NdpMessage::RouterAdvertisement(first) =
            NdpMessage::parse(&first.payload, LAN_LL, ALL_NODES).unwrap()
        else {
            panic!("not an RA")
        };
        core.wan_up(t0);
        let mut isp = Isp::new("2001:db8:100::");
        let (ras, _) = run(&mut core, &mut isp, t0, t0 + secs(60));
        let last = ras.last().expect("RAs");
        match forwarder {
            true => {
                assert_eq!(rdnss(&first), [LAN_LL]);
                assert_eq!(rdnss(last), [LAN_LL]);
            }
            false => {
                assert_eq!(rdnss(&first), Vec::<Ipv6Addr>::new());
                assert_eq!(rdnss(last), [addr("2001:db8::53")]);
            }
        }
    }
}
