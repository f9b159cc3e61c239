//! The SIIT translator: configuration, outcomes, drop reasons, counters.
//!
//! [`Siit`] is a data path, not a conversation: it has no timers and sends
//! nothing by itself. Each call translates one packet in place and returns
//! where the result lies in the caller's buffer (see [`XlatOutput`]).

use core::net::{Ipv4Addr, Ipv6Addr};
use core::ops::Range;

use crate::eamt::Eamt;
use crate::mapping::AddressMapping;
use crate::rfc7915;
use rfc6052::Nat64Prefix;
use sansio_primitives::{Instant, RateLimit, RateLimiter, SeededRng};

/// Bytes the caller keeps free in front of every packet: the most a
/// translation grows. 4 → 6 adds 20 (IPv6 header 40 − IPv4 header 20),
/// 28 with a Fragment header; an ICMPv4 error also grows its inner header
/// by up to 28, so 20 + 28. A generated ICMPv6 error puts 48 bytes (IPv6 +
/// ICMPv6 headers) in front of the packet in error.
pub const HEADROOM: usize = 48;

/// The IPv6 minimum link MTU (RFC 8200 §5), and the most an ICMPv6 error
/// may carry in all (RFC 4443 §2.4 (c)).
pub const IPV6_MIN_MTU: u16 = 1280;

/// The largest ICMPv4 error this translator emits (RFC 1812 §4.3.2.3).
pub const ICMPV4_ERROR_MAX: usize = 576;

/// RFC 7600's IPv4 dummy address: the source of translated ICMPv6 errors
/// whose IPv6 source has no IPv4 form, when no RFC 6791 pool is set.
pub const IPV4_DUMMY_ADDRESS: Ipv4Addr = Ipv4Addr::new(192, 0, 0, 8);

/// How to translate. [`SiitConfig::new`] gives Jool's defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiitConfig {
    /// The RFC 6052 prefix (Jool's pool6); `None` for EAMT only.
    pub pool6: Option<Nat64Prefix>,
    /// Explicit Address Mappings (RFC 7757), tried before pool6.
    pub eamt: Eamt,
    /// RFC 6791: IPv4 addresses for the sources of ICMPv6 errors (routers)
    /// that have no IPv4 form, as prefix and length; `None` uses
    /// [`IPV4_DUMMY_ADDRESS`].
    pub pool6791v4: Option<(Ipv4Addr, u8)>,
    /// The IPv6 source for ICMPv4 errors whose IPv4 source has no IPv6 form
    /// (Jool's pool6791v6); `None` drops them.
    pub pool6791v6: Option<Ipv6Addr>,
    /// The smallest MTU on the IPv6 side (Jool's `lowest-ipv6-mtu`, RFC
    /// 7915 §4's configurable minimum IPv6 MTU): a DF-less unfragmented
    /// IPv4 packet whose IPv6 form is bigger is fragmented to fit
    /// ([`Siit::translate_4to6_fragmented`]; the in-place calls refuse it
    /// with [`XlatDropped::NeedsFragmentation`]).
    pub lowest_ipv6_mtu: u16,
    /// Compute the checksum of unfragmented IPv4 UDP packets that carry
    /// none (RFC 7915 §4.5); otherwise they are dropped (Jool's
    /// `amend-udp-checksum-zero`, off by default).
    pub amend_udp_checksum_zero: bool,
    /// IPv6 Traffic Class 0 instead of the IPv4 TOS (§4.1).
    pub reset_traffic_class: bool,
    /// IPv4 TOS [`SiitConfig::new_tos`] instead of the Traffic Class (§5.1).
    pub reset_tos: bool,
    /// The TOS used when [`SiitConfig::reset_tos`] is set.
    pub new_tos: u8,
    /// Source of the ICMPv4 errors the translator itself sends (TTL
    /// exceeded, source route failed); `None`: drop without an error.
    pub icmp_error_source_v4: Option<Ipv4Addr>,
    /// Source of the ICMPv6 errors the translator itself sends (hop limit
    /// exceeded, Parameter Problem for a Routing header); `None`: drop
    /// without an error.
    pub icmp_error_source_v6: Option<Ipv6Addr>,
    /// The limit on the ICMP errors the translator generates (RFC 4443
    /// §2.4 (f), RFC 1812 §4.3.2.8), applied by [`Siit::translate_at`]
    /// and by `nat64::Nat64`.
    pub icmp_error_rate: RateLimit,
}

impl SiitConfig {
    /// A translator for `pool6` with Jool's defaults: empty EAMT,
    /// 192.0.0.8 for unmappable ICMP error sources, `lowest_ipv6_mtu` 1280,
    /// zero UDP checksums dropped, TOS and Traffic Class copied, no ICMP
    /// errors of its own (and [`ICMP_ERROR_RATE`] once they are on).
    pub fn new(pool6: Option<Nat64Prefix>) -> SiitConfig {
        SiitConfig {
            pool6,
            eamt: Eamt::new(),
            pool6791v4: None,
            pool6791v6: None,
            lowest_ipv6_mtu: IPV6_MIN_MTU,
            amend_udp_checksum_zero: false,
            reset_traffic_class: false,
            reset_tos: false,
            new_tos: 0,
            icmp_error_source_v4: None,
            icmp_error_source_v6: None,
            icmp_error_rate: ICMP_ERROR_RATE,
        }
    }
}

/// The default limit on generated ICMP errors: 100 a second after a burst
/// of 50.
pub const ICMP_ERROR_RATE: RateLimit = RateLimit {
    per_second: 100,
    burst: 50,
};

/// Why a [`SiitConfig`] cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SiitConfigError {
    /// Neither a pool6 prefix nor an EAM: nothing could be translated.
    #[error("no pool6 prefix and an empty EAMT: nothing to translate with")]
    NoMapping,
    /// `lowest_ipv6_mtu` below 1280 (RFC 8200 §5).
    #[error("lowest_ipv6_mtu {0} is below the IPv6 minimum 1280")]
    LowestIpv6MtuTooSmall(u16),
    /// `pool6791v4`'s prefix length is over 32.
    #[error("pool6791v4 prefix length {0} is over 32")]
    Pool6791v4Length(u8),
}

/// What is wrong with a packet's bytes (where, by RFC field name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum XlatWireError {
    /// The packet ends inside this field.
    #[error("truncated in {field}")]
    Truncated {
        /// The field.
        field: &'static str,
    },
    /// The field holds a value the packet cannot have.
    #[error("bad {field}")]
    BadValue {
        /// The field.
        field: &'static str,
    },
    /// The checksum over this part does not verify.
    #[error("bad checksum in {field}")]
    BadChecksum {
        /// What the checksum covers.
        field: &'static str,
    },
}

/// Why a packet was not translated (each counted in [`XlatCounters`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum XlatDropped {
    /// The caller's span lies outside `buf`, or has less than [`HEADROOM`]
    /// bytes in front of it.
    #[error("packet span outside the buffer or without headroom")]
    NoHeadroom,
    /// Malformed IP/ICMP/transport bytes.
    #[error("malformed: {0}")]
    Malformed(XlatWireError),
    /// The source address has no form in the other family.
    #[error("source address not translatable")]
    UntranslatableSource,
    /// The destination address has no form in the other family.
    #[error("destination address not translatable")]
    UntranslatableDestination,
    /// An ICMP type, code or pointer with no counterpart (§4.2, §5.2), or
    /// an ICMP error inside an ICMP error.
    #[error("ICMP message without a counterpart")]
    UntranslatableIcmp,
    /// A fragmented ICMP message: its checksum cannot be translated
    /// without the whole message.
    #[error("fragmented ICMP message")]
    FragmentedIcmp,
    /// IPv4 UDP without checksum, fragmented or with
    /// `amend_udp_checksum_zero` off (§4.5).
    #[error("IPv4 UDP with zero checksum")]
    UdpZeroChecksum,
    /// A DF-less IPv4 packet bigger than `lowest_ipv6_mtu` once
    /// translated: it needs fragmenting, which is not done in place; the
    /// packet is unchanged, and [`Siit::translate_4to6_fragmented`]
    /// translates it into fragments.
    #[error("needs fragmenting to fit lowest_ipv6_mtu")]
    NeedsFragmentation,
    /// The buffer given to [`Siit::translate_4to6_fragmented`] cannot hold
    /// the fragments.
    #[error("output buffer too small for the fragments")]
    OutputTooSmall,
    /// TTL or Hop Limit would reach zero, and no ICMP error could be sent
    /// (no source configured, or the packet is itself an ICMP error).
    #[error("TTL/hop limit exceeded")]
    HopLimitExceeded,
    /// An unexpired IPv4 source route (§4.1), no ICMP error sent.
    #[error("unexpired IPv4 source route")]
    SourceRoute,
    /// An IPv6 Routing header with Segments Left ≠ 0 (§5.1), no ICMPv6
    /// error sent.
    #[error("IPv6 routing header with segments left")]
    SegmentsLeft,
    /// An ICMP error the translator would send, held back by
    /// `icmp_error_rate` ([`Siit::translate_at`]).
    #[error("ICMP error rate limited")]
    IcmpErrorRateLimited,
}

/// The translator's counters: one per [`XlatDropped`] reason and per
/// outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct XlatCounters {
    /// IPv4 packets translated to IPv6.
    pub translated_4to6: u64,
    /// IPv6 packets translated to IPv4 (hairpinned ones included).
    pub translated_6to4: u64,
    /// IPv6 packets hairpinned (RFC 7757 §4.2): their IPv4 destination has
    /// an EAM, so they went out as IPv6 again.
    pub hairpinned: u64,
    /// ICMP/ICMPv6 errors generated by the translator itself.
    pub icmp_errors_sent: u64,
    /// [`XlatDropped::NoHeadroom`].
    pub no_headroom: u64,
    /// [`XlatDropped::Malformed`].
    pub malformed: u64,
    /// [`XlatDropped::UntranslatableSource`].
    pub untranslatable_source: u64,
    /// [`XlatDropped::UntranslatableDestination`].
    pub untranslatable_destination: u64,
    /// [`XlatDropped::UntranslatableIcmp`].
    pub untranslatable_icmp: u64,
    /// [`XlatDropped::FragmentedIcmp`].
    pub fragmented_icmp: u64,
    /// [`XlatDropped::UdpZeroChecksum`].
    pub udp_zero_checksum: u64,
    /// [`XlatDropped::NeedsFragmentation`].
    pub needs_fragmentation: u64,
    /// [`XlatDropped::OutputTooSmall`].
    pub output_too_small: u64,
    /// IPv4 packets translated into several IPv6 fragments (also counted
    /// in `translated_4to6`).
    pub fragmented_4to6: u64,
    /// [`XlatDropped::HopLimitExceeded`].
    pub hop_limit_exceeded: u64,
    /// [`XlatDropped::SourceRoute`].
    pub source_route: u64,
    /// [`XlatDropped::SegmentsLeft`].
    pub segments_left: u64,
    /// [`XlatDropped::IcmpErrorRateLimited`].
    pub icmp_error_rate_limited: u64,
}

impl XlatCounters {
    fn count(&mut self, d: XlatDropped) {
        let c = match d {
            XlatDropped::NoHeadroom => &mut self.no_headroom,
            XlatDropped::Malformed(_) => &mut self.malformed,
            XlatDropped::UntranslatableSource => &mut self.untranslatable_source,
            XlatDropped::UntranslatableDestination => &mut self.untranslatable_destination,
            XlatDropped::UntranslatableIcmp => &mut self.untranslatable_icmp,
            XlatDropped::FragmentedIcmp => &mut self.fragmented_icmp,
            XlatDropped::UdpZeroChecksum => &mut self.udp_zero_checksum,
            XlatDropped::NeedsFragmentation => &mut self.needs_fragmentation,
            XlatDropped::OutputTooSmall => &mut self.output_too_small,
            XlatDropped::HopLimitExceeded => &mut self.hop_limit_exceeded,
            XlatDropped::SourceRoute => &mut self.source_route,
            XlatDropped::SegmentsLeft => &mut self.segments_left,
            XlatDropped::IcmpErrorRateLimited => &mut self.icmp_error_rate_limited,
        };
        *c += 1;
    }
}

/// Where the result of a translation lies in the caller's buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XlatOutput {
    /// The packet in the other family, to be forwarded.
    Translated {
        /// Offset of its first byte in `buf`.
        start: usize,
        /// Its length.
        len: usize,
    },
    /// The packet was not translated; instead an ICMP error of the input's
    /// family (with as much of the packet as fits) goes back to its
    /// source.
    IcmpError {
        /// Offset of its first byte in `buf`.
        start: usize,
        /// Its length.
        len: usize,
    },
}

impl XlatOutput {
    /// The output's bytes in `buf`.
    pub fn range(&self) -> Range<usize> {
        match *self {
            XlatOutput::Translated { start, len } | XlatOutput::IcmpError { start, len } => {
                start..start + len
            }
        }
    }
}

/// Where [`Siit::translate_4to6_fragmented`] put its output in `out`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct XlatFragments {
    /// How many packets.
    pub count: usize,
    /// Packet `i` starts at `i * stride`.
    pub stride: usize,
    /// The last packet's length (the others are `stride` long).
    pub last_len: usize,
    /// The one packet is an ICMP error back to the IPv4 source (TTL
    /// exceeded, source route), not a translation.
    pub icmp_error: bool,
}

impl XlatFragments {
    /// The byte range of packet `i` in `out`.
    pub fn range(&self, i: usize) -> Range<usize> {
        let len = if i + 1 == self.count {
            self.last_len
        } else {
            self.stride
        };
        i * self.stride..i * self.stride + len
    }
}

/// What the translation steps read: the validated configuration.
#[derive(Debug)]
pub(crate) struct Core {
    pub(crate) config: SiitConfig,
    pub(crate) mapping: AddressMapping,
    /// The next IPv4 Identification for unfragmented DF-less output
    /// (RFC 7915 §5.1, RFC 6864): a counter from a random start.
    pub(crate) next_ipv4_id: u16,
}

impl Core {
    /// The configuration validated; `rng` seeds the IPv4 Identification.
    pub(crate) fn new(config: SiitConfig, mut rng: SeededRng) -> Result<Core, SiitConfigError> {
        if config.pool6.is_none() && config.eamt.is_empty() {
            return Err(SiitConfigError::NoMapping);
        }
        if config.lowest_ipv6_mtu < IPV6_MIN_MTU {
            return Err(SiitConfigError::LowestIpv6MtuTooSmall(
                config.lowest_ipv6_mtu,
            ));
        }
        if let Some((_, len)) = config.pool6791v4
            && len > 32
        {
            return Err(SiitConfigError::Pool6791v4Length(len));
        }
        let mapping = AddressMapping {
            pool6: config.pool6,
            eamt: config.eamt.clone(),
            pin: None,
        };
        let next_ipv4_id = rng.below(1 << 16) as u16;
        Ok(Core {
            config,
            mapping,
            next_ipv4_id,
        })
    }

    pub(crate) fn ipv4_id(&mut self) -> u16 {
        let id = self.next_ipv4_id;
        self.next_ipv4_id = id.wrapping_add(1);
        id
    }
}

/// A stateless IP/ICMP translator (RFC 7915) with pool6 and EAMT mapping.
///
/// Buffer contract: the packet is `buf[start..start + len]` with at least
/// [`HEADROOM`] bytes in front of it (`start >= HEADROOM`); the output
/// lies in `buf[start - HEADROOM..start + len]` and is never longer than
/// `len + HEADROOM`. Bytes after `len` are never touched. Nothing is
/// allocated per packet.
#[derive(Debug)]
pub struct Siit {
    core: Core,
    counters: XlatCounters,
    /// Started by the first [`Siit::translate_at`] (`new` has no time).
    icmp_limit: Option<RateLimiter>,
}

impl Siit {
    /// A translator; `rng` seeds the IPv4 Identification counter. There is
    /// no `now`: the translator has no timers and keeps no time.
    pub fn new(config: SiitConfig, rng: SeededRng) -> Result<Siit, SiitConfigError> {
        Ok(Siit {
            core: Core::new(config, rng)?,
            counters: XlatCounters::default(),
            icmp_limit: None,
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &SiitConfig {
        &self.core.config
    }

    /// The counters.
    pub fn counters(&self) -> &XlatCounters {
        &self.counters
    }

    /// Translates the packet at `buf[start..start + len]`, IPv4 or IPv6 by
    /// its version nibble. On `Err` the packet is dropped (its bytes may
    /// have been changed) and the reason counted.
    pub fn translate(
        &mut self,
        buf: &mut [u8],
        start: usize,
        len: usize,
    ) -> Result<XlatOutput, XlatDropped> {
        let version = buf.get(start).map(|b| b >> 4);
        if version == Some(6) {
            self.translate_6to4(buf, start, len)
        } else {
            self.translate_4to6(buf, start, len)
        }
    }

    /// [`Siit::translate`] at `now`, with the ICMP errors it generates
    /// held to `icmp_error_rate`: one over the limit is dropped and
    /// counted ([`XlatDropped::IcmpErrorRateLimited`]).
    pub fn translate_at(
        &mut self,
        now: Instant,
        buf: &mut [u8],
        start: usize,
        len: usize,
    ) -> Result<XlatOutput, XlatDropped> {
        let r = self.translate(buf, start, len)?;
        if let XlatOutput::IcmpError { .. } = r {
            let rate = self.core.config.icmp_error_rate;
            let limit = self
                .icmp_limit
                .get_or_insert_with(|| RateLimiter::new(rate, now));
            if !limit.allow(now) {
                // Counted once, as a drop rather than an error sent.
                self.counters.icmp_errors_sent -= 1;
                self.counters.count(XlatDropped::IcmpErrorRateLimited);
                return Err(XlatDropped::IcmpErrorRateLimited);
            }
        }
        Ok(r)
    }

    /// Translates an IPv4 packet to IPv6 (RFC 7915 §4).
    pub fn translate_4to6(
        &mut self,
        buf: &mut [u8],
        start: usize,
        len: usize,
    ) -> Result<XlatOutput, XlatDropped> {
        let r = check_span(buf, start, len).and_then(|()| {
            rfc7915::v4_to_v6::translate(&mut self.core, buf, start, len, false, false)
        });
        self.tally(r, true)
    }

    /// Translates an IPv4 packet to IPv6 like [`Siit::translate_4to6`], but
    /// a DF-less packet too big for `lowest_ipv6_mtu` (the
    /// [`XlatDropped::NeedsFragmentation`] case) is translated into IPv6
    /// fragments of at most `lowest_ipv6_mtu` bytes each (RFC 7915 §4: a
    /// Fragment header on each, the IPv4 Identification as theirs, payload
    /// cut at multiples of 8), written into `out` one every
    /// [`XlatFragments::stride`] bytes. `buf` is used as scratch. A packet
    /// that fits comes out as one piece in `out`.
    pub fn translate_4to6_fragmented(
        &mut self,
        buf: &mut [u8],
        start: usize,
        len: usize,
        out: &mut [u8],
    ) -> Result<XlatFragments, XlatDropped> {
        let r = self.fragment_inner(buf, start, len, out);
        match r {
            Ok(f) if f.icmp_error => self.counters.icmp_errors_sent += 1,
            Ok(f) => {
                self.counters.translated_4to6 += 1;
                if f.count > 1 {
                    self.counters.fragmented_4to6 += 1;
                }
            }
            Err(d) => self.counters.count(d),
        }
        r
    }

    fn fragment_inner(
        &mut self,
        buf: &mut [u8],
        start: usize,
        len: usize,
        out: &mut [u8],
    ) -> Result<XlatFragments, XlatDropped> {
        check_span(buf, start, len)?;
        const HDRS: usize = 48;
        let mtu = usize::from(self.core.config.lowest_ipv6_mtu);
        let chunk = (mtu - HDRS) / 8 * 8;
        // Enough for the worst case, checked before `buf` is touched.
        let pieces = len.saturating_sub(20).div_ceil(chunk).max(1);
        if out.len() < (pieces * (HDRS + chunk)).max(len + HEADROOM) {
            return Err(XlatDropped::OutputTooSmall);
        }
        let r = rfc7915::v4_to_v6::translate(&mut self.core, buf, start, len, false, true)?;
        let (s, l, icmp_error) = match r {
            XlatOutput::Translated { start, len } => (start, len, false),
            XlatOutput::IcmpError { start, len } => (start, len, true),
        };
        let pkt = &buf[s..s + l];
        if icmp_error || l <= mtu {
            out[..l].copy_from_slice(pkt);
            return Ok(XlatFragments {
                count: 1,
                stride: l,
                last_len: l,
                icmp_error,
            });
        }
        // Only a forced Fragment header makes a packet bigger than the MTU.
        let frag = u16::from_be_bytes([pkt[42], pkt[43]]);
        let (offset0, more0) = (frag >> 3, frag & 1);
        let payload = &pkt[HDRS..];
        let count = payload.len().div_ceil(chunk);
        for (k, piece) in payload.chunks(chunk).enumerate() {
            let o = &mut out[k * (HDRS + chunk)..k * (HDRS + chunk) + HDRS + piece.len()];
            o[..HDRS].copy_from_slice(&pkt[..HDRS]);
            o[4..6].copy_from_slice(&((8 + piece.len()) as u16).to_be_bytes());
            let more = if k + 1 < count { 1 } else { more0 };
            let off = offset0 + (k * chunk / 8) as u16;
            o[42..44].copy_from_slice(&(off << 3 | more).to_be_bytes());
            o[HDRS..].copy_from_slice(piece);
        }
        Ok(XlatFragments {
            count,
            stride: HDRS + chunk,
            last_len: HDRS + (payload.len() - (count - 1) * chunk),
            icmp_error: false,
        })
    }

    /// Translates an IPv6 packet to IPv4 (RFC 7915 §5).
    pub fn translate_6to4(
        &mut self,
        buf: &mut [u8],
        start: usize,
        len: usize,
    ) -> Result<XlatOutput, XlatDropped> {
        let r = check_span(buf, start, len)
            .and_then(|()| rfc7915::v6_to_v4::translate(&mut self.core, buf, start, len));
        if let Ok(XlatOutput::Translated { start, .. }) = r
            && buf[start] >> 4 == 6
        {
            self.counters.hairpinned += 1;
        }
        self.tally(r, false)
    }

    fn tally(
        &mut self,
        r: Result<XlatOutput, XlatDropped>,
        from_v4: bool,
    ) -> Result<XlatOutput, XlatDropped> {
        match r {
            Ok(XlatOutput::Translated { .. }) if from_v4 => self.counters.translated_4to6 += 1,
            Ok(XlatOutput::Translated { .. }) => self.counters.translated_6to4 += 1,
            Ok(XlatOutput::IcmpError { .. }) => self.counters.icmp_errors_sent += 1,
            Err(d) => self.counters.count(d),
        }
        r
    }
}

pub(crate) fn check_span(buf: &[u8], start: usize, len: usize) -> Result<(), XlatDropped> {
    match start.checked_add(len) {
        Some(end) if start >= HEADROOM && end <= buf.len() => Ok(()),
        _ => Err(XlatDropped::NoHeadroom),
    }
}
