//! Session configuration for both roles.

use alloc::vec::Vec;
use core::net::Ipv4Addr;
use sansio_primitives::Duration;

use crate::Secret;
use crate::fsm::Timers;
use crate::ipcp::Ipv4Assignment;
use crate::lcp::AuthMethods;

/// LCP settings shared by both roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LcpConfig {
    /// The MRU we request (1492 on PPPoE; RFC 2516 §7).
    pub mru: u16,
    /// Echo-Request keepalive interval once LCP is open (pppd's
    /// `lcp-echo-interval`); `None` disables it.
    pub echo_interval: Option<Duration>,
    /// Unanswered Echo-Requests after which the link is declared dead
    /// (pppd's `lcp-echo-failure`).
    pub echo_failure: u8,
    /// Restart timer and counters for LCP, IPCP, IPv6CP, PAP and CHAP.
    pub timers: Timers,
    /// Wait this long for the peer's first LCP Configure-Request before
    /// sending ours (pppd's `silent`, with a fallback); `None` sends ours
    /// at once. An access concentrator waits: the client's PPP socket may
    /// not exist yet when the PADS goes out (pppd's kernel-mode
    /// `rp-pppoe.so`), and a request lost then costs a restart interval.
    pub silent: Option<Duration>,
}

impl Default for LcpConfig {
    fn default() -> Self {
        LcpConfig {
            mru: 1492,
            echo_interval: Some(Duration::from_secs(10)),
            echo_failure: 3,
            timers: Timers::default(),
            silent: None,
        }
    }
}

/// The peer role (a home router dialling in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerConfig {
    /// User name (PAP Peer-ID, CHAP Name).
    pub user: Vec<u8>,
    /// Password / CHAP secret.
    pub password: Secret,
    /// Methods we agree to authenticate with.
    pub accept: AuthMethods,
    /// IPv4 address to request (e.g. the last one); `None` requests 0.0.0.0.
    pub ipv4_hint: Option<Ipv4Addr>,
    /// Ask for primary and secondary DNS (RFC 1877).
    pub request_dns: bool,
    /// Interface identifier to request (the previous one keeps the
    /// link-local address stable); `None` draws a random one.
    pub ipv6_ifid: Option<u64>,
}

/// The authenticator role (an access concentrator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatorConfig {
    /// Our name in CHAP Challenges.
    pub name: Vec<u8>,
    /// Methods we authenticate with (CHAP-MD5 preferred).
    pub methods: AuthMethods,
    /// Our IPv4 address on the link; 0.0.0.0 requests none in IPCP (as
    /// some BRAS do; the peer then names us with a placeholder).
    pub local_ipv4: Ipv4Addr,
    /// What the peer gets, if known at creation; else set it with
    /// [`PppSession::set_ipv4_assignment`] before accepting. Without it IPCP is
    /// not negotiated (it is Protocol-Rejected).
    ///
    /// [`PppSession::set_ipv4_assignment`]: crate::PppSession::set_ipv4_assignment
    pub ipv4: Option<Ipv4Assignment>,
    /// Our interface identifier; `None` draws a random one.
    pub ipv6_ifid: Option<u64>,
    /// The peer's interface identifier, imposed (RADIUS Framed-Interface-Id,
    /// RFC 3162 §2.2): IPv6CP Naks any other with it. `None`: the peer's
    /// choice (non-zero, not ours). Set it per session with
    /// [`PppSession::set_ipv6_peer_ifid`] before accepting.
    ///
    /// [`PppSession::set_ipv6_peer_ifid`]: crate::PppSession::set_ipv6_peer_ifid
    pub ipv6_peer_ifid: Option<u64>,
}

/// Which side of the link we are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// We are authenticated (home router).
    Peer(PeerConfig),
    /// We authenticate (access concentrator).
    Authenticator(AuthenticatorConfig),
}

/// A session's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PppConfig {
    /// The role and its settings.
    pub role: Role,
    /// LCP settings.
    pub lcp: LcpConfig,
    /// Negotiate IPCP.
    pub ipv4: bool,
    /// Negotiate IPv6CP.
    pub ipv6: bool,
    /// The link is useless without IPv6: losing IPv6CP (Terminate-Request,
    /// Protocol-Reject, failure) closes the link (RFC 1661 §3.7 otherwise
    /// keeps it up).
    pub ipv6_required: bool,
}

impl PppConfig {
    /// A peer accepting CHAP-MD5 and PAP, asking for an address and DNS,
    /// IPv4 and IPv6, pppd's defaults otherwise.
    pub fn peer(user: &[u8], password: &[u8]) -> Self {
        PppConfig {
            role: Role::Peer(PeerConfig {
                user: user.to_vec(),
                password: Secret::from(password),
                accept: AuthMethods {
                    chap_md5: true,
                    pap: true,
                },
                ipv4_hint: None,
                request_dns: true,
                ipv6_ifid: None,
            }),
            lcp: LcpConfig::default(),
            ipv4: true,
            ipv6: true,
            ipv6_required: false,
        }
    }

    /// An authenticator requiring CHAP-MD5 (falling back to PAP), IPv4 and
    /// IPv6, waiting up to 1 s for the client's first LCP Configure-Request
    /// ([`LcpConfig::silent`]), pppd's defaults otherwise.
    pub fn authenticator(name: &[u8], local_ipv4: Ipv4Addr) -> Self {
        PppConfig {
            role: Role::Authenticator(AuthenticatorConfig {
                name: name.to_vec(),
                methods: AuthMethods {
                    chap_md5: true,
                    pap: true,
                },
                local_ipv4,
                ipv4: None,
                ipv6_ifid: None,
                ipv6_peer_ifid: None,
            }),
            lcp: LcpConfig {
                silent: Some(Duration::from_secs(1)),
                ..LcpConfig::default()
            },
            ipv4: true,
            ipv6: true,
            ipv6_required: false,
        }
    }
}
