//! Our client against real DHCP servers: `dnsmasq` and Kea
//! (`kea-dhcp4`), each in a network namespace across a veth pair
//! (192.0.2.0/24 only). The client runs in the test process on a UDP socket
//! opened inside the client namespace; it must bind with the options the
//! server was configured with and renew at T1 (unicast, after the address is
//! configured on the interface).
//!
//! Needs root and the Debian packages `dnsmasq-base kea-dhcp4-server`;
//! without root each test prints `SKIP` (and fails under CI).

use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::time::Duration as StdDuration;

use dhcpv4_proto::client::{
    Dhcpv4Binding, Dhcpv4Client, Dhcpv4ClientConfig, Dhcpv4ClientDestination, Dhcpv4ClientEvent,
};
use sansio_primitives::{Duration, Instant, SeededRng, StdClock};
use socket2::{Domain, Protocol, Socket, Type};
use testbed::{Netns, Process, Testbed};

const MAC: [u8; 6] = [2, 0, 0, 0, 0x44, 1];

struct Lab {
    tb: Testbed,
    cli: Netns,
}

fn lab(label: &str, tool: &str) -> Option<(Lab, Netns)> {
    let mut tb = Testbed::new(label)?;
    let found = std::process::Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "{tool} is not installed (Debian: dnsmasq-base kea-dhcp4-server)"
    );
    let srv = tb.namespace("server").unwrap();
    let cli = tb.namespace("client").unwrap();
    tb.veth((&srv, "srv0"), (&cli, "cli0")).unwrap();
    tb.addr(&srv, "srv0", "192.0.2.1/24").unwrap();
    // Our client sets the MAC the server sees.
    tb.ip(
        &cli,
        &["link", "set", "cli0", "address", "02:00:00:00:44:01"],
    )
    .unwrap();
    Some((Lab { tb, cli }, srv))
}

fn client_socket(ns: &Netns) -> io::Result<UdpSocket> {
    ns.enter(|| -> io::Result<UdpSocket> {
        let s = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
        s.set_reuse_address(true)?;
        s.set_broadcast(true)?;
        s.bind_device(Some(b"cli0"))?;
        s.bind(&SocketAddr::from((Ipv4Addr::UNSPECIFIED, 68)).into())?;
        Ok(s.into())
    })?
}

/// Drives our client on a real socket until `until` returns true for the
/// events seen so far (or `limit` passes). Configures the bound address on
/// the interface so renewals go unicast.
fn drive(
    lab: &Lab,
    server: &Process,
    limit: StdDuration,
    until: impl Fn(&[(Instant, Dhcpv4ClientEvent)]) -> bool,
) -> Vec<(Instant, Dhcpv4ClientEvent)> {
    let sock = client_socket(&lab.cli).unwrap();
    let clock = StdClock::new();
    let mut c = Dhcpv4Client::new(
        Dhcpv4ClientConfig::new(MAC),
        SeededRng::from_u64(0x5eed),
        clock.now(),
    )
    .unwrap();
    let mut events = Vec::new();
    let end = std::time::Instant::now() + limit;
    let mut buf = [0u8; 1500];
    loop {
        while let Some(t) = c.poll_transmit(clock.now()) {
            let to = match t.destination {
                Dhcpv4ClientDestination::Broadcast => SocketAddrV4::new(Ipv4Addr::BROADCAST, 67),
                Dhcpv4ClientDestination::Unicast(a) => SocketAddrV4::new(a, 67),
            };
            sock.send_to(&t.payload, to).unwrap();
        }
        while let Some(e) = c.poll_event() {
            if let Dhcpv4ClientEvent::Bound(b) = &e {
                lab.tb
                    .ip(
                        &lab.cli,
                        &[
                            "addr",
                            "replace",
                            &format!("{}/24", b.address),
                            "dev",
                            "cli0",
                        ],
                    )
                    .unwrap();
            }
            events.push((clock.now(), e));
        }
        if until(&events) {
            return events;
        }
        assert!(
            std::time::Instant::now() < end,
            "timed out; events {events:?}\nserver output: {:?}",
            server.output()
        );
        let now = clock.now();
        let wait = c
            .poll_timeout()
            .map_or(Duration::from_millis(200), |t| {
                t.saturating_duration_since(now)
            })
            .clamp(Duration::from_millis(1), Duration::from_millis(200));
        sock.set_read_timeout(Some(wait)).unwrap();
        match sock.recv_from(&mut buf) {
            Ok((n, _)) => {
                let _ = c.handle_input(clock.now(), &buf[..n]);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(e) => panic!("recv: {e}"),
        }
        c.handle_timeout(clock.now());
    }
}

fn bound_then_renewed(
    events: &[(Instant, Dhcpv4ClientEvent)],
) -> (Instant, Dhcpv4Binding, Instant, Dhcpv4Binding) {
    let (t0, b) = events
        .iter()
        .find_map(|(t, e)| match e {
            Dhcpv4ClientEvent::Bound(b) => Some((*t, b.clone())),
            _ => None,
        })
        .expect("bound");
    let (t1, r) = events
        .iter()
        .find_map(|(t, e)| match e {
            Dhcpv4ClientEvent::Renewed(b) => Some((*t, b.clone())),
            _ => None,
        })
        .expect("renewed");
    (t0, b, t1, r)
}

fn renewed(ev: &[(Instant, Dhcpv4ClientEvent)]) -> bool {
    ev.iter()
        .any(|(_, e)| matches!(e, Dhcpv4ClientEvent::Renewed(_)))
}

fn check(events: &[(Instant, Dhcpv4ClientEvent)], dns: Ipv4Addr, domain: &str, t1_secs: u64) {
    let (t0, b, t1, r) = bound_then_renewed(events);
    eprintln!("bound at {t0:?}: {b:?}\nrenewed at {t1:?}");
    let a = b.address;
    assert!(
        a >= Ipv4Addr::new(192, 0, 2, 100) && a <= Ipv4Addr::new(192, 0, 2, 199),
        "{b:?}"
    );
    assert_eq!(b.mask, Some(Ipv4Addr::new(255, 255, 255, 0)));
    assert_eq!(b.router, vec![Ipv4Addr::new(192, 0, 2, 1)]);
    assert_eq!(b.dns, vec![dns]);
    assert_eq!(b.domain.as_deref(), Some(domain.as_bytes()));
    assert_eq!(b.mtu, Some(1400));
    assert_eq!(b.server, Ipv4Addr::new(192, 0, 2, 1));
    assert_eq!(r.address, a);
    // Renewed at T1 (counted from the REQUEST, a few ms before the bind),
    // answered within a second.
    let since = t1.saturating_duration_since(t0);
    assert!(
        since >= Duration::from_secs(t1_secs) - Duration::from_secs(1)
            && since <= Duration::from_secs(t1_secs + 1),
        "renewed {since:?} after binding, T1 is {t1_secs} s"
    );
}

#[test]
fn our_client_against_dnsmasq() {
    let Some((lab, srv)) = lab("dhcpv4-dnsmasq", "dnsmasq") else {
        return;
    };
    let dir = lab.tb.dir().to_path_buf();
    let leases = dir.join("dnsmasq.leases");
    let pid = dir.join("dnsmasq.pid");
    let server = lab
        .tb
        .spawn(
            &srv,
            &[
                "dnsmasq",
                "--no-daemon",
                "--conf-file=/dev/null",
                "--port=0",
                "--no-resolv",
                "--no-hosts",
                "--user=root",
                "--interface=srv0",
                "--bind-interfaces",
                "--dhcp-authoritative",
                "--no-ping",
                "--dhcp-range=192.0.2.100,192.0.2.199,255.255.255.0,2m",
                "--dhcp-option=option:router,192.0.2.1",
                "--dhcp-option=option:dns-server,192.0.2.53",
                "--dhcp-option=option:domain-name,dnsmasq.example",
                "--dhcp-option=option:mtu,1400",
                "--dhcp-option=option:T1,5",
                "--dhcp-option=option:T2,100",
                &format!("--dhcp-leasefile={}", leases.display()),
                &format!("--pid-file={}", pid.display()),
                "--log-dhcp",
            ],
        )
        .unwrap();
    std::thread::sleep(StdDuration::from_millis(500));
    let events = drive(&lab, &server, StdDuration::from_secs(30), renewed);
    check(&events, Ipv4Addr::new(192, 0, 2, 53), "dnsmasq.example", 5);
}

#[test]
fn our_client_against_kea() {
    let Some((lab, srv)) = lab("dhcpv4-kea", "kea-dhcp4") else {
        return;
    };
    let dir = lab.tb.dir().to_path_buf();
    let conf = dir.join("kea-dhcp4.json");
    std::fs::write(
        &conf,
        format!(
            r#"{{ "Dhcp4": {{
  "interfaces-config": {{ "interfaces": [ "srv0" ], "dhcp-socket-type": "raw" }},
  "lease-database": {{ "type": "memfile", "persist": true, "name": "{}", "lfc-interval": 0 }},
  "valid-lifetime": 60, "renew-timer": 5, "rebind-timer": 40,
  "authoritative": true,
  "subnet4": [ {{
    "id": 1, "subnet": "192.0.2.0/24",
    "pools": [ {{ "pool": "192.0.2.100 - 192.0.2.199" }} ],
    "option-data": [
      {{ "name": "routers", "data": "192.0.2.1" }},
      {{ "name": "domain-name-servers", "data": "192.0.2.54" }},
      {{ "name": "domain-name", "data": "kea.example" }},
      {{ "name": "interface-mtu", "data": "1400" }}
    ]
  }} ],
  "loggers": [ {{ "name": "kea-dhcp4", "severity": "INFO", "output_options": [ {{ "output": "stdout" }} ] }} ]
}} }}"#,
            dir.join("kea-leases4.csv").display()
        ),
    )
    .unwrap();
    let d = dir.display().to_string();
    let server = lab
        .tb
        .spawn(
            &srv,
            &[
                "env",
                &format!("KEA_PIDFILE_DIR={d}"),
                &format!("KEA_LOCKFILE_DIR={d}"),
                "kea-dhcp4",
                "-c",
                conf.to_str().unwrap(),
            ],
        )
        .unwrap();
    std::thread::sleep(StdDuration::from_secs(1));
    let events = drive(&lab, &server, StdDuration::from_secs(30), renewed);
    check(&events, Ipv4Addr::new(192, 0, 2, 54), "kea.example", 5);
}
