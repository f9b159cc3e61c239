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
            let status = Command::new(env!("CARGO"))
                .args([
                    "build",
                    "--quiet",
                    "-p",
                    "dhcpv4-proto",
                    "--example",
                    "dhcpv4d",
                    "--features",
                    "tokio",
                ])
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .status()
                .expect("cannot run cargo to build the dhcpv4d example");
            assert!(status.success(), "building the dhcpv4d example failed");
            // target/PROFILE/deps/TEST-HASH -> target/PROFILE/examples/dhcpv4d
            let exe = std::env::current_exe().unwrap();
            let p = exe
                .parent()
                .unwrap()
                .parent()
                .unwrap()
                .join("examples")
                .join("dhcpv4d");
            assert!(p.exists(), "{} missing after the build", p.display());
            p
        })
        .clone()
}
