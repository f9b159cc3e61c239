//! Codec and machine benchmarks: parse+emit of an LCP Configure-Request and
//! a CHAP Response (bytes from the pppd captures), and a full in-memory
//! bring-up (LCP, CHAP-MD5, IPCP, IPv6CP) of a peer against an
//! authenticator.

use std::hint::black_box;
use std::net::Ipv4Addr;

use criterion::{Criterion, criterion_group, criterion_main};
use ppp_proto::wire::chap::ChapPacket;
use ppp_proto::wire::cp::{ConfigOption, CpBody, CpPacket};
use ppp_proto::wire::lcp::LcpOption;
use ppp_proto::{Ipv4Assignment, PppConfig, PppEvent, PppSession};
use sansio_primitives::{Instant, SeededRng};

/// The AC's LCP Configure-Request of pppoe-chap-ipcp-ipv6cp (frame 6):
/// <mru 1492> <auth chap MD5> <magic 0xe439302e>.
const LCP_CONFREQ: [u8; 19] = [
    0x01, 0x01, 0x00, 0x13, 0x01, 0x04, 0x05, 0xd4, 0x03, 0x05, 0xc2, 0x23, 0x05, 0x05, 0x06, 0xe4,
    0x39, 0x30, 0x2e,
];

/// The client's CHAP Response of the same capture (frame 15).
const CHAP_RESPONSE: [u8; 28] = [
    0x02, 0x25, 0x00, 0x1c, 0x10, 0xfb, 0x41, 0xfe, 0xfc, 0x74, 0xdd, 0x93, 0xb1, 0x73, 0x6b, 0x57,
    0x5d, 0x69, 0x8d, 0x00, 0x64, b'l', b'a', b'b', b'u', b's', b'e', b'r',
];

fn codec(c: &mut Criterion) {
    let mut buf = Vec::with_capacity(64);
    c.bench_function("lcp_configure_request_parse_emit", |b| {
        b.iter(|| {
            let p = CpPacket::parse(black_box(&LCP_CONFREQ), true).unwrap();
            if let CpBody::ConfigureRequest(o) = p.body {
                for raw in o.iter() {
                    black_box(LcpOption::from_raw(raw).unwrap());
                }
            }
            buf.clear();
            p.put(&mut buf);
            black_box(&buf);
        })
    });
    c.bench_function("chap_response_parse_emit", |b| {
        b.iter(|| {
            let p = ChapPacket::parse(black_box(&CHAP_RESPONSE)).unwrap();
            buf.clear();
            p.put(&mut buf);
            black_box(&buf);
        })
    });
}

/// One complete bring-up; returns when both sides have IPv4 and IPv6.
pub fn bring_up(rng: &mut SeededRng) -> (PppSession, PppSession) {
    let now = Instant::ZERO;
    let mut peer = PppSession::new(PppConfig::peer(b"user", b"pass"), rng.fork(), now);
    let ac_config = PppConfig::authenticator(b"ac", Ipv4Addr::new(192, 0, 2, 1));
    let mut ac = PppSession::new(ac_config, rng.fork(), now);
    ac.set_ipv4_assignment(Ipv4Assignment {
        peer: Ipv4Addr::new(192, 0, 2, 10),
        dns1: Some(Ipv4Addr::new(198, 51, 100, 53)),
        dns2: None,
    });
    peer.open(now);
    ac.open(now);
    let mut ups = 0;
    while ups < 4 {
        let mut moved = false;
        while let Some(t) = peer.poll_transmit(now) {
            moved = true;
            let _ = ac.handle_input(now, &t.payload);
        }
        while let Some(t) = ac.poll_transmit(now) {
            moved = true;
            let _ = peer.handle_input(now, &t.payload);
        }
        while let Some(e) = ac.poll_event() {
            match e {
                PppEvent::AuthRequest { credential, .. } => {
                    let ok = credential.verify(b"pass");
                    assert!(ok);
                    ac.accept(now, b"ok").unwrap();
                }
                PppEvent::Ipv4Up { .. } | PppEvent::Ipv6Up { .. } => ups += 1,
                _ => {}
            }
        }
        while let Some(e) = peer.poll_event() {
            if matches!(e, PppEvent::Ipv4Up { .. } | PppEvent::Ipv6Up { .. }) {
                ups += 1;
            }
        }
        assert!(moved || ups >= 4, "stalled");
    }
    (peer, ac)
}

fn session(c: &mut Criterion) {
    let mut rng = SeededRng::from_u64(1);
    c.bench_function("session_bring_up_chap_ipcp_ipv6cp", |b| {
        b.iter(|| black_box(bring_up(&mut rng)))
    });
}

criterion_group!(benches, codec, session);
criterion_main!(benches);
