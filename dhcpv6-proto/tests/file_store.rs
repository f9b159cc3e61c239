//! The journal store: records survive a reopen, a corrupt or torn line is
//! reported and the valid part kept, compaction keeps the latest records.

use std::io::Write;
use std::net::Ipv6Addr;

use dhcpv6_proto::file_store::FileBindingStore;
use dhcpv6_proto::server::{Dhcpv6PrefixPool, Dhcpv6Server, Dhcpv6ServerConfig};
use dhcpv6_proto::store::{BindingStore, Dhcpv6BindingState, Dhcpv6DelegationRecord};
use dhcpv6_proto::wire::Duid;
use sansio_primitives::Instant;

fn rec(n: u16, state: Dhcpv6BindingState) -> Dhcpv6DelegationRecord {
    Dhcpv6DelegationRecord {
        duid: Duid::Llt {
            hardware_type: 1,
            time: 7,
            link_layer: vec![2, 0, 0, 0, 0, n as u8],
        },
        iaid: u32::from(n),
        prefix: Ipv6Addr::new(0x2001, 0xdb8, 0x10, n << 8, 0, 0, 0, 0),
        prefix_len: 56,
        expires: Instant::from_secs(1_000_000 + u64::from(n)),
        state,
        link: n.is_multiple_of(2).then_some(u64::from(n) * 1000),
    }
}

#[test]
fn records_survive_reopen_and_corruption_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pd.journal");
    {
        let (mut s, report) = FileBindingStore::open(&path).unwrap();
        assert_eq!(report.records, 0);
        s.persist(&[
            rec(1, Dhcpv6BindingState::Bound),
            rec(2, Dhcpv6BindingState::Bound),
        ])
        .unwrap();
        s.persist(&[rec(1, Dhcpv6BindingState::Released)]).unwrap();
    }
    let (mut s, report) = FileBindingStore::open(&path).unwrap();
    assert_eq!((report.records, report.bad_count), (2, 0));
    let all = s.load().unwrap();
    assert!(all.contains(&rec(1, Dhcpv6BindingState::Released)));
    assert!(all.contains(&rec(2, Dhcpv6BindingState::Bound)));
    drop(s);
    // Flip one character of line 2, and tear a last line.
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[1] = lines[1].replacen("2001:db8:10:", "2001:db8:11:", 1);
    let mut f = std::fs::File::create(&path).unwrap();
    for l in &lines {
        writeln!(f, "{l}").unwrap();
    }
    write!(f, "P 2001:db8::").unwrap();
    drop(f);
    let (mut s, report) = FileBindingStore::open(&path).unwrap();
    assert_eq!(report.bad_lines, vec![2, 4]);
    assert_eq!(report.bad_count, 2);
    assert_eq!(
        s.load().unwrap(),
        vec![rec(1, Dhcpv6BindingState::Released)],
        "the valid part is kept"
    );
    // Rewritten clean.
    let (_, report) = FileBindingStore::open(&path).unwrap();
    assert_eq!(report.bad_count, 0);
}

#[test]
fn compaction_keeps_the_latest_and_a_server_restores_from_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pd.journal");
    let (mut s, _) = FileBindingStore::open(&path).unwrap();
    s.set_compact_after(4);
    for _ in 0..10 {
        s.persist(&[rec(3, Dhcpv6BindingState::Bound)]).unwrap();
    }
    assert!(std::fs::read_to_string(&path).unwrap().lines().count() < 10);
    let (mut s, _) = FileBindingStore::open(&path).unwrap();
    let mut server = Dhcpv6Server::new(
        Dhcpv6ServerConfig::new(
            Duid::ethernet([2, 0, 0, 0, 0, 9]),
            vec![Dhcpv6PrefixPool::new(
                "2001:db8:10::".parse().unwrap(),
                48,
                56,
            )],
        ),
        Instant::ZERO,
    )
    .unwrap();
    assert_eq!(server.restore(s.load().unwrap()), 0);
    let r = rec(3, Dhcpv6BindingState::Bound);
    assert_eq!(server.binding(&r.duid, 3), Some(&r));
}
