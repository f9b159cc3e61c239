//! What a testbed made, and how it is all removed.

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// Every namespace and process of one testbed, shared by the testbed and
/// its watchdog.
#[derive(Default)]
pub(crate) struct Registry {
    pub(crate) namespaces: Vec<String>,
    /// PIDs of processes the test spawned and has not reaped yet.
    pub(crate) pids: Vec<i32>,
    pub(crate) torn_down: bool,
}

/// Namespace names start with `tb<pid>x`, so a later run can tell whose they are.
pub(crate) fn ns_prefix() -> String {
    format!("tb{}x", std::process::id())
}

impl Registry {
    /// Stops every process and deletes every namespace. Idempotent.
    pub(crate) fn teardown(&mut self) {
        if self.torn_down {
            return;
        }
        self.torn_down = true;
        for pid in self.pids.drain(..).rev() {
            stop_pid(pid);
        }
        for ns in self.namespaces.drain(..).rev() {
            remove_namespace(&ns);
        }
    }
}

/// SIGTERM, a grace period, then SIGKILL. Only PIDs this test started (or
/// that run inside its own namespaces) ever reach here.
pub(crate) fn stop_pid(pid: i32) {
    let pid = Pid::from_raw(pid);
    if kill(pid, Signal::SIGTERM).is_err() {
        return; // already gone
    }
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        // Signal 0 probes for existence; a zombie still answers, but our own
        // children are reaped by `Process`, and others by init.
        if kill(pid, None).is_err() || is_zombie(pid) {
            return;
        }
        thread::sleep(Duration::from_millis(20));
    }
    let _ = kill(pid, Signal::SIGKILL);
}

fn is_zombie(pid: Pid) -> bool {
    u32::try_from(pid.as_raw()).is_ok_and(crate::procstat::has_ended)
}

/// Stops whatever still runs inside `ns` (forked daemons), then deletes it.
/// Its veth ends disappear with it.
fn remove_namespace(ns: &str) {
    if let Ok(out) = Command::new("ip").args(["netns", "pids", ns]).output() {
        for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
            if let Ok(pid) = pid.parse() {
                stop_pid(pid);
            }
        }
    }
    let _ = Command::new("ip").args(["netns", "del", ns]).status();
}

/// Removes namespaces left behind by test processes that no longer exist
/// (killed with SIGKILL, where no destructor could run).
pub(crate) fn sweep_stale() {
    let Ok(out) = Command::new("ip").args(["netns", "list"]).output() else {
        return;
    };
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let name = line.split_whitespace().next().unwrap_or("");
        let Some(owner) = name
            .strip_prefix("tb")
            .and_then(|rest| rest.split_once('x'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if owner != std::process::id() && !std::path::Path::new(&format!("/proc/{owner}")).exists()
        {
            eprintln!("testbed: removing namespace {name} left by dead test process {owner}");
            remove_namespace(name);
        }
    }
}

/// At `deadline`, if the testbed still exists, removes everything and aborts
/// the test process: a hung test must not leave namespaces or daemons behind.
pub(crate) fn start_watchdog(registry: Arc<Mutex<Registry>>, label: String, deadline: Duration) {
    let weak = Arc::downgrade(&registry);
    drop(registry);
    thread::spawn(move || {
        let end = Instant::now() + deadline;
        while Instant::now() < end {
            thread::sleep(Duration::from_millis(100));
            if weak.strong_count() == 0 {
                return; // the testbed was dropped normally
            }
        }
        let Some(registry) = weak.upgrade() else {
            return;
        };
        let mut reg = registry.lock().unwrap_or_else(|e| e.into_inner());
        if reg.torn_down {
            return;
        }
        eprintln!(
            "testbed `{label}`: deadline of {deadline:?} passed; removing everything and aborting"
        );
        reg.teardown();
        std::process::abort();
    });
}
