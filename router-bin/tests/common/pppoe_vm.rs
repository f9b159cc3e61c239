//! A real PPPoE access concentrator (rp-pppoe `pppoe-server` + pppd 2.4.9)
//! or a real pppd client, booted in a qemu VM bridged into a namespace by
//! the scripts of `../shared/peers/pppoe-vm/`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

/// One VM at a time per test binary: each takes a whole core under TCG.
static ONE_VM: Mutex<()> = Mutex::new(());

/// The lab scripts, beside the project (`../shared` of the repository root).
pub fn lab_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/peers/pppoe-vm")
}

/// Build output and per-VM run folders, under this package's target tmp dir.
fn lab_out() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("pppoe-vm")
}

fn script(name: &str) -> Command {
    let mut cmd = Command::new("bash");
    cmd.arg(lab_dir().join(name))
        .env("LAB_OUT", lab_out())
        .env("NO_PROBE", "1");
    cmd
}

fn run(mut cmd: Command, what: &str) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{text}",
        out.status
    );
    text
}

/// Builds the VM image once (the script installs its Debian packages).
fn ensure_built() {
    if lab_out().join("vmlinux").exists() && lab_out().join("initrd.cpio").exists() {
        return;
    }
    run(script("build.sh"), "pppoe-vm build.sh");
}

/// Which real implementation the VM runs.
pub enum Role<'a> {
    /// `run-ac.sh` with these extra arguments.
    AccessConcentrator(&'a [&'a str]),
    /// Nothing yet: the test starts our server, then [`Lab::run_client`].
    Client,
}

/// A namespace with a bridge, the VM's TAP on it, and `host0` (a veth end
/// on the bridge) for our side. Dropping it stops the VM by its PID file and
/// deletes the namespace.
pub struct Lab {
    tb: testbed::Testbed,
    netns: String,
    vm_name: &'static str,
    _serial: std::sync::MutexGuard<'static, ()>,
}

impl Lab {
    /// Starts the lab; `None` (after a SKIP line, or a panic under CI) when
    /// not root. Returns when the AC's pppoe-server listens.
    pub fn start(label: &str, role: Role<'_>) -> Option<Lab> {
        // The testbed's root check and CI policy, and its captures.
        let tb = testbed::Testbed::new(label)?;
        let serial = ONE_VM.lock().unwrap_or_else(|e| e.into_inner());
        ensure_built();
        let netns = format!("pvm{}", std::process::id());
        let lab = Lab {
            tb,
            netns,
            vm_name: "ac",
            _serial: serial,
        };
        let mut up = script("lab-net.sh");
        up.args([
            "up", "--netns", &lab.netns, "--bridge", "br-pppoe", "--veth", "host0",
        ]);
        run(up, "lab-net.sh up");
        match role {
            Role::AccessConcentrator(args) => {
                let mut ac = script("run-ac.sh");
                ac.args([
                    "--netns", &lab.netns, "--bridge", "br-pppoe", "--accel", "tcg",
                ])
                .args(args);
                run(ac, "run-ac.sh");
            }
            Role::Client => {}
        }
        Some(lab)
    }

    /// The namespace our side runs in (interface `host0`).
    pub fn netns(&self) -> &str {
        &self.netns
    }

    /// Starts tcpdump on our side of the bridge (`host0`).
    pub fn capture(&self) -> testbed::Capture {
        self.tb
            .capture(&testbed::Netns::existing(&self.netns), "host0")
            .expect("tcpdump on host0")
    }

    /// Runs a shell command inside the VM; its output.
    pub fn vm_exec(&self, command: &str) -> String {
        let mut cmd = script("vm-exec.sh");
        cmd.args([self.vm_name, command]);
        run(cmd, "vm-exec.sh")
    }

    /// Boots the real pppd client VM, which dials whatever AC answers on
    /// the bridge, pings its IPCP peer (IPv4) and link-local peer (IPv6),
    /// and hangs up. Returns whether it printed `LAB-RESULT PASS`, and its
    /// console.
    pub fn run_client(&mut self, args: &[&str]) -> (bool, String) {
        self.vm_name = "client";
        let mut cmd = script("run-client.sh");
        cmd.args([
            "--netns",
            &self.netns,
            "--bridge",
            "br-pppoe",
            "--accel",
            "tcg",
        ])
        .args(args);
        let ok = cmd.output().map(|o| o.status.success()).unwrap_or(false);
        (ok, self.console())
    }

    /// The VM's console so far (pppd's debug log goes there).
    pub fn console(&self) -> String {
        let path = lab_out().join("run").join(self.vm_name).join("console.log");
        String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
    }

    /// Waits until the console shows `needle`, up to `timeout`.
    pub fn wait_console(&self, needle: &str, timeout: Duration) -> bool {
        let end = std::time::Instant::now() + timeout;
        while std::time::Instant::now() < end {
            if self.console().contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for (script_name, vm) in [("run-ac.sh", "ac"), ("run-client.sh", "client")] {
            let mut stop = script(script_name);
            stop.args(["--stop", "--name", vm]);
            let _ = stop.output();
        }
        let mut down = script("lab-net.sh");
        down.args(["down", "--netns", &self.netns]);
        let _ = down.output();
    }
}
