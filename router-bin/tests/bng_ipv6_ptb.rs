//! ICMPv6 Packet Too Big from the bng (RFC 4443 §3.2, RFC 8201): with
//! `ppp_max_payload = 1500` the TUN device carries 1500-octet packets
//! while a session that did not ask for more stays at 1492. A host on the
//! internet side sends a 1500-octet IPv6 packet into the session's
//! delegated prefix: the bng drops it and answers Packet Too Big with MTU
//! 1492 (from the uplink address the kernel picks), the sender's path-MTU
//! cache holds 1492, and its next large datagram reaches the session
//! fragmented to fit; a packet that fits gets no answer. A TCP download
//! through the session (TUN offloads: super-packets larger than the MTU,
//! cut into segments that fit) sends no Packet Too Big.

mod bng_support;
mod common;

use std::net::Ipv6Addr;
use std::time::Duration;

use bng_support::v6::{PPP_IPV6, Pd, fields};
use bng_support::{Bed, config_text, dial_up};
use common::dialer::{Seen, ppp};
use ppp_proto::PppEvent;

const ISP6: &str = "2001:db8:ffff::1";
const NET6: &str = "2001:db8:ffff::2";

fn stat(bed: &Bed, name: &str) -> u64 {
    let s = bed.ctl("stats");
    s.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in:\n{s}"))
}

/// Runs `argv` in the internet namespace; its output.
fn internet(bed: &Bed, argv: &[&str]) -> String {
    let mut p = bed.tb.spawn(&bed.internet, argv).unwrap();
    p.wait_timeout(Duration::from_secs(15)).unwrap();
    let (out, err) = p.output();
    format!("{out}{err}")
}

/// Bridges the dialer's session to a TUN device `ppp0` in the client
/// namespace holding `addr` while iperf3 downloads 4 MB from the internet
/// host over IPv6; panics unless it completes.
fn download(bed: &Bed, d: &mut common::dialer::Dialer, addr: &str) {
    let tun = bed
        .client
        .enter(|| router_bin::tun::Tun::open("ppp0"))
        .unwrap()
        .unwrap();
    tun.set_nonblocking().unwrap();
    let a = format!("{addr}/128");
    for args in [
        &["-6", "addr", "add", &a, "dev", "ppp0", "nodad"][..],
        &["link", "set", "ppp0", "mtu", "1492", "up"],
        &["-6", "route", "add", "2001:db8:ffff::/64", "dev", "ppp0"],
    ] {
        bed.tb.ip(&bed.client, args).unwrap();
    }
    let mut server = bed
        .tb
        .spawn(&bed.internet, &["iperf3", "-s", "-1", "-B", NET6])
        .unwrap();
    bed.tb
        .wait_listening(
            &bed.internet,
            &format!("[{NET6}]:5201"),
            Duration::from_secs(10),
        )
        .unwrap_or_else(|e| panic!("iperf3 server: {e}\n{:?}", server.output()));
    let mut client = bed
        .tb
        .spawn(
            &bed.client,
            &["iperf3", "-6", "-c", NET6, "-R", "-n", "4M", "-B", addr],
        )
        .unwrap();
    let mut buf = vec![0u8; 2048];
    let end = std::time::Instant::now() + Duration::from_secs(40);
    while std::time::Instant::now() < end {
        d.run_until(Duration::from_millis(1), |_| false);
        for s in d.log.drain(..) {
            if let Seen::Data(PPP_IPV6, p) = s {
                let _ = tun.send(&p);
            }
        }
        while let Ok(n) = tun.try_recv(&mut buf) {
            if n > 0 && buf[0] >> 4 == 6 {
                d.send_data(PPP_IPV6, &buf[..n]);
            }
        }
        if let Ok(Some(_)) = client.try_wait() {
            break;
        }
    }
    let status = client.wait_timeout(Duration::from_secs(1)).unwrap();
    let (out, err) = client.output();
    assert!(
        status.is_some_and(|s| s.success()),
        "iperf3 download failed:\n{out}{err}\n{}",
        bed.log()
    );
    let _ = server.stop();
}

#[test]
fn oversize_ipv6_is_answered_with_packet_too_big() {
    let Some(bed) = Bed::start_text("bngv6-ptb", |dir| {
        format!(
            "ppp_max_payload = 1500\nstate_dir = \"{}/state\"\n{}",
            dir.display(),
            config_text(dir, true, "[ipv6]\npools = [\"2001:db8:100::/40\"]\n")
        )
    }) else {
        return;
    };
    for (ns, addr, dev) in [(&bed.isp, ISP6, "isp0"), (&bed.internet, NET6, "net0")] {
        let a = format!("{addr}/64");
        bed.tb
            .ip(ns, &["-6", "addr", "add", &a, "dev", dev, "nodad"])
            .unwrap();
    }
    bed.tb
        .ip(
            &bed.internet,
            &["-6", "route", "add", "2001:db8:100::/40", "via", ISP6],
        )
        .unwrap();

    // A session at 1492 (no PPP-Max-Payload asked) with a delegated /56.
    let mut d = bed.dialer(b"alice", b"wonderland", 91);
    dial_up(&mut d, || bed.log());
    let v6 = d.ipv6().is_some()
        || d.run_until(Duration::from_secs(10), |s| {
            ppp(s, |e| matches!(e, PppEvent::Ipv6Up { .. }))
        });
    assert!(v6, "no IPv6CP: {:?}\n{}", d.log, bed.log());
    let (local, _) = d.ipv6().unwrap();
    let mut pd = Pd::new([2, 0, 0, 0, 0, 0x91], local, 9, &d);
    let (prefix, _) = pd
        .delegate(&mut d, Duration::from_secs(15))
        .unwrap_or_else(|| panic!("no prefix: {:?}\n{}", pd.events, bed.log()));
    let inside = Ipv6Addr::from(u128::from(prefix) | 1).to_string();

    // A TCP download into the session (the subscriber's kernel behind a
    // TUN device bridged to the dialer): the sender's super-packets cross
    // the bng's TUN device whole, are cut into segments that fit (MSS
    // clamped to the session's MTU), and no Packet Too Big is sent.
    download(&bed, &mut d, &inside);
    let stats = bed.ctl("stats");
    assert!(stat(&bed, "tun_gso_cut") > 0, "no super-packet:\n{stats}");
    assert_eq!(stat(&bed, "packet_too_big_sent"), 0, "{stats}");
    assert_eq!(stat(&bed, "too_big"), 0, "{stats}");

    // 1500 octets with Don't Fragment (IPv6: the source never fragments
    // with -M do): dropped, and the sender told 1492.
    let from = d.log.len();
    let mut ping = bed
        .tb
        .spawn(
            &bed.internet,
            &[
                "ping", "-6", "-n", "-c", "3", "-i", "0.3", "-W", "1", "-M", "do", "-s", "1452",
                &inside,
            ],
        )
        .unwrap();
    d.run_until(Duration::from_secs(3), |_| false);
    ping.wait_timeout(Duration::from_secs(10)).unwrap();
    let (out, err) = ping.output();
    let out = format!("{out}{err}");
    assert!(
        out.contains(&format!("From {ISP6}")) && out.contains("mtu=1492"),
        "no Packet Too Big from {ISP6} with MTU 1492:\n{out}\n{}",
        bed.log()
    );
    assert!(stat(&bed, "packet_too_big_sent") >= 1);
    // With BNG_TEST_WORKERS: answered on the workers' downstream.
    bng_support::workers::assert_downstream_on_workers(&bed);
    assert!(stat(&bed, "too_big") >= 1);
    let cached = internet(&bed, &["ip", "-6", "route", "get", &inside]);
    assert!(cached.contains("mtu 1492"), "{cached}");
    let size = |s: &Seen| match s {
        Seen::Data(PPP_IPV6, p) => p.len(),
        _ => 0,
    };
    assert!(
        d.log[from..].iter().all(|s| size(s) <= 1492),
        "a packet over 1492 reached the session"
    );

    // The sender now fragments its 1500-octet datagram to fit the session.
    let from = d.log.len();
    internet(
        &bed,
        &[
            "ping", "-6", "-n", "-c", "1", "-W", "1", "-s", "1452", &inside,
        ],
    );
    let fragment = d.run_until(Duration::from_secs(3), |s| {
        matches!(s, Seen::Data(PPP_IPV6, p)
            if fields(p).is_some_and(|(_, _, next, _)| next == 44) && p.len() <= 1492)
    });
    assert!(
        fragment,
        "no fragment reached the session: {:?}",
        &d.log[from..]
    );

    // A packet that fits gets through and no answer.
    let sent = stat(&bed, "packet_too_big_sent");
    internet(
        &bed,
        &[
            "ping", "-6", "-n", "-c", "1", "-W", "1", "-M", "do", "-s", "1432", &inside,
        ],
    );
    let fits = d.run_until(
        Duration::from_secs(3),
        |s| matches!(s, Seen::Data(PPP_IPV6, p) if p.len() == 1480),
    );
    assert!(fits, "the 1480-octet packet did not arrive\n{}", bed.log());
    assert_eq!(stat(&bed, "packet_too_big_sent"), sent);
}
