//! The bng's view of each PPPoE session: who, which address, counters,
//! speed limits and accounting state; and the table `bng sessions` prints.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant, SystemTime};

use crate::bng::shaper::Shaper;

/// Per-session traffic counters (IP packet bytes).
#[derive(Debug, Clone, Copy, Default)]
pub struct Traffic {
    /// Octets from the user.
    pub in_octets: u64,
    /// Packets from the user.
    pub in_packets: u64,
    /// Octets to the user.
    pub out_octets: u64,
    /// Packets to the user.
    pub out_packets: u64,
    /// Upstream packets with a source address not the session's.
    pub spoofed: u64,
    /// Upstream IPv6 packets with a source outside the session's link-local,
    /// delegated and framed prefixes.
    pub spoofed6: u64,
    /// Upstream IPv6 packets dropped: malformed, or link-scoped and for
    /// nothing the bng answers (without `[ipv6]`: all but pings to our
    /// link-local address).
    pub ipv6_dropped: u64,
    /// Packets dropped by the speed limit, upstream.
    pub policed_up: u64,
    /// Packets dropped by the speed limit, downstream.
    pub policed_down: u64,
    /// Downstream packets dropped for being larger than the session's MTU.
    pub too_big: u64,
}

impl Traffic {
    /// The drop counters by name (as `bng stats` prints them).
    pub fn drops(&self) -> [(&'static str, u64); 6] {
        [
            ("spoofed", self.spoofed),
            ("spoofed6", self.spoofed6),
            ("policed_up", self.policed_up),
            ("policed_down", self.policed_down),
            ("too_big", self.too_big),
            ("ipv6_dropped", self.ipv6_dropped),
        ]
    }

    /// Adds `other`'s drop counters to these (the totals of ended sessions).
    pub fn add_drops(&mut self, other: &Traffic) {
        self.spoofed += other.spoofed;
        self.spoofed6 += other.spoofed6;
        self.policed_up += other.policed_up;
        self.policed_down += other.policed_down;
        self.too_big += other.too_big;
        self.ipv6_dropped += other.ipv6_dropped;
    }
}

/// RADIUS accounting state of a session.
#[derive(Debug, Clone)]
pub struct Acct {
    /// Class attributes of the Access-Accept, echoed back.
    pub class: Vec<Vec<u8>>,
    /// Interim interval; `None`: no Interim-Updates.
    pub interim: Option<Duration>,
    /// When the next Interim-Update is due.
    pub next_interim: Option<Instant>,
    /// Start was sent (a Stop follows).
    pub started: bool,
    /// Stop was sent (nothing follows, not even a new Start).
    pub stopped: bool,
}

/// Where a session's authorisation stands. ppp-proto authenticates again
/// whenever LCP renegotiates (the peer can cause that at will), so one
/// session can bring several `AuthRequest`s; the first decides, the
/// address and limits it assigns are kept for the session's life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Authz {
    /// No `AuthRequest` yet.
    #[default]
    None,
    /// Being judged (an Access-Request queued or in flight).
    Pending,
    /// Accepted: the address, limits and accounting are assigned.
    Granted,
    /// Refused: the session is ending.
    Refused,
}

/// What to do with an `AuthRequest` ([`Session::auth_step`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthStep {
    /// The first one: judge the credential.
    Judge,
    /// Again while the first is being judged: its verdict answers this one.
    Wait,
    /// Again after an accept, same user: accept with the same assignment.
    Again,
    /// Another user name than before, or after a refusal: refuse.
    Refuse,
}

/// One session.
#[derive(Debug)]
pub struct Session {
    /// Unique over the process's life (PPPoE ids are reused).
    pub serial: u64,
    /// PPPoE session id.
    pub id: u16,
    /// Acct-Session-Id (also without RADIUS, for Disconnect-Requests).
    pub acct_id: String,
    /// The host's MAC.
    pub mac: [u8; 6],
    /// The authenticated (or claimed, while pending) user name.
    pub user: Option<Vec<u8>>,
    /// Where the authorisation stands.
    pub authz: Authz,
    /// The address given in the Access-Accept / by the pool.
    pub addr: Option<Ipv4Addr>,
    /// Whether `addr` came from the pool (released on Down).
    pub from_pool: bool,
    /// Whether `addr` needs its own /32 route (outside the pool).
    pub own_route: bool,
    /// IPCP is open: the data path forwards.
    pub ipv4_up: bool,
    /// Our IPv6CP interface identifier (we answer pings to fe80::it).
    pub local_ifid: Option<u64>,
    /// The session's MTU from LinkUp: the peer's MRU, at most what PPPoE
    /// carries (1492, or the RFC 4638 payload agreed).
    pub mtu: u16,
    /// When the PPPoE session started.
    pub started: Instant,
    /// When IPCP came up (accounting's session time).
    pub up_since: Option<Instant>,
    /// Counters.
    pub traffic: Traffic,
    /// Upstream limit (queues IP packets for the TUN device).
    pub up: Option<Shaper>,
    /// Downstream limit (queues session frames).
    pub down: Option<Shaper>,
    /// Accounting, with RADIUS.
    pub acct: Option<Acct>,
    /// Session-Timeout deadline.
    pub deadline: Option<Instant>,
    /// Acct-Terminate-Cause to report when we closed the session.
    pub close_cause: Option<u32>,
    /// The IPv6 prefixes granted (RADIUS or the users table).
    pub v6grant: crate::bng::ipv6::V6Grant,
    /// What accounting reported of IPv6 when IPv6CP last closed.
    pub v6_acct: crate::bng::ipv6::V6Grant,
    /// IPv6 state while IPv6CP is open, with `[ipv6]`.
    pub v6: Option<Box<crate::bng::ipv6::SessionV6>>,
}

impl Session {
    /// A new PPPoE session.
    pub fn new(serial: u64, id: u16, mac: [u8; 6], now: Instant) -> Session {
        Session {
            serial,
            id,
            acct_id: format!("{serial:016X}"),
            mac,
            user: None,
            authz: Authz::None,
            addr: None,
            from_pool: false,
            own_route: false,
            ipv4_up: false,
            local_ifid: None,
            mtu: 1492,
            started: now,
            up_since: None,
            traffic: Traffic::default(),
            up: None,
            down: None,
            acct: None,
            deadline: None,
            close_cause: None,
            v6grant: Default::default(),
            v6_acct: Default::default(),
            v6: None,
        }
    }

    /// Records an `AuthRequest` from `user` and says what to do with it.
    /// The user name is set by the first one and never changes.
    pub fn auth_step(&mut self, user: &[u8]) -> AuthStep {
        let same = self.user.as_deref() == Some(user);
        match self.authz {
            Authz::None => {
                self.user = Some(user.to_vec());
                self.authz = Authz::Pending;
                AuthStep::Judge
            }
            Authz::Pending if same => AuthStep::Wait,
            Authz::Granted if same => AuthStep::Again,
            Authz::Pending | Authz::Granted | Authz::Refused => {
                self.authz = Authz::Refused;
                AuthStep::Refuse
            }
        }
    }

    /// The prefix delegated to the session (by DHCPv6, routed).
    pub fn delegated(&self) -> Option<crate::bng::config::Prefix6> {
        self.v6.as_ref().and_then(|v| v.delegated)
    }

    /// The user name as text.
    pub fn user_text(&self) -> String {
        self.user
            .as_deref()
            .map_or_else(|| "-".into(), |u| String::from_utf8_lossy(u).into_owned())
    }
}

/// `aa:bb:cc:dd:ee:ff`.
pub fn mac_text(mac: &[u8; 6]) -> String {
    mac.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Every session, by PPPoE id, and the address map of the data path.
#[derive(Debug)]
pub struct Table {
    /// Sessions by PPPoE id.
    pub by_id: HashMap<u16, Session>,
    /// Assigned address → PPPoE id.
    pub by_addr: HashMap<Ipv4Addr, u16>,
    next_serial: u64,
}

impl Table {
    /// An empty table; serials (and so Acct-Session-Ids) start from the
    /// wall-clock time so they differ from a previous run's.
    pub fn new() -> Table {
        Table {
            by_id: HashMap::new(),
            by_addr: HashMap::new(),
            next_serial: u64::from(unix_now()) << 24,
        }
    }

    /// Adds a session for a new PPPoE session id.
    pub fn insert(&mut self, id: u16, mac: [u8; 6], now: Instant) {
        self.next_serial += 1;
        self.by_id
            .insert(id, Session::new(self.next_serial, id, mac, now));
    }

    /// Removes a session and its address mapping.
    pub fn remove(&mut self, id: u16) -> Option<Session> {
        let s = self.by_id.remove(&id)?;
        if let Some(a) = s.addr
            && self.by_addr.get(&a) == Some(&id)
        {
            self.by_addr.remove(&a);
        }
        Some(s)
    }

    /// The text table of `bng sessions`.
    pub fn render(&self, now: Instant) -> String {
        let mut rows: Vec<&Session> = self.by_id.values().collect();
        rows.sort_by_key(|s| s.id);
        let mut out = format!(
            "{:<20} {:<17} {:>6} {:<15} {:>9} {:>14} {:>14} {:>8} {:<13} {:>11} {:>7} {:>7} {:>5} {}\n",
            "USER",
            "MAC",
            "ID",
            "ADDRESS",
            "UPTIME",
            "BYTES-IN",
            "BYTES-OUT",
            "SPOOFED",
            "LIMIT-KBPS",
            "POLICED",
            "TOO-BIG",
            "V6-DROP",
            "MTU",
            "DELEGATED"
        );
        for s in rows {
            let addr = match (s.addr, s.ipv4_up) {
                (Some(a), true) => a.to_string(),
                (Some(a), false) => format!("({a})"),
                (None, _) => "-".into(),
            };
            let t = &s.traffic;
            let _ = writeln!(
                out,
                "{:<20} {:<17} {:>6} {:<15} {:>9} {:>14} {:>14} {:>8} {:<13} {:>11} {:>7} {:>7} {:>5} {}",
                s.user_text(),
                mac_text(&s.mac),
                s.id,
                addr,
                uptime(now.saturating_duration_since(s.started)),
                t.in_octets,
                t.out_octets,
                t.spoofed,
                format!("{}/{}", limit(s.up.as_ref()), limit(s.down.as_ref())),
                format!("{}/{}", t.policed_up, t.policed_down),
                t.too_big,
                t.ipv6_dropped,
                s.mtu,
                s.delegated().map_or_else(|| "-".into(), |p| p.to_string()),
            );
        }
        let _ = writeln!(out, "{} session(s)", self.by_id.len());
        out
    }
}

fn limit(b: Option<&Shaper>) -> String {
    b.map_or_else(|| "-".into(), |b| b.kbps().to_string())
}

/// `1d02:03:04` / `02:03:04`.
fn uptime(d: Duration) -> String {
    let s = d.as_secs();
    let (days, h, m, sec) = (s / 86400, s / 3600 % 24, s / 60 % 60, s % 60);
    if days > 0 {
        format!("{days}d{h:02}:{m:02}:{sec:02}")
    } else {
        format!("{h:02}:{m:02}:{sec:02}")
    }
}

/// Seconds since 1970, for Event-Timestamp.
pub fn unix_now() -> u32 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_lists_sessions() {
        let now = Instant::now();
        let mut t = Table::new();
        t.insert(7, [2, 0, 0, 0, 0, 1], now);
        let s = t.by_id.get_mut(&7).unwrap();
        s.user = Some(b"alice".to_vec());
        s.addr = Some(Ipv4Addr::new(192, 0, 2, 9));
        s.ipv4_up = true;
        s.traffic.in_octets = 1234;
        s.traffic.policed_down = 5;
        s.traffic.too_big = 2;
        t.by_addr.insert(Ipv4Addr::new(192, 0, 2, 9), 7);
        let text = t.render(now + Duration::from_secs(3725));
        // The drop counters, after the limits.
        let row: Vec<&str> = text.lines().nth(1).unwrap().split_whitespace().collect();
        assert_eq!(
            row[7..],
            ["0", "-/-", "0/5", "2", "0", "1492", "-"],
            "{text}"
        );
        let mut ended = Traffic::default();
        ended.add_drops(&t.by_id[&7].traffic);
        ended.add_drops(&t.by_id[&7].traffic);
        assert_eq!(ended.drops()[3], ("policed_down", 10));
        assert_eq!(ended.in_octets, 0);
        assert!(text.contains("alice"), "{text}");
        assert!(text.contains("02:00:00:00:00:01"), "{text}");
        assert!(text.contains("192.0.2.9"), "{text}");
        assert!(text.contains("01:02:05"), "{text}");
        assert!(text.contains("1 session(s)"), "{text}");
        assert!(t.remove(7).is_some());
        assert!(t.by_addr.is_empty());
        assert_eq!(uptime(Duration::from_secs(90061)), "1d01:01:01");
    }

    #[test]
    fn authentication_again_keeps_the_first_decision() {
        let mut s = Session::new(1, 7, [2; 6], Instant::now());
        assert_eq!(s.auth_step(b"alice"), AuthStep::Judge);
        assert_eq!(s.authz, Authz::Pending);
        // LCP renegotiated while RADIUS is judging: no second request.
        assert_eq!(s.auth_step(b"alice"), AuthStep::Wait);
        s.authz = Authz::Granted;
        assert_eq!(s.auth_step(b"alice"), AuthStep::Again);
        assert_eq!(s.auth_step(b"alice"), AuthStep::Again);
        // Another name in the same session: refused, and stays refused.
        assert_eq!(s.auth_step(b"mallory"), AuthStep::Refuse);
        assert_eq!(s.user.as_deref(), Some(&b"alice"[..]));
        assert_eq!(s.auth_step(b"alice"), AuthStep::Refuse);

        let mut s = Session::new(2, 8, [2; 6], Instant::now());
        assert_eq!(s.auth_step(b"alice"), AuthStep::Judge);
        assert_eq!(s.auth_step(b"bob"), AuthStep::Refuse);
        assert_eq!(s.authz, Authz::Refused);
    }
}
