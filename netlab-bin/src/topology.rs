//! The lab's namespaces, links, configs and daemons: `up` builds them,
//! `down` removes them (and only what the lab itself started).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use std::os::unix::process::CommandExt;

use crate::host::{exec_ok, ip, wait_for};

/// The four namespaces.
pub const INTERNET: &str = "netlab-internet";
/// The ISP: bng (and FreeRADIUS).
pub const ISP: &str = "netlab-isp";
/// The home router.
pub const CPE: &str = "netlab-cpe";
/// A LAN host.
pub const LAN: &str = "netlab-lan";

/// The internet host's address (web and iperf3 server).
pub const INTERNET_HOST: &str = "198.51.100.2";
/// The ISP's upstream address, and the bng's IPCP address.
pub const ISP_UPLINK: &str = "198.51.100.1";
/// The bng's own IPCP address.
pub const BNG_LOCAL: &str = "192.0.2.1";
/// The pool the bng hands out (first, last).
pub const POOL: (&str, &str) = ("192.0.2.10", "192.0.2.250");
/// The address FreeRADIUS gives the lab user (Framed-IP-Address).
pub const RADIUS_ADDRESS: &str = "192.0.2.77";
/// The router's LAN address and the DHCP range.
pub const LAN_ROUTER: &str = "203.0.113.1";
/// The lab's PPPoE user.
pub const USER: &str = "alice";
const PASSWORD: &str = "wonderland";
/// The user's speed limit each way, kbit/s.
pub const SPEED_LIMIT_KBPS: u64 = 20_000;
/// The bng's Interim-Update interval in the lab, seconds.
pub const INTERIM_SECS: u64 = 5;
/// RFC 5176 listener of the bng, inside the ISP namespace.
pub const COA: &str = "127.0.0.1:3799";
/// Its shared secret.
pub const COA_SECRET: &str = "netlab-coa";
const RADIUS_SECRET: &str = "netlab-radius";
/// Size of the file the checks download.
pub const BIG_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// The daemons, in start order (stopped in reverse).
const DAEMONS: &[&str] = &["http", "iperf3", "radius", "bng", "router", "dhclient"];

/// A lab rooted at a state directory.
#[derive(Debug)]
pub struct Lab {
    dir: PathBuf,
}

impl Lab {
    /// The lab whose files live under `dir`.
    pub fn new(dir: PathBuf) -> Lab {
        Lab { dir }
    }

    /// A file of the lab.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Whether the lab is up: the bng it started and every namespace.
    pub fn is_up(&self) -> bool {
        self.path("pids/bng").exists()
            && [INTERNET, ISP, CPE, LAN]
                .iter()
                .all(|ns| Path::new("/run/netns").join(ns).exists())
    }

    /// Whether `up` was given `--radius`.
    pub fn radius(&self) -> bool {
        self.path("radius-mode").exists()
    }

    /// The built `router`/`bng` binary beside this one.
    pub fn binary(name: &str) -> io::Result<PathBuf> {
        let me = std::env::current_exe()?;
        let p = me.with_file_name(name);
        if p.exists() {
            Ok(p)
        } else {
            Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "{} not found: build all three with `cargo build --release -p router-bin -p netlab-bin` (or run `./netlab`)",
                    p.display()
                ),
            ))
        }
    }

    /// Builds the namespaces and starts the daemons.
    pub fn up(&self, radius: bool) -> io::Result<()> {
        if Path::new("/run/netns").join(ISP).exists() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "the lab is already up: run `netlab down` first",
            ));
        }
        let (router, bng) = (Self::binary("router")?, Self::binary("bng")?);
        for sub in ["logs", "pids", "www", "cpe-state"] {
            fs::create_dir_all(self.dir.join(sub))?;
        }
        let _ = fs::remove_file(self.path("radius-mode"));
        if radius {
            fs::write(self.path("radius-mode"), "")?;
        }
        self.links()?;
        self.internet()?;
        if radius {
            crate::radius::configure(&self.path("raddb"), RADIUS_SECRET, &self.radius_users())?;
            let raddb = self.s("raddb");
            self.spawn(
                "radius",
                ISP,
                &["freeradius", "-f", "-l", "stdout", "-d", &raddb],
            )?;
            crate::radius::wait_ready(&self.path("logs/radius.log"))?;
        }
        fs::write(self.path("bng.toml"), self.bng_config(radius))?;
        self.spawn(
            "bng",
            ISP,
            &[
                bng.to_str().unwrap_or("bng"),
                "--config",
                &self.s("bng.toml"),
            ],
        )?;
        let sock = self.path("bng.sock");
        wait_for(Duration::from_secs(10), || sock.exists().then_some(())).ok_or_else(|| {
            io::Error::other(format!("bng did not start: see {}", self.s("logs/bng.log")))
        })?;
        fs::write(self.path("router.toml"), self.router_config())?;
        self.spawn(
            "router",
            CPE,
            &[
                router.to_str().unwrap_or("router"),
                "--config",
                &self.s("router.toml"),
            ],
        )?;
        self.dhclient()?;
        println!(
            "netlab: up ({}); logs in {}",
            if radius { "RADIUS" } else { "local users" },
            self.s("logs")
        );
        Ok(())
    }

    /// A file of the lab, as a string for a command line.
    pub fn s(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }

    /// Namespaces, veth pairs, addresses, forwarding.
    fn links(&self) -> io::Result<()> {
        for ns in [INTERNET, ISP, CPE, LAN] {
            ip(&["netns", "add", ns])?;
            ip(&["-n", ns, "link", "set", "lo", "up"])?;
        }
        let pairs = [
            (INTERNET, "eth0", ISP, "up0"),
            (ISP, "acc0", CPE, "wan0"),
            (CPE, "lan0", LAN, "eth0"),
        ];
        for (a, an, b, bn) in pairs {
            ip(&[
                "link", "add", "name", an, "netns", a, "type", "veth", "peer", "name", bn, "netns",
                b,
            ])?;
            ip(&["-n", a, "link", "set", an, "up"])?;
            ip(&["-n", b, "link", "set", bn, "up"])?;
        }
        ip(&[
            "-n",
            INTERNET,
            "addr",
            "add",
            &format!("{INTERNET_HOST}/24"),
            "dev",
            "eth0",
        ])?;
        ip(&[
            "-n",
            INTERNET,
            "route",
            "add",
            "192.0.2.0/24",
            "via",
            ISP_UPLINK,
        ])?;
        ip(&[
            "-n",
            ISP,
            "addr",
            "add",
            &format!("{ISP_UPLINK}/24"),
            "dev",
            "up0",
        ])?;
        exec_ok(
            ISP,
            &["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"],
            Duration::from_secs(5),
        )?;
        // The ISP drops ICMP fragmentation-needed, as many networks do: the
        // 10 MiB transfer then works only because the router clamps the
        // TCP MSS to the 1492-byte PPPoE path (no PMTUD to fall back on).
        exec_ok(
            ISP,
            &[
                "nft",
                "add table ip netlab; add chain ip netlab forward { type filter hook forward priority 0; }; \
               add rule ip netlab forward icmp type destination-unreachable icmp code frag-needed drop",
            ],
            Duration::from_secs(5),
        )?;
        Ok(())
    }

    /// The internet host: a web server with a 10 MiB file, an iperf3 server.
    fn internet(&self) -> io::Result<()> {
        let www = self.path("www");
        fs::write(www.join("index.html"), "<h1>netlab internet host</h1>\n")?;
        // Not compressible, so no layer can shortcut the transfer.
        let mut big = vec![0u8; BIG_FILE_BYTES as usize];
        pseudo_random(&mut big);
        fs::write(www.join("10M.bin"), big)?;
        self.spawn(
            "http",
            INTERNET,
            &[
                "python3",
                "-m",
                "http.server",
                "80",
                "--bind",
                INTERNET_HOST,
                "--directory",
                &www.display().to_string(),
            ],
        )?;
        self.spawn("iperf3", INTERNET, &["iperf3", "-s", "-B", INTERNET_HOST])?;
        Ok(())
    }

    fn bng_config(&self, radius: bool) -> String {
        let mut c = format!(
            "interface = \"acc0\"\ntun = \"bng0\"\nac_name = \"netlab-bng\"\nmax_sessions = 64\n\
             ipv6cp = true\ninterim_interval = {INTERIM_SECS}\ncontrol_socket = \"{}\"\n\n\
             [lcp]\necho_interval = 5\necho_failure = 3\n\n\
             [pool]\nfirst = \"{}\"\nlast = \"{}\"\nlocal = \"{BNG_LOCAL}\"\ndns = [\"198.51.100.53\", \"198.51.100.54\"]\n\n\
             [coa]\nlisten = \"{COA}\"\nsecret = \"{COA_SECRET}\"\nclients = [\"127.0.0.1\"]\n",
            self.s("bng.sock"),
            POOL.0,
            POOL.1,
        );
        if radius {
            c += &format!(
                "\n[radius]\nnas_identifier = \"netlab-bng\"\nnas_ip = \"127.0.0.1\"\ntimeout_ms = 1000\nretries = 3\n\n\
                 [[radius.servers]]\nauth = \"127.0.0.1:1812\"\nacct = \"127.0.0.1:1813\"\nsecret = \"{RADIUS_SECRET}\"\n"
            );
        } else {
            c += &format!(
                "\n[[users]]\nname = \"{USER}\"\npassword = \"{PASSWORD}\"\n\
                 upstream_kbps = {SPEED_LIMIT_KBPS}\ndownstream_kbps = {SPEED_LIMIT_KBPS}\n"
            );
        }
        c
    }

    /// The FreeRADIUS users file: the lab user with a fixed address and
    /// the speed limits; everyone else rejected.
    fn radius_users(&self) -> String {
        format!(
            "{USER}\tCleartext-Password := \"{PASSWORD}\"\n\tFramed-IP-Address = {RADIUS_ADDRESS},\n\
             \tRP-Upstream-Speed-Limit = {SPEED_LIMIT_KBPS},\n\tRP-Downstream-Speed-Limit = {SPEED_LIMIT_KBPS},\n\
             \tMessage-Authenticator = 0x00\n\n\
             DEFAULT\tAuth-Type := Reject\n\tReply-Message = \"unknown user\",\n\tMessage-Authenticator = 0x00\n"
        )
    }

    fn router_config(&self) -> String {
        format!(
            "state_dir = \"{}\"\nnat = true\n\n\
             [wan]\ninterface = \"wan0\"\nuser = \"{USER}\"\npassword = \"{PASSWORD}\"\nppp_interface = \"ppp0\"\n\
             ipv6 = true\nlcp_echo_interval = 5\nlcp_echo_failure = 3\nreconnect_min = 1\nreconnect_max = 10\n\n\
             [lan]\ninterface = \"lan0\"\naddress = \"{LAN_ROUTER}/24\"\n\n\
             [dhcp]\nenabled = true\nrange = [\"203.0.113.100\", \"203.0.113.199\"]\nlease_time = 600\n",
            self.s("cpe-state")
        )
    }

    /// dhclient on the LAN host, with a script that sets only the address
    /// and default route (never the machine's resolv.conf).
    fn dhclient(&self) -> io::Result<()> {
        let script = self.path("dhclient-script");
        fs::write(
            &script,
            format!(
                "#!/bin/sh\necho \"$reason $new_ip_address $new_routers\" >> {}\n\
                 case \"$reason\" in\n\
                 BOUND|RENEW|REBIND|REBOOT)\n  ip addr replace \"$new_ip_address/24\" dev \"$interface\"\n  \
                 ip route replace default via \"$new_routers\" dev \"$interface\" ;;\n\
                 EXPIRE|RELEASE|STOP|FAIL)\n  [ -n \"$old_ip_address\" ] && ip addr del \"$old_ip_address/24\" dev \"$interface\" ;;\n\
                 esac\nexit 0\n",
                self.s("logs/dhclient-events")
            ),
        )?;
        fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
        fs::write(
            self.path("dhclient.conf"),
            "request subnet-mask, routers, domain-name-servers;\n",
        )?;
        self.spawn(
            "dhclient",
            LAN,
            &[
                "dhclient",
                "-4",
                "-d",
                "-v",
                "-cf",
                &self.s("dhclient.conf"),
                "-sf",
                &self.s("dhclient-script"),
                "-lf",
                &self.s("dhclient.leases"),
                "-pf",
                &self.s("dhclient.pid"),
                "eth0",
            ],
        )
    }

    /// Starts a daemon in `ns` in its own process group (it outlives this
    /// command), logging to `logs/<name>.log`, its pid in `pids/<name>`.
    fn spawn(&self, name: &str, ns: &str, argv: &[&str]) -> io::Result<()> {
        let log = fs::File::create(self.path(&format!("logs/{name}.log")))?;
        let child = daemon_command(ns, argv)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .process_group(0)
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("starting {name}: {e}")))?;
        // `ip netns exec` execs the program: this pid is the daemon's.
        fs::write(
            self.path(&format!("pids/{name}")),
            format!("{} {}\n", child.id(), argv[0]),
        )
    }

    /// Stops the daemons (SIGTERM, then SIGKILL after 5 s) and removes the
    /// namespaces. Safe to run at any time. What it did, one line each
    /// (none: nothing was up).
    pub fn down(&self) -> io::Result<Vec<String>> {
        let mut done = self.stop_daemons();
        for ns in [LAN, CPE, ISP, INTERNET] {
            if Path::new("/run/netns").join(ns).exists() {
                ip(&["netns", "del", ns])?;
                done.push(format!("removed namespace {ns}"));
            }
        }
        Ok(done)
    }

    /// Stops the daemons whose pid files are in `pids/`; what it did.
    fn stop_daemons(&self) -> Vec<String> {
        let mut done = Vec::new();
        for name in DAEMONS.iter().rev() {
            let pid_file = self.path(&format!("pids/{name}"));
            let Ok(text) = fs::read_to_string(&pid_file) else {
                continue;
            };
            if let Some((pid, program)) = text.trim().split_once(' ') {
                done.push(if stop(pid, program) {
                    format!("stopped {name} (pid {pid})")
                } else {
                    format!("{name} (pid {pid}) had already exited")
                });
            }
            let _ = fs::remove_file(pid_file);
        }
        done
    }

    /// Prints the tail of every daemon log (after a failure).
    pub fn dump_logs(&self) {
        for name in DAEMONS {
            if let Ok(text) = fs::read_to_string(self.path(&format!("logs/{name}.log"))) {
                let lines: Vec<&str> = text.lines().collect();
                let tail = &lines[lines.len().saturating_sub(40)..];
                eprintln!(
                    "---- {name}.log (last {} lines)\n{}",
                    tail.len(),
                    tail.join("\n")
                );
            }
        }
    }
}

/// `ip netns exec NS ARGV...` for a daemon. The lab's environment's
/// `RUST_LOG`, if any, is not passed on: the daemons' own default filter
/// (which silences netlink_packet_route's warnings about attributes of
/// newer kernels) applies.
fn daemon_command(ns: &str, argv: &[&str]) -> Command {
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", ns])
        .args(argv)
        .env_remove("RUST_LOG");
    cmd
}

/// Stops `pid` if it is still the program the lab started (a recycled pid
/// belongs to someone else and is left alone); whether it was running.
fn stop(pid: &str, program: &str) -> bool {
    let base = Path::new(program)
        .file_name()
        .and_then(|s| s.to_str())
        .unwrap_or(program);
    let ours = || {
        fs::read(format!("/proc/{pid}/cmdline"))
            .is_ok_and(|c| String::from_utf8_lossy(&c).contains(base))
    };
    if !ours() {
        return false;
    }
    let _ = Command::new("kill").args(["-TERM", pid]).status();
    if wait_for(Duration::from_secs(5), || (!ours()).then_some(())).is_none() {
        let _ = Command::new("kill").args(["-KILL", pid]).status();
    }
    true
}

/// Fills `buf` with a xorshift64 stream: incompressible enough that no
/// layer can shortcut the transfer, and the same on every run.
fn pseudo_random(buf: &mut [u8]) {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for chunk in buf.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daemons_get_their_own_log_filter() {
        let cmd = daemon_command(ISP, &["bng", "--config", "x"]);
        let rust_log: Vec<_> = cmd
            .get_envs()
            .filter(|(k, _)| *k == "RUST_LOG")
            .map(|(_, v)| v)
            .collect();
        assert_eq!(rust_log, [None], "RUST_LOG is removed, not set");
    }

    #[test]
    fn stopping_says_what_was_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let lab = Lab::new(dir.path().to_owned());
        assert!(lab.stop_daemons().is_empty(), "nothing was up");
        fs::create_dir_all(lab.path("pids")).unwrap();
        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        let pid = child.id();
        // Until it has exec'd, the child's cmdline is still this test's.
        let execd = || {
            fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains("sleep"))
        };
        wait_for(Duration::from_secs(5), || execd().then_some(())).unwrap();
        fs::write(lab.path("pids/iperf3"), format!("{pid} sleep\n")).unwrap();
        // A pid file whose process is gone (pid 0 is never a process's).
        fs::write(lab.path("pids/http"), "0 python3\n").unwrap();
        assert_eq!(
            lab.stop_daemons(),
            [
                format!("stopped iperf3 (pid {pid})"),
                "http (pid 0) had already exited".to_owned()
            ]
        );
        assert!(child.wait().is_ok());
        assert!(!lab.path("pids/iperf3").exists());
    }
}
