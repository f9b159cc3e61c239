//! The IPv6 checks. In the dual-stack lab, after the IPv4 ones: the LAN
//! host's SLAAC address inside the delegated /56 reaching the IPv6 server,
//! the same prefix after a reconnect, RADIUS's prefix and IPv6 octets in
//! the accounting Stop, renumbering. The IPv6-only lab: IPCP refused,
//! SLAAC, DNS64 + NAT64 for a dual-stack host, the CLAT for an IPv4-only
//! one (in `checks_v6only`).

use std::net::Ipv6Addr;

use crate::checks::{Report, SECS, Verdict, field, ipv4_on, octets_out, records, sh};
use crate::host::{exec, wait_for};
use crate::topology::{
    BIG_FILE_BYTES, COA, COA_SECRET, CPE, INTERNET_HOST6, ISP, LAN, Lab, PD_POOL, RADIUS_PREFIX,
    USER,
};

/// A prefix and its length.
type Prefix = (Ipv6Addr, u8);

/// What one check leaves for the next.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// The delegated prefix and the LAN host's address in it.
    delegated: Option<(Prefix, Ipv6Addr)>,
    /// The accounting session and its output octets before the IPv6
    /// download (RADIUS only).
    baseline: Option<(String, u64)>,
}

/// The dual-stack lab's IPv6 checks.
pub fn dual_stack(lab: &Lab, r: &mut Report) {
    let radius = lab.radius();
    let mut st = State::default();
    let v = slaac(lab, &mut st, radius, true);
    println!(
        "{}",
        r.check("IPv6: SLAAC in the delegated /56, IPv6 server", v)
    );
    println!(
        "{}",
        r.check("IPv6 prefix kept across a reconnect", reconnect(lab, &st))
    );
    if radius {
        println!(
            "{}",
            r.check("RADIUS prefix and IPv6 octets in the Stop", stop6(lab, &st))
        );
    } else {
        println!(
            "{}",
            r.skip(
                "RADIUS prefix and IPv6 octets in the Stop",
                "run with --radius"
            )
        );
    }
    println!(
        "{}",
        r.check(
            "renumbering: old address deprecated, new one works",
            renumber(lab, &st)
        )
    );
}

/// The prefix delegated to the lab user, from `bng sessions`.
pub(crate) fn delegated(lab: &Lab) -> Option<Prefix> {
    let bng = Lab::binary("bng").ok()?.display().to_string();
    let out = sh(
        ISP,
        &[&bng, "sessions", "--config", &lab.s("bng.toml")],
        SECS(10),
    )
    .ok()?;
    out.lines()
        .filter(|l| l.split_whitespace().next() == Some(USER))
        .find_map(|l| parse_prefix(l.split_whitespace().last()?))
}

pub(crate) fn parse_prefix(text: &str) -> Option<Prefix> {
    let (a, len) = text.split_once('/')?;
    Some((a.parse().ok()?, len.parse().ok()?))
}

pub(crate) fn inside(a: Ipv6Addr, (p, len): Prefix) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
    u128::from(a) & mask == u128::from(p) & mask
}

/// A global IPv6 address of `ns`'s eth0, and whether it is deprecated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Addr6 {
    addr: Ipv6Addr,
    deprecated: bool,
}

fn addrs6(ns: &str) -> Vec<Addr6> {
    let Ok(out) = sh(
        ns,
        &[
            "ip", "-6", "-o", "addr", "show", "dev", "eth0", "scope", "global",
        ],
        SECS(5),
    ) else {
        return Vec::new();
    };
    parse_addrs6(&out)
}

fn parse_addrs6(out: &str) -> Vec<Addr6> {
    out.lines()
        .filter_map(|l| {
            let cidr = l.split_whitespace().skip_while(|w| *w != "inet6").nth(1)?;
            let addr = cidr.split_once('/')?.0.parse().ok()?;
            // Not usable yet (duplicate address detection running).
            if l.contains(" tentative") {
                return None;
            }
            let deprecated = l.contains(" deprecated") || l.contains("preferred_lft 0sec");
            Some(Addr6 { addr, deprecated })
        })
        .collect()
}

/// The delegated prefix and the LAN host's preferred address inside it.
fn slaac_address(lab: &Lab, limit: u64) -> Option<(Prefix, Ipv6Addr)> {
    wait_for(SECS(limit), || {
        let p = delegated(lab)?;
        let a = addrs6(LAN)
            .into_iter()
            .find(|a| !a.deprecated && inside(a.addr, p))?;
        Some((p, a.addr))
    })
}

pub(crate) fn ping6(ns: &str, from: Option<Ipv6Addr>) -> Result<(), String> {
    let from = from.map(|a| a.to_string());
    let mut argv = vec!["ping", "-6", "-c", "3", "-i", "0.3", "-W", "2"];
    if let Some(f) = &from {
        argv.extend(["-I", f.as_str()]);
    }
    argv.push(INTERNET_HOST6);
    let ping = sh(ns, &argv, SECS(15))?;
    if ping.contains(" 0% packet loss") {
        Ok(())
    } else {
        Err(format!("ping -6: {ping}"))
    }
}

pub(crate) fn get6(ns: &str, from: Ipv6Addr) -> Result<(), String> {
    let url = format!("http://[{INTERNET_HOST6}]/");
    let from = from.to_string();
    let page = sh(
        ns,
        &["curl", "-sS", "-g", "-m", "10", "--interface", &from, &url],
        SECS(15),
    )?;
    if page.contains("netlab internet host") {
        Ok(())
    } else {
        Err(format!("HTTP GET {url}: unexpected body {page:?}"))
    }
}

/// (1) SLAAC inside the delegated /56; ping and HTTP to the IPv6 server;
/// with `download`, 10 MiB over IPv6 too (after a fresh Interim-Update
/// with RADIUS, so the Stop can be compared with it).
pub(crate) fn slaac(lab: &Lab, st: &mut State, radius: bool, download: bool) -> Verdict {
    let (p, a) = slaac_address(lab, 60).ok_or_else(|| {
        format!(
            "no delegated prefix in `bng sessions` with a SLAAC address of the LAN host inside it after 60 s (LAN host: {:?})",
            addrs6(LAN)
        )
    })?;
    let from = if radius {
        let want = parse_prefix(RADIUS_PREFIX).ok_or("bad RADIUS_PREFIX")?;
        if p != want {
            return Err(format!(
                "delegated {}/{}, FreeRADIUS says {RADIUS_PREFIX}",
                p.0, p.1
            ));
        }
        "FreeRADIUS"
    } else {
        let pool = parse_prefix(PD_POOL).ok_or("bad PD_POOL")?;
        if !inside(p.0, pool) || p.1 != 56 {
            return Err(format!("delegated {}/{}, not a /56 of {PD_POOL}", p.0, p.1));
        }
        "the bng's pool"
    };
    st.delegated = Some((p, a));
    // The address may be fresh: the first tries can beat the host's
    // default route or the router's neighbour entry.
    wait_for(SECS(10), || ping6(LAN, None).ok()).map_or_else(|| ping6(LAN, None), Ok)?;
    get6(LAN, a)?;
    let mut detail = format!(
        "{}/{} from {from}; LAN host {a}; ping -6 3/3 and HTTP GET [{INTERNET_HOST6}]",
        p.0, p.1
    );
    if download {
        if radius {
            st.baseline = Some(fresh_interim(lab)?);
        }
        let url = format!("http://[{INTERNET_HOST6}]/10M.bin");
        let out = sh(
            LAN,
            &[
                "curl",
                "-sS",
                "-g",
                "-m",
                "60",
                "-o",
                "/dev/null",
                "-w",
                "%{size_download}",
                &url,
            ],
            SECS(70),
        )?;
        if out.trim().parse::<u64>().ok() != Some(BIG_FILE_BYTES) {
            return Err(format!("10 MiB GET over IPv6 returned {out} bytes"));
        }
        detail += ", 10 MiB over IPv6";
    }
    Ok(detail)
}

/// The latest Interim-Update of the lab user that came after this call:
/// (Acct-Session-Id, output octets).
fn fresh_interim(lab: &Lab) -> Result<(String, u64), String> {
    let path = lab.path("raddb").join(crate::radius::DETAIL);
    let interims = || {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        records(&text)
            .into_iter()
            .filter(|r| {
                field(r, "User-Name") == Some(USER)
                    && field(r, "Acct-Status-Type") == Some("Interim-Update")
            })
            .collect::<Vec<_>>()
    };
    let before = interims().len();
    let wait = SECS(crate::topology::INTERIM_SECS * 2 + 2);
    wait_for(wait, || {
        let all = interims();
        let last = all.get(before..)?.last()?;
        Some((field(last, "Acct-Session-Id")?.to_owned(), octets_out(last)))
    })
    .ok_or(format!(
        "no new Interim-Update in {} after {wait:?}",
        path.display()
    ))
}

/// (4a) A Disconnect-Request ends the session; the router dials again and
/// gets the same prefix; the LAN host keeps its address, which works.
fn reconnect(lab: &Lab, st: &State) -> Verdict {
    let (p, a) = st
        .delegated
        .ok_or("no delegated prefix (check above failed)")?;
    let request = format!(
        "echo 'User-Name = \"{USER}\"' | radclient -r 1 -t 3 {COA} disconnect {COA_SECRET}"
    );
    let out = exec(ISP, &["sh", "-c", &request], SECS(15)).map_err(|e| e.to_string())?;
    if !String::from_utf8_lossy(&out.stdout).contains("Disconnect-ACK") {
        return Err(format!("no Disconnect-ACK: {out:?}"));
    }
    wait_for(SECS(15), || ipv4_on(CPE, "ppp0").is_none().then_some(()))
        .ok_or("ppp0 kept its address after the Disconnect-ACK")?;
    wait_for(SECS(60), || ipv4_on(CPE, "ppp0")).ok_or("no reconnect within 60 s")?;
    let again =
        wait_for(SECS(30), || delegated(lab)).ok_or("no prefix delegated after the reconnect")?;
    if again != p {
        return Err(format!(
            "delegated {}/{} after the reconnect, had {}/{}",
            again.0, again.1, p.0, p.1
        ));
    }
    let still = addrs6(LAN);
    if !still.contains(&Addr6 {
        addr: a,
        deprecated: false,
    }) {
        return Err(format!(
            "the LAN host's {a} is gone or deprecated: {still:?}"
        ));
    }
    wait_for(SECS(10), || ping6(LAN, Some(a)).ok()).ok_or("ping -6 fails after the reconnect")?;
    Ok(format!(
        "Disconnect-ACK, redialled, {}/{} again; {a} still preferred and working",
        p.0, p.1
    ))
}

/// (5) The session that carried the IPv6 download ended (the reconnect
/// check): its Stop names FreeRADIUS's prefix and its output octets grew
/// by the 10 MiB fetched over IPv6.
fn stop6(lab: &Lab, st: &State) -> Verdict {
    let (id, before) = st
        .baseline
        .clone()
        .ok_or("no baseline Interim-Update (check above failed)")?;
    let path = lab.path("raddb").join(crate::radius::DETAIL);
    let stop = wait_for(SECS(10), || {
        let text = std::fs::read_to_string(&path).ok()?;
        records(&text).into_iter().find(|r| {
            field(r, "Acct-Session-Id") == Some(id.as_str())
                && field(r, "Acct-Status-Type") == Some("Stop")
        })
    })
    .ok_or(format!("no Stop for session {id} in {}", path.display()))?;
    let prefix = field(&stop, "Delegated-IPv6-Prefix").unwrap_or("none");
    if prefix != RADIUS_PREFIX {
        return Err(format!(
            "the Stop's Delegated-IPv6-Prefix is {prefix}, not {RADIUS_PREFIX}"
        ));
    }
    let after = octets_out(&stop);
    if after < before + BIG_FILE_BYTES {
        return Err(format!(
            "Acct-Output-Octets {after} in the Stop, {before} before 10 MiB over IPv6: IPv6 not counted"
        ));
    }
    Ok(format!(
        "Stop of {id}: Delegated-IPv6-Prefix {prefix}, Acct-Output-Octets {before} -> {after} over the IPv6 download"
    ))
}

/// (4b) The ISP delegates another prefix (bng restarted): the LAN host's
/// old address is deprecated, a new one inside the new prefix works.
fn renumber(lab: &Lab, st: &State) -> Verdict {
    let (_, old) = st
        .delegated
        .ok_or("no delegated prefix (check above failed)")?;
    let new = lab.renumber().map_err(|e| e.to_string())?;
    let want = parse_prefix(new).ok_or("bad prefix")?;
    let fresh = wait_for(SECS(90), || {
        let addrs = addrs6(LAN);
        let fresh = addrs.iter().find(|a| !a.deprecated && inside(a.addr, want))?;
        addrs
            .contains(&Addr6 { addr: old, deprecated: true })
            .then_some(fresh.addr)
    })
    .ok_or_else(|| {
        format!(
            "after 90 s the LAN host has {:?} (want {old} deprecated and an address in {new}); `bng sessions` delegates {:?}",
            addrs6(LAN),
            delegated(lab)
        )
    })?;
    wait_for(SECS(15), || ping6(LAN, Some(fresh)).ok())
        .ok_or(format!("ping -6 from {fresh} fails"))?;
    get6(LAN, fresh)?;
    Ok(format!(
        "ISP now delegates {new}: {old} deprecated (preferred_lft 0), {fresh} pings and fetches"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_deprecated_addresses_are_read() {
        let p = parse_prefix("2001:db8:100:ff00::/56").unwrap();
        assert!(inside("2001:db8:100:ff01::1".parse().unwrap(), p));
        assert!(!inside("2001:db8:100:fe00::1".parse().unwrap(), p));
        let out = "2: eth0    inet6 2001:db8:200:4400:1::2/64 scope global dynamic mngtmpaddr \\       valid_lft 7199sec preferred_lft 3599sec\n\
                   2: eth0    inet6 2001:db8:100:ff00:1::2/64 scope global deprecated dynamic mngtmpaddr \\       valid_lft 7000sec preferred_lft 0sec\n\
                   2: eth0    inet6 2001:db8:200:4400::9/64 scope global tentative \\       valid_lft forever preferred_lft forever\n";
        assert_eq!(
            parse_addrs6(out),
            [
                Addr6 {
                    addr: "2001:db8:200:4400:1::2".parse().unwrap(),
                    deprecated: false
                },
                Addr6 {
                    addr: "2001:db8:100:ff00:1::2".parse().unwrap(),
                    deprecated: true
                },
            ]
        );
    }
}
