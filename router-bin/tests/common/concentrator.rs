//! A blocking PPPoE access concentrator for tests: our `pppoe-proto` AC and
//! one `ppp-proto` authenticator session per PPPoE session, over one
//! AF_PACKET socket, with a local user table, a fixed address pool, and an
//! echo responder standing in for the IP stack behind the sessions.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ppp_proto::{Config as PppConfig, Event as PppEvent, Ipv4Assignment, Session};
use pppoe_proto::wire::EthernetAddress;
use pppoe_proto::{Ac, AcConfig, AcEvent, SessionFramer};
use proto_core::{SeededRng, StdClock, checksum};
use router_bin::afpacket::PacketSocket;

/// What the AC saw, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum AcSeen {
    /// From the PPPoE AC.
    Pppoe(AcEvent),
    /// From a session's PPP machine.
    Ppp(u16, PppEvent),
    /// An echo request was answered (session, PPP protocol).
    Echoed(u16, u16),
}

struct PppSession {
    ppp: Session,
    framer: SessionFramer,
}

/// Settings of the test AC.
pub struct AcSettings {
    pub ac_name: &'static [u8],
    pub users: Vec<(&'static [u8], &'static [u8])>,
    pub local: Ipv4Addr,
    pub pool_start: Ipv4Addr,
    pub dns: [Ipv4Addr; 2],
}

/// Runs the AC until `stop` is set; returns everything it saw.
pub fn serve(sock: PacketSocket, settings: AcSettings, stop: Arc<AtomicBool>) -> Vec<AcSeen> {
    let clock = StdClock::new();
    let mut rng = SeededRng::from_u64(99);
    let mut ac = Ac::new(
        AcConfig::new(EthernetAddress(sock.mac()), settings.ac_name),
        rng.fork(),
        clock.now(),
    )
    .expect("ac config");
    let mut sessions: HashMap<u16, PppSession> = HashMap::new();
    let mut log = Vec::new();
    let mut next_host = 0u32;
    let mut buf = [0u8; 1600];
    while !stop.load(Ordering::Relaxed) {
        // Drain outputs of every machine, reacting to events.
        while let Some(t) = ac.poll_transmit() {
            sock.send(&t.payload).expect("send discovery");
        }
        while let Some(e) = ac.poll_event() {
            match &e {
                AcEvent::SessionUp { session_id, .. } => {
                    let mut config = PppConfig::authenticator(settings.ac_name, settings.local);
                    if let ppp_proto::Role::Authenticator(a) = &mut config.role {
                        a.ipv4 = Some(Ipv4Assignment {
                            peer: Ipv4Addr::from(u32::from(settings.pool_start) + next_host),
                            dns1: Some(settings.dns[0]),
                            dns2: Some(settings.dns[1]),
                        });
                        a.ipv6_ifid = Some(1);
                    }
                    next_host += 1;
                    let mut ppp = Session::new(config, clock.now());
                    ppp.open(clock.now(), &mut rng);
                    let framer = ac
                        .session_framer(*session_id)
                        .expect("framer of a new session");
                    sessions.insert(*session_id, PppSession { ppp, framer });
                }
                AcEvent::SessionDown { session_id, .. } => {
                    if let Some(mut s) = sessions.remove(session_id) {
                        s.ppp.lower_down(clock.now(), &mut rng);
                    }
                }
                AcEvent::Refused { .. } => {}
            }
            log.push(AcSeen::Pppoe(e));
        }
        let mut closed = Vec::new();
        for (&id, s) in sessions.iter_mut() {
            while let Some(t) = s.ppp.poll_transmit() {
                send_ppp(&sock, &s.framer, &t.payload);
            }
            while let Some(e) = s.ppp.poll_event() {
                match &e {
                    PppEvent::AuthRequest { user, credential } => {
                        let known = settings.users.iter().find(|(u, _)| *u == user.as_slice());
                        if known.is_some_and(|(_, secret)| credential.verify(secret)) {
                            let _ = s.ppp.accept(clock.now(), &mut rng, b"Welcome");
                        } else {
                            let _ = s.ppp.reject(clock.now(), &mut rng, b"Access denied");
                        }
                    }
                    PppEvent::Down { .. } => closed.push(id),
                    _ => {}
                }
                log.push(AcSeen::Ppp(id, e));
            }
            // Accept/reject queue frames too.
            while let Some(t) = s.ppp.poll_transmit() {
                send_ppp(&sock, &s.framer, &t.payload);
            }
        }
        for id in closed {
            let _ = ac.close(clock.now(), id, b"PPP session ended");
            sessions.remove(&id);
        }

        let now = std::time::Instant::now();
        let next = [ac.poll_timeout()]
            .into_iter()
            .chain(sessions.values().map(|s| s.ppp.poll_timeout()))
            .flatten()
            .min()
            .and_then(|t| clock.to_std(t));
        let wait = next
            .map_or(Duration::from_millis(100), |t| {
                t.saturating_duration_since(now)
            })
            .min(Duration::from_millis(100));
        match sock.recv(&mut buf, Some(wait)).expect("recv") {
            Some(n) if n >= 20 => {
                let frame = &buf[..n];
                match u16::from_be_bytes([frame[12], frame[13]]) {
                    0x8863 => {
                        let _ = ac.handle_input(clock.now(), frame);
                    }
                    0x8864 => {
                        let id = u16::from_be_bytes([frame[16], frame[17]]);
                        let Some(s) = sessions.get_mut(&id) else {
                            continue;
                        };
                        let Ok(range) = s.framer.decapsulate(frame) else {
                            continue;
                        };
                        let ppp_frame = &frame[range];
                        if ppp_frame.len() < 2 {
                            continue;
                        }
                        let protocol = u16::from_be_bytes([ppp_frame[0], ppp_frame[1]]);
                        if let Some(reply) = echo_reply(protocol, &ppp_frame[2..]) {
                            let mut out = protocol.to_be_bytes().to_vec();
                            out.extend_from_slice(&reply);
                            send_ppp(&sock, &s.framer, &out);
                            log.push(AcSeen::Echoed(id, protocol));
                        } else {
                            let _ = s.ppp.handle_input(clock.now(), ppp_frame, &mut rng);
                        }
                    }
                    _ => {}
                }
            }
            Some(_) => {}
            None => {
                let now = clock.now();
                ac.handle_timeout(now);
                for s in sessions.values_mut() {
                    s.ppp.handle_timeout(now, &mut rng);
                }
            }
        }
    }
    log
}

fn send_ppp(sock: &PacketSocket, framer: &SessionFramer, ppp_frame: &[u8]) {
    let mut buf = vec![0u8; framer.header_len() + ppp_frame.len()];
    buf[framer.header_len()..].copy_from_slice(ppp_frame);
    let len = framer
        .encapsulate(&mut buf, ppp_frame.len())
        .expect("encapsulate");
    sock.send(&buf[..len]).expect("send session frame");
}

/// The reply to an ICMP/ICMPv6 Echo Request addressed to us (any address:
/// this stands in for the concentrator's IP stack); `None` for anything else.
fn echo_reply(protocol: u16, packet: &[u8]) -> Option<Vec<u8>> {
    match protocol {
        0x0021 if packet.len() >= 28 && packet[0] >> 4 == 4 && packet[9] == 1 => {
            let ihl = usize::from(packet[0] & 0x0f) * 4;
            if packet.get(ihl) != Some(&8) {
                return None;
            }
            let mut r = packet.to_vec();
            let (src, dst) = (packet[12..16].to_vec(), packet[16..20].to_vec());
            r[12..16].copy_from_slice(&dst);
            r[16..20].copy_from_slice(&src);
            r[10..12].copy_from_slice(&[0, 0]);
            let c = checksum::checksum(&r[..ihl]);
            r[10..12].copy_from_slice(&c.to_be_bytes());
            // Type 8 -> 0 changes one 16-bit word of the ICMP message.
            let old = u16::from_be_bytes([r[ihl], r[ihl + 1]]);
            r[ihl] = 0;
            let new = u16::from_be_bytes([r[ihl], r[ihl + 1]]);
            let c = u16::from_be_bytes([r[ihl + 2], r[ihl + 3]]);
            r[ihl + 2..ihl + 4].copy_from_slice(&checksum::update(c, old, new).to_be_bytes());
            Some(r)
        }
        0x0057
            if packet.len() >= 48
                && packet[0] >> 4 == 6
                && packet[6] == 58
                && packet[40] == 128 =>
        {
            let mut r = packet.to_vec();
            let (src, dst) = (packet[8..24].to_vec(), packet[24..40].to_vec());
            r[8..24].copy_from_slice(&dst);
            r[24..40].copy_from_slice(&src);
            r[40] = 129;
            r[42..44].copy_from_slice(&[0, 0]);
            let src: [u8; 16] = r[8..24].try_into().ok()?;
            let dst: [u8; 16] = r[24..40].try_into().ok()?;
            let sum = checksum::add(
                checksum::pseudo_header_v6(src, dst, 58, (r.len() - 40) as u32),
                checksum::sum(&r[40..]),
            );
            r[42..44].copy_from_slice(&checksum::finish(sum).to_be_bytes());
            Some(r)
        }
        _ => None,
    }
}
