//! The bng's start-up against a real FreeRADIUS: the Accounting-On is the
//! first thing the server records (before any session's Start), and no
//! session is accepted — no PADO — until it is answered (as accel-ppp
//! does). A server that closes a NAS's sessions on Accounting-On would
//! otherwise close sessions just set up.

mod bng_support;
mod common;

use std::time::{Duration, Instant};

use bng_support::radiusd::{self, Radiusd, records};
use bng_support::{Bed, config_text, dial_up};
use common::dialer::Seen;
use pppoe_link::ClientLinkEvent;
use pppoe_proto::PppoeClientEvent;

const USERS: &str = r#"
carol	Cleartext-Password := "s3cret"
	Framed-IP-Address = 198.51.100.15,
	Message-Authenticator = 0x00
"#;

/// The index of the first record of `status` in the detail file.
fn first(detail: &str, status: &str) -> Option<usize> {
    records(detail)
        .iter()
        .position(|r| r.contains(&format!("Acct-Status-Type = {status}")))
}

fn session_up(s: &Seen) -> bool {
    matches!(
        s,
        Seen::Link(ClientLinkEvent::Pppoe(PppoeClientEvent::SessionUp { .. }))
    )
}

#[test]
fn accounting_on_is_recorded_before_the_first_start() {
    if !radiusd::available("accounting_on_is_recorded_before_the_first_start") {
        return;
    }
    // A long timeout: an Accounting-On lost at start-up would be sent again
    // only after 3 s, well after the first session's Start.
    let sections = radiusd::bng_sections().replace("timeout_ms = 1000", "timeout_ms = 3000");
    let Some((bed, radius)) = Bed::start_prepared(
        "bng-acct-on",
        |dir| config_text(dir, false, &sections),
        |tb, isp| Radiusd::start(tb, isp, USERS),
    ) else {
        return;
    };
    let mut d = bed.dialer(b"carol", b"s3cret", 7);
    let addr = dial_up(&mut d, || format!("{}\n{}", bed.log(), radius.log()));
    assert_eq!(addr.to_string(), "198.51.100.15");
    let detail = radius
        .wait_detail(Duration::from_secs(10), |d| first(d, "Start").is_some())
        .unwrap_or_else(|| panic!("no Start:\n{}\n{}", radius.detail(), bed.log()));
    let on = first(&detail, "Accounting-On");
    let start = first(&detail, "Start");
    assert!(
        on.is_some() && on < start,
        "Accounting-On not before the first Start:\n{detail}\n{}",
        bed.log()
    );
    assert!(!bed.log().contains("RADIUS send failed"), "{}", bed.log());
}

#[test]
fn no_pado_before_accounting_on_is_answered() {
    if !radiusd::available("no_pado_before_accounting_on_is_answered") {
        return;
    }
    // The server is down at start-up; the bng retries the Accounting-On
    // every second for 15 s.
    let sections = radiusd::bng_sections().replace("retries = 2", "retries = 15");
    let Some(mut bed) = Bed::start("bng-acct-on-wait", false, &sections) else {
        return;
    };
    let started = Instant::now();
    let mut d = bed.dialer(b"carol", b"s3cret", 8);
    let up = d.run_until(Duration::from_secs(3), session_up);
    assert!(
        !up,
        "a session before Accounting-On was answered:\n{}",
        bed.log()
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    drop(d);

    // The server comes up: a retransmitted Accounting-On is answered, then
    // sessions are accepted.
    let radius = Radiusd::start(&bed.tb, &bed.isp, USERS);
    bed.wait_log("Accounting-On answered", Duration::from_secs(5));
    let mut d = bed.dialer(b"carol", b"s3cret", 9);
    dial_up(&mut d, || format!("{}\n{}", bed.log(), radius.log()));
    let detail = radius
        .wait_detail(Duration::from_secs(10), |d| first(d, "Start").is_some())
        .unwrap_or_else(|| panic!("no Start:\n{}\n{}", radius.detail(), bed.log()));
    let (on, start) = (first(&detail, "Accounting-On"), first(&detail, "Start"));
    assert!(on.is_some() && on < start, "{detail}");
}
