//! Our PPPoE client machine, over an AF_PACKET socket, against a real
//! rp-pppoe `pppoe-server` + pppd access concentrator in a VM.

mod common;

use std::time::Duration;

use common::pppoe_vm::{Lab, Role};
use pppoe_proto::wire::EthernetAddress;
use pppoe_proto::{Client, ClientConfig, ClientEvent, FailReason};
use proto_core::{SeededRng, StdClock};
use router_bin::afpacket::{ETH_P_ALL, PacketSocket};

const ETH_P_PPP_DISC: u16 = 0x8863;
const ETH_P_PPP_SES: u16 = 0x8864;

/// Runs the client over the socket until an event arrives or `limit` passes;
/// the session frames the AC sends meanwhile are returned too.
fn drive(
    sock: &PacketSocket,
    client: &mut Client,
    clock: &StdClock,
    limit: Duration,
) -> (Option<ClientEvent>, Vec<Vec<u8>>) {
    let end = std::time::Instant::now() + limit;
    let mut session_frames = Vec::new();
    let mut buf = [0u8; 1600];
    loop {
        while let Some(t) = client.poll_transmit() {
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
    let mut client = Client::new(
        ClientConfig::new(EthernetAddress(sock.mac())),
        SeededRng::from_u64(1),
        clock.now(),
    )
    .unwrap();

    let (event, _) = drive(&sock, &mut client, &clock, Duration::from_secs(20));
    let Some(ClientEvent::SessionUp {
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
    while let Some(t) = client.poll_transmit() {
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
    let mut config = ClientConfig::new(EthernetAddress(sock.mac()));
    config.service_name = b"iptv".to_vec();
    config.initial_timeout = Duration::from_millis(300);
    config.max_padi_attempts = 3;
    let mut client = Client::new(config, SeededRng::from_u64(2), clock.now()).unwrap();
    let (event, _) = drive(&sock, &mut client, &clock, Duration::from_secs(10));
    assert!(
        matches!(
            event,
            Some(ClientEvent::DiscoveryFailed {
                reason: FailReason::NoOffer,
                ..
            })
        ),
        "{event:?}"
    );

    // The offered service from the named AC.
    let mut config = ClientConfig::new(EthernetAddress(sock.mac()));
    config.service_name = b"voip".to_vec();
    config.ac_name = Some(b"lab-ac-svc".to_vec());
    let mut client = Client::new(config, SeededRng::from_u64(3), clock.now()).unwrap();
    let (event, _) = drive(&sock, &mut client, &clock, Duration::from_secs(20));
    assert!(
        matches!(event, Some(ClientEvent::SessionUp { .. })),
        "{event:?}\n{}",
        lab.console()
    );
    client.close(clock.now()).unwrap();
    while let Some(t) = client.poll_transmit() {
        sock.send(&t.payload).unwrap();
    }
}
