//! The router's data path on two worker threads (`wan.workers = 2`): the
//! `router` dials our `bng`, and 16 TCP uploads and 16 downloads at
//! once between a LAN host and a server behind the bng, each move
//! their bytes intact through the router; `router status` shows both
//! workers carried traffic (the WAN fanout and the multiqueue TUN spread
//! the flows). Then the bng is frozen (SIGSTOP) until the router's LCP
//! echoes fail and it hangs up; thawed, it takes the PADT and the redial
//! gets a new session id, over which the flows run again.
//!
//! ```text
//!  lan [eth0] ── [lan0] cpe: router [wan0] ── [acc0] isp: bng [isp0] ── [net0] net: server
//! ```
//!
//! Needs root (skips through `testbed::skip` otherwise).

mod router_support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use router_support::{Router, bng_for_alice, lan_cpe_isp_net, write_config};
use testbed::Netns;

/// The server behind the bng.
const SERVER: &str = "203.0.113.2";
/// The LAN host (a static address; the router is 198.51.100.1).
const HOST: &str = "198.51.100.50";
/// Flows of each direction at once: with 16, all of one direction land on
/// one of the two workers with a chance of 2 in 65,536.
const FLOWS: usize = 16;
/// Bytes each flow moves.
const BYTES: usize = 1 << 20;

/// Flow `i`'s bytes: a pattern that differs per flow and per offset.
fn pattern(i: usize) -> Vec<u8> {
    (0..BYTES)
        .map(|k| (k.wrapping_mul(31) ^ (k >> 11) ^ i.wrapping_mul(97)) as u8)
        .collect()
}

/// Reads the whole stream; what arrived.
fn read_all(mut s: TcpStream) -> Vec<u8> {
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut got = Vec::with_capacity(BYTES);
    s.read_to_end(&mut got).expect("read");
    got
}

/// `FLOWS` uploads and `FLOWS` downloads at once between the LAN host and
/// the server; panics unless every flow's bytes arrived intact.
fn move_flows(lan: &Netns, net: &Netns) {
    let listener = net
        .enter(|| TcpListener::bind((SERVER, 0)))
        .unwrap()
        .unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    // The server: the first byte a client sends says upload (0) or
    // download (1) and which flow.
    let server = thread::spawn(move || {
        let mut handlers = Vec::new();
        for _ in 0..2 * FLOWS {
            let (mut s, _) = listener.accept().unwrap();
            handlers.push(thread::spawn(move || {
                let mut hello = [0u8; 2];
                s.read_exact(&mut hello).unwrap();
                let i = usize::from(hello[1]);
                if hello[0] == 0 {
                    let got = read_all(s);
                    assert_eq!(got.len(), BYTES, "upload {i}: bytes");
                    assert!(got == pattern(i), "upload {i}: corrupted");
                } else {
                    s.write_all(&pattern(i)).unwrap();
                }
            }));
        }
        for h in handlers {
            h.join().unwrap();
        }
    });
    let mut clients = Vec::new();
    for dir in 0..2u8 {
        for i in 0..FLOWS {
            let lan = lan.clone();
            clients.push(thread::spawn(move || {
                let mut s = lan
                    .enter(move || TcpStream::connect_timeout(&addr, Duration::from_secs(5)))
                    .unwrap()
                    .unwrap_or_else(|e| panic!("flow {dir}/{i}: connect: {e}"));
                s.write_all(&[dir, i as u8]).unwrap();
                if dir == 0 {
                    s.write_all(&pattern(i)).unwrap();
                    s.shutdown(std::net::Shutdown::Write).unwrap();
                } else {
                    let got = read_all(s);
                    assert_eq!(got.len(), BYTES, "download {i}: bytes");
                    assert!(got == pattern(i), "download {i}: corrupted");
                }
            }));
        }
    }
    for c in clients {
        c.join().expect("a client flow failed");
    }
    server.join().expect("a server flow failed");
}

/// Each worker's (rx bytes, tx bytes) from `router status`.
fn worker_bytes(status: &str) -> Vec<(u64, u64)> {
    status
        .lines()
        .filter(|l| l.starts_with("worker "))
        .map(|l| {
            let n = |after: &str| -> u64 {
                let rest = l.split(after).nth(1).unwrap();
                let bytes = rest.split(" bytes").next().unwrap();
                bytes.rsplit(' ').next().unwrap().parse().unwrap()
            };
            (n(": rx "), n(", tx "))
        })
        .collect()
}

/// The `rx_dropped` figures of `router status`: the total's, then each
/// worker's.
fn rx_dropped(status: &str) -> Vec<u64> {
    status
        .lines()
        .filter(|l| l.starts_with("counters: ") || l.starts_with("worker "))
        .filter_map(|l| l.split(", rx_dropped ").nth(1)?.parse().ok())
        .collect()
}

#[test]
fn two_workers_carry_parallel_flows_and_survive_a_redial() {
    let Some((tb, [lan, cpe, isp, net])) = lan_cpe_isp_net("rq-workers", SERVER) else {
        return;
    };
    tb.addr(&lan, "eth0", &format!("{HOST}/24")).unwrap();
    tb.ip(&lan, &["link", "set", "eth0", "up"]).unwrap();
    tb.ip(&lan, &["route", "add", "default", "via", "198.51.100.1"])
        .unwrap();

    let bng = bng_for_alice(&tb, &isp, "");
    let config = write_config(tb.dir(), "wan0", "lan0", "workers = 2\n");
    let mut router = Router::start(&tb, &cpe, &config);
    let status = router.wait_status(Duration::from_secs(30), |s| {
        s.contains("ipv4: 192.0.2.10") && s.contains("session: ")
    });
    assert!(
        router.log().contains("2 data path workers"),
        "{}",
        router.log()
    );
    let first_session = status
        .lines()
        .find_map(|l| l.strip_prefix("session: "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_owned();

    move_flows(&lan, &net);
    let status = router.status().unwrap();
    eprintln!("{status}");
    let per_worker = worker_bytes(&status);
    assert_eq!(per_worker.len(), 2, "{status}");
    // Uploads go out through the TUN queue of their flow's worker,
    // downloads come in through its socket of the fanout group: with
    // 2 × FLOWS flows hashed over two workers, each carries several.
    for (i, (rx, tx)) in per_worker.iter().enumerate() {
        assert!(
            *rx > BYTES as u64 && *tx > BYTES as u64,
            "worker {i} carried too little: {status}"
        );
    }
    let (rx, tx) = per_worker
        .iter()
        .fold((0, 0), |(a, b), (r, t)| (a + r, b + t));
    assert!(rx >= (FLOWS * BYTES) as u64 && tx >= (FLOWS * BYTES) as u64);
    // The fanout sockets' 4 MiB receive buffers held every downstream
    // frame: the kernel dropped none (each worker reads its count once a
    // second; the total sums them).
    thread::sleep(Duration::from_millis(1500));
    let status = router.status().unwrap();
    assert_eq!(rx_dropped(&status), vec![0, 0, 0], "{status}");

    // The bng freezes: the router's echoes (every 2 s, 3 may fail) go
    // unanswered, it hangs up and redials. Thawed, the bng takes the
    // hang-up and gives the new dial the next session id.
    bng.signal(nix::sys::signal::Signal::SIGSTOP).unwrap();
    router.wait_status(Duration::from_secs(20), |s| s.contains("dials: 2"));
    bng.signal(nix::sys::signal::Signal::SIGCONT).unwrap();
    let status = router.wait_status(Duration::from_secs(40), |s| {
        s.contains("wan: up")
            && s.contains("ipv4: 192.0.2.")
            && !s.contains(&format!("session: {first_session} "))
    });
    eprintln!("{status}");
    move_flows(&lan, &net);
    let after = worker_bytes(&router.status().unwrap());
    let moved: u64 = after.iter().map(|(r, t)| r + t).sum::<u64>() - (rx + tx);
    assert!(moved >= (2 * FLOWS * BYTES) as u64, "{after:?}");
    router.stop_cleanly(Duration::from_secs(8));
}
