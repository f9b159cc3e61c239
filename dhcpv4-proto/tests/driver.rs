//! The tokio driver on real sockets, in a namespace of its own (loopback
//! only): every datagram waiting when the socket becomes readable is handled
//! in one step (read in `recvmmsg` bursts), its replies sent in `sendmmsg`
//! bursts, and the REQUESTs of one burst share one lease write.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::time::Duration;

use dhcpv4_proto::driver::Dhcpv4ServerDriver;
use dhcpv4_proto::lease::MemoryStore;
use dhcpv4_proto::server::{Dhcpv4PoolConfig, Dhcpv4Server, Dhcpv4ServerConfig};
use dhcpv4_proto::wire::{DhcpOption, Message, MessageType, Op};
use sansio_primitives::StdClock;
use socket2::{Domain, Protocol, Socket, Type};
use testbed::Testbed;

/// More than one `recvmmsg` burst (32).
const CLIENTS: u8 = 100;
const SERVER: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 1);
/// The relay the requests come through: replies go to its port 67.
const RELAY: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

fn request(t: MessageType, i: u8) -> Vec<u8> {
    let mut m = Message::new(
        Op::BootRequest,
        t,
        0x1000 + u32::from(i),
        [2, 0, 0, 0, 1, i],
    );
    m.giaddr = RELAY;
    m.hops = 1;
    if t == MessageType::Request {
        // INIT-REBOOT: the address it had, no server id.
        m.options.push(DhcpOption::RequestedIpAddress(Ipv4Addr::new(
            127,
            0,
            0,
            10 + i,
        )));
    }
    m.to_vec()
}

/// Queues `CLIENTS` messages of type `t` on the server's socket, runs the
/// driver `steps` steps, and returns the replies of type `reply` the relay got.
fn burst(t: MessageType, steps: usize, inline: bool, reply: MessageType) -> Option<usize> {
    let mut tb = Testbed::new("dhcpv4-driver-burst")?;
    let ns = tb.namespace("driver").unwrap();
    let got = ns
        .enter(|| {
            let s = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)).unwrap();
            s.set_recv_buffer_size(1 << 20).unwrap();
            s.bind(&SocketAddr::from((SERVER, 67)).into()).unwrap();
            s.set_nonblocking(true).unwrap();
            let relay = UdpSocket::bind((RELAY, 67)).unwrap();
            Socket::from(relay.try_clone().unwrap())
                .set_recv_buffer_size(1 << 20)
                .unwrap();
            relay
                .set_read_timeout(Some(Duration::from_millis(200)))
                .unwrap();
            for i in 0..CLIENTS {
                relay.send_to(&request(t, i), (SERVER, 67)).unwrap();
            }
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let clock = StdClock::new();
                let pool = Dhcpv4PoolConfig::new(
                    1,
                    Ipv4Addr::new(127, 0, 0, 0),
                    24,
                    Ipv4Addr::new(127, 0, 0, 10),
                    Ipv4Addr::new(127, 0, 0, 250),
                    None,
                );
                let server =
                    Dhcpv4Server::new(Dhcpv4ServerConfig::new(SERVER, vec![pool]), clock.now())
                        .unwrap();
                let sock = tokio::net::UdpSocket::from_std(s.into()).unwrap();
                let mut d = Dhcpv4ServerDriver::new(sock, 1, server, MemoryStore::default(), clock);
                d.set_inline_writes(inline);
                for _ in 0..steps {
                    d.step().await.unwrap();
                }
            });
            let mut n = 0;
            let mut buf = [0u8; 1600];
            while let Ok(len) = relay.recv(&mut buf) {
                let m = Message::parse(&buf[..len]).unwrap();
                if m.message_type == reply {
                    n += 1;
                }
            }
            n
        })
        .unwrap();
    Some(got)
}

#[test]
fn the_bound_socket_has_a_large_receive_buffer() {
    let Some(mut tb) = Testbed::new("dhcpv4-driver-rcvbuf") else {
        return;
    };
    let ns = tb.namespace("driver").unwrap();
    let size = ns
        .enter(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let s = dhcpv4_proto::driver::bind_interface("lo").unwrap();
                socket2::SockRef::from(&s).recv_buffer_size().unwrap()
            })
        })
        .unwrap();
    // Linux caps the size asked for at net.core.rmem_max and reports twice
    // that; a socket left alone has net.core.rmem_default, not doubled.
    let max = std::fs::read_to_string("/proc/sys/net/core/rmem_max")
        .ok()
        .and_then(|s| s.trim().parse::<usize>().ok())
        .unwrap_or(0);
    assert!(
        size >= 2 * dhcpv4_proto::driver::RECV_BUFFER.min(max),
        "receive buffer {size} (rmem_max {max})"
    );
}

#[test]
fn one_step_answers_every_waiting_discover() {
    // One step handled one datagram before the driver read in bursts.
    if let Some(offers) = burst(MessageType::Discover, 1, false, MessageType::Offer) {
        assert_eq!(offers, usize::from(CLIENTS));
    }
}

#[test]
fn the_requests_of_one_burst_share_one_lease_write() {
    // Step 1 handles the burst and starts one write, step 2 ends it and
    // sends every ACK (before: one ACK, the other 99 in a second write).
    if let Some(acks) = burst(MessageType::Request, 2, false, MessageType::Ack) {
        assert_eq!(acks, usize::from(CLIENTS));
    }
}

#[test]
fn inline_writes_ack_a_burst_in_the_step_that_read_it() {
    // On the blocking pool the ACKs wait for a second step.
    if let Some(acks) = burst(MessageType::Request, 1, true, MessageType::Ack) {
        assert_eq!(acks, usize::from(CLIENTS));
    }
}
