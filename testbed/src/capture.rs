//! Packet captures with tcpdump, decoded with tshark.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use crate::{Netns, Process, Testbed};

/// [`Capture::stop`] stops tcpdump once no frame was written for this long.
const QUIET: Duration = Duration::from_millis(100);
/// The longest [`Capture::stop`] waits for the capture to go quiet (a link
/// that never does, such as one with keepalives every few ms).
const QUIET_LIMIT: Duration = Duration::from_secs(3);

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

    /// The frames tcpdump has written so far (it writes each at once).
    pub fn frames(&self) -> usize {
        std::fs::read(&self.path).map_or(0, |b| pcap_records(&b))
    }

    /// Waits until at least `n` frames are written (say, all a test sent
    /// and expects back); how many there are, or an error after `timeout`.
    pub fn wait_frames(&self, n: usize, timeout: Duration) -> io::Result<usize> {
        let end = Instant::now() + timeout;
        loop {
            let have = self.frames();
            if have >= n {
                return Ok(have);
            }
            if Instant::now() >= end {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("{have} of {n} frames captured after {timeout:?}"),
                ));
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Stops tcpdump (SIGINT, so it flushes and closes the file) and
    /// returns the finished capture.
    pub fn stop(mut self) -> io::Result<Pcap> {
        // A frame sent just before the stop may still be on its way to
        // tcpdump (the kernel queues it for every packet socket, and SIGINT
        // ends tcpdump's loop at once): stop once the file has gone quiet.
        let end = Instant::now() + QUIET_LIMIT;
        let (mut seen, mut since) = (self.frames(), Instant::now());
        while since.elapsed() < QUIET && Instant::now() < end {
            thread::sleep(Duration::from_millis(10));
            let now = self.frames();
            if now != seen {
                (seen, since) = (now, Instant::now());
            }
        }
        self.process.signal(Signal::SIGINT)?;
        if self.process.wait_timeout(Duration::from_secs(5))?.is_none() {
            self.process.stop()?;
        }
        Ok(Pcap { path: self.path })
    }
}

/// The complete records of a classic pcap file (either byte order, micro-
/// or nanosecond); a record still being written is not counted.
fn pcap_records(b: &[u8]) -> usize {
    let Some(magic) = b.get(..4) else {
        return 0;
    };
    let big = match magic {
        [0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d] => true,
        [0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1] => false,
        _ => return 0,
    };
    let (mut at, mut n) = (24usize, 0);
    while let Some(len) = b.get(at + 8..at + 12) {
        let len = [len[0], len[1], len[2], len[3]];
        let len = if big {
            u32::from_be_bytes(len)
        } else {
            u32::from_le_bytes(len)
        } as usize;
        at += 16 + len;
        if at > b.len() {
            break;
        }
        n += 1;
    }
    n
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A little-endian pcap header and `lens` records, the last `cut`
    /// bytes short.
    fn pcap(lens: &[u32], cut: usize) -> Vec<u8> {
        let mut b = vec![0xd4, 0xc3, 0xb2, 0xa1];
        b.resize(24, 0);
        for &l in lens {
            b.extend_from_slice(&[0; 8]);
            b.extend_from_slice(&l.to_le_bytes());
            b.extend_from_slice(&l.to_le_bytes());
            b.resize(b.len() + l as usize, 0xee);
        }
        b.truncate(b.len() - cut);
        b
    }

    #[test]
    fn records_are_counted_whole() {
        assert_eq!(pcap_records(&pcap(&[], 0)), 0);
        assert_eq!(pcap_records(&pcap(&[60, 1514, 0], 0)), 3);
        assert_eq!(pcap_records(&pcap(&[60, 1514], 1)), 1, "half a record");
        assert_eq!(
            pcap_records(&pcap(&[60, 1514], 1514 + 3)),
            1,
            "a header cut"
        );
        assert_eq!(pcap_records(b"not a pcap file at all, no"), 0);
        assert_eq!(pcap_records(&[]), 0);
        let mut big = pcap(&[], 0);
        big[..4].copy_from_slice(&[0xa1, 0xb2, 0xc3, 0xd4]);
        big.extend_from_slice(&[0; 8]);
        big.extend_from_slice(&4u32.to_be_bytes());
        big.extend_from_slice(&4u32.to_be_bytes());
        big.extend_from_slice(&[1, 2, 3, 4]);
        assert_eq!(pcap_records(&big), 1);
    }
}
