use std::io;
use std::net::SocketAddr;
use std::vec;
use std::vec::Vec;

use tokio::net::UdpSocket;

use super::{BATCH, QUEUE, Received, SLOT, SendQueue, portable};

fn to(i: u16) -> SocketAddr {
    SocketAddr::from(([192, 0, 2, 1], 1000 + i))
}

fn queue(n: u16) -> SendQueue {
    let mut q = SendQueue::default();
    for i in 0..n {
        assert!(q.push(to(i), vec![i as u8]));
    }
    q
}

#[test]
fn partial_send_keeps_the_rest_in_order_until_writable() {
    let mut q = queue(40);
    let mut calls = Vec::new();
    let d = q.drain(|b| {
        calls.push((b.len(), b[0].0));
        match calls.len() {
            1 => Ok(5),
            _ => Err(io::ErrorKind::WouldBlock.into()),
        }
    });
    assert_eq!(
        d,
        super::Drained {
            failed: 0,
            blocked: true
        }
    );
    assert_eq!(calls, vec![(BATCH, to(0)), (BATCH, to(5))]);
    assert_eq!(q.len(), 35);
    // Writable again: the rest goes, oldest first, a batch at a time.
    let mut sent = Vec::new();
    let d = q.drain(|b| {
        sent.extend(b.iter().map(|(a, _)| *a));
        Ok(b.len())
    });
    assert_eq!(d, super::Drained::default());
    assert_eq!(sent, (5..40).map(to).collect::<Vec<_>>());
    assert!(q.is_empty());
}

#[test]
fn nothing_sent_counts_as_blocked_and_does_not_spin() {
    let mut q = queue(3);
    let mut calls = 0;
    let d = q.drain(|_| {
        calls += 1;
        assert!(calls < 10, "drain spins on a send of nothing");
        Ok(0)
    });
    assert!(d.blocked);
    assert_eq!((calls, q.len()), (1, 3));
}

#[test]
fn an_error_drops_and_counts_only_the_answer_it_was_for() {
    let mut q = queue(3);
    let mut sent = Vec::new();
    let d = q.drain(|b| {
        if b[0].0 == to(1) {
            return Err(io::ErrorKind::PermissionDenied.into());
        }
        sent.push(b[0].0);
        Ok(1)
    });
    assert_eq!(
        d,
        super::Drained {
            failed: 1,
            blocked: false
        }
    );
    assert_eq!(sent, vec![to(0), to(2)]);
    assert!(q.is_empty());
}

#[test]
fn the_queue_is_bounded() {
    let mut q = queue(QUEUE as u16);
    assert!(!q.push(to(0), vec![0]));
    assert_eq!(q.len(), QUEUE);
    assert_eq!(q.clear(), QUEUE as u64);
}

type Recv = fn(&UdpSocket, &mut [u8], &mut Vec<Received>) -> io::Result<()>;
type Send = fn(&UdpSocket, &[(SocketAddr, Vec<u8>)]) -> io::Result<usize>;

/// 40 datagrams in, read in bursts; 40 out in batches: each whole, from
/// and to the right address, in order.
async fn bursts_both_ways(recv: Recv, send: Send) {
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let here = sock.local_addr().unwrap();
    let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let there = peer.local_addr().unwrap();
    for i in 0..40u8 {
        peer.send_to(&[i; 7], here).unwrap();
    }
    // One longer than a slot: cut and flagged.
    peer.send_to(&[9; SLOT + 1], here).unwrap();
    let mut buf = vec![0u8; BATCH * SLOT];
    let mut got = Vec::new();
    let mut seen = Vec::new();
    while seen.len() < 41 {
        sock.readable().await.unwrap();
        match recv(&sock, &mut buf, &mut got) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(e) => panic!("{e}"),
        }
        assert!(!got.is_empty() && got.len() <= BATCH);
        for (i, r) in got.iter().enumerate() {
            assert_eq!(r.from, Some(there));
            seen.push((buf[i * SLOT], r.len, r.cut));
        }
    }
    let mut want: Vec<_> = (0..40u8).map(|i| (i, 7, false)).collect();
    want.push((9, SLOT, true));
    assert_eq!(seen, want);

    let mut q = SendQueue::default();
    for i in 0..40u8 {
        assert!(q.push(there, vec![i; 5]));
    }
    while !q.is_empty() {
        sock.writable().await.unwrap();
        let d = q.drain(|b| send(&sock, b));
        assert_eq!(d.failed, 0);
    }
    let mut b = [0u8; 16];
    for i in 0..40u8 {
        let (n, from) = peer.recv_from(&mut b).unwrap();
        assert_eq!((&b[..n], from), (&[i; 5][..], here));
    }
}

#[tokio::test]
async fn bursts_both_ways_batched() {
    bursts_both_ways(super::recv_burst, super::send_batch).await;
}

#[tokio::test]
async fn bursts_both_ways_a_datagram_at_a_time() {
    bursts_both_ways(portable::recv_burst, portable::send_batch).await;
}
