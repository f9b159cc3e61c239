//! A FreeRADIUS child inside the bng's namespace, on its loopback, with its
//! own configuration directory written by `testbed::freeradius` (as
//! radius-proto's FreeRADIUS tests run it).

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use testbed::freeradius;
use testbed::{Netns, Testbed};

/// The shared secret of the NAS (and of radclient's Disconnect-Requests).
pub const SECRET: &str = "testing123";

/// Whether FreeRADIUS and radclient are installed; prints a SKIP line if
/// not (and fails under CI or TESTBED_REQUIRED).
pub fn available(test: &str) -> bool {
    let have = freeradius::installed();
    if !have {
        testbed::skip(test, "needs Debian packages freeradius + freeradius-utils");
    }
    have
}

/// The running server.
pub struct Radiusd {
    pub server: freeradius::Radiusd,
}

/// The `[radius]` + `[coa]` sections of the bng's config for this server.
pub fn bng_sections() -> String {
    format!(
        "[radius]\nnas_identifier = \"test-bng\"\ntimeout_ms = 1000\nretries = 2\n\
         [[radius.servers]]\nauth = \"127.0.0.1:1812\"\nacct = \"127.0.0.1:1813\"\nsecret = \"{SECRET}\"\n\
         [coa]\nlisten = \"127.0.0.1:3799\"\nsecret = \"{SECRET}\"\n"
    )
}

impl Radiusd {
    /// Starts FreeRADIUS in `ns` on 127.0.0.1:1812/1813 with `users` as its
    /// users file; returns once it is ready.
    pub fn start(tb: &Testbed, ns: &Netns, users: &str) -> Radiusd {
        let dir = tb.dir().join("raddb");
        freeradius::Config::new(users)
            .client("nas", Ipv4Addr::LOCALHOST.into(), SECRET)
            .reject_delay(0)
            .write(&dir)
            .unwrap();
        let server =
            freeradius::Radiusd::start_in(tb, ns, &dir, &["-X"]).unwrap_or_else(|e| panic!("{e}"));
        Radiusd { server }
    }

    /// The detail (accounting) file so far.
    pub fn detail(&self) -> String {
        self.server.detail()
    }

    /// Its debug log.
    pub fn log(&self) -> String {
        self.server.log()
    }

    /// Waits until the detail file satisfies `f`; the file.
    pub fn wait_detail(&self, limit: Duration, f: impl Fn(&str) -> bool) -> Option<String> {
        let end = Instant::now() + limit;
        loop {
            let d = self.detail();
            if f(&d) {
                return Some(d);
            }
            if Instant::now() >= end {
                return None;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The records (blank-line separated) of a detail file.
pub fn records(detail: &str) -> Vec<&str> {
    detail
        .split("\n\n")
        .filter(|r| r.contains("Acct-Status-Type"))
        .collect()
}

/// The integer value of `attr` in one detail record.
pub fn value(record: &str, attr: &str) -> Option<u64> {
    record.lines().find_map(|l| {
        let (k, v) = l.trim().split_once(" = ")?;
        (k == attr).then(|| v.trim().trim_matches('"').parse().ok())?
    })
}
