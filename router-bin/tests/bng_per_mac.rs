//! The `bng` binary's per-MAC session limit, against our ClientLink dialer
//! over a veth pair: a CPE that crashed (no PADT, no LCP Terminate) and
//! dials again from the same MAC replaces its old session at once, with
//! RADIUS accounting Stop cause Port-Preempted; with
//! `max_sessions_per_mac = 2` two sessions of one MAC coexist; with
//! `at_mac_limit = "refuse"` the second is refused.

mod bng_support;
mod common;

use std::time::{Duration, Instant};

use bng_support::radiusd::{self, Radiusd, records};
use bng_support::{Bed, NET, config_text, dial_up, ping};
use common::dialer::{Dialer, Seen};
use pppoe_link::ClientLinkEvent;
use pppoe_proto::PppoeClientEvent;

/// The PPPoE session id the dialer got.
fn session_id(d: &Dialer) -> u16 {
    d.log
        .iter()
        .find_map(|s| match s {
            Seen::Link(ClientLinkEvent::Pppoe(PppoeClientEvent::SessionUp {
                session_id, ..
            })) => Some(*session_id),
            _ => None,
        })
        .expect("a PPPoE session")
}

/// The bng with the default config plus top-level `keys`.
fn start(label: &str, keys: &str) -> Option<Bed> {
    let keys = keys.to_string();
    Bed::start_text(label, move |dir| {
        format!("{keys}\n{}", config_text(dir, true, ""))
    })
}

fn saw_session_down(d: &Dialer) -> bool {
    d.log.iter().any(|s| {
        matches!(
            s,
            Seen::Link(ClientLinkEvent::Pppoe(PppoeClientEvent::SessionDown { .. }))
        )
    })
}

#[test]
fn a_cpe_that_crashed_dials_again_and_replaces_its_session() {
    let Some(bed) = start("bng-mac-replace", "") else {
        return;
    };
    let mut d = bed.dialer(b"alice", b"wonderland", 1);
    dial_up(&mut d, || bed.log());
    let old = session_id(&d);
    // The CPE crashes: its socket goes, no PADT, no Terminate-Request.
    drop(d);
    let t = Instant::now();
    let mut d = bed.dialer(b"alice", b"wonderland", 2);
    let addr = dial_up(&mut d, || bed.log());
    let took = t.elapsed();
    eprintln!("redial after a crash: IPCP up in {took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}\n{}", bed.log());
    let new = session_id(&d);
    assert_ne!(new, old);
    assert!(ping(&mut d, addr, NET, 1, 5), "{}", bed.log());
    // The PADT for the old session did not end the new one.
    assert!(!saw_session_down(&d), "{:?}", d.log);
    let table = bed.ctl("sessions");
    assert!(table.contains("1 session(s)"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.split_whitespace().nth(2) == Some(&new.to_string())),
        "{table}"
    );
    assert!(
        bed.log()
            .contains("session down (replaced by a new session from the same MAC)"),
        "{}",
        bed.log()
    );
}

#[test]
fn with_the_limit_raised_two_sessions_of_one_mac_coexist() {
    let Some(bed) = start("bng-mac-two", "max_sessions_per_mac = 2") else {
        return;
    };
    let mut a = bed.dialer(b"alice", b"wonderland", 3);
    let addr_a = dial_up(&mut a, || bed.log());
    let mut b = bed.dialer(b"bob", b"builder", 4);
    let addr_b = dial_up(&mut b, || bed.log());
    assert_ne!(session_id(&a), session_id(&b));
    assert!(ping(&mut a, addr_a, NET, 1, 5), "{}", bed.log());
    assert!(ping(&mut b, addr_b, NET, 10, 5), "{}", bed.log());
    let table = bed.ctl("sessions");
    assert!(table.contains("2 session(s)"), "{table}");
    assert!(!saw_session_down(&a), "{:?}", a.log);
}

#[test]
fn with_refuse_the_second_session_of_a_mac_is_refused() {
    let Some(mut bed) = start("bng-mac-refuse", "at_mac_limit = \"refuse\"") else {
        return;
    };
    let mut a = bed.dialer(b"alice", b"wonderland", 5);
    dial_up(&mut a, || bed.log());
    let mut b = bed.dialer(b"alice", b"wonderland", 6);
    let failed = b.run_until(Duration::from_secs(3), |s| {
        matches!(
            s,
            Seen::Link(ClientLinkEvent::Pppoe(
                PppoeClientEvent::DiscoveryFailed { .. }
            ))
        )
    });
    assert!(failed, "{:?}\n{}", b.log, bed.log());
    bed.wait_log("PADR refused: MaxSessionsPerMac", Duration::from_secs(5));
    assert!(bed.ctl("sessions").contains("1 session(s)"));
}

const USERS: &str = r#"
carol	Cleartext-Password := "s3cret"
	Framed-IP-Address = 198.51.100.15,
	Message-Authenticator = 0x00

DEFAULT	Auth-Type := Reject
	Reply-Message = "denied",
	Message-Authenticator = 0x00
"#;

#[test]
fn a_replaced_session_is_stopped_as_port_preempted() {
    if !radiusd::available("a_replaced_session_is_stopped_as_port_preempted") {
        return;
    }
    let Some(bed) = Bed::start("bng-mac-radius", false, &radiusd::bng_sections()) else {
        return;
    };
    let radius = Radiusd::start(&bed.tb, &bed.isp, USERS);
    let mut d = bed.dialer(b"carol", b"s3cret", 7);
    dial_up(&mut d, || format!("{}\n{}", bed.log(), radius.log()));
    radius
        .wait_detail(Duration::from_secs(10), |d| {
            d.contains("Acct-Status-Type = Start")
        })
        .unwrap_or_else(|| panic!("no Start:\n{}\n{}", radius.detail(), bed.log()));
    drop(d);
    // The same RADIUS address again: the old session must be gone first.
    let mut d = bed.dialer(b"carol", b"s3cret", 8);
    let addr = dial_up(&mut d, || format!("{}\n{}", bed.log(), radius.log()));
    assert_eq!(addr.to_string(), "198.51.100.15");
    let detail = radius
        .wait_detail(Duration::from_secs(10), |d| {
            records(d)
                .iter()
                .filter(|r| r.contains("Acct-Status-Type = Start"))
                .count()
                == 2
                && d.contains("Acct-Status-Type = Stop")
        })
        .unwrap_or_else(|| panic!("no Stop and 2 Starts:\n{}\n{}", radius.detail(), bed.log()));
    let stop = records(&detail)
        .into_iter()
        .find(|r| r.contains("Acct-Status-Type = Stop"))
        .unwrap();
    assert!(
        stop.contains("Acct-Terminate-Cause = Port-Preempted"),
        "{stop}"
    );
}
