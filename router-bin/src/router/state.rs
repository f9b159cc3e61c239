//! `<state_dir>/wan.toml`: the last IPv4 address and IPv6 interface id the
//! ISP gave, asked for again on the next dial. Written atomically (temp
//! file, fsync, rename, fsync of the directory); read tolerantly (a corrupt
//! file is reported and ignored, never fatal). [`Writer`] does the writes
//! on a thread of its own, so their fsyncs never stall the event loop.

use std::fs::{self, File};
use std::io::{self, Write};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;

use serde::{Deserialize, Serialize};

/// What is kept across dials and restarts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WanState {
    /// The last IPCP address.
    pub ipv4: Option<Ipv4Addr>,
    /// The last IPv6CP interface identifier (ours).
    pub ipv6_ifid: Option<u64>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OnDisk {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ipv4: Option<Ipv4Addr>,
    /// Written as `xxxx:xxxx:xxxx:xxxx` (TOML integers stop at 2^63).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ipv6_ifid: Option<String>,
}

/// Formats an interface id as four groups of hex, as in an IPv6 address.
pub fn ifid_text(ifid: u64) -> String {
    let b = ifid.to_be_bytes();
    format!(
        "{:x}:{:x}:{:x}:{:x}",
        u16::from_be_bytes([b[0], b[1]]),
        u16::from_be_bytes([b[2], b[3]]),
        u16::from_be_bytes([b[4], b[5]]),
        u16::from_be_bytes([b[6], b[7]])
    )
}

fn parse_ifid(s: &str) -> Option<u64> {
    let groups: Vec<&str> = s.split(':').collect();
    if groups.len() != 4 {
        return None;
    }
    groups.iter().try_fold(0u64, |acc, g| {
        (g.len() <= 4).then_some(())?;
        Some(acc << 16 | u64::from(u16::from_str_radix(g, 16).ok()?))
    })
}

/// The state file in `dir`.
pub fn path(dir: &Path) -> PathBuf {
    dir.join("wan.toml")
}

/// Reads the state; a missing file is empty state, a corrupt one is
/// `Err(reason)` (the caller logs it and starts from empty state).
pub fn load(dir: &Path) -> Result<WanState, String> {
    let p = path(dir);
    let text = match fs::read_to_string(&p) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(WanState::default()),
        Err(e) => return Err(format!("{}: {e}", p.display())),
    };
    let d: OnDisk = toml::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))?;
    let ipv6_ifid = match d.ipv6_ifid {
        Some(s) => Some(
            parse_ifid(&s)
                .filter(|&i| i != 0)
                .ok_or_else(|| format!("{}: bad ipv6_ifid `{s}`", p.display()))?,
        ),
        None => None,
    };
    Ok(WanState {
        ipv4: d.ipv4.filter(|a| !a.is_unspecified()),
        ipv6_ifid,
    })
}

/// Writes the state atomically.
pub fn save(dir: &Path, state: &WanState) -> io::Result<()> {
    let d = OnDisk {
        ipv4: state.ipv4,
        ipv6_ifid: state.ipv6_ifid.map(ifid_text),
    };
    let text = toml::to_string(&d).map_err(io::Error::other)?;
    write_atomic(
        dir,
        "wan.toml",
        "# Written by the router: the last WAN address and IPv6 interface id.\n",
        &text,
    )
}

/// Writes `header` and `text` to `dir/name` atomically: a temporary file,
/// fsync, rename, fsync of the directory.
pub fn write_atomic(dir: &Path, name: &str, header: &str, text: &str) -> io::Result<()> {
    let p = dir.join(name);
    let tmp = dir.join(format!("{name}.tmp"));
    {
        let mut f = File::create(&tmp)?;
        f.write_all(header.as_bytes())?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
    }
    fs::rename(&tmp, &p)?;
    File::open(dir)?.sync_all()
}

/// Saves states (a [`WanState`] by default) in order on a thread of its
/// own: the last one given is the one on disk (states queued behind a newer
/// one are skipped). Dropping it waits for the last write.
pub struct Writer<T: Send + 'static = WanState> {
    tx: Option<mpsc::Sender<T>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer<WanState> {
    /// A writer for the WAN state file in `dir`; failures are logged.
    pub fn new(dir: PathBuf) -> Writer {
        Writer::with(dir, "wan-state", |dir, s: &WanState| {
            save(dir, s).map_err(|e| format!("cannot write {}: {e}", path(dir).display()))
        })
    }
}

impl<T: Send + 'static> Writer<T> {
    /// A writer that saves with `save` into `dir` on the thread `name`;
    /// `save`'s errors are logged.
    pub fn with(dir: PathBuf, name: &str, save: fn(&Path, &T) -> Result<(), String>) -> Writer<T> {
        let (tx, rx) = mpsc::channel::<T>();
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                while let Ok(mut state) = rx.recv() {
                    // Last write wins: skip to the newest queued state.
                    while let Ok(newer) = rx.try_recv() {
                        state = newer;
                    }
                    if let Err(e) = save(&dir, &state) {
                        tracing::warn!("{e}");
                    }
                }
            });
        match thread {
            Ok(t) => Writer {
                tx: Some(tx),
                thread: Some(t),
            },
            Err(e) => {
                tracing::warn!("no {name} writer thread ({e}): that state is not kept");
                Writer {
                    tx: None,
                    thread: None,
                }
            }
        }
    }

    /// Queues `state` to be written.
    pub fn save(&self, state: T) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(state);
        }
    }
}

impl<T: Send + 'static> Drop for Writer<T> {
    fn drop(&mut self) {
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_corruption() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()).unwrap(), WanState::default());
        let s = WanState {
            ipv4: Some(Ipv4Addr::new(192, 0, 2, 10)),
            ipv6_ifid: Some(0x0123_4567_89ab_cdef),
        };
        save(dir.path(), &s).unwrap();
        assert_eq!(load(dir.path()).unwrap(), s);
        let text = fs::read_to_string(path(dir.path())).unwrap();
        assert!(text.contains("123:4567:89ab:cdef"), "{text}");
        for bad in [
            "ipv4 = 7",
            "garbage{{",
            "ipv6_ifid = \"1:2:3\"",
            "extra = 1",
        ] {
            fs::write(path(dir.path()), bad).unwrap();
            assert!(load(dir.path()).is_err(), "{bad}");
        }
    }

    #[test]
    fn writer_keeps_the_last_state() {
        let dir = tempfile::tempdir().unwrap();
        let w = Writer::new(dir.path().to_owned());
        let mut last = WanState::default();
        for i in 1..=50u8 {
            last = WanState {
                ipv4: Some(Ipv4Addr::new(192, 0, 2, i)),
                ipv6_ifid: Some(u64::from(i)),
            };
            w.save(last);
        }
        drop(w); // waits for the writes
        assert_eq!(load(dir.path()).unwrap(), last);
    }

    #[test]
    fn ifid_text_parses_back() {
        for i in [1u64, u64::MAX, 0xfe80_0000_0000_0001] {
            assert_eq!(parse_ifid(&ifid_text(i)), Some(i));
        }
    }
}
