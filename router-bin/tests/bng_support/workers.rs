//! The beds of the worker tests (`[datapath] workers = 2`): many
//! sessions from many MACs, and the `bng sessions` / `bng stats` fields
//! they check.

use std::net::Ipv4Addr;

use super::{Bed, config_text};
use crate::common::dialer::Dialer;
use ppp_proto::PppConfig;
use pppoe_proto::PppoeClientConfig;
use pppoe_proto::wire::EthernetAddress;
use router_bin::afpacket::{ETH_P_ALL, PacketSocket};

/// A bng with two workers and a pool for 51 sessions; `extra` appended
/// to its config.
pub fn start(label: &str, extra: &str) -> Option<Bed> {
    Bed::start_text(label, |dir| {
        config_text(dir, true, extra)
            .replace("[lcp]", "[datapath]\nworkers = 2\n[lcp]")
            .replace("last = \"198.51.100.20\"", "last = \"198.51.100.60\"")
    })
}

/// A dialer of alice from MAC `02:00:00:00:77:i` (one session per MAC).
pub fn dialer(bed: &Bed, i: u8) -> Dialer {
    dialer_of(bed, i, b"alice", b"wonderland")
}

/// A dialer of `user` from MAC `02:00:00:00:77:i`.
pub fn dialer_of(bed: &Bed, i: u8, user: &[u8], password: &[u8]) -> Dialer {
    let sock = bed
        .client
        .enter(|| PacketSocket::open("wan0", ETH_P_ALL))
        .unwrap()
        .unwrap();
    // Room for every dialer's share of the others' frames between reads.
    sock.set_recv_buffer(4 << 20).unwrap();
    let pppoe = PppoeClientConfig::new(EthernetAddress([2, 0, 0, 0, 0x77, i]));
    Dialer::new(sock, pppoe, PppConfig::peer(user, password), u64::from(i))
}

/// The `bng sessions` row whose address is `addr`, as columns (USER MAC
/// ID ADDRESS UPTIME BYTES-IN BYTES-OUT ...).
pub fn row(table: &str, addr: Ipv4Addr) -> Vec<String> {
    table
        .lines()
        .find(|l| l.split_whitespace().nth(3) == Some(&addr.to_string()))
        .unwrap_or_else(|| panic!("{addr} not listed:\n{table}"))
        .split_whitespace()
        .map(String::from)
        .collect()
}

/// The number after `name` in a `bng stats` worker line.
pub fn field(line: &str, name: &str) -> u64 {
    let w: Vec<&str> = line.split_whitespace().collect();
    let i = w
        .iter()
        .position(|x| *x == name)
        .unwrap_or_else(|| panic!("no {name} in {line}"));
    w[i + 1].parse().unwrap()
}

/// The line of `bng stats` that starts with `start` (`worker0 `,
/// `workers 2`).
pub fn line(stats: &str, start: &str) -> String {
    stats
        .lines()
        .find(|l| l.starts_with(start))
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no {start} line:\n{stats}"))
}

/// With `BNG_TEST_WORKERS` set (the bng under test runs workers), asserts
/// that the downstream ran on them: they read the TUN device.
pub fn assert_downstream_on_workers(bed: &Bed) {
    if super::datapath_section().is_empty() {
        return;
    }
    let stats = bed.ctl("stats");
    let l = stats
        .lines()
        .find(|l| l.starts_with("workers "))
        .unwrap_or_else(|| panic!("no workers line:\n{stats}"));
    assert!(
        field(l, "tun_reads") > 0,
        "the workers read no TUN packet:\n{stats}"
    );
}
