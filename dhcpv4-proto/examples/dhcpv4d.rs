//! `dhcpv4d`: the server machine on a real UDP socket bound to one
//! interface, with leases in a journal file. Used by the real-peer tests.
//!
//! ```text
//! cargo run -p dhcpv4-proto --example dhcpv4d -- dhcpv4d.toml
//! ```
//!
//! ```toml
//! interface = "eth1"
//! server_id = "192.0.2.1"
//! lease_file = "/var/lib/dhcpv4d/leases"
//! lease_time = 43200          # seconds, optional
//! max_requests_per_second = 8 # per client, optional
//! log_leases = true           # a line per lease event on stdout, optional
//! fsync_leases = true         # optional, see below
//! commit_window_us = 1000     # optional, see below
//!
//! [pool]
//! network = "192.0.2.0"
//! prefix_len = 24
//! range = ["192.0.2.100", "192.0.2.199"]
//! router = "192.0.2.1"        # optional
//! dns = ["192.0.2.1"]         # optional, defaults to the router
//! domain = "lan.example"      # optional
//! mtu = 1400                  # optional
//! exclude = [["192.0.2.150", "192.0.2.159"]]   # optional
//! reservations = [{ mac = "02:00:00:00:00:09", address = "192.0.2.50" }]
//! domain_search = ["lan.example", "example.org"]               # option 119
//! routes = [{ destination = "198.51.100.0", prefix_len = 24, router = "192.0.2.254" }]  # option 121
//! ```
//!
//! The socket, the replies and the lease commits are the crate's tokio
//! driver ([`dhcpv4_proto::driver`]): replies to clients without an address
//! are broadcast to 255.255.255.255:68 on the interface (`SO_BINDTODEVICE`,
//! `SO_BROADCAST`); a reply for `ciaddr` or a relay is unicast. Leases are
//! appended to the journal and fsynced before any ACK leaves (the requests
//! received during one write share the next fsync), on the event loop
//! ([`Dhcpv4ServerDriver::set_inline_writes`]: this runtime runs nothing
//! else). Lease times are kept on a clock counted from the UNIX epoch, so
//! they survive a restart.
//!
//! `fsync_leases = false` writes the leases without the fsync
//! ([`FileStore::set_sync_writes`]): each lease is still in the file (the
//! kernel's page cache) before its ACK leaves, so a crash or kill of
//! `dhcpv4d` loses none, but a power loss or kernel crash may forget the
//! leases ACKed in the seconds before it (until the kernel wrote them
//! back), and the restarted server may hand one of those addresses to
//! another client. Kea's memfile backend writes its leases this way.
//!
//! `commit_window_us` (microseconds, default 1000 with `fsync_leases`
//! and 0 without it, where there is no fsync to share; at most 100,000;
//! 0 turns it off) is the driver's group-commit window
//! ([`Dhcpv4ServerDriver::set_commit_window`]): when a receive batch leaves
//! fewer than 32 leases to write, the server waits that long (rounded up
//! to the next millisecond of tokio's timer) for more requests and writes
//! them all with one fsync before their ACKs leave. Each ACK may leave up
//! to the window (+ up to a millisecond of rounding) later, never before
//! its lease is durable; DHCP clients retransmit after about 4 s, so a
//! millisecond is invisible to them, and a server at low rates (one
//! request per batch) pays one fsync per group instead of one per request
//! (`bench/dhcpv4_vs_kea.sh` measures the CPU per exchange with and
//! without it: `DHCPV4_BENCH_WINDOWS`).

use std::io::{self, Write};
use std::net::Ipv4Addr;
use std::path::PathBuf;

use dhcpv4_proto::driver::Dhcpv4ServerDriver;
use dhcpv4_proto::file_store::FileStore;
use dhcpv4_proto::lease::LeaseStore;
use dhcpv4_proto::server::{
    Dhcpv4PoolConfig, Dhcpv4Reservation, Dhcpv4ReservationKey, Dhcpv4Server, Dhcpv4ServerConfig,
    Dhcpv4ServerEvent,
};
use dhcpv4_proto::wire::{DomainName, Route};
use sansio_primitives::{Duration, StdClock};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    interface: String,
    server_id: Ipv4Addr,
    lease_file: PathBuf,
    lease_time: Option<u64>,
    max_requests_per_second: Option<u32>,
    log_leases: Option<bool>,
    fsync_leases: Option<bool>,
    commit_window_us: Option<u64>,
    pool: PoolToml,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PoolToml {
    network: Ipv4Addr,
    prefix_len: u8,
    range: [Ipv4Addr; 2],
    router: Option<Ipv4Addr>,
    dns: Option<Vec<Ipv4Addr>>,
    domain: Option<String>,
    mtu: Option<u16>,
    exclude: Option<Vec<[Ipv4Addr; 2]>>,
    max_leases: Option<usize>,
    reservations: Option<Vec<ReservationToml>>,
    domain_search: Option<Vec<String>>,
    routes: Option<Vec<RouteToml>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteToml {
    destination: Ipv4Addr,
    prefix_len: u8,
    router: Ipv4Addr,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReservationToml {
    mac: String,
    address: Ipv4Addr,
}

fn parse_mac(s: &str) -> Result<Vec<u8>, String> {
    let v: Result<Vec<u8>, _> = s.split(':').map(|h| u8::from_str_radix(h, 16)).collect();
    v.map_err(|e| format!("bad MAC `{s}`: {e}"))
}

fn server_config(cfg: &Config) -> Result<Dhcpv4ServerConfig, String> {
    let p = &cfg.pool;
    let mut pool =
        Dhcpv4PoolConfig::new(1, p.network, p.prefix_len, p.range[0], p.range[1], p.router);
    pool.dns = p.dns.clone().unwrap_or_default();
    pool.domain = p.domain.clone().map(String::into_bytes);
    pool.mtu = p.mtu;
    pool.exclusions = p.exclude.iter().flatten().map(|r| (r[0], r[1])).collect();
    if let Some(m) = p.max_leases {
        pool.max_leases = m;
    }
    for name in p.domain_search.iter().flatten() {
        pool.domain_search
            .push(DomainName::from_dotted(name).ok_or_else(|| format!("bad domain `{name}`"))?);
    }
    for r in p.routes.iter().flatten() {
        pool.routes.push(Route {
            destination: r.destination,
            prefix_len: r.prefix_len,
            router: r.router,
        });
    }
    for r in p.reservations.iter().flatten() {
        pool.reservations.push(Dhcpv4Reservation {
            key: Dhcpv4ReservationKey::Hardware(parse_mac(&r.mac)?),
            address: r.address,
        });
    }
    let mut sc = Dhcpv4ServerConfig::new(cfg.server_id, vec![pool]);
    if let Some(t) = cfg.lease_time {
        sc.lease_time = Duration::from_secs(t);
    }
    if let Some(r) = cfg.max_requests_per_second {
        sc.max_requests_per_second = r;
    }
    Ok(sc)
}

/// The group-commit window when the configuration names none and the
/// leases are fsynced (without the fsync a window only delays the ACKs).
const DEFAULT_COMMIT_WINDOW_US: u64 = 1000;

/// The group-commit window of the configuration, checked.
fn commit_window(cfg: &Config) -> Result<Duration, String> {
    let default = match cfg.fsync_leases.unwrap_or(true) {
        true => DEFAULT_COMMIT_WINDOW_US,
        false => 0,
    };
    let us = cfg.commit_window_us.unwrap_or(default);
    let max = dhcpv4_proto::driver::MAX_COMMIT_WINDOW;
    match Duration::from_micros(us) {
        w if w > max => Err(format!(
            "commit_window_us = {us}: at most {} (a window that long only delays the ACKs)",
            max.as_micros()
        )),
        w => Ok(w),
    }
}

async fn run() -> Result<(), String> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: dhcpv4d CONFIG.toml")?;
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let cfg: Config = toml::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
    let window = commit_window(&cfg).map_err(|e| format!("{path}: {e}"))?;
    // Leases are stored and outlive restarts: wall-clock instants.
    let clock = StdClock::since_unix_epoch();
    let mut server =
        Dhcpv4Server::new(server_config(&cfg)?, clock.now()).map_err(|e| e.to_string())?;
    let (mut store, report) = FileStore::open(&cfg.lease_file)
        .map_err(|e| format!("{}: {e}", cfg.lease_file.display()))?;
    if report.bad_count > 0 {
        eprintln!(
            "lease file {}: {} corrupt line(s) dropped (first at line {:?}); {} records kept",
            cfg.lease_file.display(),
            report.bad_count,
            report.bad_lines.first(),
            report.records
        );
    }
    store.set_sync_writes(cfg.fsync_leases.unwrap_or(true));
    let leases = store.load().map_err(|e| e.to_string())?;
    let ignored = server.restore(leases);
    let mut driver = Dhcpv4ServerDriver::bind(&cfg.interface, 1, server, store, clock)
        .map_err(|e| format!("socket on {}: {e}", cfg.interface))?;
    // The runtime runs nothing else: the writes need no thread of their own.
    driver.set_inline_writes(true);
    driver.set_commit_window(window);
    println!(
        "ready on {} ({} leases restored, {ignored} outside the pool; lease writes {}, commit window {} us)",
        cfg.interface,
        report.records,
        match cfg.fsync_leases.unwrap_or(true) {
            true => "fsynced",
            false => "NOT fsynced: a power loss may forget the last ones",
        },
        window.as_micros()
    );
    let log = cfg.log_leases.unwrap_or(true);
    let mut out = io::BufWriter::new(io::stdout().lock());
    loop {
        if let Err(e) = driver.step().await {
            eprintln!("{e}");
        }
        let mut wrote = false;
        while let Some(e) = driver.poll_event() {
            if !log {
                continue;
            }
            wrote = true;
            let _ = match e {
                Dhcpv4ServerEvent::Leased(l) => write!(out, "leased {} to ", l.address)
                    .and_then(|()| hex(&mut out, &l.client))
                    .and_then(|()| {
                        writeln!(
                            out,
                            " host {}",
                            String::from_utf8_lossy(l.hostname.as_deref().unwrap_or(b"-"))
                        )
                    }),
                Dhcpv4ServerEvent::Released(a) => writeln!(out, "released {a}"),
                Dhcpv4ServerEvent::Declined(a) => writeln!(out, "declined {a}"),
                Dhcpv4ServerEvent::Refused { reason, .. } => writeln!(out, "refused: {reason:?}"),
            };
        }
        if wrote {
            let _ = out.flush();
        }
    }
}

/// `b` as colon-separated hex, straight into `out`.
fn hex(out: &mut impl Write, b: &[u8]) -> io::Result<()> {
    for (i, x) in b.iter().enumerate() {
        match i {
            0 => write!(out, "{x:02x}")?,
            _ => write!(out, ":{x:02x}")?,
        }
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("dhcpv4d: {e}");
        std::process::exit(1);
    }
}
