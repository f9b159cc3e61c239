//! A DHCPv4 client bound by the server, in memory: DISCOVER, OFFER,
//! REQUEST, ACK (the ACK leaves only once the lease is stored), then the
//! clock jumps to T1 and the client renews its lease with the same server.
//!
//! `cargo run --example bind`

use std::net::Ipv4Addr;

use dhcpv4_proto::lease::MemoryStore;
use dhcpv4_proto::wire::Message;
use dhcpv4_proto::{
    Dhcpv4Client, Dhcpv4ClientConfig, Dhcpv4ClientEvent, Dhcpv4PoolConfig, Dhcpv4Server,
    Dhcpv4ServerConfig,
};
use sansio_primitives::{Instant, SeededRng};

fn main() {
    let server_id = Ipv4Addr::new(192, 0, 2, 1);
    let mut pool = Dhcpv4PoolConfig::new(
        1, // the interface the pool serves
        Ipv4Addr::new(192, 0, 2, 0),
        24,
        Ipv4Addr::new(192, 0, 2, 100),
        Ipv4Addr::new(192, 0, 2, 199),
        Some(server_id), // the router option
    );
    pool.dns = vec![Ipv4Addr::new(198, 51, 100, 53)];
    let mut now = Instant::ZERO;
    let mut server =
        Dhcpv4Server::new(Dhcpv4ServerConfig::new(server_id, vec![pool]), now).expect("config");
    let mut store = MemoryStore::default();
    let mac = [0x02, 0, 0, 0, 0, 0x01];
    let mut client = Dhcpv4Client::new(Dhcpv4ClientConfig::new(mac), SeededRng::from_u64(1), now)
        .expect("config");

    let mut binding = None;
    for phase in ["bind", "renew"] {
        if phase == "renew" {
            // Nothing happens until the client's timer (T1, half the lease).
            now = client.poll_timeout().expect("T1 is set once bound");
            println!("-- {now:?}: T1");
            client.handle_timeout(now);
        }
        // Two round trips per exchange; four rounds bound a stuck one.
        for _ in 0..4 {
            while let Some(t) = client.poll_transmit(now) {
                show("client -> server", &t.payload);
                // Interface 1: where the datagram arrived.
                server.handle_input(now, 1, &t.payload).expect("accepted");
            }
            // The server's lease changes become durable before its ACKs leave.
            server
                .commit_to(&mut store)
                .expect("the memory store cannot fail");
            while let Some(_e) = server.poll_event() {}
            while let Some(t) = server.poll_transmit(now) {
                show("server -> client", &t.payload);
                client.handle_input(now, &t.payload).expect("accepted");
            }
            while let Some(e) = client.poll_event() {
                match e {
                    Dhcpv4ClientEvent::Bound(b) | Dhcpv4ClientEvent::Renewed(b) => {
                        binding = Some(b)
                    }
                    Dhcpv4ClientEvent::Lost { reason } => panic!("lease lost: {reason:?}"),
                }
            }
        }
        let b = binding.take().expect("the exchange completes");
        println!(
            "{phase}: {} router {:?} DNS {:?} for {:?}",
            b.address, b.router, b.dns, b.lease
        );
        assert_eq!(b.router, vec![server_id]);
        assert!(store.leases.contains_key(&b.address));
    }
}

/// Prints one DHCP message as the codec reads it.
fn show(direction: &str, datagram: &[u8]) {
    let m = Message::parse(datagram).expect("a DHCP message");
    println!(
        "{direction}: {:?} xid {:#010x} yiaddr {}",
        m.message_type, m.xid, m.yiaddr
    );
}
