//! What netlab needs from the machine: root, Debian packages, and commands
//! run inside the lab's namespaces.

use std::io;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The Debian packages the lab runs (besides our own binaries).
const PACKAGES: &[&str] = &[
    "iproute2",
    "iputils-ping",
    "nftables",
    "isc-dhcp-client",
    "iperf3",
    "curl",
    "python3",
    "freeradius",
    "freeradius-utils",
    "unbound",
    "bind9-dnsutils",
];

/// Fails with an actionable message unless the effective user is root.
pub fn require_root() -> io::Result<()> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let euid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("");
    if euid == "0" {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "must run as root: it creates network namespaces, veth pairs and TUN devices \
             (try: sudo netlab ...)",
        ))
    }
}

/// Installs the missing Debian packages with apt-get (a fresh machine has
/// none of them); elsewhere, names what is missing.
pub fn install_packages() -> io::Result<()> {
    let missing: Vec<&str> = PACKAGES
        .iter()
        .copied()
        .filter(|p| {
            !Command::new("dpkg-query")
                .args(["-W", "-f=${Status}", p])
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if Command::new("apt-get").arg("--version").output().is_err() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "not a Debian machine; install these first: {}",
                missing.join(" ")
            ),
        ));
    }
    println!(
        "netlab: installing the Debian packages the lab needs: {}",
        missing.join(" ")
    );
    run_shown(Command::new("apt-get").args(["update", "-q"]))?;
    // apt's own summary (what it installs, how much it downloads) and its
    // progress lines are shown as they come.
    run_shown(
        Command::new("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "-q", "-o", "DPkg::Lock::Timeout=600"])
            .args(&missing),
    )
}

/// Runs `cmd` with its output on ours; fails on a non-zero exit.
fn run_shown(cmd: &mut Command) -> io::Result<()> {
    let status = cmd.stdin(Stdio::null()).status()?;
    if status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!("{cmd:?} failed ({status})")))
    }
}

/// Runs `argv` in namespace `ns` (via `ip netns exec`), killing it after
/// `timeout`.
pub fn exec(ns: &str, argv: &[&str], timeout: Duration) -> io::Result<Output> {
    let mut child = Command::new("ip")
        .args(["netns", "exec", ns])
        .args(argv)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let end = Instant::now() + timeout;
    loop {
        if child.try_wait()?.is_some() {
            return child.wait_with_output();
        }
        if Instant::now() >= end {
            let _ = child.kill();
            let out = child.wait_with_output()?;
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "`{}` in {ns} still running after {timeout:?}: {}",
                    argv.join(" "),
                    String::from_utf8_lossy(&out.stderr)
                ),
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// [`exec`] that must succeed; its stdout.
pub fn exec_ok(ns: &str, argv: &[&str], timeout: Duration) -> io::Result<String> {
    let out = exec(ns, argv, timeout)?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(io::Error::other(format!(
            "`{}` in {ns} failed ({}): {}{}",
            argv.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )))
    }
}

/// `ip args...` on the host (outside any namespace), which must succeed.
pub fn ip(args: &[&str]) -> io::Result<()> {
    let out = Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "`ip {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// Polls `f` every 200 ms until it returns `Some`, for at most `timeout`.
pub fn wait_for<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let end = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() >= end {
            return None;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
