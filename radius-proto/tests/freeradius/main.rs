//! Real-peer tests on loopback: our client against a FreeRADIUS started by
//! the test (Debian `freeradius`), and `radclient` (Debian
//! `freeradius-utils`) against our CoA/Disconnect listener.
//!
//! Each test writes its own configuration (a copy of /etc/freeradius/3.0
//! with our radiusd.conf, clients.conf, users file, detail log and one
//! virtual server on 127.0.0.1 high ports), runs `freeradius -X -d DIR` as a
//! child and kills it by PID on drop (also when the test panics). Needs root
//! and the packages; otherwise each test prints SKIP and returns, except
//! with `CI` or `TESTBED_REQUIRED` set, where it fails instead.

mod harness;

use std::io::Read;
use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration as StdDuration;

use harness::*;
use radius_proto::client::{
    AccountingRecord, AcctStatusType, Counters, RadiusClient, RadiusClientConfig,
    RadiusClientEvent, RadiusServerConfig,
};
use radius_proto::dict::AccessReply;
use radius_proto::dynauth::{
    self, Answer, DynAuthClient, DynAuthConfig, DynAuthServer, ErrorCause,
};
use radius_proto::wire::{Attribute, Code, Header, Packet, Value, attr};
use radius_proto::{Secret, crypto};
use sansio_primitives::{SeededRng, StdClock};

#[test]
fn freeradius_pap_chap_reply_and_accounting() {
    if skip("freeradius_pap_chap_reply_and_accounting") {
        return;
    }
    let r = Radiusd::start();
    let mut nas = nas_for(&r, SECRET);

    // PAP accept, with the reply decoded into typed values.
    let e = nas.auth(&user(b"alice"), Some(b"wonderland"));
    let RadiusClientEvent::Response(resp) = &e else {
        panic!("{e:?}\n{}", r.log())
    };
    assert_eq!(resp.code, Code::AccessAccept, "{}", r.log());
    // FreeRADIUS's bytes go through our codec unchanged.
    assert_eq!(resp.packet().unwrap().to_vec().unwrap(), resp.bytes);
    if let Some(dir) = std::env::var_os("RADIUS_CAPTURE_DIR") {
        // Refreshes tests/captures/ (the offline golden test reads them).
        std::fs::write(Path::new(&dir).join("pap-request.bin"), &nas.last_sent).unwrap();
        std::fs::write(Path::new(&dir).join("pap-accept.bin"), &resp.bytes).unwrap();
    }
    let reply = AccessReply::from_packet(&resp.packet().unwrap());
    assert_eq!(reply.framed_ip, Some([192, 0, 2, 7].into()));
    assert_eq!(reply.acct_interim_interval, Some(300));
    assert_eq!(reply.session_timeout, Some(86400));
    assert_eq!(reply.rp_upstream_kbps, Some(2048));
    assert_eq!(reply.rp_downstream_kbps, Some(16384));
    assert_eq!(reply.cisco_avpair("throttle"), Some("yes"));
    let dp = reply.delegated_ipv6_prefix.unwrap();
    assert_eq!((dp.addr(), dp.len), ("2001:db8:100::".parse().unwrap(), 56));

    // PAP reject (wrong password, unknown user).
    assert_eq!(
        code_of(&nas.auth(&user(b"alice"), Some(b"wrong"))),
        Some(Code::AccessReject)
    );
    assert_eq!(
        code_of(&nas.auth(&user(b"mallory"), Some(b"wonderland"))),
        Some(Code::AccessReject)
    );

    // CHAP accept and reject, with a CHAP-Challenge attribute and with the
    // Request Authenticator as the challenge is not possible (we pick it).
    for (pw, code) in [
        (&b"wonderland"[..], Code::AccessAccept),
        (b"nope", Code::AccessReject),
    ] {
        let challenge = [0x5a; 16];
        let chap = crypto::chap_password(9, pw, &challenge);
        let mut a = user(b"alice").to_vec();
        a.push(Attribute::bytes(attr::CHAP_PASSWORD, &chap));
        a.push(Attribute::bytes(attr::CHAP_CHALLENGE, &challenge));
        assert_eq!(code_of(&nas.auth(&a, None)), Some(code), "{}", r.log());
    }
    assert_eq!(nas.client.counters().bad_authenticator, 0);

    // FreeRADIUS 3.2.1 adds no Message-Authenticator to an Access-Accept
    // unless configured to (bob's entry does not): by default we drop it
    // (Blast-RADIUS mitigation) and the request times out...
    let e = nas.auth(&user(b"bob"), Some(b"builder"));
    assert!(matches!(e, RadiusClientEvent::Timeout { .. }), "{e:?}");
    assert!(nas.client.counters().missing_message_authenticator >= 1);
    // ...and only an explicit opt-out accepts it.
    let mut cfg = RadiusClientConfig::new(vec![RadiusServerConfig::new(
        r.auth,
        r.acct,
        Secret::new(SECRET.as_bytes()),
    )]);
    cfg.nas_identifier = Some(b"nas".to_vec());
    cfg.require_message_authenticator = false;
    let mut lax = Nas::new(cfg.servers.clone(), StdDuration::from_millis(500), 2);
    lax.client = RadiusClient::new(cfg, SeededRng::from_u64(1)).unwrap();
    assert_eq!(
        code_of(&lax.auth(&user(b"bob"), Some(b"builder"))),
        Some(Code::AccessAccept)
    );

    // Accounting Start, Interim, Stop.
    let extra = [
        Attribute::new(attr::NAS_IP_ADDRESS, Value::Ipv4([127, 0, 0, 1].into())),
        Attribute::new(attr::FRAMED_IP_ADDRESS, Value::Ipv4([192, 0, 2, 7].into())),
    ];
    let steps = [
        (AcctStatusType::Start, 0u32, 0u64, 0u64, None),
        (AcctStatusType::InterimUpdate, 300, 123_456, 7_654_321, None),
        (
            AcctStatusType::Stop,
            620,
            (1u64 << 32) + 5,
            9_999_999,
            Some(1),
        ),
    ];
    for (status, time, inp, out, cause) in steps {
        let rec = AccountingRecord {
            user_name: Some(b"alice"),
            session_time: Some(time),
            counters: Some(Counters {
                input_octets: inp,
                output_octets: out,
                input_packets: 10,
                output_packets: 20,
            }),
            terminate_cause: cause,
            event_timestamp: Some(1_700_000_000 + time),
            extra: &extra,
            ..AccountingRecord::new(status, b"sess-0001")
        };
        let h = nas.client.account(nas.clock.now(), &rec).unwrap();
        let e = nas.wait(h, StdDuration::from_secs(10));
        assert_eq!(code_of(&e), Some(Code::AccountingResponse), "{}", r.log());
    }
    // Accounting-On.
    let h = nas
        .client
        .account(
            nas.clock.now(),
            &AccountingRecord {
                extra: &extra[..1],
                ..AccountingRecord::new(AcctStatusType::AccountingOn, b"")
            },
        )
        .unwrap();
    assert_eq!(
        code_of(&nas.wait(h, StdDuration::from_secs(10))),
        Some(Code::AccountingResponse)
    );
    let off = AccountingRecord {
        extra: &extra[..1],
        ..AccountingRecord::new(AcctStatusType::AccountingOff, b"")
    };
    let h = nas.client.account(nas.clock.now(), &off).unwrap();
    let e = nas.wait(h, StdDuration::from_secs(10));
    assert_eq!(code_of(&e), Some(Code::AccountingResponse));

    let detail = r.detail();
    for needle in [
        "Acct-Status-Type = Start",
        "Acct-Status-Type = Interim-Update",
        "Acct-Status-Type = Stop",
        "Acct-Status-Type = Accounting-On",
        "Acct-Status-Type = Accounting-Off",
        "Acct-Session-Id = \"sess-0001\"",
        "Acct-Input-Octets = 123456",
        "Acct-Output-Octets = 7654321",
        "Acct-Session-Time = 300",
        "Acct-Session-Time = 620",
        "Acct-Input-Octets = 5",
        "Acct-Input-Gigawords = 1",
        "Acct-Terminate-Cause = User-Request",
        "Acct-Delay-Time = 0",
        "Framed-IP-Address = 192.0.2.7",
    ] {
        assert!(
            detail.contains(needle),
            "detail lacks {needle:?}:\n{detail}"
        );
    }
}

#[test]
fn freeradius_wrong_secret_is_never_accepted() {
    if skip("freeradius_wrong_secret_is_never_accepted") {
        return;
    }
    let r = Radiusd::start();
    // 1. Our client with the wrong secret: FreeRADIUS drops our requests
    //    (bad Message-Authenticator), we time out.
    let mut nas = nas_for(&r, "not-the-secret");
    let e = nas.auth(&user(b"alice"), Some(b"wonderland"));
    assert!(matches!(e, RadiusClientEvent::Timeout { .. }), "{e:?}");

    // 2. A relay that re-signs our request with the real secret, so that
    //    FreeRADIUS answers, signed with a secret our client does not share:
    //    our client drops every answer (bad authenticator) and never accepts.
    let relay = UdpSocket::bind("127.0.0.1:0").unwrap();
    let relay_addr = relay.local_addr().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    let target = r.auth;
    let t = std::thread::spawn(move || {
        relay
            .set_read_timeout(Some(StdDuration::from_millis(50)))
            .unwrap();
        let up = UdpSocket::bind("127.0.0.1:0").unwrap();
        up.set_read_timeout(Some(StdDuration::from_millis(300)))
            .unwrap();
        let mut buf = [0u8; 4096];
        let mut answered = 0;
        while !stop2.load(Ordering::Relaxed) {
            let Ok((n, from)) = relay.recv_from(&mut buf) else {
                continue;
            };
            let req = buf[..n].to_vec();
            let h = Header::parse(&req).unwrap();
            let p = Packet::parse(&req).unwrap();
            let hidden = p.get(attr::USER_PASSWORD).unwrap().as_bytes().unwrap();
            let pw = crypto::recover_password(hidden, b"other-secret", &h.authenticator).unwrap();
            let again =
                crypto::hide_password(pw.expose(), SECRET.as_bytes(), &h.authenticator).unwrap();
            let mut q = Packet::new(h.code, h.identifier, h.authenticator);
            for a in &p.attributes {
                match a.typ {
                    attr::USER_PASSWORD => q
                        .attributes
                        .push(Attribute::bytes(attr::USER_PASSWORD, &again)),
                    _ => q.attributes.push(*a),
                }
            }
            let mut out = q.to_vec().unwrap();
            crypto::sign_message_authenticator(&mut out, &h.authenticator, SECRET.as_bytes());
            up.send_to(&out, target).unwrap();
            if let Ok((m, _)) = up.recv_from(&mut buf) {
                answered += 1;
                relay.send_to(&buf[..m], from).unwrap();
            }
        }
        answered
    });
    let mut nas = Nas::new(
        vec![RadiusServerConfig::new(
            relay_addr,
            relay_addr,
            Secret::new(&b"other-secret"[..]),
        )],
        StdDuration::from_millis(500),
        2,
    );
    let e = nas.auth(&user(b"alice"), Some(b"wonderland"));
    stop.store(true, Ordering::Relaxed);
    let answered = t.join().unwrap();
    assert!(matches!(e, RadiusClientEvent::Timeout { .. }), "{e:?}");
    assert!(answered >= 1, "FreeRADIUS answered the relayed request");
    assert_eq!(nas.client.counters().bad_authenticator, answered as u64);
    assert_eq!(nas.client.counters().responses, 0);
}

#[test]
fn freeradius_failover_from_a_silent_server() {
    if skip("freeradius_failover_from_a_silent_server") {
        return;
    }
    let r = Radiusd::start();
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let s = silent.local_addr().unwrap();
    let mut dead = RadiusServerConfig::new(s, s, Secret::new(SECRET.as_bytes()));
    dead.fail_timeout = StdDuration::from_secs(30);
    let live = RadiusServerConfig::new(r.auth, r.acct, Secret::new(SECRET.as_bytes()));
    // timeout 300 ms × 2 tries: the failover happens after 600 ms.
    let mut nas = Nas::new(vec![dead, live], StdDuration::from_millis(300), 2);
    let t0 = std::time::Instant::now();
    let e = nas.auth(&user(b"alice"), Some(b"wonderland"));
    let took = t0.elapsed();
    assert!(
        matches!(&e, RadiusClientEvent::Response(x) if x.code == Code::AccessAccept && x.server == 1),
        "{e:?}"
    );
    assert!(
        took >= StdDuration::from_millis(600) && took < StdDuration::from_millis(2000),
        "{took:?}"
    );
    assert!(
        nas.events
            .iter()
            .any(|e| matches!(e, RadiusClientEvent::ServerDead { server: 0, .. }))
    );
    // The silent server is now dead: the next requests go straight to the live one.
    for _ in 0..3 {
        let t0 = std::time::Instant::now();
        let e = nas.auth(&user(b"alice"), Some(b"wonderland"));
        assert!(
            matches!(&e, RadiusClientEvent::Response(x) if x.server == 1),
            "{e:?}"
        );
        assert!(t0.elapsed() < StdDuration::from_millis(300));
    }
    let mut buf = [0u8; 4096];
    silent.set_nonblocking(true).unwrap();
    let mut seen = 0;
    while silent.recv_from(&mut buf).is_ok() {
        seen += 1;
    }
    assert_eq!(
        seen, 2,
        "the silent server got exactly max_tries transmissions"
    );
}

/// Runs our listener on a thread; `known` is the one session it has.
fn spawn_listener(
    secret: &'static str,
) -> (
    SocketAddr,
    Arc<AtomicBool>,
    std::thread::JoinHandle<dynauth::DynAuthCounters>,
) {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = sock.local_addr().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    let t = std::thread::spawn(move || {
        let clock = StdClock::new();
        let mut l = DynAuthServer::new(DynAuthConfig::new(vec![DynAuthClient {
            addr: [127, 0, 0, 1].into(),
            secret: Secret::new(secret.as_bytes()),
        }]));
        sock.set_read_timeout(Some(StdDuration::from_millis(20)))
            .unwrap();
        let mut buf = [0u8; 4096];
        while !stop2.load(Ordering::Relaxed) {
            if let Ok((n, from)) = sock.recv_from(&mut buf) {
                let _ = l.handle_input(clock.now(), from, &buf[..n]);
            }
            while let Some(dynauth::DynAuthEvent::Request(r)) = l.poll_event() {
                let known = r.selector.acct_session_id.as_deref() == Some(&b"sess-1"[..])
                    || r.selector.user_name.as_deref() == Some(&b"alice"[..]);
                let a = if known {
                    Answer::Ack
                } else {
                    Answer::Nak(ErrorCause::SESSION_CONTEXT_NOT_FOUND)
                };
                l.respond(clock.now(), r.handle, a).unwrap();
            }
            while let Some(t) = l.poll_transmit(clock.now()) {
                sock.send_to(&t.payload, t.destination).unwrap();
            }
            l.handle_timeout(clock.now());
        }
        *l.counters()
    });
    (addr, stop, t)
}

fn radclient(addr: SocketAddr, kind: &str, secret: &str, attrs: &str) -> (bool, String) {
    let mut c = Command::new("/usr/bin/radclient")
        .args(["-x", "-r", "1", "-t", "1"])
        .arg(addr.to_string())
        .arg(kind)
        .arg(secret)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("radclient");
    use std::io::Write;
    c.stdin.take().unwrap().write_all(attrs.as_bytes()).unwrap();
    let st = c.wait().unwrap();
    let mut out = String::new();
    c.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    c.stderr.take().unwrap().read_to_string(&mut out).unwrap();
    (st.success(), out)
}

#[test]
fn radclient_coa_and_disconnect_against_our_listener() {
    if skip("radclient_coa_and_disconnect_against_our_listener") {
        return;
    }
    let (addr, stop, t) = spawn_listener("coa-secret");
    let (ok, out) = radclient(
        addr,
        "disconnect",
        "coa-secret",
        "Acct-Session-Id = \"sess-1\", User-Name = \"alice\"\n",
    );
    assert!(ok && out.contains("Received Disconnect-ACK"), "{out}");
    let (ok, out) = radclient(
        addr,
        "coa",
        "coa-secret",
        "User-Name = \"alice\", Session-Timeout = 600\n",
    );
    assert!(ok && out.contains("Received CoA-ACK"), "{out}");
    let (_, out) = radclient(
        addr,
        "disconnect",
        "coa-secret",
        "Acct-Session-Id = \"nope\"\n",
    );
    assert!(out.contains("Received Disconnect-NAK"), "{out}");
    assert!(
        out.contains("Error-Cause = Session-Context-Not-Found"),
        "{out}"
    );
    let (_, out) = radclient(
        addr,
        "coa",
        "coa-secret",
        "Framed-IP-Address = 192.0.2.99\n",
    );
    assert!(
        out.contains("Received CoA-NAK") && out.contains("Session-Context-Not-Found"),
        "{out}"
    );
    // Wrong secret: we drop it, radclient gets no answer.
    let (ok, out) = radclient(
        addr,
        "disconnect",
        "wrong-secret",
        "Acct-Session-Id = \"sess-1\"\n",
    );
    assert!(!ok && !out.contains("Received"), "{out}");
    stop.store(true, Ordering::Relaxed);
    let stats = t.join().unwrap();
    assert_eq!((stats.acks, stats.naks), (2, 2), "{stats:?}");
    assert!(stats.bad_authenticator >= 1, "{stats:?}");
}

/// utime + stime of the calling thread, in seconds.
fn thread_cpu_seconds() -> f64 {
    testbed::procstat::ProcStat::this_thread().map_or(0.0, |s| s.cpu_seconds())
}

/// Runs radclient under `/usr/bin/time` on `file` with `count` copies of each
/// request and `par` in flight: (wall seconds, radclient's CPU seconds).
fn radclient_run(r: &Radiusd, file: &Path, count: usize, par: usize) -> (f64, f64) {
    let t0 = std::time::Instant::now();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "RADCLIENT_CPU %U %S", "/usr/bin/radclient", "-q"])
        .args(["-c", &count.to_string(), "-r", "3", "-t", "3"])
        .args(["-p", &par.to_string(), "-f"])
        .arg(file)
        .arg(r.auth.to_string())
        .args(["auth", SECRET])
        .output()
        .unwrap();
    let wall = t0.elapsed().as_secs_f64();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let cpu = err
        .lines()
        .find_map(|l| l.strip_prefix("RADCLIENT_CPU "))
        .map(|l| {
            l.split_whitespace()
                .filter_map(|x| x.parse::<f64>().ok())
                .sum()
        })
        .unwrap_or(0.0);
    (wall, cpu)
}

/// Requests per second and client CPU per request from `radclient` and from
/// our client against the same FreeRADIUS, the same N requests, the same
/// parallelism, in one run. radclient runs as an operator would: a file of
/// `RADIUS_BENCH_DISTINCT` distinct requests (NAS-Port differs), each sent
/// `-c` times, `-p` in flight. It also prints, once, the cost of the old way
/// (one file of N requests), whose time per request grows with N. Run by
/// `bench/radius_throughput.sh` (release build).
#[test]
#[ignore = "benchmark: run with --ignored (bench/radius_throughput.sh)"]
fn throughput_vs_radclient() {
    if skip("throughput_vs_radclient") {
        return;
    }
    let knob = |name: &str, default: usize| -> usize {
        std::env::var(name)
            .ok()
            .and_then(|s| s.parse().ok())
            .filter(|&v| v > 0)
            .unwrap_or(default)
    };
    let par = knob("RADIUS_BENCH_PARALLEL", 32);
    let distinct = knob("RADIUS_BENCH_DISTINCT", 100);
    // The same N for both: a whole number of copies of the distinct requests.
    let count = knob("RADIUS_BENCH_REQUESTS", 5000).div_ceil(distinct);
    let n = count * distinct;
    let r = Radiusd::start_with(&["-f", "-l", "stdout"]);

    let request = |port: usize| {
        format!(
            "User-Name = \"alice\", User-Password = \"wonderland\", NAS-IP-Address = 127.0.0.1, NAS-Port = {port}\n\n"
        )
    };
    let file = r.dir.path().join("requests");
    std::fs::write(&file, (0..distinct).map(request).collect::<String>()).unwrap();
    let (rc_wall, rc_cpu) = radclient_run(&r, &file, count, par);

    // The old way, once: one file of M requests, at M = N/4 and N.
    for m in [n / 4, n] {
        let old = r.dir.path().join("requests-old");
        std::fs::write(&old, (0..m).map(|i| request(i % 65536)).collect::<String>()).unwrap();
        let (wall, cpu) = radclient_run(&r, &old, 1, par);
        println!(
            "RADIUS radclient old way (one file of {m} requests, -c 1, -p {par}): {:.0} req/s, {:.1} us CPU/request",
            m as f64 / wall,
            1e6 * cpu / m as f64
        );
    }

    // Ours: the same N requests, `par` in flight, one socket.
    let mut nas = nas_for(&r, SECRET);
    nas.client = RadiusClient::new(
        {
            let mut c = RadiusClientConfig::new(vec![RadiusServerConfig::new(
                r.auth,
                r.acct,
                Secret::new(SECRET.as_bytes()),
            )]);
            c.nas_identifier = Some(b"nas".to_vec());
            c.timeout = StdDuration::from_secs(3);
            c
        },
        SeededRng::from_u64(9),
    )
    .unwrap();
    let attrs = user(b"alice");
    let cpu0 = thread_cpu_seconds();
    let t0 = std::time::Instant::now();
    let (mut sent, mut accepted) = (0usize, 0usize);
    let mut buf = [0u8; 4096];
    nas.sock
        .set_read_timeout(Some(StdDuration::from_millis(100)))
        .unwrap();
    while accepted < n {
        while sent < n && nas.client.outstanding() < par {
            nas.client
                .authenticate(nas.clock.now(), &attrs, Some(b"wonderland"))
                .unwrap();
            sent += 1;
        }
        nas.pump();
        for e in nas.events.drain(..) {
            match e {
                RadiusClientEvent::Response(x) if x.code == Code::AccessAccept => accepted += 1,
                other => panic!("{other:?}"),
            }
        }
        if let Ok((k, from)) = nas.sock.recv_from(&mut buf) {
            let _ = nas.client.handle_input(nas.clock.now(), from, &buf[..k]);
        }
        let now = nas.clock.now();
        if nas.client.poll_timeout().is_some_and(|t| t <= now) {
            nas.client.handle_timeout(now);
        }
        assert!(t0.elapsed() < StdDuration::from_secs(120));
    }
    let ours = t0.elapsed().as_secs_f64();
    let ours_cpu = thread_cpu_seconds() - cpu0;
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    println!(
        "RADIUS throughput, {n} Access-Requests ({distinct} distinct x -c {count}), {par} in flight: radclient {:.0} req/s {:.1} us CPU/request, radius-proto {:.0} req/s {:.1} us CPU/request, ratio {:.2} (load average {})",
        n as f64 / rc_wall,
        1e6 * rc_cpu / n as f64,
        n as f64 / ours,
        1e6 * ours_cpu / n as f64,
        rc_wall / ours,
        load.join(" ")
    );
}

/// More than 256 requests in flight against FreeRADIUS: 1,000 (500
/// Access-Requests, 500 Accounting-Requests) at once over 4 source sockets
/// (4 Identifier spaces, RFC 2865 §3), every answer read on the socket its
/// request went from; all complete, all accepted.
#[test]
fn freeradius_answers_a_thousand_concurrent_requests_over_four_sources() {
    if skip("freeradius_answers_a_thousand_concurrent_requests_over_four_sources") {
        return;
    }
    let r = Radiusd::start();
    let mut cfg = RadiusClientConfig::new(vec![RadiusServerConfig::new(
        r.auth,
        r.acct,
        Secret::new(SECRET.as_bytes()),
    )]);
    cfg.nas_identifier = Some(b"nas".to_vec());
    cfg.sources = 4;
    cfg.timeout = StdDuration::from_secs(3);
    let mut c = RadiusClient::new(cfg, SeededRng::from_u64(4)).unwrap();
    let socks: Vec<UdpSocket> = (0..4)
        .map(|_| {
            let s = UdpSocket::bind("127.0.0.1:0").unwrap();
            s.set_nonblocking(true).unwrap();
            s
        })
        .collect();
    let clock = StdClock::new();
    let attrs = user(b"alice");
    let ids: Vec<String> = (0..500).map(|i| format!("s{i}")).collect();
    for id in &ids {
        c.authenticate(clock.now(), &attrs, Some(b"wonderland"))
            .unwrap();
        c.account(
            clock.now(),
            &AccountingRecord::new(AcctStatusType::Start, id.as_bytes()),
        )
        .unwrap();
    }
    assert_eq!(c.outstanding(), 1000);
    let t0 = std::time::Instant::now();
    let (mut accepted, mut accounted) = (0, 0);
    let mut buf = [0u8; 4096];
    while accepted + accounted < 1000 {
        while let Some(t) = c.poll_transmit(clock.now()) {
            socks[t.destination.source]
                .send_to(&t.payload, t.destination.address)
                .unwrap();
        }
        while let Some(e) = c.poll_event() {
            match e {
                RadiusClientEvent::Response(x) if x.code == Code::AccessAccept => accepted += 1,
                RadiusClientEvent::Response(x) if x.code == Code::AccountingResponse => {
                    accounted += 1
                }
                other => panic!("{other:?}\n{}", r.log()),
            }
        }
        let mut got = false;
        for (i, s) in socks.iter().enumerate() {
            while let Ok((n, from)) = s.recv_from(&mut buf) {
                got = true;
                let _ = c.handle_input_on(clock.now(), i, from, &buf[..n]);
            }
        }
        if !got {
            std::thread::sleep(StdDuration::from_millis(1));
        }
        let now = clock.now();
        if c.poll_timeout().is_some_and(|t| t <= now) {
            c.handle_timeout(now);
        }
        assert!(
            t0.elapsed() < StdDuration::from_secs(60),
            "{accepted} + {accounted} of 1000: {:?}",
            c.counters()
        );
    }
    assert_eq!((accepted, accounted), (500, 500));
    assert_eq!(c.outstanding(), 0);
    println!(
        "1000 concurrent requests over 4 sources: {:?}, {:?}",
        t0.elapsed(),
        c.counters()
    );
}

/// The tokio driver against FreeRADIUS: the Access-Request of
/// `examples/tokio_access_request.rs`, a reject, an Accounting-Request, and
/// 300 requests at once over one source socket: the 44 beyond its 256
/// Identifiers wait in the driver's FIFO and are all answered.
#[cfg(feature = "tokio")]
#[test]
fn freeradius_through_the_tokio_driver() {
    use radius_proto::driver::{RadiusClientDriver, RadiusDriverError};
    if skip("freeradius_through_the_tokio_driver") {
        return;
    }
    let r = Radiusd::start();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut cfg = RadiusClientConfig::new(vec![RadiusServerConfig::new(
            r.auth,
            r.acct,
            Secret::new(SECRET.as_bytes()),
        )]);
        cfg.nas_identifier = Some(b"nas".to_vec());
        let client = RadiusClient::new(cfg, SeededRng::from_u64(11)).unwrap();
        let nas = RadiusClientDriver::bind(client, "127.0.0.1:0".parse().unwrap(), 1024)
            .await
            .unwrap();

        let a = nas
            .authenticate(&user(b"alice"), Some(b"wonderland"))
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", r.log()));
        assert_eq!(a.code, Code::AccessAccept);
        let reply = AccessReply::from_packet(&a.packet().unwrap());
        assert_eq!(reply.framed_ip, Some([192, 0, 2, 7].into()));
        let no = nas.authenticate(&user(b"alice"), Some(b"wrong")).await;
        assert_eq!(no.unwrap().code, Code::AccessReject);

        let mut start = AccountingRecord::new(AcctStatusType::Start, b"drv-1");
        start.user_name = Some(b"alice");
        let extra = [Attribute::new(
            attr::NAS_IP_ADDRESS,
            Value::Ipv4([127, 0, 0, 1].into()),
        )];
        start.extra = &extra;
        let ack = nas.account(&start).await.unwrap();
        assert_eq!(ack.code, Code::AccountingResponse);

        let many: Vec<_> = (0..300)
            .map(|_| {
                let nas = nas.clone();
                tokio::spawn(async move {
                    nas.authenticate(&user(b"alice"), Some(b"wonderland"))
                        .await
                        .map(|a| a.code)
                })
            })
            .collect();
        for h in many {
            assert_eq!(h.await.unwrap(), Ok(Code::AccessAccept), "{}", r.log());
        }

        // A request the machine refuses comes back at once as Refused.
        let mut no_nas = RadiusClientConfig::new(vec![RadiusServerConfig::new(
            r.auth,
            r.acct,
            Secret::new(SECRET.as_bytes()),
        )]);
        no_nas.max_tries = 1;
        no_nas.timeout = StdDuration::from_millis(200);
        let bare = RadiusClientDriver::bind(
            RadiusClient::new(no_nas, SeededRng::from_u64(12)).unwrap(),
            "127.0.0.1:0".parse().unwrap(),
            1024,
        )
        .await
        .unwrap();
        let only_name = [Attribute::bytes(attr::USER_NAME, b"alice")];
        assert!(matches!(
            bare.authenticate(&only_name, Some(b"wonderland")).await,
            Err(RadiusDriverError::Refused(_))
        ));
    });
    // No answer at all (the server is gone): Timeout after the tries.
    let (auth, acct) = (r.auth, r.acct);
    drop(r);
    rt.block_on(async {
        let mut cfg = RadiusClientConfig::new(vec![RadiusServerConfig::new(
            auth,
            acct,
            Secret::new(SECRET.as_bytes()),
        )]);
        cfg.nas_identifier = Some(b"nas".to_vec());
        cfg.max_tries = 2;
        cfg.timeout = StdDuration::from_millis(100);
        let nas = RadiusClientDriver::bind(
            RadiusClient::new(cfg, SeededRng::from_u64(13)).unwrap(),
            "127.0.0.1:0".parse().unwrap(),
            1024,
        )
        .await
        .unwrap();
        let e = nas.authenticate(&user(b"alice"), Some(b"wonderland")).await;
        assert_eq!(e.unwrap_err(), RadiusDriverError::Timeout);
    });
}

/// `radclient` against the listener run by the tokio driver: the
/// application gets the verified requests from a channel and answers
/// through the driver (ACK for a known session, NAK 503 otherwise); a
/// request with the wrong secret never reaches it.
#[cfg(feature = "tokio")]
#[test]
fn radclient_against_the_tokio_dynauth_driver() {
    use radius_proto::driver::DynAuthDriver;
    if skip("radclient_against_the_tokio_dynauth_driver") {
        return;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (driver, mut requests) = rt.block_on(async {
        let server = DynAuthServer::new(DynAuthConfig::new(vec![DynAuthClient {
            addr: [127, 0, 0, 1].into(),
            secret: Secret::new(&b"coa-secret"[..]),
        }]));
        DynAuthDriver::bind(server, "127.0.0.1:0".parse().unwrap(), 16)
            .await
            .unwrap()
    });
    let addr = driver.local_addr();
    let app = rt.spawn(async move {
        let mut seen = 0;
        while let Some(r) = requests.recv().await {
            seen += 1;
            let a = match r.selector.acct_session_id.as_deref() {
                Some(b"sess-1") => Answer::Ack,
                _ => Answer::Nak(ErrorCause::SESSION_CONTEXT_NOT_FOUND),
            };
            driver.respond(r.handle, a);
        }
        seen
    });
    let run = |kind: &'static str, secret: &'static str, attrs: &'static str| {
        rt.block_on(async move {
            tokio::task::spawn_blocking(move || radclient(addr, kind, secret, attrs)).await
        })
        .unwrap()
    };
    let (ok, out) = run("disconnect", "coa-secret", "Acct-Session-Id = \"sess-1\"\n");
    assert!(ok && out.contains("Received Disconnect-ACK"), "{out}");
    let (_, out) = run("coa", "coa-secret", "Acct-Session-Id = \"nope\"\n");
    assert!(
        out.contains("Received CoA-NAK") && out.contains("Session-Context-Not-Found"),
        "{out}"
    );
    let (ok, out) = run(
        "disconnect",
        "wrong-secret",
        "Acct-Session-Id = \"sess-1\"\n",
    );
    assert!(!ok && !out.contains("Received"), "{out}");
    app.abort();
}
