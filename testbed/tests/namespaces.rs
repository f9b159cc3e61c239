//! The testbed against the real kernel: namespaces, veth, a process, a
//! capture, and that nothing is left behind, also after a panic.
//!
//! These tests change the host's list of namespaces, so they run one at a
//! time (a lock), and each compares the list before and after.

use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

use testbed::Testbed;

static SERIAL: Mutex<()> = Mutex::new(());

/// Our namespaces only: other test binaries running in parallel may own theirs.
fn our_namespaces() -> Vec<String> {
    let out = Command::new("ip")
        .args(["netns", "list"])
        .output()
        .expect("ip netns list");
    let prefix = format!("tb{}x", std::process::id());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| n.starts_with(&prefix))
        .map(str::to_owned)
        .collect()
}

fn alive(pid: u32) -> bool {
    !testbed::procstat::has_ended(pid)
}

#[test]
fn link_local_ping_across_veth_is_captured_and_decoded() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let before = our_namespaces();
    {
        let Some(mut tb) = Testbed::new("ping6") else {
            return;
        };
        let a = tb.namespace("a").unwrap();
        let b = tb.namespace("b").unwrap();
        assert_eq!(our_namespaces().len(), before.len() + 2);
        tb.veth((&a, "veth-a"), (&b, "veth-b")).unwrap();
        tb.addr(&a, "veth-a", "fe80::a/64").unwrap();
        tb.addr(&b, "veth-b", "fe80::b/64").unwrap();
        let cap = tb.capture(&b, "veth-b").unwrap();
        let out = tb
            .exec(
                &a,
                &[
                    "ping",
                    "-6",
                    "-c",
                    "3",
                    "-i",
                    "0.2",
                    "-W",
                    "2",
                    "fe80::b%veth-a",
                ],
                Duration::from_secs(10),
            )
            .unwrap_or_else(|e| panic!("{e}\n{}", tb.describe(&a)));
        assert!(out.contains("3 received"), "{out}");
        // Three requests and three replies (and maybe neighbour discovery).
        let frames = cap.wait_frames(6, Duration::from_secs(5)).unwrap();
        assert!(frames >= 6, "{frames}");
        let pcap = cap.stop().unwrap();
        let requests = pcap
            .count("icmpv6.type == 128 && ipv6.src == fe80::a && ipv6.dst == fe80::b")
            .unwrap();
        let replies = pcap
            .count("icmpv6.type == 129 && ipv6.src == fe80::b && ipv6.dst == fe80::a")
            .unwrap();
        assert_eq!((requests, replies), (3, 3), "{}", pcap.decode(&[]).unwrap());
        let detail = pcap.decode(&["-V", "-Y", "icmpv6.type == 128"]).unwrap();
        assert!(detail.contains("Echo (ping) request"), "{detail}");
        assert_eq!(pcap.problems().unwrap(), Vec::<String>::new());
    }
    assert_eq!(our_namespaces(), before, "namespaces left behind");
}

#[test]
fn panic_inside_a_test_still_removes_namespaces_and_processes() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if Testbed::new("probe").is_none() {
        return;
    }
    let before = our_namespaces();
    let mut pids = Vec::new();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut tb = Testbed::new("panics").unwrap();
        let ns = tb.namespace("sleeper").unwrap();
        // One process the test holds, one that daemonises away from it.
        let p = tb.spawn(&ns, &["sleep", "60"]).unwrap();
        pids.push(p.pid());
        tb.exec(
            &ns,
            &["sh", "-c", "sleep 61 >/dev/null 2>&1 &"],
            Duration::from_secs(5),
        )
        .unwrap();
        std::mem::forget(p); // even a leaked handle must not leak the process
        panic!("deliberate");
    }));
    assert!(result.is_err());
    assert_eq!(
        our_namespaces(),
        before,
        "namespaces left behind after a panic"
    );
    for pid in pids {
        assert!(!alive(pid), "process {pid} survived the testbed");
    }
    let stray = Command::new("pgrep")
        .args(["-f", "^sleep 61$"])
        .output()
        .unwrap();
    assert!(
        stray.stdout.is_empty(),
        "daemonised sleep survived: {:?}",
        String::from_utf8_lossy(&stray.stdout)
    );
}

#[test]
fn exec_reports_failures_and_timeouts() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(mut tb) = Testbed::new("exec") else {
        return;
    };
    let ns = tb.namespace("x").unwrap();
    let err = tb
        .exec(
            &ns,
            &["sh", "-c", "echo oops >&2; exit 3"],
            Duration::from_secs(5),
        )
        .unwrap_err();
    assert!(err.to_string().contains("oops"), "{err}");
    let err = tb
        .exec(&ns, &["sleep", "5"], Duration::from_millis(200))
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    // The namespace has only its loopback: no route out of it.
    let err = tb
        .exec(
            &ns,
            &["ping", "-c", "1", "-W", "1", "192.0.2.1"],
            Duration::from_secs(5),
        )
        .unwrap_err();
    assert!(err.to_string().contains("exited"), "{err}");
}

/// `problems()` must see what tshark flags, or a "no malformed frame" check
/// could never fail: a PADI whose tag length points past the frame.
#[test]
fn problems_reports_a_malformed_frame() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.pcap");
    let mut file = Vec::new();
    // pcap global header: magic, v2.4, zone, sigfigs, snaplen, Ethernet.
    file.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    file.extend_from_slice(&2u16.to_le_bytes());
    file.extend_from_slice(&4u16.to_le_bytes());
    for word in [0u32, 0, 65_535, 1] {
        file.extend_from_slice(&word.to_le_bytes());
    }
    let mut frame = vec![0xff; 6];
    frame.extend_from_slice(&[0x02, 0, 0, 0, 0, 1, 0x88, 0x63]);
    // PPPoE PADI, length 8: a Service-Name tag that claims 50 bytes and has 4.
    frame.extend_from_slice(&[
        0x11, 0x09, 0, 0, 0, 8, 0x01, 0x01, 0, 50, b'a', b'b', b'c', b'd',
    ]);
    for word in [0u32, 0, frame.len() as u32, frame.len() as u32] {
        file.extend_from_slice(&word.to_le_bytes());
    }
    file.extend_from_slice(&frame);
    std::fs::write(&path, file).unwrap();
    let problems = testbed::Pcap::open(&path).problems().unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("Malformed"), "{problems:?}");
}

/// Runs in a child copy of this test binary (see the two tests below): makes
/// a namespace, reports its name on stdout, then hangs.
#[test]
#[ignore = "helper: runs only as a child of the watchdog and stale-sweep tests"]
fn hung_child() {
    let Ok(deadline_ms) = std::env::var("TESTBED_CHILD_DEADLINE_MS") else {
        return;
    };
    let deadline = Duration::from_millis(deadline_ms.parse().unwrap());
    let mut tb = Testbed::with_deadline("hung-child", deadline).unwrap();
    let ns = tb.namespace("hung").unwrap();
    println!("NS={}", ns.name());
    use std::io::Write;
    std::io::stdout().flush().unwrap();
    std::thread::sleep(Duration::from_secs(30));
}

fn start_hung_child(deadline_ms: u64) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "hung_child", "--ignored", "--nocapture"])
        .env("TESTBED_CHILD_DEADLINE_MS", deadline_ms.to_string())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ns = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| l.strip_prefix("NS=").map(str::to_owned))
        .expect("child never reported its namespace");
    (child, ns)
}

fn namespace_exists(name: &str) -> bool {
    let out = Command::new("ip").args(["netns", "list"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l.split_whitespace().next() == Some(name))
}

#[test]
fn watchdog_removes_everything_of_a_hung_test_and_aborts_it() {
    if Testbed::new("probe").is_none() {
        return;
    }
    let (mut child, ns) = start_hung_child(1_000);
    assert!(namespace_exists(&ns));
    let status = child.wait().unwrap();
    assert!(!status.success(), "the hung child should have been aborted");
    assert!(!namespace_exists(&ns), "watchdog left {ns} behind");
}

#[test]
fn namespaces_of_a_killed_test_process_are_swept_by_the_next_testbed() {
    if Testbed::new("probe").is_none() {
        return;
    }
    let (mut child, ns) = start_hung_child(60_000);
    child.kill().unwrap(); // SIGKILL: no destructor, no watchdog runs
    child.wait().unwrap();
    assert!(
        namespace_exists(&ns),
        "precondition: the killed child left {ns}"
    );
    let _tb = Testbed::new("sweeper").unwrap();
    assert!(!namespace_exists(&ns), "stale {ns} was not swept");
}
