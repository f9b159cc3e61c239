//! The bng's downstream on two workers (`[datapath] workers = 2`, a
//! multiqueue TUN device): UDP from the internet to eight sessions
//! arrives intact, each session's out counters are exactly what reached
//! it, both workers send, reads for the other worker's sessions are
//! handed over; a session hung up in the middle of a burst is billed
//! exactly what reached the wire; a session's downstream limit holds on
//! its worker and a CoA changing it applies there.

mod bng_support;
mod common;

use std::net::{Ipv4Addr, UdpSocket};
use std::time::{Duration, Instant};

use bng_support::workers::{dialer, dialer_of, field, line, row, start};
use bng_support::{Bed, radclient};
use common::dialer::{Dialer, Seen};
use router_bin::afpacket::PacketSocket;
use router_bin::batch::FrameBatch;

const SESSIONS: u8 = 8;
/// Flows (UDP destination ports) per session.
const FLOWS: u16 = 4;
/// UDP payload octets; the IP packet is 28 more.
const PAYLOAD: usize = 900;

/// A UDP socket in the namespace `internet`.
fn internet_socket(bed: &Bed) -> UdpSocket {
    bed.internet
        .enter(|| UdpSocket::bind("203.0.113.2:0"))
        .unwrap()
        .unwrap()
}

/// The payload of packet `seq` to session `i`: every byte says whose.
fn payload(i: u8, seq: u16) -> Vec<u8> {
    let mut p: Vec<u8> = (0..PAYLOAD)
        .map(|k| (k as u8) ^ i ^ (seq as u8).rotate_left(3))
        .collect();
    p[..2].copy_from_slice(&seq.to_be_bytes());
    p
}

/// Reads UDP packets to `port_base..port_base + FLOWS` at `d` until
/// `want` came (or `limit`); checks each is intact; how many came.
fn receive(d: &mut Dialer, i: u8, want: usize, limit: Duration) -> usize {
    let mut got = 0;
    d.run_until(limit, |s| {
        if let Seen::Data(0x0021, p) = s
            && p.len() == 28 + PAYLOAD
            && p[9] == 17
        {
            let seq = u16::from_be_bytes([p[28], p[29]]);
            assert_eq!(
                p[28..],
                payload(i, seq),
                "session {i}: packet {seq} damaged"
            );
            got += 1;
        }
        got == want
    });
    d.log.clear();
    got
}

/// Sends packet `seq` to session `i` at `addr`, on flow `seq % FLOWS`.
fn send(udp: &UdpSocket, addr: Ipv4Addr, i: u8, seq: u16) {
    let port = 40_000 + seq % FLOWS;
    udp.send_to(&payload(i, seq), (addr, port)).unwrap();
}

#[test]
fn downstream_to_eight_sessions_on_two_workers() {
    let Some(bed) = start("dsw-down8", "") else {
        return;
    };
    let mut ds: Vec<Dialer> = (0..SESSIONS).map(|i| dialer(&bed, i)).collect();
    let addrs: Vec<Ipv4Addr> = ds
        .iter_mut()
        .map(|d| bng_support::dial_up(d, || bed.log()))
        .collect();
    let udp = internet_socket(&bed);
    // Until each session's first packet arrives (the workers learn a
    // session when the event loop publishes it, right after IPCP).
    for (i, d) in ds.iter_mut().enumerate() {
        let ok = (0..20).any(|_| {
            send(&udp, addrs[i], i as u8, 0);
            receive(d, i as u8, 1, Duration::from_millis(300)) == 1
        });
        assert!(ok, "session {i} never got a packet\n{}", bed.log());
    }
    let out = |table: &str, a| row(table, a)[6].parse::<u64>().unwrap();
    let table = bed.ctl("sessions");
    let base: Vec<u64> = addrs.iter().map(|a| out(&table, *a)).collect();
    let before = line(&bed.ctl("stats"), "workers 2");

    // Rounds of FLOWS packets to every session, then every one read.
    const ROUNDS: u16 = 20;
    for round in 0..ROUNDS {
        for (i, a) in addrs.iter().enumerate() {
            for k in 0..FLOWS {
                send(&udp, *a, i as u8, 1 + round * FLOWS + k);
            }
        }
        for (i, d) in ds.iter_mut().enumerate() {
            let got = receive(d, i as u8, FLOWS.into(), Duration::from_secs(5));
            assert_eq!(got, usize::from(FLOWS), "session {i} round {round}");
        }
    }
    let each = u64::from(ROUNDS * FLOWS);
    let ip_len = (28 + PAYLOAD) as u64;
    let table = bed.ctl("sessions");
    for (i, a) in addrs.iter().enumerate() {
        assert_eq!(out(&table, *a) - base[i], each * ip_len, "{a}\n{table}");
    }
    let stats = bed.ctl("stats");
    for w in ["worker0 ", "worker1 "] {
        assert!(
            field(&line(&stats, w), "down_packets") > 0,
            "{w}sent nothing\n{stats}"
        );
    }
    let after = line(&stats, "workers 2");
    let delta = |name| field(&after, name) - field(&before, name);
    assert_eq!(delta("down_packets"), u64::from(SESSIONS) * each, "{stats}");
    // The kernel picks a queue by flow, not by session: some of the 32
    // flows reached the other worker first, which handed them over.
    assert!(delta("handed_off") > 0, "{stats}");
    assert_eq!(
        field(&after, "handed_off"),
        field(&after, "handed_in"),
        "{stats}"
    );
    assert_eq!(field(&after, "handoff_dropped"), 0, "{stats}");

    // Session 5 hangs up in the middle of a burst: its "session down"
    // record bills exactly what reached the wire for it, and nothing
    // reaches its address after.
    let capture = bed
        .client
        .enter(|| PacketSocket::open("wan0", 0x8864))
        .unwrap()
        .unwrap();
    capture.set_recv_buffer(8 << 20).unwrap();
    capture.set_nonblocking().unwrap();
    let billed_before = out(&bed.ctl("sessions"), addrs[5]);
    // A packet a millisecond for 1.5 s; the hang-up after 0.5 s.
    let (udp5, a5) = (internet_socket(&bed), addrs[5]);
    let sender = std::thread::spawn(move || {
        let (start, mut n) = (Instant::now(), 0u16);
        while start.elapsed() < Duration::from_millis(1500) {
            send(&udp5, a5, 5, 1000 + n);
            n += 1;
            std::thread::sleep(Duration::from_millis(1));
        }
        n
    });
    std::thread::sleep(Duration::from_millis(500));
    ds[5].hang_up();
    let mut billed = None;
    for _ in 0..50 {
        billed = billed_out_at_down(&bed.log(), 5);
        if billed.is_some() {
            break;
        }
        let _ = ds[5].run_until(Duration::from_millis(100), |_| false);
    }
    let billed = billed.unwrap_or_else(|| panic!("session 5 not down\n{}", bed.log()));
    let sent = u64::from(sender.join().unwrap());
    std::thread::sleep(Duration::from_millis(200));
    let (frames, octets) = captured(&capture, addrs[5]);
    assert!(frames > 0 && frames < sent, "{frames} of {sent} went out");
    assert_eq!(
        billed,
        billed_before + octets,
        "{frames} frames on the wire"
    );
    for seq in 0..50 {
        send(&udp, addrs[5], 5, 2000 + seq);
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        captured(&capture, addrs[5]).0,
        0,
        "a session gone was sent to"
    );
}

/// The `bytes_out` of the "session down" record of MAC `02:00:00:00:77:i`.
fn billed_out_at_down(log: &str, i: u8) -> Option<u64> {
    let mac = format!("02:00:00:00:77:{i:02x}");
    log.lines()
        .find(|l| l.contains("session down") && l.contains(&mac))?
        .split_whitespace()
        .find_map(|kv| kv.strip_prefix("bytes_out=")?.parse().ok())
}

/// The session frames to `addr` (IPv4 UDP) `capture` saw since last
/// asked: how many, and their IP octets.
fn captured(capture: &PacketSocket, addr: Ipv4Addr) -> (u64, u64) {
    let (mut frames, mut octets) = (0, 0);
    let mut batch = FrameBatch::standard();
    while capture.try_recv_batch(&mut batch).is_ok_and(|n| n > 0) {
        for f in batch.frames_mut() {
            let ip = &f[22..];
            let to_addr =
                f.len() > 22 + 28 && f[20..22] == [0, 0x21] && ip[16..20] == addr.octets();
            if to_addr && ip[9] == 17 {
                frames += 1;
                octets += u64::from(u16::from_be_bytes([ip[2], ip[3]]));
            }
        }
    }
    (frames, octets)
}

/// Offers UDP to `addr` at 4 Mbit/s for `secs` while `d` reads it;
/// the kbit/s that arrived.
fn rate(bed: &Bed, d: &mut Dialer, addr: Ipv4Addr, secs: u64) -> f64 {
    let udp = internet_socket(bed);
    let sender = std::thread::spawn(move || {
        let start = Instant::now();
        let mut seq = 0u16;
        while start.elapsed() < Duration::from_secs(secs) {
            // 500,000 octets a second (4 Mbit/s), caught up after a late
            // wake-up on a busy machine.
            let due = start.elapsed().as_secs_f64() * 500_000.0 / (28 + PAYLOAD) as f64;
            while f64::from(seq) < due {
                send(&udp, addr, 9, seq);
                seq += 1;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    });
    let mut octets = 0u64;
    let start = Instant::now();
    d.run_until(Duration::from_secs(secs), |s| {
        if let Seen::Data(0x0021, p) = s
            && p.len() == 28 + PAYLOAD
        {
            octets += p.len() as u64;
        }
        false
    });
    let secs = start.elapsed().as_secs_f64();
    sender.join().unwrap();
    // What is still queued drains before the next measurement.
    let _ = d.run_until(Duration::from_millis(500), |_| false);
    d.log.clear();
    octets as f64 * 8.0 / 1000.0 / secs
}

#[test]
fn the_downstream_limit_and_a_coa_apply_on_the_worker() {
    let coa = format!(
        "[coa]\nlisten = \"127.0.0.1:3799\"\nsecret = \"{}\"\n",
        bng_support::radiusd::SECRET
    );
    let Some(bed) = start("dsw-coa", &coa) else {
        return;
    };
    // bob: 192.0.2.77, downstream 2000 kbit/s.
    let mut d = dialer_of(&bed, 1, b"bob", b"builder");
    let addr = bng_support::dial_up(&mut d, || bed.log());
    let kbps = rate(&bed, &mut d, addr, 3);
    // The bucket (32 KiB) and the queue (as deep) pass once on top.
    assert!((1600.0..2400.0).contains(&kbps), "{kbps} kbit/s of 2000");
    let out = radclient(
        &bed,
        "coa",
        &format!("Framed-IP-Address = {addr}\nRP-Downstream-Speed-Limit = 1000\n"),
    );
    assert!(out.contains("CoA-ACK"), "{out}\n{}", bed.log());
    let kbps = rate(&bed, &mut d, addr, 3);
    assert!(
        (800.0..1300.0).contains(&kbps),
        "{kbps} kbit/s of 1000 after the CoA"
    );
    // It was the worker's shaper: its session's frames left there.
    let stats = bed.ctl("stats");
    assert!(
        field(&line(&stats, "workers 2"), "down_packets") > 0,
        "{stats}"
    );
    assert!(stats.contains("\npoliced "), "{stats}");
}
