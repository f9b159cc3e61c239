//! Packet captures with tcpdump, decoded with tshark.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use crate::{Netns, Process, Testbed};

/// How long [`Capture::stop`] waits for in-flight frames before stopping.
const SETTLE: Duration = Duration::from_millis(300);

/// A running `tcpdump -w`.
pub struct Capture {
    process: Process,
    path: PathBuf,
}

impl Capture {
    pub(crate) fn start(tb: &Testbed, ns: &Netns, ifname: &str) -> io::Result<Capture> {
        let path = tb.dir().join(format!("{}-{ifname}.pcap", ns.name()));
        let file = path.to_string_lossy().into_owned();
        // --immediate-mode: hand each packet over at once (otherwise the
        // kernel ring holds them up to a second, and a stop drops them);
        // -U: write each packet as it arrives, so a stop loses nothing;
        // -Z root: tcpdump would otherwise drop to a user that may not be
        // able to write into the test's directory.
        let mut process = tb.spawn(
            ns,
            &[
                "tcpdump",
                "-n",
                "--immediate-mode",
                "-U",
                "-Z",
                "root",
                "-i",
                ifname,
                "-w",
                &file,
            ],
        )?;
        let end = Instant::now() + Duration::from_secs(10);
        loop {
            let (_, err) = process.output();
            if err.contains("listening on") {
                return Ok(Capture { process, path });
            }
            if let Some(status) = process.try_wait()? {
                return Err(io::Error::other(format!(
                    "tcpdump on {ifname} exited with {status}: {err}"
                )));
            }
            if Instant::now() >= end {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "tcpdump did not start listening",
                ));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops tcpdump (SIGINT, so it flushes and closes the file) and
    /// returns the finished capture.
    pub fn stop(mut self) -> io::Result<Pcap> {
        // A frame sent just before the stop may still be on its way to
        // tcpdump (the kernel queues it for every packet socket, and SIGINT
        // ends tcpdump's loop at once): let in-flight frames land first.
        thread::sleep(SETTLE);
        self.process.signal(Signal::SIGINT)?;
        if self.process.wait_timeout(Duration::from_secs(5))?.is_none() {
            self.process.stop()?;
        }
        Ok(Pcap { path: self.path })
    }
}

/// A finished capture file.
#[derive(Clone, Debug)]
pub struct Pcap {
    path: PathBuf,
}

impl Pcap {
    /// A capture file made elsewhere (a golden capture, say).
    pub fn open(path: impl Into<PathBuf>) -> Pcap {
        Pcap { path: path.into() }
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `tshark -r FILE ARGS...` (for example `["-Y", "icmpv6", "-V"]`); its
    /// stdout, or an error with its stderr.
    pub fn decode(&self, args: &[&str]) -> io::Result<String> {
        let out = Command::new("tshark")
            .arg("-n")
            .arg("-r")
            .arg(&self.path)
            .args(args)
            .output()?;
        if !out.status.success() {
            return Err(io::Error::other(format!(
                "tshark -r {} failed: {}",
                self.path.display(),
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The number of frames that match a display filter.
    pub fn count(&self, filter: &str) -> io::Result<usize> {
        Ok(self.decode(&["-Y", filter])?.lines().count())
    }

    /// Every frame tshark finds malformed or flags with an expert error, one
    /// line each; empty when the capture is clean.
    pub fn problems(&self) -> io::Result<Vec<String>> {
        let lines = self.decode(&["-Y", "_ws.malformed || _ws.expert.severity >= \"Error\""])?;
        Ok(lines.lines().map(str::to_owned).collect())
    }
}
