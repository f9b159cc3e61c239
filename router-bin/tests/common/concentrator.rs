//! A blocking PPPoE access concentrator for tests: our `pppoe-proto` AC and
//! one `ppp-proto` authenticator session per PPPoE session, over one
//! AF_PACKET socket, with a local user table, a fixed address pool, and an
//! echo responder standing in for the IP stack behind the sessions; or,
//! with [`serve_bridged`], the sessions' IPv6 traffic bridged to a TUN
//! device so the kernel (and real servers such as kea) of the AC's
//! namespace are the ISP behind them.

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ppp_proto::{Ipv4Assignment, PppConfig, PppEvent};
use pppoe_proto::PppoeAcConfig;
use pppoe_proto::wire::EthernetAddress;
use sansio_primitives::{SeededRng, StdClock};

use super::icmp::echo_reply;
use pppoe_link::{AcLink, AcLinkEvent, PPP_IPV6};
use router_bin::afpacket::PacketSocket;
use router_bin::tun::Tun;

/// What the AC saw, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum AcSeen {
    /// An event of the concentrator.
    Link(AcLinkEvent),
    /// An echo request was answered (session, PPP protocol).
    Echoed(u16, u16),
    /// Dial time: `what` (LinkUp, Ipv4Up) came this long after the
    /// session's PADS (its SessionUp).
    Dial {
        session_id: u16,
        what: &'static str,
        after: Duration,
    },
}

/// Settings of the test AC.
pub struct AcSettings {
    pub ac_name: &'static [u8],
    pub users: Vec<(&'static [u8], &'static [u8])>,
    pub local: Ipv4Addr,
    pub pool_start: Ipv4Addr,
    pub dns: [Ipv4Addr; 2],
}

/// Runs our [`AcLink`] over the socket until `stop` is set, authenticating
/// from `settings.users` and numbering addresses from `pool_start`; returns
/// everything it saw.
pub fn serve(sock: PacketSocket, settings: AcSettings, stop: Arc<AtomicBool>) -> Vec<AcSeen> {
    serve_until(sock, settings, None, true, |_| stop.load(Ordering::Relaxed))
}

/// [`serve`], with the IPv6 packets of the session whose IPv6CP came up
/// last written to `tun` (made nonblocking) and what the kernel routes
/// into `tun` sent into that session: the AC's IPv6CP link-local address
/// is fe80::1, give it to the TUN. The caller keeps a clone of `tun`, so
/// the device outlives this AC (a new AC can bridge it again). With
/// `ipv4` false the sessions get no IPv4 (IPCP is Protocol-Rejected, as an
/// IPv6-only ISP does).
pub fn serve_bridged(
    sock: PacketSocket,
    settings: AcSettings,
    tun: Arc<Tun>,
    ipv4: bool,
    stop: Arc<AtomicBool>,
) -> Vec<AcSeen> {
    tun.set_nonblocking().expect("nonblocking TUN");
    serve_until(sock, settings, Some(tun), ipv4, |_| {
        stop.load(Ordering::Relaxed)
    })
}

/// [`serve`] until the client is done (`client_done` set) and our AC holds
/// no session any more, or at most `limit` after the client was done.
pub fn serve_until_idle(
    sock: PacketSocket,
    settings: AcSettings,
    client_done: Arc<AtomicBool>,
    limit: Duration,
) -> Vec<AcSeen> {
    let mut deadline = None;
    serve_until(sock, settings, None, true, move |link| {
        if !client_done.load(Ordering::Relaxed) {
            return false;
        }
        let end = *deadline.get_or_insert_with(|| std::time::Instant::now() + limit);
        link.session_count() == 0 || std::time::Instant::now() >= end
    })
}

/// [`serve`] until `done` says so (asked once per pass of the loop, at
/// least every 100 ms, after the link's events are logged).
fn serve_until(
    sock: PacketSocket,
    settings: AcSettings,
    bridge: Option<Arc<Tun>>,
    give_ipv4: bool,
    mut done: impl FnMut(&AcLink) -> bool,
) -> Vec<AcSeen> {
    let clock = StdClock::new();
    let mut ppp = PppConfig::authenticator(settings.ac_name, settings.local);
    if let ppp_proto::Role::Authenticator(a) = &mut ppp.role {
        a.ipv6_ifid = Some(1);
    }
    let ac = PppoeAcConfig::new(EthernetAddress(sock.mac()), settings.ac_name);
    let mut link = AcLink::new(ac, ppp, SeededRng::from_u64(99), clock.now()).expect("ac config");
    let mut log = Vec::new();
    let mut next_host = 0u32;
    let mut buf = [0u8; 1600];
    let mut out = [0u8; 1600];
    let mut pads_at = std::collections::HashMap::new();
    // The session the bridge sends into.
    let mut ipv6_session = None;
    loop {
        while let Some(frame) = link.poll_transmit(clock.now()) {
            sock.send(&frame).expect("send");
        }
        while let Some(e) = link.poll_event() {
            if let AcLinkEvent::Ppp {
                session_id,
                event: PppEvent::AuthRequest { user, credential },
            } = &e
            {
                let known = settings.users.iter().find(|(u, _)| *u == user.as_slice());
                if known.is_some_and(|(_, secret)| credential.verify(secret)) {
                    let ipv4 = Ipv4Assignment {
                        peer: Ipv4Addr::from(u32::from(settings.pool_start) + next_host),
                        dns1: Some(settings.dns[0]),
                        dns2: Some(settings.dns[1]),
                    };
                    next_host += 1;
                    let ipv4 = give_ipv4.then_some(ipv4);
                    let _ = link.accept(clock.now(), *session_id, ipv4, b"Welcome");
                } else {
                    let _ = link.reject(clock.now(), *session_id, b"Access denied");
                }
            }
            if let AcLinkEvent::Ppp {
                session_id,
                event: PppEvent::Ipv6Up { .. },
            } = &e
            {
                ipv6_session = Some(*session_id);
            }
            let dial = match &e {
                AcLinkEvent::Pppoe(pppoe_proto::PppoeAcEvent::SessionUp { session_id, .. }) => {
                    pads_at.insert(*session_id, std::time::Instant::now());
                    None
                }
                AcLinkEvent::Ppp {
                    session_id,
                    event: PppEvent::LinkUp { .. },
                } => Some((*session_id, "LinkUp")),
                AcLinkEvent::Ppp {
                    session_id,
                    event: PppEvent::Ipv4Up { .. },
                } => Some((*session_id, "Ipv4Up")),
                _ => None,
            };
            log.push(AcSeen::Link(e));
            if let Some((session_id, what)) = dial
                && let Some(t) = pads_at.get(&session_id)
            {
                log.push(AcSeen::Dial {
                    session_id,
                    what,
                    after: t.elapsed(),
                });
            }
        }
        // Asked after the events are drained: a session the link has
        // already dropped may still have its Down event queued.
        if done(&link) {
            break;
        }
        let now = std::time::Instant::now();
        let wait = link
            .poll_timeout()
            .and_then(|t| clock.to_std(t))
            .map_or(Duration::from_millis(100), |t| {
                t.saturating_duration_since(now)
            })
            .min(Duration::from_millis(if bridge.is_some() {
                5
            } else {
                100
            }));
        if let Some(tun) = &bridge {
            while let Ok(n) = tun.try_recv(&mut buf) {
                if let Some(id) = ipv6_session
                    && let Ok(len) = link.encapsulate_data(id, PPP_IPV6, &buf[..n], &mut out)
                {
                    let _ = sock.send(&out[..len]);
                }
            }
        }
        match sock.recv(&mut buf, Some(wait)).expect("recv") {
            Some(n) => {
                let frame = &buf[..n];
                if let Ok(Some((id, range))) = link.handle_input(clock.now(), frame) {
                    let p = &frame[range];
                    let protocol = u16::from_be_bytes([p[0], p[1]]);
                    if let Some(tun) = bridge.as_ref().filter(|_| protocol == PPP_IPV6) {
                        let _ = tun.send(&p[2..]);
                    } else if let Some(reply) = echo_reply(protocol, &p[2..]) {
                        let n = link
                            .encapsulate_data(id, protocol, &reply, &mut out)
                            .expect("encapsulate");
                        sock.send(&out[..n]).expect("send reply");
                        log.push(AcSeen::Echoed(id, protocol));
                    }
                }
            }
            None => link.handle_timeout(clock.now()),
        }
    }
    log
}
