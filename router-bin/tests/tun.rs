//! The TUN glue against the kernel: the namespace pings a peer behind a TUN
//! device, and this test, as that peer, answers from userspace.

mod common;

use std::time::Duration;

use common::icmp::echo_reply;

use router_bin::tun::Tun;
use testbed::Testbed;

#[test]
fn ping_through_a_tun_device_answered_from_userspace() {
    let Some(mut tb) = Testbed::new("tun") else {
        return;
    };
    let ns = tb.namespace("tun").unwrap();
    let mut tun = ns.enter(|| Tun::open("ppp0")).unwrap().unwrap();
    assert_eq!(tun.name(), "ppp0");
    tb.ip(
        &ns,
        &[
            "addr",
            "add",
            "192.0.2.10",
            "peer",
            "192.0.2.1",
            "dev",
            "ppp0",
        ],
    )
    .unwrap();
    tb.link_up(&ns, "ppp0").unwrap();

    let ping = tb
        .spawn(
            &ns,
            &["ping", "-c", "3", "-i", "0.2", "-W", "2", "192.0.2.1"],
        )
        .unwrap();
    let mut buf = [0u8; 1600];
    let mut answered = 0;
    let end = std::time::Instant::now() + Duration::from_secs(10);
    while answered < 3 && std::time::Instant::now() < end {
        let Some(n) = tun
            .recv(&mut buf, Some(Duration::from_millis(500)))
            .unwrap()
        else {
            continue;
        };
        // Only IPv4 echo requests to the peer; the kernel may also send
        // other things (IPv6 router solicitations) that are ignored.
        let p = &buf[..n];
        if n < 20 || p[16..20] != [192, 0, 2, 1] {
            continue;
        }
        let Some(reply) = echo_reply(0x0021, p) else {
            continue;
        };
        tun.send(&reply).unwrap();
        answered += 1;
    }
    let mut ping = ping;
    let status = ping.wait_timeout(Duration::from_secs(10)).unwrap();
    let (out, err) = ping.output();
    assert!(
        status.is_some_and(|s| s.success()),
        "ping failed: {out}{err}"
    );
    assert!(out.contains("3 received"), "{out}");
}

#[test]
fn a_bad_name_is_a_clear_error() {
    let err = Tun::open("a-name-longer-than-fifteen").unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

/// A TUN device another process (here: another descriptor) holds open is
/// refused with EBUSY, which the error spells out for a person.
#[test]
fn a_device_in_use_says_so() {
    let Some(mut tb) = Testbed::new("tun-busy") else {
        return;
    };
    let ns = tb.namespace("tun").unwrap();
    let _first = ns.enter(|| Tun::open("ppp0")).unwrap().unwrap();
    let err = ns.enter(|| Tun::open("ppp0")).unwrap().unwrap_err();
    assert_eq!(err.raw_os_error(), None, "wrapped with an explanation");
    let text = err.to_string();
    assert!(
        text.starts_with("in use by another process (") && text.contains("busy"),
        "{text}"
    );
}

/// A multiqueue device is one daemon's: a second `open_queues` of the
/// same name is refused, also when both start at the same moment. Any
/// process may attach queues to a multiqueue device, so the first queue is
/// opened with IFF_TUN_EXCL (the kernel looks the name up and creates the
/// device under one lock); a look-up of the name before the open left a
/// window in which both daemons got queues of one device.
#[test]
fn two_opens_of_one_multiqueue_device_refuse_the_second() {
    use std::sync::{Arc, Barrier};

    let Some(mut tb) = Testbed::new("tun-excl") else {
        return;
    };
    let ns = tb.namespace("tun").unwrap();
    let first = ns
        .enter(|| Tun::open_queues("mq0", 2, false))
        .unwrap()
        .unwrap();
    let err = ns
        .enter(|| Tun::open_queues("mq0", 2, false))
        .unwrap()
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ResourceBusy, "{err}");
    assert!(err.to_string().starts_with("in use"), "{err}");
    // Closed, the device is gone at once: the router's retry without
    // offloads after a refused TUNSETOFFLOAD creates it anew.
    drop(first);
    let again = ns.enter(|| Tun::open_queues("mq0", 2, false)).unwrap();
    assert!(again.is_ok(), "{again:?}");
    drop(again);

    for round in 0..300 {
        let name = format!("mq{round}");
        let barrier = Arc::new(Barrier::new(2));
        let opens: Vec<_> = (0..2)
            .map(|_| {
                let (ns, name, barrier) = (ns.clone(), name.clone(), barrier.clone());
                std::thread::spawn(move || {
                    ns.enter(|| {
                        barrier.wait();
                        Tun::open_queues(&name, 4, false)
                    })
                    .unwrap()
                })
            })
            .collect();
        let results: Vec<_> = opens.into_iter().map(|h| h.join().unwrap()).collect();
        let opened = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(opened, 1, "round {round}: {results:?}");
    }
}
