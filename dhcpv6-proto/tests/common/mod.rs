//! Shared by the namespace tests: a blocking std-socket driver for each
//! machine, run on its own thread (the crate has no I/O of its own).
#![allow(dead_code)] // each test file uses part of it

use std::net::{SocketAddr, SocketAddrV6, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use dhcpv6_proto::client::{Dhcpv6Client, Dhcpv6ClientDestination, Dhcpv6ClientEvent};
use dhcpv6_proto::server::{Dhcpv6Server, Dhcpv6ServerEvent, Dhcpv6ServerSource};
use dhcpv6_proto::store::MemoryBindingStore;
use dhcpv6_proto::wire::ALL_DHCP_RELAY_AGENTS_AND_SERVERS;
use sansio_primitives::{Instant, StdClock};
use testbed::{Netns, Testbed};

/// The interface index of `ifname` in `ns`.
pub fn ifindex(tb: &Testbed, ns: &Netns, ifname: &str) -> u32 {
    let out = tb
        .exec(
            ns,
            &["ip", "-o", "link", "show", ifname],
            Duration::from_secs(5),
        )
        .unwrap();
    out.split(':').next().unwrap().trim().parse().unwrap()
}

/// Waits until `ifname` has a link-local address that is no longer
/// tentative (DAD done), so sockets can use it.
pub fn wait_link_local(tb: &Testbed, ns: &Netns, ifname: &str) {
    for _ in 0..100 {
        let out = tb
            .exec(
                ns,
                &["ip", "-6", "addr", "show", "dev", ifname, "scope", "link"],
                Duration::from_secs(5),
            )
            .unwrap();
        if out.contains("fe80") && !out.contains("tentative") {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("no usable link-local address on {ifname}");
}

fn wait_timeout(sock: &UdpSocket, clock: &StdClock, next: Option<Instant>) {
    let now = clock.now();
    let d = next
        .map(|t| Duration::from_nanos(t.saturating_duration_since(now).as_nanos() as u64))
        .unwrap_or(Duration::from_millis(100))
        .clamp(Duration::from_millis(1), Duration::from_millis(100));
    sock.set_read_timeout(Some(d)).unwrap();
}

/// A running machine: its events so far, stopped on drop.
pub struct Driver<E> {
    pub events: Arc<Mutex<Vec<E>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl<E> Driver<E> {
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

impl<E> Drop for Driver<E> {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Serves on `[::]:547` in `ns`, joined to ff02::1:2 on `ifname`.
pub fn run_server(
    tb: &Testbed,
    ns: &Netns,
    ifname: &str,
    mut server: Dhcpv6Server,
) -> Driver<Dhcpv6ServerEvent> {
    let idx = ifindex(tb, ns, ifname);
    let sock = ns
        .enter(|| {
            let s = UdpSocket::bind("[::]:547").unwrap();
            s.join_multicast_v6(&ALL_DHCP_RELAY_AGENTS_AND_SERVERS, idx)
                .unwrap();
            s
        })
        .unwrap();
    let events = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let (ev, st) = (events.clone(), stop.clone());
    let thread = std::thread::spawn(move || {
        let clock = StdClock::new();
        let mut store = MemoryBindingStore::default();
        let mut buf = [0u8; 2048];
        while !st.load(Ordering::SeqCst) {
            wait_timeout(&sock, &clock, server.poll_timeout());
            if let Ok((n, SocketAddr::V6(from))) = sock.recv_from(&mut buf) {
                let mut src = Dhcpv6ServerSource::new(*from.ip(), from.scope_id());
                src.port = from.port();
                let _ = server.handle_input(clock.now(), src, &buf[..n]);
            }
            server.handle_timeout(clock.now());
            server.commit_to(&mut store).unwrap();
            while let Some(t) = server.poll_transmit(clock.now()) {
                let d = t.destination;
                let to = SocketAddrV6::new(d.address, d.port, 0, d.interface);
                let _ = sock.send_to(&t.payload, to);
            }
            while let Some(e) = server.poll_event() {
                ev.lock().unwrap().push(e);
            }
        }
    });
    Driver {
        events,
        stop,
        thread: Some(thread),
    }
}

/// Commands for the client thread.
pub enum ClientCommand {
    Release,
    Restart,
}

/// Runs the client on `[::]:546` in `ns`, sending on `ifname`.
pub fn run_client(
    tb: &Testbed,
    ns: &Netns,
    ifname: &str,
    make: impl FnOnce(Instant) -> Dhcpv6Client + Send + 'static,
) -> (
    Driver<Dhcpv6ClientEvent>,
    std::sync::mpsc::Sender<ClientCommand>,
) {
    let idx = ifindex(tb, ns, ifname);
    let sock = ns.enter(|| UdpSocket::bind("[::]:546").unwrap()).unwrap();
    let events = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let (ev, st) = (events.clone(), stop.clone());
    let (tx, rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let clock = StdClock::new();
        let mut client = make(clock.now());
        let mut buf = [0u8; 2048];
        while !st.load(Ordering::SeqCst) {
            match rx.try_recv() {
                Ok(ClientCommand::Release) => {
                    let _ = client.release(clock.now());
                }
                Ok(ClientCommand::Restart) => client.restart(clock.now()),
                Err(_) => {}
            }
            while let Some(t) = client.poll_transmit(clock.now()) {
                let to = match t.destination {
                    Dhcpv6ClientDestination::AllServers => {
                        SocketAddrV6::new(ALL_DHCP_RELAY_AGENTS_AND_SERVERS, 547, 0, idx)
                    }
                    Dhcpv6ClientDestination::Unicast(a) => SocketAddrV6::new(a, 547, 0, 0),
                };
                let _ = sock.send_to(&t.payload, to);
            }
            while let Some(e) = client.poll_event() {
                ev.lock().unwrap().push(e);
            }
            wait_timeout(&sock, &clock, client.poll_timeout());
            if let Ok((n, _)) = sock.recv_from(&mut buf) {
                let _ = client.handle_input(clock.now(), &buf[..n]);
            }
            client.handle_timeout(clock.now());
        }
    });
    (
        Driver {
            events,
            stop,
            thread: Some(thread),
        },
        tx,
    )
}

/// Waits until `f` holds, up to `timeout`; on timeout panics with `dump()`.
pub fn wait(timeout: Duration, what: &str, dump: impl Fn() -> String, mut f: impl FnMut() -> bool) {
    let end = std::time::Instant::now() + timeout;
    while !f() {
        assert!(
            std::time::Instant::now() < end,
            "timed out waiting for {what}\n{}",
            dump()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
