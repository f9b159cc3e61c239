//! A FreeRADIUS child inside the bng's namespace, on its loopback, with its
//! own configuration directory (a copy of /etc/freeradius/3.0 with our
//! clients, users file, detail accounting and one virtual server), as
//! radius-proto's FreeRADIUS tests run it.

use std::path::Path;
use std::time::{Duration, Instant};

use testbed::{Netns, Process, Testbed};

/// The shared secret of the NAS (and of radclient's Disconnect-Requests).
pub const SECRET: &str = "testing123";

/// Whether FreeRADIUS and radclient are installed; prints a SKIP line if
/// not (and fails under CI or TESTBED_REQUIRED).
pub fn available(test: &str) -> bool {
    let have =
        Path::new("/usr/sbin/freeradius").exists() && Path::new("/usr/bin/radclient").exists();
    if !have {
        let required =
            std::env::var_os("CI").is_some() || std::env::var_os("TESTBED_REQUIRED").is_some();
        assert!(!required, "{test}: needs freeradius + freeradius-utils");
        eprintln!("SKIP {test}: needs Debian packages freeradius + freeradius-utils");
    }
    have
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        let t = to.join(e.file_name());
        match std::fs::metadata(&p) {
            Ok(m) if m.is_dir() => copy_dir(&p, &t),
            Ok(_) => {
                std::fs::copy(&p, &t).unwrap();
            }
            Err(_) => {} // dangling symlink
        }
    }
}

/// The running server.
pub struct Radiusd {
    pub process: Process,
    pub dir: std::path::PathBuf,
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
        let d = tb.dir().join("raddb");
        copy_dir(Path::new("/etc/freeradius/3.0"), &d);
        for sub in ["mods-enabled", "sites-enabled"] {
            std::fs::remove_dir_all(d.join(sub)).unwrap();
            std::fs::create_dir(d.join(sub)).unwrap();
        }
        for sub in ["log", "run", "acct"] {
            std::fs::create_dir(d.join(sub)).unwrap();
        }
        let conf = std::fs::read_to_string(d.join("radiusd.conf")).unwrap();
        let conf = conf
            .replace(
                "raddbdir = /etc/freeradius/3.0",
                &format!("raddbdir = {}", d.display()),
            )
            .replace(
                "logdir = /var/log/freeradius",
                &format!("logdir = {}/log", d.display()),
            )
            .replace(
                "run_dir = ${localstatedir}/run/${name}",
                &format!("run_dir = {}/run", d.display()),
            )
            .replace("\tuser = freerad", "")
            .replace("\tgroup = freerad", "")
            .replace("reject_delay = 1", "reject_delay = 0")
            .replace("proxy_requests  = yes", "proxy_requests  = no");
        std::fs::write(d.join("radiusd.conf"), conf).unwrap();
        std::fs::write(
            d.join("clients.conf"),
            format!("client nas {{\n\tipaddr = 127.0.0.1\n\tsecret = {SECRET}\n}}\n"),
        )
        .unwrap();
        for m in ["always", "pap", "chap", "files"] {
            std::fs::copy(
                d.join("mods-available").join(m),
                d.join("mods-enabled").join(m),
            )
            .unwrap();
        }
        std::fs::write(
            d.join("mods-enabled/detail"),
            format!(
                "detail {{\n\tfilename = {}/acct/detail\n\tescape_filenames = no\n\tpermissions = 0600\n\theader = \"%t\"\n}}\n",
                d.display()
            ),
        )
        .unwrap();
        std::fs::write(d.join("mods-config/files/authorize"), users).unwrap();
        std::fs::write(
            d.join("sites-enabled/test"),
            "server test {\n\
             listen {\n\ttype = auth\n\tipaddr = 127.0.0.1\n\tport = 1812\n}\n\
             listen {\n\ttype = acct\n\tipaddr = 127.0.0.1\n\tport = 1813\n}\n\
             authorize {\n\tchap\n\tfiles\n\tpap\n}\n\
             authenticate {\n\tAuth-Type PAP {\n\t\tpap\n\t}\n\tAuth-Type CHAP {\n\t\tchap\n\t}\n}\n\
             preacct {\n\tok\n}\n\
             accounting {\n\tdetail\n\tok\n}\n\
             post-auth {\n\tok\n\tPost-Auth-Type REJECT {\n\t\tok\n\t}\n}\n\
             }\n",
        )
        .unwrap();
        let mut process = tb
            .spawn(
                ns,
                &["/usr/sbin/freeradius", "-X", "-d", d.to_str().unwrap()],
            )
            .unwrap();
        let end = Instant::now() + Duration::from_secs(20);
        loop {
            let (out, err) = process.output();
            if out.contains("Ready to process requests") {
                break;
            }
            if let Ok(Some(st)) = process.try_wait() {
                panic!("freeradius exited ({st}):\n{out}{err}");
            }
            assert!(Instant::now() < end, "freeradius not ready:\n{out}{err}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Radiusd { process, dir: d }
    }

    /// The detail (accounting) file so far.
    pub fn detail(&self) -> String {
        std::fs::read_to_string(self.dir.join("acct/detail")).unwrap_or_default()
    }

    /// Its debug log.
    pub fn log(&self) -> String {
        self.process.output().0
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
