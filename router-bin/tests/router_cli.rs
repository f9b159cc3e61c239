//! The `router` command line without a network: config errors name the key
//! and line, and `router status` says when no router is running.

use std::process::Command;

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
