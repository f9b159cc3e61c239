//! `journal_cost`: the CPU one lease commit costs the committing thread in
//! [`FileStore`], one lease per commit (as at low request rates), for each
//! way the journal can be written: grown per write (`preallocate 0`, the
//! format before preallocation) or ahead in zeros (the default), fsynced
//! or not. CPU is the thread's run time (`/proc/thread-self/schedstat`),
//! wall time beside it.
//!
//! ```text
//! cargo run --release -p dhcpv4-proto --example journal_cost -- [DIR] [COMMITS] [MODE...]
//! ```
//!
//! DIR (default: the current directory) should be on the disk the lease
//! file lives on: the figures are the filesystem's and the disk's. MODE is
//! `grow-fsync`, `ahead-fsync`, `grow-nofsync` or `ahead-nofsync` (default:
//! all four), one at a time for `perf stat -e 'block:*'`.

use std::net::Ipv4Addr;
use std::time::Instant as WallInstant;

use dhcpv4_proto::file_store::{DEFAULT_PREALLOCATE, FileStore};
use dhcpv4_proto::lease::{Lease, LeaseState, LeaseStore};
use sansio_primitives::Instant;

/// This thread's time on a CPU, in nanoseconds.
fn run_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| ".".into()));
    let commits: u32 = args.next().and_then(|n| n.parse().ok()).unwrap_or(2000);
    let all = [
        ("grow-fsync", 0, true),
        ("ahead-fsync", DEFAULT_PREALLOCATE, true),
        ("grow-nofsync", 0, false),
        ("ahead-nofsync", DEFAULT_PREALLOCATE, false),
    ];
    let modes: Vec<String> = args.collect();
    for (_, preallocate, sync) in all
        .into_iter()
        .filter(|(name, ..)| modes.is_empty() || modes.iter().any(|m| m == name))
    {
        let path = dir.join(format!(".journal_cost.{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let (mut store, _) = FileStore::open(&path)?;
        store.set_preallocate(preallocate);
        store.set_sync_writes(sync);
        let (cpu, wall) = (run_ns(), WallInstant::now());
        for i in 0..commits {
            let d = (i % 200) as u8 + 10;
            store.persist(&[Lease {
                address: Ipv4Addr::new(192, 0, 2, d),
                client: vec![1, 0, 0x0c, 1, 0, 0, d],
                hardware: vec![0, 0x0c, 1, 0, 0, d],
                hostname: None,
                expires: Instant::from_secs(1_800_000_000 + u64::from(i)),
                state: LeaseState::Bound,
            }])?;
        }
        let (cpu, wall) = (run_ns() - cpu, wall.elapsed());
        drop(store);
        std::fs::remove_file(&path)?;
        println!(
            "preallocate {preallocate:>6} octets, fsync {sync:>5}: {:6.1} us CPU, {:7.1} us wall per commit ({commits} commits of one lease)",
            cpu as f64 / 1e3 / f64::from(commits),
            wall.as_secs_f64() * 1e6 / f64::from(commits),
        );
    }
    Ok(())
}
