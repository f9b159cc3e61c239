//! The ISP side of the router's IPv6 tests: our AC with the session's
//! IPv6 bridged to the TUN `sess0` in the ISP's namespace (fe80::1,
//! 2001:db8:ffff::1/64, routes for 2001:db8:100::/48 and 2001:db8:200::/48),
//! `kea-dhcp6` delegating /56s and `radvd` advertising 2001:db8:ffff::/64
//! on it.

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use router_bin::afpacket::{ETH_P_ALL, PacketSocket};
use router_bin::tun::Tun;
use testbed::{Netns, Process, Testbed};

use super::concentrator::{AcSeen, AcSettings, serve_bridged};

/// The ISP side: our AC bridged to `sess0`, kea and radvd on it.
pub struct Isp {
    ns: Netns,
    tun: Arc<Tun>,
    stop: Arc<AtomicBool>,
    ac: Option<JoinHandle<Vec<AcSeen>>>,
    kea: Option<Process>,
    /// Kept: dropping a `Process` stops it.
    pub radvd: Option<Process>,
    /// Whether the AC gives the sessions IPv4 (IPCP).
    ipv4: bool,
}

impl Isp {
    /// Sets up `sess0` and starts the AC, kea (pool `pool`/48) and radvd.
    pub fn start(tb: &Testbed, ns: &Netns, pool: &str) -> Isp {
        Isp::start_with(tb, ns, pool, true, "")
    }

    /// [`Isp::start`], the sessions with IPv4 or not (`ipv4`), `radvd_extra`
    /// added to radvd's `interface sess0` block (e.g. a `nat64prefix`).
    pub fn start_with(tb: &Testbed, ns: &Netns, pool: &str, ipv4: bool, radvd_extra: &str) -> Isp {
        let tun = testbed::in_namespace(ns.name(), || Tun::open("sess0"))
            .unwrap()
            .unwrap();
        sh(
            tb,
            ns,
            "sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv6.conf.sess0.addr_gen_mode=1 && \
             ip link set sess0 up && \
             ip addr add fe80::1/64 dev sess0 nodad && \
             ip addr add 2001:db8:ffff::1/64 dev sess0 nodad && \
             ip -6 route add 2001:db8:100::/48 dev sess0 && \
             ip -6 route add 2001:db8:200::/48 dev sess0",
        );
        let mut isp = Isp {
            ns: ns.clone(),
            tun: Arc::new(tun),
            stop: Arc::new(AtomicBool::new(false)),
            ac: None,
            kea: None,
            radvd: None,
            ipv4,
        };
        isp.start_ac();
        isp.start_kea(tb, pool);
        let radvd = tb.dir().join("radvd.conf");
        std::fs::write(
            &radvd,
            "interface sess0 {\n  AdvSendAdvert on;\n  MinRtrAdvInterval 3;\n  MaxRtrAdvInterval 4;\n  \
             prefix 2001:db8:ffff::/64 { AdvOnLink on; AdvAutonomous on; };\n"
                .to_owned()
                + radvd_extra
                + "\n};\n",
        )
        .unwrap();
        let pid = tb.dir().join("radvd.pid");
        isp.radvd = Some(
            tb.spawn(
                ns,
                &[
                    "radvd",
                    "-n",
                    "-m",
                    "stderr",
                    "-C",
                    radvd.to_str().unwrap(),
                    "-p",
                    pid.to_str().unwrap(),
                ],
            )
            .unwrap(),
        );
        isp
    }

    pub fn start_ac(&mut self) {
        let sock = testbed::in_namespace(self.ns.name(), || PacketSocket::open("ac0", ETH_P_ALL))
            .unwrap()
            .unwrap();
        self.stop = Arc::new(AtomicBool::new(false));
        let (stop, tun) = (Arc::clone(&self.stop), Arc::clone(&self.tun));
        let ipv4 = self.ipv4;
        self.ac = Some(std::thread::spawn(move || {
            let settings = AcSettings {
                ac_name: b"test-ac",
                users: vec![(b"alice", b"s3cret")],
                local: Ipv4Addr::new(192, 0, 2, 1),
                pool_start: Ipv4Addr::new(192, 0, 2, 10),
                dns: [Ipv4Addr::new(192, 0, 2, 53), Ipv4Addr::new(192, 0, 2, 54)],
            };
            serve_bridged(sock, settings, tun, ipv4, stop)
        }));
    }

    pub fn stop_ac(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(ac) = self.ac.take() {
            ac.join().unwrap();
        }
    }

    /// (Re)starts kea delegating /56s of `pool`/48; a restart forgets the
    /// leases (a renumbered ISP).
    pub fn start_kea(&mut self, tb: &Testbed, pool: &str) {
        if let Some(mut k) = self.kea.take() {
            k.stop().unwrap();
        }
        let dir = tb.dir();
        let _ = std::fs::remove_file(dir.join("leases6.csv"));
        let conf = dir.join("kea-dhcp6.conf");
        std::fs::write(
            &conf,
            format!(
                r#"{{ "Dhcp6": {{
  "interfaces-config": {{ "interfaces": [ "sess0" ] }},
  "server-id": {{ "type": "EN", "enterprise-id": 2495, "identifier": "0102", "persist": false }},
  "lease-database": {{ "type": "memfile", "persist": true, "name": "{}/leases6.csv", "lfc-interval": 0 }},
  "renew-timer": 10, "rebind-timer": 16, "preferred-lifetime": 300, "valid-lifetime": 600,
  "subnet6": [ {{
    "id": 1, "subnet": "2001:db8:ffff::/64", "interface": "sess0",
    "pd-pools": [ {{ "prefix": "{pool}", "prefix-len": 48, "delegated-len": 56 }} ],
    "option-data": [ {{ "name": "dns-servers", "data": "2001:db8::53" }} ]
  }} ],
  "loggers": [ {{ "name": "kea-dhcp6", "output_options": [ {{ "output": "stdout" }} ], "severity": "INFO" }} ]
}} }}"#,
                dir.display()
            ),
        )
        .unwrap();
        let cmd = format!(
            "exec env KEA_PIDFILE_DIR={0} KEA_LOCKFILE_DIR={0} kea-dhcp6 -c {1}",
            dir.display(),
            conf.display()
        );
        let kea = tb.spawn(&self.ns, &["sh", "-c", &cmd]).unwrap();
        wait(Duration::from_secs(10), "kea started", || {
            kea.output().0.contains("DHCP6_STARTED")
        });
        self.kea = Some(kea);
    }

    pub fn kea_log(&self) -> String {
        self.kea.as_ref().map(|k| k.output().0).unwrap_or_default()
    }
}

impl Drop for Isp {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

pub fn sh(tb: &Testbed, ns: &Netns, cmd: &str) -> String {
    tb.exec(ns, &["sh", "-c", cmd], Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{cmd}: {e}"))
}

pub fn wait(limit: Duration, what: &str, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("timed out waiting for {what}");
}
