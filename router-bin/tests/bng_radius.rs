//! The `bng` binary against a real FreeRADIUS (Debian `freeradius`, run by
//! the test inside the bng's namespace) and `radclient`: the Access-Accept's
//! Framed-IP-Address and speed limits are used, accounting Start /
//! Interim-Update / Stop land in the detail file with growing octet
//! counters, and a Disconnect-Request ends the session (then, with no
//! session left, is NAKed).

mod bng_support;
mod common;

use std::time::Duration;

use bng_support::radiusd::{self, Radiusd, SECRET, records, value};
use bng_support::{Bed, NET, dial_up, inject_lcp_configure_request, ping, radclient};
use common::dialer::{Seen, ppp};
use ppp_proto::PppEvent;
use pppoe_link::ClientLinkEvent;
use pppoe_proto::PppoeClientEvent;

const USERS: &str = r#"
carol	Cleartext-Password := "s3cret"
	Framed-IP-Address = 198.51.100.15,
	RP-Upstream-Speed-Limit = 2048,
	RP-Downstream-Speed-Limit = 4096,
	Class = "plan-a",
	Message-Authenticator = 0x00

DEFAULT	Auth-Type := Reject
	Reply-Message = "denied",
	Message-Authenticator = 0x00
"#;

#[test]
fn radius_auth_accounting_and_disconnect() {
    if !radiusd::available("radius_auth_accounting_and_disconnect") {
        return;
    }
    let Some(mut bed) = Bed::start("bng-radius", false, &radiusd::bng_sections()) else {
        return;
    };
    let radius = Radiusd::start(&bed.tb, &bed.isp, USERS);

    // A wrong password: Access-Reject.
    let mut d = bed.dialer(b"carol", b"wrong", 4);
    let failed = d.run_until(Duration::from_secs(15), |s| {
        ppp(s, |e| matches!(e, PppEvent::AuthFailed { .. }))
    });
    assert!(failed, "{:?}\n{}\n{}", d.log, bed.log(), radius.log());
    let down = d.run_until(Duration::from_secs(10), |s| {
        matches!(
            s,
            Seen::Link(ClientLinkEvent::Pppoe(PppoeClientEvent::SessionDown { .. }))
        )
    });
    assert!(down, "{:?}", d.log);
    drop(d);

    // CHAP accepted; the address is RADIUS's Framed-IP-Address.
    let mut d = bed.dialer(b"carol", b"s3cret", 5);
    let addr = dial_up(&mut d, || format!("{}\n{}", bed.log(), radius.log()));
    let up_at = std::time::Instant::now();
    assert_eq!(addr.to_string(), "198.51.100.15");
    for i in 0..5 {
        assert!(ping(&mut d, addr, NET, i * 10, 5), "{}", bed.log());
    }
    let table = bed.ctl("sessions");
    assert!(
        table.contains("carol") && table.contains("2048/4096"),
        "{table}"
    );

    // Start, then an Interim-Update (every 2 s: the config's
    // interim_interval; RADIUS may not ask for less than 60 s) with the
    // octets so far.
    let detail = radius
        .wait_detail(Duration::from_secs(10), |d| {
            records(d).iter().any(|r| {
                r.contains("Interim-Update")
                    && value(r, "Acct-Input-Octets").is_some_and(|o| o >= 5 * 55)
            })
        })
        .unwrap_or_else(|| {
            panic!(
                "no Interim-Update with octets:\n{}\n{}",
                radius.detail(),
                bed.log()
            )
        });
    let recs = records(&detail);
    let start = recs
        .iter()
        .find(|r| r.contains("Acct-Status-Type = Start"))
        .unwrap_or_else(|| panic!("no Start:\n{detail}"));
    assert!(start.contains("User-Name = \"carol\""), "{start}");
    assert!(
        start.contains("Framed-IP-Address = 198.51.100.15"),
        "{start}"
    );
    assert!(start.contains("NAS-Identifier = \"test-bng\""), "{start}");
    assert!(start.contains("Class = 0x706c616e2d61"), "{start}");
    let session_id = start
        .lines()
        .find_map(|l| l.trim().strip_prefix("Acct-Session-Id = "))
        .unwrap()
        .trim_matches('"')
        .to_owned();

    // The peer renegotiates LCP, so authenticates again: the same address,
    // no second Access-Request nor accounting Start, and the session time
    // goes on.
    std::thread::sleep(Duration::from_secs(3).saturating_sub(up_at.elapsed()));
    let up_before = up_at.elapsed().as_secs();
    let mac = bed
        .client
        .enter(|| router_bin::afpacket::PacketSocket::open("wan0", 0x8864))
        .unwrap()
        .unwrap()
        .mac();
    inject_lcp_configure_request(&bed, &d, mac);
    let again = d.run_until(Duration::from_secs(15), |s| {
        ppp(s, |e| matches!(e, PppEvent::Ipv4Up { .. }))
    });
    assert!(again, "IPCP not up again: {:?}\n{}", d.log, bed.log());
    let ups: Vec<_> = d
        .ppp_events()
        .filter_map(|e| match e {
            PppEvent::Ipv4Up { local, .. } => Some(*local),
            _ => None,
        })
        .collect();
    assert_eq!(ups, [addr, addr], "{}", bed.log());
    assert!(ping(&mut d, addr, NET, 100, 5), "{}", bed.log());
    let access_requests = radius.log().matches("Received Access-Request").count();
    assert_eq!(access_requests, 2, "{}", radius.log());

    // CoA-Request: new speed limits for the session.
    let out = radclient(
        &bed,
        "coa",
        "Framed-IP-Address = 198.51.100.15\nRP-Downstream-Speed-Limit = 1000\n",
    );
    assert!(out.contains("CoA-ACK"), "{out}\n{}", bed.log());
    let table = bed.ctl("sessions");
    assert!(table.contains("2048/1000"), "{table}");
    let out = radclient(
        &bed,
        "coa",
        "User-Name = \"nobody\"\nRP-Downstream-Speed-Limit = 1\n",
    );
    assert!(out.contains("CoA-NAK"), "{out}");
    // An attribute the bng does not act on: refused whole (RFC 5176
    // §3.6, Error-Cause 401), the limits stay.
    let out = radclient(
        &bed,
        "coa",
        "Framed-IP-Address = 198.51.100.15\nRP-Downstream-Speed-Limit = 500\n\
         Session-Timeout = 60\n",
    );
    assert!(out.contains("CoA-NAK"), "{out}");
    assert!(out.contains("Unsupported-Attribute"), "{out}");
    let table = bed.ctl("sessions");
    assert!(table.contains("2048/1000"), "{table}");

    // Disconnect-Request by User-Name and Acct-Session-Id: ACK, then the
    // client sees Terminate-Request and PADT.
    let out = radclient(
        &bed,
        "disconnect",
        &format!("User-Name = \"carol\"\nAcct-Session-Id = \"{session_id}\"\n"),
    );
    assert!(out.contains("Disconnect-ACK"), "{out}\n{}", bed.log());
    let padt = d.run_until(Duration::from_secs(10), |s| {
        matches!(
            s,
            Seen::Link(ClientLinkEvent::Pppoe(PppoeClientEvent::SessionDown { .. }))
        )
    });
    assert!(padt, "{:?}\n{}", d.log, bed.log());
    assert!(
        d.log
            .iter()
            .any(|s| matches!(s, Seen::Control(true, 0xc021, 5)))
    );

    // Stop with the final counters and Admin-Reset.
    let detail = radius
        .wait_detail(Duration::from_secs(10), |d| {
            d.contains("Acct-Status-Type = Stop")
        })
        .unwrap_or_else(|| panic!("no Stop:\n{}\n{}", radius.detail(), bed.log()));
    let stop = records(&detail)
        .into_iter()
        .find(|r| r.contains("Acct-Status-Type = Stop"))
        .unwrap();
    assert!(
        stop.contains("Acct-Terminate-Cause = Admin-Reset"),
        "{stop}"
    );
    assert!(
        value(stop, "Acct-Input-Octets").unwrap() >= 5 * 55,
        "{stop}"
    );
    assert!(
        value(stop, "Acct-Output-Octets").unwrap() >= 5 * 55,
        "{stop}"
    );
    assert!(value(stop, "Acct-Input-Packets").unwrap() >= 5, "{stop}");
    assert!(value(stop, "Acct-Input-Gigawords") == Some(0), "{stop}");
    assert!(
        value(stop, "Acct-Session-Time").unwrap() >= up_before,
        "the session time restarted with IPCP: {stop}"
    );
    let starts = records(&detail)
        .into_iter()
        .filter(|r| r.contains("Acct-Status-Type = Start"))
        .count();
    assert_eq!(starts, 1, "{detail}");

    // No session left: NAK, Session-Context-Not-Found.
    let out = radclient(&bed, "disconnect", "User-Name = \"carol\"\n");
    assert!(out.contains("Disconnect-NAK"), "{out}");
    assert!(out.contains("Session-Context-Not-Found"), "{out}");
    assert!(bed.ctl("sessions").contains("0 session(s)"));
    assert!(radius.detail().contains("Acct-Status-Type = Accounting-On"));

    // SIGTERM: Accounting-Off, exit 0.
    bed.bng.signal(nix::sys::signal::Signal::SIGTERM).unwrap();
    let status = bed.bng.wait_timeout(Duration::from_secs(5)).unwrap();
    assert!(status.is_some_and(|s| s.success()), "{}", bed.log());
    assert!(
        radius
            .detail()
            .contains("Acct-Status-Type = Accounting-Off"),
        "{}",
        radius.detail()
    );
}

#[test]
fn radius_failover_from_a_dead_server() {
    if !radiusd::available("radius_failover_from_a_dead_server") {
        return;
    }
    // Nothing listens on 1912/1913: requests sent there fail over.
    let sections = radiusd::bng_sections()
        .replace("timeout_ms = 1000\nretries = 2", "timeout_ms = 500\nretries = 1")
        .replace(
            "[[radius.servers]]",
            &format!(
                "[[radius.servers]]\nauth = \"127.0.0.1:1912\"\nacct = \"127.0.0.1:1913\"\nsecret = \"{SECRET}\"\n[[radius.servers]]"
            ),
        );
    let Some(bed) = Bed::start("bng-failover", false, &sections) else {
        return;
    };
    let radius = Radiusd::start(&bed.tb, &bed.isp, USERS);
    for seed in 0..2 {
        let mut d = bed.dialer(b"carol", b"s3cret", 20 + seed);
        let addr = dial_up(&mut d, || format!("{}\n{}", bed.log(), radius.log()));
        assert_eq!(addr.to_string(), "198.51.100.15");
        d.hang_up();
        let down = d.run_until(Duration::from_secs(10), |s| {
            matches!(
                s,
                Seen::Link(ClientLinkEvent::Pppoe(PppoeClientEvent::SessionDown { .. }))
            )
        });
        assert!(down, "{:?}", d.log);
    }
    assert!(bed.log().contains("marked dead"), "{}", bed.log());
}
