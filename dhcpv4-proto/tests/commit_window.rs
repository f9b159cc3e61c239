//! The driver's group-commit window on real sockets, in a namespace of its
//! own (loopback only): REQUESTs arriving within the window share one lease
//! write, no ACK leaves before the write that holds its lease returned, an
//! ACK alone waits about the window (not for the next datagram), a batch
//! already large is written at once, and `dhcpv4d` refuses a window past
//! the driver's cap.

mod common;

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dhcpv4_proto::driver::{Dhcpv4ServerDriver, MAX_COMMIT_WINDOW, WINDOW_SKIP};
use dhcpv4_proto::lease::{Lease, LeaseStore};
use dhcpv4_proto::server::{Dhcpv4PoolConfig, Dhcpv4Server, Dhcpv4ServerConfig};
use dhcpv4_proto::wire::{DhcpOption, Message, MessageType, Op};
use sansio_primitives::StdClock;
use socket2::{Domain, Protocol, Socket, Type};
use testbed::Testbed;

const SERVER: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 1);
/// The relay the requests come through: replies go to its port 67.
const RELAY: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

/// Each write: when it returned and the addresses it held.
type Writes = Arc<Mutex<Vec<(Instant, Vec<Ipv4Addr>)>>>;

/// A store that records its writes, each taking `delay` (a slow disk).
struct Recording {
    writes: Writes,
    delay: Duration,
}

impl LeaseStore for Recording {
    type Error = std::io::Error;
    fn load(&mut self) -> std::io::Result<Vec<Lease>> {
        Ok(Vec::new())
    }
    fn persist(&mut self, changes: &[Lease]) -> std::io::Result<()> {
        std::thread::sleep(self.delay);
        let held = changes.iter().map(|l| l.address).collect();
        self.writes.lock().unwrap().push((Instant::now(), held));
        Ok(())
    }
}

/// An INIT-REBOOT REQUEST of client `i` for 127.0.0.(10 + i), relayed.
fn request(i: u8) -> Vec<u8> {
    let mut m = Message::new(
        Op::BootRequest,
        MessageType::Request,
        0x2000 + u32::from(i),
        [2, 0, 0, 0, 2, i],
    );
    m.giaddr = RELAY;
    m.hops = 1;
    m.options.push(DhcpOption::RequestedIpAddress(Ipv4Addr::new(
        127,
        0,
        0,
        10 + i,
    )));
    m.to_vec()
}

/// What one run saw: each ACK's address and arrival, the writes, and when
/// the first REQUEST was sent.
struct Run {
    acks: Vec<(Ipv4Addr, Instant)>,
    writes: Vec<(Instant, Vec<Ipv4Addr>)>,
    first_sent: Instant,
}

/// Runs the driver (inline writes or not, with `window`, writes taking
/// `delay`) for `run_for` while a relay sends `n` REQUESTs `gap` apart
/// (all queued before the driver starts when `gap` is `None`).
fn run(
    window: Duration,
    inline: bool,
    delay: Duration,
    n: u8,
    gap: Option<Duration>,
    run_for: Duration,
) -> Option<Run> {
    let mut tb = Testbed::new("dhcpv4-commit-window")?;
    let ns = tb.namespace("driver").unwrap();
    let run = ns
        .enter(|| {
            let s = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)).unwrap();
            s.set_recv_buffer_size(1 << 20).unwrap();
            s.bind(&SocketAddr::from((SERVER, 67)).into()).unwrap();
            s.set_nonblocking(true).unwrap();
            let relay = UdpSocket::bind((RELAY, 67)).unwrap();
            relay
                .set_read_timeout(Some(Duration::from_millis(20)))
                .unwrap();
            let first_sent = Instant::now();
            if gap.is_none() {
                for i in 0..n {
                    relay.send_to(&request(i), (SERVER, 67)).unwrap();
                }
            }
            let sender = relay.try_clone().unwrap();
            let send = std::thread::spawn(move || {
                let start = Instant::now();
                if let Some(gap) = gap {
                    for i in 0..n {
                        sender.send_to(&request(i), (SERVER, 67)).unwrap();
                        std::thread::sleep(gap);
                    }
                }
                start
            });
            let listen = std::thread::spawn(move || {
                let mut acks = Vec::new();
                let mut buf = [0u8; 1600];
                let end = Instant::now() + run_for + Duration::from_millis(100);
                while Instant::now() < end {
                    if let Ok(len) = relay.recv(&mut buf) {
                        let at = Instant::now();
                        let m = Message::parse(&buf[..len]).unwrap();
                        assert_eq!(m.message_type, MessageType::Ack, "{m:?}");
                        acks.push((m.yiaddr, at));
                    }
                }
                acks
            });
            let writes = Writes::default();
            let store = Recording {
                writes: writes.clone(),
                delay,
            };
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let clock = StdClock::new();
                let pool = Dhcpv4PoolConfig::new(
                    1,
                    Ipv4Addr::new(127, 0, 0, 0),
                    24,
                    Ipv4Addr::new(127, 0, 0, 10),
                    Ipv4Addr::new(127, 0, 0, 250),
                    None,
                );
                let server =
                    Dhcpv4Server::new(Dhcpv4ServerConfig::new(SERVER, vec![pool]), clock.now())
                        .unwrap();
                let sock = tokio::net::UdpSocket::from_std(s.into()).unwrap();
                let mut d = Dhcpv4ServerDriver::new(sock, 1, server, store, clock);
                d.set_inline_writes(inline);
                d.set_commit_window(window);
                let _ = tokio::time::timeout(run_for, async {
                    loop {
                        d.step().await.unwrap();
                    }
                })
                .await;
            });
            let started = send.join().unwrap();
            let writes = writes.lock().unwrap().clone();
            Run {
                acks: listen.join().unwrap(),
                writes,
                first_sent: match gap {
                    Some(_) => started,
                    None => first_sent,
                },
            }
        })
        .unwrap();
    Some(run)
}

#[test]
fn requests_within_the_window_share_one_write() {
    // 5 REQUESTs 2 ms apart, a 50 ms window: one write for the 5 (without
    // the window: 5 writes, each ACK as soon as its lease is written).
    for inline in [true, false] {
        let Some(r) = run(
            Duration::from_millis(50),
            inline,
            Duration::ZERO,
            5,
            Some(Duration::from_millis(2)),
            Duration::from_millis(300),
        ) else {
            return;
        };
        assert_eq!(r.acks.len(), 5, "inline {inline}: {:?}", r.acks);
        let sizes: Vec<usize> = r.writes.iter().map(|(_, w)| w.len()).collect();
        assert_eq!(sizes, [5], "inline {inline}: writes of {sizes:?} leases");
    }
}

#[test]
fn no_ack_leaves_before_the_write_that_holds_its_lease() {
    // Writes take 30 ms (a slow disk), 6 REQUESTs 5 ms apart, a 10 ms
    // window: several groups, each ACK after its own group's write.
    for inline in [true, false] {
        let Some(r) = run(
            Duration::from_millis(10),
            inline,
            Duration::from_millis(30),
            6,
            Some(Duration::from_millis(5)),
            Duration::from_millis(400),
        ) else {
            return;
        };
        assert_eq!(r.acks.len(), 6, "inline {inline}: {:?}", r.acks);
        for (address, at) in &r.acks {
            let written = r
                .writes
                .iter()
                .find(|(_, w)| w.contains(address))
                .unwrap_or_else(|| panic!("ACK for {address} never written"))
                .0;
            assert!(
                *at >= written,
                "inline {inline}: the ACK for {address} arrived {:?} before its write returned",
                written - *at
            );
        }
    }
}

#[test]
fn an_ack_alone_waits_about_the_window_and_no_more() {
    // No datagram follows: the timer, not the next arrival, ends the window.
    let window = Duration::from_millis(40);
    let Some(r) = run(
        window,
        true,
        Duration::ZERO,
        1,
        None,
        Duration::from_millis(500),
    ) else {
        return;
    };
    assert_eq!(r.acks.len(), 1, "{:?}", r.acks);
    let waited = r.acks[0].1 - r.first_sent;
    // Slack for a loaded machine (and tokio's millisecond timer).
    assert!(
        waited >= window && waited < window + Duration::from_millis(150),
        "the ACK came {waited:?} after its REQUEST (window {window:?})"
    );
}

#[test]
fn a_large_batch_is_written_without_waiting() {
    // WINDOW_SKIP REQUESTs queued at once, the longest window: written and
    // ACKed at once, well before the window would have ended.
    let n = u8::try_from(WINDOW_SKIP).unwrap();
    let Some(r) = run(
        MAX_COMMIT_WINDOW,
        true,
        Duration::ZERO,
        n,
        None,
        Duration::from_millis(400),
    ) else {
        return;
    };
    assert_eq!(r.acks.len(), WINDOW_SKIP);
    assert_eq!(r.writes.len(), 1, "{:?}", r.writes);
    let last = r
        .acks
        .iter()
        .map(|(_, at)| *at - r.first_sent)
        .max()
        .unwrap();
    assert!(
        last < MAX_COMMIT_WINDOW * 3 / 4,
        "the last ACK came {last:?} after the REQUESTs (window {MAX_COMMIT_WINDOW:?})"
    );
}

#[test]
fn dhcpv4d_refuses_a_window_past_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("dhcpv4d.toml");
    let too_long = MAX_COMMIT_WINDOW.as_micros() + 1;
    std::fs::write(
        &conf,
        format!(
            "interface = \"dw-nonexistent\"\nserver_id = \"192.0.2.1\"\nlease_file = \"{}\"\ncommit_window_us = {too_long}\n\n[pool]\nnetwork = \"192.0.2.0\"\nprefix_len = 24\nrange = [\"192.0.2.10\", \"192.0.2.20\"]\n",
            dir.path().join("leases").display()
        ),
    )
    .unwrap();
    let out = std::process::Command::new(common::daemon())
        .arg(&conf)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "started: {err}");
    assert!(
        err.contains(&format!("commit_window_us = {too_long}: at most 100000")),
        "{err}"
    );
    // Refused before anything else: the lease file is not even opened (nor
    // the interface, which does not exist).
    assert!(!dir.path().join("leases").exists());
}
