//! The `dns64d` binary in a namespace in front of unbound (local data):
//! `dig` gets a synthesized AAAA over UDP (IPv4 and IPv6 listeners) and
//! TCP, the second from the cache; a real AAAA is passed on; `dns64d
//! stats` counts it all; a source outside `allow_query` is refused; SIGTERM
//! ends it with exit 0. A bad config key is named with its line.
//!
//! Needs root, dig and unbound (skips through `testbed::skip`).

use std::process::Command;
use std::time::Duration;

use testbed::Testbed;

fn have(test: &str, tool: &str, package: &str) -> bool {
    let ok = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        testbed::skip(
            test,
            &format!("{tool} is not installed (Debian package {package})"),
        );
    }
    ok
}

/// The answer section's data fields.
fn answers(out: &str) -> Vec<String> {
    let mut lines = out
        .lines()
        .skip_while(|l| !l.starts_with(";; ANSWER SECTION"));
    lines.next();
    lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_whitespace().nth(4).map(String::from))
        .collect()
}

#[test]
fn synthesizes_caches_refuses_and_stops_on_sigterm() {
    let label = "dns64d";
    if !have(label, "dig", "bind9-dnsutils") || !have(label, "unbound", "unbound") {
        return;
    }
    let Some(mut tb) = Testbed::new(label) else {
        return;
    };
    let ns = tb.namespace("isp").unwrap();
    tb.link_up(&ns, "lo").unwrap();
    tb.addr(&ns, "lo", "2001:db8:53::53/128").unwrap();
    let dir = tb.dir().to_path_buf();
    let unbound_conf = format!(
        r#"server:
    interface: 127.0.0.1@5301
    port: 5301
    access-control: 127.0.0.0/8 allow
    username: ""
    chroot: ""
    directory: "{0}"
    pidfile: ""
    use-syslog: no
    logfile: ""
    do-daemonize: no
    num-threads: 1
    module-config: "iterator"
    local-zone: "example." static
    local-data: "example. 3600 IN SOA ns.example. host.example. 1 3600 600 86400 300"
    local-data: "a-only.example. 3600 IN A 20.0.0.1"
    local-data: "dual.example. 3600 IN A 20.0.0.2"
    local-data: "dual.example. 3600 IN AAAA 2001:db8:d::2"
remote-control:
    control-enable: no
"#,
        dir.display()
    );
    std::fs::write(dir.join("unbound.conf"), unbound_conf).unwrap();
    let conf = dir.join("unbound.conf");
    let _unbound = tb
        .spawn(&ns, &["unbound", "-d", "-c", conf.to_str().unwrap()])
        .unwrap();
    tb.wait_listening(&ns, "127.0.0.1:5301", Duration::from_secs(10))
        .unwrap();

    let config = dir.join("dns64d.toml");
    std::fs::write(
        &config,
        format!(
            r#"listen = ["127.0.0.1:53", "2001:db8:53::53"]
upstreams = ["127.0.0.1:5301"]
prefixes = ["2001:db8:64::/96"]
allow_query = ["127.0.0.1/32", "2001:db8:53::/48"]
control_socket = "{}/dns64d.sock"
"#,
            dir.display()
        ),
    )
    .unwrap();
    let bin = env!("CARGO_BIN_EXE_dns64d");
    let cfg = config.to_str().unwrap();
    let mut daemon = tb.spawn(&ns, &[bin, "--config", cfg]).unwrap();
    tb.wait_listening(&ns, "127.0.0.1:53", Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}\n{}", daemon.output().1));
    let dig = |args: &[&str]| {
        let argv = [&["dig", "+time=3", "+tries=1"][..], args].concat();
        tb.exec(&ns, &argv, Duration::from_secs(10))
            .unwrap_or_else(|e| e.to_string())
    };
    let out = dig(&["@127.0.0.1", "a-only.example", "AAAA"]);
    assert_eq!(answers(&out), vec!["2001:db8:64::1400:1"], "{out}");
    let out = dig(&["@2001:db8:53::53", "a-only.example", "AAAA"]);
    assert_eq!(answers(&out), vec!["2001:db8:64::1400:1"], "{out}");
    let out = dig(&["@127.0.0.1", "+tcp", "a-only.example", "AAAA"]);
    assert_eq!(answers(&out), vec!["2001:db8:64::1400:1"], "{out}");
    let out = dig(&["@127.0.0.1", "dual.example", "AAAA"]);
    assert_eq!(answers(&out), vec!["2001:db8:d::2"], "{out}");
    tb.addr(&ns, "lo", "127.0.0.2/8").ok();
    let out = dig(&["@127.0.0.1", "-b", "127.0.0.2", "a-only.example", "AAAA"]);
    assert!(out.contains("status: REFUSED"), "{out}");

    let stats = tb
        .exec(
            &ns,
            &[bin, "stats", "--config", cfg],
            Duration::from_secs(10),
        )
        .unwrap();
    eprintln!("{stats}");
    assert!(stats.contains("from cache 2, synthesized 1,"), "{stats}");
    assert!(stats.contains("refused 1,"), "{stats}");
    assert!(stats.contains("tcp: open 0, accepted 1,"), "{stats}");

    daemon.signal(nix::sys::signal::Signal::SIGTERM).unwrap();
    let status = daemon.wait_timeout(Duration::from_secs(5)).unwrap();
    let log = daemon.output().1;
    assert!(status.is_some_and(|s| s.success()), "{status:?}\n{log}");
    assert!(
        log.contains("dns64d ready") && log.contains("stopped"),
        "{log}"
    );
}

#[test]
fn a_bad_key_is_named_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dns64d.toml");
    let example = include_str!("../examples/dns64d.toml");
    std::fs::write(&path, example.replace("cache_entries =", "cache_entrys =")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dns64d"))
        .args(["--config", path.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("cache_entrys") && err.contains("line"),
        "{err}"
    );
    std::fs::write(&path, example.replace("64:ff9b::/96", "64:ff9b::/97")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dns64d"))
        .args(["--config", path.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("prefixes `64:ff9b::/97`"), "{err}");
}
