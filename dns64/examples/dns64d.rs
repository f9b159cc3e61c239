//! A DNS64 daemon on one UDP socket, for benchmarks and trying things:
//! clients and the upstream resolver talk to the same socket (answers from
//! the upstream's address are upstream answers, everything else a client
//! query), single-threaded, no TCP.
//!
//! `dns64d LISTEN UPSTREAM PREFIX` e.g.
//! `dns64d 127.0.0.1:5304 127.0.0.1:5303 2001:db8:64::/96`

use std::io::{ErrorKind, Read};
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration as StdDuration;

use dns64::{Dns64, Dns64Config, Dns64Destination, Dns64Source, Nat64Prefix};
use proto_core::{SeededRng, StdClock};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: dns64d LISTEN UPSTREAM PREFIX/LEN");
        std::process::exit(2);
    }
    let listen: SocketAddr = args[1].parse().expect("LISTEN: an address:port");
    let upstream: SocketAddr = args[2].parse().expect("UPSTREAM: an address:port");
    let (p, len) = args[3].split_once('/').expect("PREFIX/LEN");
    let prefix = Nat64Prefix::new(p.parse().expect("prefix"), len.parse().expect("length"))
        .expect("a NAT64 prefix");

    let sock = UdpSocket::bind(listen).expect("bind");
    let port = sock.local_addr().expect("local address").port();
    let mut config = Dns64Config::new(vec![prefix], vec![upstream]);
    // One socket: upstream queries leave from it too.
    config.source_ports = (port, port);
    config.tcp_on_truncation = false;
    config.max_outstanding = 4096;
    config.cache_entries = 65536;
    let mut seed = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut seed))
        .expect("/dev/urandom");
    let clock = StdClock::new();
    let mut m = Dns64::new(config, SeededRng::from_seed(seed), clock.now()).expect("config");
    eprintln!("dns64d: {listen}, upstream {upstream}, prefix {prefix}");

    let mut buf = vec![0u8; 65535];
    let mut timeout_set: Option<StdDuration> = Some(StdDuration::ZERO);
    loop {
        let now = clock.now();
        let wait = m
            .poll_timeout()
            .map(|t| (t - now).max(proto_core::Duration::from_millis(1)));
        if wait != timeout_set {
            sock.set_read_timeout(wait).expect("set_read_timeout");
            timeout_set = wait;
        }
        match sock.recv_from(&mut buf) {
            Ok((n, from)) => {
                let src = if from == upstream {
                    Dns64Source::Upstream {
                        from,
                        local_port: port,
                    }
                } else {
                    Dns64Source::Client(from)
                };
                let _ = m.handle_input(clock.now(), src, &buf[..n]);
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => eprintln!("dns64d: recv: {e}"),
        }
        let now = clock.now();
        if m.poll_timeout().is_some_and(|t| t <= now) {
            m.handle_timeout(now);
        }
        while let Some(t) = m.poll_transmit(now) {
            let to = match t.destination {
                Dns64Destination::Client(a) => a,
                Dns64Destination::Upstream { server, .. } => server,
                Dns64Destination::UpstreamTcp { .. } => continue,
            };
            if let Err(e) = sock.send_to(&t.payload, to) {
                eprintln!("dns64d: send to {to}: {e}");
            }
        }
        while m.poll_event().is_some() {}
    }
}
