//! The lab's namespaces, links, configs and daemons: `up` builds them,
//! `down` removes them (and only what the lab itself started).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use std::os::unix::process::CommandExt;

use crate::host::{ip, wait_for};

mod net;

/// The four namespaces.
pub const INTERNET: &str = "netlab-internet";
/// The ISP: bng (and FreeRADIUS).
pub const ISP: &str = "netlab-isp";
/// The home router.
pub const CPE: &str = "netlab-cpe";
/// A LAN host (dual-stack: DHCPv4 and SLAAC).
pub const LAN: &str = "netlab-lan";
/// The IPv6-only lab's second LAN host: IPv4 only (DHCPv4), IPv6 disabled.
pub const LAN4: &str = "netlab-lan4";

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
/// The user's speed limit each way, kbit/s.
pub const SPEED_LIMIT_KBPS: u64 = 20_000;
/// The bng's Interim-Update interval in the lab, seconds.
pub const INTERIM_SECS: u64 = 5;
/// RFC 5176 listener of the bng, inside the ISP namespace.
pub const COA: &str = "127.0.0.1:3799";
/// Its shared secret.
pub const COA_SECRET: &str = "netlab-coa";
/// Size of the file the checks download.
pub const BIG_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// The ISP's IPv6 address toward the internet host.
pub const ISP_UPLINK6: &str = "2001:db8:ffff::1";
/// The internet host's IPv6 address (the dual-stack web server, unbound).
pub const INTERNET_HOST6: &str = "2001:db8:ffff::2";
/// The bng's pool of delegated prefixes (/56 each).
pub const PD_POOL: &str = "2001:db8:100::/40";
/// The prefix the ISP delegates after it "renumbered" the lab user (a
/// user's ipv6_prefix in the bng's table).
pub const RENUMBERED: &str = "2001:db8:200:4400::/56";
/// The Delegated-IPv6-Prefix FreeRADIUS gives the lab user.
pub const RADIUS_PREFIX: &str = "2001:db8:300:1200::/56";
/// The one FreeRADIUS gives after the ISP "renumbered" the user.
pub const RADIUS_RENUMBERED: &str = "2001:db8:300:3400::/56";
/// The IPv6-only lab: the IPv4-only web server (an A record, no AAAA).
pub const V4ONLY_HOST: &str = "198.51.100.3";
/// The NAT64 prefix (network-specific: RFC 6052 §3.1 keeps the well-known
/// 64:ff9b::/96 away from documentation addresses such as the servers').
pub const NAT64_PREFIX: &str = "2001:db8:64::/96";
/// The PLAT's IPv4 pool4 address toward the internet.
pub const POOL4: &str = "203.0.113.254";
/// The ISP's resolver (dns64d) in the IPv6-only lab.
pub const DNS64: &str = "2001:db8:53::53";
/// The lab's DNS zone (unbound in the internet namespace).
pub const DOMAIN: &str = "netlab.example";

/// The daemons, in start order (stopped in reverse).
const DAEMONS: &[&str] = &[
    "http",
    "http6",
    "http4only",
    "iperf3",
    "unbound",
    "radius",
    "xlatd",
    "dns64d",
    "bng",
    "router",
    "dhclient",
    "dhclient4",
];

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

    /// Whether `up` was given `--ipv6-only`.
    pub fn ipv6_only(&self) -> bool {
        self.path("ipv6only-mode").exists()
    }

    /// Why the router runs without a CLAT, when it does (its build has no
    /// `[clat]` section).
    pub fn no_clat(&self) -> Option<String> {
        fs::read_to_string(self.path("no-clat")).ok()
    }

    /// The built `router`/`bng`/`xlatd`/`dns64d` binary beside this one.
    pub fn binary(name: &str) -> io::Result<PathBuf> {
        let me = std::env::current_exe()?;
        let p = me.with_file_name(name);
        if p.exists() {
            Ok(p)
        } else {
            Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "{} not found: build router, bng, xlatd, dns64d and netlab with `cargo build --release -p router-bin -p netlab-bin --bins` (or run `./netlab`)",
                    p.display()
                ),
            ))
        }
    }

    /// Builds the namespaces and starts the daemons: the dual-stack lab,
    /// or with `ipv6_only` the IPv6-only one (IPCP refused, NAT64 + DNS64
    /// at the ISP, an IPv4-only LAN host behind the router's CLAT).
    pub fn up(&self, radius: bool, ipv6_only: bool) -> io::Result<()> {
        if Path::new("/run/netns").join(ISP).exists() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "the lab is already up: run `netlab down` first",
            ));
        }
        // Both found before anything is built.
        let router = Self::binary("router")?;
        Self::binary("bng")?;
        for sub in ["logs", "pids", "www", "www4"] {
            fs::create_dir_all(self.dir.join(sub))?;
        }
        // A new lab starts without the delegations of the last one.
        let _ = fs::remove_dir_all(self.path("bng-state"));
        fs::create_dir_all(self.path("bng-state"))?;
        let _ = fs::remove_dir_all(self.path("cpe-state"));
        fs::create_dir_all(self.path("cpe-state"))?;
        for (flag, on) in [("radius-mode", radius), ("ipv6only-mode", ipv6_only)] {
            let _ = fs::remove_file(self.path(flag));
            if on {
                fs::write(self.path(flag), "")?;
            }
        }
        let _ = fs::remove_file(self.path("no-clat"));
        self.links(ipv6_only)?;
        self.internet(ipv6_only)?;
        if radius {
            crate::radius::configure(
                &self.path("raddb"),
                crate::configs::RADIUS_SECRET,
                &crate::configs::radius_users(RADIUS_PREFIX),
            )?;
            self.start_radius()?;
        }
        if ipv6_only {
            self.plat()?;
        }
        self.start_bng(None)?;
        self.start_router(&router, ipv6_only)?;
        self.dhclient("dhclient", LAN)?;
        if ipv6_only {
            self.dhclient("dhclient4", LAN4)?;
        }
        println!(
            "netlab: up ({}, {}); logs in {}",
            if ipv6_only { "IPv6-only" } else { "dual-stack" },
            if radius { "RADIUS" } else { "local users" },
            self.s("logs")
        );
        Ok(())
    }

    /// FreeRADIUS (its config written), until its log says it is ready.
    fn start_radius(&self) -> io::Result<()> {
        let raddb = self.s("raddb");
        self.spawn(
            "radius",
            ISP,
            &["freeradius", "-f", "-l", "stdout", "-d", &raddb],
        )?;
        crate::radius::wait_ready(&self.path("logs/radius.log"))
    }

    /// Writes `bng.toml` (with `user_prefix`: the ISP renumbered the local
    /// user) and starts the bng, until its control socket is there.
    fn start_bng(&self, user_prefix: Option<&str>) -> io::Result<()> {
        let bng = Self::binary("bng")?;
        let options = crate::configs::BngOptions {
            radius: self.radius(),
            ipv6_only: self.ipv6_only(),
            user_prefix,
        };
        let mut config = crate::configs::bng(&self.s("bng.sock"), &self.s("bng-state"), options);
        // The data path's upstream threads, for benchmarks
        // (bench/pppoe_datapath.sh); without it, the bng's default.
        if let Ok(w) = std::env::var("NETLAB_BNG_WORKERS") {
            let w: usize = w.parse().map_err(|_| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("NETLAB_BNG_WORKERS=`{w}`: a number of threads"),
                )
            })?;
            config += &format!("\n[datapath]\nworkers = {w}\n");
        }
        fs::write(self.path("bng.toml"), config)?;
        let sock = self.path("bng.sock");
        let _ = fs::remove_file(&sock);
        self.spawn(
            "bng",
            ISP,
            &[
                bng.to_str().unwrap_or("bng"),
                "--config",
                &self.s("bng.toml"),
            ],
        )?;
        wait_for(Duration::from_secs(10), || sock.exists().then_some(())).ok_or_else(|| {
            io::Error::other(format!("bng did not start: see {}", self.s("logs/bng.log")))
        })
    }

    /// The ISP reconfigured: it delegates the lab user another prefix
    /// (FreeRADIUS's users file, or the bng's users table), and the bng is
    /// restarted (its sessions end; the router dials again). The prefix now
    /// delegated.
    pub fn renumber(&self) -> io::Result<&'static str> {
        self.stop_daemon("bng");
        if self.radius() {
            self.stop_daemon("radius");
            fs::write(
                self.path("raddb/mods-config/files/authorize"),
                crate::configs::radius_users(RADIUS_RENUMBERED),
            )?;
            self.start_radius()?;
            self.start_bng(None)?;
            Ok(RADIUS_RENUMBERED)
        } else {
            self.start_bng(Some(RENUMBERED))?;
            Ok(RENUMBERED)
        }
    }

    /// Starts the router; in the IPv6-only lab with its CLAT, unless this
    /// build of the router does not know the `[clat]` section yet (then
    /// without, and `no-clat` says why).
    fn start_router(&self, router: &Path, ipv6_only: bool) -> io::Result<()> {
        let argv = [
            router.to_str().unwrap_or("router"),
            "--config",
            &self.s("router.toml"),
        ];
        // The data path's threads, for benchmarks (bench/pppoe_datapath.sh).
        let workers = match std::env::var("NETLAB_ROUTER_WORKERS") {
            Ok(w) => Some(w.parse().map_err(|_| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("NETLAB_ROUTER_WORKERS=`{w}`: a number of threads"),
                )
            })?),
            Err(_) => None,
        };
        let config = |clat| crate::configs::router(&self.s("cpe-state"), ipv6_only, clat, workers);
        fs::write(self.path("router.toml"), config(ipv6_only))?;
        self.spawn("router", CPE, &argv)?;
        if !ipv6_only {
            return Ok(());
        }
        let log = self.path("logs/router.log");
        let refused = wait_for(Duration::from_secs(2), || {
            let text = fs::read_to_string(&log).unwrap_or_default();
            text.contains("unknown field `clat`").then_some(())
        });
        if refused.is_some() {
            self.stop_daemon("router");
            fs::write(
                self.path("no-clat"),
                "this router build has no CLAT (its config refuses the [clat] section)",
            )?;
            fs::write(self.path("router.toml"), config(false))?;
            self.spawn("router", CPE, &argv)?;
        }
        Ok(())
    }

    /// A file of the lab, as a string for a command line.
    pub fn s(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }

    /// dhclient on the LAN host, with a script that sets only the address
    /// and default route (never the machine's resolv.conf).
    fn dhclient(&self, name: &str, ns: &str) -> io::Result<()> {
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
            name,
            ns,
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
                &self.s(&format!("{name}.leases")),
                "-pf",
                &self.s(&format!("{name}.pid")),
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
        for ns in [LAN4, LAN, CPE, ISP, INTERNET] {
            if Path::new("/run/netns").join(ns).exists() {
                ip(&["netns", "del", ns])?;
                done.push(format!("removed namespace {ns}"));
            }
        }
        Ok(done)
    }

    /// Stops the daemons whose pid files are in `pids/`; what it did.
    fn stop_daemons(&self) -> Vec<String> {
        DAEMONS
            .iter()
            .rev()
            .filter_map(|name| self.stop_daemon(name))
            .collect()
    }

    /// Stops daemon `name` if its pid file is there; what it did.
    fn stop_daemon(&self, name: &str) -> Option<String> {
        let pid_file = self.path(&format!("pids/{name}"));
        let text = fs::read_to_string(&pid_file).ok()?;
        let _ = fs::remove_file(pid_file);
        let (pid, program) = text.trim().split_once(' ')?;
        Some(if stop(pid, program) {
            format!("stopped {name} (pid {pid})")
        } else {
            format!("{name} (pid {pid}) had already exited")
        })
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
