//! The AC link's session lifecycle in memory, on a simulated clock over a
//! clean segment: a client that crashed and dials again from the same MAC
//! replaces its old session at once, and after an AC restart the session
//! frames of sessions it no longer knows are answered with a PADT (rate
//! limited), so clients redial at once instead of waiting for their LCP
//! echo timeout.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use ppp_proto::{Ipv4Assignment, PppConfig, PppDownReason, PppEvent};
use pppoe_link::{AcLink, AcLinkEvent, ClientLink, ClientLinkEvent, LinkDropped, PPP_IPV4};
use pppoe_proto::ac::PppoeAcDownReason;
use pppoe_proto::wire::{Code, DiscoveryFrame, EthernetAddress};
use pppoe_proto::{PppoeAcConfig, PppoeAcEvent, PppoeClientConfig, PppoeClientEvent};
use sansio_primitives::{Duration, Instant, SeededRng};

const AC_MAC: EthernetAddress = EthernetAddress([0x02, 0xac, 0, 0, 0, 1]);

fn mac(i: u8) -> EthernetAddress {
    EthernetAddress([0x02, 0xc1, 0, 0, 0, i])
}

fn ac_link(config: PppoeAcConfig, now: Instant, seed: u64) -> AcLink {
    let ppp = PppConfig::authenticator(b"sim-ac", Ipv4Addr::new(192, 0, 2, 1));
    AcLink::new(config, ppp, SeededRng::from_u64(seed), now).unwrap()
}

fn client(m: EthernetAddress, now: Instant, seed: u64) -> ClientLink {
    let ppp = PppConfig::peer(b"user", b"secret");
    ClientLink::new(
        PppoeClientConfig::new(m),
        ppp,
        SeededRng::from_u64(seed),
        now,
    )
    .unwrap()
}

/// Node 0 is the AC, node i + 1 is client i.
struct Segment {
    ac: AcLink,
    clients: Vec<ClientLink>,
    now: Instant,
    queue: BTreeMap<(Instant, u64), (usize, Vec<u8>)>,
    seq: u64,
    ac_log: Vec<(Instant, AcLinkEvent)>,
    client_logs: Vec<Vec<(Instant, ClientLinkEvent)>>,
    /// Frames the AC sent: (time, frame).
    ac_sent: Vec<(Instant, Vec<u8>)>,
    next_host: u8,
}

impl Segment {
    fn new(config: PppoeAcConfig, macs: &[EthernetAddress]) -> Segment {
        let now = Instant::ZERO;
        let mut s = Segment {
            ac: ac_link(config, now, 1),
            clients: Vec::new(),
            now,
            queue: BTreeMap::new(),
            seq: 0,
            ac_log: Vec::new(),
            client_logs: Vec::new(),
            ac_sent: Vec::new(),
            next_host: 10,
        };
        for (i, m) in macs.iter().enumerate() {
            s.clients.push(client(*m, now, 100 + i as u64));
            s.client_logs.push(Vec::new());
        }
        s.drain();
        s
    }

    fn node_mac(&self, node: usize) -> EthernetAddress {
        if node == 0 {
            AC_MAC
        } else {
            self.clients[node - 1].pppoe().config().mac
        }
    }

    fn send(&mut self, from: usize, frame: Vec<u8>) {
        if from == 0 {
            self.ac_sent.push((self.now, frame.clone()));
        }
        let dst = &frame[..6];
        for to in 0..=self.clients.len() {
            if to != from && (dst == [0xff; 6] || dst == self.node_mac(to).0) {
                self.seq += 1;
                let at = self.now + Duration::from_millis(1);
                self.queue.insert((at, self.seq), (to, frame.clone()));
            }
        }
    }

    fn drain(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(f) = self.ac.poll_transmit(self.now) {
                self.send(0, f);
                progressed = true;
            }
            while let Some(e) = self.ac.poll_event() {
                if let AcLinkEvent::Ppp {
                    session_id,
                    event: PppEvent::AuthRequest { .. },
                } = &e
                {
                    let ipv4 = Ipv4Assignment {
                        peer: Ipv4Addr::new(192, 0, 2, self.next_host),
                        dns1: None,
                        dns2: None,
                    };
                    self.next_host += 1;
                    self.ac
                        .accept(self.now, *session_id, Some(ipv4), b"ok")
                        .unwrap();
                }
                self.ac_log.push((self.now, e));
                progressed = true;
            }
            for i in 0..self.clients.len() {
                while let Some(f) = self.clients[i].poll_transmit(self.now) {
                    self.send(i + 1, f);
                    progressed = true;
                }
                while let Some(e) = self.clients[i].poll_event() {
                    self.client_logs[i].push((self.now, e));
                    progressed = true;
                }
            }
            if !progressed {
                return;
            }
        }
    }

    fn step(&mut self) -> bool {
        let next_frame = self.queue.keys().next().map(|k| k.0);
        let next_timer = std::iter::once(self.ac.poll_timeout())
            .chain(self.clients.iter().map(ClientLink::poll_timeout))
            .flatten()
            .min();
        let Some(at) = [next_frame, next_timer].into_iter().flatten().min() else {
            return false;
        };
        self.now = self.now.max(at);
        if next_frame == Some(at) {
            let (_, (to, frame)) = self.queue.pop_first().unwrap();
            if to == 0 {
                let _ = self.ac.handle_input(self.now, &frame);
            } else {
                let _ = self.clients[to - 1].handle_input(self.now, &frame);
            }
        } else {
            self.ac.handle_timeout(self.now);
            for c in &mut self.clients {
                c.handle_timeout(self.now);
            }
        }
        self.drain();
        true
    }

    fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&Segment) -> bool) -> bool {
        let end = self.now + limit;
        while !done(self) {
            if self.now > end || !self.step() {
                return done(self);
            }
        }
        true
    }

    /// When client `i` last got IPCP up, if it did.
    fn ipv4_up(&self, i: usize) -> Option<Instant> {
        self.client_logs[i]
            .iter()
            .rev()
            .find(|(_, e)| matches!(e, ClientLinkEvent::Ppp(PppEvent::Ipv4Up { .. })))
            .map(|(t, _)| *t)
    }

    fn padts_sent(&self) -> Vec<(Instant, u16, EthernetAddress)> {
        self.ac_sent
            .iter()
            .filter_map(|(t, f)| {
                let d = DiscoveryFrame::parse(f).ok()?;
                (d.pppoe.code == Code::Padt).then_some((*t, d.pppoe.session_id, d.ethernet.dst))
            })
            .collect()
    }
}

#[test]
fn a_client_that_crashed_dials_again_and_replaces_its_session() {
    let mut seg = Segment::new(PppoeAcConfig::new(AC_MAC, b"sim-ac"), &[mac(1)]);
    assert!(seg.run_until(Duration::from_secs(30), |s| s.ipv4_up(0).is_some()));
    // The CPE crashes (no PADT, no LCP Terminate) and dials again at once.
    let crash = seg.now;
    seg.clients[0] = client(mac(1), crash, 7);
    seg.client_logs[0].clear();
    seg.drain();
    assert!(seg.run_until(Duration::from_secs(30), |s| s.ipv4_up(0).is_some()));
    let up = seg.ipv4_up(0).unwrap() - crash;
    assert!(up < Duration::from_millis(100), "up again after {up:?}");
    // The old session went first: the PPPoE reason, then PPP's Down.
    let old: Vec<&AcLinkEvent> = seg
        .ac_log
        .iter()
        .map(|(_, e)| e)
        .filter(|e| match e {
            AcLinkEvent::Pppoe(PppoeAcEvent::SessionDown { session_id, .. }) => *session_id == 1,
            AcLinkEvent::Ppp { session_id, event } => {
                *session_id == 1 && matches!(event, PppEvent::Down { .. })
            }
            _ => false,
        })
        .collect();
    assert!(
        matches!(
            old[..],
            [
                AcLinkEvent::Pppoe(PppoeAcEvent::SessionDown {
                    reason: PppoeAcDownReason::Replaced,
                    ..
                }),
                AcLinkEvent::Ppp {
                    event: PppEvent::Down {
                        reason: PppDownReason::LowerDown
                    },
                    ..
                }
            ]
        ),
        "{old:?}"
    );
    assert_eq!(seg.ac.session_count(), 1);
    assert!(seg.ac.session(1).is_none());
    assert!(
        seg.padts_sent()
            .iter()
            .any(|(_, id, to)| (*id, *to) == (1, mac(1)))
    );
}

#[test]
fn with_a_limit_of_two_two_sessions_of_one_mac_coexist() {
    let mut config = PppoeAcConfig::new(AC_MAC, b"sim-ac");
    config.max_sessions_per_mac = 2;
    let mut seg = Segment::new(config, &[mac(1), mac(1)]);
    assert!(
        seg.run_until(Duration::from_secs(30), |s| s.ipv4_up(0).is_some()
            && s.ipv4_up(1).is_some())
    );
    assert_eq!(seg.ac.session_count(), 2);
    assert!(seg.padts_sent().is_empty());
}
/// Sends one IPv4 packet from client `i` into its session.
fn send_data(seg: &mut Segment, i: usize) {
    let mut buf = [0u8; 128];
    let n = seg.clients[i]
        .encapsulate_data(PPP_IPV4, &[0x45; 20], &mut buf)
        .unwrap();
    seg.send(i + 1, buf[..n].to_vec());
}

#[test]
fn after_an_ac_restart_a_stale_session_gets_a_padt_and_redials() {
    let mut seg = Segment::new(PppoeAcConfig::new(AC_MAC, b"sim-ac"), &[mac(1), mac(2)]);
    assert!(
        seg.run_until(Duration::from_secs(30), |s| s.ipv4_up(0).is_some()
            && s.ipv4_up(1).is_some())
    );
    // The AC restarts: it knows no session.
    seg.ac = ac_link(PppoeAcConfig::new(AC_MAC, b"sim-ac"), seg.now, 2);
    let restart = seg.now;
    send_data(&mut seg, 0);
    let padt = seg.run_until(Duration::from_millis(50), |s| {
        s.client_logs[0].iter().any(|(_, e)| {
            matches!(
                e,
                ClientLinkEvent::Pppoe(PppoeClientEvent::SessionDown { .. })
            )
        })
    });
    assert!(padt, "no PADT: {:?}", seg.client_logs[0]);
    assert_eq!(
        seg.padts_sent()
            .iter()
            .map(|(t, id, to)| (*t - restart, *id, *to))
            .collect::<Vec<_>>(),
        [(Duration::from_millis(1), 1, mac(1))]
    );
    // Client 1 redials (what the router does on SessionDown) and gets
    // session 1 of the new AC; client 2 still uses its old session 2.
    seg.clients[0] = client(mac(1), seg.now, 8);
    seg.client_logs[0].clear();
    seg.drain();
    assert!(seg.run_until(Duration::from_secs(30), |s| s.ipv4_up(0).is_some()));
    assert!(seg.ac.session(1).is_some());
    // Client 2's stale session: a PADT, though the AC has a session 1
    // (another MAC) and ids collide.
    send_data(&mut seg, 1);
    seg.run_until(Duration::from_millis(10), |_| false);
    assert!(
        seg.padts_sent()
            .iter()
            .any(|(_, id, to)| (*id, *to) == (2, mac(2)))
    );
}

/// A session frame from `src` for `session_id` to the AC (LCP Echo-Request).
fn session_frame(src: EthernetAddress, session_id: u16) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&AC_MAC.0);
    f.extend_from_slice(&src.0);
    f.extend_from_slice(&[0x88, 0x64, 0x11, 0x00]);
    f.extend_from_slice(&session_id.to_be_bytes());
    let lcp = [0xc0, 0x21, 0x09, 0x01, 0x00, 0x08, 1, 2, 3, 4];
    f.extend_from_slice(&(lcp.len() as u16).to_be_bytes());
    f.extend_from_slice(&lcp);
    f
}

#[test]
fn padts_for_unknown_sessions_are_rate_limited() {
    let config = PppoeAcConfig::new(AC_MAC, b"sim-ac");
    let (per_mac, total) = (config.padt_rate_per_mac, config.padt_rate_total);
    let mut ac = ac_link(config, Instant::ZERO, 3);
    // One host flooding: its per-MAC bucket; 10 s of frames 100 µs apart.
    let mut padts = 0u64;
    for i in 0..100_000u64 {
        let now = Instant::from_micros(i * 100);
        let r = ac.handle_input(now, &session_frame(mac(1), 7));
        assert_eq!(r, Err(LinkDropped::NoSession));
        while let Some(f) = ac.poll_transmit(Instant::ZERO) {
            let d = DiscoveryFrame::parse(&f).unwrap();
            assert_eq!((d.pppoe.code, d.pppoe.session_id), (Code::Padt, 7));
            assert_eq!(d.ethernet.dst, mac(1));
            padts += 1;
        }
    }
    let expected = u64::from(per_mac.burst) + 9 * u64::from(per_mac.per_second);
    assert_eq!(padts, expected);
    // Many hosts at once: the overall bucket.
    let mut ac = ac_link(PppoeAcConfig::new(AC_MAC, b"sim-ac"), Instant::ZERO, 4);
    let mut padts = 0u64;
    for i in 0..10_000u32 {
        let b = i.to_be_bytes();
        let m = EthernetAddress([0x02, 0x77, b[0], b[1], b[2], b[3]]);
        let _ = ac.handle_input(Instant::ZERO, &session_frame(m, 7));
        padts += std::iter::from_fn(|| ac.poll_transmit(Instant::ZERO)).count() as u64;
    }
    assert_eq!(padts, u64::from(total.burst));
    assert_eq!(ac.session_count(), 0);
}
