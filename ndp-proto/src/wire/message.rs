//! The five ND messages (RFC 4861 §4.1–§4.5) and the ICMPv6 checksum.

use alloc::vec::Vec;
use core::net::Ipv6Addr;

use sansio_primitives::checksum;

use super::{NdpOption, NdpWireError, Writer, addr, be_u8, be_u16, be_u32};

/// The IPv6 next-header value of ICMPv6, for the pseudo-header.
pub const ICMPV6_NEXT_HEADER: u8 = 58;

/// ICMPv6 type codes of the ND messages.
pub mod icmp_type {
    /// Router Solicitation.
    pub const ROUTER_SOLICITATION: u8 = 133;
    /// Router Advertisement.
    pub const ROUTER_ADVERTISEMENT: u8 = 134;
    /// Neighbor Solicitation.
    pub const NEIGHBOR_SOLICITATION: u8 = 135;
    /// Neighbor Advertisement.
    pub const NEIGHBOR_ADVERTISEMENT: u8 = 136;
    /// Redirect.
    pub const REDIRECT: u8 = 137;
}

/// Router Solicitation (RFC 4861 §4.1).
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct RouterSolicitation {
    /// Reserved, kept as received.
    pub reserved: u32,
    /// Options in order.
    pub options: Vec<NdpOption>,
}

/// Router Advertisement (RFC 4861 §4.2).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RouterAdvertisement {
    /// Cur Hop Limit (0: unspecified).
    pub cur_hop_limit: u8,
    /// M (0x80), O (0x40), H (0x20, RFC 6275), Prf (0x18, RFC 4191),
    /// P (0x04, RFC 4389) and the reserved bits.
    pub flags: u8,
    /// Router Lifetime in seconds; 0: not a default router.
    pub router_lifetime: u16,
    /// Reachable Time in milliseconds (0: unspecified).
    pub reachable_time: u32,
    /// Retrans Timer in milliseconds (0: unspecified).
    pub retrans_timer: u32,
    /// Options in order, repeats kept.
    pub options: Vec<NdpOption>,
}

impl RouterAdvertisement {
    /// Managed address configuration (M).
    pub const MANAGED: u8 = 0x80;
    /// Other configuration (O).
    pub const OTHER: u8 = 0x40;

    /// The default router preference (RFC 4191 §2.2).
    pub fn preference(&self) -> super::RouterPreference {
        super::RouterPreference::from_bits(self.flags >> 3)
    }
}

/// Neighbor Solicitation (RFC 4861 §4.3).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct NeighborSolicitation {
    /// Reserved, kept as received.
    pub reserved: u32,
    /// The address asked about.
    pub target: Ipv6Addr,
    /// Options in order.
    pub options: Vec<NdpOption>,
}

/// Neighbor Advertisement (RFC 4861 §4.4).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct NeighborAdvertisement {
    /// R (0x8000_0000), S (0x4000_0000), O (0x2000_0000) and the reserved
    /// bits.
    pub flags: u32,
    /// The address advertised.
    pub target: Ipv6Addr,
    /// Options in order.
    pub options: Vec<NdpOption>,
}

impl NeighborAdvertisement {
    /// Router flag.
    pub const ROUTER: u32 = 0x8000_0000;
    /// Solicited flag.
    pub const SOLICITED: u32 = 0x4000_0000;
    /// Override flag.
    pub const OVERRIDE: u32 = 0x2000_0000;
}

/// Redirect (RFC 4861 §4.5).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Redirect {
    /// Reserved, kept as received.
    pub reserved: u32,
    /// The better first hop.
    pub target: Ipv6Addr,
    /// The destination redirected.
    pub destination: Ipv6Addr,
    /// Options in order.
    pub options: Vec<NdpOption>,
}

/// One ND message.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum NdpMessage {
    /// Type 133.
    RouterSolicitation(RouterSolicitation),
    /// Type 134.
    RouterAdvertisement(RouterAdvertisement),
    /// Type 135.
    NeighborSolicitation(NeighborSolicitation),
    /// Type 136.
    NeighborAdvertisement(NeighborAdvertisement),
    /// Type 137.
    Redirect(Redirect),
}

impl NdpMessage {
    /// Parses an ICMPv6 message sent from `source` to `destination`,
    /// verifying its checksum. The ICMP code must be 0 (RFC 4861 §6.1).
    pub fn parse(
        input: &[u8],
        source: Ipv6Addr,
        destination: Ipv6Addr,
    ) -> Result<NdpMessage, NdpWireError> {
        let (i, kind) = be_u8(input, "ICMPv6 type")?;
        if !(133..=137).contains(&kind) {
            return Err(NdpWireError::NotNdp { icmp_type: kind });
        }
        let (i, code) = be_u8(i, "ICMPv6 code")?;
        let (i, _checksum) = be_u16(i, "ICMPv6 checksum")?;
        if code != 0 {
            return Err(NdpWireError::BadValue {
                field: "ICMPv6 code",
            });
        }
        let msg = match kind {
            icmp_type::ROUTER_SOLICITATION => {
                let (i, reserved) = be_u32(i, "RS reserved")?;
                let options = NdpOption::parse_all(i)?;
                NdpMessage::RouterSolicitation(RouterSolicitation { reserved, options })
            }
            icmp_type::ROUTER_ADVERTISEMENT => {
                let (i, cur_hop_limit) = be_u8(i, "RA cur hop limit")?;
                let (i, flags) = be_u8(i, "RA flags")?;
                let (i, router_lifetime) = be_u16(i, "RA router lifetime")?;
                let (i, reachable_time) = be_u32(i, "RA reachable time")?;
                let (i, retrans_timer) = be_u32(i, "RA retrans timer")?;
                let options = NdpOption::parse_all(i)?;
                NdpMessage::RouterAdvertisement(RouterAdvertisement {
                    cur_hop_limit,
                    flags,
                    router_lifetime,
                    reachable_time,
                    retrans_timer,
                    options,
                })
            }
            icmp_type::NEIGHBOR_SOLICITATION => {
                let (i, reserved) = be_u32(i, "NS reserved")?;
                let (i, target) = addr(i, "NS target")?;
                let options = NdpOption::parse_all(i)?;
                NdpMessage::NeighborSolicitation(NeighborSolicitation {
                    reserved,
                    target,
                    options,
                })
            }
            icmp_type::NEIGHBOR_ADVERTISEMENT => {
                let (i, flags) = be_u32(i, "NA flags")?;
                let (i, target) = addr(i, "NA target")?;
                let options = NdpOption::parse_all(i)?;
                NdpMessage::NeighborAdvertisement(NeighborAdvertisement {
                    flags,
                    target,
                    options,
                })
            }
            _ => {
                let (i, reserved) = be_u32(i, "Redirect reserved")?;
                let (i, target) = addr(i, "Redirect target")?;
                let (i, destination) = addr(i, "Redirect destination")?;
                let options = NdpOption::parse_all(i)?;
                NdpMessage::Redirect(Redirect {
                    reserved,
                    target,
                    destination,
                    options,
                })
            }
        };
        // Checked last so a structurally bad message says what is wrong.
        if !checksum_ok(input, source, destination) {
            return Err(NdpWireError::BadChecksum);
        }
        Ok(msg)
    }

    /// The ICMPv6 type.
    pub fn icmp_type(&self) -> u8 {
        match self {
            NdpMessage::RouterSolicitation(_) => icmp_type::ROUTER_SOLICITATION,
            NdpMessage::RouterAdvertisement(_) => icmp_type::ROUTER_ADVERTISEMENT,
            NdpMessage::NeighborSolicitation(_) => icmp_type::NEIGHBOR_SOLICITATION,
            NdpMessage::NeighborAdvertisement(_) => icmp_type::NEIGHBOR_ADVERTISEMENT,
            NdpMessage::Redirect(_) => icmp_type::REDIRECT,
        }
    }

    /// The message's options.
    pub fn options(&self) -> &[NdpOption] {
        match self {
            NdpMessage::RouterSolicitation(m) => &m.options,
            NdpMessage::RouterAdvertisement(m) => &m.options,
            NdpMessage::NeighborSolicitation(m) => &m.options,
            NdpMessage::NeighborAdvertisement(m) => &m.options,
            NdpMessage::Redirect(m) => &m.options,
        }
    }

    fn fixed_len(&self) -> usize {
        match self {
            NdpMessage::RouterSolicitation(_) => 8,
            NdpMessage::RouterAdvertisement(_) => 16,
            NdpMessage::NeighborSolicitation(_) | NdpMessage::NeighborAdvertisement(_) => 24,
            NdpMessage::Redirect(_) => 40,
        }
    }

    /// The message's size on the wire.
    pub fn buffer_len(&self) -> usize {
        self.fixed_len()
            + self
                .options()
                .iter()
                .map(NdpOption::buffer_len)
                .sum::<usize>()
    }

    /// Writes the message sent from `source` to `destination` into `buf`,
    /// checksum filled; returns the length written (`buffer_len()`).
    pub fn emit(
        &self,
        buf: &mut [u8],
        source: Ipv6Addr,
        destination: Ipv6Addr,
    ) -> Result<usize, NdpWireError> {
        let total = self.buffer_len();
        let mut w = Writer::new(buf, total)?;
        w.u8(self.icmp_type());
        w.u8(0);
        w.u16(0);
        match self {
            NdpMessage::RouterSolicitation(m) => w.u32(m.reserved),
            NdpMessage::RouterAdvertisement(m) => {
                w.u8(m.cur_hop_limit);
                w.u8(m.flags);
                w.u16(m.router_lifetime);
                w.u32(m.reachable_time);
                w.u32(m.retrans_timer);
            }
            NdpMessage::NeighborSolicitation(m) => {
                w.u32(m.reserved);
                w.bytes(&m.target.octets());
            }
            NdpMessage::NeighborAdvertisement(m) => {
                w.u32(m.flags);
                w.bytes(&m.target.octets());
            }
            NdpMessage::Redirect(m) => {
                w.u32(m.reserved);
                w.bytes(&m.target.octets());
                w.bytes(&m.destination.octets());
            }
        }
        let mut at = w.at;
        for o in self.options() {
            at += o.emit(&mut buf[at..])?;
        }
        let c = icmpv6_checksum(&buf[..total], source, destination);
        buf[2..4].copy_from_slice(&c.to_be_bytes());
        Ok(total)
    }

    /// The message as a fresh vector (empty if it cannot be emitted).
    pub fn to_vec(&self, source: Ipv6Addr, destination: Ipv6Addr) -> Vec<u8> {
        let mut v = alloc::vec![0; self.buffer_len()];
        match self.emit(&mut v, source, destination) {
            Ok(n) => v.truncate(n),
            Err(_) => v.clear(),
        }
        v
    }
}

/// The ICMPv6 checksum of `message` (its checksum field taken as zero).
pub fn icmpv6_checksum(message: &[u8], source: Ipv6Addr, destination: Ipv6Addr) -> u16 {
    let pseudo = checksum::pseudo_header_v6(
        source.octets(),
        destination.octets(),
        ICMPV6_NEXT_HEADER,
        message.len() as u32,
    );
    let mut body = checksum::sum(message);
    if let Some(field) = message.get(2..4) {
        // Remove the field's own value (one's complement subtraction).
        body = checksum::add(body, !u16::from_be_bytes([field[0], field[1]]));
    }
    checksum::finish(checksum::add(pseudo, body))
}

fn checksum_ok(message: &[u8], source: Ipv6Addr, destination: Ipv6Addr) -> bool {
    let pseudo = checksum::pseudo_header_v6(
        source.octets(),
        destination.octets(),
        ICMPV6_NEXT_HEADER,
        message.len() as u32,
    );
    checksum::add(pseudo, checksum::sum(message)) == 0xffff
}
