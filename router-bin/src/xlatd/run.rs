//! The daemon's one event loop: TUN packets, control requests, the NAT64
//! session timer and signals in one `tokio::select!`.

use std::fmt::Write as _;

use futures::FutureExt;
use sansio_primitives::{SeededRng, StdClock};
use tokio::net::UnixListener;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tracing::{debug, info, warn};
use xlat::nat64::Nat64;
use xlat::{HEADROOM, Siit, XlatDropped, XlatOutput};

use crate::aio::AsyncTun;
use crate::gso::VnetHdr;
use crate::instance::InstanceLock;
use crate::netconf::{Netconf, disable_ipv6_autoconf};
use crate::tun::VNET_HDR_LEN;
use crate::xlatd::config::{Checked, Config, Translator};
use crate::xlatd::offload;
use crate::xlatd::siit_io::{self, TunIo};

/// Packets read in one go before the loop looks at anything else.
const BATCH: usize = 64;

/// The translator the daemon runs.
enum Engine {
    Siit(Box<Siit>),
    Nat64(Box<Nat64>),
}

fn sysctl(path: &str) -> Result<(), String> {
    std::fs::write(path, b"1\n").map_err(|e| format!("cannot enable {path}: {e} (run as root)"))
}

/// Runs until SIGTERM or SIGINT; the TUN (and with it its routes) goes
/// when the daemon exits.
pub async fn run(cfg: Config, checked: Checked) -> Result<(), String> {
    std::fs::create_dir_all(&cfg.state_dir)
        .map_err(|e| format!("state_dir {}: {e}", cfg.state_dir.display()))?;
    let _lock = InstanceLock::acquire(
        &cfg.state_dir.join("xlatd.lock"),
        "xlatd",
        &format!("state dir {}", cfg.state_dir.display()),
    )?;
    let tun = if cfg.offload {
        AsyncTun::open_offload(&cfg.tun)
    } else {
        AsyncTun::open(&cfg.tun)
    }
    .map_err(|e| format!("TUN {}: {e}", cfg.tun))?;
    let path = cfg.control_path();
    let listener = crate::control::bind(&path)
        .map_err(|e| format!("control socket {}: {e}", path.display()))?;
    let net = Netconf::new().await.map_err(|e| format!("netlink: {e}"))?;
    // The TUN carries translated packets only: no link-local address, no
    // router solicitations of its own.
    disable_ipv6_autoconf(&cfg.tun).map_err(|e| e.to_string())?;
    net.link_up(&cfg.tun, Some(cfg.mtu))
        .await
        .map_err(|e| format!("TUN {}: {e}", cfg.tun))?;
    if cfg.forwarding {
        sysctl("/proc/sys/net/ipv4/ip_forward")?;
        sysctl("/proc/sys/net/ipv6/conf/all/forwarding")?;
    }
    for &(dest, len) in &checked.routes {
        net.replace_route(dest, len, &cfg.tun)
            .await
            .map_err(|e| format!("route {dest}/{len} dev {}: {e}", cfg.tun))?;
        info!("route {dest}/{len} dev {}", cfg.tun);
    }
    let clock = StdClock::new();
    let rng = SeededRng::from_seed(crate::daemon::os_seed()?);
    let engine = match checked.translator {
        Translator::Siit(c) => {
            Engine::Siit(Box::new(Siit::new(c, rng).map_err(|e| e.to_string())?))
        }
        Translator::Nat64(c) => Engine::Nat64(Box::new(
            Nat64::new(c, rng, clock.now()).map_err(|e| e.to_string())?,
        )),
    };
    info!(
        "xlatd {} on {} (mtu {})",
        match engine {
            Engine::Siit(_) => "SIIT",
            Engine::Nat64(_) => "NAT64",
        },
        cfg.tun,
        cfg.mtu
    );
    let result = serve(&cfg, &clock, engine, tun, listener).await;
    let _ = std::fs::remove_file(cfg.control_path());
    result
}

async fn serve(
    cfg: &Config,
    clock: &StdClock,
    mut engine: Engine,
    tun: AsyncTun,
    listener: UnixListener,
) -> Result<(), String> {
    let (tx, mut rx) = mpsc::channel::<crate::daemon::Request>(8);
    crate::daemon::spawn_control(listener, tx);
    let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    // HEADROOM in front of each packet (and the virtio_net_hdr with
    // offloads); room for the largest TUN packet (64 KiB with GSO).
    let vnet = if cfg.offload { VNET_HDR_LEN } else { 0 };
    let max = if cfg.offload {
        65_536
    } else {
        cfg.mtu as usize
    };
    let (mut buf, mut frags) = siit_io::buffers(vnet + max);
    let mut io = TunIo::default();
    loop {
        let timer = match &engine {
            Engine::Nat64(n) => n.poll_timeout().and_then(|t| clock.to_std(t)),
            Engine::Siit(_) => None,
        };
        let sleep = async {
            match timer {
                Some(t) => tokio::time::sleep_until(t.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            r = tun.recv(&mut buf[HEADROOM..]) => {
                let mut next = Some(r);
                let mut n = 0;
                // Then whatever else is queued, without waiting.
                while let Some(r) = next {
                    match r {
                        Ok(len) if vnet > 0 => handle_offload(&mut engine, clock, &tun, &mut buf, len, &mut frags, &mut io),
                        Ok(len) => handle(&mut engine, clock, &tun, &mut buf, len, &mut frags, &mut io),
                        Err(e) => {
                            warn!("TUN read: {e}");
                            break;
                        }
                    }
                    n += 1;
                    if n == BATCH {
                        break;
                    }
                    next = tun.recv(&mut buf[HEADROOM..]).now_or_never();
                }
            }
            () = sleep => {
                if let Engine::Nat64(n) = &mut engine {
                    n.handle_timeout(clock.now());
                }
            }
            Some((cmd, reply)) = rx.recv() => {
                let text = match cmd.as_str() {
                    "status" => status(cfg, &engine, &io),
                    other => format!("unknown command `{other}` (try: status)\n"),
                };
                let _ = reply.send(text);
            }
            _ = term.recv() => { info!("SIGTERM: stopping"); return Ok(()); }
            _ = int.recv() => { info!("SIGINT: stopping"); return Ok(()); }
        }
    }
}

fn send(tun: &AsyncTun, pkt: &[u8], io: &mut TunIo) {
    io.send(tun, pkt, "TUN");
}

/// One packet read into `buf[HEADROOM..HEADROOM + len]`.
fn handle(
    engine: &mut Engine,
    clock: &StdClock,
    tun: &AsyncTun,
    buf: &mut [u8],
    len: usize,
    frags: &mut [u8],
    io: &mut TunIo,
) {
    io.read += 1;
    let now = clock.now();
    match engine {
        Engine::Siit(s) => {
            if let Err(d) = siit_io::translate(s, now, tun, buf, len, frags, io, "TUN") {
                debug!("dropped: {d}");
            }
        }
        Engine::Nat64(n) => match n.translate(now, buf, HEADROOM, len) {
            Ok(out @ (XlatOutput::Translated { .. } | XlatOutput::IcmpError { .. })) => {
                send(tun, &buf[out.range()], io)
            }
            Err(d) => debug!("dropped: {d}"),
        },
    }
}

/// One packet of an offloading TUN read into `buf[HEADROOM..HEADROOM +
/// len]`: a `virtio_net_hdr`, then the packet (see [`offload`]).
fn handle_offload(
    engine: &mut Engine,
    clock: &StdClock,
    tun: &AsyncTun,
    buf: &mut [u8],
    len: usize,
    frags: &mut [u8],
    io: &mut TunIo,
) {
    io.read += 1;
    let Some(len) = len.checked_sub(VNET_HDR_LEN) else {
        return;
    };
    let Some(hdr) = VnetHdr::parse(&buf[HEADROOM..]) else {
        return;
    };
    let start = HEADROOM + VNET_HDR_LEN;
    let csum = offload::prepare(&hdr, &mut buf[start..start + len]);
    let now = clock.now();
    let r = match engine {
        Engine::Siit(s) => match s.translate_at(now, buf, start, len) {
            Err(XlatDropped::NeedsFragmentation) => {
                // A DF-less IPv4 packet too big for the IPv6 side (never a
                // GSO one: TCP sets DF). Its fragments cannot carry a
                // partial checksum: the whole one is computed first.
                if csum.is_some() {
                    offload::complete(&hdr, &mut buf[start..start + len]);
                }
                if let Ok(f) = s.translate_4to6_fragmented(buf, start, len, frags) {
                    for i in 0..f.count {
                        // A rare path: one small allocation per fragment.
                        let piece = &frags[f.range(i)];
                        let mut one = vec![0u8; VNET_HDR_LEN + piece.len()];
                        one[VNET_HDR_LEN..].copy_from_slice(piece);
                        send(tun, &one, io);
                    }
                }
                return;
            }
            r => r.map_err(|d| d.to_string()),
        },
        Engine::Nat64(n) => n.translate(now, buf, start, len).map_err(|d| d.to_string()),
    };
    match r {
        Ok(out) => {
            let range = out.range();
            let h = match out {
                XlatOutput::Translated { .. } => {
                    offload::finish(&hdr, csum, &mut buf[range.clone()])
                }
                XlatOutput::IcmpError { .. } => VnetHdr::default(),
            };
            // The translator's output starts at least VNET_HDR_LEN into
            // `buf`: its header goes right in front.
            let at = range.start - VNET_HDR_LEN;
            h.write(&mut buf[at..range.start]);
            send(tun, &buf[at..range.end], io);
        }
        Err(d) => debug!("dropped: {d}"),
    }
}

/// The `status` reply: counters, then the tables.
fn status(cfg: &Config, engine: &Engine, io: &TunIo) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "tun {} mtu {}", cfg.tun, cfg.mtu);
    let _ = writeln!(
        s,
        "packets read {} written {} write errors {}",
        io.read, io.written, io.write_errors
    );
    match engine {
        Engine::Siit(x) => {
            let c = x.config();
            let _ = writeln!(s, "mode siit");
            if let Some(p) = c.pool6 {
                let _ = writeln!(s, "pool6 {p}");
            }
            for e in c.eamt.iter() {
                let (a4, l4) = e.ipv4();
                let (a6, l6) = e.ipv6();
                let _ = writeln!(s, "eam {a4}/{l4} {a6}/{l6}");
            }
            let _ = writeln!(s, "counters {:#?}", x.counters());
        }
        Engine::Nat64(n) => {
            let t = n.tables();
            let _ = writeln!(s, "mode nat64");
            let _ = writeln!(s, "counters {:#?}", n.counters());
            let _ = writeln!(s, "bib {} entries", t.bib_len());
            for (p, v6, v4) in t.bib().take(1000) {
                let _ = writeln!(s, "  {p:?} [{}]:{} {}:{}", v6.0, v6.1, v4.0, v4.1);
            }
            let _ = writeln!(s, "sessions {}", t.session_len());
            for (p, v6, r, state, _) in t.sessions().take(1000) {
                let _ = writeln!(s, "  {p:?} [{}]:{} {}:{} {state:?}", v6.0, v6.1, r.0, r.1);
            }
        }
    }
    s
}
