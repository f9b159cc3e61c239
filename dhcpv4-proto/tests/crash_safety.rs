//! Crash safety of the `dhcpv4d` example: while our clients request leases
//! as fast as they can, the server is killed with SIGKILL at random moments
//! (25 times) and restarted on the same lease file. Afterwards every lease a
//! client saw ACKed must be in the store, for that client, and no address
//! may ever have been ACKed to two clients.
//!
//! "In the store" includes the expiry: a record older than the ACK the
//! client saw (a lost extension) fails too. What SIGKILL can show is the
//! order of reply and write: an ACK sent before its lease reaches the file
//! (a deliberately broken daemon that persists 50 ms after replying fails
//! here at once). It cannot show fsync itself, since the page cache survives
//! SIGKILL; that ordering is the `Dhcpv4Server::commit` contract, tested in
//! `tests/server.rs`.
//!
//! The same holds with `fsync_leases = false` (written, not fsynced, before
//! the ACK): what that option gives up is only the power-loss case; and
//! with the group-commit window at its default (1 ms), long (20 ms) and
//! off (`commit_window_us`).
//!
//! Needs root; without it the test prints `SKIP` (and fails under CI).

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::time::{Duration as StdDuration, Instant as StdInstant};

use dhcpv4_proto::client::{
    Dhcpv4Client, Dhcpv4ClientConfig, Dhcpv4ClientDestination, Dhcpv4ClientEvent,
};
use dhcpv4_proto::file_store::FileStore;
use dhcpv4_proto::lease::{LeaseState, LeaseStore};
use dhcpv4_proto::wire::{Message, MessageType};
use nix::sys::signal::Signal;
use sansio_primitives::{SeededRng, StdClock};
use socket2::{Domain, Protocol, Socket, Type};
mod common;

use common::daemon;
use testbed::{Netns, Process, Testbed};

const KILLS: usize = 25;
const LEASE_SECS: u64 = 3600;
const CLIENTS: usize = 32;
const MAX_MACS: u16 = 180;

fn client_socket(ns: &Netns) -> io::Result<UdpSocket> {
    ns.enter(|| -> io::Result<UdpSocket> {
        let s = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
        s.set_reuse_address(true)?;
        s.set_broadcast(true)?;
        s.bind_device(Some(b"cli0"))?;
        s.bind(&SocketAddr::from((Ipv4Addr::UNSPECIFIED, 68)).into())?;
        Ok(s.into())
    })?
}

/// The daemon's lease clock: time since the UNIX epoch.
fn wall_now() -> sansio_primitives::Instant {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    sansio_primitives::Instant::ZERO + d
}

fn mac(n: u16) -> [u8; 6] {
    let b = n.to_be_bytes();
    [2, 0, 0, 0x77, b[0], b[1]]
}

/// One simulated client: its MAC number, machine, when it started, when
/// it will ask again (after a bind), and when it last sent a REQUEST (on
/// the daemon's lease clock).
struct Slot {
    n: u16,
    c: Dhcpv4Client,
    started: StdInstant,
    again_at: Option<StdInstant>,
    requested_at: sansio_primitives::Instant,
}

struct Load {
    clients: Vec<Slot>,
    next_mac: u16,
    rng: SeededRng,
    /// Every ACK a client saw, in order: (mac number, address, when the
    /// REQUEST it answers was sent, on the daemon's lease clock).
    acks: Vec<(u16, Ipv4Addr, sansio_primitives::Instant)>,
}

impl Load {
    fn start(&mut self, n: u16, now: sansio_primitives::Instant) -> Slot {
        let seed = u64::from(self.rng.below(u32::MAX));
        Slot {
            n,
            c: Dhcpv4Client::new(
                Dhcpv4ClientConfig::new(mac(n)),
                SeededRng::from_u64(seed),
                now,
            )
            .unwrap(),
            started: StdInstant::now(),
            again_at: None,
            requested_at: sansio_primitives::Instant::MAX,
        }
    }

    fn step(&mut self, sock: &UdpSocket, clock: &StdClock) {
        let mut buf = [0u8; 1500];
        for i in 0..self.clients.len() {
            let mut rebirth = None;
            {
                let Slot {
                    n, c, requested_at, ..
                } = &mut self.clients[i];
                while let Some(t) = c.poll_transmit(clock.now()) {
                    if Message::parse(&t.payload)
                        .is_ok_and(|m| m.message_type == MessageType::Request)
                    {
                        *requested_at = wall_now();
                    }
                    let to = match t.destination {
                        Dhcpv4ClientDestination::Broadcast => {
                            SocketAddrV4::new(Ipv4Addr::BROADCAST, 67)
                        }
                        Dhcpv4ClientDestination::Unicast(a) => SocketAddrV4::new(a, 67),
                    };
                    let _ = sock.send_to(&t.payload, to);
                }
                while let Some(e) = c.poll_event() {
                    if let Dhcpv4ClientEvent::Bound(b) | Dhcpv4ClientEvent::Renewed(b) = e {
                        self.acks.push((*n, b.address, *requested_at));
                        rebirth = Some(*n);
                    }
                }
            }
            // A bound client asks again after a pause of 50-250 ms (so two
            // ACKs of one client are far enough apart for the expiry check).
            if rebirth.is_some() {
                let pause = StdDuration::from_millis(50 + u64::from(self.rng.below(200)));
                self.clients[i].again_at = Some(StdInstant::now() + pause);
            }
            let slot = &self.clients[i];
            let due = slot.again_at.is_some_and(|t| StdInstant::now() >= t);
            let stuck =
                slot.again_at.is_none() && slot.started.elapsed() > StdDuration::from_millis(400);
            if due || stuck {
                let n = slot.n;
                // Half the time the same client asks again, else a new one.
                let n = if self.rng.below(2) == 0 && self.next_mac < MAX_MACS {
                    self.next_mac += 1;
                    self.next_mac
                } else {
                    n
                };
                self.clients[i] = self.start(n, clock.now());
            }
        }
        sock.set_read_timeout(Some(StdDuration::from_millis(2)))
            .unwrap();
        while let Ok((len, _)) = sock.recv_from(&mut buf) {
            for Slot { c, .. } in &mut self.clients {
                let _ = c.handle_input(clock.now(), &buf[..len]);
            }
        }
        for Slot { c, .. } in &mut self.clients {
            c.handle_timeout(clock.now());
        }
    }
}

/// Every ACK seen is in the store for its client, with an expiry at least
/// as late as that ACK granted (so a lost extension is caught too), the
/// last one of each client is Bound, and no address was ACKed to two
/// clients. Returns the number of addresses and of clients.
fn check(
    acks: &[(u16, Ipv4Addr, sansio_primitives::Instant)],
    lease_file: &std::path::Path,
) -> (usize, usize) {
    let (mut store, _) = FileStore::open(lease_file).unwrap();
    let stored: BTreeMap<Ipv4Addr, _> = store
        .load()
        .unwrap()
        .into_iter()
        .map(|l| (l.address, l))
        .collect();
    let mut owners: BTreeMap<Ipv4Addr, BTreeSet<u16>> = BTreeMap::new();
    let mut last: BTreeMap<u16, Ipv4Addr> = BTreeMap::new();
    for &(n, a, at) in acks {
        owners.entry(a).or_default().insert(n);
        last.insert(n, a);
        let key = [&[1u8][..], &mac(n)].concat();
        let l = stored
            .get(&a)
            .unwrap_or_else(|| panic!("ACKed {a} to client {n} is not in the store"));
        assert_eq!(
            l.client, key,
            "{a} was ACKed to client {n}; the store says {l:?}"
        );
        // The ACK granted LEASE_SECS from a moment after its REQUEST left;
        // an older expiry in the store means this extension was lost.
        let granted = at + sansio_primitives::Duration::from_secs(LEASE_SECS);
        if l.state == LeaseState::Bound {
            assert!(
                l.expires >= granted,
                "{a}: ACK to client {n} granted until ~{granted:?}, the store has {:?}",
                l.expires
            );
        }
    }
    for (a, o) in &owners {
        assert_eq!(o.len(), 1, "{a} ACKed to clients {o:?}");
    }
    for (n, a) in &last {
        assert_eq!(
            stored[a].state,
            LeaseState::Bound,
            "client {n}'s lease on {a}"
        );
    }
    (owners.len(), last.len())
}

fn start_server(tb: &Testbed, srv: &Netns, conf: &str) -> Process {
    let p = tb.spawn(srv, &[daemon().to_str().unwrap(), conf]).unwrap();
    let end = StdInstant::now() + StdDuration::from_secs(10);
    while !p.output().0.contains("ready on") {
        assert!(
            StdInstant::now() < end,
            "server did not start: {:?}",
            p.output()
        );
        std::thread::sleep(StdDuration::from_millis(5));
    }
    p
}

#[test]
fn sigkill_never_loses_an_acked_lease_nor_doubles_an_address() {
    // dhcpv4d's default commit window: 1 ms.
    sigkill_loop("", 1000);
}

#[test]
fn sigkill_never_loses_an_acked_lease_without_fsync_either() {
    // Without the fsync there is nothing to share: no window by default.
    sigkill_loop("fsync_leases = false\n", 0);
}

#[test]
fn sigkill_never_loses_an_acked_lease_with_a_long_commit_window() {
    // The default window is 1 ms (the tests above); 20 ms groups more
    // ACKs per write and holds them longer, and still sends none before it.
    sigkill_loop("commit_window_us = 20000\n", 20_000);
}

#[test]
fn sigkill_never_loses_an_acked_lease_with_no_commit_window() {
    sigkill_loop("commit_window_us = 0\n", 0);
}

/// Kills and restarts the daemon ([`KILLS`] times) under load, with
/// `extra` in its configuration (which makes its commit window `window_us`),
/// checking the store after each kill.
fn sigkill_loop(extra: &str, window_us: u64) {
    let Some(mut tb) = Testbed::with_deadline("dhcpv4-crash", StdDuration::from_secs(240)) else {
        return;
    };
    let srv = tb.namespace("server").unwrap();
    let cli = tb.namespace("client").unwrap();
    tb.veth((&srv, "srv0"), (&cli, "cli0")).unwrap();
    tb.addr(&srv, "srv0", "192.0.2.1/24").unwrap();
    let dir = tb.dir().to_path_buf();
    let lease_file = dir.join("leases");
    let conf = dir.join("dhcpv4d.toml");
    std::fs::write(
        &conf,
        format!(
            "interface = \"srv0\"\nserver_id = \"192.0.2.1\"\nlease_file = \"{}\"\nlease_time = 3600\n{extra}\n[pool]\nnetwork = \"192.0.2.0\"\nprefix_len = 24\nrange = [\"192.0.2.10\", \"192.0.2.250\"]\nrouter = \"192.0.2.1\"\n",
            lease_file.display()
        ),
    )
    .unwrap();
    let conf = conf.to_str().unwrap().to_owned();
    let sock = client_socket(&cli).unwrap();
    let clock = StdClock::new();
    let mut load = Load {
        clients: Vec::new(),
        next_mac: 0,
        rng: SeededRng::from_u64(0xdead),
        acks: Vec::new(),
    };
    for _ in 0..CLIENTS {
        load.next_mac += 1;
        let c = load.start(load.next_mac, clock.now());
        load.clients.push(c);
    }
    let mut corrupt_reports = 0;
    for _ in 0..KILLS {
        let mut server = start_server(&tb, &srv, &conf);
        let ready = server.output().0;
        assert!(
            ready.contains(&format!("commit window {window_us} us")),
            "{ready}"
        );
        let run_for = StdDuration::from_millis(150 + u64::from(load.rng.below(450)));
        let end = StdInstant::now() + run_for;
        while StdInstant::now() < end {
            load.step(&sock, &clock);
        }
        server.signal(Signal::SIGKILL).unwrap();
        let _ = server.wait_timeout(StdDuration::from_secs(5));
        if server.output().1.contains("corrupt") {
            corrupt_reports += 1;
        }
        // Collect the ACKs already on the wire (the server is dead: no
        // more come), then check the store as the next start will see it.
        let settle = StdInstant::now() + StdDuration::from_millis(30);
        while StdInstant::now() < settle {
            load.step(&sock, &clock);
        }
        check(&load.acks, &lease_file);
    }
    let (mut store, report) = FileStore::open(&lease_file).unwrap();
    let stored: BTreeMap<Ipv4Addr, _> = store
        .load()
        .unwrap()
        .into_iter()
        .map(|l| (l.address, l))
        .collect();
    let (owners, last) = check(&load.acks, &lease_file);
    eprintln!(
        "{KILLS} SIGKILLs, {} ACKs seen by {} clients on {} addresses, {} records stored; corrupt tails reported on {corrupt_reports} restarts (final open: {} bad lines)",
        load.acks.len(),
        last,
        owners,
        stored.len(),
        report.bad_count
    );
    assert!(
        load.acks.len() >= 2 * KILLS,
        "too little load: {} ACKs",
        load.acks.len()
    );
}
