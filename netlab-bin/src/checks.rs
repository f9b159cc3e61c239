//! `netlab test`: one line per check, numbered in order, then
//! `N passed, N failed, N skipped`.

use std::io;
use std::net::Ipv4Addr;
use std::time::Duration;

use crate::host::{exec, exec_ok, wait_for};
use crate::topology::{
    BIG_FILE_BYTES, COA, COA_SECRET, CPE, INTERIM_SECS, INTERNET_HOST, ISP, LAN, Lab, POOL,
    RADIUS_ADDRESS, SPEED_LIMIT_KBPS, USER,
};

/// The verdict of one check: a detail line either way.
pub(crate) type Verdict = Result<String, String>;

pub(crate) const SECS: fn(u64) -> Duration = Duration::from_secs;

/// The checks' tally; it numbers them, so no number repeats.
#[derive(Debug, Default)]
pub(crate) struct Report {
    passed: usize,
    failed: usize,
    skipped: usize,
}

impl Report {
    pub(crate) fn next(&self) -> usize {
        self.passed + self.failed + self.skipped + 1
    }

    /// The line for a check that ran.
    pub(crate) fn check(&mut self, name: &str, v: Verdict) -> String {
        let n = self.next();
        match v {
            Ok(detail) => {
                self.passed += 1;
                format!("ok   {n} {name}: {detail}")
            }
            Err(detail) => {
                self.failed += 1;
                format!("FAIL {n} {name}: {detail}")
            }
        }
    }

    /// The line for a check that did not run.
    pub(crate) fn skip(&mut self, name: &str, why: &str) -> String {
        let n = self.next();
        self.skipped += 1;
        format!("skip {n} {name}: {why}")
    }

    /// Prints the summary; an error when any check failed.
    pub(crate) fn finish(&self) -> io::Result<()> {
        println!("{}", self.summary());
        if self.failed == 0 {
            Ok(())
        } else {
            Err(io::Error::other(format!("{} check(s) failed", self.failed)))
        }
    }

    /// `N passed, N failed, N skipped` (CI reads the first two).
    pub(crate) fn summary(&self) -> String {
        format!(
            "{} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        )
    }
}

/// Runs every check; an error when any failed, or at once when the lab is
/// not up.
pub fn run(lab: &Lab) -> io::Result<()> {
    if !lab.is_up() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "the lab is not up (no daemons under {}, or no namespace {ISP}): run `netlab up` first",
                lab.s("pids")
            ),
        ));
    }
    let radius = lab.radius();
    let mut r = Report::default();
    if lab.ipv6_only() {
        crate::checks_v6only::run(lab, &mut r);
        return r.finish();
    }
    println!("{}", r.check("DHCPv4 lease on the LAN", lease(LAN)));
    println!("{}", r.check("LAN reaches the internet", internet()));
    let wan = wan_address();
    println!(
        "{}",
        r.check("dual-stack PPP session", dual_stack(wan, radius))
    );
    println!(
        "{}",
        r.check("router status and bng sessions", status(lab, wan))
    );
    if radius {
        println!("{}", r.check("RADIUS accounting", accounting(lab)));
    } else {
        println!("{}", r.skip("RADIUS accounting", "run with --radius"));
    }
    println!(
        "{}",
        r.check("Disconnect-Request and reconnect", disconnect(wan))
    );
    println!("{}", r.check("speed limit", speed_limit()));
    crate::checks6::dual_stack(lab, &mut r);
    r.finish()
}

pub(crate) fn sh(ns: &str, argv: &[&str], timeout: Duration) -> Result<String, String> {
    exec_ok(ns, argv, timeout).map_err(|e| e.to_string())
}

/// The IPv4 address on `dev` in `ns` whose text starts with `prefix`.
pub(crate) fn ipv4_on(ns: &str, dev: &str) -> Option<(Ipv4Addr, u8)> {
    let out = exec_ok(ns, &["ip", "-4", "-o", "addr", "show", "dev", dev], SECS(5)).ok()?;
    let cidr = out.split_whitespace().skip_while(|w| *w != "inet").nth(1)?;
    let (a, len) = cidr.split_once('/')?;
    Some((a.parse().ok()?, len.parse().ok()?))
}

pub(crate) fn lease(ns: &str) -> Verdict {
    let (addr, len) = wait_for(SECS(60), || {
        ipv4_on(ns, "eth0").filter(|(a, _)| a.octets()[..3] == [203, 0, 113])
    })
    .ok_or(format!("no 203.0.113.x address on {ns}'s eth0 after 60 s"))?;
    let route = sh(ns, &["ip", "-4", "route", "show", "default"], SECS(5))?;
    if !route.contains("via 203.0.113.1") {
        return Err(format!(
            "leased {addr}/{len} but no default route via the router: {route}"
        ));
    }
    Ok(format!("{addr}/{len}, default route via 203.0.113.1"))
}

fn internet() -> Verdict {
    let ping = sh(
        LAN,
        &["ping", "-c", "3", "-i", "0.3", "-W", "2", INTERNET_HOST],
        SECS(15),
    )?;
    if !ping.contains(" 0% packet loss") {
        return Err(format!("ping: {ping}"));
    }
    let url = format!("http://{INTERNET_HOST}/");
    let page = sh(LAN, &["curl", "-sS", "-m", "10", &url], SECS(15))?;
    if !page.contains("netlab internet host") {
        return Err(format!("HTTP GET {url}: unexpected body {page:?}"));
    }
    // The ISP drops ICMP fragmentation-needed (see topology), so only MSS
    // clamping lets full-size segments through the 1492-byte path.
    let big = format!("{url}10M.bin");
    let out = sh(
        LAN,
        &[
            "curl",
            "-sS",
            "-m",
            "60",
            "-o",
            "/dev/null",
            "-w",
            "%{size_download} %{speed_download}",
            &big,
        ],
        SECS(70),
    )?;
    let mut it = out.split_whitespace();
    let size: u64 = it.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let speed: f64 = it.next().and_then(|s| s.parse().ok()).unwrap_or(0.0);
    if size != BIG_FILE_BYTES {
        return Err(format!("10 MiB GET returned {size} bytes"));
    }
    let mtu = sh(CPE, &["ip", "link", "show", "ppp0"], SECS(5))?;
    if !mtu.contains("mtu 1492") {
        return Err(format!("ppp0 is not 1492 bytes: {mtu}"));
    }
    Ok(format!(
        "ping 3/3, HTTP GET, 10 MiB over the 1492-byte path at {:.1} Mbit/s",
        speed * 8.0 / 1e6
    ))
}

fn wan_address() -> Option<Ipv4Addr> {
    wait_for(SECS(30), || ipv4_on(CPE, "ppp0")).map(|(a, _)| a)
}

fn in_pool(a: Ipv4Addr) -> bool {
    let (first, last): (Ipv4Addr, Ipv4Addr) = (
        POOL.0.parse().unwrap_or(Ipv4Addr::BROADCAST),
        POOL.1.parse().unwrap_or(Ipv4Addr::UNSPECIFIED),
    );
    a >= first && a <= last
}

fn dual_stack(wan: Option<Ipv4Addr>, radius: bool) -> Verdict {
    let a = wan.ok_or("ppp0 has no IPv4 address")?;
    let expected = if radius {
        (a.to_string() == RADIUS_ADDRESS).then_some("RADIUS Framed-IP-Address")
    } else {
        in_pool(a).then_some("the pool")
    };
    let from = expected.ok_or(format!("ppp0 has {a}, not from the pool / RADIUS"))?;
    let v6 = sh(CPE, &["ip", "-6", "route", "show", "default"], SECS(5))?;
    if !v6.contains("dev ppp0") {
        return Err(format!("no IPv6 default route through ppp0: {v6:?}"));
    }
    let ll = sh(
        CPE,
        &[
            "ip", "-6", "-o", "addr", "show", "dev", "ppp0", "scope", "link",
        ],
        SECS(5),
    )?;
    let ll = ll
        .split_whitespace()
        .skip_while(|w| *w != "inet6")
        .nth(1)
        .ok_or(format!("no IPv6 link-local address on ppp0: {ll:?}"))?
        .to_owned();
    Ok(format!("{a}/32 from {from}; {ll} and ::/0 dev ppp0"))
}

/// The two daemons' own views of the session agree with the kernel's.
fn status(lab: &Lab, wan: Option<Ipv4Addr>) -> Verdict {
    let a = wan.ok_or("ppp0 has no IPv4 address")?.to_string();
    let bin = |name| {
        Lab::binary(name)
            .map(|p| p.display().to_string())
            .map_err(|e| e.to_string())
    };
    let (router, bng) = (bin("router")?, bin("bng")?);
    let status = sh(
        CPE,
        &[&router, "status", "--config", &lab.s("router.toml")],
        SECS(10),
    )?;
    if !status.contains("wan: up") || !status.contains(&a) {
        return Err(format!(
            "`router status` does not show the session {a}:\n{status}"
        ));
    }
    let sessions = sh(
        ISP,
        &[&bng, "sessions", "--config", &lab.s("bng.toml")],
        SECS(10),
    )?;
    let line = sessions
        .lines()
        .find(|l| l.contains(USER) && l.contains(&a))
        .ok_or(format!(
            "`bng sessions` does not list {USER} at {a}:\n{sessions}"
        ))?;
    let header = sessions.lines().next().unwrap_or_default();
    Ok(format!(
        "router: wan up with {a}; `bng sessions`:\n       {}\n       {}",
        header.trim_end(),
        line.trim_end()
    ))
}

/// One accounting record of the detail file, as attribute lines.
pub(crate) fn records(detail: &str) -> Vec<Vec<(String, String)>> {
    detail
        .split("\n\n")
        .map(|block| {
            block
                .lines()
                .filter_map(|l| l.trim().split_once(" = "))
                .map(|(k, v)| (k.to_owned(), v.trim_matches('"').to_owned()))
                .collect()
        })
        .collect()
}

pub(crate) fn field<'a>(r: &'a [(String, String)], key: &str) -> Option<&'a str> {
    r.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

pub(crate) fn octets_out(r: &[(String, String)]) -> u64 {
    let n = |k| field(r, k).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    n("Acct-Output-Gigawords") << 32 | n("Acct-Output-Octets")
}

fn accounting(lab: &Lab) -> Verdict {
    let path = lab.path("raddb").join(crate::radius::DETAIL);
    let wait = SECS(INTERIM_SECS * 3 + 5);
    let found = wait_for(wait, || {
        let text = std::fs::read_to_string(&path).ok()?;
        let rs = records(&text);
        let mine = |r: &&Vec<(String, String)>| field(r, "User-Name") == Some(USER);
        let start = rs
            .iter()
            .filter(mine)
            .find(|r| field(r, "Acct-Status-Type") == Some("Start"))?;
        let interim = rs
            .iter()
            .filter(mine)
            .filter(|r| field(r, "Acct-Status-Type") == Some("Interim-Update"))
            .map(|r| octets_out(r))
            .max()?;
        (interim >= octets_out(start) + BIG_FILE_BYTES).then(|| {
            (
                field(start, "Acct-Session-Id").unwrap_or("?").to_owned(),
                interim,
            )
        })
    });
    let (id, octets) = found.ok_or(format!(
        "no Start + an Interim-Update with >= {BIG_FILE_BYTES} output octets in {} after {wait:?}",
        path.display()
    ))?;
    Ok(format!(
        "Start and Interim-Update for session {id}, Acct-Output-Octets {octets}"
    ))
}

fn disconnect(wan: Option<Ipv4Addr>) -> Verdict {
    let before = wan.ok_or("no session to disconnect")?;
    let request = format!(
        "echo 'User-Name = \"{USER}\"' | radclient -x -r 1 -t 3 {COA} disconnect {COA_SECRET}"
    );
    let out = exec(ISP, &["sh", "-c", &request], SECS(15)).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !text.contains("Disconnect-ACK") {
        return Err(format!(
            "no Disconnect-ACK: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    wait_for(SECS(15), || ipv4_on(CPE, "ppp0").is_none().then_some(()))
        .ok_or("the router's ppp0 kept its address after the Disconnect-ACK")?;
    let after = wait_for(SECS(60), || ipv4_on(CPE, "ppp0"))
        .ok_or("the router did not reconnect within 60 s")?
        .0;
    if after != before {
        return Err(format!("reconnected with {after}, had {before}"));
    }
    let ping = sh(
        LAN,
        &["ping", "-c", "2", "-W", "3", INTERNET_HOST],
        SECS(15),
    )?;
    if !ping.contains(" 0% packet loss") {
        return Err(format!("LAN offline after the reconnect: {ping}"));
    }
    Ok(format!(
        "Disconnect-ACK, session ended, reconnected with {after} again"
    ))
}

/// The receiver's rate (kbit/s) of an iperf3 run from the LAN host.
fn iperf(reverse: bool) -> Result<f64, String> {
    let mut argv = vec![
        "iperf3",
        "-c",
        INTERNET_HOST,
        "-t",
        "6",
        "-O",
        "1",
        "-f",
        "k",
    ];
    if reverse {
        argv.push("-R");
    }
    let out = sh(LAN, &argv, SECS(30))?;
    let line = out
        .lines()
        .find(|l| l.contains("receiver"))
        .ok_or(format!("no receiver line: {out}"))?;
    let words: Vec<&str> = line.split_whitespace().collect();
    let i = words
        .iter()
        .position(|w| *w == "Kbits/sec")
        .ok_or(format!("no rate in {line:?}"))?;
    words[i - 1]
        .parse()
        .map_err(|_| format!("bad rate in {line:?}"))
}

fn speed_limit() -> Verdict {
    let limit = SPEED_LIMIT_KBPS as f64;
    let down = iperf(true)?;
    let up = iperf(false)?;
    let off = |r: f64| (r - limit).abs() / limit;
    let detail = format!(
        "limit {limit:.0} kbit/s each way; measured down {down:.0} ({:+.1} %), up {up:.0} ({:+.1} %)",
        (down / limit - 1.0) * 100.0,
        (up / limit - 1.0) * 100.0
    );
    if off(down) <= 0.15 && off(up) <= 0.15 {
        Ok(detail)
    } else {
        Err(detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_are_numbered_once_each_and_skips_are_counted() {
        let mut r = Report::default();
        assert_eq!(r.check("a", Ok("fine".into())), "ok   1 a: fine");
        assert_eq!(r.check("b", Err("broken".into())), "FAIL 2 b: broken");
        assert_eq!(r.skip("c", "not asked"), "skip 3 c: not asked");
        assert_eq!(r.check("d", Ok("x".into())), "ok   4 d: x");
        assert_eq!(r.summary(), "2 passed, 1 failed, 1 skipped");
    }

    #[test]
    fn a_lab_that_is_down_fails_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let started = std::time::Instant::now();
        let err = run(&Lab::new(dir.path().to_owned())).unwrap_err();
        assert!(started.elapsed() < SECS(2), "{err}");
        assert!(err.to_string().starts_with("the lab is not up"), "{err}");
    }
}
