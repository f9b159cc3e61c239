//! The access interface deleted and re-created under a running bng (a USB
//! NIC unplugged and plugged back, here the veth pair re-made): the bng
//! notices it gone without spinning, reopens its sockets on the new
//! interface (with `BNG_TEST_WORKERS=2` the workers' fanout group too),
//! gives it back the MAC address it serves with, and a session dialled
//! afterwards carries traffic (with workers: through them).

mod bng_support;
mod common;

use std::time::Duration;

use bng_support::{Bed, NET, datapath_section, dial_up, ping};

/// The MAC address of `acc0` in the bng's namespace.
fn acc0_mac(bed: &Bed) -> String {
    bed.tb
        .exec(
            &bed.isp,
            &["cat", "/sys/class/net/acc0/address"],
            Duration::from_secs(5),
        )
        .unwrap()
        .trim()
        .to_owned()
}

/// The `packets` count of the `bng stats` line of all workers.
fn worker_packets(bed: &Bed) -> u64 {
    let stats = bed.ctl("stats");
    let line = stats
        .lines()
        .find(|l| l.starts_with("workers "))
        .unwrap_or_else(|| panic!("no workers line:\n{stats}"));
    let w: Vec<&str> = line.split_whitespace().collect();
    let i = w.iter().position(|x| *x == "packets").unwrap();
    w[i + 1].parse().unwrap()
}

#[test]
fn bng_reopens_a_recreated_access_interface() {
    let Some(mut bed) = Bed::start("robust-replug", true, "") else {
        return;
    };
    let with_workers = !datapath_section().is_empty();
    let mac = acc0_mac(&bed);
    let mut d = bed.dialer(b"alice", b"wonderland", 1);
    let a = dial_up(&mut d, || bed.log());
    assert!(ping(&mut d, a, NET, 1, 5), "{}", bed.log());
    drop(d);

    // Unplugged: both ends of the pair go.
    bed.tb.ip(&bed.client, &["link", "del", "wan0"]).unwrap();
    bed.wait_log("access interface acc0 is gone", Duration::from_secs(5));
    std::thread::sleep(Duration::from_secs(2));
    // Plugged back: a new interface of the same name, a new index and MAC.
    bed.tb
        .veth((&bed.client, "wan0"), (&bed.isp, "acc0"))
        .unwrap();
    bed.wait_log("access interface acc0 reopened", Duration::from_secs(5));
    assert_eq!(acc0_mac(&bed), mac, "acc0 did not get bng's MAC back");

    let before = if with_workers {
        worker_packets(&bed)
    } else {
        0
    };
    let mut d = bed.dialer(b"alice", b"wonderland", 2);
    let a = dial_up(&mut d, || bed.log());
    // The workers learn the session at the end of the pass that opened
    // IPCP: give them that before the echoes that must go through them.
    std::thread::sleep(Duration::from_millis(300));
    for seq in 0..3 {
        assert!(ping(&mut d, a, NET, 10 * seq, 5), "{}", bed.log());
    }
    if with_workers {
        assert!(
            worker_packets(&bed) >= before + 3,
            "the echoes did not go through the workers\n{}",
            bed.ctl("stats")
        );
    }
    // No busy loop while the interface was missing: one receive error
    // per socket at most, not one per wake-up.
    let log = bed.log();
    let errors = log.matches("receive failed").count() + log.matches("worker: receive").count();
    assert!(errors <= 4, "{errors} receive errors logged\n{log}");
}
