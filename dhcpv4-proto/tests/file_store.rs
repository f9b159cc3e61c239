//! The journal file store: durability, compaction, tolerant loading, and
//! the zeroed tail it is grown ahead with.

use std::net::Ipv4Addr;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use dhcpv4_proto::file_store::{DEFAULT_PREALLOCATE, FileStore};
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

/// The journal's records: its bytes without the zeroed tail.
fn records(path: &Path) -> Vec<u8> {
    let mut b = std::fs::read(path).unwrap();
    let end = b.iter().rposition(|&x| x != 0).map_or(0, |i| i + 1);
    b.truncate(end);
    b
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

/// Five records, then the file as `crash` leaves it given the records'
/// bytes (the zeroed tail is gone: `crash` puts back what it wants).
fn torn_journal_is_reported_valid_part_kept_and_file_repaired(crash: fn(&[u8], u64) -> Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("leases");
    let (mut s, _) = FileStore::open(&path).unwrap();
    for d in 1..=5 {
        s.persist(&[lease(d, 100)]).unwrap();
    }
    drop(s);
    let len = std::fs::metadata(&path).unwrap().len();
    std::fs::write(&path, crash(&records(&path), len)).unwrap();
    let (mut s, report) = FileStore::open(&path).unwrap();
    assert_eq!(report.bad_count, 1);
    assert_eq!(report.bad_lines, vec![5]);
    assert_eq!(
        sorted(s.load().unwrap()),
        (1..=4).map(|d| lease(d, 100)).collect::<Vec<_>>()
    );
    drop(s);
    // The file was rewritten: it now loads clean, and grows again.
    let (mut s, report) = FileStore::open(&path).unwrap();
    assert_eq!((report.records, report.bad_count), (4, 0));
    s.persist(&[lease(6, 100)]).unwrap();
    drop(s);
    let (mut s, report) = FileStore::open(&path).unwrap();
    assert_eq!((report.records, report.bad_count), (5, 0));
    assert_eq!(s.load().unwrap().len(), 5);
}

#[test]
fn torn_last_record_without_tail() {
    // Cut in the middle of the last record, as a crash during a write of a
    // journal that was not grown ahead (written before preallocation).
    torn_journal_is_reported_valid_part_kept_and_file_repaired(|r, _| r[..r.len() - 20].to_vec());
}

#[test]
fn torn_last_record_before_the_zero_tail() {
    // The last record's end never reached the disk: zeros where it was,
    // and the file keeps its preallocated length.
    torn_journal_is_reported_valid_part_kept_and_file_repaired(|r, len| {
        let mut b = r[..r.len() - 20].to_vec();
        b.resize(len as usize, 0);
        b
    });
}

#[test]
fn torn_record_with_zeros_inside_it() {
    // A sector in the middle of the last record still zeros, its end
    // written (the disk reorders writes within one fdatasync).
    torn_journal_is_reported_valid_part_kept_and_file_repaired(|r, len| {
        let mut b = r.to_vec();
        let last = b[..b.len() - 1].iter().rposition(|&x| x == b'\n').unwrap() + 1;
        b[last + 10..last + 30].fill(0);
        b.resize(len as usize, 0);
        b
    });
}

#[test]
fn appends_change_neither_length_nor_blocks_until_the_tail_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("leases");
    let (mut s, _) = FileStore::open(&path).unwrap();
    s.persist(&[lease(1, 100)]).unwrap();
    let first = std::fs::metadata(&path).unwrap();
    let content = records(&path).len() as u64;
    assert_eq!(first.len(), content + DEFAULT_PREALLOCATE);
    // Zeros written, not a hole: the blocks exist before the records come.
    assert!(
        first.blocks() * 512 >= first.len(),
        "{} blocks",
        first.blocks()
    );
    for i in 0..100 {
        s.persist(&[lease(2, i)]).unwrap();
        let m = std::fs::metadata(&path).unwrap();
        assert_eq!((m.len(), m.blocks()), (first.len(), first.blocks()));
    }
    drop(s);
    let (mut s, report) = FileStore::open(&path).unwrap();
    assert_eq!((report.records, report.bad_count), (2, 0));
    assert_eq!(sorted(s.load().unwrap()), vec![lease(1, 100), lease(2, 99)]);
}

#[test]
fn grows_ahead_by_at_most_the_preallocation() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("leases");
    let (mut s, _) = FileStore::open(&path).unwrap();
    s.set_preallocate(1000);
    s.set_compact_after(1 << 20);
    let mut grown = 0;
    let mut len = 0;
    for i in 0..300 {
        s.persist(&[lease((i % 200) as u8 + 1, i)]).unwrap();
        let m = std::fs::metadata(&path).unwrap().len();
        let tail = m - records(&path).len() as u64;
        assert!(tail <= 1000, "{tail} zeros ahead");
        grown += usize::from(m != len);
        len = m;
    }
    // About one growth per ten ~95-octet records, not one per record.
    assert!((25..=40).contains(&grown), "grew {grown} times");
    drop(s);
    let (s, report) = FileStore::open(&path).unwrap();
    assert_eq!((report.records, report.bad_count), (200, 0));
    drop(s);
    // 0: the file ends at its last record (as before preallocation).
    let (mut s, _) = FileStore::open(&path).unwrap();
    s.set_preallocate(0);
    s.compact().unwrap();
    s.persist(&[lease(250, 1)]).unwrap();
    let b = std::fs::read(&path).unwrap();
    assert_eq!(b.last(), Some(&b'\n'));
}

#[test]
fn journal_without_zero_tail_loads_and_is_grown() {
    // A journal written before preallocation ends at its last record.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("leases");
    let (mut s, _) = FileStore::open(&path).unwrap();
    for d in 1..=3 {
        s.persist(&[lease(d, 100)]).unwrap();
    }
    drop(s);
    let old = records(&path);
    std::fs::write(&path, &old).unwrap();
    let (mut s, report) = FileStore::open(&path).unwrap();
    assert_eq!((report.records, report.bad_count), (3, 0));
    s.persist(&[lease(4, 100)]).unwrap();
    // Appended after the old records, then grown ahead.
    assert!(records(&path).starts_with(&old));
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        records(&path).len() as u64 + DEFAULT_PREALLOCATE
    );
    drop(s);
    let (mut s, report) = FileStore::open(&path).unwrap();
    assert_eq!((report.records, report.bad_count), (4, 0));
    assert_eq!(s.load().unwrap().len(), 4);
}

#[test]
fn unsynced_writes_reach_the_file_before_persist_returns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("leases");
    let (mut s, _) = FileStore::open(&path).unwrap();
    s.set_sync_writes(false);
    s.persist(&[lease(1, 100)]).unwrap();
    // Another reader (the restarted server) sees it while this one lives.
    let (mut other, _) = FileStore::open(&path).unwrap();
    assert_eq!(other.load().unwrap(), vec![lease(1, 100)]);
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
    let lines = records(&path).split(|&b| b == b'\n').count() - 1;
    assert!(lines <= 8 + 2 * 2 + 2, "{lines} lines");
    // Compacted with its zeroed tail.
    let tail = std::fs::metadata(&path).unwrap().len() - records(&path).len() as u64;
    assert!((1..=DEFAULT_PREALLOCATE).contains(&tail), "{tail}");
    drop(s);
    let (mut s, _) = FileStore::open(&path).unwrap();
    assert_eq!(
        sorted(s.load().unwrap()),
        vec![lease(1, 199), lease(2, 199)]
    );
    assert!(!dir.path().join("leases.tmp").exists());
}
