//! Group commit: the Replies of a burst wait for one durable write.

use dhcpv6_proto::wire::{ClientMessage, Dhcpv6Option, IaPd, Message, MessageType};

use super::*;

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

#[test]
fn a_burst_of_requests_is_committed_once_and_answered_after() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = server(dir.path());
    let src = crate::bng::ipv6::link_local(7);
    // Eight sessions' messages in one receive batch.
    for id in 1..=8u16 {
        d.input(id, u64::from(id), None, src, &rapid_solicit(id as u8));
    }
    // No Reply before the write: nothing to send, nothing on disk.
    assert!(d.transmits().is_empty(), "a Reply before its commit");
    assert_eq!(d.commits, 0);
    let file = dir.path().join(BINDINGS_FILE);
    let before = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(before.is_empty(), "{before}");
    // The batch's end: one commit for all, then every Reply, each to the
    // session its message came from.
    d.commit();
    assert_eq!(d.commits, 1);
    let out = d.transmits();
    let mut sessions: Vec<u16> = out.iter().map(|t| t.0).collect();
    sessions.sort_unstable();
    assert_eq!(sessions, (1..=8).collect::<Vec<_>>());
    // Each Reply's prefix was on disk before it could leave.
    let stored = std::fs::read_to_string(&file).unwrap();
    for r in d.server.bindings() {
        assert!(stored.contains(&r.prefix.to_string()), "{stored}");
    }
    assert_eq!(d.server.bindings().count(), 8);
    // Reopened (as after a SIGKILL): every binding is there.
    drop(d);
    let d = server(dir.path());
    assert_eq!(d.server.bindings().count(), 8);
}
