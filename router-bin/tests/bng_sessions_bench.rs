//! The session-setup benchmark behind `bench/bng_sessions.sh` (ignored:
//! run it with `--ignored --nocapture`, in release). For each N and each
//! run, a fresh bed (client and bng namespaces, testbed's), a bng in
//! release with local users or with FreeRADIUS (Debian's, `-f`, a users
//! file), and `bng-loadgen` dialling N sessions from N MACs: sessions/s,
//! the bng's VmRSS/VmHWM at 1,000 and 10,000 sessions, failures by stage,
//! the bng's CPU time, the load average. Then the spread (min/median/max)
//! over the runs. Indicative only on a shared machine.
//!
//! IPv6-only sessions (`ipv4 = false`, IPv6CP; the documentation ranges
//! hold too few IPv4 addresses for 10,000), and one dual-stack size the
//! IPv4 pool can hold (198.51.100.2–254: 252 sessions).
//!
//! Environment: BNG_BENCH_SESSIONS (default "1000,10000"), BNG_BENCH_RUNS
//! (default 3), BNG_BENCH_MODES (default "local,radius"), BNG_BENCH_DUAL
//! (default 250; 0 skips), BNG_BENCH_IN_FLIGHT (default 64),
//! BNG_BENCH_PD (1: DHCPv6-PD too), BNG_BENCH_PERF (1: `perf record` of
//! the bng during each run, its top symbols printed), BNG_BENCH_PADI_RATE (the bng's
//! `[discovery]` padi_rate and padi_burst; default 100000: raised so the
//! bng itself is measured, not its PADI limit, whose default of 200/s,
//! burst 400, would bound the rate), BNG_BENCH_MAC_SLOTS (`mac_rate_slots`,
//! default 65536: with the default 1024 the per-host PADI limit acts as
//! ~1024 PADIs/s over all hosts and stalls dials for 1–8 s).

mod bng_support;
mod common;

use std::time::Duration;

use bng_support::Bed;
use testbed::freeradius;

const SECRET: &str = "testing123";

fn env_or(key: &str, default: &str) -> String {
    std::env::var(key).unwrap_or_else(|_| default.to_string())
}

/// The bench's bng: the bounds raised for 10,000+ sessions.
fn config(dir: &std::path::Path, ipv4: bool, radius: bool) -> String {
    let mut c = format!(
        "interface = \"acc0\"\nac_name = \"bench-bng\"\nmax_sessions = 20000\n\
         control_socket = \"{d}/bng.sock\"\nstate_dir = \"{d}/state\"\nipv4 = {ipv4}\n\
         [pool]\nfirst = \"198.51.100.2\"\nlast = \"198.51.100.254\"\nlocal = \"198.51.100.1\"\n\
         [ipv6]\npools = [\"2001:db8:100::/40\"]\nmax_bindings = 65536\n\
         [discovery]\npadi_rate = {padi}\npadi_burst = {padi}\nmac_rate_slots = {slots}\n",
        d = dir.display(),
        padi = env_or("BNG_BENCH_PADI_RATE", "100000"),
        slots = env_or("BNG_BENCH_MAC_SLOTS", "65536"),
    );
    if radius {
        c.push_str(&format!(
            "[radius]\nnas_identifier = \"bench-bng\"\n\
             [[radius.servers]]\nauth = \"127.0.0.1:1812\"\nacct = \"127.0.0.1:1813\"\nsecret = \"{SECRET}\"\n"
        ));
    } else {
        c.push_str("[[users]]\nname = \"bench\"\npassword = \"bench\"\n");
    }
    c
}

fn field(out: &str, key: &str) -> Option<String> {
    let line = out.lines().find(|l| l.starts_with("RESULT "))?;
    line.split_whitespace()
        .find_map(|kv| Some(kv.strip_prefix(key)?.strip_prefix('=')?.to_string()))
}

/// One run: the RESULT line plus the bng's CPU seconds over the whole run
/// (setup, the hold, the teardown), divided per session by the caller.
fn one_run(mode: &str, n: usize, ipv4: bool, run: usize) -> Option<String> {
    let radius = mode == "radius";
    if radius && !freeradius::installed() {
        testbed::skip("bng_sessions_bench", "needs Debian freeradius");
        return None;
    }
    let (bed, radiusd) = Bed::start_prepared(
        &format!("sb-{mode}-{n}"),
        |dir| config(dir, ipv4, radius),
        |tb, ns| {
            radius.then(|| {
                let dir = tb.dir().join("raddb");
                freeradius::Config::new(
                    // Message-Authenticator in every answer: our client
                    // drops answers without it (BlastRADIUS).
                    "bench\tCleartext-Password := \"bench\"\n\
                     \tMessage-Authenticator = 0x00\n\
                     DEFAULT\tAuth-Type := Reject\n\
                     \tMessage-Authenticator = 0x00\n",
                )
                .client("nas", std::net::Ipv4Addr::LOCALHOST.into(), SECRET)
                .reject_delay(0)
                .write(&dir)
                .unwrap();
                freeradius::Radiusd::start_in(tb, ns, &dir, &["-f", "-l", "stdout"])
                    .unwrap_or_else(|e| panic!("{e}"))
            })
        },
    )?;
    finish_run(bed, radiusd, mode, n, ipv4, run)
}

fn finish_run(
    bed: Bed,
    radiusd: Option<freeradius::Radiusd>,
    mode: &str,
    n: usize,
    ipv4: bool,
    run: usize,
) -> Option<String> {
    // Accounting-On answered (RADIUS) before the first PADI is served.
    std::thread::sleep(Duration::from_secs(1));
    let pid = bed.bng.pid();
    let cpu0 = testbed::procstat::cpu_seconds(pid);
    let (pid_s, n_s) = (pid.to_string(), n.to_string());
    let in_flight = env_or("BNG_BENCH_IN_FLIGHT", "64");
    let mut argv = vec![
        env!("CARGO_BIN_EXE_bng-loadgen"),
        "--interface",
        "wan0",
        "--sessions",
        &n_s,
        "--in-flight",
        &in_flight,
        "--bng-pid",
        &pid_s,
        "--hold",
        "2",
        "--rss-at",
        "1000,10000",
    ];
    if !ipv4 {
        argv.push("--no-ipv4");
    }
    if env_or("BNG_BENCH_PD", "0") == "1" {
        argv.push("--pd");
    }
    // BNG_BENCH_PERF=1: where the bng's time goes during the run.
    let perf_data = bed.tb.dir().join("perf.data");
    let perf = (env_or("BNG_BENCH_PERF", "0") == "1").then(|| {
        let out = perf_data.to_str().unwrap();
        let mut c = std::process::Command::new("perf");
        c.args(["record", "-q", "-F", "499", "-g", "-p", &pid_s, "-o", out]);
        c.stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        c.spawn().expect("perf")
    });
    let mut p = bed.tb.spawn(&bed.client, &argv).unwrap();
    let status = p.wait_timeout(Duration::from_secs(280)).unwrap();
    if let Some(mut perf) = perf {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(perf.id() as i32),
            nix::sys::signal::Signal::SIGINT,
        );
        let _ = perf.wait();
        let report = std::process::Command::new("perf")
            .args([
                "report",
                "--stdio",
                "--no-children",
                "--sort",
                "symbol",
                "-g",
                "none",
            ])
            .arg("-i")
            .arg(&perf_data)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        for l in report.lines().filter(|l| l.contains('%')).take(25) {
            println!("    perf {l}");
        }
    }
    let (out, err) = p.output();
    let cpu = testbed::procstat::cpu_seconds(pid) - cpu0;
    // What the DHCPv6 binding commits (fsync) cost the bng's loop.
    for l in bed
        .ctl("stats")
        .lines()
        .filter(|l| l.starts_with("dhcpv6_"))
    {
        println!("    {l}");
    }
    let Some(result) = out.lines().find(|l| l.starts_with("RESULT ")) else {
        panic!("no result ({status:?}):\n{out}\n{err}\n{}", bed.log());
    };
    let family = if ipv4 { "dual" } else { "v6only" };
    let line = format!(
        "BENCH mode={mode} family={family} n={n} run={run} bng_cpu_s={cpu:.2} {}",
        &result[7..]
    );
    println!("{line}");
    for l in out.lines().filter(|l| !l.starts_with("RESULT ")) {
        println!("    {l}");
    }
    drop(radiusd);
    Some(line)
}

/// min/median/max with `p` decimals.
fn spread(mut v: Vec<f64>, p: usize) -> String {
    if v.is_empty() {
        return "-".into();
    }
    v.sort_by(f64::total_cmp);
    format!("{:.p$}/{:.p$}/{:.p$}", v[0], v[v.len() / 2], v[v.len() - 1])
}

#[test]
#[ignore = "a benchmark: bench/bng_sessions.sh runs it"]
fn bng_sessions_bench() {
    let runs: usize = env_or("BNG_BENCH_RUNS", "3").parse().unwrap();
    let sizes: Vec<usize> = env_or("BNG_BENCH_SESSIONS", "1000,10000")
        .split(',')
        .map(|s| s.trim().parse().unwrap())
        .collect();
    let dual: usize = env_or("BNG_BENCH_DUAL", "250").parse().unwrap();
    let modes = env_or("BNG_BENCH_MODES", "local,radius");
    let mut cases: Vec<(String, usize, bool)> = Vec::new();
    for mode in modes.split(',') {
        if dual > 0 {
            cases.push((mode.to_string(), dual, true));
        }
        for &n in &sizes {
            cases.push((mode.to_string(), n, false));
        }
    }
    let mut summary = Vec::new();
    for (mode, n, ipv4) in &cases {
        let mut lines = Vec::new();
        for run in 1..=runs {
            if let Some(l) = one_run(mode, *n, *ipv4, run) {
                lines.push(l);
            }
        }
        let get = |k: &str| -> Vec<f64> {
            lines
                .iter()
                .filter_map(|l| field(&l.replacen("BENCH", "RESULT", 1), k)?.parse().ok())
                .collect()
        };
        let mib = |k: &str| get(k).into_iter().map(|x| x / 1024.0).collect::<Vec<_>>();
        let per_session = get("bng_cpu_s")
            .into_iter()
            .map(|c| c * 1000.0 / *n as f64)
            .collect();
        summary.push(format!(
            "SUMMARY mode={mode} family={} n={n} runs={} sessions/s(min/med/max)={} \
             failed={} rss1000_MiB={} rss10000_MiB={} hwm_up_MiB={} bng_cpu_ms_per_session={} loadavg1={}",
            if *ipv4 { "dual" } else { "v6only" },
            lines.len(),
            spread(get("rate"), 0),
            spread(get("failed"), 0),
            spread(mib("rss1000_kib"), 1),
            spread(mib("rss10000_kib"), 1),
            spread(mib("hwm_up_kib"), 1),
            spread(per_session, 3),
            spread(get("loadavg"), 2)
        ));
    }
    for s in &summary {
        println!("{s}");
    }
}
