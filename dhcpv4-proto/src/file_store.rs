//! A durable lease store on a file: an append-only journal, fsynced on
//! every commit, compacted atomically (write a temporary file, fsync it,
//! rename it over the journal, fsync the directory).
//!
//! Each line is one lease record ending in a 64-bit FNV-1a checksum of the
//! rest of the line, so a torn or corrupted line is detected on load: it is
//! reported in the [`LoadReport`], the valid records are kept, and the file
//! is rewritten (compacted) with only those. Loading never panics.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;
use core::net::Ipv4Addr;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use sansio_primitives::Instant;

use crate::lease::{Lease, LeaseState, LeaseStore};
use crate::server::fnv1a;

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
    live: BTreeMap<Ipv4Addr, Lease>,
    journal_records: usize,
    compact_after: usize,
}

fn hex(out: &mut String, data: Option<&[u8]>) {
    match data {
        None => out.push('-'),
        Some(d) => {
            const DIGITS: &[u8; 16] = b"0123456789abcdef";
            out.reserve(1 + 2 * d.len());
            out.push('x');
            for &b in d {
                out.push(char::from(DIGITS[usize::from(b >> 4)]));
                out.push(char::from(DIGITS[usize::from(b & 0xf)]));
            }
        }
    }
}

fn unhex(s: &str) -> Option<Option<Vec<u8>>> {
    if s == "-" {
        return Some(None);
    }
    let s = s.strip_prefix('x')?;
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()
        .map(Some)
}

/// One record as a line (with its newline).
pub(crate) fn encode_line(l: &Lease) -> String {
    let mut s = String::with_capacity(96);
    let state = match l.state {
        LeaseState::Bound => 'B',
        LeaseState::Released => 'R',
        LeaseState::Declined => 'D',
    };
    let _ = write!(s, "L {} {} {} ", l.address, state, l.expires.as_nanos());
    hex(&mut s, Some(&l.client));
    s.push(' ');
    hex(&mut s, Some(&l.hardware));
    s.push(' ');
    hex(&mut s, l.hostname.as_deref());
    let sum = fnv1a(s.as_bytes());
    let _ = writeln!(s, " {sum:016x}");
    s
}

/// Parses one line (without its newline); `None` when it is not valid.
pub(crate) fn decode_line(line: &str) -> Option<Lease> {
    let (body, sum) = line.rsplit_once(' ')?;
    if sum.len() != 16 || u64::from_str_radix(sum, 16).ok()? != fnv1a(body.as_bytes()) {
        return None;
    }
    let mut f = body.split(' ');
    if f.next()? != "L" {
        return None;
    }
    let address: Ipv4Addr = f.next()?.parse().ok()?;
    let state = match f.next()? {
        "B" => LeaseState::Bound,
        "R" => LeaseState::Released,
        "D" => LeaseState::Declined,
        _ => return None,
    };
    let expires = Instant::from_nanos(f.next()?.parse().ok()?);
    let client = unhex(f.next()?)??;
    let hardware = unhex(f.next()?)??;
    let hostname = unhex(f.next()?)?;
    if f.next().is_some() {
        return None;
    }
    Some(Lease {
        address,
        client,
        hardware,
        hostname,
        expires,
        state,
    })
}

fn sync_dir(path: &Path) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
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
        let mut report = LoadReport::default();
        let mut live = BTreeMap::new();
        let mut lines = 0;
        let mut rest = &bytes[..];
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
        let journal = OpenOptions::new().create(true).append(true).open(&path)?;
        let mut store = FileStore {
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

    /// Rewrites the journal with one record per address, atomically.
    pub fn compact(&mut self) -> io::Result<()> {
        let mut tmp_name = self.path.clone().into_os_string();
        tmp_name.push(".tmp");
        let tmp = PathBuf::from(tmp_name);
        {
            let mut f = File::create(&tmp)?;
            let mut buf = String::new();
            for l in self.live.values() {
                buf.push_str(&encode_line(l));
            }
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

impl LeaseStore for FileStore {
    type Error = io::Error;

    fn load(&mut self) -> io::Result<Vec<Lease>> {
        Ok(self.live.values().cloned().collect())
    }

    fn persist(&mut self, changes: &[Lease]) -> io::Result<()> {
        let mut buf = String::new();
        for l in changes {
            buf.push_str(&encode_line(l));
        }
        self.journal.write_all(buf.as_bytes())?;
        self.journal.sync_data()?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_round_trip_and_rejects() {
        let l = Lease {
            address: Ipv4Addr::new(192, 0, 2, 9),
            client: alloc::vec![1, 2, 3],
            hardware: alloc::vec![],
            hostname: Some(b"h".to_vec()),
            expires: Instant::from_secs(5),
            state: LeaseState::Bound,
        };
        let line = encode_line(&l);
        assert_eq!(decode_line(line.trim_end()), Some(l));
        let bad = line.trim_end().replacen("192.0.2.9", "192.0.2.8", 1);
        assert_eq!(decode_line(&bad), None);
        assert_eq!(decode_line(""), None);
        assert_eq!(decode_line("L x"), None);
    }
}
