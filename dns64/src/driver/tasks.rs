//! The driver's helper tasks: one per client TCP connection, one per
//! upstream UDP query (its own socket on the machine's source port), one
//! per upstream TCP query. Each hands what it received to the main task
//! through the inbox.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use std::vec;
use std::vec::Vec;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::mpsc;
use tokio::time::timeout;

/// Receive buffer of an upstream socket (one per query in flight).
const UPSTREAM_BUF: usize = 4096;

/// What the helper tasks hand the main task.
pub(super) enum Inbox {
    /// A query on client connection `conn`.
    ClientTcp {
        conn: u64,
        from: SocketAddr,
        msg: Vec<u8>,
    },
    /// Connection `conn` ended (`idle`: for idling).
    Closed { conn: u64, idle: bool },
    /// An upstream UDP answer (or anything else that came to the port).
    Upstream {
        from: SocketAddr,
        local_port: u16,
        msg: Vec<u8>,
    },
    /// An upstream TCP answer.
    UpstreamTcp { from: SocketAddr, msg: Vec<u8> },
    /// An upstream query could not be sent (UDP) or got no answer (TCP).
    UpstreamFailed { tcp: bool },
}

/// RFC 7766 §8: a two-octet length, then the message.
async fn write_framed<W: AsyncWrite + Unpin>(w: &mut W, msg: &[u8]) -> io::Result<()> {
    let len = u16::try_from(msg.len()).map_err(|_| io::ErrorKind::InvalidInput)?;
    let mut framed = Vec::with_capacity(msg.len() + 2);
    framed.extend_from_slice(&len.to_be_bytes());
    framed.extend_from_slice(msg);
    w.write_all(&framed).await
}

async fn read_framed<R: AsyncRead + Unpin>(r: &mut R) -> io::Result<Vec<u8>> {
    let mut len = [0u8; 2];
    r.read_exact(&mut len).await?;
    let mut msg = vec![0u8; usize::from(u16::from_be_bytes(len))];
    r.read_exact(&mut msg).await?;
    Ok(msg)
}

/// One client connection: its queries to the inbox, its answers (from
/// `answers`) back, until the client closes, idles for `idle`, an I/O
/// error, or the main task drops the sender. After the client closed its
/// side, the answers to the queries it sent are still written (for at most
/// `idle`).
pub(super) async fn client_conn(
    stream: TcpStream,
    conn: u64,
    from: SocketAddr,
    inbox: mpsc::Sender<Inbox>,
    mut answers: mpsc::Receiver<Vec<u8>>,
    idle: Duration,
) {
    let (mut r, mut w) = stream.into_split();
    let asked = AtomicUsize::new(0);
    let answered = AtomicUsize::new(0);
    // Whether the reader ended for idling.
    let reader = async {
        loop {
            match timeout(idle, read_framed(&mut r)).await {
                Ok(Ok(msg)) => {
                    asked.fetch_add(1, Ordering::Relaxed);
                    let q = Inbox::ClientTcp { conn, from, msg };
                    if inbox.send(q).await.is_err() {
                        return false;
                    }
                }
                Ok(Err(_)) => return false,
                Err(_) => return true,
            }
        }
    };
    let idled = {
        let writer = async {
            while let Some(a) = answers.recv().await {
                if write_framed(&mut w, &a).await.is_err() {
                    return;
                }
                answered.fetch_add(1, Ordering::Relaxed);
            }
        };
        tokio::select! {
            idled = reader => idled,
            () = writer => false,
        }
    };
    if !idled && answered.load(Ordering::Relaxed) < asked.load(Ordering::Relaxed) {
        // The client closed its side (or the read failed): its answers may
        // still be coming.
        let rest = async {
            while answered.load(Ordering::Relaxed) < asked.load(Ordering::Relaxed) {
                let Some(a) = answers.recv().await else {
                    return;
                };
                if write_framed(&mut w, &a).await.is_err() {
                    return;
                }
                answered.fetch_add(1, Ordering::Relaxed);
            }
        };
        let _ = timeout(idle, rest).await;
    }
    let _ = w.shutdown().await;
    let _ = inbox.send(Inbox::Closed { conn, idle: idled }).await;
}

/// One upstream UDP query from a socket on `port`: sends it, then hands
/// every datagram that arrives to the inbox (the machine drops and counts
/// what is not the answer) until one from `server` came or `life` passed.
pub(super) async fn upstream_udp(
    server: SocketAddr,
    port: u16,
    query: Vec<u8>,
    inbox: mpsc::Sender<Inbox>,
    life: Duration,
) {
    let local: SocketAddr = match server {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, port).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, port).into(),
    };
    let sock = match UdpSocket::bind(local).await {
        Ok(s) => s,
        Err(_) => {
            let _ = inbox.send(Inbox::UpstreamFailed { tcp: false }).await;
            return;
        }
    };
    if sock.send_to(&query, server).await.is_err() {
        let _ = inbox.send(Inbox::UpstreamFailed { tcp: false }).await;
        return;
    }
    let receive = async {
        // The machine advertises at most 1232 octets upstream (EDNS); a
        // longer datagram is cut and dropped as malformed.
        let mut buf = vec![0u8; UPSTREAM_BUF];
        while let Ok((n, from)) = sock.recv_from(&mut buf).await {
            let msg = Inbox::Upstream {
                from,
                local_port: port,
                msg: buf[..n].to_vec(),
            };
            if inbox.send(msg).await.is_err() || from == server {
                return;
            }
        }
    };
    let _ = timeout(life, receive).await;
}

/// One upstream TCP query: connect, send, read the answer, close; all
/// within `limit`.
pub(super) async fn upstream_tcp(
    server: SocketAddr,
    query: Vec<u8>,
    inbox: mpsc::Sender<Inbox>,
    limit: Duration,
) {
    let exchange = async {
        let mut s = TcpStream::connect(server).await?;
        write_framed(&mut s, &query).await?;
        read_framed(&mut s).await
    };
    let msg = match timeout(limit, exchange).await {
        Ok(Ok(msg)) => Inbox::UpstreamTcp { from: server, msg },
        // No answer: the machine's timer moves the query on.
        _ => Inbox::UpstreamFailed { tcp: true },
    };
    let _ = inbox.send(msg).await;
}
