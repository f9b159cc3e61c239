//! `<state_dir>/ipv6.toml`: the last delegated prefix, hinted in the first
//! Solicit after a restart so the ISP can give the same one back (RFC 8415
//! §18.2.1). Written atomically by a [`Writer`] thread, read tolerantly: a
//! corrupt file is reported and ignored.

use std::io;
use std::net::Ipv6Addr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::router::state::{Writer, write_atomic};

const FILE: &str = "ipv6.toml";

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OnDisk {
    /// `PREFIX/LEN`.
    delegated_prefix: String,
}

/// The state file in `dir`.
pub fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// Parses `2001:db8::/56` (length 1..=64, host bits zero).
pub fn parse_prefix(s: &str) -> Option<(Ipv6Addr, u8)> {
    let (a, l) = s.split_once('/')?;
    let prefix: Ipv6Addr = a.parse().ok()?;
    let len: u8 = l.parse().ok().filter(|l| (1..=64).contains(l))?;
    let host = u128::MAX >> len;
    (u128::from(prefix) & host == 0).then_some((prefix, len))
}

/// The last delegated prefix; `Ok(None)` when there is no file, `Err`
/// (the caller logs it and goes on without a hint) when it is corrupt.
pub fn load(dir: &Path) -> Result<Option<(Ipv6Addr, u8)>, String> {
    let p = path(dir);
    let text = match std::fs::read_to_string(&p) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", p.display())),
    };
    let d: OnDisk = toml::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))?;
    parse_prefix(&d.delegated_prefix).map(Some).ok_or_else(|| {
        format!(
            "{}: bad delegated_prefix `{}`",
            p.display(),
            d.delegated_prefix
        )
    })
}

/// Writes the prefix atomically.
pub fn save(dir: &Path, prefix: (Ipv6Addr, u8)) -> io::Result<()> {
    let d = OnDisk {
        delegated_prefix: format!("{}/{}", prefix.0, prefix.1),
    };
    let text = toml::to_string(&d).map_err(io::Error::other)?;
    write_atomic(
        dir,
        FILE,
        "# Written by the router: the last prefix the ISP delegated (DHCPv6-PD).\n",
        &text,
    )
}

/// A writer thread for the file in `dir`.
pub fn writer(dir: PathBuf) -> Writer<(Ipv6Addr, u8)> {
    Writer::with(dir, "ipv6-state", |dir, p| {
        save(dir, *p).map_err(|e| format!("cannot write {}: {e}", path(dir).display()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_corruption() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()), Ok(None));
        let p = ("2001:db8:100::".parse().unwrap(), 56);
        let w = writer(dir.path().to_owned());
        w.save(("2001:db8:1::".parse().unwrap(), 48));
        w.save(p);
        drop(w); // waits for the writes
        assert_eq!(load(dir.path()), Ok(Some(p)));
        for bad in [
            "delegated_prefix = \"2001:db8:100::1/56\"",
            "delegated_prefix = \"2001:db8::/65\"",
            "delegated_prefix = 7",
            "garbage[",
            "other = 1",
        ] {
            std::fs::write(path(dir.path()), bad).unwrap();
            assert!(load(dir.path()).is_err(), "{bad}");
        }
    }
}
