//! NAT44 and the forward firewall: one nftables table, `inet router`,
//! replaced atomically with `nft -f -` and deleted on exit. Also turns on
//! IPv4 forwarding in the namespace.

use std::io::{self, Write};
use std::process::{Command, Stdio};

/// The ruleset: masquerade IPv4 from the LAN out of the PPP interface;
/// forward LAN → WAN and established/related replies; drop new WAN → LAN.
pub fn ruleset(lan: &str, ppp: &str) -> String {
    format!(
        r#"table inet router
delete table inet router
table inet router {{
    chain forward {{
        type filter hook forward priority filter; policy accept;
        ct state established,related accept
        ct state invalid drop
        iifname "{lan}" oifname "{ppp}" accept
        iifname "{ppp}" drop
    }}
    chain postrouting {{
        type nat hook postrouting priority srcnat; policy accept;
        oifname "{ppp}" meta nfproto ipv4 masquerade
    }}
}}
"#
    )
}

fn nft(script: &str) -> io::Result<()> {
    let mut child = Command::new("nft")
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot run `nft` ({e}); install nftables or set nat = false"),
            )
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(script.as_bytes())?;
    }
    let out = child.wait_with_output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "nft failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// Installs (or replaces) the table.
pub fn install(lan: &str, ppp: &str) -> io::Result<()> {
    nft(&ruleset(lan, ppp))
}

/// Deletes the table (no error when it is already gone).
pub fn remove() -> io::Result<()> {
    nft("table inet router\ndelete table inet router\n")
}

/// `net.ipv4.ip_forward = 1` in this network namespace.
pub fn enable_forwarding() -> io::Result<()> {
    std::fs::write("/proc/sys/net/ipv4/ip_forward", b"1\n").map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot enable net.ipv4.ip_forward: {e} (run as root)"),
        )
    })
}

/// Turns IPv6 on for `ifname` (`disable_ipv6 = 0`): a namespace may have
/// it off by default, and the PPP interface needs it for IPv6CP's
/// link-local address.
pub fn enable_ipv6(ifname: &str) -> io::Result<()> {
    let path = format!("/proc/sys/net/ipv6/conf/{ifname}/disable_ipv6");
    std::fs::write(&path, b"0\n").map_err(|e| io::Error::new(e.kind(), format!("{path}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ruleset_names_the_interfaces() {
        let r = ruleset("eth0", "ppp0");
        assert!(r.contains(r#"iifname "eth0" oifname "ppp0" accept"#));
        assert!(r.contains(r#"oifname "ppp0" meta nfproto ipv4 masquerade"#));
        assert!(r.starts_with("table inet router\ndelete table inet router\n"));
    }
}
