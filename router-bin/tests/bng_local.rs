//! The `bng` binary with its local users table, against our ClientLink
//! dialer over a veth pair: a session comes up with a pool address, pings
//! reach the bng's namespace through the TUN data path, `bng sessions`
//! lists it, spoofed packets are dropped and counted, a wrong password is
//! refused, and SIGTERM ends the session with Terminate + PADT.

mod bng_support;
mod common;

use std::time::Duration;

use bng_support::{Bed, ISP, LOCAL, NET, POOL_FIRST, dial_up, inject_lcp_configure_request, ping};
use common::dialer::{Seen, ppp};
use common::icmp::{icmpv4_echo, icmpv6_echo};
use nix::sys::signal::Signal;
use ppp_proto::PppEvent;
use pppoe_link::ClientLinkEvent;
use pppoe_proto::PppoeClientEvent;

/// How many `Ipv4Up` the dialer saw, and the peer address of the last.
fn ipv4_ups(d: &common::dialer::Dialer) -> (usize, Option<std::net::Ipv4Addr>) {
    let ups: Vec<_> = d
        .ppp_events()
        .filter_map(|e| match e {
            PppEvent::Ipv4Up { local, .. } => Some(*local),
            _ => None,
        })
        .collect();
    (ups.len(), ups.last().copied())
}

/// The `bng sessions` row of `user`, split into columns.
fn row(table: &str, user: &str) -> Option<Vec<String>> {
    table
        .lines()
        .find(|l| l.split_whitespace().next() == Some(user))
        .map(|l| l.split_whitespace().map(String::from).collect())
}

#[test]
fn session_up_ping_spoofing_sessions_table_and_sigterm() {
    let Some(mut bed) = Bed::start("bng-local", true, "") else {
        return;
    };
    let mut d = bed.dialer(b"alice", b"wonderland", 1);
    let addr = dial_up(&mut d, || bed.log());
    assert_eq!(addr, POOL_FIRST);
    let (_, peer, dns) = d.ipv4().unwrap();
    assert_eq!(peer, LOCAL);
    assert_eq!(dns[0], Some("198.51.100.53".parse().unwrap()));

    // Through the TUN device to the bng's own address and to another
    // interface of its namespace.
    assert!(
        ping(&mut d, addr, LOCAL, 1, 5),
        "no echo reply from {LOCAL}\n{}",
        bed.log()
    );
    assert!(
        ping(&mut d, addr, ISP, 10, 5),
        "no echo reply from {ISP}\n{}",
        bed.log()
    );
    assert!(
        ping(&mut d, addr, NET, 20, 5),
        "no echo reply from {NET}\n{}",
        bed.log()
    );

    // IPv6: the bng answers pings to its link-local address itself.
    let (mine, theirs) = d.ipv6().expect("IPv6CP up");
    d.send_data(0x0057, &icmpv6_echo(mine, theirs, 9, 1));
    let answered = d.run_until(
        Duration::from_secs(2),
        |s| matches!(s, Seen::Data(0x0057, p) if p.len() >= 48 && p[40] == 129),
    );
    assert!(answered, "no ICMPv6 echo reply: {:?}\n{}", d.log, bed.log());

    // A packet with someone else's source address goes nowhere.
    let spoofed = "198.51.100.99".parse().unwrap();
    d.send_data(0x0021, &icmpv4_echo(spoofed, ISP, 7, 1));
    let replied = d.run_until(
        Duration::from_secs(1),
        |s| matches!(s, Seen::Data(0x0021, p) if p.len() >= 20 && p[16..20] == [198, 51, 100, 99]),
    );
    assert!(!replied);

    let table = bed.ctl("sessions");
    let r = row(&table, "alice").unwrap_or_else(|| panic!("alice not listed:\n{table}"));
    // USER MAC ID ADDRESS UPTIME BYTES-IN BYTES-OUT SPOOFED LIMIT
    assert_eq!(r[3], addr.to_string(), "{table}");
    assert!(r[5].parse::<u64>().unwrap() >= 3 * 55, "{table}");
    assert!(r[6].parse::<u64>().unwrap() >= 3 * 55, "{table}");
    assert_eq!(r[7], "1", "the spoofed packet is counted\n{table}");
    assert!(table.contains("1 session(s)"), "{table}");
    let stats = bed.ctl("stats");
    assert!(stats.contains("spoofed 1"), "{stats}");
    // The kernel's drops on the session socket are a stat (none here).
    assert!(stats.contains("\nrx_dropped 0\n"), "{stats}");

    // SIGTERM: LCP Terminate-Request, then (after our Terminate-Ack) PADT.
    bed.bng.signal(Signal::SIGTERM).unwrap();
    let padt = d.run_until(Duration::from_secs(5), |s| {
        matches!(
            s,
            Seen::Link(ClientLinkEvent::Pppoe(PppoeClientEvent::SessionDown { .. }))
        )
    });
    assert!(padt, "no PADT after SIGTERM: {:?}\n{}", d.log, bed.log());
    assert!(
        d.log
            .iter()
            .any(|s| matches!(s, Seen::Control(true, 0xc021, 5))),
        "no LCP Terminate-Request: {:?}",
        d.log
    );
    let status = bed.bng.wait_timeout(Duration::from_secs(5)).unwrap();
    assert!(
        status.is_some_and(|s| s.success()),
        "bng did not exit 0: {status:?}\n{}",
        bed.log()
    );
    assert!(bed.log().contains("session down"), "{}", bed.log());
}

#[test]
fn wrong_password_is_refused_and_fixed_address_user_gets_its_address() {
    let Some(mut bed) = Bed::start("bng-reject", true, "") else {
        return;
    };
    let mut d = bed.dialer(b"alice", b"wrong", 2);
    let failed = d.run_until(Duration::from_secs(15), |s| {
        ppp(s, |e| matches!(e, PppEvent::AuthFailed { .. }))
    });
    assert!(failed, "{:?}\n{}", d.log, bed.log());
    assert!(d.ipv4().is_none());
    let down = d.run_until(Duration::from_secs(10), |s| {
        matches!(
            s,
            Seen::Link(ClientLinkEvent::Pppoe(PppoeClientEvent::SessionDown { .. }))
        )
    });
    assert!(down, "{:?}", d.log);
    assert!(
        bed.log().contains("authentication refused"),
        "{}",
        bed.log()
    );
    drop(d);

    // bob has a fixed address outside the pool and speed limits.
    let mut d = bed.dialer(b"bob", b"builder", 3);
    let addr = dial_up(&mut d, || bed.log());
    assert_eq!(addr.to_string(), "192.0.2.77");
    assert!(ping(&mut d, addr, NET, 1, 5), "{}", bed.log());
    let table = bed.ctl("sessions");
    let r = row(&table, "bob").unwrap_or_else(|| panic!("bob not listed:\n{table}"));
    assert_eq!(r[8], "1000/2000", "{table}");

    // SIGTERM while the client does not answer (its frames wait in the
    // socket): the bng waits its grace period, then sends the PADT itself.
    bed.bng.signal(Signal::SIGTERM).unwrap();
    let status = bed.bng.wait_timeout(Duration::from_secs(8)).unwrap();
    assert!(status.is_some_and(|s| s.success()), "{}", bed.log());
    let padt = d.run_until(Duration::from_secs(2), |s| {
        matches!(
            s,
            Seen::Link(ClientLinkEvent::Pppoe(PppoeClientEvent::SessionDown { .. }))
        )
    });
    assert!(padt, "{:?}\n{}", d.log, bed.log());
    assert!(bed.log().contains("sending PADT"), "{}", bed.log());
}

/// Without --config, each binary reads its config from /etc/<name>/<name>.toml.
#[test]
fn the_default_config_is_etc_bng_bng_toml() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bng"))
        .arg("sessions")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("cannot read config /etc/bng/bng.toml"),
        "{err}"
    );
}

#[test]
fn errors_say_what_to_fix() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bng.toml");
    let bin = env!("CARGO_BIN_EXE_bng");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(bin).args(args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // A misspelt key: exit 2, the key and its line.
    let good = bng_support::config_text(dir.path(), true, "");
    std::fs::write(&path, good.replace("ac_name", "acname")).unwrap();
    let (code, err) = run(&["--config", path.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("acname") && err.contains("line"), "{err}");
    // No such file.
    let (code, err) = run(&["--config", "/nonexistent/bng.toml"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("/nonexistent/bng.toml"), "{err}");
    // `bng sessions` without a daemon.
    std::fs::write(&path, &good).unwrap();
    let (code, err) = run(&["sessions", "--config", path.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("is the daemon running"), "{err}");

    // A missing access interface (inside a namespace of its own).
    let Some(tb) = testbed::Testbed::new("bng-noiface") else {
        return;
    };
    let mut tb = tb;
    let ns = tb.namespace("empty").unwrap();
    let mut p = tb
        .spawn(&ns, &[bin, "--config", path.to_str().unwrap()])
        .unwrap();
    let status = p.wait_timeout(Duration::from_secs(10)).unwrap();
    let (_, err) = p.output();
    assert_eq!(status.and_then(|s| s.code()), Some(1), "{err}");
    assert!(err.contains("access interface acc0"), "{err}");
}

#[test]
fn many_sessions_fill_the_pool_then_are_refused() {
    let Some(bed) = Bed::start("bng-many", true, "") else {
        return;
    };
    // 11 pool addresses (198.51.100.10-20): 11 sessions from 11 MACs get
    // distinct addresses and each can ping; the 12th is refused.
    let mut dialers = Vec::new();
    let mut addrs = std::collections::HashSet::new();
    for i in 0..12u8 {
        let sock = bed
            .client
            .enter(|| {
                router_bin::afpacket::PacketSocket::open("wan0", router_bin::afpacket::ETH_P_ALL)
            })
            .unwrap()
            .unwrap();
        let pppoe = pppoe_proto::PppoeClientConfig::new(pppoe_proto::wire::EthernetAddress([
            0x02,
            0,
            0,
            0,
            0,
            0x10 + i,
        ]));
        let mut d = common::dialer::Dialer::new(
            sock,
            pppoe,
            ppp_proto::PppConfig::peer(b"alice", b"wonderland"),
            100 + u64::from(i),
        );
        if i < 11 {
            let a = dial_up(&mut d, || bed.log());
            assert!(addrs.insert(a), "{a} given twice");
            dialers.push((d, a));
        } else {
            let failed = d.run_until(Duration::from_secs(15), |s| {
                ppp(s, |e| matches!(e, PppEvent::AuthFailed { .. }))
            });
            assert!(failed, "the 12th session: {:?}\n{}", d.log, bed.log());
        }
    }
    for (i, (d, a)) in dialers.iter_mut().enumerate() {
        assert!(
            ping(d, *a, NET, 100 + i as u16 * 10, 5),
            "session {i} ({a})\n{}",
            bed.log()
        );
    }
    let table = bed.ctl("sessions");
    // (The refused session lingers until its LCP Terminate times out.)
    let with_address = table.lines().filter(|l| l.contains(" 198.51.100.")).count();
    assert_eq!(with_address, 11, "{table}");
    assert!(bed.log().contains("pool exhausted"), "{}", bed.log());
}

#[test]
fn lcp_renegotiation_keeps_the_session_and_its_address() {
    let Some(bed) = Bed::start("bng-reneg", true, "") else {
        return;
    };
    // alice: a pool address; bob: a fixed address outside the pool.
    for (i, (user, password)) in [("alice", "wonderland"), ("bob", "builder")]
        .into_iter()
        .enumerate()
    {
        let sock = bed
            .client
            .enter(|| {
                router_bin::afpacket::PacketSocket::open("wan0", router_bin::afpacket::ETH_P_ALL)
            })
            .unwrap()
            .unwrap();
        let mac = [0x02, 0, 0, 0, 0x20, i as u8];
        let pppoe = pppoe_proto::PppoeClientConfig::new(pppoe_proto::wire::EthernetAddress(mac));
        let mut d = common::dialer::Dialer::new(
            sock,
            pppoe,
            ppp_proto::PppConfig::peer(user.as_bytes(), password.as_bytes()),
            300 + i as u64,
        );
        let addr = dial_up(&mut d, || bed.log());
        // Twice: the peer renegotiates LCP, so authenticates again and
        // brings IPCP up again; it must keep its session and address.
        for round in 2..=3 {
            inject_lcp_configure_request(&bed, &d, mac);
            d.run_until(Duration::from_secs(15), |s| {
                ppp(s, |e| matches!(e, PppEvent::Ipv4Up { .. }))
            });
            let (n, last) = ipv4_ups(&d);
            assert_eq!(
                n,
                round,
                "{user}: IPCP not up again: {:?}\n{}",
                d.log,
                bed.log()
            );
            assert_eq!(last, Some(addr), "{user}: {:?}\n{}", d.log, bed.log());
        }
        assert!(
            !d.log.iter().any(|s| matches!(
                s,
                Seen::Link(ClientLinkEvent::Pppoe(PppoeClientEvent::SessionDown { .. }))
            )),
            "{user}: session ended: {:?}\n{}",
            d.log,
            bed.log()
        );
        assert!(
            ping(&mut d, addr, NET, 500 + 10 * i as u16, 5),
            "{user}\n{}",
            bed.log()
        );
        let table = bed.ctl("sessions");
        let r = row(&table, user).unwrap_or_else(|| panic!("{user} not listed:\n{table}"));
        assert_eq!(r[3], addr.to_string(), "{table}");
        if user == "alice" {
            // One pool address in use, not one per authentication.
            let stats = bed.ctl("stats");
            assert!(stats.contains("pool_in_use 1\n"), "{stats}\n{}", bed.log());
        }
    }
}

#[test]
fn forwarding_is_turned_on_at_start() {
    let Some(mut bed) = Bed::start("bng-fwd", true, "") else {
        return;
    };
    // The bed turned forwarding on before starting the bng; turn it off
    // and start a new bng.
    bed.bng.signal(Signal::SIGTERM).unwrap();
    let status = bed.bng.wait_timeout(Duration::from_secs(10)).unwrap();
    assert!(status.is_some_and(|s| s.success()), "{}", bed.log());
    let sysctl = |bed: &Bed, arg: &str| {
        bed.tb
            .exec(&bed.isp, &["sysctl", "-n", arg], Duration::from_secs(5))
            .unwrap()
    };
    bed.tb.sysctl(&bed.isp, &["net.ipv4.ip_forward=0"]).unwrap();
    assert_eq!(sysctl(&bed, "net.ipv4.ip_forward").trim(), "0");
    bed.bng = bed
        .tb
        .spawn(
            &bed.isp,
            &[
                env!("CARGO_BIN_EXE_bng"),
                "--config",
                bed.config.to_str().unwrap(),
            ],
        )
        .unwrap();
    bed.wait_log("bng ready", Duration::from_secs(10));
    assert!(bed.log().contains("ip_forward was 0"), "{}", bed.log());
    assert_eq!(sysctl(&bed, "net.ipv4.ip_forward").trim(), "1");
    let mut d = bed.dialer(b"alice", b"wonderland", 7);
    let addr = dial_up(&mut d, || bed.log());
    assert!(ping(&mut d, addr, NET, 1, 5), "{}", bed.log());
}

/// Starts a second bng with `config` beside the running one; it must fail
/// within a few seconds. Its stderr.
fn second_bng_fails(bed: &Bed, config: &std::path::Path) -> String {
    let started = std::time::Instant::now();
    let bin = env!("CARGO_BIN_EXE_bng");
    let mut p = bed
        .tb
        .spawn(&bed.isp, &[bin, "--config", config.to_str().unwrap()])
        .unwrap();
    let status = p.wait_timeout(Duration::from_secs(5)).unwrap();
    let err = p.output().1;
    assert!(
        status.is_some_and(|s| s.code() == Some(1)),
        "the second bng did not fail fast: {status:?}\n{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(3), "{err}");
    err
}

/// A second bng with the same control socket refuses on its lock; one with
/// its own socket but the same TUN device refuses at the TUN device. The
/// running bng's session, data path and control socket carry on.
#[test]
fn a_second_bng_refuses_and_leaves_the_first_alone() {
    let Some(bed) = Bed::start("bng-twice", true, "") else {
        return;
    };
    let mut d = bed.dialer(b"alice", b"wonderland", 4);
    let addr = dial_up(&mut d, || bed.log());

    let err = second_bng_fails(&bed, &bed.config);
    let socket = bed.tb.dir().join("bng.sock");
    let want = format!(
        "another bng is running with control socket {} (pid {})",
        socket.display(),
        bed.bng.pid()
    );
    assert!(err.contains(&want), "{err}");
    assert!(bed.tb.dir().join("bng.lock").exists());

    let other = bed.tb.dir().join("other");
    std::fs::create_dir_all(&other).unwrap();
    let other_config = other.join("bng.toml");
    std::fs::write(&other_config, bng_support::config_text(&other, true, "")).unwrap();
    let err = second_bng_fails(&bed, &other_config);
    assert!(
        err.contains("TUN device bng0: in use by another process"),
        "{err}"
    );

    let table = bed.ctl("sessions");
    assert!(row(&table, "alice").is_some(), "{table}");
    assert!(bed.ctl("stats").contains("spoofed 0"), "{}", bed.log());
    assert!(ping(&mut d, addr, NET, 1, 5), "{}", bed.log());
}
