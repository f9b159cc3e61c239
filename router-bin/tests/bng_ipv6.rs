//! IPv6 on the bng's sessions (`[ipv6]`), against our own subscriber side
//! (the `ClientLink` dialer, ndp-proto's codec for RS/RA and dhcpv6-proto's
//! requesting router, all inside the PPP session): the RA answering an RS
//! (flags, lifetime, MTU, from the bng's link-local, hop limit 255), the
//! /56 delegated from the pool and routed (a ping from the internet
//! namespace to an address inside it reaches the session and is answered),
//! the same /56 after a reconnect with a new DUID, spoofed sources dropped
//! and counted, a user's static prefix, Router Lifetime 0 when the bng
//! ends the session; with FreeRADIUS, the Delegated-IPv6-Prefix and
//! Framed-IPv6-Prefix of the Access-Accept and an accounting Stop carrying
//! them and the IPv6 octets.

mod bng_support;
mod common;

use std::net::Ipv6Addr;
use std::time::Duration;

use bng_support::v6::{PPP_IPV6, Pd, advertise_preferences, ll, solicit, udp6};
use bng_support::{Bed, config_text, dial_up};
use common::dialer::{Dialer, Seen, ppp};
use common::icmp::echo_reply;
use ndp_proto::wire::{NdpOption, RouterAdvertisement};
use ppp_proto::PppEvent;

/// Our namespace-side IPv6 addresses: the bng's on its uplink, and a host
/// on the internet side.
const ISP6: &str = "2001:db8:ffff::1";
const NET6: &str = "2001:db8:ffff::2";

fn ipv6_section(extra: &str) -> String {
    format!(
        "[ipv6]\npools = [\"2001:db8:100::/40\"]\ndns = [\"2001:db8:53::1\"]\nra_interval = 30\n{extra}"
    )
}

/// Starts a bed whose bng has `[ipv6]` (`section`) and its state under the
/// bed's directory, and gives the uplink IPv6 (the internet namespace
/// routes the delegated prefixes to the bng).
fn start(label: &str, users: bool, section: String) -> Option<Bed> {
    start_with(label, users, "", section, |_, _| ()).map(|(b, ())| b)
}

fn start_with<T>(
    label: &str,
    users: bool,
    top: &str,
    section: String,
    prepare: impl FnOnce(&testbed::Testbed, &testbed::Netns) -> T,
) -> Option<(Bed, T)> {
    let (bed, t) = Bed::start_prepared(
        label,
        |dir| {
            format!(
                "{top}state_dir = \"{}/state\"\n{}",
                dir.display(),
                config_text(dir, users, &section)
            )
        },
        prepare,
    )?;
    bed.tb
        .ip(
            &bed.isp,
            &[
                "-6",
                "addr",
                "add",
                &format!("{ISP6}/64"),
                "dev",
                "isp0",
                "nodad",
            ],
        )
        .unwrap();
    bed.tb
        .ip(
            &bed.internet,
            &[
                "-6",
                "addr",
                "add",
                &format!("{NET6}/64"),
                "dev",
                "net0",
                "nodad",
            ],
        )
        .unwrap();
    for net in [
        "2001:db8:100::/40",
        "2001:db8:200::/40",
        "2001:db8:300::/40",
        "2001:db8:400::/40",
    ] {
        bed.tb
            .ip(&bed.internet, &["-6", "route", "add", net, "via", ISP6])
            .unwrap();
    }
    Some((bed, t))
}

/// Dials until both IPCP and IPv6CP are up; the (local, peer) interface
/// identifiers.
fn dial(bed: &Bed, d: &mut Dialer) -> (u64, u64) {
    dial_up(d, || bed.log());
    let v6 = d.ipv6().is_some()
        || d.run_until(Duration::from_secs(10), |s| {
            ppp(s, |e| matches!(e, PppEvent::Ipv6Up { .. }))
        });
    assert!(v6, "no IPv6CP: {:?}\n{}", d.log, bed.log());
    d.ipv6().unwrap()
}

/// Pings `to` from the internet namespace while the dialer answers every
/// IPv6 Echo Request; whether ping succeeded, and the bytes answered.
fn ping_into_session(bed: &Bed, d: &mut Dialer, to: Ipv6Addr) -> (bool, usize) {
    let to = to.to_string();
    let mut p = bed
        .tb
        .spawn(
            &bed.internet,
            &["ping", "-6", "-c", "5", "-i", "0.2", "-W", "2", &to],
        )
        .unwrap();
    let mut read = d.log.len();
    let mut answered = 0;
    let end = std::time::Instant::now() + Duration::from_secs(8);
    while std::time::Instant::now() < end {
        d.run_until(Duration::from_millis(100), |_| false);
        let replies: Vec<Vec<u8>> = d.log[read..]
            .iter()
            .filter_map(|s| match s {
                Seen::Data(PPP_IPV6, p) => echo_reply(PPP_IPV6, p),
                _ => None,
            })
            .collect();
        read = d.log.len();
        for r in replies {
            answered += r.len();
            d.send_data(PPP_IPV6, &r);
        }
        if let Ok(Some(_)) = p.try_wait() {
            break;
        }
    }
    let ok = p
        .wait_timeout(Duration::from_secs(3))
        .unwrap()
        .is_some_and(|s| s.success());
    (ok, answered)
}

fn mtu(ra: &RouterAdvertisement) -> Option<u32> {
    ra.options.iter().find_map(|o| match o {
        NdpOption::Mtu(m) => Some(m.mtu),
        _ => None,
    })
}

fn stat(bed: &Bed, name: &str) -> u64 {
    let s = bed.ctl("stats");
    s.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in:\n{s}"))
}

fn routes(bed: &Bed) -> String {
    bed.tb
        .exec(
            &bed.isp,
            &["ip", "-6", "route", "show"],
            Duration::from_secs(5),
        )
        .unwrap()
}

#[test]
fn ra_delegation_routing_reconnect_and_anti_spoofing() {
    let section = ipv6_section(
        "[[users]]\nname = \"carol\"\npassword = \"pw\"\nipv6_prefix = \"2001:db8:200:4400::/56\"\n",
    );
    let Some(mut bed) = start("b6-pd", true, section) else {
        return;
    };
    let mut d = bed.dialer(b"alice", b"wonderland", 61);
    let (local, peer) = dial(&bed, &mut d);

    // An RS is answered by an RA from the bng's link-local address.
    let ra = solicit(&mut d, local, Duration::from_secs(10), |_| true)
        .unwrap_or_else(|| panic!("no RA: {:?}\n{}", d.log, bed.log()));
    assert_eq!(ra.src, ll(peer), "{ra:?}");
    assert_eq!(ra.dst, "ff02::1".parse::<Ipv6Addr>().unwrap());
    assert_eq!(ra.hop_limit, 255);
    assert_eq!(
        ra.ra.flags & (RouterAdvertisement::MANAGED | RouterAdvertisement::OTHER),
        RouterAdvertisement::MANAGED | RouterAdvertisement::OTHER,
        "{ra:?}"
    );
    assert_eq!(ra.ra.router_lifetime, 90, "3 × ra_interval: {ra:?}");
    assert_eq!(mtu(&ra.ra), Some(1492), "{ra:?}");
    assert!(
        !ra.ra
            .options
            .iter()
            .any(|o| matches!(o, NdpOption::PrefixInformation(_))),
        "no on-link prefix without a Framed-IPv6-Prefix: {ra:?}"
    );

    // DHCPv6-PD: a /56 from the pool, shown by `bng sessions`, routed.
    let from = d.log.len();
    let mut pd = Pd::new([2, 0, 0, 0, 0, 0x61], local, 1, &d);
    let (prefix, len) = pd
        .delegate(&mut d, Duration::from_secs(15))
        .unwrap_or_else(|| panic!("no prefix: {:?}\n{}", pd.events, bed.log()));
    assert_eq!(len, 56);
    // The only server on the link says so: Preference 255, which the
    // client takes at once (RFC 8415 §18.2.1).
    let prefs = advertise_preferences(&d.log, from);
    assert!(
        !prefs.is_empty() && prefs.iter().all(|&p| p == 255),
        "{prefs:?}"
    );
    assert_eq!(
        u128::from(prefix) >> 88,
        u128::from("2001:db8:100::".parse::<Ipv6Addr>().unwrap()) >> 88
    );
    let text = format!("{prefix}/56");
    let table = bed.ctl("sessions");
    assert!(table.contains(&text), "{table}");
    assert!(
        routes(&bed).contains(&format!("{text} dev bng0")),
        "{}",
        routes(&bed)
    );

    // A ping from the internet to an address inside the /56 reaches the
    // session; the answers (from inside the /56) get back.
    let inside = Ipv6Addr::from(u128::from(prefix) | 0x1_0000_0000_0000_0001);
    let (ok, _) = ping_into_session(&bed, &mut d, inside);
    assert!(ok, "ping into the delegated prefix failed:\n{}", bed.log());

    // The peer renegotiates LCP (so IPv6CP again): the prefix it still
    // holds stays routed to it, without a new DHCPv6 exchange.
    let mac = bed
        .client
        .enter(|| router_bin::afpacket::PacketSocket::open("wan0", 0x8864))
        .unwrap()
        .unwrap()
        .mac();
    let ups = d
        .ppp_events()
        .filter(|e| matches!(e, PppEvent::Ipv6Up { .. }))
        .count();
    bng_support::inject_lcp_configure_request(&bed, &d, mac);
    let again = d.run_until(Duration::from_secs(15), |s| {
        ppp(s, |e| matches!(e, PppEvent::Ipv6Up { .. }))
    });
    assert!(again, "IPv6CP not up again: {:?}\n{}", d.log, bed.log());
    assert_eq!(
        d.ppp_events()
            .filter(|e| matches!(e, PppEvent::Ipv6Up { .. }))
            .count(),
        ups + 1
    );
    let (ok, _) = ping_into_session(&bed, &mut d, inside);
    assert!(ok, "ping after IPv6CP renegotiated failed:\n{}", bed.log());
    assert!(stat(&bed, "no_session") == 0, "{}", bed.ctl("stats"));

    // Spoofed sources (outside the /56 and not link-local) are dropped and
    // counted.
    let before = stat(&bed, "spoofed6");
    for i in 0..3u16 {
        let src: Ipv6Addr = format!("2001:db8:dead::{i}").parse().unwrap();
        d.send_data(
            PPP_IPV6,
            &udp6(src, NET6.parse().unwrap(), 4000, 4000, b"spoof"),
        );
    }
    d.run_until(Duration::from_millis(300), |_| false);
    assert_eq!(stat(&bed, "spoofed6"), before + 3, "{}", bed.ctl("stats"));

    // A flood of DHCPv6 messages is cut at the session's rate limit (each
    // binding change costs the bng an fsync).
    let solicit =
        dhcpv6_proto::wire::ClientMessage::new(dhcpv6_proto::wire::MessageType::Solicit, 0x01_0203);
    let mut solicit = solicit;
    solicit
        .options
        .push(dhcpv6_proto::wire::Dhcpv6Option::ClientId(
            dhcpv6_proto::wire::Duid::ethernet([2, 0, 0, 0, 0, 0x99]),
        ));
    let bytes = dhcpv6_proto::wire::Message::Client(solicit).to_vec();
    for _ in 0..40 {
        d.send_data(
            PPP_IPV6,
            &udp6(ll(local), bng_support::v6::ALL_DHCP, 546, 547, &bytes),
        );
    }
    d.run_until(Duration::from_millis(300), |_| false);
    let limited = stat(&bed, "dhcpv6_rate_limited");
    assert!((25..=40).contains(&limited), "{}", bed.ctl("stats"));

    // Hang up: the route goes. Redial with a new DUID: the same /56.
    d.hang_up();
    d.run_until(Duration::from_secs(3), |s| {
        matches!(
            s,
            Seen::Link(pppoe_link::ClientLinkEvent::Pppoe(
                pppoe_proto::PppoeClientEvent::SessionDown { .. }
            ))
        )
    });
    let gone = (0..40).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        !routes(&bed).contains(&text)
    });
    assert!(
        gone,
        "route left after the session ended:\n{}",
        routes(&bed)
    );
    drop(d);
    let mut d = bed.dialer(b"alice", b"wonderland", 62);
    let (local, _) = dial(&bed, &mut d);
    let mut pd = Pd::new([2, 0, 0, 0, 0, 0x62], local, 2, &d);
    let again = pd.delegate(&mut d, Duration::from_secs(15));
    assert_eq!(again, Some((prefix, 56)), "{:?}\n{}", pd.events, bed.log());
    let (ok, _) = ping_into_session(&bed, &mut d, inside);
    assert!(ok, "ping after the reconnect failed:\n{}", bed.log());
    d.hang_up();
    d.run_until(Duration::from_secs(2), |_| false);
    drop(d);

    // A user's static prefix.
    let mut d = bed.dialer(b"carol", b"pw", 63);
    let (local, _) = dial(&bed, &mut d);
    let mut pd = Pd::new([2, 0, 0, 0, 0, 0x63], local, 3, &d);
    let got = pd.delegate(&mut d, Duration::from_secs(15));
    assert_eq!(
        got,
        Some(("2001:db8:200:4400::".parse().unwrap(), 56)),
        "{}",
        bed.log()
    );

    // The delegations are durable under state_dir.
    let file = std::fs::read_to_string(bed.tb.dir().join("state/dhcpv6-bindings")).unwrap();
    assert!(file.contains(&prefix.to_string()), "{file}");

    // The bng ends the session (SIGTERM): a last RA with Router Lifetime 0.
    let from = d.log.len();
    bed.bng.signal(nix::sys::signal::Signal::SIGTERM).unwrap();
    d.run_until(Duration::from_secs(5), |s| {
        ppp(s, |e| matches!(e, PppEvent::Down { .. }))
    });
    let last = bng_support::v6::ras(&d.log, from);
    assert!(
        last.iter().any(|r| r.ra.router_lifetime == 0),
        "no final RA: {:?}",
        &d.log[from..]
    );
    bed.bng.wait_timeout(Duration::from_secs(10)).unwrap();
    assert!(
        !routes(&bed).contains("2001:db8:200:4400::/56"),
        "{}",
        routes(&bed)
    );
    drop(d);

    // A new bng on the same state_dir: alice (yet another DUID) gets her
    // /56 back from the stored bindings.
    bed.bng = bed
        .tb
        .spawn(
            &bed.isp,
            &[
                env!("CARGO_BIN_EXE_bng"),
                "--config",
                bed.config.to_str().unwrap(),
            ],
        )
        .unwrap();
    bed.wait_log("bng ready", Duration::from_secs(10));
    let mut d = bed.dialer(b"alice", b"wonderland", 64);
    let (local, _) = dial(&bed, &mut d);
    let mut pd = Pd::new([2, 0, 0, 0, 0, 0x64], local, 4, &d);
    let after_restart = pd.delegate(&mut d, Duration::from_secs(15));
    assert_eq!(
        after_restart,
        Some((prefix, 56)),
        "{:?}\n{}",
        pd.events,
        bed.log()
    );
}

const RADIUS_USERS: &str = r#"
dave	Cleartext-Password := "s3cret"
	Delegated-IPv6-Prefix = 2001:db8:300:1200::/56,
	Framed-IPv6-Prefix = 2001:db8:400:7::/64,
	Framed-Interface-Id = 0200:5eff:fe00:5301,
	Message-Authenticator = 0x00

erin	Cleartext-Password := "s3cret"
	Message-Authenticator = 0x00

DEFAULT	Auth-Type := Reject
	Message-Authenticator = 0x00
"#;

/// dave's Framed-Interface-Id.
const FRAMED_IFID: u64 = 0x0200_5eff_fe00_5301;

/// Whether the dialer received an IPv6CP Configure-Nak.
fn nakked_ipv6cp(d: &Dialer) -> bool {
    d.log
        .iter()
        .any(|s| matches!(s, Seen::Control(true, 0x8057, 3)))
}

#[test]
fn radius_prefixes_and_accounting_of_ipv6() {
    use bng_support::radiusd::{self, Radiusd, records, value};
    if !radiusd::available("radius_prefixes_and_accounting_of_ipv6") {
        return;
    }
    let section = format!("{}{}", radiusd::bng_sections(), ipv6_section(""));
    // The dialers share the client's MAC: two sessions of dave at once.
    let top = "max_sessions_per_mac = 2\n";
    let Some((bed, radius)) = start_with("b6-radius", false, top, section, |tb, ns| {
        Radiusd::start(tb, ns, RADIUS_USERS)
    }) else {
        return;
    };
    // Without Framed-Interface-Id the client's own identifier stands: no
    // IPv6CP Nak from the bng.
    let mut e = bed.dialer(b"erin", b"s3cret", 72);
    let (own, _) = dial(&bed, &mut e);
    assert_ne!(own, FRAMED_IFID);
    assert!(!nakked_ipv6cp(&e), "{:?}", e.log);
    e.hang_up();
    e.run_until(Duration::from_secs(1), |_| false);
    drop(e);

    // Framed-Interface-Id (RFC 3162 §2.2) is imposed through IPv6CP: the
    // client's own identifier is Nak'd with it, and it ends with it.
    let mut d = bed.dialer(b"dave", b"s3cret", 71);
    let (local, _) = dial(&bed, &mut d);
    assert_eq!(local, FRAMED_IFID, "{:?}\n{}", d.log, bed.log());
    assert!(nakked_ipv6cp(&d), "{:?}", d.log);

    // The Framed-IPv6-Prefix is advertised for SLAAC.
    let ra = solicit(&mut d, local, Duration::from_secs(10), |r| {
        r.ra.options
            .iter()
            .any(|o| matches!(o, NdpOption::PrefixInformation(_)))
    })
    .unwrap_or_else(|| panic!("no RA with a prefix: {:?}\n{}", d.log, bed.log()));
    let pio = ra
        .ra
        .options
        .iter()
        .find_map(|o| match o {
            NdpOption::PrefixInformation(p) => Some(*p),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        (pio.prefix, pio.prefix_length),
        ("2001:db8:400:7::".parse().unwrap(), 64)
    );

    // The Delegated-IPv6-Prefix is what DHCPv6 delegates (not the pool).
    let mut pd = Pd::new([2, 0, 0, 0, 0, 0x71], local, 7, &d);
    let got = pd.delegate(&mut d, Duration::from_secs(15));
    assert_eq!(
        got,
        Some(("2001:db8:300:1200::".parse().unwrap(), 56)),
        "{}\n{}",
        bed.log(),
        radius.log()
    );

    // dave up a second time (another CPE): its Delegated-IPv6-Prefix and
    // Framed-IPv6-Prefix stay with the first session, it gets a /56 from
    // the pool instead.
    let mut d2 = bed.dialer(b"dave", b"s3cret", 73);
    let (local2, _) = dial(&bed, &mut d2);
    let mut pd2 = Pd::new([2, 0, 0, 0, 0, 0x73], local2, 7, &d2);
    let got2 = pd2.delegate(&mut d2, Duration::from_secs(15));
    assert!(
        got2.is_some_and(|(p, l)| {
            let pool: Ipv6Addr = "2001:db8:100::".parse().unwrap();
            l == 56 && u128::from(p) >> 88 == u128::from(pool) >> 88
        }),
        "second session: {got2:?}\n{}",
        bed.log()
    );

    // IPv6 traffic only: the answers to pings into the /56 and into the
    // framed /64 are the (first) session's input octets.
    let mut answered = 0;
    for to in ["2001:db8:300:1234::1", "2001:db8:400:7::1"] {
        let (ok, bytes) = ping_into_session(&bed, &mut d, to.parse().unwrap());
        assert!(ok, "ping {to} failed:\n{}", bed.log());
        answered += bytes;
    }
    d.hang_up();
    d.run_until(Duration::from_secs(2), |_| false);
    let dave = |r: &&&str| r.contains("User-Name = \"dave\"");
    let detail = radius
        .wait_detail(Duration::from_secs(10), |d| {
            records(d)
                .iter()
                .any(|r| dave(&r) && r.contains("Acct-Status-Type = Stop"))
        })
        .unwrap_or_else(|| panic!("no Stop:\n{}\n{}", radius.detail(), bed.log()));
    let recs = records(&detail);
    let stop = recs
        .iter()
        .filter(dave)
        .find(|r| r.contains("Acct-Status-Type = Stop"))
        .unwrap();
    assert!(
        stop.contains("Delegated-IPv6-Prefix = 2001:db8:300:1200::/56"),
        "{stop}"
    );
    assert!(
        stop.contains("Framed-IPv6-Prefix = 2001:db8:400:7::/64"),
        "{stop}"
    );
    assert!(stop.contains("Framed-Interface-Id = "), "{stop}");
    assert!(stop.contains("5eff:fe00:5301"), "{stop}");
    let octets = value(stop, "Acct-Input-Octets").unwrap();
    let packets = value(stop, "Acct-Input-Packets").unwrap();
    assert!(
        octets >= answered as u64 && packets >= 10,
        "{octets} octets, {packets} packets for {answered} bytes of IPv6 answers:\n{stop}"
    );
    let start = recs
        .iter()
        .filter(dave)
        .find(|r| r.contains("Acct-Status-Type = Start"))
        .unwrap();
    assert!(
        start.contains("Delegated-IPv6-Prefix = 2001:db8:300:1200::/56"),
        "{start}"
    );
}

/// `ipv4 = false`: the client's IPCP is answered with an LCP
/// Protocol-Reject (RFC 1661 §5.7), IPv6CP and the delegation work alone.
#[test]
fn ipv4_off_protocol_rejects_ipcp() {
    let Some(bed) = Bed::start_text("b6-nov4", |dir| {
        format!(
            "ipv4 = false\nstate_dir = \"{}/state\"\n{}",
            dir.display(),
            config_text(dir, true, &ipv6_section(""))
        )
    }) else {
        return;
    };
    let mut d = bed.dialer(b"alice", b"wonderland", 81);
    let rejected = d.run_until(Duration::from_secs(15), |s| {
        ppp(
            s,
            |e| matches!(e, PppEvent::ProtocolRejected { protocol } if *protocol == 0x8021),
        )
    });
    assert!(
        rejected,
        "IPCP not Protocol-Rejected: {:?}\n{}",
        d.log,
        bed.log()
    );
    assert!(
        d.log
            .iter()
            .any(|s| matches!(s, Seen::Control(true, 0xc021, 8))),
        "no LCP Protocol-Reject received: {:?}",
        d.log
    );
    let v6 = d.ipv6().is_some()
        || d.run_until(Duration::from_secs(10), |s| {
            ppp(s, |e| matches!(e, PppEvent::Ipv6Up { .. }))
        });
    assert!(v6, "no IPv6CP: {:?}\n{}", d.log, bed.log());
    let (local, _) = d.ipv6().unwrap();
    let mut pd = Pd::new([2, 0, 0, 0, 0, 0x81], local, 8, &d);
    let got = pd.delegate(&mut d, Duration::from_secs(15));
    assert!(got.is_some(), "no prefix: {:?}\n{}", pd.events, bed.log());
    d.run_until(Duration::from_secs(1), |_| false);
    assert!(d.ipv4().is_none(), "IPCP opened: {:?}", d.log);
    assert!(
        !d.ppp_events().any(|e| matches!(e, PppEvent::Ipv4Up { .. })),
        "{:?}",
        d.log
    );
}

/// Crash safety of the DHCPv6 group commit: the bng is killed (SIGKILL)
/// the moment the Reply arrives; its binding is on disk, and a new bng on
/// the same state_dir gives the subscriber (with a new DUID) that prefix.
#[test]
fn a_delegation_survives_sigkill_right_after_its_reply() {
    let Some(mut bed) = start("b6-kill", true, ipv6_section("")) else {
        return;
    };
    let mut d = bed.dialer(b"alice", b"wonderland", 85);
    let (local, _) = dial(&bed, &mut d);
    let mut pd = Pd::new([2, 0, 0, 0, 0, 0x85], local, 85, &d);
    let got = pd.delegate(&mut d, Duration::from_secs(15));
    bed.bng.signal(nix::sys::signal::Signal::SIGKILL).unwrap();
    let (prefix, _) = got.unwrap_or_else(|| panic!("no prefix: {:?}\n{}", pd.events, bed.log()));
    bed.bng.wait_timeout(Duration::from_secs(5)).unwrap();
    let file = std::fs::read_to_string(bed.tb.dir().join("state/dhcpv6-bindings")).unwrap();
    assert!(file.contains(&prefix.to_string()), "{file}");
    drop(d);
    bed.bng = bed
        .tb
        .spawn(
            &bed.isp,
            &[
                env!("CARGO_BIN_EXE_bng"),
                "--config",
                bed.config.to_str().unwrap(),
            ],
        )
        .unwrap();
    bed.wait_log("bng ready", Duration::from_secs(10));
    let mut d = bed.dialer(b"alice", b"wonderland", 86);
    let (local, _) = dial(&bed, &mut d);
    let mut pd = Pd::new([2, 0, 0, 0, 0, 0x86], local, 86, &d);
    let again = pd.delegate(&mut d, Duration::from_secs(15));
    assert_eq!(again, Some((prefix, 56)), "{:?}\n{}", pd.events, bed.log());
}
