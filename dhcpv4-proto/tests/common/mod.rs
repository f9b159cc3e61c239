//! Shared by the namespace tests: the `dhcpv4d` example binary.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The path of the `dhcpv4d` example, built (or brought up to date) once
/// per test process: `cargo test --test NAME` alone does not build
/// examples, and a stale binary would test old code.
pub fn daemon() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            // target/PROFILE/deps/TEST-HASH -> target/PROFILE/examples/dhcpv4d;
            // build the example in the profile this test was built in, so a
            // release benchmark runs a release binary built from this tree.
            let exe = std::env::current_exe().unwrap();
            let profile_dir = exe.parent().unwrap().parent().unwrap();
            let release = profile_dir.file_name().is_some_and(|n| n == "release");
            let mut cmd = Command::new(env!("CARGO"));
            cmd.args([
                "build",
                "--quiet",
                "-p",
                "dhcpv4-proto",
                "--example",
                "dhcpv4d",
                "--features",
                "tokio",
            ]);
            if release {
                cmd.arg("--release");
            }
            let status = cmd
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .status()
                .expect("cannot run cargo to build the dhcpv4d example");
            assert!(status.success(), "building the dhcpv4d example failed");
            let p = profile_dir.join("examples").join("dhcpv4d");
            assert!(p.exists(), "{} missing after the build", p.display());
            p
        })
        .clone()
}
