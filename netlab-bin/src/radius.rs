//! FreeRADIUS for `netlab up --radius`: a private configuration directory
//! (Debian's, trimmed to PAP, CHAP, the users file and detail accounting;
//! written by `testbed::freeradius`) listening on loopback inside the ISP
//! namespace.

use std::io;
use std::net::Ipv4Addr;
use std::path::Path;

use testbed::freeradius::{self, Config};

/// Where the accounting detail file is written, under the config dir.
pub const DETAIL: &str = freeradius::DETAIL;

/// Writes a configuration under `dir` from Debian's `/etc/freeradius/3.0`:
/// the bng on 127.0.0.1 with `secret`, users file `users`, listening on
/// 127.0.0.1:1812/1813.
pub fn configure(dir: &Path, secret: &str, users: &str) -> io::Result<()> {
    Config::new(users)
        .client("bng", Ipv4Addr::LOCALHOST.into(), secret)
        .write(dir)
}

/// Waits until the FreeRADIUS log says it is ready.
pub fn wait_ready(log: &Path) -> io::Result<()> {
    freeradius::wait_ready(
        freeradius::START_TIMEOUT,
        || std::fs::read_to_string(log).unwrap_or_default(),
        || None,
    )
    .map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("FreeRADIUS did not start: see {}\n{e}", log.display()),
        )
    })
}
