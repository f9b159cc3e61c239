//! `xlatd` against tayga, a real translator, in a real 464XLAT: an
//! IPv4-only client reaches an IPv4-only server across an IPv6-only link
//! whose MTU (1400) is below the IPv4 side's (1500).
//!
//! ```text
//! client ── [clat] ══ IPv6 only, MTU 1400 ══ [plat] ── server
//! 192.0.2.2      2001:db8:1::1  2001:db8:1::2      198.51.100.2
//! ```
//!
//! (a) our SIIT as the CLAT (one EAM for the LAN), with and without the
//! TUN's offloads (GSO segments, partial checksums), in front of tayga as
//! the PLAT (NAT64, dynamic pool); (b) tayga as the CLAT (a static map) in
//! front of our NAT64 (offloads on). Each runs ping, a traceroute (ping with
//! a growing TTL), UDP echo, a 1400-byte
//! DF-less datagram (IPv6 fragments on the way: made by our CLAT in (a),
//! by tayga and translated one by one by our NAT64 in (b)), 2 MB each way
//! over TCP,
//! and checks the path-MTU case the translator under test owns: in (a)
//! the kernel's ICMPv6 Packet Too Big to the client's IPv6 form must come
//! out of our CLAT as ICMP Fragmentation Needed (the client's route cache
//! then says MTU 1380), in (b) the one to the server's IPv6 form out of
//! our NAT64 likewise (the server's). The upload/download would stall
//! without it (DF is set, the 1500-byte packets do not fit).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use testbed::{Netns, Process, Testbed};

const PEER: &str = include_str!("xlatd_support/peer.py");
const XLATD: &str = env!("CARGO_BIN_EXE_xlatd");

/// The four namespaces, linked and addressed; the translators not started.
struct Lab {
    tb: Testbed,
    client: Netns,
    clat: Netns,
    plat: Netns,
    server: Netns,
}

fn tayga_installed() -> bool {
    std::process::Command::new("tayga")
        .arg("--help")
        .output()
        .is_ok()
}

fn lab(label: &str) -> Option<Lab> {
    if !tayga_installed() {
        testbed::skip(label, "tayga is not installed (.ci/install-packages)");
        return None;
    }
    let mut tb = Testbed::new(label)?;
    let client = tb.namespace("client").unwrap();
    let clat = tb.namespace("clat").unwrap();
    let plat = tb.namespace("plat").unwrap();
    let server = tb.namespace("server").unwrap();
    tb.veth((&client, "eth0"), (&clat, "lan")).unwrap();
    tb.veth((&clat, "wan"), (&plat, "wan")).unwrap();
    tb.veth((&plat, "srv"), (&server, "eth0")).unwrap();
    tb.addr(&client, "eth0", "192.0.2.2/24").unwrap();
    tb.ip(&client, &["route", "add", "default", "via", "192.0.2.1"])
        .unwrap();
    tb.addr(&clat, "lan", "192.0.2.1/24").unwrap();
    for (ns, a) in [(&clat, "2001:db8:1::1/64"), (&plat, "2001:db8:1::2/64")] {
        tb.addr(ns, "wan", a).unwrap();
        tb.ip(ns, &["link", "set", "wan", "mtu", "1400"]).unwrap();
    }
    tb.ip(
        &clat,
        &["route", "add", "2001:db8:64::/96", "via", "2001:db8:1::2"],
    )
    .unwrap();
    tb.ip(
        &plat,
        &[
            "route",
            "add",
            "2001:db8:c1a7::/120",
            "via",
            "2001:db8:1::1",
        ],
    )
    .unwrap();
    tb.addr(&plat, "srv", "198.51.100.1/24").unwrap();
    tb.addr(&server, "eth0", "198.51.100.2/24").unwrap();
    tb.ip(&server, &["route", "add", "default", "via", "198.51.100.1"])
        .unwrap();
    std::fs::write(tb.dir().join("peer.py"), PEER).unwrap();
    Some(Lab {
        tb,
        client,
        clat,
        plat,
        server,
    })
}

impl Lab {
    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.tb.dir().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn sysctl_forwarding(&self, ns: &Netns) {
        self.tb
            .sysctl(
                ns,
                &["net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"],
            )
            .unwrap();
    }

    /// tayga in `ns` on TUN `dev`, its routes added.
    fn tayga(&self, ns: &Netns, dev: &str, conf: &str, routes: &[&str]) -> Process {
        let data = self.tb.dir().join(format!("tayga-{dev}"));
        std::fs::create_dir_all(&data).unwrap();
        let conf = format!("tun-device {dev}\n{conf}data-dir {}\n", data.display());
        let path = self.write(&format!("tayga-{dev}.conf"), &conf);
        let path = path.to_str().unwrap();
        let t = Duration::from_secs(10);
        self.tb
            .exec(ns, &["tayga", "--mktun", "-c", path], t)
            .unwrap();
        self.tb.link_up(ns, dev).unwrap();
        for r in routes {
            self.tb.ip(ns, &["route", "add", r, "dev", dev]).unwrap();
        }
        self.sysctl_forwarding(ns);
        self.tb
            .spawn(ns, &["tayga", "--nodetach", "-c", path])
            .unwrap()
    }

    /// Our xlatd in `ns` with `toml`; returns once `xlatd status` answers
    /// (its routes are in place by then).
    fn xlatd(&self, ns: &Netns, toml: &str) -> (Process, PathBuf) {
        let state = self.tb.dir().join("xlatd-state");
        let text = format!("state_dir = \"{}\"\n{toml}", state.display());
        let path = self.write("xlatd.toml", &text);
        let mut p = self
            .tb
            .spawn(ns, &[XLATD, "--config", path.to_str().unwrap()])
            .unwrap();
        let end = Instant::now() + Duration::from_secs(10);
        while self.status(ns, &path).is_err() {
            if let Some(s) = p.try_wait().unwrap() {
                panic!("xlatd exited with {s}: {:?}", p.output());
            }
            assert!(Instant::now() < end, "xlatd never answered status");
            std::thread::sleep(Duration::from_millis(50));
        }
        (p, path)
    }

    fn status(&self, ns: &Netns, config: &Path) -> std::io::Result<String> {
        self.tb.exec(
            ns,
            &[XLATD, "status", "--config", config.to_str().unwrap()],
            Duration::from_secs(5),
        )
    }

    /// ping, UDP echo, a DF-less datagram to be fragmented, and 2 MB each
    /// way over TCP, client → server.
    fn traffic(&self, clat_is_ours: bool) {
        let t = Duration::from_secs(60);
        let peer = self.tb.dir().join("peer.py");
        let peer = peer.to_str().unwrap();
        let _server = self
            .tb
            .spawn(
                &self.server,
                &["/usr/bin/python3", peer, "serve", "198.51.100.2", "7000"],
            )
            .unwrap();
        self.tb
            .wait_listening(&self.server, "198.51.100.2:7000", Duration::from_secs(10))
            .unwrap();
        let ping = self
            .tb
            .exec(
                &self.client,
                &["ping", "-c", "3", "-i", "0.2", "-W", "2", "198.51.100.2"],
                t,
            )
            .unwrap();
        assert!(ping.contains("3 received"), "{ping}");
        // traceroute by hand (ping with a growing TTL; no traceroute
        // package needed): every hop before the server answers Time
        // Exceeded, the translators' hops included (an expired IPv6 hop
        // limit comes back as ICMPv6 Time Exceeded, translated to ICMPv4).
        let hops = self.traceroute("198.51.100.2");
        eprintln!("traceroute 198.51.100.2: {hops:?}");
        assert!(
            hops.last().is_some_and(|h| h == "198.51.100.2"),
            "traceroute: {hops:?}"
        );
        match clat_is_ours {
            // Every hop answers: our CLAT's own Time Exceeded and the IPv6
            // routers' ICMPv6 ones, translated, come from 192.0.0.8 (RFC
            // 7600's dummy address; the IPv6 routers' addresses have no
            // IPv4 form), then tayga and the IPv4 router.
            true => {
                assert!(!hops.iter().any(|h| h == "*"), "traceroute: {hops:?}");
                let dummy = hops.iter().filter(|h| *h == "192.0.0.8").count();
                assert!(dummy >= 3, "traceroute: {hops:?}");
            }
            // tayga drops ICMPv6 errors from sources outside its prefix
            // (it has no RFC 6791 pool), so the IPv6 hops are silent; the
            // IPv4 router's Time Exceeded must come back through our NAT64
            // (the error's quoted packet mapped back to the client).
            false => assert!(
                hops.iter().any(|h| h == "198.51.100.1"),
                "traceroute: {hops:?}"
            ),
        }
        let udp = self
            .tb
            .exec(
                &self.client,
                &["/usr/bin/python3", peer, "udp", "198.51.100.2", "7000", "5"],
                t,
            )
            .unwrap();
        assert!(udp.contains("udp ok"), "{udp}");
        // 1400 bytes without DF: the CLAT's IPv6 form is 1420, over
        // lowest-ipv6-mtu (1280), so it is sent as IPv6 fragments (RFC
        // 7915 §4) and must arrive whole.
        let argv = [
            "/usr/bin/python3",
            peer,
            "bigudp",
            "198.51.100.2",
            "7000",
            "1400",
        ];
        let out = self.tb.exec(&self.client, &argv, t).unwrap();
        assert!(out.contains("bigudp ok"), "{out}");
        let tcp = self
            .tb
            .exec(
                &self.client,
                &[
                    "/usr/bin/python3",
                    peer,
                    "tcp",
                    "198.51.100.2",
                    "7000",
                    "2000000",
                    "2000000",
                ],
                t,
            )
            .unwrap();
        assert!(tcp.contains("tcp ok"), "{tcp}");
    }

    /// The hops from the client to `dst`: ping with TTL 1, 2, … until
    /// `dst` answers; each hop's source address (Time Exceeded from a
    /// router or translator, then `dst` itself). Panics if a hop is silent
    /// or `dst` is not reached within 10 hops.
    fn traceroute(&self, dst: &str) -> Vec<String> {
        let mut hops = Vec::new();
        for ttl in 1..=10 {
            // ping exits 1 on Time Exceeded: its output is what counts.
            let cmd = format!("ping -n -c 1 -W 2 -t {ttl} {dst}; true");
            let out = self
                .tb
                .exec(&self.client, &["sh", "-c", &cmd], Duration::from_secs(10))
                .unwrap();
            if out.contains(" bytes from ") && out.contains("icmp_seq=1 ttl=") {
                hops.push(dst.to_string());
                return hops;
            }
            let from = out
                .lines()
                .find(|l| l.contains("Time to live exceeded"))
                .and_then(|l| l.split_whitespace().nth(1))
                .unwrap_or("*");
            hops.push(from.trim_end_matches(':').to_string());
        }
        panic!("{dst} not reached in 10 hops: {hops:?}");
    }

    /// The path MTU `ns` has learnt towards `dst`.
    fn learnt_mtu(&self, ns: &Netns, dst: &str) -> String {
        self.tb
            .exec(ns, &["ip", "route", "get", dst], Duration::from_secs(5))
            .unwrap()
    }
}

/// (a) our SIIT as the CLAT, tayga as the PLAT, one packet per read.
#[test]
fn our_clat_in_front_of_tayga_plat() {
    clat_in_front_of_tayga("xlatd-clat", false);
}

/// (a) with the TUN's offloads (GSO segments, partial checksums).
#[test]
fn our_clat_with_offloads_in_front_of_tayga_plat() {
    clat_in_front_of_tayga("xlatd-clat-gso", true);
}

fn clat_in_front_of_tayga(label: &str, offload: bool) {
    let Some(lab) = lab(label) else {
        return;
    };
    let _tayga = lab.tayga(
        &lab.plat,
        "nat64",
        "ipv4-addr 203.0.113.1\nprefix 2001:db8:64::/96\ndynamic-pool 203.0.113.0/24\n",
        &["203.0.113.0/24", "2001:db8:64::/96"],
    );
    let toml = format!(
        r#"mode = "siit"
tun = "clat0"
offload = {offload}
pool6 = "2001:db8:64::/96"
icmp_error_source_v4 = "192.0.0.8"
routes4 = ["198.51.100.0/24"]
routes6 = ["2001:db8:c1a7::/120"]
[[eamt]]
ipv4 = "192.0.2.0/24"
ipv6 = "2001:db8:c1a7::/120"
"#
    );
    let (_xlatd, config) = lab.xlatd(&lab.clat, &toml);
    lab.traffic(true);
    let mtu = lab.learnt_mtu(&lab.client, "198.51.100.2");
    assert!(
        mtu.contains("mtu 1380"),
        "our CLAT's Fragmentation Needed: {mtu}"
    );
    let status = lab.status(&lab.clat, &config).unwrap();
    assert!(
        status.contains("eam 192.0.2.0/24 2001:db8:c1a7::/120"),
        "{status}"
    );
    assert!(!status.contains("translated_4to6: 0,"), "{status}");
    assert!(!status.contains("fragmented_4to6: 0,"), "{status}");
}

/// (b) tayga as the CLAT, our NAT64 as the PLAT.
#[test]
fn tayga_clat_in_front_of_our_nat64() {
    let Some(lab) = lab("xlatd-nat64") else {
        return;
    };
    let _tayga = lab.tayga(
        &lab.clat,
        "clat",
        "ipv4-addr 192.0.0.2\nprefix 2001:db8:64::/96\nmap 192.0.2.2 2001:db8:c1a7::2\n",
        &["198.51.100.0/24", "2001:db8:c1a7::2/128"],
    );
    let (_xlatd, config) = lab.xlatd(
        &lab.plat,
        r#"mode = "nat64"
tun = "nat64"
pool6 = "2001:db8:64::/96"
icmp_error_source_v6 = "2001:db8:1::2"
[nat64]
pool4 = [{ address = "203.0.113.1", ports = [61000, 65535] }]
"#,
    );
    // The big DF-less datagram reaches our NAT64 as IPv6 fragments (from
    // tayga): the first through the tables, the rest after it.
    lab.traffic(false);
    let mtu = lab.learnt_mtu(&lab.server, "203.0.113.1");
    assert!(
        mtu.contains("mtu 1380"),
        "our NAT64's Fragmentation Needed: {mtu}"
    );
    let status = lab.status(&lab.plat, &config).unwrap();
    // One binding per protocol, the client's IPv6 form behind pool4.
    for p in ["Tcp", "Udp", "Icmp"] {
        let line = format!("  {p} [2001:db8:c1a7::2]:");
        assert!(status.contains(&line), "{p}: {status}");
    }
    assert!(
        status.contains("V4FinV6FinRcv"),
        "TCP closed both ways: {status}"
    );
}
