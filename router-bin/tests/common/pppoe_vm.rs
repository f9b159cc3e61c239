//! A real PPPoE access concentrator (rp-pppoe `pppoe-server` + pppd 2.4.9)
//! or a real pppd client, booted in a qemu VM bridged into a namespace by
//! the scripts of `../shared/peers/pppoe-vm/`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

/// One VM at a time per test binary: each takes a whole core under TCG.
static ONE_VM: Mutex<()> = Mutex::new(());

/// How long a lab waits for another test process to finish with the VMs.
const LOCK_WAIT: Duration = Duration::from_secs(15 * 60);

/// `run-ac.sh` arguments for an AC that accepts alice/s3cret with CHAP.
pub const CHAP_ALICE: [&str; 6] = ["--auth", "chap", "--user", "alice", "--pass", "s3cret"];

/// The lab scripts, beside the project (`../shared` of the repository root).
pub fn lab_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/peers/pppoe-vm")
}

/// Build output and per-VM run folders, under this package's target tmp dir.
fn lab_out() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("pppoe-vm")
}

fn script(name: &str) -> Command {
    lab_command(Command::new("bash"), name, &lab_out())
}

/// `cmd` (a shell, possibly behind a wrapper) running lab script `name`
/// with the image and run folders under `out`.
fn lab_command(mut cmd: Command, name: &str, out: &Path) -> Command {
    cmd.arg(lab_dir().join(name))
        .env("LAB_OUT", out)
        .env("NO_PROBE", "1");
    cmd
}

/// An image folder beside the built one whose initrd also holds the files
/// under `extra` (a directory tree, packed as a second cpio archive, which
/// the kernel unpacks over the first): the same kernel, symlinked.
fn extended_image(label: &str, extra: &Path) -> PathBuf {
    let out = lab_out().join(format!("ext-{label}"));
    std::fs::create_dir_all(&out).unwrap();
    for f in ["vmlinux", "vmlinuz", "accel"] {
        let (from, to) = (lab_out().join(f), out.join(f));
        if from.exists() && !to.exists() {
            std::os::unix::fs::symlink(&from, &to).unwrap();
        }
    }
    let mut initrd = std::fs::read(lab_out().join("initrd.cpio")).unwrap();
    let cpio = Command::new("sh")
        .arg("-c")
        .arg("find . -mindepth 1 | cpio -o -H newc -R 0:0 --quiet")
        .current_dir(extra)
        .output()
        .expect("cpio");
    assert!(
        cpio.status.success(),
        "cpio: {}",
        String::from_utf8_lossy(&cpio.stderr)
    );
    initrd.extend_from_slice(&cpio.stdout);
    std::fs::write(out.join("initrd.cpio"), initrd).unwrap();
    out
}

/// Takes the exclusive lock of the lab's run folder (`run/.lock`, with
/// flock), so test processes running at once never share the VM folders
/// (`run/ac`, `run/client`) or the image build. Released when the returned
/// value is dropped (or the process dies).
fn lock_run_folder() -> Flock<File> {
    let run = lab_out().join("run");
    std::fs::create_dir_all(&run).unwrap_or_else(|e| panic!("{}: {e}", run.display()));
    let path = run.join(".lock");
    let mut file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let end = Instant::now() + LOCK_WAIT;
    let mut said = false;
    loop {
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(lock) => return lock,
            Err((f, Errno::EWOULDBLOCK)) => {
                assert!(
                    Instant::now() < end,
                    "another test process held {} for {LOCK_WAIT:?}",
                    path.display()
                );
                if !said {
                    eprintln!("waiting for another test process's VM ({})", path.display());
                    said = true;
                }
                std::thread::sleep(Duration::from_millis(500));
                file = f;
            }
            Err((_, e)) => panic!("flock {}: {e}", path.display()),
        }
    }
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
    /// The image and run folders (`LAB_OUT`).
    out: PathBuf,
    netns: String,
    vm_name: &'static str,
    // Dropped after `Drop::drop` has stopped the VM, in this order.
    _folder: Flock<File>,
    _serial: std::sync::MutexGuard<'static, ()>,
}

impl Lab {
    /// Starts the lab; `None` (after a SKIP line, or a panic under CI) when
    /// not root. Returns when the AC's pppoe-server listens.
    pub fn start(label: &str, role: Role<'_>) -> Option<Lab> {
        Lab::start_extended(label, role, None)
    }

    /// As [`Lab::start`], the VM's initrd also holding the files under
    /// `extra` (see `extended_image`).
    pub fn start_extended(label: &str, role: Role<'_>, extra: Option<&Path>) -> Option<Lab> {
        // Both locks before the testbed, whose watchdog deadline runs from
        // its creation.
        let serial = ONE_VM.lock().unwrap_or_else(|e| e.into_inner());
        let folder = lock_run_folder();
        // The testbed's root check and CI policy, and its captures.
        let tb = testbed::Testbed::new(label)?;
        ensure_built();
        let out = extra.map_or_else(lab_out, |e| extended_image(label, e));
        let netns = format!("pvm{}", std::process::id());
        let lab = Lab {
            tb,
            out,
            netns,
            vm_name: "ac",
            _folder: folder,
            _serial: serial,
        };
        let mut up = lab.script("lab-net.sh");
        up.args([
            "up", "--netns", &lab.netns, "--bridge", "br-pppoe", "--veth", "host0",
        ]);
        run(up, "lab-net.sh up");
        match role {
            Role::AccessConcentrator(args) => {
                let mut ac = lab.script("run-ac.sh");
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

    fn script(&self, name: &str) -> Command {
        lab_command(Command::new("bash"), name, &self.out)
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
        let mut cmd = self.script("vm-exec.sh");
        cmd.args([self.vm_name, command]);
        run(cmd, "vm-exec.sh")
    }

    /// Like [`Lab::vm_exec`], but bounded (the script gives up after
    /// `limit`, and is killed 10 s later: the FIFO console can block forever
    /// when the VM stalls), and a failure is returned, not a panic.
    pub fn vm_exec_bounded(&self, command: &str, limit: Duration) -> Result<String, String> {
        let secs = limit.as_secs().max(1);
        let mut timeout = Command::new("timeout");
        timeout.args(["-k", "5", &(secs + 10).to_string(), "bash"]);
        let mut cmd = lab_command(timeout, "vm-exec.sh", &self.out);
        cmd.args([self.vm_name, command, &secs.to_string()]);
        let out = cmd.output().map_err(|e| format!("vm-exec.sh: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        if out.status.success() {
            Ok(text)
        } else {
            Err(format!(
                "`{command}` in the VM failed ({}): {text}",
                out.status
            ))
        }
    }

    /// Boots the real pppd client VM, which dials whatever AC answers on
    /// the bridge, pings its IPCP peer (IPv4) and link-local peer (IPv6),
    /// and hangs up. Returns whether it printed `LAB-RESULT PASS`, and its
    /// console.
    pub fn run_client(&mut self, args: &[&str]) -> (bool, String) {
        self.vm_name = "client";
        let mut cmd = self.script("run-client.sh");
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
        let path = self.out.join("run").join(self.vm_name).join("console.log");
        String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
    }

    /// Waits until the console shows `needle`, up to `timeout`.
    pub fn wait_console(&self, needle: &str, timeout: Duration) -> bool {
        let end = Instant::now() + timeout;
        while Instant::now() < end {
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
            let mut stop = self.script(script_name);
            stop.args(["--stop", "--name", vm]);
            let _ = stop.output();
        }
        let mut down = self.script("lab-net.sh");
        down.args(["down", "--netns", &self.netns]);
        let _ = down.output();
    }
}
