//! A DNS64 daemon for benchmarks and trying things: clients and the upstream
//! resolvers share one UDP socket (answers from an upstream's address are
//! upstream answers, everything else a client query), and clients may ask
//! over TCP on the same address (RFC 7766). The machine sits behind a mutex:
//! the UDP loop, one thread per client TCP connection and one per upstream
//! TCP query (after a truncated UDP answer) take turns.
//!
//! `dns64d LISTEN UPSTREAM[,UPSTREAM...] PREFIX/LEN [ALLOW/LEN...]` e.g.
//! `dns64d 127.0.0.1:5304 127.0.0.1:5303 2001:db8:64::/96`; with ALLOW
//! networks only their clients may query (BIND's `allow-query`).

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use dns64::{Dns64, Dns64Acl, Dns64Config, Dns64Destination, Dns64Net, Dns64Source, Nat64Prefix};
use sansio_primitives::{SeededRng, StdClock};

/// A TCP client idle this long is closed (RFC 7766 §6.2.3 leaves it to us).
const TCP_IDLE: StdDuration = StdDuration::from_secs(10);
/// The UDP loop looks at the machine's timers at least this often: a TCP
/// thread may have started a query while the loop was waiting.
const TICK: StdDuration = StdDuration::from_millis(50);

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: dns64d LISTEN UPSTREAM[,UPSTREAM...] PREFIX/LEN [ALLOW/LEN...]");
        std::process::exit(2);
    }
    let listen: SocketAddr = args[1].parse().expect("LISTEN: an address:port");
    let upstreams: Vec<SocketAddr> = args[2]
        .split(',')
        .map(|u| u.parse().expect("UPSTREAM: an address:port"))
        .collect();
    let (p, len) = args[3].split_once('/').expect("PREFIX/LEN");
    let prefix = Nat64Prefix::new(p.parse().expect("prefix"), len.parse().expect("length"))
        .expect("a NAT64 prefix");
    let mut config = Dns64Config::new(vec![prefix], upstreams.clone());
    if args.len() > 4 {
        config.allow_query = Dns64Acl {
            elements: args[4..].iter().map(|n| (true, net(n))).collect(),
        };
    }
    let udp = UdpSocket::bind(listen).expect("bind UDP");
    let tcp = TcpListener::bind(listen).expect("bind TCP");
    eprintln!("dns64d: {listen} (UDP, TCP), upstreams {upstreams:?}, prefix {prefix}");
    serve(udp, tcp, config);
}

/// `ADDR/LEN`.
fn net(s: &str) -> Dns64Net {
    let (a, l) = s.split_once('/').expect("ALLOW: ADDR/LEN");
    let a: IpAddr = a.parse().expect("ALLOW address");
    Dns64Net::new(a, l.parse().expect("ALLOW length"))
}

struct Daemon {
    machine: Mutex<Dns64>,
    udp: UdpSocket,
    /// Client TCP connections by the id the machine knows them by.
    conns: Mutex<HashMap<u64, TcpStream>>,
    clock: StdClock,
}

/// Runs the daemon (tests/dig.rs includes this file for it) on `udp` and `tcp` (the same address) forever.
/// `config`'s source ports are set to the UDP socket's port.
pub fn serve(udp: UdpSocket, tcp: TcpListener, mut config: Dns64Config) -> ! {
    let port = udp.local_addr().expect("local address").port();
    // One socket: upstream queries leave from it too.
    config.source_ports = (port, port);
    config.max_outstanding = 4096;
    config.cache_entries = 65536;
    let upstreams = config.upstreams.clone();
    let mut seed = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut seed))
        .expect("/dev/urandom");
    let clock = StdClock::new();
    let machine = Dns64::new(config, SeededRng::from_seed(seed), clock.now()).expect("config");
    let d = Arc::new(Daemon {
        machine: Mutex::new(machine),
        udp,
        conns: Mutex::new(HashMap::new()),
        clock,
    });
    let d2 = Arc::clone(&d);
    std::thread::spawn(move || accept(&d2, &tcp));

    let mut buf = vec![0u8; 65535];
    let mut timeout_set = None;
    loop {
        let wait = {
            let m = d.machine.lock().expect("machine");
            let now = d.clock.now();
            m.poll_timeout()
                .map(|t| (t - now).max(sansio_primitives::Duration::from_millis(1)))
                .map_or(TICK, |w| w.min(TICK))
        };
        if Some(wait) != timeout_set {
            d.udp
                .set_read_timeout(Some(wait))
                .expect("set_read_timeout");
            timeout_set = Some(wait);
        }
        let got = match d.udp.recv_from(&mut buf) {
            Ok((n, from)) => Some((n, from)),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => None,
            Err(e) => {
                eprintln!("dns64d: recv: {e}");
                None
            }
        };
        let mut m = d.machine.lock().expect("machine");
        let now = d.clock.now();
        if let Some((n, from)) = got {
            let src = if upstreams.contains(&from) {
                Dns64Source::Upstream {
                    from,
                    local_port: port,
                }
            } else {
                Dns64Source::Client(from)
            };
            let _ = m.handle_input(now, src, &buf[..n]);
        }
        if m.poll_timeout().is_some_and(|t| t <= now) {
            m.handle_timeout(now);
        }
        flush(&d, &mut m);
    }
}

/// Sends what the machine has to send.
fn flush(d: &Arc<Daemon>, m: &mut Dns64) {
    let now = d.clock.now();
    while let Some(t) = m.poll_transmit(now) {
        match t.destination {
            Dns64Destination::Client(to) | Dns64Destination::Upstream { server: to, .. } => {
                if let Err(e) = d.udp.send_to(&t.payload, to) {
                    eprintln!("dns64d: send to {to}: {e}");
                }
            }
            Dns64Destination::ClientTcp { conn } => {
                let mut conns = d.conns.lock().expect("conns");
                if let Some(s) = conns.get_mut(&conn)
                    && write_framed(s, &t.payload).is_err()
                {
                    let _ = s.shutdown(std::net::Shutdown::Both);
                    conns.remove(&conn);
                }
            }
            Dns64Destination::UpstreamTcp { server, .. } => {
                let d = Arc::clone(d);
                std::thread::spawn(move || upstream_tcp(&d, server, &t.payload));
            }
        }
    }
    while m.poll_event().is_some() {}
}

/// RFC 7766 §8: a two-octet length, then the message.
fn write_framed(s: &mut TcpStream, msg: &[u8]) -> std::io::Result<()> {
    let len = u16::try_from(msg.len()).map_err(|_| ErrorKind::InvalidInput)?;
    let mut framed = Vec::with_capacity(msg.len() + 2);
    framed.extend_from_slice(&len.to_be_bytes());
    framed.extend_from_slice(msg);
    s.write_all(&framed)
}

fn read_framed(s: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut len = [0u8; 2];
    s.read_exact(&mut len)?;
    let mut msg = vec![0u8; usize::from(u16::from_be_bytes(len))];
    s.read_exact(&mut msg)?;
    Ok(msg)
}

fn accept(d: &Arc<Daemon>, tcp: &TcpListener) {
    let next = AtomicU64::new(0);
    for s in tcp.incoming() {
        let Ok(s) = s else { continue };
        let conn = next.fetch_add(1, Ordering::Relaxed);
        let (Ok(from), Ok(writer)) = (s.peer_addr(), s.try_clone()) else {
            continue;
        };
        d.conns.lock().expect("conns").insert(conn, writer);
        let d = Arc::clone(d);
        std::thread::spawn(move || client_tcp(&d, s, conn, from));
    }
}

/// One client connection: queries until the client closes or idles.
fn client_tcp(d: &Arc<Daemon>, mut s: TcpStream, conn: u64, from: SocketAddr) {
    let _ = s.set_read_timeout(Some(TCP_IDLE));
    while let Ok(q) = read_framed(&mut s) {
        let mut m = d.machine.lock().expect("machine");
        let _ = m.handle_input(d.clock.now(), Dns64Source::ClientTcp { conn, from }, &q);
        flush(d, &mut m);
    }
    d.conns.lock().expect("conns").remove(&conn);
}

/// One query over TCP to an upstream (after its truncated UDP answer).
fn upstream_tcp(d: &Arc<Daemon>, server: SocketAddr, query: &[u8]) {
    let answer =
        TcpStream::connect_timeout(&server, StdDuration::from_secs(2)).and_then(|mut s| {
            s.set_read_timeout(Some(StdDuration::from_secs(2)))?;
            write_framed(&mut s, query)?;
            read_framed(&mut s)
        });
    // No answer: the machine's timer moves the query on.
    if let Ok(a) = answer {
        let mut m = d.machine.lock().expect("machine");
        let _ = m.handle_input(d.clock.now(), Dns64Source::UpstreamTcp { from: server }, &a);
        flush(d, &mut m);
    }
}
