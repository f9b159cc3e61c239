//! The DHCPv4 server on the LAN: the `dhcpv4-proto` machine on a UDP socket
//! bound to the LAN interface (port 67, broadcast replies), its leases in a
//! [`FileStore`] journal in the state directory (fsynced before an ACK
//! leaves). The write and its fsync run on tokio's blocking pool, never on
//! the event loop: while one is in flight the server is left alone
//! (datagrams wait in the socket), its held ACKs go out when the write
//! completes, and the requests that came meanwhile are handled together
//! and made durable by the next write. Lease times run on a clock counted
//! from the UNIX epoch so they survive a restart. Modelled on
//! `dhcpv4-proto/examples/dhcpv4d.rs`.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

use dhcpv4_proto::file_store::FileStore;
use dhcpv4_proto::lease::{Lease, LeaseState, LeaseStore};
use dhcpv4_proto::server::{Destination, PoolConfig, Server, ServerConfig, ServerEvent};
use proto_core::{Duration, StdClock};
use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

use crate::router::config::{Config, LanAddr};

/// Pool interface id (one LAN).
const LAN: u32 = 1;

/// Lease time while no DNS servers are known (before the first IPCP).
const LEASE_WITHOUT_DNS: Duration = Duration::from_secs(120);

/// Datagrams handled together after a write completes, at most (the rest
/// wait for the next round).
const BATCH: usize = 64;

/// A lease write running on the blocking pool; it hands the store back.
type Write = JoinHandle<(FileStore, io::Result<()>)>;

/// What [`LanDhcp::wait`] saw.
pub enum Wake {
    /// A datagram of this length is in the buffer: give it to
    /// [`LanDhcp::handle`].
    Datagram(usize),
    /// The socket failed.
    RecvError(io::Error),
    /// The lease write finished: give it to [`LanDhcp::written`].
    Written(Result<(FileStore, io::Result<()>), tokio::task::JoinError>),
}

/// The LAN's DHCP service.
pub struct LanDhcp {
    sock: UdpSocket,
    /// Lease times are wall-clock (they are stored and outlive restarts).
    clock: StdClock,
    /// `None` while a write has it.
    store: Option<FileStore>,
    /// The write in flight.
    writing: Option<Write>,
    /// DNS servers waiting for the write in flight to end (the server is
    /// rebuilt then).
    deferred_dns: Option<Vec<Ipv4Addr>>,
    /// `None` until the DNS servers to hand out are known.
    server: Option<Server>,
    /// Leases loaded at start, restored into the first server.
    restored: Vec<Lease>,
    lan: LanAddr,
    range: [Ipv4Addr; 2],
    lease_time: Duration,
    configured_dns: Vec<Ipv4Addr>,
    dns: Vec<Ipv4Addr>,
}

fn socket(interface: &str) -> io::Result<UdpSocket> {
    let s = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    s.set_reuse_address(true)?;
    s.set_broadcast(true)?;
    s.bind_device(Some(interface.as_bytes()))?;
    s.bind(&SocketAddr::from((Ipv4Addr::UNSPECIFIED, 67)).into())?;
    s.set_nonblocking(true)?;
    UdpSocket::from_std(s.into())
}

impl LanDhcp {
    /// Opens the lease journal and the socket; serves at once when DNS
    /// servers are configured, else once [`Self::set_wan_dns`] gives some.
    pub fn open(cfg: &Config) -> Result<LanDhcp, String> {
        let lan = cfg.lan_addr()?;
        let path = cfg.state_dir.join("dhcp-leases");
        let (mut store, report) =
            FileStore::open(&path).map_err(|e| format!("lease file {}: {e}", path.display()))?;
        if report.bad_count > 0 {
            warn!(
                file = %path.display(),
                "{} corrupt lease record(s) dropped (first at line {:?}); {} kept",
                report.bad_count,
                report.bad_lines.first(),
                report.records
            );
        }
        let restored = store
            .load()
            .map_err(|e| format!("lease file {}: {e}", path.display()))?;
        let sock = socket(&cfg.lan.interface).map_err(|e| {
            format!(
                "DHCP socket on {} port 67: {e} (does the interface exist? another DHCP server running?)",
                cfg.lan.interface
            )
        })?;
        let mut d = LanDhcp {
            sock,
            clock: StdClock::since_unix_epoch(),
            store: Some(store),
            writing: None,
            deferred_dns: None,
            server: None,
            restored,
            lan,
            range: cfg.dhcp.range,
            lease_time: Duration::from_secs(cfg.dhcp.lease_time),
            configured_dns: cfg.dhcp.dns.clone(),
            dns: Vec::new(),
        };
        // Serve at once, even before the WAN has given DNS servers: the LAN
        // must reach the router while the ISP is down. Until then leases
        // are short, so hosts come back for the DNS servers soon.
        d.rebuild(d.configured_dns.clone())?;
        Ok(d)
    }

    /// The DNS servers IPCP gave; used when none are configured. The server
    /// is rebuilt (leases kept) when they change.
    pub fn set_wan_dns(&mut self, dns: Vec<Ipv4Addr>) {
        if !self.configured_dns.is_empty() || dns.is_empty() || dns == self.dns {
            return;
        }
        if self.writing.is_some() {
            // The server's pending changes belong to the write in flight.
            self.deferred_dns = Some(dns);
            return;
        }
        if let Err(e) = self.rebuild(dns) {
            warn!("DHCP server not restarted: {e}");
        }
    }

    fn rebuild(&mut self, dns: Vec<Ipv4Addr>) -> Result<(), String> {
        let mut pool = PoolConfig::new(
            LAN,
            self.lan.network(),
            self.lan.prefix_len,
            self.range[0],
            self.range[1],
            Some(self.lan.address),
        );
        pool.dns = dns.clone();
        // The router runs no resolver: no DNS option until IPCP gave some.
        pool.dns_defaults_to_router = false;
        let mut sc = ServerConfig::new(self.lan.address, vec![pool]);
        sc.lease_time = if dns.is_empty() {
            self.lease_time.min(LEASE_WITHOUT_DNS)
        } else {
            self.lease_time
        };
        let mut server = Server::new(sc, self.clock.now()).map_err(|e| e.to_string())?;
        let leases = match self.server.take() {
            Some(old) => old.leases().cloned().collect(),
            None => std::mem::take(&mut self.restored),
        };
        let ignored = server.restore(leases);
        if ignored > 0 {
            warn!("{ignored} stored lease(s) outside the DHCP range ignored");
        }
        info!(dns = ?dns, "DHCP server serving {}..{}", self.range[0], self.range[1]);
        self.dns = dns;
        self.server = Some(server);
        Ok(())
    }

    /// Waits for a datagram (into `buf`) or, while one is in flight, for
    /// the lease write to end (the socket is not read meanwhile).
    /// Cancel-safe.
    pub async fn wait(&mut self, buf: &mut [u8]) -> Wake {
        match &mut self.writing {
            Some(w) => Wake::Written(w.await),
            None => match self.sock.recv_from(buf).await {
                Ok((n, _)) => Wake::Datagram(n),
                Err(e) => Wake::RecvError(e),
            },
        }
    }

    fn input(&mut self, datagram: &[u8]) {
        let now = self.clock.now();
        match &mut self.server {
            Some(s) => {
                if let Err(e) = s.handle_input(now, LAN, datagram) {
                    debug!("DHCP datagram dropped: {e}");
                }
            }
            None => debug!("DHCP request ignored: no DNS servers known yet"),
        }
    }

    /// Handles one received datagram (see [`Wake::Datagram`]).
    pub fn handle(&mut self, datagram: &[u8]) {
        if self.writing.is_some() {
            // Not reached through `wait`; keep the rule anyway.
            debug!("DHCP datagram dropped: lease write in flight");
            return;
        }
        self.input(datagram);
        self.flush();
    }

    /// The lease write ended (see [`Wake::Written`]): the held replies go
    /// out (or are dropped when it failed), then the datagrams that
    /// arrived meanwhile are handled as one batch for the next write.
    pub fn written(&mut self, r: Result<(FileStore, io::Result<()>), tokio::task::JoinError>) {
        self.writing = None;
        match r {
            Ok((store, result)) => {
                self.store = Some(store);
                if let Some(server) = &mut self.server {
                    match result {
                        Ok(()) => server.commit(),
                        Err(e) => {
                            warn!("lease file write failed, replies dropped: {e}");
                            server.abort();
                        }
                    }
                }
            }
            Err(e) => {
                // The store went with the task: nothing is durable any more.
                warn!("lease writer died ({e}); DHCP replies stop until a restart");
                if let Some(server) = &mut self.server {
                    server.abort();
                }
            }
        }
        self.send_ready();
        if let Some(dns) = self.deferred_dns.take() {
            self.set_wan_dns(dns);
        }
        let mut buf = [0u8; 1600];
        for _ in 0..BATCH {
            match self.sock.try_recv_from(&mut buf) {
                Ok((n, _)) => self.input(&buf[..n]),
                Err(_) => break,
            }
        }
        self.flush();
    }

    /// When [`Self::on_timeout`] is due (`None` while a write is in
    /// flight: the timers wait for it).
    pub fn deadline(&self) -> Option<std::time::Instant> {
        if self.writing.is_some() {
            return None;
        }
        let t = self.server.as_ref()?.poll_timeout()?;
        let wait = t.saturating_duration_since(self.clock.now());
        Some(std::time::Instant::now() + wait)
    }

    /// Runs the server's timers.
    pub fn on_timeout(&mut self) {
        if self.writing.is_some() {
            return;
        }
        let now = self.clock.now();
        if let Some(s) = &mut self.server {
            s.handle_timeout(now);
        }
        self.flush();
    }

    /// Starts writing the pending lease changes on the blocking pool, or,
    /// with none pending, sends what is ready at once.
    fn flush(&mut self) {
        let Some(server) = &mut self.server else {
            return;
        };
        if self.writing.is_some() {
            return;
        }
        if server.pending_leases().is_empty() {
            server.commit();
        } else if let Some(mut store) = self.store.take() {
            let changes = server.pending_leases().to_vec();
            self.writing = Some(tokio::task::spawn_blocking(move || {
                let r = store.persist(&changes);
                (store, r)
            }));
        } else {
            warn!("no lease store, replies dropped");
            server.abort();
        }
        self.send_ready();
    }

    /// Sends the replies whose leases are durable and logs the events.
    fn send_ready(&mut self) {
        let Some(server) = &mut self.server else {
            return;
        };
        while let Some(t) = server.poll_transmit() {
            let to = match t.destination {
                Destination::Unicast { address, .. } => address,
                Destination::Broadcast { .. } | Destination::Link { .. } => {
                    SocketAddrV4::new(Ipv4Addr::BROADCAST, 68)
                }
            };
            if let Err(e) = self.sock.try_send_to(&t.payload, to.into()) {
                warn!("DHCP reply to {to} not sent: {e}");
            }
        }
        while let Some(e) = server.poll_event() {
            match e {
                ServerEvent::Leased(l) => info!(
                    "DHCP lease {} to {} ({})",
                    l.address,
                    mac(&l.hardware),
                    String::from_utf8_lossy(l.hostname.as_deref().unwrap_or(b"-"))
                ),
                ServerEvent::Released(a) => info!("DHCP lease {a} released"),
                ServerEvent::Declined(a) => warn!("DHCP address {a} declined by a client"),
                ServerEvent::Refused { reason, .. } => warn!("DHCP request refused: {reason:?}"),
            }
        }
    }

    /// The bound leases, one line each, for `router status`.
    pub fn leases_text(&self) -> String {
        let Some(server) = &self.server else {
            return "  (DHCP server waiting for DNS servers from the WAN)\n".into();
        };
        let now = self.clock.now();
        let mut out = String::new();
        for l in server
            .leases()
            .filter(|l| l.state == LeaseState::Bound && l.is_held(now))
        {
            out.push_str(&format!(
                "  {} {} {} expires in {}s\n",
                l.address,
                mac(&l.hardware),
                String::from_utf8_lossy(l.hostname.as_deref().unwrap_or(b"-")),
                l.expires.saturating_duration_since(now).as_secs()
            ));
        }
        if out.is_empty() {
            out.push_str("  (none)\n");
        }
        out
    }
}

fn mac(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}
