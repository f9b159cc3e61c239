//! The `bng` with `[ipv6]` against a real pppd 2.4.9 client in the VM of
//! `../shared/peers/pppoe-vm/` running WIDE `dhcp6c` (the host's Debian
//! binary, added to the VM's initrd by this test: the image does not carry
//! it): IPv6CP opens, the kernel takes the bng's RA (a default route over
//! ppp0), dhcp6c gets a /56 from the pool and numbers the VM's eth0 from
//! it, and a ping from the bng's namespace to that address is answered
//! through the route of the delegated prefix. Slow (the VM runs under TCG).

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::pppoe_vm::{Lab, Role};
use testbed::{Netns, Testbed};

const CONFIG: &str = r#"
interface = "host0"
ac_name = "bng-vm"
control_socket = "DIR/bng.sock"
state_dir = "DIR/state"
[pool]
first = "192.0.2.10"
last = "192.0.2.20"
local = "192.0.2.1"
[[users]]
name = "alice"
password = "s3cret"
[ipv6]
pools = ["2001:db8:100::/40"]
ra_interval = 30
"#;

const DHCP6C_CONF: &str = "interface ppp0 {\n  send ia-pd 0;\n};\n\
id-assoc pd 0 {\n  prefix-interface eth0 {\n    sla-id 1;\n    sla-len 8;\n  };\n};\n";

/// The files dhcp6c needs in the VM, as a directory tree; `None` when the
/// host has no dhcp6c.
fn dhcp6c_tree(dir: &Path) -> Option<()> {
    let bin = Path::new("/usr/sbin/dhcp6c");
    if !bin.exists() {
        return None;
    }
    let put = |from: &Path, to: &str| {
        let to = dir.join(to);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, &to).unwrap();
    };
    put(bin, "usr/sbin/dhcp6c");
    // Its libraries beyond what pppd already brought (libc).
    let ldd = std::process::Command::new("ldd").arg(bin).output().unwrap();
    for line in String::from_utf8_lossy(&ldd.stdout).lines() {
        if let Some(path) = line.split("=> ").nth(1).and_then(|r| r.split(' ').next())
            && path.contains("libfl")
        {
            put(Path::new(path), path.trim_start_matches('/'));
        }
    }
    std::fs::create_dir_all(dir.join("etc/wide-dhcpv6")).unwrap();
    std::fs::write(dir.join("etc/wide-dhcpv6/dhcp6c.conf"), DHCP6C_CONF).unwrap();
    std::fs::create_dir_all(dir.join("var/lib/dhcpv6")).unwrap();
    std::fs::create_dir_all(dir.join("var/run")).unwrap();
    Some(())
}

#[test]
fn pppd_with_dhcp6c_gets_a_routed_prefix_from_bng() {
    let tree = tempfile::tempdir().unwrap();
    if dhcp6c_tree(tree.path()).is_none() {
        testbed::skip(
            "pppd_with_dhcp6c_gets_a_routed_prefix_from_bng",
            "needs Debian package wide-dhcpv6-client",
        );
        return;
    }
    let Some(mut lab) = Lab::start_extended("b6-vm", Role::Client, Some(tree.path())) else {
        return;
    };
    let tb = Testbed::new("b6-vm-spawn").expect("root, as the lab");
    let config = tb.dir().join("bng.toml");
    std::fs::write(&config, CONFIG.replace("DIR", tb.dir().to_str().unwrap())).unwrap();
    let ns = Netns::existing(lab.netns());
    // The lab's namespace has IPv6 off; the bng's TUN device (made after
    // this) and our source address need it.
    for key in ["lo", "default"] {
        let set = format!("net.ipv6.conf.{key}.disable_ipv6=0");
        tb.sysctl(&ns, &[&set]).unwrap();
    }
    tb.ip(
        &ns,
        &["-6", "addr", "add", "2001:db8:ffff::1/128", "dev", "lo"],
    )
    .unwrap();
    let mut bng = tb
        .spawn(
            &ns,
            &[
                env!("CARGO_BIN_EXE_bng"),
                "--config",
                config.to_str().unwrap(),
            ],
        )
        .unwrap();
    bng.expect_log("bng ready", Duration::from_secs(10));

    let (ok, console) = lab.run_client(&[
        "--user", "alice", "--pass", "s3cret", "--auth", "any", "--stay",
    ]);
    assert!(
        ok,
        "client did not pass:\n{console}\nbng:\n{}",
        bng.output().1
    );
    assert!(console.contains("LAB-CLIENT ipv6cp-up"), "{console}");

    let run = |cmd: &str| {
        lab.vm_exec_bounded(cmd, Duration::from_secs(20))
            .unwrap_or_else(|e| panic!("{e}\n{}", lab.console()))
    };
    // The image keeps IPv6 off on eth0 (the PPPoE underlay): dhcp6c numbers
    // it from the prefix, so it needs IPv6.
    run("echo 0 > /proc/sys/net/ipv6/conf/eth0/disable_ipv6");
    run("dhcp6c -c /etc/wide-dhcpv6/dhcp6c.conf -f -D ppp0 > /tmp/dhcp6c.log 2>&1 &");
    bng.expect_log("prefix delegated", Duration::from_secs(60));
    let log = bng.output().1;
    let prefix = log
        .lines()
        .find_map(|l| l.split("prefix=").nth(1))
        .and_then(|p| p.split_whitespace().next())
        .unwrap()
        .to_owned();
    assert!(
        prefix.starts_with("2001:db8:1") && prefix.ends_with("/56"),
        "{log}"
    );

    // dhcp6c numbered eth0 from the /56; the RA gave a default route.
    let mut addr = None;
    let end = Instant::now() + Duration::from_secs(30);
    while addr.is_none() && Instant::now() < end {
        let shown = run("ip -6 addr show dev eth0");
        addr = shown
            .split_whitespace()
            .skip_while(|w| *w != "inet6")
            .nth(1)
            .filter(|a| a.starts_with("2001:db8:1"))
            .map(|a| a.split('/').next().unwrap().to_owned());
        if addr.is_none() {
            std::thread::sleep(Duration::from_secs(1));
        }
    }
    let addr = addr.unwrap_or_else(|| {
        panic!(
            "no address from the prefix on eth0:\n{}\n{}",
            run("cat /tmp/dhcp6c.log; ip -6 addr"),
            bng.output().1
        )
    });
    let routes = run("ip -6 route show");
    assert!(
        routes.contains("default via fe80::") && routes.contains("ppp0"),
        "{routes}"
    );

    // The delegated prefix is routed to the session: a ping from the bng's
    // namespace to the VM's address inside it is answered.
    let out = tb
        .exec(
            &ns,
            &["ping", "-6", "-c", "4", "-W", "3", &addr],
            Duration::from_secs(25),
        )
        .unwrap_or_else(|e| panic!("ping {addr}: {e}\n{}", bng.output().1));
    // (The first may go while eth0's new address is still tentative.)
    assert!(out.contains(&format!("bytes from {addr}")), "{out}");
    let sessions = tb
        .exec(
            &ns,
            &[
                env!("CARGO_BIN_EXE_bng"),
                "sessions",
                "--config",
                config.to_str().unwrap(),
            ],
            Duration::from_secs(10),
        )
        .unwrap();
    assert!(sessions.contains(&prefix), "{sessions}");
}
