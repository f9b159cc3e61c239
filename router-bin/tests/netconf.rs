//! The shared glue of both binaries against the kernel: a TUN device in
//! the event loop, configured over netlink, carries a namespace's pings;
//! the control socket answers a request.

mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use common::icmp::echo_reply;
use router_bin::aio::AsyncTun;
use router_bin::control;
use router_bin::netconf::{Netconf, disable_ipv6_autoconf};
use testbed::Testbed;

const LOCAL: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 10);
const FAR: &str = "198.51.100.7";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn a_tun_device_configured_over_netlink_carries_pings() {
    let Some(mut tb) = Testbed::new("netconf") else {
        return;
    };
    let ns = tb.namespace("netconf").unwrap();
    // Configure: the TUN link with an MTU, a /32, both default routes.
    // One runtime for the test: the device is registered with its driver.
    let rt = runtime();
    let tun = ns
        .enter(|| {
            rt.block_on(async {
                let tun = AsyncTun::open("ppp0")?;
                disable_ipv6_autoconf("ppp0")?;
                let nl = Netconf::new().await?;
                nl.link_up("ppp0", Some(1492)).await?;
                nl.add_address("ppp0", IpAddr::V4(LOCAL), 32).await?;
                // Adding it twice is not an error.
                nl.add_address("ppp0", IpAddr::V4(LOCAL), 32).await?;
                let ll = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x10);
                nl.add_address("ppp0", IpAddr::V6(ll), 64).await?;
                nl.replace_route(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0, "ppp0")
                    .await?;
                nl.replace_route(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0, "ppp0")
                    .await?;
                std::io::Result::Ok(tun)
            })
        })
        .unwrap()
        .unwrap();
    let show = |args: &[&str]| {
        let mut argv = vec!["ip"];
        argv.extend_from_slice(args);
        tb.exec(&ns, &argv, Duration::from_secs(5)).unwrap()
    };
    let link = show(&["link", "show", "ppp0"]);
    assert!(link.contains("mtu 1492") && link.contains(",UP"), "{link}");
    let addrs = show(&["addr", "show", "ppp0"]);
    assert!(addrs.contains("inet 192.0.2.10/32"), "{addrs}");
    assert!(addrs.contains("inet6 fe80::10/64"), "{addrs}");
    assert_eq!(
        addrs.matches("inet6 fe80").count(),
        1,
        "only our link-local address: {addrs}"
    );
    let v4 = show(&["-4", "route", "show", "default"]);
    assert!(v4.contains("default dev ppp0"), "{v4}");
    let v6 = show(&["-6", "route", "show", "default"]);
    assert!(v6.contains("default dev ppp0"), "{v6}");

    // Pings to a far address leave through the TUN; answer them in the
    // event loop.
    let ping = tb
        .spawn(&ns, &["ping", "-c", "3", "-i", "0.2", "-W", "2", FAR])
        .unwrap();
    let answered = rt.block_on(async {
        let mut buf = [0u8; 1600];
        let mut answered = 0;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while answered < 3 {
            let Ok(n) = tokio::time::timeout_at(deadline, tun.recv(&mut buf)).await else {
                break;
            };
            let p = &buf[..n.unwrap()];
            if p.len() < 20 || p[0] >> 4 != 4 {
                continue;
            }
            if let Some(reply) = echo_reply(0x0021, p) {
                tun.send(&reply).unwrap();
                answered += 1;
            }
        }
        answered
    });
    if answered != 3 {
        let mut ping = ping;
        let _ = ping.wait_timeout(Duration::from_secs(5));
        panic!("answered {answered}: {:?}", ping.output());
    }
    let mut ping = ping;
    let status = ping.wait_timeout(Duration::from_secs(10)).unwrap();
    let (out, _) = ping.output();
    assert!(status.is_some_and(|s| s.success()), "{out}");

    // Tear down: routes and addresses go, a second delete is fine.
    ns.enter(|| {
        rt.block_on(async {
            let nl = Netconf::new().await?;
            for _ in 0..2 {
                nl.delete_route(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0, "ppp0")
                    .await?;
                nl.delete_address("ppp0", IpAddr::V4(LOCAL), 32).await?;
            }
            std::io::Result::Ok(())
        })
    })
    .unwrap()
    .unwrap();
    // Only the IPv4 address went.
    let addrs = show(&["addr", "show", "ppp0"]);
    assert!(!addrs.contains("inet "), "{addrs}");
    assert!(addrs.contains("inet6 fe80::10/64"), "{addrs}");
    ns.enter(|| {
        rt.block_on(async {
            let nl = Netconf::new().await?;
            nl.flush_addresses("ppp0").await?;
            nl.link_down("ppp0").await?;
            let missing = nl.link_up("nosuch0", None).await.unwrap_err();
            assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
            std::io::Result::Ok(())
        })
    })
    .unwrap()
    .unwrap();
    assert!(show(&["-4", "route", "show", "default"]).trim().is_empty());
    let addrs = show(&["addr", "show", "ppp0"]);
    assert!(!addrs.contains("inet"), "{addrs}");
    drop(tun);
}

#[test]
fn the_control_socket_answers_one_request() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ctl.sock");
    // A stale socket file from an earlier run is replaced.
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    let rt = runtime();
    let listener = rt.block_on(async { control::bind(&path) }).unwrap();
    let client_path = path.clone();
    let client = std::thread::spawn(move || {
        control::request(&client_path, "sessions", Duration::from_secs(5))
    });
    rt.block_on(async {
        let (mut stream, _) = listener.accept().await.unwrap();
        let command = control::read_command(&mut stream).await.unwrap();
        assert_eq!(command, "sessions");
        control::write_reply(&mut stream, "none\n").await.unwrap();
    });
    assert_eq!(client.join().unwrap().unwrap(), "none\n");

    drop(listener);
    std::fs::remove_file(&path).unwrap();
    let err = control::request(&path, "sessions", Duration::from_secs(1)).unwrap_err();
    assert!(err.to_string().contains("is the daemon running"), "{err}");
}
