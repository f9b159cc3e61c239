//! NAT44, the forward firewall and the router's own input firewall: one
//! nftables table, `inet router`, replaced atomically with `nft -f -` and
//! deleted on exit. Also turns on IPv4 forwarding in the namespace.

use std::io::{self, Write};
use std::process::{Command, Stdio};

/// The ruleset: masquerade IPv4 from the LAN out of the PPP interface;
/// forward LAN → WAN and established/related replies; drop new WAN → LAN,
/// except the ICMPv6 a LAN host must get for IPv6 to work (RFC 4890
/// §4.3.1 and the error codes of §4.3.2: destination unreachable, packet
/// too big, time exceeded, parameter problem, echo request and reply).
/// To the router itself from the PPP interface: replies, ICMP/ICMPv6
/// (PMTU discovery, neighbour discovery, echo) and the DHCPv6 server's
/// answers to the PD client (link-local source, port 547 to 546) only,
/// every new connection dropped; the LAN and loopback are left alone.
pub fn ruleset(lan: &str, ppp: &str) -> String {
    format!(
        r#"table inet router
delete table inet router
table inet router {{
    chain input {{
        type filter hook input priority filter; policy accept;
        iifname != "{ppp}" accept
        ct state established,related accept
        meta l4proto {{ icmp, ipv6-icmp }} accept
        ip6 saddr fe80::/10 udp sport 547 udp dport 546 accept
        drop
    }}
    chain forward {{
        type filter hook forward priority filter; policy accept;
        ct state established,related accept
        ct state invalid drop
        iifname "{lan}" oifname "{ppp}" accept
        iifname "{ppp}" icmpv6 type {{ destination-unreachable, packet-too-big, time-exceeded, parameter-problem, echo-request, echo-reply }} accept
        iifname "{ppp}" drop
    }}
    chain postrouting {{
        type nat hook postrouting priority srcnat; policy accept;
        oifname "{ppp}" meta nfproto ipv4 masquerade
    }}
}}
"#
    )
}

fn nft(script: &str) -> io::Result<()> {
    let mut child = Command::new("nft")
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot run `nft` ({e}); install nftables or set nat = false"),
            )
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(script.as_bytes())?;
    }
    let out = child.wait_with_output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "nft failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// Installs (or replaces) the table.
pub fn install(lan: &str, ppp: &str) -> io::Result<()> {
    nft(&ruleset(lan, ppp))
}

/// Deletes the table (no error when it is already gone).
pub fn remove() -> io::Result<()> {
    nft("table inet router\ndelete table inet router\n")
}

/// `net.ipv4.ip_forward = 1` in this network namespace.
pub fn enable_forwarding() -> io::Result<()> {
    std::fs::write("/proc/sys/net/ipv4/ip_forward", b"1\n").map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot enable net.ipv4.ip_forward: {e} (run as root)"),
        )
    })
}

/// Turns IPv6 on for `ifname` (`disable_ipv6 = 0`): a namespace may have
/// it off by default, and the PPP interface needs it for IPv6CP's
/// link-local address.
pub fn enable_ipv6(ifname: &str) -> io::Result<()> {
    let path = format!("/proc/sys/net/ipv6/conf/{ifname}/disable_ipv6");
    std::fs::write(&path, b"0\n").map_err(|e| io::Error::new(e.kind(), format!("{path}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ruleset_names_the_interfaces() {
        let r = ruleset("eth0", "ppp0");
        assert!(r.contains(r#"iifname "eth0" oifname "ppp0" accept"#));
        assert!(r.contains(r#"oifname "ppp0" meta nfproto ipv4 masquerade"#));
        assert!(r.starts_with("table inet router\ndelete table inet router\n"));
        // The input chain: everything not from the PPP interface passes,
        // from it only replies and ICMP, then a drop.
        let input = r
            .split("chain input {")
            .nth(1)
            .and_then(|c| c.split("chain forward").next())
            .expect("an input chain");
        let rules: Vec<&str> = input
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        assert_eq!(
            rules,
            [
                "type filter hook input priority filter; policy accept;",
                r#"iifname != "ppp0" accept"#,
                "ct state established,related accept",
                "meta l4proto { icmp, ipv6-icmp } accept",
                "ip6 saddr fe80::/10 udp sport 547 udp dport 546 accept",
                "drop",
                "}",
            ],
            "{r}"
        );
    }

    /// The ruleset in the kernel: a veth named like the PPP interface
    /// stands in for it. A TCP connect from the ISP side to a port the
    /// router's namespace listens on is dropped (a timeout, not a refusal);
    /// the LAN reaches it; ICMP from the ISP side and replies to the
    /// router's own connections still pass.
    #[test]
    fn input_chain_in_a_namespace() {
        use std::net::{SocketAddr, TcpListener, TcpStream};
        use std::time::Duration;

        let Some(mut tb) = testbed::Testbed::new("router-input-fw") else {
            return;
        };
        let isp = tb.namespace("isp").unwrap();
        let cpe = tb.namespace("cpe").unwrap();
        let lan = tb.namespace("lan").unwrap();
        tb.veth((&isp, "up0"), (&cpe, "ppp0")).unwrap();
        tb.veth((&cpe, "lan0"), (&lan, "eth0")).unwrap();
        tb.addr(&isp, "up0", "192.0.2.1/24").unwrap();
        tb.addr(&cpe, "ppp0", "192.0.2.10/24").unwrap();
        tb.addr(&cpe, "lan0", "198.51.100.1/24").unwrap();
        tb.addr(&lan, "eth0", "198.51.100.100/24").unwrap();
        cpe.enter(|| install("lan0", "ppp0")).unwrap().unwrap();

        // Connections complete in the kernel's backlog: no accept needed.
        let listener = cpe
            .enter(|| TcpListener::bind("0.0.0.0:0"))
            .unwrap()
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let connect = |ns: &testbed::Netns, addr: &str| {
            let addr: SocketAddr = addr.parse().unwrap();
            ns.enter(move || TcpStream::connect_timeout(&addr, Duration::from_secs(2)))
                .unwrap()
        };
        connect(&lan, &format!("198.51.100.1:{port}")).expect("the LAN reaches the router");
        let err = connect(&isp, &format!("192.0.2.10:{port}"))
            .expect_err("a new connection from the PPP side is dropped");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
        tb.exec(
            &isp,
            &["ping", "-c", "1", "-W", "2", "192.0.2.10"],
            Duration::from_secs(5),
        )
        .expect("ICMP from the PPP side passes");
        // The router's own connection out: its replies come back in.
        let outside = isp
            .enter(|| TcpListener::bind("0.0.0.0:0"))
            .unwrap()
            .unwrap();
        let port = outside.local_addr().unwrap().port();
        connect(&cpe, &format!("192.0.2.1:{port}")).expect("replies to the router pass");
    }

    /// The IPv6 rules in the kernel, a veth named like the PPP interface
    /// standing in for it: a new TCP connection from the ISP side to a LAN
    /// host is dropped, its own connection out gets its replies, an echo
    /// request from outside reaches it (RFC 4890), and the DHCPv6 server's
    /// answer from a link-local address reaches the router's port 546.
    #[test]
    fn ipv6_forward_and_dhcpv6_in_a_namespace() {
        use std::net::{SocketAddr, SocketAddrV6, TcpListener, TcpStream, UdpSocket};
        use std::time::Duration;

        let Some(mut tb) = testbed::Testbed::new("r6-fw6") else {
            return;
        };
        let isp = tb.namespace("isp").unwrap();
        let cpe = tb.namespace("cpe").unwrap();
        let lan = tb.namespace("lan").unwrap();
        tb.veth((&isp, "up0"), (&cpe, "ppp0")).unwrap();
        tb.veth((&cpe, "lan0"), (&lan, "eth0")).unwrap();
        tb.addr(&isp, "up0", "fe80::1/64").unwrap();
        tb.addr(&isp, "up0", "2001:db8:ffff::1/64").unwrap();
        tb.addr(&cpe, "ppp0", "fe80::2/64").unwrap();
        tb.addr(&cpe, "ppp0", "2001:db8:ffff::2/64").unwrap();
        tb.addr(&cpe, "lan0", "2001:db8:100::1/64").unwrap();
        tb.addr(&lan, "eth0", "2001:db8:100::2/64").unwrap();
        tb.ip(
            &isp,
            &[
                "-6",
                "route",
                "add",
                "2001:db8:100::/64",
                "via",
                "2001:db8:ffff::2",
            ],
        )
        .unwrap();
        tb.ip(
            &lan,
            &["-6", "route", "add", "default", "via", "2001:db8:100::1"],
        )
        .unwrap();
        tb.sysctl(&cpe, &["net.ipv6.conf.all.forwarding=1"])
            .unwrap();
        cpe.enter(|| install("lan0", "ppp0")).unwrap().unwrap();

        let connect = |ns: &testbed::Netns, addr: &str| {
            let addr: SocketAddr = addr.parse().unwrap();
            ns.enter(move || TcpStream::connect_timeout(&addr, Duration::from_secs(2)))
                .unwrap()
        };
        let host = lan.enter(|| TcpListener::bind("[::]:0")).unwrap().unwrap();
        let port = host.local_addr().unwrap().port();
        let err = connect(&isp, &format!("[2001:db8:100::2]:{port}"))
            .expect_err("a new inbound connection is dropped");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
        let server = isp.enter(|| TcpListener::bind("[::]:0")).unwrap().unwrap();
        let port = server.local_addr().unwrap().port();
        connect(&lan, &format!("[2001:db8:ffff::1]:{port}")).expect("replies pass");
        tb.exec(
            &isp,
            &["ping", "-6", "-c", "1", "-W", "2", "2001:db8:100::2"],
            Duration::from_secs(5),
        )
        .expect("an echo request from outside reaches the LAN host (RFC 4890)");

        // The server's Advertise/Reply: fe80::1 port 547 -> fe80::2 port 546.
        let client = cpe.enter(|| UdpSocket::bind("[::]:546")).unwrap().unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        isp.enter(|| {
            let index = nix::net::if_::if_nametoindex("up0").unwrap();
            let s = UdpSocket::bind(SocketAddrV6::new("fe80::1".parse().unwrap(), 547, 0, index))
                .unwrap();
            s.send_to(
                b"reply",
                SocketAddrV6::new("fe80::2".parse().unwrap(), 546, 0, index),
            )
            .unwrap();
        })
        .unwrap();
        let mut buf = [0u8; 16];
        let (n, from) = client
            .recv_from(&mut buf)
            .expect("the DHCPv6 reply is let in");
        assert_eq!((&buf[..n], from.port()), (&b"reply"[..], 547));
    }
}
