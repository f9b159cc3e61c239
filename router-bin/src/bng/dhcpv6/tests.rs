//! Group commit off the event loop (no Reply before its batch is durable,
//! other traffic meanwhile, a bounded queue), and which prefix each
//! session of a subscriber gets.

use dhcpv6_proto::wire::{ClientMessage, Dhcpv6Option, IaPd, Message, MessageType};

use super::*;
use crate::bng::ipv6::Routes6;
use dhcpv6_proto::server::Dhcpv6ServerEvent;
use dhcpv6_proto::store::{BindingStore, Dhcpv6DelegationRecord};

/// A Solicit with Rapid Commit for one IA_PD from DUID-LL `mac`.
fn rapid_solicit(mac: u8) -> Vec<u8> {
    let mut m = ClientMessage::new(MessageType::Solicit, u32::from(mac));
    m.options
        .push(Dhcpv6Option::ClientId(Duid::ethernet([2, 0, 0, 0, 0, mac])));
    m.options.push(Dhcpv6Option::RapidCommit);
    m.options.push(Dhcpv6Option::IaPd(IaPd {
        iaid: 1,
        t1: 0,
        t2: 0,
        options: Vec::new(),
    }));
    Message::Client(m).to_vec()
}

fn server(dir: &std::path::Path) -> Dhcpv6 {
    let text = format!(
        "interface = \"eth1\"\nstate_dir = \"{}\"\n[pool]\nfirst = \"198.51.100.10\"\n\
         last = \"198.51.100.20\"\nlocal = \"198.51.100.1\"\n[[users]]\nname = \"a\"\n\
         password = \"b\"\n[ipv6]\npools = [\"2001:db8:100::/40\"]\n",
        dir.display()
    );
    let cfg = Config::parse(&text).unwrap();
    Dhcpv6::open(&cfg, [2, 0, 0, 0, 0, 1]).unwrap().unwrap()
}

/// Hands the pending changes over and waits until the writer made them
/// durable; the answers released.
fn commit_now(d: &mut Dhcpv6) -> Vec<commit::Answer> {
    let mut out = d.hand_over();
    while d.in_flight() > 0 {
        let done = d.writer.wait().expect("the writer answers");
        out.extend(d.durable(&done));
    }
    out
}

/// A Solicit without Rapid Commit (answered by an Advertise, which needs
/// nothing durable) from DUID-LL `mac`.
fn solicit(mac: u8) -> Vec<u8> {
    let mut m = ClientMessage::new(MessageType::Solicit, u32::from(mac));
    m.options
        .push(Dhcpv6Option::ClientId(Duid::ethernet([2, 0, 0, 0, 0, mac])));
    m.options.push(Dhcpv6Option::IaPd(IaPd {
        iaid: 1,
        t1: 0,
        t2: 0,
        options: Vec::new(),
    }));
    Message::Client(m).to_vec()
}

#[test]
fn a_burst_of_requests_is_committed_once_and_answered_after() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = server(dir.path());
    let src = crate::bng::ipv6::link_local(7);
    // Eight sessions' messages in one receive batch.
    for id in 1..=8u16 {
        d.input(id, u64::from(id), None, src, &rapid_solicit(id as u8));
    }
    // No Reply before the write: nothing to send.
    assert!(d.transmits().is_empty(), "a Reply before its commit");
    // The batch's end: handed to the writer as one batch; still no Reply.
    assert!(d.hand_over().is_empty(), "a Reply before its commit");
    assert_eq!(d.in_flight(), 1);
    assert!(d.transmits().is_empty(), "a Reply before its commit");
    // The writer's answer: by then every binding is on disk, and only
    // then the Replies are released, each to the session its message
    // came from.
    let done = d.writer.wait().unwrap();
    let file = dir.path().join(BINDINGS_FILE);
    let stored = std::fs::read_to_string(&file).unwrap();
    for r in d.server.bindings() {
        assert!(stored.contains(&r.prefix.to_string()), "{stored}");
    }
    let out = d.durable(&done);
    assert_eq!(d.commits.writes, 1);
    let mut sessions: Vec<u16> = out.iter().map(|t| t.0).collect();
    sessions.sort_unstable();
    assert_eq!(sessions, (1..=8).collect::<Vec<_>>());
    assert_eq!(d.server.bindings().count(), 8);
    // Reopened (as after a SIGKILL): every binding is there.
    drop(d);
    let d = server(dir.path());
    assert_eq!(d.server.bindings().count(), 8);
}

/// A store whose writes wait for the test: each `persist` says it started
/// (`started`), then waits for a verdict on `gate` (`true`: stored).
struct GateStore {
    started: std::sync::mpsc::Sender<usize>,
    gate: std::sync::mpsc::Receiver<bool>,
}

impl BindingStore for GateStore {
    type Error = &'static str;

    fn load(&mut self) -> Result<Vec<Dhcpv6DelegationRecord>, &'static str> {
        Ok(Vec::new())
    }

    fn persist(&mut self, changes: &[Dhcpv6DelegationRecord]) -> Result<(), &'static str> {
        let _ = self.started.send(changes.len());
        match self.gate.recv() {
            Ok(true) => Ok(()),
            _ => Err("told to fail"),
        }
    }
}

#[test]
fn replies_wait_for_their_own_batch_while_other_traffic_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = server(dir.path());
    let (started_tx, started) = std::sync::mpsc::channel();
    let (gate, gate_rx) = std::sync::mpsc::channel();
    d.writer = writer::Writer::spawn(GateStore {
        started: started_tx,
        gate: gate_rx,
    })
    .unwrap();
    let src = crate::bng::ipv6::link_local(7);
    // Batch 1 (session 1) is being written...
    d.input(1, 1, None, src, &rapid_solicit(1));
    assert!(d.hand_over().is_empty());
    assert_eq!(started.recv().unwrap(), 1);
    // ... while session 2's Solicit is answered at once (an Advertise
    // needs nothing durable) and batch 2 (session 3) is handed over.
    d.input(2, 2, None, src, &solicit(2));
    let now = d.transmits();
    assert_eq!(now.iter().map(|t| t.0).collect::<Vec<_>>(), [2]);
    d.input(3, 3, None, src, &rapid_solicit(3));
    assert!(d.hand_over().is_empty());
    assert_eq!(d.in_flight(), 2);
    // Batch 1 durable: its Reply only.
    gate.send(true).unwrap();
    let done = d.writer.wait().unwrap();
    let out = d.durable(&done);
    assert_eq!(out.iter().map(|t| t.0).collect::<Vec<_>>(), [1]);
    assert_eq!(d.in_flight(), 1);
    // Batch 2's write fails: its Reply never leaves (the client sends
    // again), and nothing is left waiting.
    assert_eq!(started.recv().unwrap(), 1);
    gate.send(false).unwrap();
    let done = d.writer.wait().unwrap();
    assert!(d.durable(&done).is_empty(), "a Reply whose binding failed");
    assert_eq!(d.in_flight(), 0);
    assert_eq!(d.commits.writes, 2);
}

#[test]
fn a_full_queue_leaves_the_changes_for_the_next_hand_over() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = server(dir.path());
    let (started_tx, started) = std::sync::mpsc::channel();
    let (gate, gate_rx) = std::sync::mpsc::channel();
    d.writer = writer::Writer::spawn(GateStore {
        started: started_tx,
        gate: gate_rx,
    })
    .unwrap();
    let src = crate::bng::ipv6::link_local(7);
    let n = writer::IN_FLIGHT as u16;
    for id in 1..=n + 1 {
        d.input(id, u64::from(id), None, src, &rapid_solicit(id as u8));
        assert!(d.hand_over().is_empty());
    }
    // The first batch is being written, the queue holds the rest: the
    // last session's change waits in the server.
    assert_eq!(d.in_flight(), writer::IN_FLIGHT);
    assert_eq!(d.commits.deferred, 1);
    assert_eq!(d.server.pending_bindings().len(), 1);
    started.recv().unwrap();
    gate.send(true).unwrap();
    // The writer takes the other queued batches in one write.
    let mut out = Vec::new();
    while out.len() < usize::from(n) {
        let done = d.writer.wait().unwrap();
        out.extend(d.durable(&done));
        if out.len() < usize::from(n) {
            started.recv().unwrap();
            gate.send(true).unwrap();
        }
    }
    // Room again: the waiting change goes, and its Reply after it.
    assert!(d.hand_over().is_empty());
    assert!(d.server.pending_bindings().is_empty());
    started.recv().unwrap();
    gate.send(true).unwrap();
    let done = d.writer.wait().unwrap();
    out.extend(d.durable(&done));
    let mut sessions: Vec<u16> = out.iter().map(|t| t.0).collect();
    sessions.sort_unstable();
    assert_eq!(sessions, (1..=n + 1).collect::<Vec<_>>());
}

/// Hands `d` session `id`'s Rapid Commit Solicit from DUID `mac` as
/// [`Bng::dhcpv6_input`] does (subscriber `link`, fixed prefix decided by
/// [`Dhcpv6::fixed_for`]), commits, and routes what was delegated as
/// [`Bng::dhcpv6_events`] does. Returns the prefix delegated.
fn session_solicits(
    d: &mut Dhcpv6,
    routes: &mut Routes6,
    id: u16,
    link: u64,
    grant: Option<Prefix6>,
    mac: u8,
) -> Option<Prefix6> {
    let fixed = d.fixed_for(id, link, grant, None, routes);
    d.input(
        id,
        link,
        fixed,
        crate::bng::ipv6::link_local(7),
        &rapid_solicit(mac),
    );
    let _ = commit_now(d);
    let mut got = None;
    while let Some(e) = d.server.poll_event() {
        if let Dhcpv6ServerEvent::Delegated(r) = &e {
            d.remember(r);
            let p = Prefix6 {
                addr: r.prefix,
                len: r.prefix_len,
            };
            routes.insert(p, id);
            got = Some(p);
        }
    }
    got
}

#[test]
fn concurrent_sessions_of_one_user_get_different_prefixes() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = server(dir.path());
    let mut routes = Routes6::default();
    let user = 0x5eed;
    let p1 = session_solicits(&mut d, &mut routes, 1, user, None, 1).unwrap();
    // A second session of the same user, up at the same time, from
    // another CPE: not the first one's prefix (it remembers it as the
    // user's), and the first keeps its route.
    let p2 = session_solicits(&mut d, &mut routes, 2, user, None, 2).unwrap();
    assert_ne!(p1, p2, "one prefix for two live sessions");
    assert_eq!(routes.get(&p1), Some(&1));
    // IPv6CP of a third session opens: neither live session's prefix is
    // moved to it.
    assert_eq!(d.held(3, user, &routes), None);
    // The second session ends (its route goes); a redial of the user from
    // yet another DUID gets the remembered prefix back, and the first
    // session still keeps its own.
    routes.remove(&p2);
    assert_eq!(d.held(3, user, &routes), Some(p2));
    let p3 = session_solicits(&mut d, &mut routes, 3, user, None, 3).unwrap();
    assert_eq!(p3, p2, "the redial lost its remembered prefix");
    assert_eq!(routes.get(&p1), Some(&1));
}

#[test]
fn a_users_fixed_prefix_is_not_taken_from_its_live_session() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = server(dir.path());
    let mut routes = Routes6::default();
    let user = 0x5eed;
    let fixed: Prefix6 = "2001:db8:ff00::/56".parse().unwrap();
    let p1 = session_solicits(&mut d, &mut routes, 1, user, Some(fixed), 1).unwrap();
    assert_eq!(p1, fixed);
    let p2 = session_solicits(&mut d, &mut routes, 2, user, Some(fixed), 2).unwrap();
    assert_ne!(p2, fixed, "the user's prefix moved to its second session");
    assert_eq!(routes.get(&fixed), Some(&1));
    // Once the first session is gone the next one gets it again.
    routes.remove(&fixed);
    let p3 = session_solicits(&mut d, &mut routes, 3, user, Some(fixed), 3).unwrap();
    assert_eq!(p3, fixed);
}
