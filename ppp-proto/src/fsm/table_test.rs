//! The cells of the RFC 1661 state table that tests/fsm_table.rs does not
//! check end to end, from an independent transcription of RFC 1661 §4.1
//! (`tests/data/rfc1661-state-table.txt`), on an automaton forced into
//! each state; and what the table alone does not say.

use super::*;
use crate::PppDropped;
use crate::wire::cp::{ConfigOption, CpPacket};
use crate::wire::lcp::LcpOption;
use alloc::string::String;
use alloc::vec;
use sansio_primitives::Duration;

include!("../../tests/common/rfc1661_table.rs");

/// The automaton forced into `state` with request Identifier 5 outstanding.
fn machine(state: State, restart_count: u8) -> Fsm<TestPolicy> {
    let mut f = Fsm::new(TestPolicy, Timers::default());
    f.state = state;
    f.restart_count = restart_count;
    f.id = 5;
    f.req_id = 5;
    f.acked = false;
    f.deadline = timer_runs(state).then_some(Instant::from_secs(1));
    f
}

fn fire(f: &mut Fsm<TestPolicy>, event: &str, sink: &mut Recorder) {
    let now = Instant::from_secs(1);
    let mut rng = SeededRng::from_u64(1);
    let pkt: &[u8] = match event {
        "Up" => return f.up(now, &mut rng, sink),
        "Down" => return f.down(sink),
        "Open" => return f.open(now, &mut rng, sink),
        "Close" => return f.close(now, sink),
        "TO+" | "TO-" => return f.handle_timeout(now, &mut rng, sink),
        "RCR+" => &[1, 9, 0, 8, 1, 4, 0x05, 0xdc],
        "RCR-" => &[1, 9, 0, 8, 1, 4, 0x03, 0xe8],
        "RCA" => &[2, 5, 0, 8, 1, 4, 0x05, 0xdc],
        "RCN" => &[3, 5, 0, 8, 1, 4, 0x05, 0xd4],
        "RTR" => &[5, 9, 0, 4],
        "RTA" => &[6, 9, 0, 4],
        "RUC" => &[0x20, 9, 0, 4],
        "RXJ+" => &[7, 9, 0, 8, 0x20, 1, 0, 4],
        "RXJ-" => &[7, 9, 0, 8, 1, 1, 0, 4],
        "RXR" => &[9, 9, 0, 8, 0, 0, 0, 0],
        other => panic!("unknown event {other}"),
    };
    let r = f.handle_packet(now, pkt, &mut rng, sink);
    if matches!(f.state, State::Initial | State::Starting) {
        assert!(
            r.is_err(),
            "{event}: packets are dropped before the lower layer is up"
        );
    }
}

/// The RFC's table, transcribed from RFC 1661 §4.1 independently of
/// `states.txt`: `table[event][state]`.
fn table() -> Vec<Vec<String>> {
    parse_table(include_str!("../../tests/data/rfc1661-state-table.txt"))
}

/// The cells tests/fsm_table.rs does not check end to end: those without
/// an action, and the crossed-connection ones for a request not yet
/// acknowledged (a state only forcing reaches).
#[test]
fn every_cell_of_the_rfc1661_state_table_not_checked_end_to_end() {
    let table = table();
    let mut cells = 0;
    for (e, event) in EVENTS.iter().enumerate() {
        for (s, &state) in STATES.iter().enumerate() {
            let (want_actions, want_next) = parse_cell(&table[e][s], s);
            if checked_end_to_end(&want_actions) && !CROSSED.contains(&(*event, state)) {
                continue;
            }
            let restart = if *event == "TO-" { 0 } else { 1 };
            let mut f = machine(state, restart);
            let mut sink = Recorder::default();
            fire(&mut f, event, &mut sink);
            let ctx = alloc::format!("{event} in {state:?} (cell {:?})", table[e][s]);
            assert_eq!(sink.actions, want_actions, "{ctx}");
            assert_eq!(f.state, STATES[want_next], "{ctx}");
            // Every send action sent exactly one packet of the right code.
            let sends: Vec<u8> = sink
                .actions
                .iter()
                .filter_map(|a| match a {
                    Action::Scr => Some(1),
                    Action::Sca => Some(2),
                    Action::Scn => Some(3),
                    Action::Str => Some(5),
                    Action::Sta => Some(6),
                    Action::Scj => Some(7),
                    Action::Ser => Some(10),
                    _ => None,
                })
                .collect();
            let codes: Vec<u8> = sink.sent.iter().map(|p| p[0]).collect();
            assert_eq!(codes, sends, "{ctx}");
            // The restart timer runs exactly in states 4..=8.
            assert_eq!(f.deadline.is_some(), timer_runs(f.state), "{ctx}");
            cells += 1;
        }
    }
    // 160 cells: 88 without an action, 4 crossed ones (72 end to end).
    assert_eq!(cells, 92);
}

/// The table in the docs (`states.txt`, which the code was written from)
/// says what the RFC says, cell for cell.
#[test]
fn states_txt_is_the_rfc_table() {
    assert_eq!(parse_table(include_str!("../states.txt")), table());
}

#[test]
fn restart_counter_and_identifiers() {
    let mut f = Fsm::new(TestPolicy, Timers::default());
    let mut rng = SeededRng::from_u64(1);
    let mut sink = Recorder::default();
    let t0 = Instant::ZERO;
    f.up(t0, &mut rng, &mut sink);
    f.open(t0, &mut rng, &mut sink);
    assert_eq!(f.state(), State::ReqSent);
    // Early and repeated timeouts do nothing.
    f.handle_timeout(t0 + Duration::from_millis(2999), &mut rng, &mut sink);
    assert_eq!(sink.sent.len(), 1);
    // Max-Configure 10 requests at 0, 3, ..., 27 s, all with Identifier 1;
    // TO- at 30 s.
    for k in 1..10u64 {
        let t = Instant::from_secs(3 * k);
        assert_eq!(f.poll_timeout(), Some(t));
        f.handle_timeout(t, &mut rng, &mut sink);
        f.handle_timeout(t, &mut rng, &mut sink);
    }
    assert_eq!(sink.sent.len(), 10);
    assert!(sink.sent.iter().all(|p| p[0] == 1 && p[1] == 1));
    f.handle_timeout(Instant::from_secs(30), &mut rng, &mut sink);
    assert_eq!(f.state(), State::Stopped);
    assert_eq!(sink.actions.last(), Some(&Action::Tlf));
    assert_eq!(f.poll_timeout(), None);
}

#[test]
fn replies_must_match_the_outstanding_request() {
    let mut f = machine(State::ReqSent, 10);
    let mut rng = SeededRng::from_u64(1);
    let mut sink = Recorder::default();
    let now = Instant::from_secs(1);
    // Wrong Identifier.
    assert_eq!(
        f.handle_packet(now, &[2, 4, 0, 8, 1, 4, 5, 0xdc], &mut rng, &mut sink),
        Err(PppDropped::BadIdentifier {
            what: "Configure-Ack"
        })
    );
    // Right Identifier, other options.
    assert_eq!(
        f.handle_packet(now, &[2, 5, 0, 8, 1, 4, 5, 0xd4], &mut rng, &mut sink),
        Err(PppDropped::MismatchedOptions {
            what: "Configure-Ack"
        })
    );
    // Reject of an option we did not send.
    assert_eq!(
        f.handle_packet(now, &[4, 5, 0, 6, 7, 2], &mut rng, &mut sink),
        Err(PppDropped::MismatchedOptions {
            what: "Configure-Reject"
        })
    );
    assert_eq!(f.state(), State::ReqSent);
    assert!(sink.sent.is_empty());
    // The real Ack, then its duplicate.
    f.handle_packet(now, &[2, 5, 0, 8, 1, 4, 5, 0xdc], &mut rng, &mut sink)
        .unwrap();
    assert_eq!(f.state(), State::AckRcvd);
    assert!(
        f.handle_packet(now, &[2, 5, 0, 8, 1, 4, 5, 0xdc], &mut rng, &mut sink)
            .is_err()
    );
    assert_eq!(f.state(), State::AckRcvd);
}

#[test]
fn reject_beats_nak_beats_ack_and_max_failure_turns_naks_into_rejects() {
    let mut f = machine(State::ReqSent, 10);
    let mut rng = SeededRng::from_u64(1);
    let now = Instant::from_secs(1);
    // MRU 1000 (Nak) + PFC (Reject): only the Reject, with only PFC.
    let mut sink = Recorder::default();
    f.handle_packet(
        now,
        &[1, 7, 0, 10, 1, 4, 3, 0xe8, 7, 2],
        &mut rng,
        &mut sink,
    )
    .unwrap();
    assert_eq!(sink.sent, [vec![4, 7, 0, 6, 7, 2]]);
    // MRU 1000 alone: a Nak suggesting 1500, Max-Failure (5) times…
    for i in 0..5u8 {
        let mut sink = Recorder::default();
        f.handle_packet(now, &[1, i, 0, 8, 1, 4, 3, 0xe8], &mut rng, &mut sink)
            .unwrap();
        assert_eq!(sink.sent, [vec![3, i, 0, 8, 1, 4, 5, 0xdc]]);
    }
    // …then a Reject.
    let mut sink = Recorder::default();
    f.handle_packet(now, &[1, 9, 0, 8, 1, 4, 3, 0xe8], &mut rng, &mut sink)
        .unwrap();
    assert_eq!(sink.sent, [vec![4, 9, 0, 8, 1, 4, 3, 0xe8]]);
}
