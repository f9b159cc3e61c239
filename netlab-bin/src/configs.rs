//! The daemons' configuration files, as text: bng, router, the FreeRADIUS
//! users, and the IPv6-only lab's unbound, dns64d and xlatd.

use crate::topology::{
    BNG_LOCAL, COA, COA_SECRET, DNS64, DOMAIN, INTERIM_SECS, INTERNET_HOST, INTERNET_HOST6,
    LAN_ROUTER, NAT64_PREFIX, PD_POOL, POOL, POOL4, RADIUS_ADDRESS, SPEED_LIMIT_KBPS, USER,
    V4ONLY_HOST,
};

const PASSWORD: &str = "wonderland";
/// The FreeRADIUS shared secret of the bng.
pub const RADIUS_SECRET: &str = "netlab-radius";

/// What differs between the labs' bng configurations.
#[derive(Debug, Clone, Copy)]
pub struct BngOptions<'a> {
    /// Authenticate through FreeRADIUS.
    pub radius: bool,
    /// IPCP refused (`ipv4 = false`), DNS from the ISP's DNS64.
    pub ipv6_only: bool,
    /// The prefix the local user always gets (the ISP "renumbered").
    pub user_prefix: Option<&'a str>,
}

/// `bng.toml`: the lab's access concentrator, delegating /56s from
/// [`PD_POOL`] (remembered across reconnects under `state_dir`).
pub fn bng(control_socket: &str, state_dir: &str, o: BngOptions) -> String {
    let ipv4 = if o.ipv6_only { "ipv4 = false\n" } else { "" };
    let dns6 = if o.ipv6_only {
        format!("\"{DNS64}\"")
    } else {
        String::new()
    };
    let mut c = format!(
        "interface = \"acc0\"\ntun = \"bng0\"\nac_name = \"netlab-bng\"\nmax_sessions = 64\n\
         {ipv4}ipv6cp = true\ninterim_interval = {INTERIM_SECS}\ncontrol_socket = \"{control_socket}\"\n\
         state_dir = \"{state_dir}\"\n\n\
         [lcp]\necho_interval = 5\necho_failure = 3\n\n\
         [pool]\nfirst = \"{}\"\nlast = \"{}\"\nlocal = \"{BNG_LOCAL}\"\ndns = [\"198.51.100.53\", \"198.51.100.54\"]\n\n\
         [ipv6]\npools = [\"{PD_POOL}\"]\ndelegated_length = 56\ndns = [{dns6}]\nra_interval = 30\n\n\
         [coa]\nlisten = \"{COA}\"\nsecret = \"{COA_SECRET}\"\nclients = [\"127.0.0.1\"]\n",
        POOL.0, POOL.1,
    );
    if o.radius {
        c += &format!(
            "\n[radius]\nnas_identifier = \"netlab-bng\"\nnas_ip = \"127.0.0.1\"\ntimeout_ms = 1000\nretries = 3\n\n\
             [[radius.servers]]\nauth = \"127.0.0.1:1812\"\nacct = \"127.0.0.1:1813\"\nsecret = \"{RADIUS_SECRET}\"\n"
        );
    } else {
        c += &format!(
            "\n[[users]]\nname = \"{USER}\"\npassword = \"{PASSWORD}\"\n\
             upstream_kbps = {SPEED_LIMIT_KBPS}\ndownstream_kbps = {SPEED_LIMIT_KBPS}\n"
        );
        if let Some(p) = o.user_prefix {
            c += &format!("ipv6_prefix = \"{p}\"\n");
        }
    }
    c
}

/// The FreeRADIUS users file: the lab user with a fixed address, the
/// delegated prefix `prefix` and the speed limits; everyone else rejected.
pub fn radius_users(prefix: &str) -> String {
    format!(
        "{USER}\tCleartext-Password := \"{PASSWORD}\"\n\tFramed-IP-Address = {RADIUS_ADDRESS},\n\
         \tDelegated-IPv6-Prefix = {prefix},\n\
         \tRP-Upstream-Speed-Limit = {SPEED_LIMIT_KBPS},\n\tRP-Downstream-Speed-Limit = {SPEED_LIMIT_KBPS},\n\
         \tMessage-Authenticator = 0x00\n\n\
         DEFAULT\tAuth-Type := Reject\n\tReply-Message = \"unknown user\",\n\tMessage-Authenticator = 0x00\n"
    )
}

/// `router.toml`: PPPoE with IPv6CP, a /56 asked for by DHCPv6-PD and the
/// LAN's /64 advertised. The IPv6-only lab adds the DNS forwarder and, when
/// `clat`, the CLAT. `workers`: the data path's `wan.workers` (`None`: the
/// router's default, one per CPU).
pub fn router(state_dir: &str, ipv6_only: bool, clat: bool, workers: Option<usize>) -> String {
    let workers = workers.map_or(String::new(), |w| format!("workers = {w}\n"));
    let mut c = format!(
        "state_dir = \"{state_dir}\"\nnat = true\n\n\
         [wan]\ninterface = \"wan0\"\nuser = \"{USER}\"\npassword = \"{PASSWORD}\"\nppp_interface = \"ppp0\"\n\
         ipv6 = true\nlcp_echo_interval = 5\nlcp_echo_failure = 3\nreconnect_min = 1\nreconnect_max = 10\n{workers}\n\
         [lan]\ninterface = \"lan0\"\naddress = \"{LAN_ROUTER}/24\"\n\n\
         [dhcp]\nenabled = true\nrange = [\"203.0.113.100\", \"203.0.113.199\"]\nlease_time = 600\n\n\
         [ipv6]\nenabled = true\nprefix_hint = 56\nlan_subnet = 0\nra_interval = 30\n"
    );
    if ipv6_only {
        // No NAT64 prefix nor upstreams configured: the router learns the
        // prefix (RFC 7050, asking the ISP's DNS64 for ipv4only.arpa) and
        // forwards to the resolver DHCPv6 gave (the bng's [ipv6] dns).
        c += "\n[dns]\nenabled = true\n";
        if clat {
            c += "\n[clat]\nenabled = true\ninterface = \"clat0\"\n";
        }
    }
    c
}

/// unbound in the internet namespace: the authoritative data of
/// [`DOMAIN`] (a dual-stack `www`, an IPv4-only `v4only`) and
/// `ipv4only.arpa` (RFC 7050), on the internet host's addresses.
pub fn unbound(dir: &str) -> String {
    format!(
        "server:\n  interface: {INTERNET_HOST6}\n  interface: {INTERNET_HOST}\n  port: 53\n\
         \x20 access-control: ::/0 allow\n  access-control: 0.0.0.0/0 allow\n\
         \x20 do-daemonize: no\n  username: \"\"\n  chroot: \"\"\n  directory: \"{dir}\"\n  pidfile: \"\"\n\
         \x20 use-syslog: no\n  logfile: \"\"\n  verbosity: 1\n  module-config: \"iterator\"\n\
         \x20 local-zone: \"{DOMAIN}.\" static\n\
         \x20 local-data: \"www.{DOMAIN}. 60 IN A {INTERNET_HOST}\"\n\
         \x20 local-data: \"www.{DOMAIN}. 60 IN AAAA {INTERNET_HOST6}\"\n\
         \x20 local-data: \"v4only.{DOMAIN}. 60 IN A {V4ONLY_HOST}\"\n\
         \x20 local-zone: \"ipv4only.arpa.\" static\n\
         \x20 local-data: \"ipv4only.arpa. 60 IN A 192.0.0.170\"\n\
         \x20 local-data: \"ipv4only.arpa. 60 IN A 192.0.0.171\"\n\
         remote-control:\n  control-enable: no\n"
    )
}

/// dns64d in the ISP namespace: the ISP's resolver at [`DNS64`],
/// synthesizing under [`NAT64_PREFIX`] from the internet's unbound.
pub fn dns64d(control_socket: &str) -> String {
    format!(
        "listen = [\"{DNS64}\"]\nupstreams = [\"[{INTERNET_HOST6}]:53\"]\nprefixes = [\"{NAT64_PREFIX}\"]\n\
         control_socket = \"{control_socket}\"\n"
    )
}

/// xlatd in the ISP namespace: the PLAT, stateful NAT64 from
/// [`NAT64_PREFIX`] to the pool4 address [`POOL4`].
pub fn xlatd(state_dir: &str) -> String {
    format!(
        "mode = \"nat64\"\ntun = \"nat64\"\nstate_dir = \"{state_dir}\"\npool6 = \"{NAT64_PREFIX}\"\n\
         forwarding = true\n\n\
         [nat64]\npool4 = [{{ address = \"{POOL4}\", ports = [1024, 65535] }}]\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_only_bng_refuses_ipcp_and_offers_the_dns64() {
        let c = bng(
            "/s",
            "/st",
            BngOptions {
                radius: false,
                ipv6_only: true,
                user_prefix: None,
            },
        );
        assert!(c.contains("ipv4 = false\n"), "{c}");
        assert!(c.contains(&format!("dns = [\"{DNS64}\"]")), "{c}");
        let dual = bng(
            "/s",
            "/st",
            BngOptions {
                radius: false,
                ipv6_only: false,
                user_prefix: Some("2001:db8:200:4400::/56"),
            },
        );
        assert!(!dual.contains("ipv4 ="), "{dual}");
        assert!(dual.contains("ipv6_prefix = \"2001:db8:200:4400::/56\""));
    }

    #[test]
    fn the_clat_section_only_when_asked() {
        assert!(!router("/s", false, true, None).contains("[clat]"));
        assert!(!router("/s", true, false, None).contains("[clat]"));
        let c = router("/s", true, true, None);
        assert!(c.contains("[clat]") && c.contains("[dns]"), "{c}");
    }

    #[test]
    fn router_workers_only_when_given() {
        assert!(!router("/s", false, false, None).contains("workers"));
        let c = router("/s", false, false, Some(2));
        assert!(
            c.contains("reconnect_max = 10\nworkers = 2\n\n[lan]"),
            "{c}"
        );
    }
}
