//! A worker's downstream driven by hand against a real TUN device and
//! packet socket: the session's frames leave intact and billed, its
//! shaper takes the published rate (a CoA), too-big packets are answered
//! or fragmented, a read for another worker's session is handed over
//! (bounded), and a session published gone is sent nothing more.

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::super::tests::{ADDR, HOST, params, shared};
use super::super::{Parts, Worker};
use crate::afpacket::PacketSocket;
use crate::batch::FrameBatch;
use crate::bng::datapath::HEADROOM;
use crate::bng::sessions::Traffic;
use crate::bng::workers::handoff::{Inbox, mailboxes};
use crate::bng::workers::shared::{Counters, Published, Table};
use crate::tun::Tun;

/// A TUN read (no offloads): an IPv4 UDP packet of `len` bytes to `dst`
/// behind the headroom, its payload bytes `mark`.
fn read(dst: Ipv4Addr, len: usize, df: bool, mark: u8) -> Vec<u8> {
    let mut ip = vec![
        0x45,
        0,
        0,
        0,
        0,
        0,
        if df { 0x40 } else { 0 },
        0,
        64,
        17,
        0,
        0,
    ];
    ip[2..4].copy_from_slice(&(len as u16).to_be_bytes());
    ip.extend_from_slice(&[203, 0, 113, 2]);
    ip.extend_from_slice(&dst.octets());
    let c = sansio_primitives::checksum::checksum(&ip);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    ip.resize(len, mark);
    let mut b = vec![0u8; HEADROOM];
    b.extend_from_slice(&ip);
    b
}

/// Worker `index` of `workers` (its mailbox of `mailboxes(workers, 2)`),
/// and the other inboxes.
fn worker(sock: PacketSocket, tun: Tun, index: usize, workers: usize) -> (Worker, Vec<Inbox>) {
    let mut all = mailboxes(workers, 2).unwrap();
    let (inbox, outboxes) = all.remove(index);
    let parts = Parts {
        sock,
        tun,
        index,
        workers,
        inbox,
        outboxes,
    };
    let (tx, _rx) = mpsc::channel(4);
    let w = Worker::new(parts, shared(), Arc::default(), tx, Default::default());
    (w, all.into_iter().map(|(i, _)| i).collect())
}

/// Feeds `read` to the worker as a read of its TUN queue.
fn feed(w: &mut Worker, table: &Table, mut read: Vec<u8>) {
    let n = read.len() - HEADROOM;
    w.down_read(table, &mut read, n, false);
}

/// What the worker sent and billed to `c` so far.
fn billed(w: &mut Worker, c: &Counters) -> Traffic {
    w.flush_tx();
    w.bill();
    let mut t = Traffic::default();
    c.take(&mut t);
    t
}

/// The IP packets of the session frames that reached `sock`.
fn received(sock: &PacketSocket) -> Vec<Vec<u8>> {
    std::thread::sleep(Duration::from_millis(100));
    let mut out = Vec::new();
    let mut batch = FrameBatch::standard();
    while sock.try_recv_batch(&mut batch).is_ok_and(|n| n > 0) {
        for f in batch.frames_mut() {
            assert_eq!(&f[..6], &HOST, "to the host");
            out.push(f[22..].to_vec());
        }
    }
    out
}

/// Session 7 behind a bed: the worker's socket on `acc0`, the host's on
/// `host0`, a TUN device `down0`.
fn bed(label: &str) -> Option<(testbed::Testbed, PacketSocket, PacketSocket, Tun)> {
    let mut tb = testbed::Testbed::new(label)?;
    let a = tb.namespace("a").unwrap();
    let b = tb.namespace("b").unwrap();
    tb.veth((&a, "acc0"), (&b, "host0")).unwrap();
    let (sock, tun) = a
        .enter(|| {
            (
                PacketSocket::open("acc0", 0x8864).unwrap(),
                Tun::open("down0").unwrap(),
            )
        })
        .unwrap();
    let host = b
        .enter(|| PacketSocket::open("host0", 0x8864).unwrap())
        .unwrap();
    host.set_nonblocking().unwrap();
    tb.ip(&a, &["link", "set", "down0", "up"]).unwrap();
    Some((tb, sock, host, tun))
}

#[test]
fn the_downstream_is_shaped_at_the_published_rate_and_billed_once_sent() {
    let Some((_tb, sock, host, tun)) = bed("dsw-down") else {
        return;
    };
    let (mut w, _) = worker(sock, tun, 0, 1);
    let counters = Arc::new(Counters::default());
    let session = |down_kbps| Published {
        params: crate::bng::workers::Params {
            down_kbps,
            ..params(None)
        },
        counters: Arc::clone(&counters),
    };
    let mut table = Table::default();
    // 8 kbit/s: the bucket (32 KiB) passes 32 packets of 1000 bytes.
    table.set(7, Some(session(Some(8))));
    w.reconcile(&table);
    for k in 0..40u8 {
        feed(&mut w, &table, read(ADDR, 1000, true, k));
    }
    let t = billed(&mut w, &counters);
    assert_eq!((t.out_packets, t.out_octets), (32, 32_000));
    assert!(w.queued.contains(&7));
    let got = received(&host);
    assert_eq!(got.len(), 32);
    for (k, p) in got.iter().enumerate() {
        assert_eq!(
            p[..],
            read(ADDR, 1000, true, k as u8)[HEADROOM..],
            "frame {k}"
        );
    }

    // A CoA raises the rate: the queue goes in the next release.
    table.set(7, Some(session(Some(80_000))));
    w.reconcile(&table);
    std::thread::sleep(Duration::from_millis(5));
    w.release();
    let t = billed(&mut w, &counters);
    assert_eq!((t.out_packets, t.out_octets), (8, 8_000));
    assert_eq!(received(&host).len(), 8);
    assert!(!w.queued.contains(&7));

    // Over the session's MTU (1492): DF answered, the rest fragmented.
    feed(&mut w, &table, read(ADDR, 1500, true, 1));
    feed(&mut w, &table, read(ADDR, 1500, false, 2));
    let t = billed(&mut w, &counters);
    assert_eq!((t.too_big, t.out_packets, t.out_octets), (1, 2, 1500 + 20));
    assert_eq!(w.stats.frag_needed_sent, 1);
    assert_eq!(received(&host).len(), 2);

    // The limit goes (a CoA with 0): what waits goes at once.
    table.set(7, Some(session(Some(8))));
    w.reconcile(&table);
    for k in 0..40u8 {
        feed(&mut w, &table, read(ADDR, 1000, true, k));
    }
    let passed = billed(&mut w, &counters).out_packets;
    assert!(passed < 40, "{passed}");
    table.set(7, Some(session(None)));
    w.reconcile(&table);
    assert_eq!(billed(&mut w, &counters).out_packets, 40 - passed);
    assert_eq!(received(&host).len(), 40);

    // Gone: its queue is forgotten, never sent nor billed, and what comes
    // for its address is no session's.
    table.set(7, Some(session(Some(8))));
    w.reconcile(&table);
    for k in 0..40u8 {
        feed(&mut w, &table, read(ADDR, 1000, true, k));
    }
    let _ = billed(&mut w, &counters);
    let _ = received(&host);
    table.set(7, None);
    w.reconcile(&table);
    assert!(w.sessions.is_empty() && w.queued.is_empty());
    assert_eq!(w.backlog.next(), None);
    std::thread::sleep(Duration::from_millis(5));
    w.release();
    feed(&mut w, &table, read(ADDR, 1000, true, 0));
    assert_eq!(billed(&mut w, &counters).out_packets, 0);
    assert_eq!(w.stats.no_session, 1);
    assert!(received(&host).is_empty());
}

#[test]
fn a_read_for_another_workers_session_is_handed_over_bounded() {
    let Some((_tb, sock, host, tun)) = bed("dsw-hand") else {
        return;
    };
    // Worker 0 of 2; session 7 is worker 1's.
    let (mut w, others) = worker(sock, tun, 0, 2);
    let counters = Arc::new(Counters::default());
    let mut table = Table::default();
    table.set(
        7,
        Some(Published {
            params: params(None),
            counters: Arc::clone(&counters),
        }),
    );
    w.reconcile(&table);
    for k in 0..3u8 {
        feed(&mut w, &table, read(ADDR, 500, true, k));
    }
    w.outboxes.wake();
    assert_eq!((w.counters.handed_off, w.counters.handoff_dropped), (2, 1));
    let inbox = &others[0];
    assert_eq!(crate::afpacket::poll_any(&[inbox.fd()], 0).unwrap(), 1);
    for k in 0..2u8 {
        assert_eq!(inbox.try_recv(), Some(read(ADDR, 500, true, k)));
    }
    assert!(inbox.try_recv().is_none());
    // Handed here although worker 1's (its address moved meanwhile):
    // dropped, not handed on nor sent.
    let mut r = read(ADDR, 500, true, 9);
    w.down_read(&table, &mut r, 500, true);
    assert_eq!((w.counters.handed_off, w.counters.handoff_dropped), (2, 2));
    assert_eq!(billed(&mut w, &counters).out_packets, 0);
    assert!(received(&host).is_empty());
}
