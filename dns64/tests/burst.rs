//! A burst of 300 queries sent at once to the tokio driver (two client
//! sockets of one family, four clients) gets 300 answers: each to the
//! client that asked, from the address it asked, with its id, its question
//! and its name's address, none twice. The names are local, so the answers
//! are ready at once and leave in batches after each read burst (on Linux
//! one `recvmmsg` in, one `sendmmsg` out): an answer batching dropped,
//! duplicated, sent from the wrong socket or paired with the wrong address
//! fails it.

mod common;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::time::Duration;

use common::decode;
use dns64::driver::{Dns64Driver, Dns64DriverConfig, Dns64Listeners};
use dns64::{Dns64, Dns64Config, Nat64Prefix};
use domain::base::iana::{Rcode, Rtype};
use sansio_primitives::{SeededRng, StdClock};

const QUERIES: usize = 300;
const CLIENTS: usize = 4;

fn name(i: usize) -> String {
    format!("n{i}.lan")
}

fn addr_of(i: usize) -> Ipv4Addr {
    match i {
        0..256 => Ipv4Addr::new(198, 51, 100, i as u8),
        _ => Ipv4Addr::new(203, 0, 113, (i - 256) as u8),
    }
}

/// A large receive buffer, so the kernel keeps the whole burst (a full
/// buffer drops datagrams silently, which would look like our loss).
fn big_rcvbuf(s: &UdpSocket) {
    #[cfg(target_os = "linux")]
    {
        use nix::sys::socket::{setsockopt, sockopt};
        setsockopt(s, sockopt::RcvBuf, &(4 << 20)).unwrap();
    }
    #[cfg(not(target_os = "linux"))]
    let _ = s;
}

fn server_socket(ip: &str) -> tokio::net::UdpSocket {
    let s = UdpSocket::bind((ip, 0)).unwrap();
    big_rcvbuf(&s);
    s.set_nonblocking(true).unwrap();
    tokio::net::UdpSocket::from_std(s).unwrap()
}

/// Client `c` asks `servers[c % 2]` for every name `i` with `i % CLIENTS
/// == c`, all sent before any answer is read; each client's answers, by
/// query index.
fn burst(servers: Vec<SocketAddr>) -> Vec<Vec<usize>> {
    let clients: Vec<UdpSocket> = (0..CLIENTS)
        .map(|_| {
            let s = UdpSocket::bind("127.0.0.1:0").unwrap();
            big_rcvbuf(&s);
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            s
        })
        .collect();
    let id = |i: usize| (i * 7919 + 17) as u16;
    for i in 0..QUERIES {
        let q = common::query(id(i), &name(i), Rtype::A, false, None);
        let c = i % CLIENTS;
        clients[c].send_to(&q, servers[c % 2]).unwrap();
    }
    let by_id: HashMap<u16, usize> = (0..QUERIES).map(|i| (id(i), i)).collect();
    let mut got = vec![Vec::new(); CLIENTS];
    let mut buf = [0u8; 1500];
    for (c, s) in clients.iter().enumerate() {
        // Until all came or none for 5 s.
        while got[c].len() < QUERIES / CLIENTS {
            let Ok((n, from)) = s.recv_from(&mut buf) else {
                break;
            };
            assert_eq!(
                from,
                servers[c % 2],
                "client {c}: answer from another address"
            );
            let a = decode(&buf[..n]);
            let i = by_id[&a.id];
            assert_eq!(
                i % CLIENTS,
                c,
                "client {c} got client {}'s answer",
                i % CLIENTS
            );
            assert_eq!(a.rcode, Rcode::NOERROR);
            assert_eq!(a.question.0.trim_end_matches('.'), name(i), "id {}", a.id);
            assert_eq!(a.question.1, Rtype::A);
            assert_eq!(a.answer.len(), 1, "{:?}", a.answer);
            assert_eq!(
                a.answer[0].3,
                addr_of(i).to_string(),
                "answer to {}",
                name(i)
            );
            assert!(!got[c].contains(&i), "{} answered twice", name(i));
            got[c].push(i);
        }
    }
    got
}

#[tokio::test]
async fn a_burst_of_300_queries_gets_300_matching_answers() {
    let clock = StdClock::new();
    let config = Dns64Config::new(vec![Nat64Prefix::WELL_KNOWN], Vec::new());
    let m = Dns64::new(config, SeededRng::from_u64(14), clock.now()).unwrap();
    let listeners = Dns64Listeners {
        udp: vec![server_socket("127.0.0.1"), server_socket("127.0.0.2")],
        tcp: Vec::new(),
    };
    let d = Dns64Driver::spawn(m, clock, listeners, Dns64DriverConfig::default());
    let names = (0..QUERIES)
        .map(|i| (name(i), vec![IpAddr::V4(addr_of(i))]))
        .collect();
    d.set_local_names(names).await.unwrap();
    let servers = d.udp_addrs().to_vec();
    // The clients block: on a thread of their own, the driver runs here.
    let got = tokio::task::spawn_blocking(move || burst(servers))
        .await
        .unwrap();
    let counts: Vec<usize> = got.iter().map(Vec::len).collect();
    assert_eq!(counts, vec![QUERIES / CLIENTS; CLIENTS]);
    let s = d.stats().await.unwrap();
    assert_eq!(s.machine.local_answers, QUERIES as u64, "{s:?}");
    assert_eq!(s.driver.client_send_errors, 0, "{s:?}");
    assert_eq!(s.driver.receive_errors, 0, "{s:?}");
    d.shutdown().await;
}
