//! Real peers in network namespaces: a Linux host (the kernel's SLAAC) and
//! `rdisc6` read our router's RAs, sent from a raw ICMPv6 socket; our host
//! machine learns from `radvd`. Needs root (skips otherwise, fails under CI).

use std::io::IoSliceMut;
use std::net::{Ipv6Addr, SocketAddrV6};
use std::os::fd::AsRawFd;
use std::time::Duration as StdDuration;

use ndp_proto::wire::{DomainName, Pref64, Pref64Length, RouteInformation, RouterPreference};
use ndp_proto::{
    NdpDnsServers, NdpHost, NdpHostConfig, NdpHostEvent, NdpRouter, NdpRouterConfig, NdpSecretKey,
};
use nix::sys::socket::{ControlMessageOwned, MsgFlags, SockaddrIn6, recvmsg, setsockopt, sockopt};
use sansio_primitives::{Duration, SeededRng, StdClock};
use socket2::{Domain, Protocol, Socket, Type};
use testbed::{Netns, Testbed};

const ROUTER_LL: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);
const HOST_LL: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 2);
const ALL_ROUTERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 2);
const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);

/// A raw ICMPv6 socket on one interface, hop limit 255 both ways, that
/// reports each message's source, destination and hop limit.
struct Raw {
    sock: Socket,
    ifindex: u32,
}

impl Raw {
    fn open(ns: &Netns, ifname: &str, source: Ipv6Addr, join: Ipv6Addr) -> Raw {
        let ifname = ifname.to_owned();
        ns.enter(move || {
            let ifindex = nix::net::if_::if_nametoindex(ifname.as_str()).unwrap();
            let sock = Socket::new(Domain::IPV6, Type::RAW, Some(Protocol::ICMPV6)).unwrap();
            sock.bind_device(Some(ifname.as_bytes())).unwrap();
            sock.bind(&SocketAddrV6::new(source, 0, 0, ifindex).into())
                .unwrap();
            sock.set_multicast_hops_v6(255).unwrap();
            sock.set_unicast_hops_v6(255).unwrap();
            sock.set_multicast_if_v6(ifindex).unwrap();
            sock.set_multicast_loop_v6(false).unwrap();
            sock.join_multicast_v6(&join, ifindex).unwrap();
            sock.set_read_timeout(Some(StdDuration::from_millis(50)))
                .unwrap();
            setsockopt(&sock, sockopt::Ipv6RecvHopLimit, &true).unwrap();
            setsockopt(&sock, sockopt::Ipv6RecvPacketInfo, &true).unwrap();
            Raw { sock, ifindex }
        })
        .unwrap()
    }

    fn send(&self, destination: Ipv6Addr, payload: &[u8]) {
        let to = SocketAddrV6::new(destination, 0, 0, self.ifindex);
        self.sock.send_to(payload, &to.into()).unwrap();
    }

    /// One message: (bytes, source, destination, hop limit), or `None`
    /// after the read timeout.
    fn recv(&self) -> Option<(Vec<u8>, Ipv6Addr, Ipv6Addr, u8)> {
        let mut buf = [0u8; 2048];
        let mut iov = [IoSliceMut::new(&mut buf)];
        let mut cmsg = nix::cmsg_space!(libc::in6_pktinfo, libc::c_int);
        let msg = recvmsg::<SockaddrIn6>(
            self.sock.as_raw_fd(),
            &mut iov,
            Some(&mut cmsg),
            MsgFlags::empty(),
        )
        .ok()?;
        let (mut dst, mut hop) = (None, None);
        for c in msg.cmsgs().ok()? {
            match c {
                ControlMessageOwned::Ipv6PacketInfo(i) => {
                    dst = Some(Ipv6Addr::from(i.ipi6_addr.s6_addr))
                }
                ControlMessageOwned::Ipv6HopLimit(h) => hop = Some(h as u8),
                _ => {}
            }
        }
        let src = msg.address?.ip();
        let n = msg.bytes;
        Some((buf[..n].to_vec(), src, dst?, hop?))
    }
}

/// Drives `router` on the real clock until `done` holds (checked every
/// 200 ms) or `limit` passes; returns whether `done` held.
fn drive(
    router: &mut NdpRouter,
    raw: &Raw,
    clock: &StdClock,
    limit: StdDuration,
    mut done: impl FnMut() -> bool,
) -> bool {
    let start = std::time::Instant::now();
    let mut checked = start;
    loop {
        let now = clock.now();
        router.handle_timeout(now);
        while let Some(t) = router.poll_transmit(now) {
            raw.send(t.destination, &t.payload);
        }
        while router.poll_event().is_some() {}
        if let Some((b, src, dst, hop)) = raw.recv() {
            let _ = router.handle_input(clock.now(), src, dst, hop, &b);
        }
        if checked.elapsed() >= StdDuration::from_millis(200) {
            checked = std::time::Instant::now();
            if done() {
                return true;
            }
        }
        if start.elapsed() > limit {
            return done();
        }
    }
}

/// A tool the test needs, with the Debian package that has it.
fn require(tool: &str, package: &str) {
    let found = std::process::Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "{tool} is not installed (Debian: {package}; see .ci/install-packages)"
    );
}

fn sh(tb: &Testbed, ns: &Netns, cmd: &str) -> String {
    tb.exec(ns, &["sh", "-c", cmd], StdDuration::from_secs(10))
        .unwrap_or_default()
}

#[test]
fn linux_host_does_slaac_route_and_mtu_from_our_ras_and_deprecates_after_renumbering() {
    let Some(mut tb) = Testbed::new("ndp_linux_host") else {
        return;
    };
    require("rdisc6", "ndisc6");
    let r = tb.namespace("r").unwrap();
    let h = tb.namespace("h").unwrap();
    tb.veth((&r, "r0"), (&h, "h0")).unwrap();
    tb.ip(&r, &["link", "set", "r0", "address", "02:00:00:00:0a:01"])
        .unwrap();
    tb.addr(&r, "r0", "fe80::1/64").unwrap();
    sh(
        &tb,
        &h,
        "sysctl -qw net.ipv6.conf.h0.accept_dad=0 net.ipv6.conf.h0.accept_ra=1 net.ipv6.conf.h0.accept_ra_rt_info_max_plen=64",
    );

    let cap = tb.capture(&h, "h0").unwrap();
    let raw = Raw::open(&r, "r0", ROUTER_LL, ALL_ROUTERS);
    let clock = StdClock::new();
    let mut c = NdpRouterConfig::new(ROUTER_LL);
    c.link_layer_address = Some([2, 0, 0, 0, 0x0a, 1]);
    c.min_interval = Duration::from_secs(3);
    c.max_interval = Duration::from_secs(4);
    c.mtu = Some(1480);
    c.dns_servers = NdpDnsServers::Router;
    c.search_domains = vec![DomainName::from_dotted("lab.example").unwrap()];
    c.routes = vec![RouteInformation::new(
        "2001:db8:ff::".parse().unwrap(),
        48,
        RouterPreference::High,
        1800,
    )];
    c.pref64 = Some(Pref64::new(
        "64:ff9b::".parse().unwrap(),
        Pref64Length::L96,
        Duration::from_secs(600),
    ));
    c.captive_portal = Some(b"https://portal.example/api".to_vec());
    c.lan_index = 1;
    let mut router = NdpRouter::new(c, SeededRng::from_u64(7), clock.now()).unwrap();
    router.set_upstream(clock.now(), true).unwrap();
    let lan = router
        .set_delegated_prefix(
            clock.now(),
            "2001:db8:77::".parse().unwrap(),
            48,
            Duration::from_secs(86400),
            Duration::from_secs(14400),
        )
        .unwrap();
    assert_eq!(lan, "2001:db8:77:1::".parse::<Ipv6Addr>().unwrap());

    let configured = || {
        sh(&tb, &h, "ip -6 addr show dev h0").contains("2001:db8:77:1:")
            && sh(&tb, &h, "ip -6 route show default").contains("via fe80::1 dev h0")
            && sh(&tb, &h, "sysctl -n net.ipv6.conf.h0.mtu").trim() == "1480"
    };
    let ok = drive(
        &mut router,
        &raw,
        &clock,
        StdDuration::from_secs(20),
        configured,
    );
    assert!(
        ok,
        "host not configured:\n{}\n{}\nmtu {}",
        sh(&tb, &h, "ip -6 addr show dev h0"),
        sh(&tb, &h, "ip -6 route"),
        sh(&tb, &h, "sysctl -n net.ipv6.conf.h0.mtu")
    );
    assert!(
        sh(&tb, &h, "ip -6 route").contains("2001:db8:ff::/48 via fe80::1"),
        "RFC 4191 route: {}",
        sh(&tb, &h, "ip -6 route")
    );

    // tshark, an independent decoder, reads PREF64 and Captive-Portal.
    let pcap = cap.stop().unwrap();
    let fields = pcap
        .decode(&[
            "-Y",
            "icmpv6.type == 134",
            "-T",
            "fields",
            "-e",
            "icmpv6.opt.pref64.prefix",
            "-e",
            "icmpv6.opt.pref64.plc",
            "-e",
            "icmpv6.opt.pref64.scaled_lifetime",
            "-e",
            "icmpv6.opt.captive_portal",
            "-e",
            "icmpv6.opt.rdnss",
        ])
        .unwrap();
    let first = fields
        .lines()
        .find(|l| l.contains("64:ff9b::"))
        .unwrap_or_else(|| panic!("no PREF64 decoded:\n{fields}"));
    let cols: Vec<&str> = first.split('\t').collect();
    assert_eq!(
        cols[..5],
        [
            "64:ff9b::",
            "0x0000",
            "75",
            "https://portal.example/api",
            "fe80::1"
        ],
        "{first}"
    );

    // rdisc6 solicits; our router answers the RS (hop limit 255 checked).
    let rs_before = router.counters().solicitations;
    let mut rdisc = tb
        .spawn(&h, &["rdisc6", "-1", "-n", "-w", "4000", "-r", "2", "h0"])
        .unwrap();
    drive(
        &mut router,
        &raw,
        &clock,
        StdDuration::from_secs(10),
        || matches!(rdisc.try_wait(), Ok(Some(_))),
    );
    let (out, err) = rdisc.output();
    assert!(router.counters().solicitations > rs_before, "no RS seen");
    for want in [
        "Recursive DNS server     : fe80::1",
        "DNS search list          : lab.example",
        "Prefix                   : 2001:db8:77:1::/64",
        "MTU                      :         1480",
        "Route                    : 2001:db8:ff::/48",
    ] {
        assert!(out.contains(want), "rdisc6 lacks `{want}`:\n{out}\n{err}");
    }

    // Renumbering: a new delegation; the old address becomes deprecated.
    let old_addr = sh(
        &tb,
        &h,
        "ip -6 addr show dev h0 | grep -o '2001:db8:77:1:[0-9a-f:]*'",
    );
    router
        .set_delegated_prefix(
            clock.now(),
            "2001:db8:88::".parse().unwrap(),
            48,
            Duration::from_secs(86400),
            Duration::from_secs(14400),
        )
        .unwrap();
    let renumbered = || {
        let a = sh(&tb, &h, "ip -6 addr show dev h0");
        a.contains("2001:db8:88:1:")
            && a.lines()
                .any(|l| l.contains("2001:db8:77:1:") && l.contains("deprecated"))
    };
    let ok = drive(
        &mut router,
        &raw,
        &clock,
        StdDuration::from_secs(15),
        renumbered,
    );
    assert!(
        ok,
        "old {old_addr} not deprecated:\n{}",
        sh(&tb, &h, "ip -6 addr show dev h0")
    );
    assert!(sh(&tb, &h, "ip -6 addr show dev h0").contains("preferred_lft 0sec"));

    // Shutdown: Router Lifetime 0 removes the default route.
    router.shutdown(clock.now());
    drive(&mut router, &raw, &clock, StdDuration::from_secs(5), || {
        !sh(&tb, &h, "ip -6 route show default").contains("fe80::1")
    });
    assert!(!sh(&tb, &h, "ip -6 route show default").contains("fe80::1"));
}

#[test]
fn our_host_machine_learns_from_radvd() {
    let Some(mut tb) = Testbed::new("ndp_radvd") else {
        return;
    };
    require("radvd", "radvd");
    let r = tb.namespace("r").unwrap();
    let h = tb.namespace("h").unwrap();
    tb.veth((&r, "ra0"), (&h, "h0")).unwrap();
    tb.addr(&r, "ra0", "fe80::1/64").unwrap();
    tb.addr(&h, "h0", "fe80::2/64").unwrap();
    sh(&tb, &r, "sysctl -qw net.ipv6.conf.all.forwarding=1");
    sh(&tb, &h, "sysctl -qw net.ipv6.conf.h0.accept_ra=0");
    let conf = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/radvd.conf");
    let pid = tb.dir().join("radvd.pid");
    let _radvd = tb
        .spawn(
            &r,
            &[
                "radvd",
                "-n",
                "-C",
                conf,
                "-m",
                "stderr",
                "-u",
                "root",
                "-p",
                pid.to_str().unwrap(),
            ],
        )
        .unwrap();

    let raw = Raw::open(&h, "h0", HOST_LL, ALL_NODES);
    let clock = StdClock::new();
    let mut c = NdpHostConfig::new(HOST_LL, b"h0", NdpSecretKey([9; 32]));
    c.link_layer_address = Some([2, 0, 0, 0, 0, 2]);
    let mut host = NdpHost::new(c, SeededRng::from_u64(8), clock.now()).unwrap();
    let mut events = Vec::new();
    let start = std::time::Instant::now();
    while start.elapsed() < StdDuration::from_secs(15) && host.counters().advertisements == 0 {
        let now = clock.now();
        host.handle_timeout(now);
        while let Some(t) = host.poll_transmit(now) {
            raw.send(t.destination, &t.payload);
        }
        if let Some((b, src, dst, hop)) = raw.recv() {
            let _ = host.handle_input(clock.now(), src, dst, hop, &b);
        }
        events.extend(std::iter::from_fn(|| host.poll_event()));
    }
    assert!(
        host.counters().advertisements >= 1,
        "no RA from radvd: {:?}",
        host.counters()
    );
    assert!(events.iter().any(|e| matches!(e, NdpHostEvent::RouterAdded { lifetime, .. } if *lifetime == Duration::from_secs(12))), "{events:?}");
    assert!(events.contains(&NdpHostEvent::MtuChanged { mtu: 1492 }));
    assert!(events.contains(&NdpHostEvent::DnsServers(vec![
        "2001:db8:1:2::53".parse().unwrap(),
        "2001:db8:1:2::54".parse().unwrap()
    ])));
    assert!(events.contains(&NdpHostEvent::DnsSearchList(vec![
        DomainName::from_dotted("home.arpa").unwrap(),
        DomainName::from_dotted("example.com").unwrap()
    ])));
    let addrs: Vec<_> = host.addresses().collect();
    assert_eq!(
        addrs.len(),
        1,
        "only the autonomous prefix gives an address: {addrs:?}"
    );
    assert_eq!(addrs[0].address.segments()[..4], [0x2001, 0xdb8, 1, 2]);
    assert_eq!(
        host.routes().map(|r| (r.0, r.1)).collect::<Vec<_>>(),
        vec![("2001:db8:ff00::".parse().unwrap(), 40)],
        "radvd's RFC 4191 route"
    );
    let on_link: Vec<_> = host.on_link_prefixes().collect();
    assert_eq!(on_link.len(), 2);
    assert_eq!(host.counters().malformed, 0);
}
