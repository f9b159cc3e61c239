//! Stateful NAT64 (RFC 6146): [`Nat64`] translates IPv6 packets from
//! IPv6-only hosts to IPv4 with a pool4 transport address, and the
//! replies back, keeping the BIB and session tables ([`tables`]).
//!
//! Per packet (RFC 6146 §3.4–§3.5, in place on the caller's buffer with
//! [`crate::HEADROOM`] in front, as [`crate::Siit`]):
//!
//! - **From IPv6** (a TCP segment, a UDP datagram, an ICMPv6 echo): the
//!   destination out of its pool6 form; the BIB entry and session found or
//!   planned (endpoint-independent mapping; a TCP segment without a
//!   session must be a SYN); the packet translated by RFC 7915 with the
//!   source the pool4 address; its source port (echo identifier) rewritten
//!   to the pool4 port with the checksum updated (RFC 1624); only then the
//!   plan committed and the session's lifetime and TCP state (§3.5.2.2)
//!   advanced. A packet to a pool4 address is hairpinned (§3.8): it goes
//!   back in as if it came from IPv4, its source the pool6 form of the
//!   sender's pool4 transport address.
//! - **From IPv4** to a pool4 transport address: let in only with a BIB
//!   entry and a session with the source's address (address-dependent
//!   filtering), translated with the destination the IPv6 host, the
//!   destination port restored.
//! - **ICMP errors** both ways: the quoted packet's tuple finds the BIB
//!   entry; the quoted port is restored before the translation (the
//!   quoted and the error's checksums updated), so RFC 7915 translates a
//!   consistent packet.
//! - **ICMP errors of its own** (§3.5.1.1, §3.5.1.2, §3.5.2.2): ICMPv6
//!   Destination Unreachable / Address Unreachable when no BIB entry or
//!   session can be made (pool4 exhausted, a table full); ICMP Port
//!   Unreachable for IPv4 UDP without a BIB entry; ICMP Communication
//!   Administratively Prohibited for filtered IPv4 UDP. The translator's
//!   own (Time Exceeded, ...) likewise. All of them share one rate limit
//!   (`icmp_error_rate`, RFC 4443 §2.4 (f)); none is sent without a
//!   configured source (`siit.icmp_error_source_v4`/`_v6`).
//!
//! A drop is a [`Nat64Dropped`], counted in [`Nat64Counters`], and leaves
//! the tables as they were. One exception, as the RFC describes
//! hairpinning as two passes: a hairpinned packet refused on its way back
//! in keeps the session its way out made (without it two hosts behind the
//! NAT64 could never let each other's packets in).
//!
//! Fragments are translated without reassembly (§3.4): the first one
//! goes through the tables, the ones after it take its addresses (kept 2
//! s, bounded by `max_fragmented_datagrams`); one that comes before its
//! first, or of a hairpinned datagram, is dropped
//! ([`Nat64Dropped::Fragment`]).
//!
//! Not done: static BIB entries, storing an
//! unsolicited IPv4 SYN (§3.5.2.2), port parity/range preservation.
//!
//! Drain order: after each `translate` or `handle_timeout`, read
//! `poll_timeout` for the next session expiry.

mod fragments;
mod packet;
pub mod tables;
mod tcp;
mod types;

pub use tables::{
    Nat64ConfigError, Nat64Counters, Nat64Dropped, Nat64Protocol, Nat64Tables, Nat64TablesConfig,
    Nat64Timeouts, Pool4Range, TcpFlags, TcpState, TransportAddr4, TransportAddr6,
};

use core::net::{Ipv4Addr, Ipv6Addr};

use sansio_primitives::{Instant, RateLimiter, SeededRng};

use crate::rfc7915::icmp_error::{self, Offender};
use crate::rfc7915::{v4_to_v6, v6_to_v4};
use crate::siit::{Core, SiitConfig, XlatDropped, XlatOutput, check_span};
use fragments::Fragments;
use packet::{Flow, flow4, flow6, set_port, set_quoted_port};

/// A NAT64's configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nat64Config {
    /// pool4, the tables' bounds and lifetimes.
    pub tables: Nat64TablesConfig,
    /// The translator: `pool6` (required), no EAMs; its MTU, ToS and ICMP
    /// error settings (`icmp_error_rate` included) apply as for SIIT.
    pub siit: SiitConfig,
    /// At most this many fragmented datagrams remembered at once (their
    /// first fragment's mapping, for the fragments after it).
    pub max_fragmented_datagrams: usize,
}

impl Nat64Config {
    /// A NAT64 from `pool6` to `pool4` with RFC 6146's lifetimes, tables
    /// bounded at 65,536 BIB entries and sessions, and no ICMP errors of its own (set `siit.icmp_error_source_*`).
    pub fn new(pool6: rfc6052::Nat64Prefix, pool4: alloc::vec::Vec<Pool4Range>) -> Nat64Config {
        Nat64Config {
            tables: Nat64TablesConfig {
                pool4,
                max_bib_entries: 65_536,
                max_sessions: 65_536,
                timeouts: Nat64Timeouts::RFC6146,
            },
            siit: SiitConfig::new(Some(pool6)),
            max_fragmented_datagrams: 1024,
        }
    }
}

/// A stateful NAT64 (see the module docs).
#[derive(Debug)]
pub struct Nat64 {
    core: Core,
    tables: Nat64Tables,
    icmp_limit: RateLimiter,
    fragments: Fragments,
}

/// Which ICMP error a refused packet earns (§3.5), if any.
fn icmp_for(d: Nat64Dropped, from_v6: bool, protocol: Nat64Protocol) -> Option<(u8, u8)> {
    match d {
        Nat64Dropped::Pool4Exhausted | Nat64Dropped::BibFull | Nat64Dropped::SessionTableFull
            if from_v6 =>
        {
            Some((1, 3))
        }
        Nat64Dropped::NoBinding if !from_v6 && protocol == Nat64Protocol::Udp => Some((3, 3)),
        Nat64Dropped::Filtered if !from_v6 && protocol == Nat64Protocol::Udp => Some((3, 13)),
        _ => None,
    }
}

impl Nat64 {
    /// A NAT64; `rng` seeds the port draws and the IPv4 Identification.
    pub fn new(
        config: Nat64Config,
        mut rng: SeededRng,
        now: Instant,
    ) -> Result<Nat64, Nat64ConfigError> {
        if config.siit.pool6.is_none() {
            return Err(Nat64ConfigError::NoPool6);
        }
        if !config.siit.eamt.is_empty() {
            return Err(Nat64ConfigError::EamtNotEmpty);
        }
        let icmp_limit = RateLimiter::new(config.siit.icmp_error_rate, now);
        let core = Core::new(config.siit, rng.fork())?;
        let tables = Nat64Tables::new(config.tables, rng, now)?;
        let fragments = Fragments::new(config.max_fragmented_datagrams);
        Ok(Nat64 {
            core,
            tables,
            icmp_limit,
            fragments,
        })
    }

    /// The counters (the tables' and the translation's).
    pub fn counters(&self) -> &Nat64Counters {
        self.tables.counters()
    }

    /// The BIB and session tables (read only).
    pub fn tables(&self) -> &Nat64Tables {
        &self.tables
    }

    /// The next session expiry.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        match (self.tables.poll_timeout(), self.fragments.poll_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Fragmented datagrams whose first fragment's mapping is remembered.
    pub fn fragmented_datagrams(&self) -> usize {
        self.fragments.len()
    }

    /// Expires the sessions due at `now` (and BIB entries left without
    /// one). Harmless when early or repeated.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.tables.handle_timeout(now);
        self.fragments.handle_timeout(now);
    }

    /// Translates the packet at `buf[start..start + len]`, IPv6 or IPv4 by
    /// its version nibble (see the module docs); the result lies in
    /// `buf[start - HEADROOM..start + len]`. On `Err` the packet is
    /// dropped (its bytes may have been changed) and the reason counted.
    pub fn translate(
        &mut self,
        now: Instant,
        buf: &mut [u8],
        start: usize,
        len: usize,
    ) -> Result<XlatOutput, Nat64Dropped> {
        let r = check_span(buf, start, len)
            .map_err(Nat64Dropped::Xlat)
            .and_then(|()| {
                if buf[start] >> 4 == 6 {
                    self.outbound(now, buf, start, len)
                } else {
                    self.inbound(now, buf, start, len, false)
                }
            });
        let r = match r {
            Ok(XlatOutput::IcmpError { .. }) if !self.icmp_limit.allow(now) => {
                Err(Nat64Dropped::IcmpErrorRateLimited)
            }
            r => r,
        };
        let c = self.tables.counters_mut();
        match r {
            Ok(XlatOutput::IcmpError { .. }) => c.icmp_errors_sent += 1,
            Ok(XlatOutput::Translated { start: s, .. }) if buf[s] >> 4 == 6 => {
                c.translated_4to6 += 1
            }
            Ok(XlatOutput::Translated { .. }) => c.translated_6to4 += 1,
            Err(d) => self.tables.count(d),
        }
        r
    }

    fn outbound(
        &mut self,
        now: Instant,
        buf: &mut [u8],
        start: usize,
        len: usize,
    ) -> Result<XlatOutput, Nat64Dropped> {
        let pool6 = self.core.mapping.pool6.ok_or(Nat64Dropped::NotPool4)?;
        match flow6(buf, start, len)? {
            Flow::LaterFragment(key) => {
                let (v6, v4) = self.fragments.get(&key).ok_or(Nat64Dropped::Fragment)?;
                self.with_pin(v6, v4, |core| v6_to_v4::translate(core, buf, start, len))
                    .map_err(Nat64Dropped::Xlat)
            }
            Flow::Query {
                protocol,
                src,
                dst,
                tcp,
                first_fragment,
            } => {
                let dst4 = pool6
                    .extract_octets(&dst.0)
                    .ok_or(Nat64Dropped::Xlat(XlatDropped::UntranslatableDestination))?;
                let remote = (Ipv4Addr::from(dst4), dst.1);
                let plan = match self.tables.plan_outbound(
                    protocol,
                    (Ipv6Addr::from(src.0), src.1),
                    remote,
                    tcp,
                ) {
                    Ok(plan) => plan,
                    Err(d) => return self.refuse(buf, start, len, d, true, protocol, &src.0),
                };
                let v4 = plan.v4;
                let r = self.with_pin(src.0, v4.0.octets(), |core| {
                    v6_to_v4::translate(core, buf, start, len)
                });
                let out = r.map_err(Nat64Dropped::Xlat)?;
                let XlatOutput::Translated { start: s, len: l } = out else {
                    return Ok(out);
                };
                set_port(buf, s, protocol, 0, v4.1);
                self.tables.commit(now, plan, tcp);
                let hairpin = self.tables.is_pool4(remote.0);
                if let Some(key) = first_fragment
                    && !hairpin
                {
                    self.fragments.insert(now, key, (src.0, v4.0.octets()));
                }
                if hairpin {
                    // §3.8: to one of our own transport addresses. The way
                    // out stays committed even when the way in is refused:
                    // as for a packet that really left, its session is what
                    // lets the other host's packets in (address-dependent
                    // filtering), so two hosts behind the NAT64 can reach
                    // each other at all.
                    let r = self.inbound(now, buf, s, l, true);
                    if r.is_ok() {
                        self.tables.counters_mut().hairpinned += 1;
                    }
                    return r;
                }
                Ok(out)
            }
            Flow::Error {
                protocol,
                host,
                port_at,
                inner_checksum_at,
                outer_checksum_at,
            } => {
                let v4 = self
                    .tables
                    .binding(protocol, (Ipv6Addr::from(host.0), host.1))
                    .ok_or(Nat64Dropped::NoBinding)?;
                let udp = protocol == Nat64Protocol::Udp;
                set_quoted_port(
                    buf,
                    (port_at, inner_checksum_at, outer_checksum_at, udp),
                    v4.1,
                );
                self.with_pin(host.0, v4.0.octets(), |core| {
                    v6_to_v4::translate(core, buf, start, len)
                })
                .map_err(Nat64Dropped::Xlat)
            }
        }
    }

    fn inbound(
        &mut self,
        now: Instant,
        buf: &mut [u8],
        start: usize,
        len: usize,
        hairpin: bool,
    ) -> Result<XlatOutput, Nat64Dropped> {
        match flow4(buf, start, len)? {
            Flow::LaterFragment(key) => {
                let (v6, v4) = self.fragments.get(&key).ok_or(Nat64Dropped::Fragment)?;
                self.with_pin(v6, v4, |core| {
                    v4_to_v6::translate(core, buf, start, len, hairpin, false)
                })
                .map_err(Nat64Dropped::Xlat)
            }
            Flow::Query {
                protocol,
                src,
                dst,
                tcp,
                first_fragment,
            } => {
                let dst4 = Ipv4Addr::from(dst.0);
                if !self.tables.is_pool4(dst4) {
                    return Err(Nat64Dropped::NotPool4);
                }
                let remote = (Ipv4Addr::from(src.0), src.1);
                let plan = match self
                    .tables
                    .plan_inbound(protocol, remote, (dst4, dst.1), tcp)
                {
                    Ok(plan) => plan,
                    Err(d) => {
                        let mut to = [0; 16];
                        to[..4].copy_from_slice(&src.0);
                        return self.refuse(buf, start, len, d, false, protocol, &to);
                    }
                };
                let v6 = plan.v6;
                let r = self.with_pin(v6.0.octets(), dst.0, |core| {
                    v4_to_v6::translate(core, buf, start, len, hairpin, false)
                });
                let out = r.map_err(Nat64Dropped::Xlat)?;
                let XlatOutput::Translated { start: s, .. } = out else {
                    return Ok(out);
                };
                set_port(
                    buf,
                    s,
                    protocol,
                    if protocol == Nat64Protocol::Icmp {
                        0
                    } else {
                        2
                    },
                    v6.1,
                );
                self.tables.commit(now, plan, tcp);
                if let Some(key) = first_fragment
                    && !hairpin
                {
                    self.fragments.insert(now, key, (v6.0.octets(), dst.0));
                }
                Ok(out)
            }
            Flow::Error {
                protocol,
                host,
                port_at,
                inner_checksum_at,
                outer_checksum_at,
            } => {
                let v4 = (Ipv4Addr::from(host.0), host.1);
                let v6 = self
                    .tables
                    .binding4(protocol, v4)
                    .ok_or(Nat64Dropped::NoBinding)?;
                let udp = protocol == Nat64Protocol::Udp;
                set_quoted_port(
                    buf,
                    (port_at, inner_checksum_at, outer_checksum_at, udp),
                    v6.1,
                );
                self.with_pin(v6.0.octets(), host.0, |core| {
                    v4_to_v6::translate(core, buf, start, len, hairpin, false)
                })
                .map_err(Nat64Dropped::Xlat)
            }
        }
    }

    /// Runs a translation with the packet's host ↔ pool4 address mapping.
    fn with_pin<T>(&mut self, v6: [u8; 16], v4: [u8; 4], f: impl FnOnce(&mut Core) -> T) -> T {
        self.core.mapping.pin = Some((v6, v4));
        let r = f(&mut self.core);
        self.core.mapping.pin = None;
        r
    }

    /// A packet that gets no state: the §3.5 ICMP error back to its
    /// source `to` (IPv4 in its first four bytes when `!from_v6`) where
    /// one is due and may be sent, else the drop.
    #[allow(clippy::too_many_arguments)]
    fn refuse(
        &mut self,
        buf: &mut [u8],
        start: usize,
        len: usize,
        d: Nat64Dropped,
        from_v6: bool,
        protocol: Nat64Protocol,
        to: &[u8; 16],
    ) -> Result<XlatOutput, Nat64Dropped> {
        let Some((t, code)) = icmp_for(d, from_v6, protocol) else {
            return Err(d);
        };
        let dst = &buf[start..start + len];
        let offender = if from_v6 {
            Offender {
                src: *to,
                may_answer: to[0] != 0xff && *to != [0; 16] && dst[24] != 0xff,
            }
        } else {
            Offender {
                src: *to,
                may_answer: to[0] != 0 && to[0] < 224 && dst[16] < 224,
            }
        };
        // The placeholder reason is replaced by `d` whatever it says.
        let placeholder = XlatDropped::UntranslatableDestination;
        let r = if from_v6 {
            icmp_error::icmpv6(
                &self.core,
                buf,
                start,
                len,
                &offender,
                t,
                code,
                0,
                placeholder,
            )
        } else {
            icmp_error::icmpv4(&self.core, buf, start, len, &offender, t, code, placeholder)
        };
        match r {
            Ok(out) => {
                // Answered, and still counted by its reason (`translate`
                // counts it when it is a plain drop).
                self.tables.count(d);
                Ok(out)
            }
            Err(_) => Err(d),
        }
    }
}
