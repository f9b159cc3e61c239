//! Our PPPoE client machine, over an AF_PACKET socket, against a real
//! rp-pppoe `pppoe-server` + pppd access concentrator in a VM.

mod common;

use std::time::Duration;

use common::pppoe_vm::{CHAP_ALICE, Lab, Role};
use pppoe_link::{ETH_P_PPP_DISC, ETH_P_PPP_SES};
use pppoe_proto::wire::EthernetAddress;
use pppoe_proto::{PppoeClient, PppoeClientConfig, PppoeClientEvent, PppoeFailReason};
use router_bin::afpacket::{ETH_P_ALL, PacketSocket};
use sansio_primitives::{SeededRng, StdClock};

/// Runs the client over the socket until an event arrives or `limit` passes;
/// the session frames the AC sends meanwhile are returned too.
fn drive(
    sock: &PacketSocket,
    client: &mut PppoeClient,
    clock: &StdClock,
    limit: Duration,
) -> (Option<PppoeClientEvent>, Vec<Vec<u8>>) {
    let end = std::time::Instant::now() + limit;
    let mut session_frames = Vec::new();
    let mut buf = [0u8; 1600];
    loop {
        while let Some(t) = client.poll_transmit(clock.now()) {
            sock.send(&t.payload).expect("send");
        }
        if let Some(e) = client.poll_event() {
            return (Some(e), session_frames);
        }
        let now = std::time::Instant::now();
        if now >= end {
            return (None, session_frames);
        }
        let wait = client
            .poll_timeout()
            .and_then(|t| clock.to_std(t))
            .map_or(end - now, |t| t.saturating_duration_since(now))
            .min(end - now);
        match sock.recv(&mut buf, Some(wait)).expect("recv") {
            Some(n) if n >= 14 => {
                let ethertype = u16::from_be_bytes([buf[12], buf[13]]);
                if ethertype == ETH_P_PPP_DISC {
                    let _ = client.handle_input(clock.now(), &buf[..n]); // drops are counted
                } else if ethertype == ETH_P_PPP_SES {
                    session_frames.push(buf[..n].to_vec());
                }
            }
            Some(_) => {}
            None => client.handle_timeout(clock.now()),
        }
    }
}

fn open(lab: &Lab) -> PacketSocket {
    testbed::in_namespace(lab.netns(), || PacketSocket::open("host0", ETH_P_ALL))
        .unwrap()
        .unwrap()
}

/// Waits for a session frame of `session_id` from the AC (its pppd's first
/// LCP Configure-Request), proving the session exists on the AC's side.
fn await_session_frame(sock: &PacketSocket, session_id: u16, limit: Duration) -> Option<Vec<u8>> {
    let end = std::time::Instant::now() + limit;
    let mut buf = [0u8; 1600];
    while let Some(left) = end.checked_duration_since(std::time::Instant::now()) {
        if let Some(n) = sock.recv(&mut buf, Some(left)).unwrap() {
            let f = &buf[..n];
            if n >= 22
                && f[12..14] == ETH_P_PPP_SES.to_be_bytes()
                && f[16..18] == session_id.to_be_bytes()
            {
                return Some(f.to_vec());
            }
        }
    }
    None
}

#[test]
fn discovery_against_rp_pppoe_then_padt() {
    let Some(lab) = Lab::start(
        "pppoe-vm-discovery",
        Role::AccessConcentrator(&["--auth", "chap"]),
    ) else {
        return;
    };
    let sock = open(&lab);
    let clock = StdClock::new();
    let mut client = PppoeClient::new(
        PppoeClientConfig::new(EthernetAddress(sock.mac())),
        SeededRng::from_u64(1),
        clock.now(),
    )
    .unwrap();

    let (event, _) = drive(&sock, &mut client, &clock, Duration::from_secs(20));
    let Some(PppoeClientEvent::SessionUp {
        session_id, ac_mac, ..
    }) = event
    else {
        panic!("no session: {event:?}\n{}", lab.console());
    };
    assert_eq!(
        ac_mac,
        EthernetAddress([0x52, 0x54, 0x00, 0xac, 0x00, 0x01])
    );
    assert_eq!(session_id, 1, "pppoe-server numbers sessions from 1");
    // The AC's pppd now talks to us in that session: LCP (0xc021) first.
    let frame = await_session_frame(&sock, session_id, Duration::from_secs(10))
        .unwrap_or_else(|| panic!("no session frame from the AC\n{}", lab.console()));
    assert_eq!(frame[20..22], [0xc0, 0x21], "first PPP frame is LCP");

    eprintln!("session frame seen at {:?}", clock.now());
    client.close(clock.now()).unwrap();
    while let Some(t) = client.poll_transmit(clock.now()) {
        sock.send(&t.payload).unwrap();
    }
    let padt_sent = std::time::Instant::now();
    assert!(
        lab.wait_console("Connection terminated", Duration::from_secs(15)),
        "the AC's pppd did not end the session after our PADT\n{}",
        lab.console()
    );
    eprintln!(
        "AC ended the session {:?} after our PADT",
        padt_sent.elapsed()
    );
}

#[test]
fn service_name_and_ac_name_selection() {
    let args = [
        "--auth",
        "chap",
        "--service",
        "internet",
        "--service",
        "voip",
        "--ac-name",
        "lab-ac-svc",
    ];
    let Some(lab) = Lab::start("pppoe-vm-service", Role::AccessConcentrator(&args)) else {
        return;
    };
    let sock = open(&lab);
    let clock = StdClock::new();

    // A service the AC does not offer: rp-pppoe stays silent, we give up.
    let mut config = PppoeClientConfig::new(EthernetAddress(sock.mac()));
    config.service_name = b"iptv".to_vec();
    config.initial_timeout = Duration::from_millis(300);
    config.max_padi_attempts = 3;
    let mut client = PppoeClient::new(config, SeededRng::from_u64(2), clock.now()).unwrap();
    let (event, _) = drive(&sock, &mut client, &clock, Duration::from_secs(10));
    assert!(
        matches!(
            event,
            Some(PppoeClientEvent::DiscoveryFailed {
                reason: PppoeFailReason::NoOffer,
                ..
            })
        ),
        "{event:?}"
    );

    // The offered service from the named AC.
    let mut config = PppoeClientConfig::new(EthernetAddress(sock.mac()));
    config.service_name = b"voip".to_vec();
    config.ac_name = Some(b"lab-ac-svc".to_vec());
    let mut client = PppoeClient::new(config, SeededRng::from_u64(3), clock.now()).unwrap();
    let (event, _) = drive(&sock, &mut client, &clock, Duration::from_secs(20));
    assert!(
        matches!(event, Some(PppoeClientEvent::SessionUp { .. })),
        "{event:?}\n{}",
        lab.console()
    );
    client.close(clock.now()).unwrap();
    while let Some(t) = client.poll_transmit(clock.now()) {
        sock.send(&t.payload).unwrap();
    }
}

mod dial {
    use super::*;
    use crate::common::dialer::{Dialer, Seen, ppp};
    use crate::common::icmp::{icmpv4_echo, icmpv6_echo};
    use ppp_proto::{PppConfig, PppEvent};
    use pppoe_link::ClientLinkEvent;
    use pppoe_link::{PPP_IPV4, PPP_IPV6};
    use std::net::Ipv4Addr;

    fn dial(lab: &Lab, user: &[u8], pass: &[u8], seed: u64) -> Dialer {
        let sock = open(lab);
        let pppoe = Dialer::pppoe_config(&sock);
        let start = std::time::Instant::now();
        let mut d = Dialer::new(sock, pppoe, PppConfig::peer(user, pass), seed);
        let link_up = d.run_until(Duration::from_secs(40), |s| {
            ppp(s, |e| matches!(e, PppEvent::LinkUp { .. }))
        });
        assert!(link_up, "no LinkUp: {:?}\n{}", d.log, lab.console());
        let link_up = start.elapsed();
        let mut v4 = false;
        let mut v6 = false;
        let ok = d.run_until(Duration::from_secs(40), |s| {
            match s {
                Seen::Link(ClientLinkEvent::Ppp(PppEvent::Ipv4Up { .. })) => v4 = true,
                Seen::Link(ClientLinkEvent::Ppp(PppEvent::Ipv6Up { .. })) => v6 = true,
                _ => {}
            }
            v4 && v6
        });
        assert!(ok, "no Ipv4Up + Ipv6Up: {:?}\n{}", d.log, lab.console());
        eprintln!(
            "dial time, our client to rp-pppoe: PADI -> LinkUp {link_up:?}, PADI -> Ipv4Up + Ipv6Up {:?}",
            start.elapsed()
        );
        // rp-pppoe starts its pppd about 1 s after the PADS, so our first
        // Configure-Request is lost; its first request makes us resend ours
        // 200 ms later rather than after the 3 s restart timer (measured:
        // 3.1 s before, 1.5 s after).
        assert!(
            link_up < Duration::from_millis(2500),
            "LCP took {link_up:?}: {:?}",
            d.log
        );
        d
    }

    /// Pings the AC over IPv4 and IPv6 link-local through the session, once
    /// its pppd has configured ppp0 (its ip-up scripts ran), resending each
    /// second until a reply comes.
    fn ping_both(d: &mut Dialer, lab: &Lab) {
        assert!(
            lab.wait_console("LAB-PPP ip-up", Duration::from_secs(10)),
            "{}",
            lab.console()
        );
        assert!(
            lab.wait_console("LAB-PPP ipv6-up", Duration::from_secs(10)),
            "{}",
            lab.console()
        );
        let (local, peer, _) = d.ipv4().unwrap();
        let replied = (1..=5).any(|seq| {
            d.send_data(PPP_IPV4, &icmpv4_echo(local, peer, 0x4242, seq));
            d.run_until(Duration::from_secs(1), |s| {
                matches!(s, Seen::Data(PPP_IPV4, p) if p.len() >= 28 && p[9] == 1 && p[20] == 0 && p[12..16] == peer.octets())
            })
        });
        assert!(
            replied,
            "no ICMP echo reply from {peer}: {:?}\n{}",
            d.log,
            lab.console()
        );
        let (lifid, pifid) = d.ipv6().unwrap();
        let replied = (1..=5).any(|seq| {
            d.send_data(PPP_IPV6, &icmpv6_echo(lifid, pifid, 0x4343, seq));
            d.run_until(Duration::from_secs(1), |s| {
                matches!(s, Seen::Data(PPP_IPV6, p) if p.len() >= 48 && p[6] == 58 && p[40] == 129)
            })
        });
        assert!(
            replied,
            "no ICMPv6 echo reply: {:?}\n{}",
            d.log,
            lab.console()
        );
    }

    fn hang_up(d: &mut Dialer, lab: &Lab) {
        d.hang_up();
        let down = d.run_until(Duration::from_secs(15), |s| {
            ppp(s, |e| matches!(e, PppEvent::Down { .. }))
        });
        assert!(down, "no Down after our Terminate-Request: {:?}", d.log);
        assert!(
            lab.wait_console("LCP terminated by peer", Duration::from_secs(10)),
            "the AC did not see our LCP Terminate\n{}",
            lab.console()
        );
    }

    #[test]
    fn chap_ipcp_ipv6cp_ping_and_hang_up() {
        let Some(lab) = Lab::start("pppoe-vm-chap", Role::AccessConcentrator(&CHAP_ALICE)) else {
            return;
        };
        let capture = lab.capture();
        let mut d = dial(&lab, b"alice", b"s3cret", 10);
        let (local, peer, dns) = d.ipv4().unwrap();
        assert_eq!(
            local,
            Ipv4Addr::new(192, 0, 2, 10),
            "the AC's pool starts at .10"
        );
        assert_eq!(peer, Ipv4Addr::new(192, 0, 2, 1));
        assert_eq!(
            dns,
            [
                Some(Ipv4Addr::new(198, 51, 100, 53)),
                Some(Ipv4Addr::new(198, 51, 100, 54))
            ]
        );
        let (local_ifid, peer_ifid) = d.ipv6().unwrap();
        assert_eq!(peer_ifid, 1, "the AC's interface id is ::1");
        assert_ne!(local_ifid, 0);
        assert!(
            lab.wait_console(
                "LAB-PPP ip-up iface=ppp0 local=192.0.2.1 remote=192.0.2.10",
                Duration::from_secs(10)
            ),
            "{}",
            lab.console()
        );
        ping_both(&mut d, &lab);
        hang_up(&mut d, &lab);

        // The whole exchange as tshark sees it: every stage present, and no
        // frame of ours (or the AC's) malformed.
        let pcap = capture.stop().unwrap();
        assert_eq!(pcap.problems().unwrap(), Vec::<String>::new());
        for (filter, what) in [
            ("pppoe.code == 0x09", "PADI"),
            ("pppoe.code == 0x07", "PADO"),
            ("pppoe.code == 0x19", "PADR"),
            ("pppoe.code == 0x65", "PADS"),
            (
                "pppoe.code == 0xa7 && eth.src != 52:54:00:ac:00:01",
                "our PADT",
            ),
            ("lcp.opt.auth_protocol == 0xc223", "LCP asking for CHAP"),
            ("chap.code == 2", "CHAP Response"),
            ("ipcp.opt.pri_dns_address == 198.51.100.53", "IPCP with DNS"),
            ("ipv6cp", "IPv6CP"),
            ("icmp.type == 0", "ICMP echo reply"),
            ("icmpv6.type == 129", "ICMPv6 echo reply"),
            (
                "ppp.code == 5 && ppp.protocol == 0xc021",
                "LCP Terminate-Request",
            ),
        ] {
            assert!(
                pcap.count(filter).unwrap() > 0,
                "no {what} ({filter}) in the capture:\n{}",
                pcap.decode(&[]).unwrap()
            );
        }
    }

    #[test]
    fn pap_session() {
        let args = ["--auth", "pap", "--user", "bob", "--pass", "hunter2"];
        let Some(lab) = Lab::start("pppoe-vm-pap", Role::AccessConcentrator(&args)) else {
            return;
        };
        let mut d = dial(&lab, b"bob", b"hunter2", 11);
        assert!(
            d.ppp_events().any(
                |e| matches!(e, PppEvent::AuthSucceeded { message } if message == b"Login ok")
            ),
            "{:?}",
            d.log
        );
        ping_both(&mut d, &lab);
        hang_up(&mut d, &lab);
    }

    #[test]
    fn wrong_password_fails_and_ends_the_session() {
        let Some(lab) = Lab::start("pppoe-vm-badpass", Role::AccessConcentrator(&CHAP_ALICE))
        else {
            return;
        };
        let sock = open(&lab);
        let pppoe = Dialer::pppoe_config(&sock);
        let mut d = Dialer::new(sock, pppoe, PppConfig::peer(b"alice", b"wrong"), 12);
        let down = d.run_until(Duration::from_secs(40), |s| {
            ppp(s, |e| matches!(e, PppEvent::Down { .. }))
        });
        assert!(down, "{:?}", d.log);
        assert!(
            d.log
                .iter()
                .any(|s| ppp(s, |e| matches!(e, PppEvent::AuthFailed { .. }))),
            "{:?}",
            d.log
        );
        assert!(d.ipv4().is_none());
    }

    #[test]
    fn lcp_echo_keepalive_is_answered_both_ways() {
        // The AC sends Echo-Requests every 2 s and drops the link after 2
        // unanswered; we hold the link for 7 s, then it must still be up.
        let args = [
            &CHAP_ALICE[..],
            &["--echo-interval", "2", "--echo-failure", "2"],
        ]
        .concat();
        let Some(lab) = Lab::start("pppoe-vm-echo", Role::AccessConcentrator(&args)) else {
            return;
        };
        let mut config = PppConfig::peer(b"alice", b"s3cret");
        config.lcp.echo_interval = Some(Duration::from_secs(2));
        let sock = open(&lab);
        let pppoe = Dialer::pppoe_config(&sock);
        let mut d = Dialer::new(sock, pppoe, config, 13);
        let up = d.run_until(Duration::from_secs(40), |s| {
            ppp(s, |e| matches!(e, PppEvent::Ipv4Up { .. }))
        });
        assert!(up, "{:?}", d.log);
        let went_down = d.run_until(Duration::from_secs(7), |s| {
            ppp(s, |e| matches!(e, PppEvent::Down { .. }))
        });
        assert!(
            !went_down,
            "the link dropped: {:?}\n{}",
            d.log,
            lab.console()
        );
        // pppd does not log echoes in the network phase, so count them on
        // our side: LCP (0xc021) code 9 = Echo-Request, 10 = Echo-Reply.
        let count = |rx: bool, code: u8| {
            d.log
                .iter()
                .filter(|s| matches!(s, Seen::Control(r, 0xc021, c) if *r == rx && *c == code))
                .count()
        };
        assert!(count(true, 9) >= 3, "the AC's Echo-Requests: {:?}", d.log);
        assert!(
            count(false, 10) >= count(true, 9),
            "each of the AC's Echo-Requests is answered: {:?}",
            d.log
        );
        assert!(
            count(false, 9) >= 3,
            "our Echo-Requests every 2 s: {:?}",
            d.log
        );
        assert!(
            count(true, 10) >= count(false, 9) - 1,
            "the AC answers ours: {:?}",
            d.log
        );
        assert!(
            !lab.console().contains("No response to"),
            "{}",
            lab.console()
        );
        hang_up(&mut d, &lab);
    }
}
