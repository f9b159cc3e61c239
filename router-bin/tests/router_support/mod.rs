//! Shared by the `router_*` tests: a router.toml writer, the namespaces
//! around a router, a `bng` for it to dial, the `router` process with its
//! status command, and a LAN host running `dhclient`.
#![allow(dead_code)] // each test binary uses a different part

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use testbed::{Netns, Process, Testbed};

/// The LAN of the tests.
pub const LAN_CIDR: &str = "198.51.100.1/24";

/// Writes a router.toml into `dir`; its path. `extra_wan` is appended to
/// the `[wan]` table; unless it sets `workers`, `ROUTER_TEST_WORKERS` in
/// the environment does (to run every router test with `workers = 1`, say;
/// left out, the router runs its default, one per CPU).
pub fn write_config(dir: &Path, wan_if: &str, lan_if: &str, extra_wan: &str) -> PathBuf {
    let mut extra_wan = extra_wan.to_owned();
    if let Ok(w) = std::env::var("ROUTER_TEST_WORKERS")
        && !extra_wan.contains("workers")
    {
        extra_wan += &format!("\nworkers = {w}\n");
    }
    let state = dir.join("state");
    std::fs::create_dir_all(&state).unwrap();
    let text = format!(
        r#"state_dir = "{}"
[wan]
interface = "{wan_if}"
user = "alice"
password = "s3cret"
lcp_echo_interval = 2
lcp_echo_failure = 3
{extra_wan}
[lan]
interface = "{lan_if}"
address = "{LAN_CIDR}"
[dhcp]
range = ["198.51.100.100", "198.51.100.149"]
lease_time = 600
"#,
        state.display()
    );
    let path = dir.join("router.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Three namespaces in a row, `isp` [ac0] ── [wan0] `cpe` [lan0] ── [eth0]
/// `lan`, and the router's config for `wan0`/`lan0` written (the router is
/// not started); `None` when the testbed skips (not root).
pub fn isp_cpe_lan(label: &str) -> Option<(Testbed, [Netns; 3], PathBuf)> {
    let mut tb = Testbed::new(label)?;
    let isp = tb.namespace("isp").unwrap();
    let cpe = tb.namespace("cpe").unwrap();
    let lan = tb.namespace("lan").unwrap();
    tb.veth((&isp, "ac0"), (&cpe, "wan0")).unwrap();
    tb.veth((&cpe, "lan0"), (&lan, "eth0")).unwrap();
    let config = write_config(tb.dir(), "wan0", "lan0", "");
    Some((tb, [isp, cpe, lan], config))
}

/// Four namespaces in a row, `lan` [eth0] ── [lan0] `cpe` [wan0] ── [acc0]
/// `isp` [isp0] ── [net0] `net`: `isp` forwards, with 203.0.113.1/24 on
/// isp0; `net` has `net_host`/24 on net0 and its route back to the
/// subscribers' 192.0.2.0/24 through `isp`. `None` when the testbed skips.
pub fn lan_cpe_isp_net(label: &str, net_host: &str) -> Option<(Testbed, [Netns; 4])> {
    let mut tb = Testbed::new(label)?;
    let lan = tb.namespace("lan").unwrap();
    let cpe = tb.namespace("cpe").unwrap();
    let isp = tb.namespace("isp").unwrap();
    let net = tb.namespace("net").unwrap();
    tb.veth((&cpe, "lan0"), (&lan, "eth0")).unwrap();
    tb.veth((&cpe, "wan0"), (&isp, "acc0")).unwrap();
    tb.veth((&isp, "isp0"), (&net, "net0")).unwrap();
    tb.addr(&isp, "isp0", "203.0.113.1/24").unwrap();
    tb.addr(&net, "net0", &format!("{net_host}/24")).unwrap();
    tb.ip(
        &net,
        &["route", "add", "192.0.2.0/24", "via", "203.0.113.1"],
    )
    .unwrap();
    tb.sysctl(&isp, &["net.ipv4.ip_forward=1"]).unwrap();
    Some((tb, [lan, cpe, isp, net]))
}

/// The `bng` on `acc0` in `isp`, once it logged that it is ready: alice
/// (password s3cret) gets 192.0.2.10 from its pool; `pool_extra` is
/// appended to the `[pool]` table (e.g. `dns = [...]`).
pub fn bng_for_alice(tb: &Testbed, isp: &Netns, pool_extra: &str) -> Process {
    let dir = tb.dir();
    let text = format!(
        "interface = \"acc0\"\nac_name = \"test-bng\"\n\
         control_socket = \"{}/bng.sock\"\n\
         [pool]\nfirst = \"192.0.2.10\"\nlast = \"192.0.2.20\"\nlocal = \"192.0.2.1\"\n\
         {pool_extra}\
         [[users]]\nname = \"alice\"\npassword = \"s3cret\"\n",
        dir.display()
    );
    let path = dir.join("bng.toml");
    std::fs::write(&path, text).unwrap();
    let bin = env!("CARGO_BIN_EXE_bng");
    let mut p = tb
        .spawn(isp, &[bin, "--config", path.to_str().unwrap()])
        .unwrap();
    p.expect_log("bng ready", Duration::from_secs(10));
    p
}

/// The `router` process in its namespace.
pub struct Router {
    pub proc: Process,
    pub config: PathBuf,
    pub ns: Netns,
}

impl Router {
    /// Starts `router --config CONFIG` in `ns`.
    pub fn start(tb: &Testbed, ns: &Netns, config: &Path) -> Router {
        let bin = env!("CARGO_BIN_EXE_router");
        let proc = tb
            .spawn(ns, &[bin, "--config", config.to_str().unwrap()])
            .expect("spawn router");
        Router {
            proc,
            config: config.to_owned(),
            ns: ns.clone(),
        }
    }

    /// `router status` (run in the router's namespace); its output or error.
    pub fn status(&self) -> Result<String, String> {
        let out = std::process::Command::new("ip")
            .args(["netns", "exec", self.ns.name()])
            .args([env!("CARGO_BIN_EXE_router"), "status", "--config"])
            .arg(&self.config)
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// Polls the status until `pred` holds; the last status.
    pub fn wait_status(&mut self, limit: Duration, pred: impl Fn(&str) -> bool) -> String {
        let end = Instant::now() + limit;
        let mut last = String::new();
        while Instant::now() < end {
            if let Ok(Some(s)) = self.proc.try_wait() {
                panic!("router exited ({s}):\n{}", self.log());
            }
            match self.status() {
                Ok(s) if pred(&s) => return s,
                Ok(s) => last = s,
                Err(e) => last = e,
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("status never matched; last:\n{last}\nlog:\n{}", self.log());
    }

    /// The router's stderr (its log).
    pub fn log(&self) -> String {
        self.proc.output().1
    }

    /// SIGTERM, then it must exit 0 within `limit` and leave no nft table.
    pub fn stop_cleanly(&mut self, limit: Duration) {
        self.proc
            .signal(nix::sys::signal::Signal::SIGTERM)
            .expect("SIGTERM");
        let status = self.proc.wait_timeout(limit).unwrap();
        assert!(
            status.is_some_and(|s| s.success()),
            "router did not exit 0 within {limit:?} after SIGTERM: {status:?}\n{}",
            self.log()
        );
        assert!(
            !nft_tables(&self.ns).contains("router"),
            "nft table left behind"
        );
    }
}

/// Asserts the WAN is up in `cpe`: ppp0 (MTU 1492) has `ipv4`/32 and an
/// IPv6 link-local address, both default routes use it, and the router's
/// nft table exists.
pub fn assert_wan_up(cpe: &Netns, ipv4: &str) {
    let addr = ip_out(cpe, &["addr", "show", "dev", "ppp0"]);
    assert!(addr.contains(&format!("inet {ipv4}/32")), "{addr}");
    assert!(addr.contains("inet6 fe80::"), "{addr}");
    assert!(addr.contains("mtu 1492"), "{addr}");
    let routes = ip_out(cpe, &["route", "show", "default"]);
    assert!(routes.contains("default dev ppp0"), "{routes}");
    let routes6 = ip_out(cpe, &["-6", "route", "show", "default"]);
    assert!(routes6.contains("default dev ppp0"), "{routes6}");
    assert!(nft_tables(cpe).contains("table inet router"));
}

/// The LAN host `lan` (interface eth0) gets the first lease with the
/// router as gateway and `dns` as its servers, then pings the AC's
/// 192.0.2.1 through NAT.
pub fn assert_lan_online(tb: &Testbed, lan: &Netns, router: &Router, dns: &str) {
    let events = dhclient(tb, lan, "eth0");
    assert!(events.contains("BOUND ip=198.51.100.1"), "{events}");
    assert!(
        events.contains(&format!("router=198.51.100.1 dns={dns}")),
        "{events}"
    );
    let out = ping(tb, lan, "192.0.2.1").unwrap_or_else(|e| {
        panic!(
            "{e}\n{}\n{}",
            router.status().unwrap_or_default(),
            router.log()
        )
    });
    assert!(out.contains("bytes from 192.0.2.1"), "{out}");
}

/// Runs `ip -n NS ARGS` and returns its stdout.
pub fn ip_out(ns: &Netns, args: &[&str]) -> String {
    let out = std::process::Command::new("ip")
        .args(["-n", ns.name()])
        .args(args)
        .output()
        .expect("ip");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `nft list tables` in `ns`.
pub fn nft_tables(ns: &Netns) -> String {
    let out = std::process::Command::new("ip")
        .args(["netns", "exec", ns.name(), "nft", "list", "tables"])
        .output()
        .expect("nft");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs dhclient once on `ifname` in `ns`; the script sets the address and
/// the default route. Returns the dhclient events log (one line each).
pub fn dhclient(tb: &Testbed, ns: &Netns, ifname: &str) -> String {
    dhclient_with(tb, ns, ifname, "")
}

/// [`dhclient`] with `extra` appended to its dhclient.conf (e.g.
/// `send host-name "laptop";`).
pub fn dhclient_with(tb: &Testbed, ns: &Netns, ifname: &str, extra: &str) -> String {
    let dir = tb.dir();
    let events = dir.join("dhclient.events");
    let script = dir.join("dhclient-script");
    std::fs::write(
        &script,
        format!(
            r#"#!/bin/sh
echo "$reason ip=$new_ip_address router=$new_routers dns=$new_domain_name_servers" >> {}
case "$reason" in
PREINIT) ip link set "$interface" up ;;
BOUND|RENEW|REBIND|REBOOT)
  ip addr replace "$new_ip_address/24" dev "$interface"
  ip route replace default via "$new_routers" dev "$interface" ;;
esac
exit 0
"#,
            events.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let conf = dir.join("dhclient.conf");
    std::fs::write(
        &conf,
        format!("timeout 40;\nrequest subnet-mask, routers, domain-name-servers;\n{extra}"),
    )
    .unwrap();
    let (lf, pf) = (dir.join("dhclient.leases"), dir.join("dhclient.pid"));
    let argv = [
        "dhclient",
        "-4",
        "-v",
        "-1",
        "-cf",
        conf.to_str().unwrap(),
        "-sf",
        script.to_str().unwrap(),
        "-lf",
        lf.to_str().unwrap(),
        "-pf",
        pf.to_str().unwrap(),
        ifname,
    ];
    tb.exec(ns, &argv, Duration::from_secs(50))
        .unwrap_or_else(|e| panic!("dhclient: {e}"));
    std::fs::read_to_string(&events).unwrap_or_default()
}

/// Pings `dst` from `ns` (3 tries of 1 s); the ping output.
pub fn ping(tb: &Testbed, ns: &Netns, dst: &str) -> Result<String, String> {
    tb.exec(
        ns,
        &["ping", "-c", "3", "-W", "2", "-i", "0.3", dst],
        Duration::from_secs(10),
    )
    .map_err(|e| e.to_string())
}
