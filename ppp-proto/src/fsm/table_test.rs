//! Every cell of the RFC 1661 state table, from an independent transcription
//! of RFC 1661 §4.1 (`tests/data/rfc1661-state-table.txt`).

use super::*;
use crate::PppDropped;
use crate::wire::cp::{ConfigOption, CpPacket};
use crate::wire::lcp::LcpOption;
use alloc::string::String;
use alloc::vec;
use sansio_primitives::Duration;

/// A one-option policy: we request MRU 1500; the peer's MRU 1500 is
/// acceptable, any other MRU is Nak'd to 1500, other options rejected.
#[derive(Debug, Default)]
struct TestPolicy;

impl Policy for TestPolicy {
    type Opt<'a> = LcpOption<'a>;
    const PROTOCOL: u16 = 0xc021;
    const EXTENDED_CODES: bool = true;

    fn reset(&mut self, _rng: &mut SeededRng) {}
    fn write_request(&self, out: &mut Vec<u8>) {
        LcpOption::Mru(1500).put(out);
    }
    fn peer_option(
        &mut self,
        opt: &LcpOption<'_>,
        _: &mut SeededRng,
    ) -> Verdict<LcpOption<'static>> {
        match opt {
            LcpOption::Mru(1500) => Verdict::Ack,
            LcpOption::Mru(_) => Verdict::Nak(LcpOption::Mru(1500)),
            _ => Verdict::Reject,
        }
    }
    fn nak_received(&mut self, _: &LcpOption<'_>, _: &mut SeededRng) {}
    fn reject_received(&mut self, _: &LcpOption<'_>) {}
    fn rxr(&mut self, _: &CpPacket<'_>) -> Option<Vec<u8>> {
        Some(vec![10, 0, 0, 8, 0, 0, 0, 0])
    }
}

#[derive(Default)]
struct Recorder {
    actions: Vec<Action>,
    sent: Vec<Vec<u8>>,
}

impl Sink for Recorder {
    fn send(&mut self, _p: u16, packet: Vec<u8>) {
        self.sent.push(packet);
    }
    fn action(&mut self, _p: u16, a: Action) {
        self.actions.push(a);
    }
}

const STATES: [State; 10] = [
    State::Initial,
    State::Starting,
    State::Closed,
    State::Stopped,
    State::Closing,
    State::Stopping,
    State::ReqSent,
    State::AckRcvd,
    State::AckSent,
    State::Opened,
];

const EVENTS: [&str; 16] = [
    "Up", "Down", "Open", "Close", "TO+", "TO-", "RCR+", "RCR-", "RCA", "RCN", "RTR", "RTA", "RUC",
    "RXJ+", "RXJ-", "RXR",
];

fn timer_runs(s: State) -> bool {
    matches!(
        s,
        State::Closing | State::Stopping | State::ReqSent | State::AckRcvd | State::AckSent
    )
}

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

/// (actions, next state) of one cell such as `irc,scr/6`, `tlf/3p` or `2`.
fn parse_cell(cell: &str, current: usize) -> (Vec<Action>, usize) {
    if cell == "-" {
        return (Vec::new(), current);
    }
    let (acts, next) = match cell.split_once('/') {
        Some((a, n)) => (a, n),
        None => ("", cell),
    };
    let next: String = next.chars().filter(char::is_ascii_digit).collect();
    let actions = acts
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|a| match a {
            "tlu" => Action::Tlu,
            "tld" => Action::Tld,
            "tls" => Action::Tls,
            "tlf" => Action::Tlf,
            "irc" => Action::Irc,
            "zrc" => Action::Zrc,
            "scr" => Action::Scr,
            "sca" => Action::Sca,
            "scn" => Action::Scn,
            "str" => Action::Str,
            "sta" => Action::Sta,
            "scj" => Action::Scj,
            "ser" => Action::Ser,
            other => panic!("unknown action {other}"),
        })
        .collect();
    (actions, next.parse().unwrap())
}

/// The RFC's table, transcribed from RFC 1661 §4.1 independently of
/// `states.txt`: `table[event][state]`.
fn table() -> Vec<Vec<String>> {
    parse_table(include_str!("../../tests/data/rfc1661-state-table.txt"))
}

/// `table[event][state]` of a table printed as in RFC 1661 §4.1.
fn parse_table(text: &str) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = vec![Vec::new(); EVENTS.len()];
    for line in text.lines() {
        let Some((ev, cells)) = line.split_once('|') else {
            continue;
        };
        let ev = ev.trim();
        if let Some(i) = EVENTS.iter().position(|e| *e == ev) {
            rows[i].extend(cells.split_whitespace().map(String::from));
        }
    }
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r.len(), 10, "row {} of states.txt", EVENTS[i]);
    }
    rows
}

#[test]
fn every_cell_of_the_rfc1661_state_table() {
    let table = table();
    let mut cells = 0;
    for (e, event) in EVENTS.iter().enumerate() {
        for (s, &state) in STATES.iter().enumerate() {
            let (want_actions, want_next) = parse_cell(&table[e][s], s);
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
    assert_eq!(cells, 160);
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
