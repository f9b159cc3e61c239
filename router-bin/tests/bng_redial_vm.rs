//! A real pppd 2.4.9 client (kernel PPPoE, rp-pppoe.so) in the VM of
//! `../shared/peers/pppoe-vm/` killed with SIGKILL (no LCP Terminate, no
//! PADT) and started again at once: with `at_mac_limit = "replace"` (the
//! default) its new PADR replaces the stale session and it is up again in
//! seconds; the test prints the time (the lab's clock, from the new pppd's
//! start to its ip-up). Slow (the VM runs under TCG).

mod common;

use std::time::Duration;

use common::pppoe_vm::{Lab, Role};
use testbed::{Netns, Testbed};

const CONFIG: &str = r#"
interface = "host0"
ac_name = "bng-vm"
control_socket = "CONTROL"
[pool]
first = "192.0.2.10"
last = "192.0.2.20"
local = "192.0.2.1"
[[users]]
name = "alice"
password = "s3cret"
"#;

/// In the VM: SIGKILL pppd, start it again, wait for its ip-up; prints
/// `REDIAL <seconds>` (from the new pppd's start to ip-up) or `REDIAL none`.
const REDIAL: &str = "kill -9 $(pidof pppd); rm -f /run/ppp-state/ip-up.*; \
    t0=$(cut -d' ' -f1 /proc/uptime); \
    (pppd call lab </dev/null >/dev/null 2>&1 &); \
    i=0; while ! ls /run/ppp-state/ip-up.* >/dev/null 2>&1 && [ $i -lt 600 ]; do usleep 100000; i=$((i+1)); done; \
    t1=$(cut -d' ' -f1 /proc/uptime); \
    d=$(echo $t0 $t1 | awk '{printf \"%.2f\", $2 - $1}'); \
    if ls /run/ppp-state/ip-up.* >/dev/null 2>&1; then echo \"REDIAL $d\"; else echo 'REDIAL none'; fi";

#[test]
fn pppd_killed_and_redialled_is_up_again_in_seconds() {
    let Some(mut lab) = Lab::start("bng-redial-vm", Role::Client) else {
        return;
    };
    let tb = Testbed::new("bng-redial-vm-spawn").expect("root, as the lab");
    let config = tb.dir().join("bng.toml");
    let control = tb.dir().join("bng.sock");
    std::fs::write(
        &config,
        CONFIG.replace("CONTROL", control.to_str().unwrap()),
    )
    .unwrap();
    let ns = Netns::existing(lab.netns());
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
        "--user",
        "alice",
        "--pass",
        "s3cret",
        "--auth",
        "any",
        "--stay",
        "--no-ipv6",
    ]);
    assert!(
        ok,
        "client did not pass:\n{console}\nbng:\n{}",
        bng.output().1
    );

    let out = lab
        .vm_exec_bounded(REDIAL, Duration::from_secs(75))
        .unwrap_or_else(|e| panic!("{e}\n{}\nbng:\n{}", lab.console(), bng.output().1));
    let log = bng.output().1;
    let secs: f64 = out
        .lines()
        .find_map(|l| l.strip_prefix("REDIAL "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("not up again: {out}\n{}\nbng:\n{log}", lab.console()));
    eprintln!("pppd SIGKILLed and redialled: up again in {secs:.2} s (VM clock)");
    assert!(
        log.contains("replaced by a new session from the same MAC"),
        "{log}"
    );
    // Without replacement it took 44 s (the old session's echo timeout).
    assert!(secs < 15.0, "{secs} s\n{}\nbng:\n{log}", lab.console());
    bng.stop().unwrap();
}
