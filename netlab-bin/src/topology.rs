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
        fs::write(
            self.path("bng.toml"),
            crate::configs::bng(&self.s("bng.sock"), &self.s("bng-state"), options),
        )?;
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
        let config = |clat| crate::configs::router(&self.s("cpe-state"), ipv6_only, clat);
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

    /// Namespaces, veth pairs, addresses, forwarding. The router's LAN is
    /// a bridge (`lan0`), so the IPv6-only lab can put a second host on it.
    fn links(&self, ipv6_only: bool) -> io::Result<()> {
        let mut namespaces = vec![INTERNET, ISP, CPE, LAN];
        if ipv6_only {
            namespaces.push(LAN4);
        }
        for ns in &namespaces {
            ip(&["netns", "add", ns])?;
            ip(&["-n", ns, "link", "set", "lo", "up"])?;
        }
        ip(&[
            "-n",
            CPE,
            "link",
            "add",
            "lan0",
            "type",
            "bridge",
            "mcast_snooping",
            "0",
        ])?;
        ip(&["-n", CPE, "link", "set", "lan0", "up"])?;
        let mut pairs = vec![
            (INTERNET, "eth0", ISP, "up0"),
            (ISP, "acc0", CPE, "wan0"),
            (CPE, "lan0p0", LAN, "eth0"),
        ];
        if ipv6_only {
            // No IPv6 at all on the legacy host: only the CLAT gets it out.
            exec_ok(
                LAN4,
                &[
                    "sysctl",
                    "-q",
                    "-w",
                    "net.ipv6.conf.all.disable_ipv6=1",
                    "net.ipv6.conf.default.disable_ipv6=1",
                ],
                Duration::from_secs(5),
            )?;
            pairs.push((CPE, "lan0p1", LAN4, "eth0"));
        }
        for (a, an, b, bn) in pairs {
            ip(&[
                "link", "add", "name", an, "netns", a, "type", "veth", "peer", "name", bn, "netns",
                b,
            ])?;
            if an.starts_with("lan0p") {
                ip(&["-n", a, "link", "set", an, "master", "lan0"])?;
            }
            ip(&["-n", a, "link", "set", an, "up"])?;
            ip(&["-n", b, "link", "set", bn, "up"])?;
        }
        let addrs = [
            (INTERNET, format!("{INTERNET_HOST}/24"), "eth0"),
            (INTERNET, format!("{INTERNET_HOST6}/64"), "eth0"),
            (ISP, format!("{ISP_UPLINK}/24"), "up0"),
            (ISP, format!("{ISP_UPLINK6}/64"), "up0"),
        ];
        for (ns, a, dev) in &addrs {
            ip(&["-n", ns, "addr", "add", a, "dev", dev, "nodad"])?;
        }
        // The internet reaches the subscribers' IPv4 (dual-stack) or the
        // PLAT's pool4 (IPv6-only), and the delegated prefixes.
        let v4 = if ipv6_only { POOL4 } else { "192.0.2.0/24" };
        ip(&["-n", INTERNET, "route", "add", v4, "via", ISP_UPLINK])?;
        for net in [
            "2001:db8:100::/40",
            "2001:db8:200::/40",
            "2001:db8:300::/40",
        ] {
            ip(&[
                "-n",
                INTERNET,
                "-6",
                "route",
                "add",
                net,
                "via",
                ISP_UPLINK6,
            ])?;
        }
        exec_ok(
            ISP,
            &[
                "sysctl",
                "-q",
                "-w",
                "net.ipv4.ip_forward=1",
                "net.ipv6.conf.all.forwarding=1",
            ],
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

    /// The internet host: web servers (IPv4 with a 10 MiB file, IPv6; in
    /// the IPv6-only lab also the IPv4-only one and the zone's unbound),
    /// an iperf3 server.
    fn internet(&self, ipv6_only: bool) -> io::Result<()> {
        let www = self.path("www");
        fs::write(www.join("index.html"), "<h1>netlab internet host</h1>\n")?;
        // Not compressible, so no layer can shortcut the transfer.
        let mut big = vec![0u8; BIG_FILE_BYTES as usize];
        pseudo_random(&mut big);
        fs::write(www.join("10M.bin"), big)?;
        let www = www.display().to_string();
        for (name, at) in [("http", INTERNET_HOST), ("http6", INTERNET_HOST6)] {
            self.spawn(
                name,
                INTERNET,
                &[
                    "python3",
                    "-m",
                    "http.server",
                    "80",
                    "--bind",
                    at,
                    "--directory",
                    &www,
                ],
            )?;
        }
        self.spawn("iperf3", INTERNET, &["iperf3", "-s", "-B", INTERNET_HOST])?;
        if ipv6_only {
            ip(&[
                "-n",
                INTERNET,
                "addr",
                "add",
                &format!("{V4ONLY_HOST}/24"),
                "dev",
                "eth0",
            ])?;
            fs::write(
                self.path("www4/index.html"),
                "<h1>netlab IPv4-only host</h1>\n",
            )?;
            self.spawn(
                "http4only",
                INTERNET,
                &[
                    "python3",
                    "-m",
                    "http.server",
                    "80",
                    "--bind",
                    V4ONLY_HOST,
                    "--directory",
                    &self.s("www4"),
                ],
            )?;
            fs::write(
                self.path("unbound.conf"),
                crate::configs::unbound(&self.s("")),
            )?;
            self.spawn(
                "unbound",
                INTERNET,
                &["unbound", "-d", "-c", &self.s("unbound.conf")],
            )?;
            let log = self.path("logs/unbound.log");
            wait_for(Duration::from_secs(10), || {
                fs::read_to_string(&log)
                    .ok()?
                    .contains("start of service")
                    .then_some(())
            })
            .ok_or_else(|| {
                io::Error::other(format!("unbound did not start: see {}", log.display()))
            })?;
        }
        Ok(())
    }

    /// The IPv6-only ISP's edge: xlatd as the NAT64 PLAT, dns64d as the
    /// resolver (on the ISP's loopback, reached through the bng).
    fn plat(&self) -> io::Result<()> {
        let (xlatd, dns64d) = (Self::binary("xlatd")?, Self::binary("dns64d")?);
        ip(&[
            "-n",
            ISP,
            "addr",
            "add",
            &format!("{DNS64}/128"),
            "dev",
            "lo",
            "nodad",
        ])?;
        fs::write(
            self.path("xlatd.toml"),
            crate::configs::xlatd(&self.s("xlatd")),
        )?;
        self.spawn(
            "xlatd",
            ISP,
            &[
                xlatd.to_str().unwrap_or("xlatd"),
                "--config",
                &self.s("xlatd.toml"),
            ],
        )?;
        let log = self.path("logs/xlatd.log");
        wait_for(Duration::from_secs(10), || {
            exec_ok(
                ISP,
                &["ip", "link", "show", "nat64"],
                Duration::from_secs(5),
            )
            .ok()
        })
        .ok_or_else(|| io::Error::other(format!("xlatd did not start: see {}", log.display())))?;
        fs::write(
            self.path("dns64d.toml"),
            crate::configs::dns64d(&self.s("dns64d.sock")),
        )?;
        let sock = self.path("dns64d.sock");
        let _ = fs::remove_file(&sock);
        self.spawn(
            "dns64d",
            ISP,
            &[
                dns64d.to_str().unwrap_or("dns64d"),
                "--config",
                &self.s("dns64d.toml"),
            ],
        )?;
        wait_for(Duration::from_secs(10), || sock.exists().then_some(())).ok_or_else(|| {
            io::Error::other(format!(
                "dns64d did not start: see {}",
                self.s("logs/dns64d.log")
            ))
        })
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
