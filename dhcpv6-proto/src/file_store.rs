//! A durable binding store on a file: an append-only journal, fsynced on
//! every commit, compacted atomically (write a temporary file, fsync it,
//! rename it over the journal, fsync the directory) — dhcpv4-proto's
//! `FileStore` discipline, with delegation records.
//!
//! Each line is one record ending in a 64-bit FNV-1a checksum of the rest,
//! so a torn or corrupted line is detected on load: it is reported in the
//! [`LoadReport`], the valid records are kept, and the file is rewritten
//! with only those. Loading never panics.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;
use core::net::Ipv6Addr;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use sansio_primitives::Instant;

use crate::server::fnv1a;
use crate::store::{BindingStore, Dhcpv6BindingState, Dhcpv6DelegationRecord};
use crate::wire::Duid;

/// What [`FileBindingStore::open`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Valid records read (the latest per prefix).
    pub records: usize,
    /// 1-based numbers of the lines that were corrupt or torn (first 64).
    pub bad_lines: Vec<usize>,
    /// How many lines were bad in all.
    pub bad_count: usize,
}

/// The journal file store. See the [module docs](self).
#[derive(Debug)]
pub struct FileBindingStore {
    path: PathBuf,
    journal: File,
    live: BTreeMap<(Ipv6Addr, u8), Dhcpv6DelegationRecord>,
    journal_records: usize,
    compact_after: usize,
}

/// One record as a line (with its newline).
pub(crate) fn encode_line(r: &Dhcpv6DelegationRecord) -> String {
    let mut s = String::with_capacity(128);
    let state = match r.state {
        Dhcpv6BindingState::Bound => 'B',
        Dhcpv6BindingState::Released => 'R',
    };
    let _ = write!(
        s,
        "P {} {} {} {} {} ",
        r.prefix,
        r.prefix_len,
        state,
        r.expires.as_nanos(),
        r.iaid
    );
    for b in r.duid.to_vec() {
        let _ = write!(s, "{b:02x}");
    }
    match r.link {
        Some(l) => {
            let _ = write!(s, " {l}");
        }
        None => s.push_str(" -"),
    }
    let sum = fnv1a(s.as_bytes());
    let _ = writeln!(s, " {sum:016x}");
    s
}

/// Parses one line (without its newline); `None` when it is not valid.
pub(crate) fn decode_line(line: &str) -> Option<Dhcpv6DelegationRecord> {
    let (body, sum) = line.rsplit_once(' ')?;
    if sum.len() != 16 || u64::from_str_radix(sum, 16).ok()? != fnv1a(body.as_bytes()) {
        return None;
    }
    let mut f = body.split(' ');
    if f.next()? != "P" {
        return None;
    }
    let prefix: Ipv6Addr = f.next()?.parse().ok()?;
    let prefix_len: u8 = f.next()?.parse().ok().filter(|l| *l <= 128)?;
    let state = match f.next()? {
        "B" => Dhcpv6BindingState::Bound,
        "R" => Dhcpv6BindingState::Released,
        _ => return None,
    };
    let expires = Instant::from_nanos(f.next()?.parse().ok()?);
    let iaid = f.next()?.parse().ok()?;
    let hex = f.next()?;
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let raw = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    let duid = Duid::parse(&raw).ok()?;
    let link = match f.next()? {
        "-" => None,
        l => Some(l.parse().ok()?),
    };
    if f.next().is_some() {
        return None;
    }
    Some(Dhcpv6DelegationRecord {
        duid,
        iaid,
        prefix,
        prefix_len,
        expires,
        state,
        link,
    })
}

fn sync_dir(path: &Path) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

impl FileBindingStore {
    /// Opens (or creates) the store at `path`, reading every valid record.
    /// A corrupt or torn line is reported and dropped, and the file is then
    /// rewritten atomically with the valid records only.
    pub fn open(path: impl Into<PathBuf>) -> io::Result<(FileBindingStore, LoadReport)> {
        let path = path.into();
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e),
        };
        let mut report = LoadReport::default();
        let mut live = BTreeMap::new();
        let mut lines = 0;
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            lines += 1;
            // A last line without its newline was torn by a crash.
            let (line, torn) = match rest.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    let l = &rest[..i];
                    rest = &rest[i + 1..];
                    (l, false)
                }
                None => (core::mem::take(&mut rest), true),
            };
            let rec = (!torn)
                .then(|| core::str::from_utf8(line).ok().and_then(decode_line))
                .flatten();
            match rec {
                Some(r) => {
                    live.insert((r.prefix, r.prefix_len), r);
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
        let journal = OpenOptions::new().create(true).append(true).open(&path)?;
        let mut store = FileBindingStore {
            path,
            journal,
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

    /// The path of the journal.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Rewrites the journal with one record per prefix, atomically.
    pub fn compact(&mut self) -> io::Result<()> {
        let mut tmp_name = self.path.clone().into_os_string();
        tmp_name.push(".tmp");
        let tmp = PathBuf::from(tmp_name);
        {
            let mut f = File::create(&tmp)?;
            let buf: String = self.live.values().map(encode_line).collect();
            f.write_all(buf.as_bytes())?;
            f.sync_all()?;
        }
        fs::rename(&tmp, &self.path)?;
        sync_dir(&self.path)?;
        self.journal = OpenOptions::new().append(true).open(&self.path)?;
        self.journal_records = self.live.len();
        Ok(())
    }
}

impl BindingStore for FileBindingStore {
    type Error = io::Error;

    fn load(&mut self) -> io::Result<Vec<Dhcpv6DelegationRecord>> {
        Ok(self.live.values().cloned().collect())
    }

    fn persist(&mut self, changes: &[Dhcpv6DelegationRecord]) -> io::Result<()> {
        let buf: String = changes.iter().map(encode_line).collect();
        self.journal.write_all(buf.as_bytes())?;
        self.journal.sync_data()?;
        for r in changes {
            self.live.insert((r.prefix, r.prefix_len), r.clone());
        }
        self.journal_records += changes.len();
        if self.journal_records > self.compact_after + 2 * self.live.len() {
            self.compact()?;
        }
        Ok(())
    }
}
