//! A worker driven by hand against a real TUN device and packet socket:
//! its shaper takes the published rate (a CoA), anti-spoofing counts, a
//! session published gone carries nothing more.

use super::upstream::Upstream;
use super::*;
use crate::bng::workers::Params;
use crate::bng::workers::handoff::mailboxes;
use crate::bng::workers::shared::Counters;
use crate::bng::workers::shared::Downstream;
use pppoe_link::PPP_IPV4;
use pppoe_proto::SessionFramer;
use pppoe_proto::wire::EthernetAddress;
use std::net::Ipv4Addr;
use std::sync::RwLock;
use std::sync::atomic::AtomicBool;

pub(super) const OURS: [u8; 6] = [2, 0, 0, 0, 0, 1];
pub(super) const HOST: [u8; 6] = [2, 0, 0, 0, 0, 2];
pub(super) const ADDR: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 10);

/// A session frame of session 7 from `HOST` with an IPv4 packet of
/// `len` bytes from `src`.
fn frame(src: Ipv4Addr, len: usize) -> Vec<u8> {
    let mut ip = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0];
    ip[2..4].copy_from_slice(&(len as u16).to_be_bytes());
    ip.extend_from_slice(&src.octets());
    ip.extend_from_slice(&[203, 0, 113, 2]);
    let c = sansio_primitives::checksum::checksum(&ip);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    ip.resize(len, 0x5a);
    let mut f = Vec::new();
    f.extend_from_slice(&OURS);
    f.extend_from_slice(&HOST);
    f.extend_from_slice(&0x8864u16.to_be_bytes());
    f.extend_from_slice(&[0x11, 0]);
    f.extend_from_slice(&7u16.to_be_bytes());
    f.extend_from_slice(&((len + 2) as u16).to_be_bytes());
    f.extend_from_slice(&PPP_IPV4.to_be_bytes());
    f.extend_from_slice(&ip);
    f
}

pub(super) fn params(up_kbps: Option<u32>) -> Params {
    Params {
        framer: SessionFramer::new(EthernetAddress(OURS), EthernetAddress(HOST), 7).with_mtu(1492),
        mac: HOST,
        ipv4: Some(ADDR),
        v6: None,
        up_kbps,
        down_kbps: None,
    }
}

/// What the workers share, with no session published.
pub(super) fn shared() -> Arc<Shared> {
    let clock = sansio_primitives::StdClock::new();
    Arc::new(Shared {
        table: RwLock::new(Table::default()),
        stop: AtomicBool::new(false),
        ipv6: false,
        down: Mutex::new(Downstream {
            local: Ipv4Addr::new(198, 51, 100, 1),
            ptb: None,
            icmp_limit: sansio_primitives::RateLimiter::new(
                crate::bng::mtu::ICMP_LIMIT,
                clock.now(),
            ),
            clock,
        }),
    })
}

/// Worker `index` of `workers` on `sock` and `tun`.
fn worker(sock: PacketSocket, tun: Tun, tx: mpsc::Sender<Vec<u8>>) -> Worker {
    let (inbox, outboxes) = mailboxes(1, 4).unwrap().pop().unwrap();
    let parts = Parts {
        sock,
        tun,
        index: 0,
        workers: 1,
        inbox,
        outboxes,
    };
    Worker::new(parts, shared(), Arc::default(), tx, Default::default())
}

/// What the worker billed to `c` so far.
fn billed(w: &mut Worker, c: &Counters) -> Traffic {
    w.up_gro.flush(&w.tun, &mut w.sessions, &mut w.stats);
    w.bill();
    let mut t = Traffic::default();
    c.take(&mut t);
    t
}

#[test]
fn the_published_rate_reaches_the_shaper_and_a_session_gone_carries_nothing() {
    let Some(mut tb) = testbed::Testbed::new("bngworkers-wk") else {
        return;
    };
    let a = tb.namespace("a").unwrap();
    let b = tb.namespace("b").unwrap();
    tb.veth((&a, "acc0"), (&b, "host0")).unwrap();
    let (sock, tun) = a
        .enter(|| {
            (
                PacketSocket::open("acc0", 0x8864).unwrap(),
                Tun::open("up0").unwrap(),
            )
        })
        .unwrap();
    tb.ip(&a, &["link", "set", "up0", "up"]).unwrap();
    let (tx, mut rx) = mpsc::channel(16);
    let mut w = worker(sock, tun, tx);
    let counters = Arc::new(Counters::default());
    // 8 kbit/s: the bucket (32 KiB) passes 32 packets of 1000 bytes.
    let mut table = Table::default();
    table.set(
        7,
        Some(Published {
            params: params(Some(8)),
            counters: Arc::clone(&counters),
        }),
    );
    w.reconcile(&table);
    for _ in 0..40 {
        let mut f = frame(ADDR, 1000);
        assert!(matches!(w.frame(&table, &mut f), Upstream::Done));
    }
    let t = billed(&mut w, &counters);
    assert_eq!((t.in_packets, t.in_octets), (32, 32_000));
    assert!(w.queued.contains(&7));
    // Another source: dropped, counted.
    let mut f = frame(Ipv4Addr::new(198, 51, 100, 99), 100);
    assert!(matches!(w.frame(&table, &mut f), Upstream::Done));
    assert_eq!(billed(&mut w, &counters).spoofed, 1);

    // A CoA raises the rate: the queue goes as the new rate allows (at
    // once here: 80 Mbit/s), in the next release.
    table.generation = 2;
    table.sessions.get_mut(&7).unwrap().params = params(Some(80_000));
    w.reconcile(&table);
    std::thread::sleep(Duration::from_millis(5));
    w.release();
    let t = billed(&mut w, &counters);
    assert_eq!((t.in_packets, t.in_octets), (8, 8_000));
    assert_eq!(w.sessions[&7].up.as_ref().map(Shaper::kbps), Some(80_000));

    // A CoA removes the limit: what waits goes at once.
    table.generation = 3;
    table.sessions.get_mut(&7).unwrap().params = params(Some(8));
    w.reconcile(&table);
    for _ in 0..40 {
        let mut f = frame(ADDR, 1000);
        w.frame(&table, &mut f);
    }
    let passed = billed(&mut w, &counters).in_packets;
    assert!(passed < 40, "{passed}");
    table.generation = 4;
    table.sessions.get_mut(&7).unwrap().params = params(None);
    w.reconcile(&table);
    assert_eq!(billed(&mut w, &counters).in_packets, 40 - passed);
    assert!(w.sessions[&7].up.is_none());
    assert_eq!(w.backlog.next(), None);

    // Gone: its frames are the control plane's (which drops them), its
    // queue and state are forgotten.
    table.generation = 5;
    table.sessions.get_mut(&7).unwrap().params = params(Some(8));
    w.reconcile(&table);
    for _ in 0..40 {
        let mut f = frame(ADDR, 1000);
        w.frame(&table, &mut f);
    }
    let _ = billed(&mut w, &counters);
    table.generation = 6;
    table.sessions.clear();
    w.reconcile(&table);
    assert!(w.sessions.is_empty() && w.queued.is_empty());
    // Its queue's time wakes the worker no more.
    assert_eq!(w.backlog.next(), None);
    std::thread::sleep(Duration::from_millis(5));
    w.release();
    let mut f = frame(ADDR, 1000);
    assert!(matches!(w.frame(&table, &mut f), Upstream::ToControl));
    assert_eq!(billed(&mut w, &counters).in_packets, 0);
    assert!(rx.try_recv().is_err(), "frame() itself hands nothing over");
}
