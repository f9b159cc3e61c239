//! Neighbor Discovery options (RFC 4861 §4.6 and later RFCs).
//!
//! Every option is `type (1) | length (1, in units of 8 octets) | body`.
//! A length of 0 is an error (RFC 4861 §4.6: "Nodes MUST silently discard
//! an ND packet that contains an option with length zero"). Options whose
//! body is free-form (link-layer addresses, Nonce, Captive-Portal,
//! Redirected Header, unknown types) keep the body as received, padding
//! included, so they re-emit byte for byte.

use alloc::vec::Vec;
use core::net::Ipv6Addr;

use super::dns::{Dnssl, Rdnss};
use super::pref64::{Pref64, Pref64Length};
use super::prefix::{Mtu, PrefixInformation, RouteInformation};
use super::{DomainName, In, NdpWireError, Writer, addr, be_u8, be_u16, be_u32, take};

/// Option type codes.
pub mod option_type {
    /// Source Link-Layer Address (RFC 4861 §4.6.1).
    pub const SOURCE_LINK_LAYER_ADDRESS: u8 = 1;
    /// Target Link-Layer Address (RFC 4861 §4.6.1).
    pub const TARGET_LINK_LAYER_ADDRESS: u8 = 2;
    /// Prefix Information (RFC 4861 §4.6.2).
    pub const PREFIX_INFORMATION: u8 = 3;
    /// Redirected Header (RFC 4861 §4.6.3).
    pub const REDIRECTED_HEADER: u8 = 4;
    /// MTU (RFC 4861 §4.6.4).
    pub const MTU: u8 = 5;
    /// Nonce (RFC 3971 §5.3.2).
    pub const NONCE: u8 = 14;
    /// Route Information (RFC 4191 §2.3).
    pub const ROUTE_INFORMATION: u8 = 24;
    /// Recursive DNS Server (RFC 8106 §5.1).
    pub const RDNSS: u8 = 25;
    /// DNS Search List (RFC 8106 §5.2).
    pub const DNSSL: u8 = 31;
    /// Captive-Portal (RFC 8910 §2.3).
    pub const CAPTIVE_PORTAL: u8 = 37;
    /// PREF64 (RFC 8781 §4).
    pub const PREF64: u8 = 38;
}

/// The largest option: length 255 × 8 octets.
const MAX_OPTION_LEN: usize = 255 * 8;

/// One ND option.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum NdpOption {
    /// Type 1: the sender's link-layer address; the body as received (for
    /// Ethernet six octets, see [`NdpOption::source_ethernet`]).
    SourceLinkLayerAddress(Vec<u8>),
    /// Type 2: the target's link-layer address; the body as received.
    TargetLinkLayerAddress(Vec<u8>),
    /// Type 3.
    PrefixInformation(PrefixInformation),
    /// Type 4: six reserved octets and the start of the redirected packet,
    /// as received.
    RedirectedHeader(Vec<u8>),
    /// Type 5.
    Mtu(Mtu),
    /// Type 14: the nonce, as received (at least six octets).
    Nonce(Vec<u8>),
    /// Type 24 (RFC 4191).
    RouteInformation(RouteInformation),
    /// Type 25 (RFC 8106).
    Rdnss(Rdnss),
    /// Type 31 (RFC 8106).
    Dnssl(Dnssl),
    /// Type 37 (RFC 8910): the URI padded with NULs, as received.
    CaptivePortal(Vec<u8>),
    /// Type 38 (RFC 8781).
    Pref64(Pref64),
    /// Any other type, with its body as received.
    Unknown(u8, Vec<u8>),
}

impl NdpOption {
    /// A Source Link-Layer Address option for an Ethernet address.
    pub fn source_ethernet(mac: [u8; 6]) -> NdpOption {
        NdpOption::SourceLinkLayerAddress(mac.to_vec())
    }
    /// A Target Link-Layer Address option for an Ethernet address.
    pub fn target_ethernet(mac: [u8; 6]) -> NdpOption {
        NdpOption::TargetLinkLayerAddress(mac.to_vec())
    }
    /// A Captive-Portal option for `uri`, NUL-padded.
    pub fn captive_portal(uri: &[u8]) -> NdpOption {
        let mut body = uri.to_vec();
        body.resize(padded(2 + uri.len()) - 2, 0);
        NdpOption::CaptivePortal(body)
    }
    /// The URI of a Captive-Portal option (trailing NULs removed).
    pub fn captive_portal_uri(&self) -> Option<&[u8]> {
        match self {
            NdpOption::CaptivePortal(b) => {
                let end = b.iter().rposition(|&c| c != 0).map_or(0, |i| i + 1);
                Some(&b[..end])
            }
            _ => None,
        }
    }
    /// The Ethernet address of a link-layer address option whose body is
    /// six octets.
    pub fn ethernet(&self) -> Option<[u8; 6]> {
        match self {
            NdpOption::SourceLinkLayerAddress(b) | NdpOption::TargetLinkLayerAddress(b) => {
                b.as_slice().try_into().ok()
            }
            _ => None,
        }
    }

    /// The option type code.
    pub fn kind(&self) -> u8 {
        use option_type::*;
        match self {
            NdpOption::SourceLinkLayerAddress(_) => SOURCE_LINK_LAYER_ADDRESS,
            NdpOption::TargetLinkLayerAddress(_) => TARGET_LINK_LAYER_ADDRESS,
            NdpOption::PrefixInformation(_) => PREFIX_INFORMATION,
            NdpOption::RedirectedHeader(_) => REDIRECTED_HEADER,
            NdpOption::Mtu(_) => MTU,
            NdpOption::Nonce(_) => NONCE,
            NdpOption::RouteInformation(_) => ROUTE_INFORMATION,
            NdpOption::Rdnss(_) => RDNSS,
            NdpOption::Dnssl(_) => DNSSL,
            NdpOption::CaptivePortal(_) => CAPTIVE_PORTAL,
            NdpOption::Pref64(_) => PREF64,
            NdpOption::Unknown(t, _) => *t,
        }
    }

    /// Parses exactly one option: `input` must be the whole option.
    pub fn parse(input: &[u8]) -> Result<NdpOption, NdpWireError> {
        let (rest, opt) = Self::parse_one(input)?;
        if !rest.is_empty() {
            return Err(NdpWireError::BadLength {
                field: "option",
                len: input.len(),
            });
        }
        Ok(opt)
    }

    /// Parses every option in `input` (the rest of an ND message), in order.
    pub fn parse_all(mut input: &[u8]) -> Result<Vec<NdpOption>, NdpWireError> {
        let mut out = Vec::new();
        while !input.is_empty() {
            let (rest, opt) = Self::parse_one(input)?;
            out.push(opt);
            input = rest;
        }
        Ok(out)
    }

    fn parse_one(input: In<'_>) -> Result<(In<'_>, NdpOption), NdpWireError> {
        let (i, kind) = be_u8(input, "option type")?;
        let (i, len) = be_u8(i, "option length")?;
        if len == 0 {
            return Err(NdpWireError::BadLength {
                field: "option length",
                len: 0,
            });
        }
        let (rest, body) = take(i, usize::from(len) * 8 - 2, "option body")?;
        Ok((rest, Self::parse_body(kind, len, body)?))
    }

    fn parse_body(kind: u8, len: u8, body: &[u8]) -> Result<NdpOption, NdpWireError> {
        use option_type::*;
        Ok(match kind {
            SOURCE_LINK_LAYER_ADDRESS => NdpOption::SourceLinkLayerAddress(body.to_vec()),
            TARGET_LINK_LAYER_ADDRESS => NdpOption::TargetLinkLayerAddress(body.to_vec()),
            REDIRECTED_HEADER => NdpOption::RedirectedHeader(body.to_vec()),
            NONCE => NdpOption::Nonce(body.to_vec()),
            CAPTIVE_PORTAL => NdpOption::CaptivePortal(body.to_vec()),
            PREFIX_INFORMATION => {
                if len != 4 {
                    return Err(NdpWireError::BadLength {
                        field: "Prefix Information",
                        len: len.into(),
                    });
                }
                let (i, prefix_length) = be_u8(body, "Prefix Information prefix length")?;
                let (i, flags) = be_u8(i, "Prefix Information flags")?;
                let (i, valid_lifetime) = be_u32(i, "Prefix Information valid lifetime")?;
                let (i, preferred_lifetime) = be_u32(i, "Prefix Information preferred lifetime")?;
                let (i, reserved2) = be_u32(i, "Prefix Information reserved2")?;
                let (_, prefix) = addr(i, "Prefix Information prefix")?;
                if prefix_length > 128 {
                    return Err(NdpWireError::BadValue {
                        field: "Prefix Information prefix length",
                    });
                }
                NdpOption::PrefixInformation(PrefixInformation {
                    prefix_length,
                    flags,
                    valid_lifetime,
                    preferred_lifetime,
                    reserved2,
                    prefix,
                })
            }
            MTU => {
                if len != 1 {
                    return Err(NdpWireError::BadLength {
                        field: "MTU",
                        len: len.into(),
                    });
                }
                let (i, reserved) = be_u16(body, "MTU reserved")?;
                let (_, mtu) = be_u32(i, "MTU")?;
                NdpOption::Mtu(Mtu { reserved, mtu })
            }
            ROUTE_INFORMATION => {
                if len > 3 {
                    return Err(NdpWireError::BadLength {
                        field: "Route Information",
                        len: len.into(),
                    });
                }
                let (i, prefix_length) = be_u8(body, "Route Information prefix length")?;
                let (i, flags) = be_u8(i, "Route Information flags")?;
                let (i, route_lifetime) = be_u32(i, "Route Information route lifetime")?;
                // RFC 4191 §2.3: length 1 only for ::/0, 2 for up to /64.
                let needed = match prefix_length {
                    0 => 1,
                    1..=64 => 2,
                    65..=128 => 3,
                    _ => {
                        return Err(NdpWireError::BadValue {
                            field: "Route Information prefix length",
                        });
                    }
                };
                if len < needed {
                    return Err(NdpWireError::BadLength {
                        field: "Route Information",
                        len: len.into(),
                    });
                }
                let mut p = [0u8; 16];
                p[..i.len()].copy_from_slice(i);
                NdpOption::RouteInformation(RouteInformation {
                    prefix_length,
                    flags,
                    route_lifetime,
                    prefix: Ipv6Addr::from(p),
                    length: len,
                })
            }
            RDNSS => {
                if len < 3 || len.is_multiple_of(2) {
                    return Err(NdpWireError::BadLength {
                        field: "RDNSS",
                        len: len.into(),
                    });
                }
                let (i, reserved) = be_u16(body, "RDNSS reserved")?;
                let (mut i, lifetime) = be_u32(i, "RDNSS lifetime")?;
                let mut servers = Vec::with_capacity(i.len() / 16);
                while !i.is_empty() {
                    let (rest, a) = addr(i, "RDNSS server")?;
                    servers.push(a);
                    i = rest;
                }
                NdpOption::Rdnss(Rdnss {
                    reserved,
                    lifetime,
                    servers,
                })
            }
            DNSSL => {
                if len < 2 {
                    return Err(NdpWireError::BadLength {
                        field: "DNSSL",
                        len: len.into(),
                    });
                }
                let (i, reserved) = be_u16(body, "DNSSL reserved")?;
                let (mut i, lifetime) = be_u32(i, "DNSSL lifetime")?;
                let mut domains = Vec::new();
                let mut names_len = 0;
                // Names until the rest is zero padding (a zero octet where a
                // name would start is the padding's first octet).
                while i.first().is_some_and(|&b| b != 0) {
                    let (name, n) = DomainName::parse_prefix(i)?;
                    domains.push(name);
                    names_len += n;
                    i = &i[n..];
                }
                if i.iter().any(|&b| b != 0) {
                    return Err(NdpWireError::BadValue {
                        field: "DNSSL padding",
                    });
                }
                let shortest = dnssl_units(names_len);
                NdpOption::Dnssl(Dnssl {
                    reserved,
                    lifetime,
                    domains,
                    // The names lie inside the option, so `shortest <= len`.
                    extra_padding: len - shortest as u8,
                })
            }
            PREF64 => {
                if len != 2 {
                    return Err(NdpWireError::BadLength {
                        field: "PREF64",
                        len: len.into(),
                    });
                }
                let (i, word) = be_u16(body, "PREF64 scaled lifetime")?;
                let (_, p) = take(i, 12, "PREF64 prefix")?;
                let length =
                    Pref64Length::from_code((word & 7) as u8).ok_or(NdpWireError::BadValue {
                        field: "PREF64 prefix length code",
                    })?;
                let mut prefix = [0u8; 12];
                prefix.copy_from_slice(p);
                NdpOption::Pref64(Pref64 {
                    scaled_lifetime: word >> 3,
                    length,
                    prefix,
                })
            }
            other => NdpOption::Unknown(other, body.to_vec()),
        })
    }

    /// The option's size on the wire.
    pub fn buffer_len(&self) -> usize {
        match self {
            NdpOption::SourceLinkLayerAddress(b)
            | NdpOption::TargetLinkLayerAddress(b)
            | NdpOption::RedirectedHeader(b)
            | NdpOption::Nonce(b)
            | NdpOption::CaptivePortal(b)
            | NdpOption::Unknown(_, b) => padded(2 + b.len()),
            NdpOption::PrefixInformation(_) => 32,
            NdpOption::Mtu(_) => 8,
            NdpOption::RouteInformation(r) => usize::from(r.length) * 8,
            NdpOption::Rdnss(r) => 8 + 16 * r.servers.len(),
            NdpOption::Dnssl(d) => {
                let names: usize = d.domains.iter().map(|n| n.as_wire().len()).sum();
                (dnssl_units(names) + usize::from(d.extra_padding)) * 8
            }
            NdpOption::Pref64(_) => 16,
        }
    }

    /// Writes the option into `buf`; returns the length written
    /// (`buffer_len()`). A free-form body is zero-padded to a multiple of 8.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, NdpWireError> {
        let total = self.buffer_len();
        if total > MAX_OPTION_LEN {
            return Err(NdpWireError::BadLength {
                field: "option",
                len: total,
            });
        }
        self.validate()?;
        let mut w = Writer::new(buf, total)?;
        w.u8(self.kind());
        w.u8((total / 8) as u8);
        match self {
            NdpOption::SourceLinkLayerAddress(b)
            | NdpOption::TargetLinkLayerAddress(b)
            | NdpOption::RedirectedHeader(b)
            | NdpOption::Nonce(b)
            | NdpOption::CaptivePortal(b)
            | NdpOption::Unknown(_, b) => {
                w.bytes(b);
                w.zeros(total - 2 - b.len());
            }
            NdpOption::PrefixInformation(p) => {
                w.u8(p.prefix_length);
                w.u8(p.flags);
                w.u32(p.valid_lifetime);
                w.u32(p.preferred_lifetime);
                w.u32(p.reserved2);
                w.bytes(&p.prefix.octets());
            }
            NdpOption::Mtu(m) => {
                w.u16(m.reserved);
                w.u32(m.mtu);
            }
            NdpOption::RouteInformation(r) => {
                w.u8(r.prefix_length);
                w.u8(r.flags);
                w.u32(r.route_lifetime);
                w.bytes(&r.prefix.octets()[..total - 8]);
            }
            NdpOption::Rdnss(r) => {
                w.u16(r.reserved);
                w.u32(r.lifetime);
                for s in &r.servers {
                    w.bytes(&s.octets());
                }
            }
            NdpOption::Dnssl(d) => {
                w.u16(d.reserved);
                w.u32(d.lifetime);
                let mut n = 8;
                for name in &d.domains {
                    w.bytes(name.as_wire());
                    n += name.as_wire().len();
                }
                w.zeros(total - n);
            }
            NdpOption::Pref64(p) => {
                w.u16((p.scaled_lifetime << 3) | u16::from(p.length.code()));
                w.bytes(&p.prefix);
            }
        }
        Ok(total)
    }

    /// What `emit` refuses: values the wire cannot carry.
    fn validate(&self) -> Result<(), NdpWireError> {
        let bad = |field| Err(NdpWireError::BadValue { field });
        match self {
            NdpOption::PrefixInformation(p) if p.prefix_length > 128 => {
                bad("Prefix Information prefix length")
            }
            NdpOption::RouteInformation(r) => {
                let needed = match r.prefix_length {
                    0 => 1,
                    1..=64 => 2,
                    65..=128 => 3,
                    _ => return bad("Route Information prefix length"),
                };
                if r.length < needed || r.length > 3 {
                    return Err(NdpWireError::BadLength {
                        field: "Route Information",
                        len: r.length.into(),
                    });
                }
                Ok(())
            }
            NdpOption::Rdnss(r) if r.servers.is_empty() => Err(NdpWireError::BadLength {
                field: "RDNSS",
                len: 1,
            }),
            // The root name is a lone zero octet, which reads back as padding.
            NdpOption::Dnssl(d) if d.domains.iter().any(|n| n.as_wire().len() < 2) => {
                bad("DNSSL domain name")
            }
            NdpOption::Pref64(p) if p.scaled_lifetime > Pref64::MAX_SCALED_LIFETIME => {
                bad("PREF64 scaled lifetime")
            }
            _ => Ok(()),
        }
    }

    /// The option as a fresh vector (empty if it cannot be emitted).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = alloc::vec![0; self.buffer_len()];
        match self.emit(&mut v) {
            Ok(n) => v.truncate(n),
            Err(_) => v.clear(),
        }
        v
    }
}

/// `n` rounded up to a multiple of 8.
fn padded(n: usize) -> usize {
    n.div_ceil(8) * 8
}

/// The shortest DNSSL length (in 8-octet units) for names of `names_len`
/// octets: at least 2 (RFC 8106 §5.2).
fn dnssl_units(names_len: usize) -> usize {
    (padded(8 + names_len) / 8).max(2)
}
