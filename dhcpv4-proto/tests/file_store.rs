//! The journal file store: durability, compaction, and tolerant loading.

use std::net::Ipv4Addr;

use dhcpv4_proto::file_store::FileStore;
use dhcpv4_proto::lease::{Lease, LeaseState, LeaseStore};
use sansio_primitives::Instant;

fn lease(d: u8, secs: u64) -> Lease {
    Lease {
        address: Ipv4Addr::new(192, 0, 2, d),
        client: vec![1, 2, 0, 0, 0, 0, d],
        hardware: vec![2, 0, 0, 0, 0, d],
        hostname: d
            .is_multiple_of(2)
            .then(|| format!("host-{d}").into_bytes()),
        expires: Instant::from_secs(secs),
        state: LeaseState::Bound,
    }
}

fn sorted(mut v: Vec<Lease>) -> Vec<Lease> {
    v.sort_by_key(|l| l.address);
    v
}

#[test]
fn records_survive_reopen_and_later_records_win() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("leases");
    let (mut s, report) = FileStore::open(&path).unwrap();
    assert_eq!(report.bad_count, 0);
    s.persist(&[lease(10, 100), lease(11, 100)]).unwrap();
    let mut r = lease(10, 50);
    r.state = LeaseState::Released;
    s.persist(std::slice::from_ref(&r)).unwrap();
    drop(s);
    let (mut s, report) = FileStore::open(&path).unwrap();
    assert_eq!((report.records, report.bad_count), (2, 0));
    assert_eq!(sorted(s.load().unwrap()), vec![r, lease(11, 100)]);
}

#[test]
fn truncated_tail_is_reported_valid_part_kept_and_file_repaired() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("leases");
    let (mut s, _) = FileStore::open(&path).unwrap();
    for d in 1..=5 {
        s.persist(&[lease(d, 100)]).unwrap();
    }
    drop(s);
    let full = std::fs::read(&path).unwrap();
    // Cut in the middle of the last record, as a crash during a write would.
    std::fs::write(&path, &full[..full.len() - 20]).unwrap();
    let (mut s, report) = FileStore::open(&path).unwrap();
    assert_eq!(report.bad_count, 1);
    assert_eq!(report.bad_lines, vec![5]);
    assert_eq!(
        sorted(s.load().unwrap()),
        (1..=4).map(|d| lease(d, 100)).collect::<Vec<_>>()
    );
    drop(s);
    // The file was rewritten: it now loads clean.
    let (_, report) = FileStore::open(&path).unwrap();
    assert_eq!((report.records, report.bad_count), (4, 0));
}

#[test]
fn corrupt_lines_and_garbage_never_crash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("leases");
    let (mut s, _) = FileStore::open(&path).unwrap();
    for d in 1..=3 {
        s.persist(&[lease(d, 100)]).unwrap();
    }
    drop(s);
    let mut bytes = std::fs::read(&path).unwrap();
    let second = bytes.iter().position(|&b| b == b'\n').unwrap() + 5;
    bytes[second] ^= 0x01; // a flipped bit in line 2
    std::fs::write(&path, &bytes).unwrap();
    let (mut s, report) = FileStore::open(&path).unwrap();
    assert_eq!(report.bad_lines, vec![2]);
    assert_eq!(
        sorted(s.load().unwrap()),
        vec![lease(1, 100), lease(3, 100)]
    );
    drop(s);

    // Binary garbage, invalid UTF-8, empty lines.
    let junk: Vec<u8> = (0..4000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&path, &junk).unwrap();
    let (mut s, report) = FileStore::open(&path).unwrap();
    assert!(report.bad_count > 0);
    assert!(s.load().unwrap().is_empty());
    s.persist(&[lease(9, 1)]).unwrap();
    drop(s);
    let (mut s, report) = FileStore::open(&path).unwrap();
    assert_eq!(report.bad_count, 0);
    assert_eq!(s.load().unwrap(), vec![lease(9, 1)]);
}

#[test]
fn journal_is_compacted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("leases");
    let (mut s, _) = FileStore::open(&path).unwrap();
    s.set_compact_after(8);
    for i in 0..200 {
        s.persist(&[lease(1, i), lease(2, i)]).unwrap();
    }
    let lines = std::fs::read_to_string(&path).unwrap().lines().count();
    assert!(lines <= 8 + 2 * 2 + 2, "{lines} lines");
    drop(s);
    let (mut s, _) = FileStore::open(&path).unwrap();
    assert_eq!(
        sorted(s.load().unwrap()),
        vec![lease(1, 199), lease(2, 199)]
    );
    assert!(!dir.path().join("leases.tmp").exists());
}
