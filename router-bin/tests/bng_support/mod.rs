//! The bng integration tests' bed: a client namespace and a bng namespace
//! joined by a veth pair, the bng spawned from its binary with a generated
//! config, and our ClientLink dialer on the client side.
#![allow(dead_code)] // each test binary uses a different part

pub mod radiusd;
pub mod v6;
pub mod workers;

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::Duration;

use crate::common::dialer::{Dialer, Seen};
use crate::common::icmp::icmpv4_echo;
use ppp_proto::PppConfig;
use pppoe_link::ClientLinkEvent;
use pppoe_proto::PppoeClientEvent;
use router_bin::afpacket::{ETH_P_ALL, PacketSocket};
use testbed::{Netns, Process, Testbed};

/// The bng's IPCP address (on its TUN device).
pub const LOCAL: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
/// The first pool address.
pub const POOL_FIRST: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 10);
/// An address of the bng's namespace on its ISP-side interface.
pub const ISP: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 1);
/// A host behind the bng (namespace `internet`), reached by forwarding.
pub const NET: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 2);

/// The namespaces and the running bng.
pub struct Bed {
    pub tb: Testbed,
    pub client: Netns,
    pub isp: Netns,
    pub internet: Netns,
    pub bng: Process,
    pub config: PathBuf,
}

/// A config on `acc0` with users alice/wonderland and bob (fixed address,
/// limits); `extra` is appended (e.g. a `[radius]` section).
pub fn config_text(dir: &std::path::Path, users: bool, extra: &str) -> String {
    let mut c = format!(
        "interface = \"acc0\"\nac_name = \"test-bng\"\ninterim_interval = 2\n\
         control_socket = \"{}/bng.sock\"\n{}\
         [lcp]\necho_interval = 5\n\
         [pool]\nfirst = \"{POOL_FIRST}\"\nlast = \"198.51.100.20\"\nlocal = \"{LOCAL}\"\n\
         dns = [\"198.51.100.53\", \"198.51.100.54\"]\n",
        dir.display(),
        datapath_section()
    );
    if users {
        c.push_str(
            "[[users]]\nname = \"alice\"\npassword = \"wonderland\"\n\
             [[users]]\nname = \"bob\"\npassword = \"builder\"\nip = \"192.0.2.77\"\n\
             upstream_kbps = 1000\ndownstream_kbps = 2000\n",
        );
    }
    c.push_str(extra);
    c
}

/// `[datapath] workers = N` when `BNG_TEST_WORKERS=N` is set (every bng
/// test then runs with upstream workers), else nothing (the event loop's
/// data path).
pub fn datapath_section() -> String {
    std::env::var("BNG_TEST_WORKERS")
        .ok()
        .and_then(|n| n.trim().parse::<usize>().ok())
        .map_or_else(String::new, |n| format!("[datapath]\nworkers = {n}\n"))
}

impl Bed {
    /// Builds the namespaces and starts the bng with `config`.
    pub fn start(label: &str, users: bool, extra: &str) -> Option<Bed> {
        Bed::start_text(label, |dir| config_text(dir, users, extra))
    }

    /// Builds the namespaces and starts the bng with the config `text`
    /// gives for the bed's directory.
    pub fn start_text(label: &str, text: impl FnOnce(&std::path::Path) -> String) -> Option<Bed> {
        Bed::start_prepared(label, text, |_, _| ()).map(|(bed, ())| bed)
    }

    /// As [`Bed::start_text`], with `prepare(testbed, isp namespace)` run
    /// before the bng starts (e.g. a RADIUS server it must find up).
    pub fn start_prepared<T>(
        label: &str,
        text: impl FnOnce(&std::path::Path) -> String,
        prepare: impl FnOnce(&Testbed, &Netns) -> T,
    ) -> Option<(Bed, T)> {
        let mut tb = Testbed::new(label)?;
        let client = tb.namespace("client").unwrap();
        let isp = tb.namespace("isp").unwrap();
        tb.veth((&client, "wan0"), (&isp, "acc0")).unwrap();
        let internet = tb.namespace("internet").unwrap();
        tb.veth((&isp, "isp0"), (&internet, "net0")).unwrap();
        tb.addr(&isp, "isp0", "203.0.113.1/24").unwrap();
        tb.addr(&internet, "net0", "203.0.113.2/24").unwrap();
        for net in ["198.51.100.0/24", "192.0.2.0/24"] {
            tb.ip(&internet, &["route", "add", net, "via", "203.0.113.1"])
                .unwrap();
        }
        tb.sysctl(&isp, &["net.ipv4.ip_forward=1"]).unwrap();
        let config = tb.dir().join("bng.toml");
        std::fs::write(&config, text(tb.dir())).unwrap();
        let prepared = prepare(&tb, &isp);
        let bng = tb
            .spawn(
                &isp,
                &[
                    env!("CARGO_BIN_EXE_bng"),
                    "--config",
                    config.to_str().unwrap(),
                ],
            )
            .unwrap();
        let mut bed = Bed {
            tb,
            client,
            isp,
            internet,
            bng,
            config,
        };
        bed.wait_log("bng ready", Duration::from_secs(10));
        if !datapath_section().is_empty() {
            bed.wait_log(
                "upstream data path on worker threads",
                Duration::from_secs(5),
            );
        }
        Some((bed, prepared))
    }

    /// Waits until the bng's log contains `text`; panics with the log if not.
    pub fn wait_log(&mut self, text: &str, limit: Duration) {
        self.bng.expect_log(text, limit);
    }

    /// The bng's log.
    pub fn log(&self) -> String {
        self.bng.output().1
    }

    /// Runs `bng <command> --config ...` in the bng's namespace.
    pub fn ctl(&self, command: &str) -> String {
        self.tb
            .exec(
                &self.isp,
                &[
                    env!("CARGO_BIN_EXE_bng"),
                    command,
                    "--config",
                    self.config.to_str().unwrap(),
                ],
                Duration::from_secs(10),
            )
            .unwrap()
    }

    /// A dialer for `user`/`password` on the client side.
    pub fn dialer(&self, user: &[u8], password: &[u8], seed: u64) -> Dialer {
        let sock = self
            .client
            .enter(|| PacketSocket::open("wan0", ETH_P_ALL))
            .unwrap()
            .unwrap();
        let pppoe = Dialer::pppoe_config(&sock);
        Dialer::new(sock, pppoe, PppConfig::peer(user, password), seed)
    }
}

/// Dials until IPCP is up; the client's address.
pub fn dial_up(d: &mut Dialer, log: impl Fn() -> String) -> Ipv4Addr {
    let up = d.run_until(Duration::from_secs(15), |s| {
        crate::common::dialer::ppp(s, |e| matches!(e, ppp_proto::PppEvent::Ipv4Up { .. }))
    });
    assert!(up, "no IPCP: {:?}\nbng log:\n{}", d.log, log());
    d.ipv4().unwrap().0
}

/// Sends echo requests `from` → `to` until one is answered (at most
/// `tries`); whether one was.
pub fn ping(d: &mut Dialer, from: Ipv4Addr, to: Ipv4Addr, seq: u16, tries: u16) -> bool {
    for i in 0..tries {
        d.send_data(0x0021, &icmpv4_echo(from, to, 0x4242, seq + i));
        let answered = d.run_until(Duration::from_millis(700), |s| {
            matches!(s, Seen::Data(0x0021, p)
                if p.len() >= 28 && p[20] == 0 && p[12..16] == to.octets() && p[16..20] == from.octets())
        });
        if answered {
            return true;
        }
    }
    false
}

/// Sends the bng an LCP Configure-Request inside the dialer's session (from
/// `mac`, the dialer's), as a peer renegotiating LCP would: both sides go
/// through LCP, authentication and IPCP again.
pub fn inject_lcp_configure_request(bed: &Bed, d: &Dialer, mac: [u8; 6]) {
    let (ac_mac, session_id) = d
        .log
        .iter()
        .find_map(|s| match s {
            Seen::Link(ClientLinkEvent::Pppoe(PppoeClientEvent::SessionUp {
                ac_mac,
                session_id,
                ..
            })) => Some((ac_mac.0, *session_id)),
            _ => None,
        })
        .expect("a PPPoE session");
    let sock = bed
        .client
        .enter(|| PacketSocket::open("wan0", 0x8864))
        .unwrap()
        .unwrap();
    let mut f = Vec::new();
    f.extend_from_slice(&ac_mac);
    f.extend_from_slice(&mac);
    f.extend_from_slice(&[0x88, 0x64, 0x11, 0x00]);
    f.extend_from_slice(&session_id.to_be_bytes());
    // PPP LCP Configure-Request, id 0x77: MRU 1492, Magic-Number.
    let lcp = [
        0xc0, 0x21, 0x01, 0x77, 0x00, 0x0e, 0x01, 0x04, 0x05, 0xd4, 0x05, 0x06, 0x12, 0x34, 0x56,
        0x78,
    ];
    f.extend_from_slice(&(lcp.len() as u16).to_be_bytes());
    f.extend_from_slice(&lcp);
    sock.send(&f).unwrap();
}

/// Sends `request` (radclient attribute lines) as a `kind` (`disconnect`,
/// `coa`) request to the bng's RFC 5176 listener; radclient's output.
pub fn radclient(bed: &Bed, kind: &str, request: &str) -> String {
    let file = bed.tb.dir().join("request.txt");
    std::fs::write(&file, request).unwrap();
    let mut p = bed
        .tb
        .spawn(
            &bed.isp,
            &[
                "radclient",
                "-x",
                "-r",
                "2",
                "-t",
                "2",
                "-f",
                file.to_str().unwrap(),
                "127.0.0.1:3799",
                kind,
                radiusd::SECRET,
            ],
        )
        .unwrap();
    p.wait_timeout(Duration::from_secs(15)).unwrap();
    let (out, err) = p.output();
    format!("{out}{err}")
}
