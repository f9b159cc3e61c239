//! End to end through the public automaton ([`ppp_proto::fsm::Fsm`]): for
//! every cell of RFC 1661 §4.1 that has an action, the automaton is brought
//! into the cell's state by real events and packets only (no field is
//! forced), the event is fired, and the packets sent (code and Identifier),
//! the layer events (This-Layer-Up/Down/Started/Finished) and the next state
//! are checked against the RFC's table, transcribed in
//! `tests/data/rfc1661-state-table.txt`.

use ppp_proto::fsm::{Action, Fsm, Policy, Sink, State, Timers, Verdict};
use ppp_proto::wire::cp::CpPacket;
use ppp_proto::wire::lcp::LcpOption;
use ppp_proto::{PppDropped, wire::cp::ConfigOption};
use sansio_primitives::{Duration, Instant, SeededRng};

include!("common/rfc1661_table.rs");

/// Identifier of the peer's packets in these tests.
const PEER_ID: u8 = 0x42;

/// One automaton with its clock and output.
struct Machine {
    fsm: Fsm<TestPolicy>,
    now: Instant,
    rng: SeededRng,
    out: Recorder,
}

impl Machine {
    fn new(timers: Timers) -> Self {
        Machine {
            fsm: Fsm::new(TestPolicy, timers),
            now: Instant::ZERO,
            rng: SeededRng::from_u64(1),
            out: Recorder::default(),
        }
    }

    /// Identifier of the last Configure- or Terminate-Request we sent.
    fn last_request_id(&self) -> u8 {
        self.out
            .sent
            .iter()
            .rev()
            .find(|p| p[0] == 1 || p[0] == 5)
            .map_or(0, |p| p[1])
    }

    fn packet(&mut self, p: &[u8]) -> Result<(), PppDropped> {
        self.fsm
            .handle_packet(self.now, p, &mut self.rng, &mut self.out)
            .map(|_| ())
    }

    /// Fires `event`; the Identifier of the packet sent, if any.
    fn fire(&mut self, event: &str) -> Result<Option<u8>, PppDropped> {
        let ours = self.last_request_id();
        let pkt = match event {
            "Up" => {
                self.fsm.up(self.now, &mut self.rng, &mut self.out);
                return Ok(None);
            }
            "Down" => {
                self.fsm.down(&mut self.out);
                return Ok(None);
            }
            "Open" => {
                self.fsm.open(self.now, &mut self.rng, &mut self.out);
                return Ok(None);
            }
            "Close" => {
                self.fsm.close(self.now, &mut self.out);
                return Ok(None);
            }
            "TO+" | "TO-" => {
                // The restart timer's own deadline, nothing earlier.
                self.now = self
                    .fsm
                    .poll_timeout()
                    .unwrap_or(self.now + Duration::from_secs(3));
                self.fsm
                    .handle_timeout(self.now, &mut self.rng, &mut self.out);
                return Ok(None);
            }
            "RCR+" => vec![1, PEER_ID, 0, 8, 1, 4, 0x05, 0xdc],
            "RCR-" => vec![1, PEER_ID, 0, 8, 1, 4, 0x03, 0xe8],
            "RCA" => vec![2, ours, 0, 8, 1, 4, 0x05, 0xdc],
            "RCN" => vec![3, ours, 0, 8, 1, 4, 0x05, 0xd4],
            "RTR" => vec![5, PEER_ID, 0, 4],
            "RTA" => vec![6, ours, 0, 4],
            "RUC" => vec![0x20, PEER_ID, 0, 4],
            "RXJ+" => vec![7, PEER_ID, 0, 8, 0x20, 1, 0, 4],
            "RXJ-" => vec![7, PEER_ID, 0, 8, 1, 1, 0, 4],
            "RXR" => vec![9, PEER_ID, 0, 8, 0, 0, 0, 0],
            other => panic!("unknown event {other}"),
        };
        self.packet(&pkt).map(|()| Some(pkt[1]))
    }

    /// Brings a new automaton into `state` by events and packets only.
    fn in_state(state: State, timers: Timers) -> Machine {
        let mut m = Machine::new(timers);
        let steps: &[&str] = match state {
            State::Initial => &[],
            State::Starting => &["Open"],
            State::Closed => &["Up"],
            State::Stopped => &["Up", "Open", "RXJ-"],
            State::Closing => &["Up", "Open", "Close"],
            State::Stopping => &["Up", "Open", "Close", "Open"],
            State::ReqSent => &["Up", "Open"],
            State::AckRcvd => &["Up", "Open", "RCA"],
            State::AckSent => &["Up", "Open", "RCR+"],
            State::Opened => &["Up", "Open", "RCR+", "RCA"],
        };
        for s in steps {
            m.fire(s).unwrap();
        }
        assert_eq!(m.fsm.state(), state, "reaching {state:?}");
        m.out.actions.clear();
        m
    }
}

fn rfc_table() -> Vec<Vec<String>> {
    parse_table(include_str!("data/rfc1661-state-table.txt"))
}

fn is_layer(a: &Action) -> bool {
    matches!(a, Action::Tlu | Action::Tld | Action::Tls | Action::Tlf)
}

#[test]
fn every_rfc1661_cell_with_an_action_end_to_end() {
    let table = rfc_table();
    let mut checked = 0;
    for (e, event) in EVENTS.iter().enumerate() {
        for (s, &state) in STATES.iter().enumerate() {
            let cell = &table[e][s];
            let (want_actions, want_next) = parse_cell(cell, s);
            if !checked_end_to_end(&want_actions) {
                continue;
            }
            // TO- needs a Restart counter at zero: Max-Configure and
            // Max-Terminate 0 make the first timeout TO-.
            let timers = if *event == "TO-" {
                Timers {
                    max_configure: 0,
                    max_terminate: 0,
                    ..Timers::default()
                }
            } else {
                Timers::default()
            };
            let mut m = Machine::in_state(state, timers);
            let before = m.out.sent.len();
            let previous_request = m.last_request_id();
            let ctx = format!("{event} in {state:?} (RFC cell {cell:?})");
            let fired = m.fire(event);
            let sent = &m.out.sent[before..];
            if CROSSED.contains(&(*event, state)) {
                assert!(
                    matches!(fired, Err(PppDropped::BadIdentifier { .. })),
                    "{ctx}: {fired:?}"
                );
                assert!(sent.is_empty() && m.out.actions.is_empty(), "{ctx}");
                assert_eq!(m.fsm.state(), state, "{ctx}");
                checked += 1;
                continue;
            }
            let received_id = fired.unwrap_or_else(|err| panic!("{ctx}: {err:?}"));
            // The next state.
            assert_eq!(m.fsm.state(), STATES[want_next], "{ctx}");
            // The layer events, in order.
            let layer: Vec<Action> = m.out.actions.iter().copied().filter(is_layer).collect();
            let want_layer: Vec<Action> = want_actions.iter().copied().filter(is_layer).collect();
            assert_eq!(layer, want_layer, "{ctx}");
            // Every action, in table order.
            assert_eq!(m.out.actions, want_actions, "{ctx}");
            // The packets: one per send action, in order, with the right
            // code and Identifier.
            let sends: Vec<&Action> = want_actions
                .iter()
                .filter(|a| !is_layer(a) && !matches!(a, Action::Irc | Action::Zrc))
                .collect();
            assert_eq!(sent.len(), sends.len(), "{ctx}: sent {sent:?}");
            for (p, a) in sent.iter().zip(&sends) {
                let (code, id) = (p[0], p[1]);
                match a {
                    Action::Scr | Action::Str => {
                        assert_eq!(code, if **a == Action::Scr { 1 } else { 5 }, "{ctx}");
                        // A timeout retransmits with the same Identifier;
                        // anything else is a new request.
                        if event.starts_with("TO") {
                            assert_eq!(id, previous_request, "{ctx}: retransmission");
                        } else {
                            assert_ne!(id, previous_request, "{ctx}: new request");
                        }
                    }
                    Action::Sca | Action::Scn | Action::Sta | Action::Ser => {
                        let want = match a {
                            Action::Sca => 2,
                            // RCR- here is a Nak (MRU 1000 → 1500).
                            Action::Scn => 3,
                            Action::Sta => 6,
                            _ => 10,
                        };
                        assert_eq!(code, want, "{ctx}");
                        assert_eq!(Some(id), received_id, "{ctx}: the reply's Identifier");
                    }
                    Action::Scj => {
                        assert_eq!(code, 7, "{ctx}");
                        // The rejected packet follows the header.
                        assert_eq!(p[4], 0x20, "{ctx}");
                    }
                    other => unreachable!("{other:?}"),
                }
            }
            // The restart timer runs exactly in states 4..=8.
            assert_eq!(
                m.fsm.poll_timeout().is_some(),
                timer_runs(m.fsm.state()),
                "{ctx}"
            );
            checked += 1;
        }
    }
    // Cells of the RFC's table that carry an action.
    assert_eq!(checked, 72);
}

/// RFC 1661 §4.1: a Terminate-Ack in Ack-Sent leaves it in Ack-Sent (our
/// Ack of the peer's request still stands), so the peer's Ack then opens
/// the link without another round; it used to fall back to Req-Sent.
#[test]
fn terminate_ack_in_ack_sent_keeps_the_ack_sent() {
    let mut m = Machine::in_state(State::AckSent, Timers::default());
    m.fire("RTA").unwrap();
    assert_eq!(m.fsm.state(), State::AckSent);
    m.fire("RCA").unwrap();
    assert_eq!(m.fsm.state(), State::Opened);
    assert_eq!(m.out.actions, [Action::Irc, Action::Tlu]);
}
