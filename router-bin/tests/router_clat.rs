//! The `router` on an IPv6-only WAN (issue 16): the ISP refuses IPCP, so
//! IPv6CP alone carries the session; the router learns the ISP's NAT64
//! prefix and runs its CLAT, and an IPv4-only LAN host (DHCPv4) reaches an
//! IPv4-only server through CLAT → the ISP's NAT64.
//!
//! ```text
//!  srv: 203.0.113.130 ── [srv0] isp: our AC (IPCP Protocol-Rejected),
//!       sess0 bridged to the session, kea-dhcp6, radvd, our xlatd as the
//!       NAT64 (2001:db8:64::/96, pool4 203.0.113.1)
//!    ── [wan0] cpe: router (ppp0, clat0) [lan0] ── [eth0] lan: IPv4-only host
//! ```
//!
//! The NAT64 prefix comes from PREF64 in the ISP's RAs (ours: radvd 2.19
//! has no `nat64prefix`) in one case and by RFC 7050 from an unbound DNS64
//! on the ISP side in the other.
//! Needs root, kea-dhcp6, radvd, unbound, busybox (udhcpc) and dhclient.

mod common;
mod router_support;

use std::io::{Read, Write};
use std::net::{SocketAddr, SocketAddrV6, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::isp6::{Isp, sh, wait};
use router_support::{Router, dhclient, ip_out, isp_cpe_lan};
use testbed::{Netns, Process, Testbed};

const XLATD: &str = env!("CARGO_BIN_EXE_xlatd");
/// The IPv4-only server beyond the ISP's NAT64.
const SERVER: &str = "203.0.113.130";
/// The ISP's NAT64 prefix.
const PLAT: &str = "2001:db8:64::/96";

fn require(tool: &str, package: &str) -> bool {
    let found = std::process::Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        testbed::skip(
            "router_clat",
            &format!("`{tool}` missing (apt-get install {package})"),
        );
    }
    found
}

struct Lab {
    tb: Testbed,
    isp: Netns,
    cpe: Netns,
    lan: Netns,
    config: PathBuf,
    _isp_side: Isp,
    _xlatd: Process,
    _srv: Netns,
}

/// The lab with the ISP's NAT64 running; `extra` is appended to
/// router.toml after `[dhcp]`, `dns_extra` to its `[dns]`.
fn lab(label: &str, extra: &str, dns_extra: &str) -> Option<Lab> {
    if !require("kea-dhcp6", "kea-dhcp6-server")
        || !require("radvd", "radvd")
        || !require("busybox", "busybox")
    {
        return None;
    }
    let (mut tb, [isp, cpe, lan], config) = isp_cpe_lan(label)?;
    let srv = tb.namespace("srv").unwrap();
    tb.veth((&isp, "srv0"), (&srv, "eth0")).unwrap();
    sh(
        &tb,
        &isp,
        "sysctl -qw net.ipv4.ip_forward=1 && ip link set srv0 up && \
         ip addr add 203.0.113.129/25 dev srv0",
    );
    sh(
        &tb,
        &srv,
        "ip link set eth0 up && ip link set lo up && ip addr add 203.0.113.130/25 dev eth0 && \
         ip route add default via 203.0.113.129",
    );
    // The LAN host is IPv4-only.
    sh(&tb, &lan, "sysctl -qw net.ipv6.conf.all.disable_ipv6=1");
    std::fs::OpenOptions::new()
        .append(true)
        .open(&config)
        .unwrap()
        .write_all(
            format!(
                "{extra}[ipv6]\nlan_subnet = 1\nra_interval = 4\n[dns]\nenabled = true\n{dns_extra}"
            )
            .as_bytes(),
        )
        .unwrap();
    let isp_side = Isp::start_with(&tb, &isp, "2001:db8:100::", false, "");
    let state = tb.dir().join("xlatd-state");
    let xconf = tb.dir().join("xlatd.toml");
    std::fs::write(
        &xconf,
        format!(
            "state_dir = \"{}\"\nmode = \"nat64\"\ntun = \"nat64\"\npool6 = \"{PLAT}\"\n\
             [nat64]\npool4 = [{{ address = \"203.0.113.1\", ports = [61000, 65535] }}]\n",
            state.display()
        ),
    )
    .unwrap();
    let xlatd = tb
        .spawn(&isp, &[XLATD, "--config", xconf.to_str().unwrap()])
        .unwrap();
    wait(Duration::from_secs(10), "xlatd's routes", || {
        ip_out(&isp, &["-6", "route"]).contains("2001:db8:64::/96 dev nat64")
    });
    Some(Lab {
        tb,
        isp,
        cpe,
        lan,
        config,
        _isp_side: isp_side,
        _xlatd: xlatd,
        _srv: srv,
    })
}

/// Router advertisements with PREF64 (RFC 8781) for `PLAT`, from the
/// ISP's fe80::1 on `sess0` every 2 s until `stop` (radvd 2.19 has no
/// `nat64prefix`); our ndp-proto builds them, the kernel sends them.
fn pref64_sender(ns: &Netns, stop: Arc<AtomicBool>) {
    use ndp_proto::wire::{NdpMessage, NdpOption, Pref64, Pref64Length, RouterAdvertisement};
    use socket2::{Domain, Protocol, Socket, Type};
    let (sock, index) = ns
        .enter(|| {
            let s = Socket::new(Domain::IPV6, Type::RAW, Some(Protocol::ICMPV6)).unwrap();
            let index = index_of("sess0");
            s.set_multicast_if_v6(index).unwrap();
            s.set_multicast_hops_v6(255).unwrap();
            s.set_unicast_hops_v6(255).unwrap();
            s.bind(&SocketAddrV6::new("fe80::1".parse().unwrap(), 0, 0, index).into())
                .unwrap();
            (s, index)
        })
        .unwrap();
    let ra = NdpMessage::RouterAdvertisement(RouterAdvertisement {
        cur_hop_limit: 64,
        flags: 0,
        router_lifetime: 1800,
        reachable_time: 0,
        retrans_timer: 0,
        options: vec![NdpOption::Pref64(Pref64::new(
            "2001:db8:64::".parse().unwrap(),
            Pref64Length::L96,
            Duration::from_secs(600),
        ))],
    });
    let all_nodes = SocketAddrV6::new("ff02::1".parse().unwrap(), 0, 0, index);
    // The kernel fills in the ICMPv6 checksum of a raw ICMPv6 socket.
    let mut bytes = ra.to_vec("fe80::1".parse().unwrap(), "ff02::1".parse().unwrap());
    bytes[2..4].copy_from_slice(&[0, 0]);
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            let _ = sock.send_to(&bytes, &all_nodes.into());
            std::thread::sleep(Duration::from_secs(2));
        }
    });
}

/// The index of `ifname` in the current namespace.
fn index_of(ifname: &str) -> u32 {
    nix::net::if_::if_nametoindex(ifname).unwrap()
}

/// What the TCP server sends after its greeting.
const DOWNLOAD: usize = 1 << 20;

/// A TCP server in `srv` answering "hello" and a download once; its
/// address.
fn tcp_hello(ns: &Netns) -> SocketAddr {
    let l = ns
        .enter(|| TcpListener::bind("203.0.113.130:8080"))
        .unwrap()
        .unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        if let Ok((mut s, _)) = l.accept() {
            // Then 1 MiB: full-size segments downstream (1472-byte IPv4 at
            // the clamped MSS, 1492-byte IPv6 on the session).
            let _ = s.write_all(b"hello over 464XLAT");
            let _ = s.write_all(&vec![b'x'; DOWNLOAD]);
        }
    });
    addr
}

/// The IPv4-only host's DHCPv4 lease, then ping and TCP to the server.
fn lan_reaches_the_server(lab: &Lab, router: &Router) {
    let events = dhclient(&lab.tb, &lab.lan, "eth0");
    assert!(events.contains("BOUND ip=198.51.100."), "{events}");
    assert!(events.contains("dns=198.51.100.1"), "{events}");
    let out = sh(
        &lab.tb,
        &lab.lan,
        &format!("ping -c 3 -W 2 -i 0.3 {SERVER} || true"),
    );
    assert!(
        out.contains(&format!("bytes from {SERVER}")),
        "{out}\n{}\n{}",
        router.status().unwrap_or_default(),
        router.log()
    );
    let srv = lab._srv.clone();
    let addr = tcp_hello(&srv);
    let got = lab
        .lan
        .enter(move || {
            let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(3))?;
            s.set_read_timeout(Some(Duration::from_secs(10)))?;
            let mut text = String::new();
            s.read_to_string(&mut text)?;
            Ok::<_, std::io::Error>(text)
        })
        .unwrap()
        .unwrap_or_else(|e| {
            panic!(
                "download through the CLAT: {e}\n{}",
                sh(
                    &lab.tb,
                    &lab.cpe,
                    "grep -E 'Icmp6OutPktTooBigs' /proc/net/snmp6"
                )
            )
        });
    assert!(
        got.starts_with("hello over 464XLAT"),
        "{}",
        &got[..got.len().min(64)]
    );
    assert_eq!(got.len(), "hello over 464XLAT".len() + DOWNLOAD);
    // A full-size IPv6 packet from the session fits the CLAT's TUN: the
    // router never answers one with Packet Too Big (which the NAT64 would
    // turn into Fragmentation Needed, lost wherever ICMP is filtered).
    let snmp6 = sh(
        &lab.tb,
        &lab.cpe,
        "grep -E '^Icmp6OutPktTooBigs' /proc/net/snmp6",
    );
    assert!(
        snmp6.split_whitespace().nth(1) == Some("0"),
        "the router sent Packet Too Big: {snmp6}"
    );
}

/// PREF64 from the ISP's RA: IPCP refused, the router says so, learns the
/// prefix from radvd's PREF64, advertises it on the LAN, runs its CLAT; an
/// IPv4-only host reaches the IPv4-only server (ping, TCP); the NAT44
/// masquerade never applies (IPv4 leaves by clat0, not ppp0); option 108
/// is given to a client that asks (udhcpc -O 108).
#[test]
fn ipv4_only_host_reaches_ipv4_server_through_clat_with_pref64() {
    let Some(lab) = lab("c6-clat-pref64", "ipv6_only_preferred = 1800\n", "") else {
        return;
    };
    let stop = Arc::new(AtomicBool::new(false));
    pref64_sender(&lab.isp, Arc::clone(&stop));
    let mut router = Router::start(&lab.tb, &lab.cpe, &lab.config);
    let status = router.wait_status(Duration::from_secs(60), |s| s.contains("clat: on clat0"));
    eprintln!("{status}");
    assert!(
        status.contains("ipv4: none, IPv6-only WAN (the ISP refused IPCP (Protocol-Reject))"),
        "{status}"
    );
    assert!(status.contains("wan: up"), "{status}");
    assert!(
        status.contains(&format!("nat64 prefix: {PLAT}\n")),
        "{status}"
    );
    assert!(
        status.contains(&format!("nat64 source: PREF64 in the ISP's RA ({PLAT})")),
        "{status}"
    );
    // The CLAT /96 is the first of the delegation's last /64.
    assert!(
        status.contains("198.51.100.0/24 as 2001:db8:100:ff::/96"),
        "{status}"
    );
    let routes = ip_out(&lab.cpe, &["route", "show", "default"]);
    assert!(routes.contains("default dev clat0"), "{routes}");
    lan_reaches_the_server(&lab, &router);
    let status = router.status().unwrap();
    let clat = status
        .lines()
        .find(|l| l.starts_with("clat counters: "))
        .unwrap();
    assert!(!clat.contains("4to6 0 "), "{clat}");
    assert!(!clat.contains("6to4 0 "), "{clat}");
    // No masquerade: nothing left by ppp0 as IPv4.
    let nft = sh(&lab.tb, &lab.cpe, "nft list table inet router");
    assert!(nft.contains("masquerade"), "{nft}");
    // The ISP's NAT64 saw the CLAT's address of the LAN host.
    let x = lab
        .tb
        .exec(
            &lab.isp,
            &[
                XLATD,
                "status",
                "--config",
                lab.tb.dir().join("xlatd.toml").to_str().unwrap(),
            ],
            Duration::from_secs(5),
        )
        .unwrap();
    assert!(x.contains("[2001:db8:100:ff::c633:64"), "{x}");

    // RFC 8925: udhcpc asking for option 108 gets V6ONLY_WAIT 1800.
    let script = lab.tb.dir().join("udhcpc.sh");
    let env = lab.tb.dir().join("udhcpc.env");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$1 opt108=$opt108 ip=$ip\" >> {}\nexit 0\n",
            env.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let s = script.to_str().unwrap().to_owned();
    lab.tb
        .exec(
            &lab.lan,
            &[
                "busybox", "udhcpc", "-f", "-q", "-n", "-i", "eth0", "-O", "108", "-s", &s,
            ],
            Duration::from_secs(30),
        )
        .unwrap();
    let seen = std::fs::read_to_string(&env).unwrap();
    assert!(seen.contains("bound opt108=00000708"), "{seen}");
    router.stop_cleanly(Duration::from_secs(10));
    stop.store(true, Ordering::Relaxed);
}

/// Two unbounds in `isp`: one holding `ipv4only.arpa` (A 192.0.0.170 and
/// .171, as the real zone) on 127.0.0.1@5301, and a DNS64 (`PLAT`) in front
/// of it on 2001:db8::53, the DNS server kea hands out.
fn unbound_dns64(tb: &Testbed, ns: &Netns) -> [Process; 2] {
    sh(
        tb,
        ns,
        "ip link set lo up && ip addr add 2001:db8::53/128 dev lo nodad",
    );
    let dir = tb.dir();
    let common = |listen: &str, extra: &str| {
        format!(
            r#"server:
    interface: {listen}
    access-control: 0.0.0.0/0 allow
    access-control: ::/0 allow
    username: ""
    chroot: ""
    directory: "{0}"
    pidfile: ""
    use-syslog: no
    logfile: ""
    do-daemonize: no
    num-threads: 1
    do-not-query-localhost: no
{extra}
remote-control:
    control-enable: no
"#,
            dir.display()
        )
    };
    let data = common(
        "127.0.0.1@5301",
        r#"    module-config: "iterator"
    local-zone: "ipv4only.arpa." static
    local-data: "ipv4only.arpa. 3600 IN SOA ns.ipv4only.arpa. host.ipv4only.arpa. 1 3600 600 86400 300"
    local-data: "ipv4only.arpa. 3600 IN A 192.0.0.170"
    local-data: "ipv4only.arpa. 3600 IN A 192.0.0.171""#,
    );
    let dns64 = common(
        "2001:db8::53@53",
        &format!(
            r#"    module-config: "dns64 iterator"
    dns64-prefix: {PLAT}
forward-zone:
    name: "."
    forward-addr: 127.0.0.1@5301"#
        ),
    );
    let mut out = Vec::new();
    for (name, text, addr) in [
        ("unbound-data.conf", data, "127.0.0.1:5301"),
        ("unbound-dns64.conf", dns64, "[2001:db8::53]:53"),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        out.push(
            tb.spawn(ns, &["unbound", "-d", "-c", path.to_str().unwrap()])
                .unwrap(),
        );
        tb.wait_listening(ns, addr, Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("unbound on {addr}: {e}"));
    }
    let [a, b] = <[Process; 2]>::try_from(out).ok().unwrap();
    [a, b]
}

/// No PREF64: the router finds the NAT64 prefix by RFC 7050, asking the
/// DNS server DHCPv6 gave (the WAN has no IPv4, so no IPCP DNS) for
/// `ipv4only.arpa` AAAA, answered by unbound's DNS64; the CLAT then runs
/// and the IPv4-only host reaches the IPv4-only server. The LAN's DNS
/// forwarder answers on its link-local address and, with `dns64_prefix =
/// "auto"`, does DNS64 under the learned prefix.
#[test]
fn ipv4_only_host_reaches_ipv4_server_through_clat_with_rfc7050() {
    if !require("unbound", "unbound") {
        return;
    }
    let Some(lab) = lab("c6-clat-rfc7050", "", "dns64_prefix = \"auto\"\n") else {
        return;
    };
    let _unbound = unbound_dns64(&lab.tb, &lab.isp);
    let mut router = Router::start(&lab.tb, &lab.cpe, &lab.config);
    let status = router.wait_status(Duration::from_secs(60), |s| s.contains("clat: on clat0"));
    eprintln!("{status}");
    assert!(
        status.contains(&format!("nat64 source: RFC 7050 (ipv4only.arpa) ({PLAT})")),
        "{status}"
    );
    assert!(
        status.contains(&format!("nat64 prefix: {PLAT}\n")),
        "{status}"
    );
    assert!(status.contains("ipv4: none, IPv6-only WAN"), "{status}");
    // The forwarder answers on the LAN's link-local address (the RDNSS of
    // its RAs), forwarding to the DNS server DHCPv6 gave, with DNS64 under
    // the learned prefix (dns64_prefix = "auto").
    let status = router.wait_status(Duration::from_secs(10), |s| {
        s.lines().any(|l| {
            l.starts_with("dns: on ")
                && l.contains("[::]%lan0")
                && l.contains("upstreams [[2001:db8::53]:53]")
                && l.ends_with(&format!("dns64 {PLAT}"))
        })
    });
    let addrs = ip_out(
        &lab.cpe,
        &["-6", "-o", "addr", "show", "dev", "lan0", "scope", "link"],
    );
    let ll = addrs
        .split_whitespace()
        .skip_while(|w| *w != "inet6")
        .nth(1)
        .and_then(|a| a.split('/').next())
        .unwrap()
        .to_owned();
    let out = sh(
        &lab.tb,
        &lab.cpe,
        &format!("dig +time=3 +tries=2 +short @{ll}%lan0 ipv4only.arpa AAAA"),
    );
    assert!(out.contains("2001:db8:64::c000:aa"), "{out}\n{status}");
    lan_reaches_the_server(&lab, &router);
    router.stop_cleanly(Duration::from_secs(10));
}
