//! FreeRADIUS for `netlab up --radius`: a private configuration directory
//! (Debian's, trimmed to PAP, CHAP, the users file and detail accounting)
//! listening on loopback inside the ISP namespace.

use std::fs;
use std::io;
use std::path::Path;
use std::time::Duration;

use crate::host::wait_for;

/// Where the accounting detail file is written, under the config dir.
pub const DETAIL: &str = "acct/detail";

/// Writes a configuration under `dir` from Debian's `/etc/freeradius/3.0`.
pub fn configure(dir: &Path, secret: &str, users: &str) -> io::Result<()> {
    let debian = Path::new("/etc/freeradius/3.0");
    if !debian.exists() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            "/etc/freeradius/3.0 is missing: install the Debian package freeradius",
        ));
    }
    let _ = fs::remove_dir_all(dir);
    copy_dir(debian, dir)?;
    for sub in ["mods-enabled", "sites-enabled"] {
        fs::remove_dir_all(dir.join(sub))?;
        fs::create_dir(dir.join(sub))?;
    }
    for sub in ["log", "run", "acct"] {
        fs::create_dir_all(dir.join(sub))?;
    }
    let d = dir.display();
    let conf = fs::read_to_string(dir.join("radiusd.conf"))?
        .replace("raddbdir = /etc/freeradius/3.0", &format!("raddbdir = {d}"))
        .replace("logdir = /var/log/freeradius", &format!("logdir = {d}/log"))
        .replace(
            "run_dir = ${localstatedir}/run/${name}",
            &format!("run_dir = {d}/run"),
        )
        .replace("\tuser = freerad", "")
        .replace("\tgroup = freerad", "")
        .replace("proxy_requests  = yes", "proxy_requests  = no");
    fs::write(dir.join("radiusd.conf"), conf)?;
    fs::write(
        dir.join("clients.conf"),
        format!("client bng {{\n\tipaddr = 127.0.0.1\n\tsecret = {secret}\n}}\n"),
    )?;
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
    fs::write(dir.join("mods-config/files/authorize"), users)?;
    fs::write(
        dir.join("sites-enabled/netlab"),
        "server netlab {\n\
         listen {\n\ttype = auth\n\tipaddr = 127.0.0.1\n\tport = 1812\n}\n\
         listen {\n\ttype = acct\n\tipaddr = 127.0.0.1\n\tport = 1813\n}\n\
         authorize {\n\tchap\n\tfiles\n\tpap\n}\n\
         authenticate {\n\tAuth-Type PAP {\n\t\tpap\n\t}\n\tAuth-Type CHAP {\n\t\tchap\n\t}\n}\n\
         preacct {\n\tok\n}\n\
         accounting {\n\tdetail\n\tok\n}\n\
         post-auth {\n\tok\n\tPost-Auth-Type REJECT {\n\t\tok\n\t}\n}\n\
         }\n",
    )
}

/// Waits until the FreeRADIUS log says it is ready.
pub fn wait_ready(log: &Path) -> io::Result<()> {
    wait_for(Duration::from_secs(20), || {
        fs::read_to_string(log)
            .ok()
            .filter(|l| l.contains("Ready to process requests"))
            .map(|_| ())
    })
    .ok_or_else(|| io::Error::other(format!("FreeRADIUS did not start: see {}", log.display())))
}

fn copy_dir(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir_all(to)?;
    for e in fs::read_dir(from)?.flatten() {
        let p = e.path();
        let t = to.join(e.file_name());
        match fs::metadata(&p) {
            Ok(m) if m.is_dir() => copy_dir(&p, &t)?,
            Ok(_) => {
                fs::copy(&p, &t)?;
            }
            // A dangling symlink in Debian's tree.
            Err(_) => {}
        }
    }
    Ok(())
}
