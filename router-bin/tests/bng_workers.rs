//! The bng with two upstream workers (`[datapath] workers = 2`): eight
//! sessions from eight MACs carry echo traffic both ways at once, every
//! byte comes back intact, both workers carried sessions, and each
//! session's counters (live in `bng sessions`, final in its "session
//! down" record) are exactly what it sent and got; a spoofed packet is
//! dropped and counted; a session torn down mid-traffic carries nothing
//! more, and what it carried before is billed once.

mod bng_support;
mod common;

use std::net::Ipv4Addr;
use std::time::Duration;

use bng_support::workers::{dialer, field, row};
use bng_support::{Bed, NET};
use common::dialer::{Dialer, Seen};
use router_bin::afpacket::{ETH_P_ALL, PacketSocket};

const SESSIONS: u8 = 8;

/// An ICMP Echo Request whose payload is `payload`.
fn echo(src: Ipv4Addr, dst: Ipv4Addr, id: u16, seq: u16, payload: &[u8]) -> Vec<u8> {
    common::icmp::icmpv4_echo_with(src, dst, id, seq, payload)
}

/// The payload of echo `seq` of session `i`: every byte says whose it is.
fn payload(i: u8, seq: u16) -> Vec<u8> {
    (0..900u16)
        .map(|k| (k as u8) ^ i ^ (seq as u8).rotate_left(3))
        .collect()
}

/// `InEchos` of the namespace `internet` (echo requests that reached it).
fn in_echos(bed: &Bed) -> u64 {
    let snmp = bed
        .tb
        .exec(
            &bed.internet,
            &["cat", "/proc/net/snmp"],
            Duration::from_secs(5),
        )
        .unwrap();
    let mut icmp = snmp.lines().filter(|l| l.starts_with("Icmp:"));
    let (names, values) = (icmp.next().unwrap(), icmp.next().unwrap());
    let i = names
        .split_whitespace()
        .position(|n| n == "InEchos")
        .unwrap();
    values.split_whitespace().nth(i).unwrap().parse().unwrap()
}

/// The `bytes_in` of the "session down" record of MAC `02:00:00:00:77:i`.
fn billed_at_down(log: &str, i: u8) -> Option<u64> {
    let mac = format!("02:00:00:00:77:{i:02x}");
    log.lines()
        .find(|l| l.contains("session down") && l.contains(&mac))?
        .split_whitespace()
        .find_map(|kv| kv.strip_prefix("bytes_in=")?.parse().ok())
}

/// One round: `BURST` echoes per session sent, then every reply read and
/// checked.
fn exchange_round(bed: &Bed, ds: &mut [Dialer], addrs: &[Ipv4Addr], round: u16) {
    const BURST: u16 = 4;
    for (i, d) in ds.iter_mut().enumerate() {
        for k in 0..BURST {
            let seq = round * BURST + k;
            let p = echo(
                addrs[i],
                NET,
                0x5000 + i as u16,
                seq,
                &payload(i as u8, seq),
            );
            d.send_data(0x0021, &p);
        }
    }
    for (i, d) in ds.iter_mut().enumerate() {
        let mut got = 0;
        let ok = d.run_until(Duration::from_secs(5), |s| {
            if let Seen::Data(0x0021, p) = s
                && p.len() >= 28
                && p[20] == 0
                && p[16..20] == addrs[i].octets()
            {
                let seq = u16::from_be_bytes([p[26], p[27]]);
                assert_eq!(
                    p[28..],
                    payload(i as u8, seq),
                    "session {i}: reply {seq} damaged"
                );
                got += 1;
            }
            got == BURST
        });
        assert!(
            ok,
            "session {i} round {round}: {got} replies\n{}",
            bed.log()
        );
    }
    // Nothing older is counted again next round.
    for d in ds.iter_mut() {
        d.log.clear();
    }
}

#[test]
fn eight_sessions_both_ways_on_two_workers() {
    let Some(bed) = bng_support::workers::start("bngworkers-8", "") else {
        return;
    };
    let mut ds: Vec<Dialer> = (0..SESSIONS).map(|i| dialer(&bed, i)).collect();
    let mut addrs = Vec::new();
    for d in &mut ds {
        addrs.push(bng_support::dial_up(d, || bed.log()));
    }
    // Rounds of 4 echoes per session, all sent before any reply is read:
    // both directions are busy at once, on both workers.
    const ROUNDS: u16 = 25;
    const BURST: u16 = 4;
    let workers_line = |stats: &str| {
        stats
            .lines()
            .find(|l| l.starts_with("workers 2"))
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no workers line:\n{stats}"))
    };
    // Warm-up rounds until both workers know all 8 sessions: a worker
    // learns a session when the control plane publishes it (at the end of
    // the event loop's pass that opened IPCP), and what a client sends
    // before that reaches its session through the event loop (delivered,
    // but not on a worker), so only the rounds after count below.
    let mut warm = 0u16;
    while field(&workers_line(&bed.ctl("stats")), "sessions") < u64::from(SESSIONS) {
        assert!(
            warm < 20,
            "the workers never learned all sessions\n{}",
            bed.ctl("stats")
        );
        exchange_round(&bed, &mut ds, &addrs, warm);
        warm += 1;
    }
    let base = field(&workers_line(&bed.ctl("stats")), "packets");
    for round in warm..warm + ROUNDS {
        exchange_round(&bed, &mut ds, &addrs, round);
    }
    let ip_len = 20 + 8 + 900u64;
    let each = u64::from((ROUNDS + warm) * BURST) * ip_len;
    let table = bed.ctl("sessions");
    for a in &addrs {
        let r = row(&table, *a);
        // USER MAC ID ADDRESS UPTIME BYTES-IN BYTES-OUT
        assert_eq!(r[5], each.to_string(), "bytes in of {a}\n{table}");
        assert_eq!(r[6], each.to_string(), "bytes out of {a}\n{table}");
    }
    let stats = bed.ctl("stats");
    for w in ["worker0 ", "worker1 "] {
        let line = stats
            .lines()
            .find(|l| l.starts_with(w))
            .unwrap_or_else(|| panic!("no {w}line:\n{stats}"));
        assert!(field(line, "packets") > 0, "{w}carried nothing:\n{stats}");
        assert_eq!(field(line, "to_control_dropped"), 0, "{stats}");
    }
    assert_eq!(
        field(&workers_line(&stats), "packets") - base,
        u64::from(SESSIONS) * u64::from(ROUNDS * BURST),
        "{stats}"
    );

    // A packet with another source is dropped and counted, on its worker.
    ds[3].send_data(
        0x0021,
        &echo("198.51.100.99".parse().unwrap(), NET, 1, 1, b"x"),
    );
    std::thread::sleep(Duration::from_millis(300));
    let table = bed.ctl("sessions");
    assert_eq!(row(&table, addrs[3])[7], "1", "spoofed\n{table}");
    assert!(bed.ctl("stats").contains("\nspoofed 1\n"));

    // Session 5 hangs up in the middle of a burst: what reached the
    // internet is what is billed, and nothing it sends afterwards (its
    // old frames, replayed) gets through.
    let before = in_echos(&bed);
    let frames: Vec<Vec<u8>> = (0..200u16)
        .map(|seq| {
            let p = echo(addrs[5], NET, 0x6000, seq, &payload(5, seq));
            let mut f = vec![0u8; 1600];
            let n = ds[5].link.encapsulate_data(0x0021, &p, &mut f).unwrap();
            f.truncate(n);
            f
        })
        .collect();
    let sock = bed
        .client
        .enter(|| PacketSocket::open("wan0", ETH_P_ALL))
        .unwrap()
        .unwrap();
    for f in &frames[..100] {
        sock.send(f).unwrap();
    }
    ds[5].hang_up();
    for f in &frames[100..] {
        sock.send(f).unwrap();
    }
    let mut billed = None;
    for _ in 0..50 {
        billed = billed_at_down(&bed.log(), 5);
        if billed.is_some() {
            break;
        }
        let _ = ds[5].run_until(Duration::from_millis(100), |_| false);
    }
    let billed = billed.unwrap_or_else(|| panic!("session 5 not down\n{}", bed.log()));
    std::thread::sleep(Duration::from_millis(200));
    let delivered = in_echos(&bed) - before;
    assert_eq!(
        billed,
        each + delivered * ip_len,
        "billed {billed}, {delivered} echoes delivered after the first {each} bytes"
    );
    let after = in_echos(&bed);
    for f in &frames {
        sock.send(f).unwrap();
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        in_echos(&bed),
        after,
        "a session gone still carried packets"
    );
    // The others still carry traffic.
    let p = echo(addrs[6], NET, 0x7000, 1, &payload(6, 1));
    ds[6].send_data(0x0021, &p);
    assert!(
        ds[6].run_until(
            Duration::from_secs(3),
            |s| matches!(s, Seen::Data(0x0021, p) if p.len() > 28 && p[20] == 0)
        ),
        "{}",
        bed.log()
    );
}
