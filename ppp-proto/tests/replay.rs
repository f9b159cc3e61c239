//! Our machines against the real pppd frames of the golden captures: fed
//! the frames pppd's AC (or client) sent, our peer (or authenticator)
//! answers with the very bytes pppd's client (or AC) answered with,
//! wherever the answer does not depend on a random value (Magic-Number,
//! CHAP challenge).

use std::net::Ipv4Addr;

use ppp_proto::wire::protocol::{CHAP, IPCP, IPV6CP, LCP, PAP};
use ppp_proto::{
    AuthMethods, Credential, Ipv4Assignment, PppConfig, PppDownReason, PppEvent, PppSession, Role,
};
use sansio_primitives::{Instant, SeededRng};

const AC_MAC: [u8; 6] = [0x52, 0x54, 0x00, 0xac, 0x00, 0x01];

struct Capture(Vec<(bool, Vec<u8>)>);

impl Capture {
    /// The PPP frames (Protocol + information) of a capture, each marked
    /// with whether the AC sent it.
    fn load(name: &str) -> Self {
        let path = format!("{}/tests/data/{name}.pcap", env!("CARGO_MANIFEST_DIR"));
        let b = std::fs::read(path).unwrap();
        let mut out = Vec::new();
        let mut i = 24;
        while i + 16 <= b.len() {
            let incl = u32::from_le_bytes(b[i + 8..i + 12].try_into().unwrap()) as usize;
            let f = &b[i + 16..i + 16 + incl];
            i += 16 + incl;
            if f[12..14] == [0x88, 0x64] {
                let len = usize::from(u16::from_be_bytes([f[18], f[19]]));
                out.push((f[6..12] == AC_MAC, f[20..20 + len].to_vec()));
            }
        }
        Capture(out)
    }

    /// The `n`-th frame sent by the AC (or the client) with this protocol
    /// and code.
    fn get(&self, from_ac: bool, protocol: u16, code: u8, n: usize) -> &[u8] {
        self.0
            .iter()
            .filter(|(a, f)| *a == from_ac && f[..2] == protocol.to_be_bytes() && f[2] == code)
            .nth(n)
            .map(|(_, f)| f.as_slice())
            .unwrap_or_else(|| panic!("no frame {protocol:#06x}/{code} #{n}"))
    }
}

struct Driven {
    s: PppSession,
    now: Instant,
    events: Vec<PppEvent>,
}

impl Driven {
    fn new(config: PppConfig) -> Self {
        let mut d = Driven {
            s: PppSession::new(config, SeededRng::from_u64(3), Instant::ZERO),
            now: Instant::ZERO,
            events: Vec::new(),
        };
        d.s.open(d.now);
        d
    }

    /// Feeds a frame; returns what the session sent.
    fn feed(&mut self, frame: &[u8]) -> Vec<Vec<u8>> {
        self.s.handle_input(self.now, frame).unwrap();
        self.drain()
    }

    fn drain(&mut self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(t) = self.s.poll_transmit(self.now) {
            out.push(t.payload);
        }
        while let Some(e) = self.s.poll_event() {
            self.events.push(e);
        }
        out
    }
}

/// Our Configure-Request acknowledged: the same bytes with code 2.
fn ack_of(req: &[u8]) -> Vec<u8> {
    let mut a = req.to_vec();
    a[2] = 2;
    a
}

#[test]
fn our_peer_answers_pppds_concentrator_like_pppd_did() {
    let cap = Capture::load("pppoe-chap-ipcp-ipv6cp");
    let (ac, cl) = (true, false);
    let mut cfg = PppConfig::peer(b"labuser", b"labpass");
    if let Role::Peer(p) = &mut cfg.role {
        // pppd's client identifier in this capture (fe80::bd38:5dd4:d1ba:2a9d).
        p.ipv6_ifid = Some(0xbd38_5dd4_d1ba_2a9d);
    }
    let mut d = Driven::new(cfg);
    let ours = d.drain();
    assert_eq!(ours.len(), 1);
    let our_lcp = ours[0].clone();
    // <mru 1492> <magic …>, as pppd's client, our own magic.
    assert_eq!(our_lcp[..12], cap.get(cl, LCP, 1, 0)[..12]);

    // The AC's <mru 1492> <auth chap MD5> <magic>: acknowledged as pppd did.
    assert_eq!(d.feed(cap.get(ac, LCP, 1, 0)), [cap.get(cl, LCP, 2, 0)]);
    assert!(d.feed(&ack_of(&our_lcp)).is_empty());
    assert!(d.events.contains(&PppEvent::LinkUp { mtu: 1492 }));

    // CHAP-MD5: the Response is pppd's, byte for byte.
    assert_eq!(d.feed(cap.get(ac, CHAP, 1, 0)), [cap.get(cl, CHAP, 2, 0)]);
    // Success: IPCP and IPv6CP Configure-Requests identical to pppd's.
    assert_eq!(
        d.feed(cap.get(ac, CHAP, 3, 0)),
        [cap.get(cl, IPCP, 1, 0), cap.get(cl, IPV6CP, 1, 0)]
    );
    // <compress VJ 0f 01> <addr 192.0.2.1>: VJ rejected as pppd did.
    assert_eq!(d.feed(cap.get(ac, IPCP, 1, 0)), [cap.get(cl, IPCP, 4, 0)]);
    assert_eq!(
        d.feed(cap.get(ac, IPV6CP, 1, 0)),
        [cap.get(cl, IPV6CP, 2, 0)]
    );
    // The Nak with address and DNS: the same new request as pppd's.
    assert_eq!(d.feed(cap.get(ac, IPCP, 3, 0)), [cap.get(cl, IPCP, 1, 1)]);
    assert!(d.feed(cap.get(ac, IPV6CP, 2, 0)).is_empty());
    assert!(d.events.contains(&PppEvent::Ipv6Up {
        local_ifid: 0xbd38_5dd4_d1ba_2a9d,
        peer_ifid: 1
    }));
    assert_eq!(d.feed(cap.get(ac, IPCP, 1, 1)), [cap.get(cl, IPCP, 2, 0)]);
    assert!(d.feed(cap.get(ac, IPCP, 2, 0)).is_empty());
    assert!(d.events.contains(&PppEvent::Ipv4Up {
        local: Ipv4Addr::new(192, 0, 2, 10),
        peer: Ipv4Addr::new(192, 0, 2, 1),
        dns: [
            Some(Ipv4Addr::new(198, 51, 100, 53)),
            Some(Ipv4Addr::new(198, 51, 100, 54))
        ],
        peer_assumed: false,
    }));
    // The AC's Echo-Request gets an Echo-Reply with our magic.
    let reply = d.feed(cap.get(ac, LCP, 9, 0));
    assert_eq!(reply.len(), 1);
    assert_eq!(reply[0][..6], [0xc0, 0x21, 10, 0, 0, 8]);
    assert_eq!(reply[0][6..10], our_lcp[12..16]);
    // Hang up like pppd's client: Terminate-Request, the AC's Terminate-Ack.
    d.s.close(d.now);
    let term = d.drain();
    assert_eq!(term[0][..4], cap.get(cl, LCP, 5, 0)[..4]);
    assert!(d.feed(cap.get(ac, LCP, 6, 0)).is_empty());
    assert!(d.events.contains(&PppEvent::Down {
        reason: PppDownReason::LocalClose
    }));
}

#[test]
fn our_authenticator_answers_pppds_client_like_pppd_did() {
    let cap = Capture::load("pppoe-pap");
    let (ac, cl) = (true, false);
    let mut cfg = PppConfig::authenticator(b"lab-ac", Ipv4Addr::new(192, 0, 2, 1));
    if let Role::Authenticator(a) = &mut cfg.role {
        a.methods = AuthMethods {
            chap_md5: false,
            pap: true,
        };
        a.ipv4 = Some(Ipv4Assignment {
            peer: Ipv4Addr::new(192, 0, 2, 10),
            dns1: Some(Ipv4Addr::new(198, 51, 100, 53)),
            dns2: Some(Ipv4Addr::new(198, 51, 100, 54)),
        });
        a.ipv6_ifid = Some(1);
    }
    // The captured AC (pppd) sends its request at once, without waiting for
    // the client's.
    cfg.lcp.silent = None;
    let mut d = Driven::new(cfg);
    let our_lcp = d.drain().remove(0);
    // <mru 1492> <auth pap> <magic …>, as pppd's AC, our own magic.
    assert_eq!(our_lcp[..16], cap.get(ac, LCP, 1, 0)[..16]);
    assert_eq!(d.feed(cap.get(cl, LCP, 1, 0)), [cap.get(ac, LCP, 2, 0)]);
    assert!(d.feed(&ack_of(&our_lcp)).is_empty());

    // PAP: the application hears the credential and says yes.
    assert!(d.feed(cap.get(cl, PAP, 1, 0)).is_empty());
    let (user, cred) = d
        .events
        .iter()
        .find_map(|e| match e {
            PppEvent::AuthRequest { user, credential } => Some((user.clone(), credential.clone())),
            _ => None,
        })
        .unwrap();
    assert_eq!(user, b"labuser");
    assert!(matches!(&cred, Credential::Pap { .. }) && cred.verify(b"labpass"));
    d.s.accept(d.now, b"Login ok").unwrap();
    let out = d.drain();
    // Authenticate-Ack "Login ok" exactly as pppd; then our IPCP request
    // (<addr 192.0.2.1>, pppd's second one but with our Identifier 1) and
    // IPv6CP request (pppd's exactly).
    assert_eq!(out[0], cap.get(ac, PAP, 2, 0));
    let our_ipcp = out[1].clone();
    let pppd_ipcp2 = cap.get(ac, IPCP, 1, 1);
    assert_eq!((our_ipcp[3], &our_ipcp[4..]), (1, &pppd_ipcp2[4..]));
    assert_eq!(out[2], cap.get(ac, IPV6CP, 1, 0));
    // The client's <addr 0.0.0.0> <ms-dns1 0.0.0.0> <ms-dns2 0.0.0.0>:
    // the same Nak as pppd's.
    assert_eq!(d.feed(cap.get(cl, IPCP, 1, 0)), [cap.get(ac, IPCP, 3, 0)]);
    assert_eq!(
        d.feed(cap.get(cl, IPV6CP, 1, 0)),
        [cap.get(ac, IPV6CP, 2, 0)]
    );
    assert!(d.feed(cap.get(cl, IPV6CP, 2, 0)).is_empty());
    assert_eq!(d.feed(cap.get(cl, IPCP, 1, 1)), [cap.get(ac, IPCP, 2, 0)]);
    assert!(d.feed(&ack_of(&our_ipcp)).is_empty());
    assert!(
        d.events
            .iter()
            .any(|e| matches!(e, PppEvent::Ipv4Up { local, peer, .. }
        if *local == Ipv4Addr::new(192, 0, 2, 1) && *peer == Ipv4Addr::new(192, 0, 2, 10)))
    );
    assert!(
        d.events
            .iter()
            .any(|e| matches!(e, PppEvent::Ipv6Up { local_ifid: 1, .. }))
    );
    // The client hangs up: Terminate-Ack as pppd's, Down after the
    // restart interval.
    assert_eq!(d.feed(cap.get(cl, LCP, 5, 0)), [cap.get(ac, LCP, 6, 0)]);
    let t = d.s.poll_timeout().unwrap();
    assert_eq!(t, Instant::from_secs(3));
    d.now = t;
    d.s.handle_timeout(t);
    d.drain();
    assert!(d.events.contains(&PppEvent::Down {
        reason: PppDownReason::PeerTerminated {
            message: "User request".into()
        }
    }));
}
