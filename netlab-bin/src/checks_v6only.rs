//! The IPv6-only lab's checks: IPCP refused, SLAAC, DNS64 + NAT64 for a
//! dual-stack host, the CLAT for an IPv4-only one.

use std::net::Ipv6Addr;

use crate::checks::{Report, SECS, Verdict, ipv4_on, lease, sh};
use crate::checks6::{State, delegated, parse_prefix, slaac};
use crate::host::wait_for;
use crate::topology::{
    CPE, DOMAIN, INTERNET_HOST6, LAN, LAN4, Lab, NAT64_PREFIX, POOL4, V4ONLY_HOST,
};

/// The IPv6-only lab's checks.
pub fn run(lab: &Lab, r: &mut Report) {
    println!("{}", r.check("DHCPv4 lease on the LAN", lease(LAN)));
    println!("{}", r.check("IPv6-only PPP session", v6_session(lab)));
    let mut st = State::default();
    let v = slaac(lab, &mut st, lab.radius(), false);
    println!(
        "{}",
        r.check("IPv6: SLAAC in the delegated /56, IPv6 server", v)
    );
    println!(
        "{}",
        r.check("DNS64 + NAT64 for a dual-stack host", nat64(lab))
    );
    match lab.no_clat() {
        Some(why) => println!("{}", r.skip("CLAT for an IPv4-only host", &why)),
        None => println!("{}", r.check("CLAT for an IPv4-only host", clat(lab))),
    }
}

/// The IPv6-only session: IPCP refused (no IPv4 on ppp0), a prefix
/// delegated over IPv6CP alone.
fn v6_session(lab: &Lab) -> Verdict {
    let p = wait_for(SECS(60), || delegated(lab)).ok_or("no prefix delegated after 60 s")?;
    if let Some((a, _)) = ipv4_on(CPE, "ppp0") {
        return Err(format!("ppp0 has IPv4 {a}: IPCP was not refused"));
    }
    let log = std::fs::read_to_string(lab.path("logs/router.log")).unwrap_or_default();
    if !log.contains("rejected protocol 0x8021") {
        return Err("the router's log has no LCP Protocol-Reject of IPCP (0x8021)".into());
    }
    let status = router_status(lab).unwrap_or_default();
    let wan = status
        .lines()
        .find(|l| l.contains("IPv6-only WAN"))
        .map_or(String::new(), |l| format!("; router status: {}", l.trim()));
    Ok(format!(
        "IPCP Protocol-Rejected, no IPv4 on ppp0; {}/{} delegated over IPv6CP{wan}",
        p.0, p.1
    ))
}

/// `router status`.
fn router_status(lab: &Lab) -> Result<String, String> {
    let router = Lab::binary("router").map_err(|e| e.to_string())?;
    let router = router.display().to_string();
    sh(
        CPE,
        &[&router, "status", "--config", &lab.s("router.toml")],
        SECS(10),
    )
}

/// Whether the IPv4-only server's log shows a request from the PLAT's
/// pool4 address since it had `seen` lines.
fn served_through_nat64(lab: &Lab, seen: usize) -> bool {
    let log = std::fs::read_to_string(lab.path("logs/http4only.log")).unwrap_or_default();
    log.lines()
        .skip(seen)
        .any(|l| l.starts_with(POOL4) && l.contains("\"GET /"))
}

fn http4only_lines(lab: &Lab) -> usize {
    std::fs::read_to_string(lab.path("logs/http4only.log"))
        .unwrap_or_default()
        .lines()
        .count()
}

/// (2) The LAN host asks the router's DNS forwarder (which forwards to the
/// ISP's dns64d) for the IPv4-only server: a synthesized AAAA under the
/// NAT64 prefix; the page comes over IPv6 through the PLAT.
fn nat64(lab: &Lab) -> Verdict {
    let name = format!("v4only.{DOMAIN}");
    let nat64 = parse_prefix(NAT64_PREFIX).ok_or("bad NAT64_PREFIX")?;
    let dig = |name: &str| {
        sh(
            LAN,
            &[
                "dig",
                "+short",
                "+time=2",
                "+tries=2",
                "AAAA",
                name,
                "@203.0.113.1",
            ],
            SECS(15),
        )
    };
    let aaaa = wait_for(SECS(20), || {
        dig(&name)
            .ok()?
            .lines()
            .find_map(|l| l.trim().parse::<Ipv6Addr>().ok())
    })
    .ok_or(format!(
        "no AAAA for {name} from the router's forwarder: {:?}",
        dig(&name)
    ))?;
    let v4: std::net::Ipv4Addr = V4ONLY_HOST.parse().map_err(|_| "bad V4ONLY_HOST")?;
    let expected = Ipv6Addr::from(u128::from(nat64.0) | u128::from(u32::from(v4)));
    if aaaa != expected {
        return Err(format!(
            "AAAA {aaaa} for {name}, expected {expected} ({V4ONLY_HOST} in {NAT64_PREFIX})"
        ));
    }
    let real = dig(&format!("www.{DOMAIN}"))?;
    if real.trim() != INTERNET_HOST6 {
        return Err(format!(
            "www.{DOMAIN} AAAA {real:?}: want the real {INTERNET_HOST6}, not synthesized"
        ));
    }
    let seen = http4only_lines(lab);
    let resolve = format!("{name}:80:[{aaaa}]");
    let url = format!("http://{name}/");
    let page = sh(
        LAN,
        &["curl", "-sS", "-6", "-m", "10", "--resolve", &resolve, &url],
        SECS(15),
    )?;
    if !page.contains("netlab IPv4-only host") {
        return Err(format!("GET {url} at [{aaaa}]: unexpected body {page:?}"));
    }
    if wait_for(SECS(3), || served_through_nat64(lab, seen).then_some(())).is_none() {
        return Err(format!(
            "the IPv4-only server did not log the GET from {POOL4}"
        ));
    }
    Ok(format!(
        "{name} AAAA {aaaa} (synthesized; www AAAA is the real one); GET over IPv6, served to the PLAT's {POOL4}"
    ))
}

/// (3) The IPv4-only LAN host (DHCPv4, no IPv6) fetches the IPv4-only
/// server's page: CLAT in the router, NAT64 at the ISP, no IPv4 on the WAN.
fn clat(lab: &Lab) -> Verdict {
    lease(LAN4)?;
    if let Some((a, _)) = ipv4_on(CPE, "ppp0") {
        return Err(format!("ppp0 has IPv4 {a}"));
    }
    let seen = http4only_lines(lab);
    let url = format!("http://{V4ONLY_HOST}/");
    let page = wait_for(SECS(30), || {
        sh(LAN4, &["curl", "-sS", "-m", "5", &url], SECS(10)).ok()
    })
    .ok_or_else(|| {
        format!(
            "GET {url} from the IPv4-only host failed for 30 s: {:?}",
            sh(LAN4, &["curl", "-sS", "-m", "5", &url], SECS(10))
        )
    })?;
    if !page.contains("netlab IPv4-only host") {
        return Err(format!("GET {url}: unexpected body {page:?}"));
    }
    if wait_for(SECS(3), || served_through_nat64(lab, seen).then_some(())).is_none() {
        return Err(format!(
            "the IPv4-only server did not log the GET from {POOL4}"
        ));
    }
    let status = router_status(lab)?;
    let learned = status
        .lines()
        .find(|l| l.contains("nat64 source"))
        .map_or(String::new(), |l| format!("; router status: {}", l.trim()));
    Ok(format!(
        "{LAN4} GET {url}: CLAT -> IPv6 over PPPoE (no IPv4 on ppp0) -> NAT64, served to {POOL4}{learned}"
    ))
}
