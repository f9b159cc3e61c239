//! A durable lease store on a file: an append-only journal, fsynced on
//! every commit, compacted atomically (write a temporary file, fsync it,
//! rename it over the journal, fsync the directory).
//!
//! Each line is one lease record ending in a 64-bit FNV-1a checksum of the
//! rest of the line, so a torn or corrupted line is detected on load: it is
//! reported in the [`LoadReport`], the valid records are kept, and the file
//! is rewritten (compacted) with only those. Loading never panics.
//!
//! The journal is grown ahead of its records with zeros
//! ([`FileStore::set_preallocate`], 64 KiB by default): a commit then
//! overwrites blocks the file already has, its length and block map do not
//! change, and its `fdatasync` writes the data alone, not the inode too.
//! Zeros are written rather than `fallocate`d: ext4 marks fallocated
//! extents unwritten, and converting them is a metadata change on each
//! write. On load the zero tail is not a record; a journal written before
//! preallocation (no tail) loads as before.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::net::Ipv4Addr;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::lease::{Lease, LeaseStore};

mod line;

pub(crate) use line::{decode_line, encode_line};

/// How far the journal is grown ahead of its last record by default.
pub const DEFAULT_PREALLOCATE: u64 = 64 << 10;

/// What [`FileStore::open`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Valid records read (the latest per address).
    pub records: usize,
    /// 1-based numbers of the lines that were corrupt or torn (first 64).
    pub bad_lines: Vec<usize>,
    /// How many lines were bad in all.
    pub bad_count: usize,
}

/// The journal file store. See the [module docs](self).
#[derive(Debug)]
pub struct FileStore {
    path: PathBuf,
    journal: File,
    /// Where the next record goes: just past the last one.
    end: u64,
    /// The file's length: `end` and the zeros ahead of it.
    allocated: u64,
    preallocate: u64,
    sync_writes: bool,
    live: BTreeMap<Ipv4Addr, Lease>,
    journal_records: usize,
    compact_after: usize,
}

fn sync_dir(path: &Path) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

/// The valid records of `bytes` (a journal without its zero tail), the
/// latest per address, and the lines that were not.
fn parse(bytes: &[u8]) -> (BTreeMap<Ipv4Addr, Lease>, usize, LoadReport) {
    let mut report = LoadReport::default();
    let mut live = BTreeMap::new();
    let mut lines = 0;
    let mut rest = bytes;
    while !rest.is_empty() {
        lines += 1;
        let (line, torn) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => {
                let l = &rest[..i];
                rest = &rest[i + 1..];
                (l, false)
            }
            None => {
                let l = rest;
                rest = &[];
                (l, true)
            }
        };
        let lease = if torn {
            None
        } else {
            core::str::from_utf8(line).ok().and_then(decode_line)
        };
        match lease {
            Some(l) => {
                live.insert(l.address, l);
            }
            None => {
                report.bad_count += 1;
                if report.bad_lines.len() < 64 {
                    report.bad_lines.push(lines);
                }
            }
        }
    }
    report.records = live.len();
    (live, lines, report)
}

impl FileStore {
    /// Opens (or creates) the store at `path`, reading every valid record.
    /// A corrupt or torn line is reported and dropped, and the file is then
    /// rewritten atomically with the valid records only.
    pub fn open(path: impl Into<PathBuf>) -> io::Result<(FileStore, LoadReport)> {
        let path = path.into();
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e),
        };
        // Records end in a newline, never in a zero: the zeros at the end
        // are the preallocated tail. A record torn by a crash before it
        // (its rest still zeros) is a line without its newline: bad.
        let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        let (live, lines, report) = parse(&bytes[..end]);
        let journal = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        let mut store = FileStore {
            path,
            journal,
            end: end as u64,
            allocated: bytes.len() as u64,
            preallocate: DEFAULT_PREALLOCATE,
            sync_writes: true,
            journal_records: lines,
            live,
            compact_after: 4096,
        };
        if report.bad_count > 0 {
            store.compact()?;
        }
        Ok((store, report))
    }

    /// Compacts once the journal holds this many records more than twice
    /// the live ones (default 4096).
    pub fn set_compact_after(&mut self, records: usize) {
        self.compact_after = records.max(1);
    }

    /// Grows the journal this many octets of zeros ahead of its last
    /// record whenever a commit would pass its end (default
    /// [`DEFAULT_PREALLOCATE`]); the file never holds more zeros than that
    /// past the last record. 0: each commit grows the file by its records
    /// (the file's length changes, so each `fdatasync` writes the inode).
    pub fn set_preallocate(&mut self, octets: u64) {
        self.preallocate = octets;
    }

    /// Whether a commit waits for its records to reach the disk
    /// (`fdatasync`) before it returns, as it does by default. Off, a
    /// commit returns once the kernel has the records (a `write`): a
    /// lease ACKed then survives the server's crash (SIGKILL, panic), but
    /// the leases committed in the last seconds before a power loss or a
    /// kernel crash (until the kernel writes them back) may be forgotten,
    /// and handed to another client after the restart. Compaction stays
    /// fsynced either way (its rename must not outrun its data).
    pub fn set_sync_writes(&mut self, sync: bool) {
        self.sync_writes = sync;
    }

    /// The path of the journal.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Rewrites the journal with one record per address, atomically.
    pub fn compact(&mut self) -> io::Result<()> {
        let mut tmp_name = self.path.clone().into_os_string();
        tmp_name.push(".tmp");
        let tmp = PathBuf::from(tmp_name);
        let mut buf = Vec::new();
        for l in self.live.values() {
            buf.extend_from_slice(encode_line(l).as_bytes());
        }
        let end = buf.len();
        buf.resize(end + self.preallocate_len(), 0);
        {
            let mut f = File::create(&tmp)?;
            f.write_all(&buf)?;
            f.sync_all()?;
        }
        fs::rename(&tmp, &self.path)?;
        sync_dir(&self.path)?;
        self.journal = OpenOptions::new().write(true).open(&self.path)?;
        self.end = end as u64;
        self.allocated = buf.len() as u64;
        self.journal_records = self.live.len();
        Ok(())
    }

    fn preallocate_len(&self) -> usize {
        usize::try_from(self.preallocate).unwrap_or(usize::MAX)
    }
}

impl LeaseStore for FileStore {
    type Error = io::Error;

    fn load(&mut self) -> io::Result<Vec<Lease>> {
        Ok(self.live.values().cloned().collect())
    }

    fn persist(&mut self, changes: &[Lease]) -> io::Result<()> {
        let mut buf = Vec::new();
        for l in changes {
            buf.extend_from_slice(encode_line(l).as_bytes());
        }
        let len = buf.len() as u64;
        if self.end + len > self.allocated {
            // Past the zeros: grow ahead in the same write (and the same
            // fdatasync), so the next commits change no metadata.
            buf.resize(buf.len() + self.preallocate_len(), 0);
        }
        // At `end`, not appended: a failed write or sync leaves `end` where
        // it was, and the next commit overwrites what it left.
        self.journal.write_all_at(&buf, self.end)?;
        if self.sync_writes {
            self.journal.sync_data()?;
        }
        self.allocated = self.allocated.max(self.end + buf.len() as u64);
        self.end += len;
        for l in changes {
            self.live.insert(l.address, l.clone());
        }
        self.journal_records += changes.len();
        if self.journal_records > self.compact_after + 2 * self.live.len() {
            self.compact()?;
        }
        Ok(())
    }
}
