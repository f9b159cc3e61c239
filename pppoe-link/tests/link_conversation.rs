//! PPPoE + PPP end to end in memory: several home-router links dial one
//! access concentrator over a simulated Ethernet segment that loses,
//! duplicates and reorders frames, on a simulated clock (nothing sleeps).
//! From PADI to Ipv4Up + Ipv6Up, then hang-up, with bounded simulated time.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use ppp_proto::{Ipv4Assignment, PppConfig, PppEvent};
use pppoe_link::{AcLink, AcLinkEvent, ClientLink, ClientLinkEvent};
use pppoe_proto::wire::EthernetAddress;
use pppoe_proto::{PppoeAcConfig, PppoeClientConfig, PppoeClientEvent};
use proptest::prelude::*;
use sansio_primitives::{Duration, Instant, SeededRng};

const AC_MAC: EthernetAddress = EthernetAddress([0x02, 0xac, 0, 0, 0, 1]);
const BROADCAST: [u8; 6] = [0xff; 6];

fn client_mac(i: usize) -> EthernetAddress {
    EthernetAddress([0x02, 0xc1, 0, 0, 0, i as u8 + 1])
}

/// How the segment mistreats frames.
#[derive(Debug, Clone, Copy)]
struct Impairment {
    loss_percent: u32,
    duplicate_percent: u32,
    max_delay_ms: u32,
}

/// Node 0 is the AC; node i+1 is client i.
struct Segment {
    ac: AcLink,
    clients: Vec<ClientLink>,
    now: Instant,
    /// (deliver at, sequence) -> (destination node, frame)
    queue: BTreeMap<(Instant, u64), (usize, Vec<u8>)>,
    seq: u64,
    net_rng: SeededRng,
    impair: Impairment,
    ac_log: Vec<AcLinkEvent>,
    client_logs: Vec<Vec<ClientLinkEvent>>,
    next_host: u32,
    /// LCP Echo-Requests the AC has sent.
    ac_echo_requests: usize,
}

impl Segment {
    fn new(n: usize, impair: Impairment, seed: u64) -> Segment {
        Segment::with_max_payload(n, impair, seed, None, None)
    }

    /// RFC 4638: the PPP-Max-Payload the AC allows and the clients ask for.
    fn with_max_payload(
        n: usize,
        impair: Impairment,
        seed: u64,
        ac_payload: Option<u16>,
        client_payload: Option<u16>,
    ) -> Segment {
        let now = Instant::ZERO;
        let mut ppp_ac = PppConfig::authenticator(b"sim-ac", Ipv4Addr::new(192, 0, 2, 1));
        if let ppp_proto::Role::Authenticator(a) = &mut ppp_ac.role {
            a.ipv6_ifid = Some(1);
        }
        let mut ac_config = PppoeAcConfig::new(AC_MAC, b"sim-ac");
        ac_config.ppp_max_payload = ac_payload;
        let ac = AcLink::new(ac_config, ppp_ac, SeededRng::from_u64(seed), now).unwrap();
        let clients = (0..n)
            .map(|i| {
                let mut pppoe = PppoeClientConfig::new(client_mac(i));
                pppoe.max_padi_attempts = 10;
                pppoe.ppp_max_payload = client_payload;
                let user = format!("user{i}");
                let ppp = PppConfig::peer(user.as_bytes(), b"secret");
                ClientLink::new(pppoe, ppp, SeededRng::from_u64(seed + 1 + i as u64), now).unwrap()
            })
            .collect();
        let mut seg = Segment {
            ac,
            clients,
            now,
            queue: BTreeMap::new(),
            seq: 0,
            net_rng: SeededRng::from_u64(seed ^ 0x5eed),
            impair,
            ac_log: Vec::new(),
            client_logs: vec![Vec::new(); n],
            next_host: 10,
            ac_echo_requests: 0,
        };
        seg.drain();
        seg
    }

    fn send(&mut self, from: usize, frame: Vec<u8>) {
        // Ethernet (14) + PPPoE (6) + PPP protocol 0xc021, LCP code 9.
        if from == 0 && frame.get(20..23) == Some(&[0xc0, 0x21, 9]) {
            self.ac_echo_requests += 1;
        }
        let dst: [u8; 6] = frame[..6].try_into().unwrap();
        let targets: Vec<usize> = (0..=self.clients.len())
            .filter(|&n| n != from)
            .filter(|&n| dst == BROADCAST || dst == self.mac(n).0)
            .collect();
        for to in targets {
            if self.net_rng.below(100) < self.impair.loss_percent {
                continue;
            }
            let copies = if self.net_rng.below(100) < self.impair.duplicate_percent {
                2
            } else {
                1
            };
            for _ in 0..copies {
                let delay = Duration::from_millis(
                    1 + u64::from(self.net_rng.below(self.impair.max_delay_ms + 1)),
                );
                self.seq += 1;
                self.queue
                    .insert((self.now + delay, self.seq), (to, frame.clone()));
            }
        }
    }

    fn mac(&self, node: usize) -> EthernetAddress {
        if node == 0 {
            AC_MAC
        } else {
            client_mac(node - 1)
        }
    }

    /// Moves every queued output onto the wire, answering AC events as an
    /// application would (local users, an address pool).
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
                    event: PppEvent::AuthRequest { user, credential },
                } = &e
                {
                    if user.starts_with(b"user") && credential.verify(b"secret") {
                        let ipv4 = Ipv4Assignment {
                            peer: Ipv4Addr::new(192, 0, 2, self.next_host as u8),
                            dns1: Some(Ipv4Addr::new(198, 51, 100, 53)),
                            dns2: None,
                        };
                        self.next_host += 1;
                        self.ac
                            .accept(self.now, *session_id, Some(ipv4), b"ok")
                            .unwrap();
                    } else {
                        self.ac.reject(self.now, *session_id, b"no").unwrap();
                    }
                }
                self.ac_log.push(e);
                progressed = true;
            }
            for i in 0..self.clients.len() {
                while let Some(f) = self.clients[i].poll_transmit(self.now) {
                    self.send(i + 1, f);
                    progressed = true;
                }
                while let Some(e) = self.clients[i].poll_event() {
                    self.client_logs[i].push(e);
                    progressed = true;
                }
            }
            if !progressed {
                return;
            }
        }
    }

    /// Advances to the next delivery or timer; false when nothing is left.
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
            // Dropped frames are counted by the machines; state is unchanged.
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
        for _ in 0..2_000_000 {
            if done(self) {
                return true;
            }
            if self.now > end || !self.step() {
                return done(self);
            }
        }
        panic!("livelock: two million steps without simulated time reaching the limit");
    }

    fn client_state(&self, i: usize) -> (bool, bool, bool) {
        let log = &self.client_logs[i];
        let v4 = log
            .iter()
            .any(|e| matches!(e, ClientLinkEvent::Ppp(PppEvent::Ipv4Up { .. })));
        let v6 = log
            .iter()
            .any(|e| matches!(e, ClientLinkEvent::Ppp(PppEvent::Ipv6Up { .. })));
        let failed = log.iter().any(|e| {
            matches!(
                e,
                ClientLinkEvent::Pppoe(PppoeClientEvent::DiscoveryFailed { .. })
                    | ClientLinkEvent::Ppp(PppEvent::Down { .. })
            )
        });
        (v4, v6, failed)
    }
}

fn all_up(seg: &Segment) -> bool {
    (0..seg.clients.len()).all(|i| matches!(seg.client_state(i), (true, true, _)))
}

fn each_up_or_failed(seg: &Segment) -> bool {
    (0..seg.clients.len()).all(|i| matches!(seg.client_state(i), (true, true, _) | (_, _, true)))
}

fn addresses(seg: &Segment) -> Vec<Ipv4Addr> {
    seg.client_logs
        .iter()
        .filter_map(|log| {
            log.iter().find_map(|e| match e {
                ClientLinkEvent::Ppp(PppEvent::Ipv4Up { local, .. }) => Some(*local),
                _ => None,
            })
        })
        .collect()
}

#[test]
fn three_routers_dial_up_and_hang_up_on_a_clean_segment() {
    let clean = Impairment {
        loss_percent: 0,
        duplicate_percent: 0,
        max_delay_ms: 0,
    }; // in order
    let mut seg = Segment::new(3, clean, 1);
    assert!(
        seg.run_until(Duration::from_secs(30), all_up),
        "{:?}",
        seg.client_logs
    );
    // On a clean segment: discovery and PPP within a few round trips.
    assert!(seg.now < Instant::from_secs(2), "took {:?}", seg.now);
    let mut addrs = addresses(&seg);
    addrs.sort();
    assert_eq!(addrs, [10, 11, 12].map(|h| Ipv4Addr::new(192, 0, 2, h)));
    assert_eq!(seg.ac.session_count(), 3);

    for c in &mut seg.clients {
        c.close(seg.now);
    }
    seg.drain();
    assert!(
        seg.run_until(Duration::from_secs(30), |s| s.ac.session_count() == 0),
        "{:?}",
        seg.ac_log
    );
    for i in 0..3 {
        let log = &seg.client_logs[i];
        assert!(
            log.iter()
                .any(|e| matches!(e, ClientLinkEvent::Ppp(PppEvent::Down { .. }))),
            "{log:?}"
        );
    }
}

/// RFC 4638: with PPP-Max-Payload 1500 agreed in discovery both ends
/// negotiate a 1500-byte MRU and frame 1500-byte packets; when the AC does
/// not agree, both stay at 1492.
#[test]
fn ppp_max_payload_gives_a_1500_byte_mtu_only_when_both_agree() {
    let clean = Impairment {
        loss_percent: 0,
        duplicate_percent: 0,
        max_delay_ms: 0,
    };
    for (ac_payload, expected) in [(Some(1500), 1500u16), (None, 1492)] {
        let mut seg = Segment::with_max_payload(1, clean, 5, ac_payload, Some(1500));
        assert!(seg.run_until(Duration::from_secs(30), all_up));
        let client_mtu = seg.client_logs[0].iter().find_map(|e| match e {
            ClientLinkEvent::Ppp(PppEvent::LinkUp { mtu }) => Some(*mtu),
            _ => None,
        });
        let ac_mtu = seg.ac_log.iter().find_map(|e| match e {
            AcLinkEvent::Ppp {
                event: PppEvent::LinkUp { mtu },
                ..
            } => Some(*mtu),
            _ => None,
        });
        assert_eq!((client_mtu, ac_mtu), (Some(expected), Some(expected)));
        // A packet of exactly that size is framed; one byte more is not.
        let packet = vec![0x45; usize::from(expected)];
        let mut buf = [0u8; 1600];
        assert!(
            seg.clients[0]
                .encapsulate_data(0x0021, &packet, &mut buf)
                .is_ok()
        );
        let too_big = vec![0x45; usize::from(expected) + 1];
        assert!(
            seg.clients[0]
                .encapsulate_data(0x0021, &too_big, &mut buf)
                .is_err()
        );
    }
}

/// The AC keeps its sessions' timers in a heap: every session's LCP
/// keepalive still fires on time, and quiet sessions stay up.
#[test]
fn keepalives_of_many_sessions_fire_on_schedule() {
    let clean = Impairment {
        loss_percent: 0,
        duplicate_percent: 0,
        max_delay_ms: 0,
    };
    let n = 40;
    let mut seg = Segment::new(n, clean, 3);
    assert!(seg.run_until(Duration::from_secs(30), all_up));
    let (start, sent) = (seg.now, seg.ac_echo_requests);
    let minutes = 5;
    seg.run_until(Duration::from_secs(60 * minutes), |_| false);
    let elapsed = seg.now.saturating_duration_since(start).as_secs();
    assert!(
        elapsed >= 60 * minutes,
        "simulated time stopped at {elapsed} s"
    );
    // Default echo interval 10 s: one request per session per interval.
    let expected = n as u64 * elapsed / 10;
    let got = (seg.ac_echo_requests - sent) as u64;
    assert!(
        got + n as u64 >= expected && got <= expected + n as u64,
        "{got} Echo-Requests in {elapsed} s for {n} sessions, expected about {expected}"
    );
    assert!(
        (0..n).all(|i| !seg.client_state(i).2),
        "a session went down while its peer answered every echo"
    );
    assert_eq!(seg.ac.session_count(), n);
}

#[test]
fn a_wrong_password_ends_in_down_and_frees_the_ac_session() {
    let clean = Impairment {
        loss_percent: 0,
        duplicate_percent: 0,
        max_delay_ms: 0,
    }; // in order
    let mut seg = Segment::new(1, clean, 2);
    seg.clients[0] = ClientLink::new(
        PppoeClientConfig::new(client_mac(0)),
        PppConfig::peer(b"user0", b"wrong"),
        SeededRng::from_u64(7),
        seg.now,
    )
    .unwrap();
    seg.drain();
    assert!(
        seg.run_until(Duration::from_secs(60), |s| s.client_state(0).2),
        "{:?}",
        seg.client_logs
    );
    assert!(!seg.client_state(0).0);
    assert!(seg.run_until(Duration::from_secs(30), |s| s.ac.session_count() == 0));
}

/// The property: under any impairment every router ends up either fully
/// up or with a failure it reports, within bounded simulated time; with mild
/// loss all come up, with distinct addresses.
fn lossy_segment_converges_or_reports(
    loss: u32,
    dup: u32,
    delay: u32,
    seed: u64,
) -> Result<(), String> {
    let impair = Impairment {
        loss_percent: loss,
        duplicate_percent: dup,
        max_delay_ms: delay,
    };
    let mut seg = Segment::new(3, impair, seed);
    let settled = seg.run_until(Duration::from_secs(300), each_up_or_failed);
    if !settled {
        return Err(format!("unsettled after 300 s: {:?}", seg.client_logs));
    }
    if loss <= 10 && !all_up(&seg) {
        return Err(format!("mild loss must converge: {:?}", seg.client_logs));
    }
    let mut addrs = addresses(&seg);
    let n = addrs.len();
    addrs.sort();
    addrs.dedup();
    if addrs.len() != n {
        return Err("an address was given twice".into());
    }
    Ok(())
}

/// Cases that once failed. Duplicated LCP Configure-Requests renegotiated
/// LCP after it opened (RFC 1661 says so), and a CHAP Challenge of an
/// earlier negotiation, delayed, reached the router after the current one:
/// it answered both and then dropped the Success, which named the current
/// Challenge rather than its last Response; three LinkUps, then
/// AuthTimeout. (ppp-proto's `chap` tests show the fix.)
#[test]
fn lossy_segment_regressions() {
    for (loss, dup, delay, seed) in [
        (0, 16, 214, 4283223313167742508),
        (7, 1, 242, 13468002903044522574),
    ] {
        lossy_segment_converges_or_reports(loss, dup, delay, seed).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x11c0_2024),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// [`lossy_segment_converges_or_reports`] over random impairments. A
    /// fixed seed: the same cases on every run, so a failure reproduces
    /// (save it in the regressions above); nothing is written into the
    /// source tree.
    #[test]
    fn lossy_segment_converges_or_reports_prop(
        loss in 0u32..35,
        dup in 0u32..20,
        delay in 1u32..300,
        seed in any::<u64>(),
    ) {
        lossy_segment_converges_or_reports(loss, dup, delay, seed).map_err(TestCaseError::fail)?;
    }
}
