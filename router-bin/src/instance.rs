//! One daemon per state: an exclusive `flock` on a lock file, taken before
//! the daemon touches anything (TUN, netlink, nftables, control socket), so
//! a second instance started by mistake refuses at once instead of
//! tearing down what the running one set up on its way out.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};

/// The held lock; released when dropped (or when the process dies, which
/// `flock` guarantees, so a crash leaves no stale lock behind).
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
    path: PathBuf,
}

impl InstanceLock {
    /// Takes the lock on `path` (created if missing) and writes our pid
    /// into it. When another process holds it: an error naming `daemon`,
    /// `what` (e.g. "state dir /var/lib/router") and the holder's pid.
    pub fn acquire(path: &Path, daemon: &str, what: &str) -> Result<InstanceLock, String> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| format!("lock file {}: {e}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let pid = match file.read_to_string(&mut text) {
                    Ok(_) if !text.trim().is_empty() => text.trim().to_owned(),
                    _ => "unknown".to_owned(),
                };
                return Err(format!(
                    "another {daemon} is running with {what} (pid {pid}); \
                     stop it first or give this one its own"
                ));
            }
            Err(TryLockError::Error(e)) => {
                return Err(format!("lock file {}: {e}", path.display()));
            }
        }
        let write_pid = |f: &mut File| -> io::Result<()> {
            f.set_len(0)?;
            f.rewind()?;
            writeln!(f, "{}", std::process::id())?;
            f.flush()
        };
        write_pid(&mut file).map_err(|e| format!("lock file {}: {e}", path.display()))?;
        Ok(InstanceLock {
            _file: file,
            path: path.to_owned(),
        })
    }

    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_with_the_first_ones_pid() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("daemon.lock");
        let first = InstanceLock::acquire(&path, "router", "state dir /x").unwrap();
        assert_eq!(first.path(), path);
        // A second open file description conflicts even in one process.
        let err = InstanceLock::acquire(&path, "router", "state dir /x").unwrap_err();
        assert_eq!(
            err,
            format!(
                "another router is running with state dir /x (pid {}); \
                 stop it first or give this one its own",
                std::process::id()
            )
        );
        // The refused attempt left the holder's pid in place.
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.trim(), std::process::id().to_string());
        drop(first);
        InstanceLock::acquire(&path, "router", "state dir /x").expect("free again");
    }

    #[test]
    fn an_unwritable_place_is_reported() {
        let err =
            InstanceLock::acquire(Path::new("/nonexistent/dir/x.lock"), "bng", "x").unwrap_err();
        assert!(
            err.starts_with("lock file /nonexistent/dir/x.lock: "),
            "{err}"
        );
    }
}
