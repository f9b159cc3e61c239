//! The lab's network: namespaces, links and addresses, the internet
//! host's servers, the IPv6-only ISP's PLAT and DNS64.

use std::fs;
use std::io;
use std::time::Duration;

use super::*;
use crate::host::{exec_ok, ip, wait_for};

impl Lab {
    /// Namespaces, veth pairs, addresses, forwarding. The router's LAN is
    /// a bridge (`lan0`), so the IPv6-only lab can put a second host on it.
    pub(super) fn links(&self, ipv6_only: bool) -> io::Result<()> {
        let mut namespaces = vec![INTERNET, ISP, CPE, LAN];
        if ipv6_only {
            namespaces.push(LAN4);
        }
        for ns in &namespaces {
            ip(&["netns", "add", ns])?;
            ip(&["-n", ns, "link", "set", "lo", "up"])?;
        }
        ip(&[
            "-n",
            CPE,
            "link",
            "add",
            "lan0",
            "type",
            "bridge",
            "mcast_snooping",
            "0",
        ])?;
        ip(&["-n", CPE, "link", "set", "lan0", "up"])?;
        let mut pairs = vec![
            (INTERNET, "eth0", ISP, "up0"),
            (ISP, "acc0", CPE, "wan0"),
            (CPE, "lan0p0", LAN, "eth0"),
        ];
        if ipv6_only {
            // No IPv6 at all on the legacy host: only the CLAT gets it out.
            exec_ok(
                LAN4,
                &[
                    "sysctl",
                    "-q",
                    "-w",
                    "net.ipv6.conf.all.disable_ipv6=1",
                    "net.ipv6.conf.default.disable_ipv6=1",
                ],
                Duration::from_secs(5),
            )?;
            pairs.push((CPE, "lan0p1", LAN4, "eth0"));
        }
        for (a, an, b, bn) in pairs {
            ip(&[
                "link", "add", "name", an, "netns", a, "type", "veth", "peer", "name", bn, "netns",
                b,
            ])?;
            if an.starts_with("lan0p") {
                ip(&["-n", a, "link", "set", an, "master", "lan0"])?;
            }
            ip(&["-n", a, "link", "set", an, "up"])?;
            ip(&["-n", b, "link", "set", bn, "up"])?;
        }
        let addrs = [
            (INTERNET, format!("{INTERNET_HOST}/24"), "eth0"),
            (INTERNET, format!("{INTERNET_HOST6}/64"), "eth0"),
            (ISP, format!("{ISP_UPLINK}/24"), "up0"),
            (ISP, format!("{ISP_UPLINK6}/64"), "up0"),
        ];
        for (ns, a, dev) in &addrs {
            ip(&["-n", ns, "addr", "add", a, "dev", dev, "nodad"])?;
        }
        // The internet reaches the subscribers' IPv4 (dual-stack) or the
        // PLAT's pool4 (IPv6-only), and the delegated prefixes.
        let v4 = if ipv6_only { POOL4 } else { "192.0.2.0/24" };
        ip(&["-n", INTERNET, "route", "add", v4, "via", ISP_UPLINK])?;
        for net in [
            "2001:db8:100::/40",
            "2001:db8:200::/40",
            "2001:db8:300::/40",
        ] {
            ip(&[
                "-n",
                INTERNET,
                "-6",
                "route",
                "add",
                net,
                "via",
                ISP_UPLINK6,
            ])?;
        }
        exec_ok(
            ISP,
            &[
                "sysctl",
                "-q",
                "-w",
                "net.ipv4.ip_forward=1",
                "net.ipv6.conf.all.forwarding=1",
            ],
            Duration::from_secs(5),
        )?;
        // The ISP drops ICMP fragmentation-needed, as many networks do: the
        // 10 MiB transfer then works only because the router clamps the
        // TCP MSS to the 1492-byte PPPoE path (no PMTUD to fall back on).
        exec_ok(
            ISP,
            &[
                "nft",
                "add table ip netlab; add chain ip netlab forward { type filter hook forward priority 0; }; \
               add rule ip netlab forward icmp type destination-unreachable icmp code frag-needed drop",
            ],
            Duration::from_secs(5),
        )?;
        Ok(())
    }

    /// The internet host: web servers (IPv4 with a 10 MiB file, IPv6; in
    /// the IPv6-only lab also the IPv4-only one and the zone's unbound),
    /// an iperf3 server.
    pub(super) fn internet(&self, ipv6_only: bool) -> io::Result<()> {
        let www = self.path("www");
        fs::write(www.join("index.html"), "<h1>netlab internet host</h1>\n")?;
        // Not compressible, so no layer can shortcut the transfer.
        let mut big = vec![0u8; BIG_FILE_BYTES as usize];
        pseudo_random(&mut big);
        fs::write(www.join("10M.bin"), big)?;
        let www = www.display().to_string();
        for (name, at) in [("http", INTERNET_HOST), ("http6", INTERNET_HOST6)] {
            self.spawn(
                name,
                INTERNET,
                &[
                    "python3",
                    "-m",
                    "http.server",
                    "80",
                    "--bind",
                    at,
                    "--directory",
                    &www,
                ],
            )?;
        }
        self.spawn("iperf3", INTERNET, &["iperf3", "-s", "-B", INTERNET_HOST])?;
        if ipv6_only {
            ip(&[
                "-n",
                INTERNET,
                "addr",
                "add",
                &format!("{V4ONLY_HOST}/24"),
                "dev",
                "eth0",
            ])?;
            fs::write(
                self.path("www4/index.html"),
                "<h1>netlab IPv4-only host</h1>\n",
            )?;
            self.spawn(
                "http4only",
                INTERNET,
                &[
                    "python3",
                    "-m",
                    "http.server",
                    "80",
                    "--bind",
                    V4ONLY_HOST,
                    "--directory",
                    &self.s("www4"),
                ],
            )?;
            fs::write(
                self.path("unbound.conf"),
                crate::configs::unbound(&self.s("")),
            )?;
            self.spawn(
                "unbound",
                INTERNET,
                &["unbound", "-d", "-c", &self.s("unbound.conf")],
            )?;
            let log = self.path("logs/unbound.log");
            wait_for(Duration::from_secs(10), || {
                fs::read_to_string(&log)
                    .ok()?
                    .contains("start of service")
                    .then_some(())
            })
            .ok_or_else(|| {
                io::Error::other(format!("unbound did not start: see {}", log.display()))
            })?;
        }
        Ok(())
    }

    /// The IPv6-only ISP's edge: xlatd as the NAT64 PLAT, dns64d as the
    /// resolver (on the ISP's loopback, reached through the bng).
    pub(super) fn plat(&self) -> io::Result<()> {
        let (xlatd, dns64d) = (Self::binary("xlatd")?, Self::binary("dns64d")?);
        ip(&[
            "-n",
            ISP,
            "addr",
            "add",
            &format!("{DNS64}/128"),
            "dev",
            "lo",
            "nodad",
        ])?;
        fs::write(
            self.path("xlatd.toml"),
            crate::configs::xlatd(&self.s("xlatd")),
        )?;
        self.spawn(
            "xlatd",
            ISP,
            &[
                xlatd.to_str().unwrap_or("xlatd"),
                "--config",
                &self.s("xlatd.toml"),
            ],
        )?;
        let log = self.path("logs/xlatd.log");
        wait_for(Duration::from_secs(10), || {
            exec_ok(
                ISP,
                &["ip", "link", "show", "nat64"],
                Duration::from_secs(5),
            )
            .ok()
        })
        .ok_or_else(|| io::Error::other(format!("xlatd did not start: see {}", log.display())))?;
        fs::write(
            self.path("dns64d.toml"),
            crate::configs::dns64d(&self.s("dns64d.sock")),
        )?;
        let sock = self.path("dns64d.sock");
        let _ = fs::remove_file(&sock);
        self.spawn(
            "dns64d",
            ISP,
            &[
                dns64d.to_str().unwrap_or("dns64d"),
                "--config",
                &self.s("dns64d.toml"),
            ],
        )?;
        wait_for(Duration::from_secs(10), || sock.exists().then_some(())).ok_or_else(|| {
            io::Error::other(format!(
                "dns64d did not start: see {}",
                self.s("logs/dns64d.log")
            ))
        })
    }
}

/// Fills `buf` with a xorshift64 stream: incompressible enough that no
/// layer can shortcut the transfer, and the same on every run.
fn pseudo_random(buf: &mut [u8]) {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for chunk in buf.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
}
