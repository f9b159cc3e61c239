//! The `router` command line: config errors name the key and line, `router
//! status` says when no router is running, and a second router refuses to
//! start without disturbing the running one.

mod router_support;

use std::process::Command;
use std::time::{Duration, Instant};

use router_support::{Router, isp_cpe_lan, nft_tables, write_config};

fn router(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_router"))
        .args(args)
        .output()
        .expect("run router");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn example() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/router.toml")).unwrap()
}

#[test]
fn a_bad_key_is_named_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("router.toml");
    std::fs::write(&path, example().replace("lease_time =", "lease_tme =")).unwrap();
    let (code, err) = router(&["--config", path.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("lease_tme") && err.contains("line"), "{err}");
    assert!(err.contains(path.to_str().unwrap()), "{err}");
}

#[test]
fn a_missing_config_file_is_reported() {
    let (code, err) = router(&["--config", "/nonexistent/router.toml"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("cannot read config /nonexistent/router.toml"),
        "{err}"
    );
}

/// Without --config, each binary reads its config from /etc/<name>/<name>.toml.
#[test]
fn the_default_config_is_etc_router_router_toml() {
    let (code, err) = router(&["status"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("cannot read config /etc/router/router.toml"),
        "{err}"
    );
}

#[test]
fn status_without_a_running_router() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("router.toml");
    let text = example().replace(
        "state_dir = \"/var/lib/router\"",
        &format!("state_dir = \"{}\"", dir.path().display()),
    );
    std::fs::write(&path, text).unwrap();
    let (code, err) = router(&["status", "--config", path.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("is the daemon running?"), "{err}");
}

/// Starts `router --config CONFIG` in the router's namespace; it must fail
/// within a few seconds. Its stderr.
fn second_router_fails(tb: &testbed::Testbed, first: &Router, config: &std::path::Path) -> String {
    let started = Instant::now();
    let bin = env!("CARGO_BIN_EXE_router");
    let mut p = tb
        .spawn(&first.ns, &[bin, "--config", config.to_str().unwrap()])
        .unwrap();
    let status = p.wait_timeout(Duration::from_secs(5)).unwrap();
    let err = p.output().1;
    assert!(
        status.is_some_and(|s| s.code() == Some(1)),
        "the second router did not fail fast: {status:?}\n{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(3), "{err}");
    err
}

/// A second router with the same state dir refuses before it touches
/// anything; one with its own state dir but the same PPP interface refuses
/// at the TUN device. Either way the running router keeps its nft table
/// and its control socket.
#[test]
fn a_second_router_refuses_and_leaves_the_first_alone() {
    let Some((tb, [_isp, cpe, _lan], config)) = isp_cpe_lan("router-twice") else {
        return;
    };
    let mut first = Router::start(&tb, &cpe, &config);
    first.wait_status(Duration::from_secs(10), |s| s.contains("dhcp leases"));
    let first_alive = |first: &Router, after: &str| {
        assert!(
            nft_tables(&cpe).contains("table inet router"),
            "the running router's nft table is gone after {after}"
        );
        let status = first
            .status()
            .unwrap_or_else(|e| panic!("status fails after {after}: {e}"));
        assert!(status.contains("dhcp leases"), "{status}");
    };

    let state = config.parent().unwrap().join("state");
    let err = second_router_fails(&tb, &first, &config);
    let want = format!(
        "another router is running with state dir {} (pid {})",
        state.display(),
        first.proc.pid()
    );
    assert!(err.contains(&want), "{err}");
    first_alive(&first, "a second router with the same state dir");

    let other = tb.dir().join("other");
    std::fs::create_dir_all(&other).unwrap();
    let other_config = write_config(&other, "wan0", "lan0", "");
    let err = second_router_fails(&tb, &first, &other_config);
    assert!(err.contains("TUN ppp0: in use by another process"), "{err}");
    first_alive(&first, "a second router with the same PPP interface");
    first.stop_cleanly(Duration::from_secs(10));
}
