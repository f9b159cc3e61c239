//! What the control plane publishes to the workers and what they count:
//! each session's [`Params`] and shared [`Counters`], the destination →
//! session maps of the downstream, and each worker's [`WorkerCounters`].

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use pppoe_proto::SessionFramer;
use pppoe_proto::wire::EthernetAddress;
use sansio_primitives::{RateLimiter, StdClock};

use crate::bng::config::Prefix6;
use crate::bng::engine::Stats;
use crate::bng::ipv6::{PacketTooBig, Routes6};
use crate::bng::sessions::{Session, Traffic};
use crate::bng::shaper::Shaper;

/// What the workers need of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// Our MAC, the host's, the session id and its MTU.
    pub framer: SessionFramer,
    /// The host's MAC.
    pub mac: [u8; 6],
    /// The session's address while IPCP is open.
    pub ipv4: Option<Ipv4Addr>,
    /// With `[ipv6]`, while IPv6CP is open: the delegated and the framed
    /// prefix (the sources the session may use beyond the link, and the
    /// destinations routed to it).
    pub v6: Option<[Option<Prefix6>; 2]>,
    /// The upstream speed limit, kbit/s.
    pub up_kbps: Option<u32>,
    /// The downstream speed limit, kbit/s.
    pub down_kbps: Option<u32>,
}

impl Params {
    /// What session `s` needs, behind our MAC `ours`; `None` while it
    /// carries nothing (no NCP open).
    pub fn of(s: &Session, ours: [u8; 6]) -> Option<Params> {
        let ipv4 = s.addr.filter(|_| s.ipv4_up);
        let v6 = s.v6.as_ref().map(|v| [v.delegated, v.framed]);
        if ipv4.is_none() && v6.is_none() {
            return None;
        }
        let framer =
            SessionFramer::new(EthernetAddress(ours), EthernetAddress(s.mac), s.id).with_mtu(s.mtu);
        Some(Params {
            framer,
            mac: s.mac,
            ipv4,
            v6,
            up_kbps: s.up.as_ref().map(Shaper::kbps),
            down_kbps: s.down.as_ref().map(Shaper::kbps),
        })
    }
}

/// A session's counters, added to by its worker and taken by the control
/// plane (so nothing is counted twice).
#[derive(Debug, Default)]
pub struct Counters {
    fields: [AtomicU64; 10],
}

/// `t`'s counters in the order of [`Counters::fields`].
fn values(t: &Traffic) -> [u64; 10] {
    [
        t.in_octets,
        t.in_packets,
        t.out_octets,
        t.out_packets,
        t.spoofed,
        t.spoofed6,
        t.ipv6_dropped,
        t.policed_up,
        t.policed_down,
        t.too_big,
    ]
}

impl Counters {
    /// Adds the counters of `t` (a worker's batch).
    pub(super) fn add(&self, t: &Traffic) {
        for (c, v) in self.fields.iter().zip(values(t)) {
            if v > 0 {
                c.fetch_add(v, Ordering::Relaxed);
            }
        }
    }

    /// Moves what was counted into `t`.
    pub(super) fn take(&self, t: &mut Traffic) {
        let v: [u64; 10] = std::array::from_fn(|i| self.fields[i].swap(0, Ordering::Relaxed));
        t.in_octets += v[0];
        t.in_packets += v[1];
        t.out_octets += v[2];
        t.out_packets += v[3];
        t.spoofed += v[4];
        t.spoofed6 += v[5];
        t.ipv6_dropped += v[6];
        t.policed_up += v[7];
        t.policed_down += v[8];
        t.too_big += v[9];
    }
}

/// A published session: its parameters and its counters.
#[derive(Debug, Clone)]
pub(super) struct Published {
    pub(super) params: Params,
    pub(super) counters: Arc<Counters>,
}

/// The sessions the workers carry, and which one a downstream packet is
/// for.
#[derive(Debug, Default)]
pub(super) struct Table {
    pub(super) sessions: HashMap<u16, Published>,
    /// The sessions' IPv4 addresses (IPCP open).
    by_v4: HashMap<Ipv4Addr, u16>,
    /// The sessions' delegated and framed prefixes (IPv6CP open).
    routes6: Routes6,
    /// Bumped on every change: a worker looks over its own sessions only
    /// when it moved.
    pub(super) generation: u64,
}

impl Table {
    /// Sets session `id` to `p` (`None`: gone); what it had is returned.
    pub(super) fn set(&mut self, id: u16, p: Option<Published>) -> Option<Published> {
        self.generation += 1;
        let old = match p {
            Some(p) => self.sessions.insert(id, p),
            None => self.sessions.remove(&id),
        };
        if let Some(o) = &old {
            if let Some(a) = o.params.ipv4
                && self.by_v4.get(&a) == Some(&id)
            {
                self.by_v4.remove(&a);
            }
            for pre in o.params.v6.into_iter().flatten().flatten() {
                if self.routes6.get(&pre) == Some(&id) {
                    self.routes6.remove(&pre);
                }
            }
        }
        if let Some(n) = self.sessions.get(&id) {
            if let Some(a) = n.params.ipv4 {
                self.by_v4.insert(a, id);
            }
            for pre in n.params.v6.into_iter().flatten().flatten() {
                self.routes6.insert(pre, id);
            }
        }
        old
    }

    /// The session an IPv4 packet to `dst` is for.
    pub(super) fn by_v4(&self, dst: Ipv4Addr) -> Option<u16> {
        self.by_v4.get(&dst).copied()
    }

    /// The session an IPv6 packet to `dst` is for (longest prefix).
    pub(super) fn by_v6(&self, dst: Ipv6Addr) -> Option<u16> {
        self.routes6.lookup(dst)
    }
}

/// What the downstream needs beyond the sessions: where its ICMP errors
/// come from and their rate limits (shared by the workers: they are rare
/// and the limits are the bng's, not one per worker).
pub struct Downstream {
    /// The source of Fragmentation Needed (`pool.local`).
    pub local: Ipv4Addr,
    /// With `[ipv6]`: the Packet Too Big sender (IPv6 is dropped without).
    pub ptb: Option<PacketTooBig>,
    /// The rate limit of Fragmentation Needed (the event loop's own is
    /// for the packets it still sends).
    pub icmp_limit: RateLimiter,
    /// The clock of the rate limits.
    pub clock: StdClock,
}

/// A mutex's guard, poisoned or not (a worker that panicked left plain
/// counters or a rate limiter, still whole).
pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What the control plane and the workers share.
pub(super) struct Shared {
    pub(super) table: RwLock<Table>,
    pub(super) stop: AtomicBool,
    /// Whether IPv6 goes to sessions (`[ipv6]`).
    pub(super) ipv6: bool,
    pub(super) down: Mutex<Downstream>,
}

/// One worker's counters (`bng stats`).
#[derive(Debug, Clone, Copy, Default)]
pub struct WorkerCounters {
    /// Session frames received.
    pub frames: u64,
    /// IP packets written to the TUN device for the sessions.
    pub packets: u64,
    /// Sessions it carried traffic of, now.
    pub sessions: u64,
    /// Frames handed to the control plane.
    pub to_control: u64,
    /// Those dropped because the channel was full.
    pub to_control_dropped: u64,
    /// Frames the kernel dropped before the worker read them.
    pub rx_dropped: u64,
    /// Packets the TUN device refused.
    pub tun_errors: u64,
    /// TCP super-packets written (GRO).
    pub tun_gro: u64,
    /// Reads from its TUN queue (downstream).
    pub tun_reads: u64,
    /// Downstream IP packets sent to the sessions.
    pub down_packets: u64,
    /// TUN reads handed to the worker owning their session.
    pub handed_off: u64,
    /// Those dropped because the owner's queue was full.
    pub handoff_dropped: u64,
    /// Reads other workers handed to it.
    pub handed_in: u64,
    /// The downstream [`Stats`] it counted (added to `bng stats`' totals).
    pub down: Stats,
}

impl WorkerCounters {
    /// Adds `other`'s counts (the sum over workers).
    pub fn add(&mut self, other: &WorkerCounters) {
        let o = other;
        self.frames += o.frames;
        self.packets += o.packets;
        self.sessions += o.sessions;
        self.to_control += o.to_control;
        self.to_control_dropped += o.to_control_dropped;
        self.rx_dropped += o.rx_dropped;
        self.tun_errors += o.tun_errors;
        self.tun_gro += o.tun_gro;
        self.tun_reads += o.tun_reads;
        self.down_packets += o.down_packets;
        self.handed_off += o.handed_off;
        self.handoff_dropped += o.handoff_dropped;
        self.handed_in += o.handed_in;
        let (d, o) = (&mut self.down, &o.down);
        d.tx_dropped += o.tx_dropped;
        d.no_session += o.no_session;
        d.tun_ipv6_dropped += o.tun_ipv6_dropped;
        d.tun_gso_cut += o.tun_gso_cut;
        d.frag_needed_sent += o.frag_needed_sent;
        d.packet_too_big_sent += o.packet_too_big_sent;
        d.icmp_rate_limited += o.icmp_rate_limited;
    }

    /// `bng stats`' fields, by name.
    pub fn fields(&self) -> [(&'static str, u64); 13] {
        [
            ("frames", self.frames),
            ("packets", self.packets),
            ("sessions", self.sessions),
            ("to_control", self.to_control),
            ("to_control_dropped", self.to_control_dropped),
            ("rx_dropped", self.rx_dropped),
            ("tun_errors", self.tun_errors),
            ("tun_gro", self.tun_gro),
            ("tun_reads", self.tun_reads),
            ("down_packets", self.down_packets),
            ("handed_off", self.handed_off),
            ("handoff_dropped", self.handoff_dropped),
            ("handed_in", self.handed_in),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_taken_once() {
        let c = Counters::default();
        let t = Traffic {
            in_octets: 5,
            spoofed: 1,
            out_octets: 7,
            out_packets: 1,
            too_big: 2,
            ..Traffic::default()
        };
        c.add(&t);
        c.add(&t);
        let mut total = Traffic::default();
        c.take(&mut total);
        assert_eq!((total.in_octets, total.spoofed), (10, 2));
        assert_eq!(
            (total.out_octets, total.out_packets, total.too_big),
            (14, 2, 4)
        );
        c.take(&mut total);
        assert_eq!((total.in_octets, total.out_octets), (10, 14));
    }

    #[test]
    fn a_session_carries_nothing_before_an_ncp_opens() {
        let mut s = Session::new(1, 9, [2, 0, 0, 0, 0, 9], std::time::Instant::now());
        s.addr = Some(Ipv4Addr::new(198, 51, 100, 10));
        assert_eq!(Params::of(&s, [2; 6]), None);
        s.ipv4_up = true;
        let p = Params::of(&s, [2; 6]).unwrap();
        assert_eq!(p.ipv4, s.addr);
        assert_eq!((p.v6, p.up_kbps, p.down_kbps), (None, None, None));
        let now = std::time::Instant::now();
        s.up = crate::bng::shaper::shaper(Some(1000), now);
        s.down = crate::bng::shaper::shaper(Some(2000), now);
        let p = Params::of(&s, [2; 6]).unwrap();
        assert_eq!((p.up_kbps, p.down_kbps), (Some(1000), Some(2000)));
    }

    fn published(ipv4: Option<Ipv4Addr>, v6: Option<&str>) -> Published {
        let mut s = Session::new(1, 9, [2, 0, 0, 0, 0, 9], std::time::Instant::now());
        s.addr = ipv4;
        s.ipv4_up = true;
        let mut params = Params::of(&s, [2; 6]).unwrap();
        params.ipv4 = ipv4;
        params.v6 = v6.map(|p| [Some(p.parse().unwrap()), None]);
        Published {
            params,
            counters: Arc::default(),
        }
    }

    /// A session's destinations follow what is published: a new address
    /// replaces the old, a session gone leaves nothing, and a reused
    /// address belongs to its new session only.
    #[test]
    fn destinations_follow_the_published_sessions() {
        let a = Ipv4Addr::new(198, 51, 100, 10);
        let b = Ipv4Addr::new(198, 51, 100, 11);
        let v6 = |s: &str| s.parse::<Ipv6Addr>().unwrap();
        let mut t = Table::default();
        t.set(1, Some(published(Some(a), Some("2001:db8:100::/56"))));
        assert_eq!(
            (t.by_v4(a), t.by_v6(v6("2001:db8:100:5::1"))),
            (Some(1), Some(1))
        );
        t.set(1, Some(published(Some(b), None)));
        assert_eq!((t.by_v4(a), t.by_v4(b)), (None, Some(1)));
        assert_eq!(t.by_v6(v6("2001:db8:100:5::1")), None);
        // Address b moves to session 2 before 1's removal is published.
        t.set(2, Some(published(Some(b), None)));
        t.set(1, None);
        assert_eq!(t.by_v4(b), Some(2));
        t.set(2, None);
        assert_eq!((t.by_v4(b), t.sessions.len(), t.generation), (None, 0, 5));
    }
}
