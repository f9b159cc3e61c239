//! A process started inside a namespace, stopped by PID when dropped.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::registry::{Registry, stop_pid};

static NEXT_LOG: AtomicUsize = AtomicUsize::new(0);

/// A child process of the test, with its stdout and stderr kept in files
/// (no pipe can fill up and stall it).
pub struct Process {
    child: Child,
    name: String,
    stdout: PathBuf,
    stderr: PathBuf,
    status: Option<ExitStatus>,
    registry: Arc<Mutex<Registry>>,
}

impl Process {
    pub(crate) fn start(
        mut cmd: Command,
        argv: &[&str],
        registry: Arc<Mutex<Registry>>,
        dir: &Path,
    ) -> io::Result<Process> {
        let n = NEXT_LOG.fetch_add(1, Ordering::Relaxed);
        let base = argv
            .first()
            .and_then(|p| Path::new(p).file_name())
            .map_or_else(|| "process".into(), |s| s.to_string_lossy().into_owned());
        let stdout = dir.join(format!("{base}-{n}.out"));
        let stderr = dir.join(format!("{base}-{n}.err"));
        cmd.stdin(Stdio::null())
            .stdout(File::create(&stdout)?)
            .stderr(File::create(&stderr)?);
        // Hold the lock across spawn and record, so the watchdog never misses a PID.
        let mut reg = registry.lock().unwrap_or_else(|e| e.into_inner());
        let child = cmd.spawn().map_err(|e| {
            io::Error::new(e.kind(), format!("cannot start `{}`: {e}", argv.join(" ")))
        })?;
        reg.pids.push(child.id() as i32);
        drop(reg);
        Ok(Process {
            child,
            name: argv.join(" "),
            stdout,
            stderr,
            status: None,
            registry,
        })
    }

    /// The PID, for signals and for checking it is gone afterwards.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether it has exited (and then how), without waiting.
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        if self.status.is_none() {
            self.status = self.child.try_wait()?;
            if self.status.is_some() {
                self.forget();
            }
        }
        Ok(self.status)
    }

    /// Waits at most `timeout` for it to exit; `None` if it still runs.
    pub fn wait_timeout(&mut self, timeout: Duration) -> io::Result<Option<ExitStatus>> {
        let end = Instant::now() + timeout;
        loop {
            if let Some(s) = self.try_wait()? {
                return Ok(Some(s));
            }
            if Instant::now() >= end {
                return Ok(None);
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends a signal (SIGINT to make tcpdump flush, SIGHUP to reload...).
    pub fn signal(&self, signal: Signal) -> io::Result<()> {
        kill(Pid::from_raw(self.child.id() as i32), signal).map_err(io::Error::from)
    }

    /// Stops it (SIGTERM, then SIGKILL after a grace period) and reaps it.
    pub fn stop(&mut self) -> io::Result<ExitStatus> {
        if let Some(s) = self.try_wait()? {
            return Ok(s);
        }
        stop_pid(self.child.id() as i32);
        let status = match self.wait_timeout(Duration::from_secs(1))? {
            Some(s) => s,
            None => {
                self.child.kill()?;
                self.child.wait()?
            }
        };
        self.status = Some(status);
        self.forget();
        Ok(status)
    }

    /// What it has written so far: (stdout, stderr).
    pub fn output(&self) -> (String, String) {
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        (read(&self.stdout), read(&self.stderr))
    }

    /// Waits until its stderr (a daemon's log) contains `text`; panics
    /// with that log when the process exits first or `limit` passes.
    pub fn expect_log(&mut self, text: &str, limit: Duration) {
        let end = Instant::now() + limit;
        loop {
            let (_, log) = self.output();
            if log.contains(text) {
                return;
            }
            if let Ok(Some(status)) = self.try_wait() {
                panic!("{} exited ({status}) before `{text}`:\n{log}", self.name);
            }
            assert!(
                Instant::now() < end,
                "no `{text}` from {} within {limit:?}:\n{log}",
                self.name
            );
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// The command line, for messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn forget(&self) {
        let pid = self.child.id() as i32;
        let mut reg = self.registry.lock().unwrap_or_else(|e| e.into_inner());
        reg.pids.retain(|&p| p != pid);
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if self.status.is_none() {
            let _ = self.stop();
        }
    }
}
