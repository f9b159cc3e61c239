//! The router's one event loop: WAN frames, TUN packets, DHCP datagrams,
//! control requests, timers and signals, all in one `tokio::select!`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use crate::aio::AsyncTun;
use crate::batch::FrameBatch;
use crate::gro::Gro;
use crate::instance::InstanceLock;
use crate::netconf::{Netconf, disable_ipv6_autoconf};
use tokio::net::UnixListener;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};
use tracing::{debug, info, warn};

use crate::router::config::Config;
use crate::router::datapath::Counters;
use crate::router::dhcp::LanDhcp;
use crate::router::dns::{LanDns, NAMES_REFRESH};
use crate::router::firewall;
use crate::router::ipv6::{self, Ipv6};
use crate::router::offload;
use crate::router::v6only::V6Only;
use crate::router::wan::{Action, Wan};
use crate::router::wan_socket::WanSocket;
use crate::router::workers::{ToControl, Workers};

/// How long a hang-up may take at exit.
const HANGUP_WAIT: Duration = Duration::from_secs(4);

/// How often a missing or failed WAN interface is looked for.
const WAN_CHECK: Duration = Duration::from_secs(1);

/// Runs until SIGTERM or SIGINT; then hangs up and cleans up.
pub async fn run(cfg: Config) -> Result<(), String> {
    std::fs::create_dir_all(&cfg.state_dir)
        .map_err(|e| format!("state_dir {}: {e}", cfg.state_dir.display()))?;
    // Before anything else: a second router with this state dir stops
    // here, leaving the running one's TUN, nft table and socket alone.
    let _lock = InstanceLock::acquire(
        &cfg.state_dir.join("router.lock"),
        "router",
        &format!("state dir {}", cfg.state_dir.display()),
    )?;
    // What only one process can hold comes next, before any change to the
    // system: a PPP interface or control socket in use ends the start here.
    let ppp = cfg.wan.ppp_interface.clone();
    let tun = open_tun(&ppp, cfg.workers())?;
    let path = cfg.control_path();
    let listener = crate::control::bind(&path)
        .map_err(|e| format!("control socket {}: {e}", path.display()))?;
    let net = Netconf::new().await.map_err(|e| format!("netlink: {e}"))?;
    let lan = cfg.lan_addr()?;
    let lan_if = cfg.lan.interface.as_str();
    let wan_if = cfg.wan.interface.as_str();
    // RFC 4638 needs the Ethernet MTU to carry payload + the 8-byte
    // PPPoE/PPP header.
    let wan_mtu = cfg.wan.ppp_max_payload.map(|p| u32::from(p) + 8);
    net.link_up(wan_if, wan_mtu)
        .await
        .map_err(|e| format!("WAN interface {wan_if}: {e}"))?;
    net.link_up(lan_if, None)
        .await
        .map_err(|e| format!("LAN interface {lan_if}: {e}"))?;
    net.add_address(lan_if, IpAddr::V4(lan.address), lan.prefix_len)
        .await
        .map_err(|e| format!("LAN address on {lan_if}: {e}"))?;
    firewall::enable_forwarding().map_err(|e| e.to_string())?;
    if cfg.nat {
        firewall::install(lan_if, &ppp).map_err(|e| e.to_string())?;
        info!("NAT44 and forward firewall installed (nft table inet router)");
    }
    let result = serve(&cfg, &net, tun, listener).await;
    // Clean up whatever happened.
    let _ = net.flush_addresses(&ppp).await;
    let _ = net.link_down(&ppp).await;
    if cfg.nat
        && let Err(e) = firewall::remove()
    {
        warn!("{e}");
    }
    let _ = std::fs::remove_file(cfg.control_path());
    result
}

/// Where the session's IP packets cross into the kernel.
enum PppTun {
    /// One TUN in the event loop (`wan.workers = 1`); with offloads?
    Single(AsyncTun, bool),
    /// A multiqueue TUN, a worker thread per queue.
    Workers(Workers),
}

/// The TUN `ppp0` with offloads (TCP super-packets out, see
/// [`offload`]); without them where the kernel refuses. With more than one
/// worker, a multiqueue TUN whose queues the workers take.
fn open_tun(ppp: &str, workers: usize) -> Result<PppTun, String> {
    if workers > 1 {
        let queues = match crate::tun::Tun::open_queues(ppp, workers, true) {
            Ok(q) => Ok((q, true)),
            Err(e) if e.kind() != std::io::ErrorKind::ResourceBusy => {
                warn!("TUN {ppp}: no offloads ({e}): one packet per read");
                crate::tun::Tun::open_queues(ppp, workers, false).map(|q| (q, false))
            }
            Err(e) => Err(e),
        };
        let (queues, vnet) = queues.map_err(|e| format!("TUN {ppp}: {e}"))?;
        let w = Workers::start(queues, vnet).map_err(|e| format!("data path workers: {e}"))?;
        info!("{workers} data path workers (multiqueue {ppp}, PACKET_FANOUT_HASH)");
        return Ok(PppTun::Workers(w));
    }
    match AsyncTun::open_offload(ppp) {
        Ok(tun) => Ok(PppTun::Single(tun, true)),
        Err(e) => {
            warn!("TUN {ppp}: no offloads ({e}): one packet per read");
            let tun = AsyncTun::open(ppp).map_err(|e| format!("TUN {ppp}: {e}"))?;
            Ok(PppTun::Single(tun, false))
        }
    }
}

/// Waits for a packet of the event loop's TUN; never without one.
async fn tun_recv(tun: Option<&AsyncTun>, buf: &mut [u8]) -> std::io::Result<usize> {
    match tun {
        Some(t) => t.recv(buf).await,
        None => std::future::pending().await,
    }
}

/// Waits for what a worker hands over; never without workers.
async fn from_workers(workers: Option<&mut Workers>) -> Option<ToControl> {
    match workers {
        Some(w) => w.recv().await,
        None => std::future::pending().await,
    }
}

async fn serve(
    cfg: &Config,
    net: &Netconf,
    ppp_tun: PppTun,
    listener: UnixListener,
) -> Result<(), String> {
    let (tun, vnet, mut workers) = match ppp_tun {
        PppTun::Single(t, vnet) => (Some(t), vnet, None),
        PppTun::Workers(w) => (None, false, Some(w)),
    };
    let wan_if = cfg.wan.interface.as_str();
    let ppp = cfg.wan.ppp_interface.as_str();
    let wan_mtu = cfg.wan.ppp_max_payload.map(|p| u32::from(p) + 8);
    let mut ws = WanSocket::open(net, wan_if, workers.as_ref(), cfg.wan.qdisc_bypass).await?;
    disable_ipv6_autoconf(ppp).map_err(|e| format!("{ppp}: {e}"))?;
    if cfg.wan.ipv6
        && let Err(e) = firewall::enable_ipv6(ppp)
    {
        warn!("IPv6 stays off on {ppp}: {e}");
    }
    let mut dhcp = match cfg.dhcp.enabled {
        true => Some(LanDhcp::open(cfg)?),
        false => None,
    };
    let mut forwarder = match cfg.dns.enabled {
        true => Some(LanDns::start(cfg).await?),
        false => None,
    };
    // The names of the leases restored from the state dir, at once.
    let mut names_at = Instant::now();
    let (ctl_tx, mut ctl_rx) = mpsc::channel::<crate::daemon::Request>(16);
    crate::daemon::spawn_control(listener, ctl_tx);
    let mut sigterm = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut sigint = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    let mut wan = Wan::new(cfg.clone(), ws.sock.mac(), crate::daemon::os_seed()?);
    let mut ipv6 = Ipv6::open(cfg, ws.sock.mac(), crate::daemon::os_seed()?).unwrap_or_else(|e| {
        warn!("no IPv6 on the LAN: {e}");
        None
    });
    let mut v6only = V6Only::new(cfg, crate::daemon::os_seed()?)?;
    info!(
        "router running: WAN {wan_if}, LAN {} {}",
        cfg.lan.interface, cfg.lan.address
    );

    let mut counters = Counters::default();
    let mut rx = FrameBatch::standard();
    let mut tx = FrameBatch::standard();
    let mut gro = Gro::new();
    let mut packet = vec![0u8; offload::TUN_READ_MAX];
    let mut segment = vec![0u8; 2048];
    let mut shutdown: Option<Instant> = None;
    // When to look for a failed WAN interface again: fixed once set, so
    // steady LAN or DHCP traffic cannot keep pushing it back.
    let mut wan_check_at: Option<Instant> = None;
    loop {
        // First: a session that went down stops the workers' data before
        // anything else goes out.
        if let Some(w) = &mut workers {
            w.publish(wan.data_session());
        }
        while let Some(f) = wan.poll_transmit() {
            if let Err(e) = ws.sock.send(&f) {
                debug!("WAN send: {e}");
                ws.send_failed(&e);
            }
        }
        while let Some(a) = wan.poll_action() {
            v6only.touch();
            if let Some(v6) = &mut ipv6 {
                v6.on_wan(&a);
            }
            apply(net, ppp, a, dhcp.as_mut(), forwarder.as_mut()).await;
        }
        if let Some(deadline) = shutdown
            && (wan.idle() || Instant::now() >= deadline)
        {
            if let Some(v6) = &mut ipv6 {
                v6.shutdown();
            }
            apply_ipv6(net, &cfg.lan.interface, ipv6.as_mut()).await;
            info!("stopped");
            return Ok(());
        }
        if v6only.due() {
            v6only
                .sync(net, &wan, ipv6.as_mut(), forwarder.as_mut())
                .await;
        }
        apply_ipv6(net, &cfg.lan.interface, ipv6.as_mut()).await;
        let far = Instant::now() + Duration::from_secs(3600);
        let mut next = wan.deadline().map_or(far, Instant::from_std);
        if let Some(t) = shutdown {
            next = next.min(t);
        }
        if let (Some(d), Some(f)) = (&dhcp, &mut forwarder)
            && Instant::now() >= names_at
        {
            f.refresh_dhcpv4(d).await;
            names_at = Instant::now() + NAMES_REFRESH;
        }
        if forwarder.is_some() && dhcp.is_some() {
            next = next.min(names_at);
        }
        if ws.failed && shutdown.is_none() {
            // Look for the WAN interface again each second.
            next = next.min(*wan_check_at.get_or_insert_with(|| Instant::now() + WAN_CHECK));
        } else {
            wan_check_at = None;
        }
        let dhcp_wait = async {
            match &mut dhcp {
                Some(d) => d.step().await,
                None => std::future::pending().await,
            }
        };
        let ipv6_wait = async {
            match &mut ipv6 {
                Some(v6) => v6.step().await,
                None => std::future::pending().await,
            }
        };
        let v6only_wait = v6only.step();
        tokio::select! {
            r = ws.sock.recv_batch(&mut rx), if tun.is_some() => match r {
                Ok(_) => {
                    let Some(tun) = &tun else { continue };
                    for f in rx.frames_mut() {
                        offload::from_wan(vnet, &mut wan, tun, &mut gro, f, &mut counters, |p| {
                            v6only.on_session_ipv6(p)
                        });
                    }
                    offload::flush_gro(tun, &mut gro, &mut counters);
                }
                Err(e) => {
                    // ENETDOWN when the port goes down or the interface is
                    // deleted: log once a while, do not spin; a re-created
                    // interface gets a new socket.
                    warn!("WAN receive on {wan_if}: {e}");
                    if let Some((mac, moved)) =
                        ws.refresh(net, wan_if, wan_mtu, "receive error", None).await
                    {
                        wan.set_mac(mac);
                        if moved {
                            wan.restart("WAN interface re-created");
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            },
            Some(m) = from_workers(workers.as_mut()) => match m {
                ToControl::Frame(f) => {
                    // Data of a session the workers were not told of yet
                    // (or no more): nowhere to go.
                    if wan.handle_frame(&f).is_some() {
                        counters.dropped += 1;
                    }
                }
                ToControl::RouterAdvertisement(p) => v6only.on_session_ipv6(&p),
                // Each worker of the group reports it: the first reopens.
                ToControl::SocketFailed { group, error } if workers.as_ref().is_some_and(|w| w.is_current(group)) => {
                    warn!("WAN receive on {wan_if}: {error}");
                    ws.failed = true;
                    if let Some((mac, moved)) =
                        ws.refresh(net, wan_if, wan_mtu, "receive error", workers.as_ref()).await
                    {
                        wan.set_mac(mac);
                        if moved {
                            wan.restart("WAN interface re-created");
                        }
                    }
                }
                ToControl::SocketFailed { .. } => {}
            },
            r = tun_recv(tun.as_ref(), &mut packet[offload::read_at(vnet)..]) => match r {
                Ok(n) => {
                    let mut unsent = offload::Unsent::default();
                    offload::outbound(vnet, &mut packet, n, wan.mtu(), &mut segment, &mut counters, |proto, ip| {
                        if tx.is_full() {
                            offload::flush(&ws.sock, &mut tx, &mut unsent);
                        }
                        tx.push_with(|slot| wan.encapsulate(proto, ip, slot))
                    });
                    // One sendmmsg per TUN read (a batch of 64 frames holds
                    // a super-packet's 45 segments at MTU 1492).
                    offload::flush(&ws.sock, &mut tx, &mut unsent);
                    if let Some(e) = unsent.settle(&mut counters) {
                        debug!("WAN send: {e}");
                        ws.send_failed(&e);
                    }
                }
                Err(e) => {
                    warn!("{ppp} receive: {e}");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            },
            () = dhcp_wait => {
                if let (Some(d), Some(f)) = (&dhcp, &mut forwarder) {
                    f.refresh_dhcpv4(d).await;
                }
            }
            () = ipv6_wait => {
                v6only.touch();
                if let (Some(v6), Some(f)) = (&ipv6, &mut forwarder) {
                    let dns = v6.dns_servers().iter().map(|a| IpAddr::V6(*a)).collect();
                    f.set_upstreams("dhcpv6", dns).await;
                }
                v6only.touch();
            }
            () = v6only_wait => {}
            Some((cmd, reply)) = ctl_rx.recv() => {
                let text = match cmd.as_str() {
                    "status" => {
                        counters.rx_dropped = ws.rx_dropped();
                        let mut s = status(&wan, &counters, workers.as_ref(), dhcp.as_ref(), ipv6.as_ref());
                        s += &v6only.status_text();
                        if let Some(f) = &forwarder {
                            s += &f.status_text().await;
                        }
                        s
                    }
                    other => format!("unknown command `{other}` (known: status)\n"),
                };
                let _ = reply.send(text);
            },
            _ = sleep_until(next) => {
                if wan.redial_due() {
                    if let Some((mac, _)) =
                        ws.refresh(net, wan_if, wan_mtu, "redial", workers.as_ref()).await
                    {
                        wan.set_mac(mac);
                    }
                } else if ws.failed
                    && wan_check_at.take().is_some()
                    && let Some((mac, moved)) =
                        ws.refresh(net, wan_if, wan_mtu, "interface check", workers.as_ref()).await
                {
                    wan.set_mac(mac);
                    if moved {
                        wan.restart("WAN interface re-created");
                    }
                }
                wan.on_timeout();
            },
            _ = sigterm.recv() => begin_shutdown(&mut wan, &mut shutdown, "SIGTERM"),
            _ = sigint.recv() => begin_shutdown(&mut wan, &mut shutdown, "SIGINT"),
        }
    }
}

fn begin_shutdown(wan: &mut Wan, shutdown: &mut Option<Instant>, why: &str) {
    if shutdown.is_none() {
        info!("{why}: hanging up");
        wan.close();
        *shutdown = Some(Instant::now() + HANGUP_WAIT);
    }
}

/// Tells the kernel what the WAN link did.
async fn apply(
    net: &Netconf,
    ppp: &str,
    action: Action,
    dhcp: Option<&mut LanDhcp>,
    forwarder: Option<&mut LanDns>,
) {
    let result = match &action {
        Action::LinkUp(mtu) => net.link_up(ppp, Some(u32::from(*mtu))).await,
        Action::Ipv4Up { local, dns } => {
            if let Some(d) = dhcp {
                d.set_wan_dns(dns.clone());
            }
            if let Some(f) = forwarder {
                f.set_upstreams("ipcp", dns.iter().map(|a| IpAddr::V4(*a)).collect())
                    .await;
            }
            match net.add_address(ppp, IpAddr::V4(*local), 32).await {
                Ok(()) => {
                    net.replace_route(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0, ppp)
                        .await
                }
                Err(e) => Err(e),
            }
        }
        Action::Ipv4Down(local) => {
            match net
                .delete_route(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0, ppp)
                .await
            {
                Ok(()) => net.delete_address(ppp, IpAddr::V4(*local), 32).await,
                Err(e) => Err(e),
            }
        }
        Action::Ipv6Up(ll) => match net.add_address(ppp, IpAddr::V6(*ll), 64).await {
            Ok(()) => {
                net.replace_route(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0, ppp)
                    .await
            }
            Err(e) => Err(e),
        },
        Action::Ipv6Down(ll) => {
            match net
                .delete_route(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0, ppp)
                .await
            {
                Ok(()) => net.delete_address(ppp, IpAddr::V6(*ll), 64).await,
                Err(e) => Err(e),
            }
        }
        Action::Down => {
            let _ = net
                .delete_route(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0, ppp)
                .await;
            let _ = net
                .delete_route(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0, ppp)
                .await;
            match net.flush_addresses(ppp).await {
                Ok(()) => net.link_down(ppp).await,
                Err(e) => Err(e),
            }
        }
    };
    match result {
        Ok(()) => debug!("{ppp}: applied {action:?}"),
        Err(e) => warn!("{ppp}: could not apply {action:?}: {e}"),
    }
}

/// Applies the IPv6 service's kernel changes.
async fn apply_ipv6(net: &Netconf, lan_if: &str, ipv6: Option<&mut Ipv6>) {
    if let Some(v6) = ipv6 {
        while let Some(c) = v6.poll_net() {
            ipv6::apply(net, lan_if, c).await;
        }
    }
}

fn status(
    wan: &Wan,
    own: &Counters,
    workers: Option<&Workers>,
    dhcp: Option<&LanDhcp>,
    ipv6: Option<&Ipv6>,
) -> String {
    let mut s = wan.status_text();
    match ipv6 {
        Some(v6) => s += &v6.status_text(),
        None => s += "ipv6 prefix: - (off)\n",
    }
    // The event loop's own counts, plus the workers' (summed).
    let per_worker = workers.map(Workers::counters).unwrap_or_default();
    let mut total = *own;
    for w in &per_worker {
        total.add(&w.data);
    }
    let c = &total;
    s += &format!(
        "counters: rx {} packets {} bytes, tx {} packets {} bytes, mss clamped {}, dropped {}, rx_dropped {}\n",
        c.rx_packets, c.rx_bytes, c.tx_packets, c.tx_bytes, c.mss_clamped, c.dropped, c.rx_dropped
    );
    for (i, w) in per_worker.iter().enumerate() {
        let d = &w.data;
        s += &format!(
            "worker {i}: rx {} packets {} bytes, tx {} packets {} bytes, dropped {}, to control {} (dropped {}), rx_dropped {}\n",
            d.rx_packets,
            d.rx_bytes,
            d.tx_packets,
            d.tx_bytes,
            d.dropped,
            w.to_control,
            w.to_control_dropped,
            d.rx_dropped
        );
    }
    s += "dhcp leases:\n";
    match dhcp {
        Some(d) => s += &d.leases_text(),
        None => s += "  (DHCP server disabled)\n",
    }
    s
}
