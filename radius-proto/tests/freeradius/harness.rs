//! The harness: a FreeRADIUS child with its own configuration, and a
//! std-only UDP driver for the client machine.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::time::Duration as StdDuration;

use radius_proto::Secret;
use radius_proto::client::{
    RadiusClient, RadiusClientConfig, RadiusClientEvent, RadiusServerConfig, RequestHandle,
};
use radius_proto::wire::{Attribute, Code, Value, attr};
use sansio_primitives::{Duration, SeededRng, StdClock};
use testbed::freeradius;

pub const SECRET: &str = "testing123";

pub fn skip(test: &str) -> bool {
    let root = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false);
    let have = freeradius::installed();
    if !root || !have {
        // In CI (or with TESTBED_REQUIRED) a skip would hide a missing peer.
        testbed::skip(
            test,
            &format!(
                "needs root and Debian packages freeradius + freeradius-utils (root={root}, installed={have})"
            ),
        );
        return true;
    }
    false
}

pub fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A FreeRADIUS child process with its own config dir; stopped on drop.
pub struct Radiusd {
    // Dropped (stopped) before its directory is removed.
    pub server: freeradius::Radiusd,
    pub dir: tempfile::TempDir,
    pub auth: SocketAddr,
    pub acct: SocketAddr,
}

pub const USERS: &str = r#"
alice	Cleartext-Password := "wonderland"
	Framed-IP-Address = 192.0.2.7,
	Framed-IP-Netmask = 255.255.255.255,
	Acct-Interim-Interval = 300,
	Session-Timeout = 86400,
	RP-Upstream-Speed-Limit = 2048,
	RP-Downstream-Speed-Limit = 16384,
	Cisco-AVPair = "throttle=yes",
	Delegated-IPv6-Prefix = 2001:db8:100::/56,
	Message-Authenticator = 0x00

bob	Cleartext-Password := "builder"
	Framed-IP-Address = 192.0.2.8

DEFAULT	Auth-Type := Reject
	Reply-Message = "denied",
	Message-Authenticator = 0x00
"#;

impl Radiusd {
    pub fn start() -> Radiusd {
        Self::start_with(&["-X"])
    }

    /// Starts with the given mode flags (`-X` for the debug log the tests
    /// read on failure; `-f -l stdout` for full multi-threaded speed).
    pub fn start_with(flags: &[&str]) -> Radiusd {
        let dir = tempfile::tempdir().unwrap();
        let auth = SocketAddr::from(([127, 0, 0, 1], free_udp_port()));
        let acct = SocketAddr::from(([127, 0, 0, 1], free_udp_port()));
        freeradius::Config::new(USERS)
            .client("nas", Ipv4Addr::LOCALHOST.into(), SECRET)
            .listen(auth, acct)
            .reject_delay(0)
            .write(dir.path())
            .unwrap();
        let server =
            freeradius::Radiusd::start(dir.path(), flags).unwrap_or_else(|e| panic!("{e}"));
        Radiusd {
            server,
            dir,
            auth,
            acct,
        }
    }

    pub fn log(&self) -> String {
        self.server.log()
    }

    pub fn detail(&self) -> String {
        self.server.detail()
    }
}

/// A std-only UDP driver for the client machine.
pub struct Nas {
    pub sock: UdpSocket,
    pub clock: StdClock,
    pub client: RadiusClient,
    pub events: Vec<RadiusClientEvent>,
    /// The last datagram sent.
    pub last_sent: Vec<u8>,
}

impl Nas {
    pub fn new(servers: Vec<RadiusServerConfig>, timeout: StdDuration, tries: u32) -> Nas {
        let mut cfg = RadiusClientConfig::new(servers);
        cfg.nas_identifier = Some(b"nas".to_vec());
        cfg.timeout = timeout;
        cfg.max_tries = tries;
        Nas {
            sock: UdpSocket::bind("127.0.0.1:0").unwrap(),
            clock: StdClock::new(),
            client: RadiusClient::new(cfg, SeededRng::from_u64(0x5eed)).unwrap(),
            events: Vec::new(),
            last_sent: Vec::new(),
        }
    }

    pub fn pump(&mut self) {
        while let Some(t) = self.client.poll_transmit(self.clock.now()) {
            self.sock
                .send_to(&t.payload, t.destination.address)
                .unwrap();
            self.last_sent = t.payload;
        }
        while let Some(e) = self.client.poll_event() {
            self.events.push(e);
        }
    }

    /// Runs until `h` is answered or timed out; at most `limit` wall time.
    pub fn wait(&mut self, h: RequestHandle, limit: StdDuration) -> RadiusClientEvent {
        let end = std::time::Instant::now() + limit;
        let mut buf = [0u8; 4096];
        loop {
            self.pump();
            if let Some(i) = self.events.iter().position(|e| match e {
                RadiusClientEvent::Response(r) => r.handle == h,
                RadiusClientEvent::Timeout { handle } => *handle == h,
                _ => false,
            }) {
                return self.events.remove(i);
            }
            assert!(
                std::time::Instant::now() < end,
                "no outcome within {limit:?}"
            );
            let now = self.clock.now();
            let wait = self
                .client
                .poll_timeout()
                .map_or(Duration::from_millis(50), |t| {
                    t.saturating_duration_since(now)
                })
                .clamp(Duration::from_millis(1), Duration::from_millis(50));
            self.sock.set_read_timeout(Some(wait)).unwrap();
            if let Ok((n, from)) = self.sock.recv_from(&mut buf) {
                let _ = self.client.handle_input(self.clock.now(), from, &buf[..n]);
            }
            let now = self.clock.now();
            if self.client.poll_timeout().is_some_and(|t| t <= now) {
                self.client.handle_timeout(now);
            }
        }
    }

    pub fn auth(&mut self, attrs: &[Attribute<'_>], pw: Option<&[u8]>) -> RadiusClientEvent {
        let h = self
            .client
            .authenticate(self.clock.now(), attrs, pw)
            .unwrap();
        self.wait(h, StdDuration::from_secs(10))
    }
}

pub fn code_of(e: &RadiusClientEvent) -> Option<Code> {
    match e {
        RadiusClientEvent::Response(r) => Some(r.code),
        _ => None,
    }
}

pub fn nas_for(r: &Radiusd, secret: &str) -> Nas {
    Nas::new(
        vec![RadiusServerConfig::new(
            r.auth,
            r.acct,
            Secret::new(secret.as_bytes()),
        )],
        StdDuration::from_millis(500),
        2,
    )
}

pub fn user(name: &'static [u8]) -> [Attribute<'static>; 3] {
    [
        Attribute::bytes(attr::USER_NAME, name),
        Attribute::new(attr::NAS_IP_ADDRESS, Value::Ipv4([127, 0, 0, 1].into())),
        Attribute::integer(attr::NAS_PORT, 1),
    ]
}
