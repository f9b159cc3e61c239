//! The bng's per-session speed limits, measured with TCP: a minimal PPPoE
//! client (our ClientLink between an AF_PACKET socket and a TUN device in
//! the client namespace) carries iperf3 from the client to a host behind
//! the bng and back; user `bob` is limited to 1000 kbit/s up and 2000
//! kbit/s down, and each measured rate must be within 15 % of its limit.

mod bng_support;
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bng_support::{Bed, NET};
use ppp_proto::{PppConfig, PppEvent};
use pppoe_link::{ClientLink, ClientLinkEvent, PPP_IPV4};
use pppoe_proto::PppoeClientConfig;
use pppoe_proto::wire::EthernetAddress;
use router_bin::afpacket::ETH_P_ALL;
use router_bin::aio::{AsyncPacketSocket, AsyncTun};
use sansio_primitives::{SeededRng, StdClock};

/// Runs the client until `stop`; reports IPCP up through `up`.
async fn client(
    sock: AsyncPacketSocket,
    tun: AsyncTun,
    stop: Arc<AtomicBool>,
    up: std::sync::mpsc::Sender<()>,
) {
    let clock = StdClock::new();
    let pppoe = PppoeClientConfig::new(EthernetAddress(sock.mac()));
    let mut link = ClientLink::new(
        pppoe,
        PppConfig::peer(b"bob", b"builder"),
        SeededRng::from_u64(77),
        clock.now(),
    )
    .unwrap();
    let (mut rx, mut tx, mut out) = (vec![0u8; 2048], vec![0u8; 65536], vec![0u8; 2048]);
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    while !stop.load(Ordering::Relaxed) {
        while let Some(f) = link.poll_transmit(clock.now()) {
            let _ = sock.send(&f);
        }
        while let Some(e) = link.poll_event() {
            if matches!(e, ClientLinkEvent::Ppp(PppEvent::Ipv4Up { .. })) {
                let _ = up.send(());
            }
        }
        let next = link
            .poll_timeout()
            .and_then(|t| clock.to_std(t))
            .map_or_else(
                || tokio::time::Instant::now() + Duration::from_secs(1),
                tokio::time::Instant::from_std,
            );
        tokio::select! {
            r = sock.recv(&mut rx) => {
                let Ok(n) = r else { continue };
                if let Ok(Some(range)) = link.handle_input(clock.now(), &rx[..n]) {
                    let p = &rx[range];
                    if u16::from_be_bytes([p[0], p[1]]) == PPP_IPV4 {
                        let _ = tun.send(&p[2..]);
                    }
                }
            }
            r = tun.recv(&mut tx) => {
                let Ok(n) = r else { continue };
                if n > 0 && tx[0] >> 4 == 4
                    && let Ok(m) = link.encapsulate_data(PPP_IPV4, &tx[..n], &mut out)
                {
                    let _ = sock.send(&out[..m]);
                }
            }
            _ = tokio::time::sleep_until(next) => link.handle_timeout(clock.now()),
            _ = tick.tick() => {}
        }
    }
}

/// iperf3's receiver rate in kbit/s.
fn receiver_kbps(out: &str) -> f64 {
    let line = out
        .lines()
        .find(|l| l.contains("receiver"))
        .unwrap_or_else(|| panic!("no receiver line:\n{out}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    let i = words.iter().position(|w| *w == "Kbits/sec").unwrap();
    words[i - 1].parse().unwrap()
}

#[test]
fn tcp_reaches_the_speed_limits_within_15_percent() {
    let Some(bed) = Bed::start("bng-shaping", true, "") else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let handle = rt.handle().clone();
    let (sock, tun) = bed
        .client
        .enter(move || {
            let _g = handle.enter();
            (
                AsyncPacketSocket::open("wan0", ETH_P_ALL).unwrap(),
                AsyncTun::open("ppp0").unwrap(),
            )
        })
        .unwrap();
    for args in [
        &[
            "addr",
            "add",
            "192.0.2.77/32",
            "peer",
            "198.51.100.1",
            "dev",
            "ppp0",
        ][..],
        &["link", "set", "ppp0", "mtu", "1492", "up"],
        &["route", "add", "203.0.113.0/24", "dev", "ppp0"],
    ] {
        bed.tb.ip(&bed.client, args).unwrap();
    }
    let stop = Arc::new(AtomicBool::new(false));
    let (up_tx, up_rx) = std::sync::mpsc::channel();
    let runner = std::thread::spawn({
        let stop = Arc::clone(&stop);
        move || rt.block_on(client(sock, tun, stop, up_tx))
    });
    up_rx
        .recv_timeout(Duration::from_secs(15))
        .unwrap_or_else(|_| panic!("no IPCP\n{}", bed.log()));

    let mut server = bed
        .tb
        .spawn(&bed.internet, &["iperf3", "-s", "-B", "203.0.113.2"])
        .unwrap();
    bed.tb
        .wait_listening(&bed.internet, "203.0.113.2:5201", Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("iperf3 server: {e}\n{:?}", server.output()));
    let target = NET.to_string();
    let mut results = Vec::new();
    for (reverse, limit) in [(false, 1000.0), (true, 2000.0)] {
        let mut argv = vec!["iperf3", "-c", &target, "-t", "8", "-O", "2", "-f", "k"];
        if reverse {
            argv.push("-R");
        }
        let out = bed
            .tb
            .exec(&bed.client, &argv, Duration::from_secs(30))
            .unwrap_or_else(|e| panic!("iperf3: {e}\n{}", bed.log()));
        let kbps = receiver_kbps(&out);
        results.push((reverse, limit, kbps, out));
    }
    // Downstream, the kernel handed bng TCP super-packets (TUN offloads)
    // and bng cut them; the shaper still held the rate (below).
    let stats = bed.ctl("stats");
    let cut: u64 = stats
        .lines()
        .find_map(|l| l.strip_prefix("tun_gso_cut ")?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no tun_gso_cut in:\n{stats}"));
    assert!(cut > 0, "no super-packet from the TUN:\n{stats}");
    stop.store(true, Ordering::Relaxed);
    runner.join().unwrap();
    server.stop().unwrap();
    for (reverse, limit, kbps, out) in &results {
        let dir = if *reverse { "down" } else { "up" };
        eprintln!("{dir}: {kbps} kbit/s of {limit}");
        assert!(
            (kbps / limit - 1.0).abs() <= 0.15,
            "{dir}: {kbps} kbit/s, limit {limit}\n{out}"
        );
    }
}
