//! RFC 4638 in the `bng` binary: with `ppp_max_payload = 1500`, a host
//! that asks for PPP-Max-Payload gets a 1500-byte session and 1500-byte
//! packets reach it; a host that does not stays at 1492, and a bigger
//! packet for it is fragmented, or, with Don't Fragment set, dropped
//! (counted) and answered with ICMP Fragmentation Needed (next-hop MTU
//! 1492).

mod bng_support;
mod common;

use std::time::Duration;

use bng_support::{Bed, NET, config_text, dial_up};
use common::dialer::{Dialer, Seen};
use ppp_proto::{PppConfig, PppEvent};
use router_bin::afpacket::{ETH_P_ALL, PacketSocket};

/// The MTU of the dialer's first LinkUp.
fn link_mtu(d: &Dialer) -> Option<u16> {
    d.ppp_events().find_map(|e| match e {
        PppEvent::LinkUp { mtu } => Some(*mtu),
        _ => None,
    })
}

/// Runs `ping` with `args` in the `internet` namespace; its output.
fn ping_from_internet(bed: &Bed, args: &[&str]) -> String {
    let mut argv = vec!["ping", "-n"];
    argv.extend_from_slice(args);
    let mut p = bed.tb.spawn(&bed.internet, &argv).unwrap();
    p.wait_timeout(Duration::from_secs(15)).unwrap();
    let (out, err) = p.output();
    format!("{out}{err}")
}

/// The value of `key` in `bng stats`.
fn stat(bed: &Bed, key: &str) -> u64 {
    let text = bed.ctl("stats");
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {key} in:\n{text}"))
}

#[test]
fn rfc_4638_sessions_and_fragmentation_needed() {
    let Some(mut bed) = Bed::start_text("bng-mtu", |dir| {
        format!("ppp_max_payload = 1500\n{}", config_text(dir, true, ""))
    }) else {
        return;
    };
    // The bng raised its side (acc0) to 1508 itself; the host's side too.
    bed.tb
        .ip(&bed.client, &["link", "set", "wan0", "mtu", "1508"])
        .unwrap();
    let tun = bed
        .tb
        .exec(
            &bed.isp,
            &["ip", "link", "show", "bng0"],
            Duration::from_secs(5),
        )
        .unwrap();
    assert!(tun.contains("mtu 1500"), "{tun}");

    // A host that asks for 1500 gets it, and full-size packets arrive.
    let sock = bed
        .client
        .enter(|| PacketSocket::open("wan0", ETH_P_ALL))
        .unwrap()
        .unwrap();
    let mut pppoe = Dialer::pppoe_config(&sock);
    pppoe.ppp_max_payload = Some(1500);
    let mut d = Dialer::new(sock, pppoe, PppConfig::peer(b"alice", b"wonderland"), 1);
    let addr = dial_up(&mut d, || bed.log());
    assert_eq!(link_mtu(&d), Some(1500), "{:?}", d.log);
    let table = bed.ctl("sessions");
    let mtu_at = table
        .lines()
        .next()
        .and_then(|h| h.split_whitespace().position(|c| c == "MTU"))
        .unwrap();
    let mtu_column = table
        .lines()
        .find(|l| l.starts_with("alice"))
        .and_then(|l| l.split_whitespace().nth(mtu_at));
    assert_eq!(mtu_column, Some("1500"), "{table}");
    let target = addr.to_string();
    let mut p = bed
        .tb
        .spawn(
            &bed.internet,
            &[
                "ping", "-n", "-c", "5", "-i", "0.3", "-M", "do", "-s", "1472", &target,
            ],
        )
        .unwrap();
    let full = d.run_until(
        Duration::from_secs(5),
        |s| matches!(s, Seen::Data(0x0021, p) if p.len() == 1500 && p[12..16] == NET.octets()),
    );
    assert!(
        full,
        "no 1500-byte packet in the 1500 session\n{}",
        bed.log()
    );
    let _ = p.wait_timeout(Duration::from_secs(5));
    drop(p);
    assert_eq!(stat(&bed, "too_big"), 0);
    d.hang_up();
    bed.wait_log("session down", Duration::from_secs(10));
    drop(d);

    // A host that does not ask stays at 1492.
    let mut d = bed.dialer(b"alice", b"wonderland", 2);
    let addr = dial_up(&mut d, || bed.log());
    assert_eq!(link_mtu(&d), Some(1492), "{:?}", d.log);
    let target = addr.to_string();
    // Fragmentable: the bng fragments it to the session's MTU (RFC 1812
    // §4.2.2.7): 1472 data bytes with More Fragments, then the rest.
    ping_from_internet(
        &bed,
        &["-c", "1", "-W", "1", "-M", "dont", "-s", "1472", &target],
    );
    let field = |p: &[u8]| u16::from_be_bytes([p[6], p[7]]);
    let first = d.run_until(
        Duration::from_secs(3),
        |s| matches!(s, Seen::Data(0x0021, p) if p.len() == 1492 && field(p) == 0x2000),
    );
    assert!(first, "no first fragment\n{}", bed.log());
    let rest = d.run_until(Duration::from_secs(3), |s| {
        matches!(s, Seen::Data(0x0021, p) if field(p) == 1472 / 8 && p.len() == 20 + 1480 - 1472)
    });
    assert!(rest, "no last fragment\n{}", bed.log());
    assert_eq!(stat(&bed, "too_big"), 0);
    // Don't Fragment: the sender learns the session's MTU.
    let out = ping_from_internet(
        &bed,
        &["-c", "2", "-W", "1", "-M", "do", "-s", "1472", &target],
    );
    assert!(
        out.contains("1492"),
        "no Fragmentation Needed:\n{out}\n{}",
        bed.log()
    );
    assert!(stat(&bed, "frag_needed_sent") >= 1);
    // With BNG_TEST_WORKERS: answered on the workers' downstream.
    bng_support::workers::assert_downstream_on_workers(&bed);
    // `bng sessions` shows the session's drops (TOO-BIG, the 11th column).
    let table = bed.ctl("sessions");
    let row: Vec<&str> = table
        .lines()
        .find(|l| l.starts_with("alice"))
        .unwrap_or_else(|| panic!("{table}"))
        .split_whitespace()
        .collect();
    let too_big: u64 = row[10].parse().unwrap();
    // The first DF ping; the sender then knows the MTU and sends no more.
    assert!(too_big >= 1, "{table}");
    // Packets that fit still go; none over 1492 ever reached the host.
    ping_from_internet(
        &bed,
        &["-c", "1", "-W", "1", "-M", "do", "-s", "1464", &target],
    );
    let fit = d.run_until(
        Duration::from_secs(3),
        |s| matches!(s, Seen::Data(0x0021, p) if p.len() == 1492),
    );
    assert!(fit, "no 1492-byte packet\n{}", bed.log());
    assert!(
        !d.log
            .iter()
            .any(|s| matches!(s, Seen::Data(_, p) if p.len() > 1492))
    );
    // The drops of ended sessions stay in `bng stats`.
    d.hang_up();
    bed.wait_log("session=2 bytes_in", Duration::from_secs(10));
    assert_eq!(stat(&bed, "too_big"), too_big);
}
