//! The `bng` binary against a real pppd 2.4.9 client (kernel PPPoE via
//! rp-pppoe.so) in the VM of `../shared/peers/pppoe-vm/`: the client dials,
//! authenticates with CHAP against the users table, gets a pool address,
//! pings the bng's address through the TUN data path (IPv4) and its
//! link-local address (IPv6), and hangs up; `LAB-RESULT PASS` only if all
//! of that worked. Slow (the VM runs under TCG).

mod common;

use std::time::{Duration, Instant};

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
dns = ["198.51.100.53", "198.51.100.54"]
[[users]]
name = "alice"
password = "s3cret"
"#;

#[test]
fn pppd_client_dials_bng_and_pings_it() {
    let Some(mut lab) = Lab::start("bng-vs-pppd", Role::Client) else {
        return;
    };
    let tb = Testbed::new("bng-vs-pppd-spawn").expect("root, as the lab");
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

    let (ok, console) = lab.run_client(&["--user", "alice", "--pass", "s3cret", "--auth", "any"]);
    let log = bng.output().1;
    assert!(ok, "client did not pass:\n{console}\nbng:\n{log}");
    assert!(
        console.contains("LAB-PPP ip-up iface=ppp0 local=192.0.2.10 remote=192.0.2.1 dns1=198.51.100.53 dns2=198.51.100.54"),
        "{console}"
    );
    assert!(console.contains("LAB-PING4 ok"), "{console}");
    assert!(console.contains("LAB-PING6 ok"), "{console}");
    assert!(console.contains("rcvd [CHAP Challenge"), "{console}");

    // The client's hang-up (LCP Terminate) ends the session at the bng.
    let end = Instant::now() + Duration::from_secs(10);
    while !bng.output().1.contains("session down") {
        assert!(Instant::now() < end, "no session down:\n{}", bng.output().1);
        std::thread::sleep(Duration::from_millis(100));
    }
    let log = bng.output().1;
    assert!(
        log.contains("session up") && log.contains("user=alice"),
        "{log}"
    );
    bng.stop().unwrap();
}
