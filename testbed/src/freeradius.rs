//! FreeRADIUS 3 (Debian's `freeradius` package) as a real RADIUS server for
//! tests and labs.
//!
//! [`Config`] writes a private configuration directory ("raddb") from
//! Debian's `/etc/freeradius/3.0`, trimmed to the modules `always`, `pap`,
//! `chap` and `files`, with the given clients, users file, listen addresses
//! and accounting written to a detail file ([`DETAIL`]). [`Radiusd`] runs
//! the server on such a directory as a child of the test (in this process's
//! namespace or inside a testbed namespace); a program that starts it some
//! other way uses [`wait_ready`] to know when it answers.
//!
//! ```no_run
//! use std::net::Ipv4Addr;
//! use testbed::freeradius::{Config, Radiusd};
//!
//! let dir = tempfile::tempdir().unwrap();
//! Config::new("alice\tCleartext-Password := \"wonderland\"\n")
//!     .client("nas", Ipv4Addr::LOCALHOST.into(), "testing123")
//!     .reject_delay(0)
//!     .write(dir.path())
//!     .unwrap();
//! // Listens on 127.0.0.1:1812 (auth) and 127.0.0.1:1813 (accounting).
//! let server = Radiusd::start(dir.path(), &["-X"]).unwrap();
//! println!("{}", server.detail());
//! ```

use std::fs;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::registry::Registry;
use crate::{Netns, Process, Testbed};

/// The server binary of Debian's `freeradius` package.
pub const BINARY: &str = "/usr/sbin/freeradius";
/// `radclient` of Debian's `freeradius-utils` package.
pub const RADCLIENT: &str = "/usr/bin/radclient";
/// The configuration every private directory starts from.
pub const DEBIAN_RADDB: &str = "/etc/freeradius/3.0";
/// The accounting detail file, relative to the configuration directory.
pub const DETAIL: &str = "acct/detail";
/// What FreeRADIUS logs once it answers requests.
pub const READY: &str = "Ready to process requests";
/// How long [`Radiusd`] waits for [`READY`].
pub const START_TIMEOUT: Duration = Duration::from_secs(20);

/// Whether the server and `radclient` are installed (Debian packages
/// `freeradius` and `freeradius-utils`).
pub fn installed() -> bool {
    Path::new(BINARY).exists() && Path::new(RADCLIENT).exists() && Path::new(DEBIAN_RADDB).exists()
}

/// One NAS allowed to talk to the server.
#[derive(Clone, Debug)]
struct Client {
    name: String,
    addr: IpAddr,
    secret: String,
}

/// A private FreeRADIUS configuration, written by [`Config::write`].
///
/// The server has one virtual server with an auth and an accounting
/// listener; authorize runs `chap`, `files`, `pap`; accounting appends to
/// [`DETAIL`]; rejects are logged, not proxied.
#[derive(Clone, Debug)]
pub struct Config {
    clients: Vec<Client>,
    users: String,
    auth: SocketAddr,
    acct: SocketAddr,
    reject_delay: Option<u32>,
}

impl Config {
    /// A configuration whose users file (`mods-config/files/authorize`) is
    /// `users`, listening on 127.0.0.1:1812 (auth) and 127.0.0.1:1813
    /// (accounting), with no clients yet and Debian's reject delay.
    pub fn new(users: &str) -> Config {
        Config {
            clients: Vec::new(),
            users: users.to_owned(),
            auth: SocketAddr::from((Ipv4Addr::LOCALHOST, 1812)),
            acct: SocketAddr::from((Ipv4Addr::LOCALHOST, 1813)),
            reject_delay: None,
        }
    }

    /// Allows requests from `addr` with `secret`; `name` (unique) is how the
    /// server's log calls this client.
    pub fn client(mut self, name: &str, addr: IpAddr, secret: &str) -> Config {
        self.clients.push(Client {
            name: name.to_owned(),
            addr,
            secret: secret.to_owned(),
        });
        self
    }

    /// Listens on `auth` for Access-Requests and on `acct` for
    /// Accounting-Requests.
    pub fn listen(mut self, auth: SocketAddr, acct: SocketAddr) -> Config {
        self.auth = auth;
        self.acct = acct;
        self
    }

    /// Delays each Access-Reject by `secs` seconds (0: answer at once, as
    /// tests want; Debian's default is 1).
    pub fn reject_delay(mut self, secs: u32) -> Config {
        self.reject_delay = Some(secs);
        self
    }

    /// Writes the configuration into `dir`, replacing whatever was there,
    /// with empty `log/`, `run/` and `acct/` subdirectories beside it.
    pub fn write(&self, dir: &Path) -> io::Result<()> {
        let debian = Path::new(DEBIAN_RADDB);
        if !debian.exists() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{DEBIAN_RADDB} is missing: install the Debian package freeradius"),
            ));
        }
        match fs::remove_dir_all(dir) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(annotate(e, dir)),
            _ => {}
        }
        copy_dir(debian, dir)?;
        for sub in ["mods-enabled", "sites-enabled"] {
            fs::remove_dir_all(dir.join(sub))?;
            fs::create_dir(dir.join(sub))?;
        }
        for sub in ["log", "run", "acct"] {
            fs::create_dir_all(dir.join(sub))?;
        }
        let d = dir.display();
        let mut conf = fs::read_to_string(dir.join("radiusd.conf"))?
            .replace(
                &format!("raddbdir = {DEBIAN_RADDB}"),
                &format!("raddbdir = {d}"),
            )
            .replace("logdir = /var/log/freeradius", &format!("logdir = {d}/log"))
            .replace(
                "run_dir = ${localstatedir}/run/${name}",
                &format!("run_dir = {d}/run"),
            )
            .replace("\tuser = freerad", "")
            .replace("\tgroup = freerad", "")
            .replace("proxy_requests  = yes", "proxy_requests  = no");
        if let Some(secs) = self.reject_delay {
            conf = conf.replace("reject_delay = 1", &format!("reject_delay = {secs}"));
        }
        fs::write(dir.join("radiusd.conf"), conf)?;
        let clients: String = self
            .clients
            .iter()
            .map(|c| {
                format!(
                    "client {} {{\n\tipaddr = {}\n\tsecret = {}\n}}\n",
                    c.name, c.addr, c.secret
                )
            })
            .collect();
        fs::write(dir.join("clients.conf"), clients)?;
        for m in ["always", "pap", "chap", "files"] {
            fs::copy(
                dir.join("mods-available").join(m),
                dir.join("mods-enabled").join(m),
            )?;
        }
        fs::write(
            dir.join("mods-enabled/detail"),
            format!(
                "detail {{\n\tfilename = {d}/{DETAIL}\n\tescape_filenames = no\n\tpermissions = 0600\n\theader = \"%t\"\n}}\n"
            ),
        )?;
        fs::write(dir.join("mods-config/files/authorize"), &self.users)?;
        let listen = |kind: &str, a: SocketAddr| {
            format!(
                "listen {{\n\ttype = {kind}\n\tipaddr = {}\n\tport = {}\n}}\n",
                a.ip(),
                a.port()
            )
        };
        fs::write(
            dir.join("sites-enabled/lab"),
            format!(
                "server lab {{\n{}{}\
                 authorize {{\n\tchap\n\tfiles\n\tpap\n}}\n\
                 authenticate {{\n\tAuth-Type PAP {{\n\t\tpap\n\t}}\n\tAuth-Type CHAP {{\n\t\tchap\n\t}}\n}}\n\
                 preacct {{\n\tok\n}}\n\
                 accounting {{\n\tdetail\n\tok\n}}\n\
                 post-auth {{\n\tok\n\tPost-Auth-Type REJECT {{\n\t\tok\n\t}}\n}}\n\
                 }}\n",
                listen("auth", self.auth),
                listen("acct", self.acct),
            ),
        )
    }
}

/// Waits at most `timeout` until the text `log` returns says FreeRADIUS is
/// [`READY`]. `exited` is asked each round whether the server has already
/// stopped (`Some(how)`), which fails at once. The error quotes the log's
/// last lines.
pub fn wait_ready(
    timeout: Duration,
    mut log: impl FnMut() -> String,
    mut exited: impl FnMut() -> Option<String>,
) -> io::Result<()> {
    poll_ready(timeout, || (log(), exited()))
}

/// [`wait_ready`] with one function that returns the log and whether (how)
/// the server exited.
fn poll_ready(
    timeout: Duration,
    mut poll: impl FnMut() -> (String, Option<String>),
) -> io::Result<()> {
    let end = Instant::now() + timeout;
    loop {
        let (text, exited) = poll();
        if text.contains(READY) {
            return Ok(());
        }
        if let Some(how) = exited {
            return Err(io::Error::other(format!(
                "FreeRADIUS exited ({how}):\n{}",
                tail(&text)
            )));
        }
        if Instant::now() >= end {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("FreeRADIUS not ready after {timeout:?}:\n{}", tail(&text)),
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A FreeRADIUS server started by the test on a configuration directory;
/// stopped by PID when dropped.
pub struct Radiusd {
    process: Process,
    dir: PathBuf,
}

impl Radiusd {
    /// Runs `freeradius FLAGS -d DIR` in this process's network namespace
    /// (`-X` for the debug log; `-f -l stdout` for full speed) and waits
    /// until it is ready. Its output is kept in `DIR/log/`.
    pub fn start(dir: &Path, flags: &[&str]) -> io::Result<Radiusd> {
        let argv = argv(dir, flags)?;
        let mut cmd = Command::new(BINARY);
        cmd.args(&argv[1..]);
        // Not part of any testbed: only this value stops it.
        let registry = Arc::new(Mutex::new(Registry::default()));
        let process = Process::start(cmd, &argv, registry, &dir.join("log"))?;
        Radiusd::ready(process, dir)
    }

    /// Like [`Radiusd::start`], inside `ns` (stopped with the testbed, too).
    pub fn start_in(tb: &Testbed, ns: &Netns, dir: &Path, flags: &[&str]) -> io::Result<Radiusd> {
        let process = tb.spawn(ns, &argv(dir, flags)?)?;
        Radiusd::ready(process, dir)
    }

    fn ready(mut process: Process, dir: &Path) -> io::Result<Radiusd> {
        poll_ready(START_TIMEOUT, || {
            // Exit status first, so the log read after it is complete.
            let exited = process.try_wait().ok().flatten();
            let (out, err) = process.output();
            (out + &err, exited.map(|s| s.to_string()))
        })?;
        Ok(Radiusd {
            process,
            dir: dir.to_owned(),
        })
    }

    /// The configuration directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Its output so far (stdout, then stderr).
    pub fn log(&self) -> String {
        let (out, err) = self.process.output();
        out + &err
    }

    /// The accounting detail file so far.
    pub fn detail(&self) -> String {
        fs::read_to_string(self.dir.join(DETAIL)).unwrap_or_default()
    }

    /// The process, for signals or to stop it early.
    pub fn process(&mut self) -> &mut Process {
        &mut self.process
    }
}

fn argv<'a>(dir: &'a Path, flags: &[&'a str]) -> io::Result<Vec<&'a str>> {
    let d = dir.to_str().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{}: not UTF-8", dir.display()),
        )
    })?;
    let mut v = vec![BINARY];
    v.extend_from_slice(flags);
    v.extend(["-d", d]);
    Ok(v)
}

/// The last 60 lines of a log.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(60)..].join("\n")
}

fn annotate(e: io::Error, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// Copies a directory tree, following symlinks and skipping dangling ones
/// (Debian's tree has a few).
fn copy_dir(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir_all(to)?;
    for e in fs::read_dir(from)?.flatten() {
        let p = e.path();
        let t = to.join(e.file_name());
        match fs::metadata(&p) {
            Ok(m) if m.is_dir() => copy_dir(&p, &t)?,
            Ok(_) => {
                fs::copy(&p, &t).map_err(|e| annotate(e, &p))?;
            }
            Err(_) => {} // a dangling symlink
        }
    }
    Ok(())
}
