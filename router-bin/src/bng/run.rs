//! Start-up, the one event loop, and the clean shutdown.

use std::io;
use std::net::IpAddr;
use std::time::Duration;

use crate::aio::{AsyncPacketSocket, AsyncTun};
use crate::batch::FrameBatch;
use crate::control;
use crate::instance::InstanceLock;
use crate::netconf::{Netconf, disable_ipv6_autoconf};
use ppp_proto::PppConfig;
use pppoe_link::{AcLink, ETH_P_PPP_DISC};
use pppoe_proto::PppoeAcConfig;
use pppoe_proto::wire::EthernetAddress;
use sansio_primitives::{SeededRng, StdClock};
use std::sync::Arc;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::bng::access::{self, Access};
use crate::bng::coa::Coa;
use crate::bng::config::Config;
use crate::bng::ctl::{answer, serve_connection};
use crate::bng::engine::{Bng, RouteOp, Stats};
use crate::bng::offload;
use crate::bng::pool::{Pool, cidr_blocks};
use crate::bng::radius::Radius;
use crate::bng::sessions::Table;
use crate::bng::workers::Workers;

/// TUN reads per wake-up at most (the first waits, the rest take what is
/// queued), so the other inputs get their turn.
const TUN_BURST: usize = 16;

/// Control connections served at once.
const MAX_CONTROL_CONNECTIONS: usize = 8;

/// What woke the loop.
enum Input {
    Discovery(io::Result<usize>),
    Session(io::Result<usize>),
    /// A session frame a worker handed over (`None`: every worker quit).
    Handed(Option<Vec<u8>>),
    Tun(io::Result<usize>),
    /// An Access-Request was decided (the loop's `pump` hands it on), or an
    /// Accounting-Request is over.
    RadiusDecided,
    /// A verified Disconnect/CoA request (`None`: the listener stopped).
    Coa(Option<radius_proto::dynauth::DynAuthRequest>),
    Connection(io::Result<tokio::net::UnixStream>),
    Command(Option<(String, oneshot::Sender<String>)>),
    Timer,
    Tick,
    Signal(&'static str),
    /// The DHCPv6 writer made batches of bindings durable.
    Dhcpv6Durable(crate::bng::dhcpv6::Durable),
}

fn hint(what: &str, e: io::Error) -> String {
    let extra = if e.kind() == io::ErrorKind::PermissionDenied {
        " (bng needs root, or CAP_NET_RAW and CAP_NET_ADMIN)"
    } else {
        ""
    };
    format!("{what}: {e}{extra}")
}

fn seed() -> SeededRng {
    let mut s = [0u8; 32];
    match std::fs::File::open("/dev/urandom").and_then(|mut f| io::Read::read_exact(&mut f, &mut s))
    {
        Ok(()) => SeededRng::from_seed(s),
        Err(e) => {
            tracing::warn!("/dev/urandom: {e}; seeding from the clock");
            SeededRng::from_u64(
                u64::from(crate::bng::sessions::unix_now()) ^ u64::from(std::process::id()),
            )
        }
    }
}

/// Resolves when an Access-Request is decided or an Accounting-Request is
/// over (never without `[radius]`).
async fn radius_decided(radius: Option<&mut Radius>) {
    match radius {
        Some(r) => r.decided().await,
        None => std::future::pending().await,
    }
}

/// The next frame a worker hands over (never without workers, nor after
/// they all quit).
async fn recv_handed(workers: Option<&mut Workers>) -> Option<Vec<u8>> {
    match workers {
        Some(w) => w.recv().await,
        None => std::future::pending().await,
    }
}

async fn recv_coa(coa: Option<&mut Coa>) -> Option<radius_proto::dynauth::DynAuthRequest> {
    match coa {
        Some(c) => c.requests.recv().await,
        None => std::future::pending().await,
    }
}

/// The IPv4 forwarding switch of our network namespace.
const IP_FORWARD: &str = "/proc/sys/net/ipv4/ip_forward";

/// Turns IPv4 forwarding on at `path` when it is off; whether it was off.
fn enable_forwarding(path: &std::path::Path) -> io::Result<bool> {
    if std::fs::read_to_string(path)?.trim() != "0" {
        return Ok(false);
    }
    std::fs::write(path, "1\n")?;
    Ok(true)
}

/// The MTU of interface `name` (from sysfs), if it can be read.
pub(super) fn current_mtu(name: &str) -> Option<u32> {
    std::fs::read_to_string(format!("/sys/class/net/{name}/mtu"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Takes the instance lock beside the control socket (its directory is
/// created if missing).
fn lock(cfg: &Config) -> Result<InstanceLock, String> {
    let socket = &cfg.control_socket;
    if let Some(dir) = socket.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    InstanceLock::acquire(
        &socket.with_extension("lock"),
        "bng",
        &format!("control socket {}", socket.display()),
    )
}

/// The TUN device of the event loop's data path (`workers = 1`).
fn open_tun(cfg: &Config) -> Result<AsyncTun, String> {
    match AsyncTun::open_offload(&cfg.tun) {
        Ok(t) => Ok(t),
        Err(e) => {
            tracing::warn!("TUN device {}: no offloads ({e})", cfg.tun);
            AsyncTun::open(&cfg.tun).map_err(|e| hint(&format!("TUN device {}", cfg.tun), e))
        }
    }
}

/// Serves until SIGTERM/SIGINT.
pub async fn run(cfg: Config) -> Result<(), String> {
    // Before anything else: a second bng with this control socket stops
    // here, leaving the running one's TUN, routes and socket alone.
    let _lock = lock(&cfg)?;
    let clock = StdClock::new();
    let mut rng = seed();
    let mut disc = AsyncPacketSocket::open(&cfg.interface, ETH_P_PPP_DISC)
        .map_err(|e| hint(&format!("access interface {}", cfg.interface), e))?;
    let with_workers = cfg.datapath.workers > 1;
    let out = access::open_out(&cfg.interface, with_workers)
        .map_err(|e| hint(&format!("access interface {}", cfg.interface), e))?;
    let mut access = Access::new(disc.socket().ifindex(), out.mac());
    // With offloads (TCP super-packets in one read) where the kernel has
    // them; one packet per read otherwise. With workers, a multiqueue
    // device: a queue each, and the loop writes on worker 0's.
    let (tun, workers) = match with_workers {
        true => {
            let (tun, w) = Workers::open(&cfg, clock).map_err(|e| hint("data path workers", e))?;
            (tun, Some(w))
        }
        false => (open_tun(&cfg)?, None),
    };
    let nc = Netconf::new().await.map_err(|e| hint("netlink", e))?;
    if let Err(e) = disable_ipv6_autoconf(&cfg.tun) {
        tracing::warn!("{e}");
    }
    // RFC 4638 needs the access interface to carry the largest payload
    // plus the 8-byte PPPoE/PPP header; the TUN device carries the largest
    // payload (each session's own MTU is enforced in the data path).
    // Only ever raised: an interface with a larger MTU keeps it.
    let access_mtu = cfg
        .ppp_max_payload
        .map(|p| u32::from(p) + 8)
        .filter(|need| current_mtu(&cfg.interface).is_none_or(|m| m < *need));
    nc.link_up(&cfg.interface, access_mtu)
        .await
        .map_err(|e| hint(&format!("access interface {}", cfg.interface), e))?;
    nc.link_up(&cfg.tun, Some(u32::from(cfg.max_payload())))
        .await
        .map_err(|e| hint(&cfg.tun, e))?;
    nc.add_address(&cfg.tun, IpAddr::V4(cfg.pool.local), 32)
        .await
        .map_err(|e| hint(&cfg.tun, e))?;
    // The bng routes between the sessions and its uplink.
    match enable_forwarding(std::path::Path::new(IP_FORWARD)) {
        Ok(true) => tracing::info!("net.ipv4.ip_forward was 0: set to 1"),
        Ok(false) => {}
        Err(e) => tracing::warn!(
            "cannot turn on net.ipv4.ip_forward ({IP_FORWARD}: {e}): sessions reach only the bng itself"
        ),
    }
    // The ICMP errors the bng writes into the TUN device come from its own
    // address (pool.local): without accept_local the kernel drops them as
    // martians. Sessions cannot use that source (the data path drops
    // spoofed packets), so only the bng's own packets carry it.
    let accept_local = format!("/proc/sys/net/ipv4/conf/{}/accept_local", cfg.tun);
    if let Err(e) = std::fs::write(&accept_local, "1\n") {
        tracing::warn!(
            "cannot set {accept_local} ({e}): senders of too-big packets get no ICMP Fragmentation Needed"
        );
    }
    let blocks = cidr_blocks(cfg.pool.first, cfg.pool.last);
    for (net, len) in &blocks {
        nc.replace_route(IpAddr::V4(*net), *len, &cfg.tun)
            .await
            .map_err(|e| hint("pool route", e))?;
    }

    let mut ac = PppoeAcConfig::new(EthernetAddress(out.mac()), cfg.ac_name.as_bytes());
    ac.services = cfg
        .service_names
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
    ac.max_sessions = cfg.max_sessions;
    ac.max_sessions_per_mac = cfg.max_sessions_per_mac;
    ac.at_mac_limit = cfg.at_mac_limit.into();
    ac.padi_rate_total = cfg.discovery.padi_rate_total();
    ac.rate_table_slots = cfg.discovery.mac_rate_slots;
    // A host that asks for PPP-Max-Payload gets up to this; the link then
    // asks LCP for that MRU (pppoe-link applies RFC 4638) and LinkUp reports the
    // session's MTU.
    ac.ppp_max_payload = cfg.ppp_max_payload;
    let mut ppp = PppConfig::authenticator(cfg.ac_name.as_bytes(), cfg.pool.local);
    ppp.ipv6 = cfg.ipv6cp;
    // IPv6-only access: IPCP is Protocol-Rejected, and a session whose
    // IPv6CP goes away has nothing left to carry.
    ppp.ipv4 = cfg.ipv4;
    ppp.ipv6_required = !cfg.ipv4;
    ppp.lcp.echo_interval =
        (cfg.lcp.echo_interval > 0).then(|| Duration::from_secs(cfg.lcp.echo_interval.into()));
    ppp.lcp.echo_failure = cfg.lcp.echo_failure;
    let link = AcLink::new(ac, ppp, rng.fork(), clock.now())
        .map_err(|e| format!("PPPoE settings: {e}"))?;
    let radius = match &cfg.radius {
        Some(r) => Some(
            Radius::new(r, rng.fork())
                .await
                .map_err(|e| hint("radius", e))?,
        ),
        None => None,
    };
    let coa = Coa::new(&cfg).await.map_err(|e| hint("coa", e))?;
    let listener = control::bind(&cfg.control_socket).map_err(|e| {
        hint(
            &format!("control socket {}", cfg.control_socket.display()),
            e,
        )
    })?;
    tracing::info!(
        interface = %cfg.interface, tun = %cfg.tun, local = %cfg.pool.local,
        pool = %format!("{}-{}", cfg.pool.first, cfg.pool.last),
        auth = if cfg.radius.is_some() { "radius" } else { "users table" },
        "bng ready"
    );

    let dhcpv6 = crate::bng::dhcpv6::Dhcpv6::open(&cfg, out.mac())?;
    if cfg.ipv6.is_some() {
        // The sessions' prefixes are routed through the TUN device.
        let forwarding = "/proc/sys/net/ipv6/conf/all/forwarding";
        if let Err(e) = std::fs::write(forwarding, "1\n") {
            tracing::warn!("cannot turn on IPv6 forwarding ({forwarding}: {e})");
        }
    }
    let tun_vnet = tun.vnet();
    let mut bng = Bng {
        pool: Pool::new(cfg.pool.first, cfg.pool.last, cfg.pool.local),
        cfg,
        clock,
        link,
        table: Table::new(),
        radius,
        coa,
        out,
        tun,
        routes: Vec::new(),
        stats: Stats::default(),
        shutting_down: false,
        backlog: Default::default(),
        up_gro: crate::bng::datapath::UpGro::new(tun_vnet),
        tx: Default::default(),
        icmp_limit: sansio_primitives::RateLimiter::new(crate::bng::mtu::ICMP_LIMIT, clock.now()),
        rng: rng.fork(),
        dhcpv6,
        v6_routes: Default::default(),
        v6_timers: Default::default(),
        workers,
        dp_dirty: Vec::new(),
        ptb: None,
    };
    bng.ptb = bng
        .cfg
        .ipv6
        .as_ref()
        .map(|v6| crate::bng::ipv6::PacketTooBig::new(v6.icmp_source, bng.clock.now()));
    if let Some(w) = &bng.workers {
        tracing::info!(
            workers = w.len(),
            "upstream data path on worker threads, downstream too (multiqueue {})",
            bng.cfg.tun
        );
    }
    let connections = Arc::new(Semaphore::new(MAX_CONTROL_CONNECTIONS));
    let (ctl_tx, mut ctl_rx) = mpsc::channel::<(String, oneshot::Sender<String>)>(16);
    let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut stop_at: Option<tokio::time::Instant> = None;
    let mut disc_buf = vec![0u8; 2048];
    // Session frames come in batches: one recvmmsg takes up to 64.
    let mut ses_batch = FrameBatch::standard();
    let mut tun_buf = vec![0u8; offload::TUN_BUF_LEN];
    let mut seg_buf = vec![0u8; 2048];
    let vnet = bng.tun.vnet();
    if let Some(r) = &mut bng.radius {
        r.accounting_on_off(true);
        tracing::info!("Accounting-On sent: sessions are accepted once it is answered");
    }
    // The link's next timer costs a pass over every session: recomputed
    // only after inputs that can change it (not after IP packets).
    let (mut link_deadline, mut link_dirty) = (None, true);
    let mut workers_gone = false;
    loop {
        bng.pump();
        bng.sync_workers();
        for op in std::mem::take(&mut bng.routes) {
            let r = match op {
                RouteOp::Add(a) => nc.replace_route(IpAddr::V4(a), 32, &bng.cfg.tun).await,
                RouteOp::Del(a) => nc.delete_route(IpAddr::V4(a), 32, &bng.cfg.tun).await,
                RouteOp::Add6(p, l) => nc.replace_route(IpAddr::V6(p), l, &bng.cfg.tun).await,
                RouteOp::Del6(p, l) => nc.delete_route(IpAddr::V6(p), l, &bng.cfg.tun).await,
            };
            if let Err(e) = r {
                tracing::warn!("{op:?}: {e}");
            }
        }
        if let Some(t) = stop_at {
            // Queued RADIUS requests count too: Stops, then Accounting-Off.
            let idle = bng.table.by_id.is_empty()
                && bng.radius.as_ref().is_none_or(|r| r.outstanding() == 0);
            if idle {
                break;
            }
            if tokio::time::Instant::now() >= t {
                if let Some(r) = bng.radius.as_ref().filter(|r| r.outstanding() > 0) {
                    tracing::warn!(
                        unanswered = r.outstanding() - r.queued(),
                        never_sent = r.queued(),
                        "shutdown grace over with RADIUS requests left"
                    );
                }
                break;
            }
        }
        if link_dirty {
            link_deadline = bng.link.poll_timeout();
        }
        link_dirty = true;
        let next = link_deadline
            .and_then(|t| bng.clock.to_std(t))
            .into_iter()
            .chain(bng.next_release())
            .chain(bng.v6_deadline())
            .min()
            .map_or_else(
                || tokio::time::Instant::now() + Duration::from_secs(3600),
                tokio::time::Instant::from_std,
            );
        let input = tokio::select! {
            r = disc.recv(&mut disc_buf) => Input::Discovery(r),
            r = bng.out.recv_batch(&mut ses_batch), if !with_workers => Input::Session(r),
            f = recv_handed(bng.workers.as_mut()), if !workers_gone => Input::Handed(f),
            // With workers they read the TUN device.
            r = bng.tun.recv(&mut tun_buf[offload::read_at(vnet)..]), if !with_workers => Input::Tun(r),
            () = radius_decided(bng.radius.as_mut()) => Input::RadiusDecided,
            r = recv_coa(bng.coa.as_mut()) => Input::Coa(r),
            r = listener.accept() => Input::Connection(r.map(|(s, _)| s)),
            c = ctl_rx.recv() => Input::Command(c),
            _ = tokio::time::sleep_until(next) => Input::Timer,
            _ = tick.tick() => Input::Tick,
            _ = term.recv() => Input::Signal("SIGTERM"),
            _ = int.recv() => Input::Signal("SIGINT"),
            d = crate::bng::dhcpv6::dhcpv6_durable(bng.dhcpv6.as_mut()) => Input::Dhcpv6Durable(d),
        };
        let now = bng.clock.now();
        match input {
            Input::Discovery(Ok(n)) => {
                // No PADO and no session before the Accounting-On is
                // answered (or given up on): see `Radius::ready`.
                let ready = bng.radius.as_ref().is_none_or(Radius::ready);
                if !bng.shutting_down && ready {
                    let _ = bng.link.handle_input(now, &disc_buf[..n]);
                }
            }
            // The loop's `pump` hands the verdict to the session.
            Input::RadiusDecided => link_dirty = false,
            Input::Session(Ok(_)) => {
                let mut dirty = false;
                // One clock read for the batch (the frames arrived together).
                for f in ses_batch.frames_mut() {
                    dirty |= !bng.on_session_frame(now, f);
                }
                bng.flush_upstream();
                // The batch's DHCPv6 bindings to the writer (one fsync);
                // its Replies go when it confirms.
                bng.dhcpv6_flush();
                link_dirty = dirty;
            }
            Input::Handed(Some(mut f)) => {
                let mut dirty = !bng.on_session_frame(now, &mut f);
                // The rest of what waits, up to a batch.
                for _ in 1..ses_batch.capacity() {
                    let Some(mut f) = bng.workers.as_mut().and_then(Workers::try_recv) else {
                        break;
                    };
                    dirty |= !bng.on_session_frame(now, &mut f);
                }
                bng.flush_upstream();
                // DHCPv6 arrives this way with workers: to the writer.
                bng.dhcpv6_flush();
                link_dirty = dirty;
            }
            Input::Handed(None) => {
                tracing::error!("every data path worker quit: no session frames reach the bng");
                workers_gone = true;
            }
            Input::Tun(Ok(n)) => {
                bng.on_tun_read(vnet, &mut tun_buf, n, &mut seg_buf);
                // The rest of the burst the kernel has queued, then its
                // session frames leave together (one sendmmsg per batch).
                for _ in 1..TUN_BURST {
                    match bng.tun.try_recv(&mut tun_buf[offload::read_at(vnet)..]) {
                        Ok(n) => bng.on_tun_read(vnet, &mut tun_buf, n, &mut seg_buf),
                        Err(_) => break,
                    }
                }
                bng.flush_tx();
                link_dirty = false;
            }
            Input::Coa(Some(req)) => bng.on_dynauth(req),
            Input::Coa(None) => {
                tracing::warn!("the dynamic-authorization listener stopped");
                bng.coa = None;
            }
            Input::Discovery(Err(e))
            | Input::Session(Err(e))
            | Input::Tun(Err(e))
            | Input::Connection(Err(e)) => {
                tracing::warn!("receive failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Input::Connection(Ok(stream)) => match connections.clone().try_acquire_owned() {
                Ok(permit) => {
                    let to_loop = ctl_tx.clone();
                    tokio::spawn(async move {
                        serve_connection(stream, to_loop).await;
                        drop(permit);
                    });
                }
                Err(_) => tracing::warn!("control socket: too many connections, one refused"),
            },
            Input::Command(Some((command, reply))) => {
                bng.absorb_workers();
                let _ = reply.send(answer(&bng, &command));
            }
            Input::Command(None) => {}
            Input::Timer => {
                bng.release_queues();
                bng.link.handle_timeout(now);
                bng.v6_timeout();
            }
            Input::Dhcpv6Durable(d) => {
                bng.dhcpv6_durable(&d);
                link_dirty = false;
            }
            Input::Tick => {
                bng.housekeeping();
                let need = bng.cfg.ppp_max_payload.map(|p| u32::from(p) + 8);
                access.check(&nc, &mut disc, &mut bng, need).await;
            }
            Input::Signal(name) => {
                if stop_at.is_some() {
                    tracing::warn!("{name} again: exiting at once");
                    break;
                }
                tracing::info!(
                    sessions = bng.table.by_id.len(),
                    "{name}: closing every session"
                );
                bng.shutdown();
                stop_at = Some(tokio::time::Instant::now() + bng.cfg.shutdown_grace());
            }
        }
    }
    if !bng.table.by_id.is_empty() {
        tracing::warn!(
            sessions = bng.table.by_id.len(),
            "sessions whose peer did not answer the Terminate-Request: sending PADT"
        );
        bng.send_final_padts();
    }
    for (net, len) in &blocks {
        let _ = nc.delete_route(IpAddr::V4(*net), *len, &bng.cfg.tun).await;
    }
    for s in bng.table.by_id.values().filter(|s| s.own_route) {
        if let Some(a) = s.addr {
            let _ = nc.delete_route(IpAddr::V4(a), 32, &bng.cfg.tun).await;
        }
    }
    for s in bng.table.by_id.values() {
        let Some(v) = &s.v6 else { continue };
        for p in [v.delegated, v.framed].into_iter().flatten() {
            let _ = nc
                .delete_route(IpAddr::V6(p.addr), p.len, &bng.cfg.tun)
                .await;
        }
    }
    let _ = std::fs::remove_file(&bng.cfg.control_socket);
    tracing::info!("bng stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mtu_of_an_interface_is_read() {
        assert_eq!(current_mtu("lo").map(|m| m >= 1500), Some(true));
        assert_eq!(current_mtu("no-such-if0"), None);
    }

    #[test]
    fn forwarding_is_turned_on_when_off() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ip_forward");
        std::fs::write(&path, "0\n").unwrap();
        assert!(enable_forwarding(&path).unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap().trim(), "1");
        assert!(!enable_forwarding(&path).unwrap());
        assert!(enable_forwarding(&dir.path().join("missing")).is_err());
    }
}
