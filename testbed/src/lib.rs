//! Test support for layer-3 tests: Linux network namespaces joined by veth
//! pairs, processes run inside them, packet captures decoded by `tshark`, and
//! the guarantee that all of it is gone when the test ends.
//!
//! ```no_run
//! use std::time::Duration;
//! use testbed::Testbed;
//!
//! // Skips (with a message on stderr) when not root, except under CI.
//! let Some(mut tb) = Testbed::new("doc") else { return };
//! let a = tb.namespace("a").unwrap();
//! let b = tb.namespace("b").unwrap();
//! tb.veth((&a, "wan0"), (&b, "wan1")).unwrap();
//! tb.addr(&a, "wan0", "192.0.2.1/24").unwrap();
//! tb.addr(&b, "wan1", "192.0.2.2/24").unwrap();
//! let cap = tb.capture(&b, "wan1").unwrap();
//! tb.exec(&a, &["ping", "-c", "1", "-W", "2", "192.0.2.2"], Duration::from_secs(5)).unwrap();
//! let pcap = cap.stop().unwrap();
//! assert!(pcap.decode(&["-Y", "icmp"]).unwrap().contains("Echo"));
//! // Dropping `tb` stops every process by PID and deletes both namespaces.
//! ```
//!
//! # What is cleaned up, and when
//!
//! Everything a [`Testbed`] made is recorded in a registry shared with a
//! watchdog thread. It is removed
//! - when the `Testbed` is dropped, which also happens while a failing test
//!   unwinds from a panic;
//! - when the watchdog's deadline passes (a hung test): it removes everything
//!   and aborts the test process with a message;
//! - when a later `Testbed` starts and finds namespaces left by a test process
//!   that no longer exists (one killed with SIGKILL, where nothing can run).
//!
//! Processes are stopped by PID: first those the test spawned (SIGTERM, then
//! SIGKILL after a grace period), then any process still inside one of the
//! test's namespaces (daemons that forked away from their parent, like
//! `dhclient`). Nothing outside the test's namespaces is touched.
//!
//! # Real servers
//!
//! [`freeradius`] writes a private FreeRADIUS configuration and runs the
//! server, for tests and labs that need a real RADIUS peer.
//!
//! # Processes' CPU time
//!
//! [`procstat`] reads `/proc/PID/stat` (state, utime, stime) for the
//! benchmarks' CPU figures and for "has it ended" checks.
//!
//! # Root
//!
//! Namespaces need root. Without it [`Testbed::new`] prints a `SKIP` line and
//! returns `None`; with the environment variable `CI` or `TESTBED_REQUIRED`
//! set it panics instead, so a CI run can never pass by skipping.
//!
//! Every other test of the workspace that cannot run somewhere (a missing
//! tool, no root) says so through [`skip`], which does the same: a `SKIP`
//! line for a person, a failure under CI.

mod capture;
pub mod freeradius;
mod process;
pub mod procstat;
mod registry;

use std::io;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use capture::{Capture, Pcap};
pub use process::Process;
use registry::Registry;

/// How long a test may hold a testbed before the watchdog removes it and
/// aborts, unless [`Testbed::with_deadline`] says otherwise.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(300);

/// A network namespace made by a [`Testbed`]; its name is unique to the test
/// process (`tb<pid>x<n>`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Netns {
    name: String,
}

impl Netns {
    /// The namespace's name, for `ip netns exec NAME ...`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A namespace made elsewhere (by a lab script, say), to run processes
    /// or captures in. The testbed stops what it starts there, but does not
    /// delete the namespace.
    pub fn existing(name: &str) -> Netns {
        Netns {
            name: name.to_owned(),
        }
    }

    /// Runs `f` inside this namespace; see [`in_namespace`].
    pub fn enter<T: Send>(&self, f: impl FnOnce() -> T + Send) -> io::Result<T> {
        in_namespace(&self.name, f)
    }
}

/// Runs `f` on a thread that has joined the named network namespace (one
/// made by a [`Testbed`] or by a script), and returns its result. Sockets
/// opened inside `f` stay in that namespace after it returns, so a test can
/// drive a socket in a namespace from its own thread.
pub fn in_namespace<T: Send>(name: &str, f: impl FnOnce() -> T + Send) -> io::Result<T> {
    let file = std::fs::File::open(format!("/var/run/netns/{name}"))
        .map_err(|e| annotate(e, &format!("namespace {name}")))?;
    std::thread::scope(|s| {
        s.spawn(move || {
            nix::sched::setns(&file, nix::sched::CloneFlags::CLONE_NEWNET)
                .map_err(io::Error::from)?;
            Ok(f())
        })
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// The namespaces, veth pairs, processes and captures of one test.
pub struct Testbed {
    registry: Arc<Mutex<Registry>>,
    dir: tempfile::TempDir,
    tag: String,
}

/// Whether this run must not skip anything: `CI` is set (and neither empty
/// nor `false`), or `TESTBED_REQUIRED` is set.
pub fn required() -> bool {
    required_by(
        std::env::var_os("CI").as_deref(),
        std::env::var_os("TESTBED_REQUIRED").as_deref(),
    )
}

fn required_by(ci: Option<&std::ffi::OsStr>, testbed_required: Option<&std::ffi::OsStr>) -> bool {
    ci.is_some_and(|v| !v.is_empty() && v != "false") || testbed_required.is_some()
}

/// `test` cannot run here because of `why`: under CI ([`required`]) that
/// is a failure (a panic naming both); otherwise a `SKIP test: why` line on
/// stderr, and the caller returns.
#[track_caller]
pub fn skip(test: &str, why: &str) {
    assert!(
        !required(),
        "{test} cannot run: {why}; CI/TESTBED_REQUIRED says it must run"
    );
    eprintln!("SKIP {test}: {why}");
}

impl Testbed {
    /// A testbed with the default deadline, or `None` (after printing why)
    /// when the process is not root and no CI variable demands the test run.
    ///
    /// `label` names the test in messages.
    pub fn new(label: &str) -> Option<Testbed> {
        Testbed::with_deadline(label, DEFAULT_DEADLINE)
    }

    /// Like [`Testbed::new`], with the watchdog's deadline set to `deadline`.
    pub fn with_deadline(label: &str, deadline: Duration) -> Option<Testbed> {
        if !nix::unistd::geteuid().is_root() {
            skip(
                &format!("testbed `{label}`"),
                "not root, network namespaces need root",
            );
            return None;
        }
        registry::sweep_stale();
        let registry = Arc::new(Mutex::new(Registry::default()));
        registry::start_watchdog(Arc::clone(&registry), label.to_owned(), deadline);
        let dir = tempfile::Builder::new()
            .prefix(&format!("testbed-{label}-"))
            .tempdir()
            .expect("testbed: cannot create a temporary directory");
        Some(Testbed {
            registry,
            dir,
            tag: label.to_owned(),
        })
    }

    /// A scratch directory for config files, leases and captures; removed
    /// with the testbed.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Makes a new namespace with its loopback up. `hint` is only for
    /// messages; the real name is unique to this test process.
    pub fn namespace(&mut self, hint: &str) -> io::Result<Netns> {
        // Unique across every testbed of this process (tests run in parallel).
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "{}{}",
            registry::ns_prefix(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        // Record before creating, so a failure half-way is still cleaned up.
        self.lock().namespaces.push(name.clone());
        run(Command::new("ip").args(["netns", "add", &name]))
            .map_err(|e| annotate(e, &format!("{}: namespace `{hint}`", self.tag)))?;
        run(Command::new("ip").args(["-n", &name, "link", "set", "lo", "up"]))?;
        Ok(Netns { name })
    }

    /// Joins two namespaces with a veth pair, `a.1` in `a.0` and `b.1` in
    /// `b.0`, both set up. Interface names are at most 15 bytes.
    pub fn veth(&mut self, a: (&Netns, &str), b: (&Netns, &str)) -> io::Result<()> {
        // Both ends are created directly inside their namespaces, so no name
        // is ever taken in the host's namespace.
        run(Command::new("ip").args([
            "link", "add", a.1, "netns", &a.0.name, "type", "veth", "peer", "name", b.1, "netns",
            &b.0.name,
        ]))?;
        self.link_up(a.0, a.1)?;
        self.link_up(b.0, b.1)
    }

    /// Sets an interface up.
    pub fn link_up(&self, ns: &Netns, ifname: &str) -> io::Result<()> {
        run(Command::new("ip").args(["-n", &ns.name, "link", "set", ifname, "up"]))
    }

    /// Adds an address in CIDR form; IPv6 addresses skip duplicate address
    /// detection so they are usable at once.
    pub fn addr(&self, ns: &Netns, ifname: &str, cidr: &str) -> io::Result<()> {
        let mut args = vec!["-n", &ns.name, "addr", "add", cidr, "dev", ifname];
        if cidr.contains(':') {
            args.push("nodad");
        }
        run(Command::new("ip").args(args))
    }

    /// Runs `ip -n NS ARGS...` (routes, link settings), failing on a non-zero exit.
    pub fn ip(&self, ns: &Netns, args: &[&str]) -> io::Result<()> {
        run(Command::new("ip").args(["-n", &ns.name]).args(args))
    }

    /// Runs a command inside `ns` to completion, killing it if it outlives
    /// `timeout`. Fails on a non-zero exit, with its stderr in the error.
    pub fn exec(&self, ns: &Netns, argv: &[&str], timeout: Duration) -> io::Result<String> {
        let mut p = self.spawn(ns, argv)?;
        let status = p.wait_timeout(timeout)?;
        let (stdout, stderr) = p.output();
        match status {
            Some(s) if s.success() => Ok(stdout),
            Some(s) => Err(io::Error::other(format!(
                "`{}` in {} exited with {s}: {stderr}",
                argv.join(" "),
                ns.name
            ))),
            None => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("`{}` in {} ran past {timeout:?}", argv.join(" "), ns.name),
            )),
        }
    }

    /// Sets kernel parameters inside `ns` (`sysctl -qw`), each
    /// `"key=value"`, e.g. `"net.ipv4.ip_forward=1"`.
    pub fn sysctl(&self, ns: &Netns, settings: &[&str]) -> io::Result<()> {
        let argv = [&["sysctl", "-qw"][..], settings].concat();
        self.exec(ns, &argv, Duration::from_secs(5)).map(drop)
    }

    /// Starts a long-running command inside `ns`. It is stopped by PID when
    /// the returned [`Process`] or the testbed is dropped, whichever is first.
    pub fn spawn(&self, ns: &Netns, argv: &[&str]) -> io::Result<Process> {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &ns.name]).args(argv);
        Process::start(cmd, argv, Arc::clone(&self.registry), self.dir.path())
    }

    /// Waits until a TCP socket in `ns` listens on `addr` (as `ss -ltn`
    /// shows it: `203.0.113.2:5201`, `[2001:db8::1]:80`, `*:5201`), e.g. a
    /// server the test just started; fails after `timeout`.
    pub fn wait_listening(&self, ns: &Netns, addr: &str, timeout: Duration) -> io::Result<()> {
        let end = std::time::Instant::now() + timeout;
        loop {
            let table = self.exec(ns, &["ss", "-Hltn"], Duration::from_secs(5))?;
            if listening(&table, addr) {
                return Ok(());
            }
            if std::time::Instant::now() >= end {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "nothing listens on TCP {addr} in {} after {timeout:?}:\n{table}",
                        ns.name
                    ),
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts `tcpdump` on `ifname` inside `ns`, writing a pcap into the
    /// testbed's directory; returns once tcpdump is listening.
    pub fn capture(&self, ns: &Netns, ifname: &str) -> io::Result<Capture> {
        Capture::start(self, ns, ifname)
    }

    /// The interfaces, addresses and links of a namespace (for messages).
    pub fn describe(&self, ns: &Netns) -> String {
        Command::new("ip")
            .args(["-n", &ns.name, "addr"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Registry> {
        // A panic while holding the lock leaves the data valid (plain lists).
        self.registry.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Testbed {
    fn drop(&mut self) {
        self.lock().teardown();
    }
}

/// Whether `ss -Hltn` output lists a listener on `addr` (its fourth column).
fn listening(table: &str, addr: &str) -> bool {
    table
        .lines()
        .any(|l| l.split_whitespace().nth(3) == Some(addr))
}

/// Runs a short host command (bounded by the tools themselves: `ip` does not
/// block), failing with its stderr on a non-zero exit.
fn run(cmd: &mut Command) -> io::Result<()> {
    let out = cmd.output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "{:?} failed: {}",
            cmd,
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

fn annotate(e: io::Error, what: &str) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn a_listener_is_found_by_its_local_address() {
        let table = "LISTEN 0      4096   203.0.113.2:5201      0.0.0.0:*\n\
                     LISTEN 0      5            [::]:80           [::]:*\n";
        assert!(listening(table, "203.0.113.2:5201"));
        assert!(listening(table, "[::]:80"));
        assert!(!listening(table, "203.0.113.2:520"));
        assert!(!listening(table, "0.0.0.0:*"));
        assert!(!listening("", "203.0.113.2:5201"));
    }

    #[test]
    fn ci_means_set_and_not_false() {
        let v = |s: &'static str| Some(OsStr::new(s));
        assert!(required_by(v("true"), None));
        assert!(required_by(v("1"), None));
        assert!(!required_by(v(""), None));
        assert!(!required_by(v("false"), None));
        assert!(!required_by(None, None));
        assert!(required_by(None, v("")));
        assert!(required_by(v("false"), v("1")));
    }

    #[test]
    fn skip_fails_when_required() {
        // This test process's own setting decides what skip must do.
        let outcome = std::panic::catch_unwind(|| skip("a test", "no tool"));
        assert_eq!(outcome.is_err(), required());
    }
}
