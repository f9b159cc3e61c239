//! Our server (the `dhcpv4d` example) against real DHCP clients: ISC
//! `dhclient`, `dhcpcd` and busybox `udhcpc`, each in its own network
//! namespace across a veth pair (192.0.2.0/24 only).
//!
//! Each client must get an address from the pool with the router, DNS,
//! domain and MTU options, renew it at T1 (the lease is 30 s), and get the
//! same address back after releasing it and asking again.
//!
//! Needs root and the Debian packages `isc-dhcp-client dhcpcd-base busybox`;
//! without root each test prints `SKIP` (and fails under CI).

use std::net::Ipv4Addr;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
mod common;

use common::daemon;
use testbed::{Capture, Netns, Process, Testbed};

const LEASE_SECS: u64 = 30;

struct Lab {
    tb: Testbed,
    cli: Netns,
    ifname: &'static str,
    server: Process,
    events: PathBuf,
    capture: Option<Capture>,
}

fn which(tool: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn lab(label: &str, ifname: &'static str, tool: &str) -> Option<Lab> {
    let tb = Testbed::new(label)?;
    assert!(
        which(tool),
        "{tool} is not installed (Debian: isc-dhcp-client dhcpcd-base busybox)"
    );
    let mut tb = tb;
    let srv = tb.namespace("server").unwrap();
    let cli = tb.namespace("client").unwrap();
    tb.veth((&srv, "srv0"), (&cli, ifname)).unwrap();
    tb.addr(&srv, "srv0", "192.0.2.1/24").unwrap();
    let capture = Some(tb.capture(&srv, "srv0").unwrap());
    let dir = tb.dir().to_path_buf();
    let conf = dir.join("dhcpv4d.toml");
    std::fs::write(
        &conf,
        format!(
            r#"interface = "srv0"
server_id = "192.0.2.1"
lease_file = "{}"
lease_time = {LEASE_SECS}

[pool]
network = "192.0.2.0"
prefix_len = 24
range = ["192.0.2.100", "192.0.2.199"]
router = "192.0.2.1"
domain = "lan.example"
mtu = 1400
routes = [{{ destination = "198.51.100.0", prefix_len = 24, router = "192.0.2.254" }}]
"#,
            dir.join("leases").display()
        ),
    )
    .unwrap();
    let server = tb
        .spawn(&srv, &[daemon().to_str().unwrap(), conf.to_str().unwrap()])
        .unwrap();
    let events = dir.join("events");
    std::fs::write(&events, "").unwrap();
    let lab = Lab {
        tb,
        cli,
        ifname,
        server,
        events,
        capture,
    };
    lab.wait(Duration::from_secs(10), "server ready", || {
        lab.server.output().0.contains("ready on srv0")
    });
    Some(lab)
}

impl Lab {
    fn wait(&self, timeout: Duration, what: &str, mut f: impl FnMut() -> bool) {
        let end = Instant::now() + timeout;
        while !f() {
            if Instant::now() > end {
                let (out, err) = self.server.output();
                panic!(
                    "timed out waiting for {what}\nevents:\n{}\nserver stdout:\n{out}\nserver stderr:\n{err}",
                    std::fs::read_to_string(&self.events).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn lines(&self) -> Vec<String> {
        std::fs::read_to_string(&self.events)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Waits for the `n`-th event line whose reason is one of `reasons`.
    fn wait_event(&self, reasons: &[&str], n: usize, timeout: Duration) -> Event {
        let mut found = None;
        self.wait(timeout, &format!("{reasons:?} #{n}"), || {
            found = self
                .lines()
                .iter()
                .map(|l| Event::parse(l))
                .filter(|e| reasons.contains(&e.reason.as_str()))
                .nth(n);
            found.is_some()
        });
        found.unwrap()
    }

    fn script(&self, name: &str, body: &str) -> PathBuf {
        let p = self.tb.dir().join(name);
        std::fs::write(
            &p,
            format!("#!/bin/sh\nEVENTS={}\n{body}", self.events.display()),
        )
        .unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    /// Prints what happened (shown with --nocapture) and checks the
    /// capture: tshark finds no malformed DHCP frame, and saw the ACKs of
    /// the bind, the renewal and the second bind.
    fn report(mut self) {
        eprintln!(
            "client events:\n{}\nserver log:\n{}",
            self.lines().join("\n"),
            self.server.output().0
        );
        let pcap = self.capture.take().unwrap().stop().unwrap();
        // To refresh the golden vectors in tests/golden/: keep the capture.
        if let Some(dir) = std::env::var_os("DHCPV4_KEEP_CAPTURES") {
            let to = std::path::Path::new(&dir).join(format!("{}.pcap", self.ifname));
            std::fs::copy(pcap.path(), to).unwrap();
        }
        let problems = pcap.problems().unwrap();
        assert!(problems.is_empty(), "tshark: {problems:?}");
        let acks = pcap.count("dhcp.option.dhcp == 5").unwrap();
        let offers = pcap.count("dhcp.option.dhcp == 2").unwrap();
        eprintln!("capture: {offers} OFFERs, {acks} ACKs, no malformed frame");
        assert!(acks >= 3, "{acks} ACKs in the capture");
    }

    fn path(&self, name: &str) -> String {
        self.tb.dir().join(name).to_str().unwrap().to_owned()
    }
}

#[derive(Debug, Clone)]
struct Event {
    reason: String,
    fields: Vec<(String, String)>,
}

impl Event {
    fn parse(line: &str) -> Event {
        let mut it = line.split(' ');
        let reason = it.next().unwrap_or("").to_owned();
        let fields = it
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Event { reason, fields }
    }

    fn get(&self, k: &str) -> &str {
        self.fields
            .iter()
            .find(|(key, _)| key == k)
            .map_or("", |(_, v)| v.as_str())
    }

    fn ip(&self) -> Ipv4Addr {
        self.get("ip")
            .parse()
            .unwrap_or_else(|_| panic!("no ip in {self:?}"))
    }
}

fn check_bound(e: &Event) {
    let ip = e.ip();
    assert!(
        ip >= Ipv4Addr::new(192, 0, 2, 100) && ip <= Ipv4Addr::new(192, 0, 2, 199),
        "{e:?}"
    );
    assert_eq!(e.get("router"), "192.0.2.1", "{e:?}");
    assert_eq!(e.get("dns").trim(), "192.0.2.1", "{e:?}");
    assert_eq!(e.get("domain"), "lan.example", "{e:?}");
    assert_eq!(e.get("mtu"), "1400", "{e:?}");
    assert_eq!(e.get("mask"), "255.255.255.0", "{e:?}");
}

fn released_logged(lab: &Lab, ip: Ipv4Addr) {
    lab.wait(Duration::from_secs(10), "server logs the release", || {
        lab.server.output().0.contains(&format!("released {ip}"))
    });
}

const RENEW_WAIT: Duration = Duration::from_secs(LEASE_SECS + 15);

#[test]
fn dhclient_binds_renews_and_gets_same_address_after_release() {
    let Some(lab) = lab("dhcpv4-dhclient", "dhc0", "dhclient") else {
        return;
    };
    let script = lab.script(
        "dhclient-script",
        r#"echo "$reason ip=$new_ip_address mask=$new_subnet_mask router=$new_routers dns=$new_domain_name_servers domain=$new_domain_name mtu=$new_interface_mtu" >> $EVENTS
case "$reason" in
BOUND|RENEW|REBIND|REBOOT) ip addr replace "$new_ip_address/24" dev "$interface" ;;
EXPIRE|RELEASE|STOP|FAIL) [ -n "$old_ip_address" ] && ip addr del "$old_ip_address/24" dev "$interface" ;;
esac
exit 0
"#,
    );
    let conf = lab.path("dhclient.conf");
    std::fs::write(
        &conf,
        "request subnet-mask, routers, domain-name-servers, domain-name, interface-mtu;\n",
    )
    .unwrap();
    let (lf, pf) = (lab.path("dhclient.leases"), lab.path("dhclient.pid"));
    let args = |extra: &[&'static str]| -> Vec<String> {
        let mut v: Vec<String> = [
            "dhclient",
            "-4",
            "-v",
            "-cf",
            &conf,
            "-sf",
            script.to_str().unwrap(),
            "-lf",
            &lf,
            "-pf",
            &pf,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        v.extend(extra.iter().map(|s| s.to_string()));
        v.push(lab.ifname.to_owned());
        v
    };
    let run = |extra: &[&'static str]| {
        let a = args(extra);
        lab.tb
            .spawn(&lab.cli, &a.iter().map(String::as_str).collect::<Vec<_>>())
            .unwrap()
    };
    let _c = run(&["-d"]);
    let bound = lab.wait_event(&["BOUND"], 0, Duration::from_secs(20));
    check_bound(&bound);
    let renew = lab.wait_event(&["RENEW"], 0, RENEW_WAIT);
    assert_eq!(renew.ip(), bound.ip());
    // Release (this also stops the running dhclient through its pid file).
    let a = args(&["-r"]);
    lab.tb
        .exec(
            &lab.cli,
            &a.iter().map(String::as_str).collect::<Vec<_>>(),
            Duration::from_secs(20),
        )
        .unwrap();
    released_logged(&lab, bound.ip());
    let _c2 = run(&["-d"]);
    let again = lab.wait_event(&["BOUND", "REBOOT"], 1, Duration::from_secs(20));
    assert_eq!(again.ip(), bound.ip(), "same address after release");
    check_bound(&again);
    lab.report();
}

#[test]
fn dhcpcd_binds_renews_and_gets_same_address_after_release() {
    let Some(lab) = lab("dhcpv4-dhcpcd", "dcd0", "dhcpcd") else {
        return;
    };
    // dhcpcd keeps leases by interface name in its own directory; start
    // from nothing so the first exchange is a full DISCOVER (the file is
    // only ever written by this test's dhcpcd on `dcd0`).
    let _ = std::fs::remove_file("/var/lib/dhcpcd/dcd0.lease");
    let script = lab.script(
        "dhcpcd-script",
        r#"case "$reason" in
BOUND|RENEW|REBIND|REBOOT|EXPIRE|RELEASE|NAK)
echo "$reason ip=$new_ip_address mask=$new_subnet_mask router=$new_routers dns=$new_domain_name_servers domain=$new_domain_name mtu=$new_interface_mtu" >> $EVENTS ;;
esac
exit 0
"#,
    );
    let conf = lab.path("dhcpcd.conf");
    std::fs::write(
        &conf,
        "noipv4ll\nnoarp\nnohook resolv.conf\noption domain_name_servers, domain_name, interface_mtu\n",
    )
    .unwrap();
    let args = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = ["dhcpcd", "-4", "-f", &conf, "-c", script.to_str().unwrap()]
            .iter()
            .map(|s| s.to_string())
            .collect();
        v.extend(extra.iter().map(|s| s.to_string()));
        v.push(lab.ifname.to_owned());
        v
    };
    let run = |extra: &[&str]| {
        let a = args(extra);
        lab.tb
            .spawn(&lab.cli, &a.iter().map(String::as_str).collect::<Vec<_>>())
            .unwrap()
    };
    let mut c = run(&["-B", "-d"]);
    let bound = lab.wait_event(&["BOUND", "REBOOT"], 0, Duration::from_secs(30));
    check_bound(&bound);
    let renew = lab.wait_event(&["RENEW"], 0, RENEW_WAIT);
    assert_eq!(renew.ip(), bound.ip());
    let a = args(&["-k"]);
    lab.tb
        .exec(
            &lab.cli,
            &a.iter().map(String::as_str).collect::<Vec<_>>(),
            Duration::from_secs(20),
        )
        .unwrap();
    released_logged(&lab, bound.ip());
    let _ = c.wait_timeout(Duration::from_secs(10));
    let _c2 = run(&["-B", "-d"]);
    let again = lab.wait_event(&["BOUND", "REBOOT"], 1, Duration::from_secs(30));
    assert_eq!(again.ip(), bound.ip(), "same address after release");
    check_bound(&again);
    lab.report();
}

#[test]
fn udhcpc_binds_renews_and_gets_same_address_after_release() {
    let Some(lab) = lab("dhcpv4-udhcpc", "udh0", "busybox") else {
        return;
    };
    let script = lab.script(
        "udhcpc-script",
        r#"case "$1" in
bound|renew) ip addr replace "$ip/$mask" dev "$interface" ;;
deconfig) ip addr flush dev "$interface" ;;
esac
echo "$1 ip=$ip mask=$subnet router=$router dns=$dns domain=$domain mtu=$mtu routes=$(echo $staticroutes | tr ' ' ,)" >> $EVENTS
exit 0
"#,
    );
    let c = lab
        .tb
        .spawn(
            &lab.cli,
            &[
                "busybox",
                "udhcpc",
                "-f",
                "-i",
                lab.ifname,
                "-s",
                script.to_str().unwrap(),
                "-O",
                "mtu",
                "-O",
                "staticroutes",
                "-t",
                "20",
                "-T",
                "1",
                "-A",
                "1",
            ],
        )
        .unwrap();
    let bound = lab.wait_event(&["bound"], 0, Duration::from_secs(20));
    check_bound(&bound);
    // Option 121 (RFC 3442), with the default route added beside it.
    assert_eq!(
        bound.get("routes"),
        "198.51.100.0/24,192.0.2.254,0.0.0.0/0,192.0.2.1",
        "{bound:?}"
    );
    let renew = lab.wait_event(&["renew"], 0, RENEW_WAIT);
    assert_eq!(renew.ip(), bound.ip());
    c.signal(Signal::SIGUSR2).unwrap(); // release
    released_logged(&lab, bound.ip());
    c.signal(Signal::SIGUSR1).unwrap(); // ask again
    let again = lab.wait_event(&["bound"], 1, Duration::from_secs(20));
    assert_eq!(again.ip(), bound.ip(), "same address after release");
    check_bound(&again);
    lab.report();
}
