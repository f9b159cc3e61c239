//! A DNS64 daemon for benchmarks and trying things: the crate's tokio
//! driver (`dns64::driver`, feature `tokio`) on one thread, clients over
//! UDP and TCP on one address (RFC 7766), upstream queries each from a
//! socket of their own on a random port; SIGINT or SIGTERM stop it after
//! the queries in flight are answered.
//!
//! `dns64d LISTEN UPSTREAM[,UPSTREAM...] PREFIX/LEN [ALLOW/LEN...]` e.g.
//! `dns64d 127.0.0.1:5304 127.0.0.1:5303 2001:db8:64::/96`; with ALLOW
//! networks only their clients may query (BIND's `allow-query`).

use std::io::Read;
use std::net::{IpAddr, SocketAddr};

use dns64::driver::{Dns64Driver, Dns64DriverConfig, Dns64Listeners};
use dns64::{Dns64, Dns64Acl, Dns64Config, Dns64Net, Nat64Prefix};
use sansio_primitives::{SeededRng, StdClock};
use tokio::signal::unix::{SignalKind, signal};

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
    config.max_outstanding = 4096;
    config.cache_entries = 65536;
    let mut seed = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut seed))
        .expect("/dev/urandom");
    let clock = StdClock::new();
    let machine = Dns64::new(config, SeededRng::from_seed(seed), clock.now()).expect("config");
    // One thread: the machine is one task's, nothing to share.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        let listeners = Dns64Listeners::bind(&[listen]).await.expect("bind");
        let driver = Dns64Driver::spawn(machine, clock, listeners, Dns64DriverConfig::default());
        eprintln!("dns64d: {listen} (UDP, TCP), upstreams {upstreams:?}, prefix {prefix}");
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM");
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        let stats = driver.stats().await.expect("running");
        eprintln!("dns64d: stopping; {stats:?}");
        driver.shutdown().await;
    });
}

/// `ADDR/LEN`.
fn net(s: &str) -> Dns64Net {
    let (a, l) = s.split_once('/').expect("ALLOW: ADDR/LEN");
    let a: IpAddr = a.parse().expect("ALLOW address");
    Dns64Net::new(a, l.parse().expect("ALLOW length"))
}
