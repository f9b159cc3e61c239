//! DHCPv6 options (RFC 8415 §21, RFC 3646, RFC 5908, RFC 6334, RFC 6603).

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;
use core::net::Ipv6Addr;

use super::{DomainName, Duid, Error, Message, MessageType, Reader, Writer, emit_via_writer};

/// Option codes (IANA "DHCPv6 Option Codes").
pub mod code {
    /// Client Identifier (RFC 8415 §21.2).
    pub const CLIENTID: u16 = 1;
    /// Server Identifier (§21.3).
    pub const SERVERID: u16 = 2;
    /// Identity Association for Non-temporary Addresses (§21.4).
    pub const IA_NA: u16 = 3;
    /// IA Address (§21.6).
    pub const IAADDR: u16 = 5;
    /// Option Request (§21.7).
    pub const ORO: u16 = 6;
    /// Preference (§21.8).
    pub const PREFERENCE: u16 = 7;
    /// Elapsed Time (§21.9).
    pub const ELAPSED_TIME: u16 = 8;
    /// Relay Message (§21.10).
    pub const RELAY_MSG: u16 = 9;
    /// Authentication (§21.11).
    pub const AUTH: u16 = 11;
    /// Server Unicast (§21.12).
    pub const UNICAST: u16 = 12;
    /// Status Code (§21.13).
    pub const STATUS_CODE: u16 = 13;
    /// Rapid Commit (§21.14).
    pub const RAPID_COMMIT: u16 = 14;
    /// Interface-Id (§21.18).
    pub const INTERFACE_ID: u16 = 18;
    /// Reconfigure Message (§21.19).
    pub const RECONF_MSG: u16 = 19;
    /// Reconfigure Accept (§21.20).
    pub const RECONF_ACCEPT: u16 = 20;
    /// DNS Recursive Name Server (RFC 3646 §3).
    pub const DNS_SERVERS: u16 = 23;
    /// Domain Search List (RFC 3646 §4).
    pub const DOMAIN_LIST: u16 = 24;
    /// Identity Association for Prefix Delegation (§21.21).
    pub const IA_PD: u16 = 25;
    /// IA Prefix (§21.22).
    pub const IAPREFIX: u16 = 26;
    /// Information Refresh Time (§21.23).
    pub const INFORMATION_REFRESH_TIME: u16 = 32;
    /// NTP Server (RFC 5908 §4).
    pub const NTP_SERVER: u16 = 56;
    /// AFTR-Name (RFC 6334 §3).
    pub const AFTR_NAME: u16 = 64;
    /// Prefix Exclude (RFC 6603 §4.2).
    pub const PD_EXCLUDE: u16 = 67;
    /// SOL_MAX_RT (§21.24).
    pub const SOL_MAX_RT: u16 = 82;
    /// INF_MAX_RT (§21.25).
    pub const INF_MAX_RT: u16 = 83;
}

/// Status codes (RFC 8415 §21.13).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum StatusCode {
    /// 0.
    Success,
    /// 1.
    UnspecFail,
    /// 2.
    NoAddrsAvail,
    /// 3.
    NoBinding,
    /// 4.
    NotOnLink,
    /// 5.
    UseMulticast,
    /// 6.
    NoPrefixAvail,
    /// Any other value.
    Unknown(u16),
}

impl From<u16> for StatusCode {
    fn from(v: u16) -> Self {
        match v {
            0 => StatusCode::Success,
            1 => StatusCode::UnspecFail,
            2 => StatusCode::NoAddrsAvail,
            3 => StatusCode::NoBinding,
            4 => StatusCode::NotOnLink,
            5 => StatusCode::UseMulticast,
            6 => StatusCode::NoPrefixAvail,
            v => StatusCode::Unknown(v),
        }
    }
}

impl From<StatusCode> for u16 {
    fn from(s: StatusCode) -> u16 {
        match s {
            StatusCode::Success => 0,
            StatusCode::UnspecFail => 1,
            StatusCode::NoAddrsAvail => 2,
            StatusCode::NoBinding => 3,
            StatusCode::NotOnLink => 4,
            StatusCode::UseMulticast => 5,
            StatusCode::NoPrefixAvail => 6,
            StatusCode::Unknown(v) => v,
        }
    }
}

/// IA_NA (§21.4): an identity association for non-temporary addresses.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct IaNa {
    /// The IAID.
    pub iaid: u32,
    /// T1, seconds.
    pub t1: u32,
    /// T2, seconds.
    pub t2: u32,
    /// The IA_NA-options (IAADDR, Status Code).
    pub options: Vec<Dhcpv6Option>,
}

/// IA_PD (§21.21): an identity association for prefix delegation.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct IaPd {
    /// The IAID.
    pub iaid: u32,
    /// T1, seconds.
    pub t1: u32,
    /// T2, seconds.
    pub t2: u32,
    /// The IA_PD-options (IAPREFIX, Status Code).
    pub options: Vec<Dhcpv6Option>,
}

/// IAADDR (§21.6): one address of an IA_NA.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct IaAddr {
    /// The address.
    pub address: Ipv6Addr,
    /// Preferred lifetime, seconds (never above `valid`).
    pub preferred: u32,
    /// Valid lifetime, seconds.
    pub valid: u32,
    /// The IAaddr-options (Status Code).
    pub options: Vec<Dhcpv6Option>,
}

/// IAPREFIX (§21.22): one prefix of an IA_PD.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct IaPrefix {
    /// Preferred lifetime, seconds (never above `valid`).
    pub preferred: u32,
    /// Valid lifetime, seconds.
    pub valid: u32,
    /// The prefix length (0–128).
    pub prefix_len: u8,
    /// The prefix.
    pub prefix: Ipv6Addr,
    /// The IAprefix-options (Status Code, Prefix Exclude).
    pub options: Vec<Dhcpv6Option>,
}

/// Prefix Exclude (RFC 6603 §4.2): a prefix inside the delegated one that the
/// requesting router must not use (it numbers the link to the delegating
/// router).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PdExclude {
    /// The excluded prefix's length.
    pub prefix_len: u8,
    /// The excluded prefix's bits after the delegated prefix's length,
    /// left-aligned, `ceil((prefix_len - delegated length) / 8)` octets.
    pub subnet_id: Vec<u8>,
}

impl PdExclude {
    /// The exclusion of `excluded/excluded_len` from a delegated prefix of
    /// `delegated_len`; `None` unless `delegated_len < excluded_len <= 128`.
    pub fn new(delegated_len: u8, excluded: Ipv6Addr, excluded_len: u8) -> Option<PdExclude> {
        if delegated_len >= excluded_len || excluded_len > 128 {
            return None;
        }
        let bits = u32::from(excluded_len - delegated_len);
        let shifted = (u128::from(excluded) << delegated_len).to_be_bytes();
        let n = bits.div_ceil(8) as usize;
        let mut subnet_id = shifted[..n].to_vec();
        if bits % 8 != 0
            && let Some(last) = subnet_id.last_mut()
        {
            *last &= 0xffu8 << (8 - bits % 8);
        }
        Some(PdExclude {
            prefix_len: excluded_len,
            subnet_id,
        })
    }

    /// The excluded prefix inside `delegated/delegated_len`, if consistent.
    pub fn excluded(&self, delegated: Ipv6Addr, delegated_len: u8) -> Option<Ipv6Addr> {
        self.check(delegated_len).ok()?;
        let mut id = [0u8; 16];
        id[..self.subnet_id.len()].copy_from_slice(&self.subnet_id);
        let bits = u128::from_be_bytes(id) >> delegated_len;
        let keep = if delegated_len == 0 {
            0
        } else {
            u128::MAX << (128 - u32::from(delegated_len))
        };
        let excl = if self.prefix_len == 128 {
            u128::MAX
        } else {
            !(u128::MAX >> self.prefix_len)
        };
        Some(Ipv6Addr::from(
            ((u128::from(delegated) & keep) | bits) & excl,
        ))
    }

    fn check(&self, delegated_len: u8) -> Result<(), Error> {
        let ok = self.prefix_len > delegated_len
            && self.prefix_len <= 128
            && self.subnet_id.len() == usize::from(self.prefix_len - delegated_len).div_ceil(8);
        if ok {
            Ok(())
        } else {
            Err(Error::BadValue {
                field: "OPTION_PD_EXCLUDE prefix-len",
            })
        }
    }
}

/// One NTP Server suboption (RFC 5908 §4).
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum NtpSuboption {
    /// 1: a server's unicast address.
    Address(Ipv6Addr),
    /// 2: a multicast address.
    Multicast(Ipv6Addr),
    /// 3: a server's FQDN.
    Fqdn(DomainName),
    /// Another suboption, kept raw.
    Unknown(u16, Vec<u8>),
}

/// Authentication (§21.11). The reconfigure key protocol (§20.4) is
/// protocol 3, algorithm 1 (HMAC-MD5), RDM 0; see [`crate::auth`].
#[derive(Clone, PartialEq, Eq)]
pub struct Authentication {
    /// The protocol (3 = reconfigure key).
    pub protocol: u8,
    /// The algorithm (1 = HMAC-MD5).
    pub algorithm: u8,
    /// The replay detection method (0 = monotonic counter).
    pub rdm: u8,
    /// The replay detection value.
    pub replay_detection: u64,
    /// The authentication information: for the reconfigure key protocol, a
    /// type octet (1 = the key, 2 = an HMAC-MD5 digest) then 16 octets.
    pub info: Vec<u8>,
}

impl fmt::Debug for Authentication {
    // The info may be the reconfigure key itself: never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authentication")
            .field("protocol", &self.protocol)
            .field("algorithm", &self.algorithm)
            .field("rdm", &self.rdm)
            .field("replay_detection", &self.replay_detection)
            .field("info", &format_args!("<{} octets>", self.info.len()))
            .finish()
    }
}

/// One DHCPv6 option.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Dhcpv6Option {
    /// 1.
    ClientId(Duid),
    /// 2.
    ServerId(Duid),
    /// 3.
    IaNa(IaNa),
    /// 5.
    IaAddr(IaAddr),
    /// 6: the requested option codes.
    Oro(Vec<u16>),
    /// 7.
    Preference(u8),
    /// 8: hundredths of a second.
    ElapsedTime(u16),
    /// 9: the relayed message.
    RelayMessage(Box<Message>),
    /// 11.
    Authentication(Authentication),
    /// 12: the server address a client may unicast to.
    Unicast(Ipv6Addr),
    /// 13.
    StatusCode {
        /// The code.
        code: StatusCode,
        /// The UTF-8 message (kept as octets).
        message: Vec<u8>,
    },
    /// 14.
    RapidCommit,
    /// 18: the relay's opaque interface identifier.
    InterfaceId(Vec<u8>),
    /// 19: the message type the client must send (Renew, Rebind,
    /// Information-Request).
    ReconfigureMessage(MessageType),
    /// 20.
    ReconfigureAccept,
    /// 23.
    DnsServers(Vec<Ipv6Addr>),
    /// 24.
    DomainList(Vec<DomainName>),
    /// 25.
    IaPd(IaPd),
    /// 26.
    IaPrefix(IaPrefix),
    /// 32: seconds.
    InformationRefreshTime(u32),
    /// 56.
    NtpServer(Vec<NtpSuboption>),
    /// 64.
    AftrName(DomainName),
    /// 67.
    PdExclude(PdExclude),
    /// 82: seconds.
    SolMaxRt(u32),
    /// 83: seconds.
    InfMaxRt(u32),
    /// Any other option, kept raw.
    Unknown(u16, Vec<u8>),
}

/// The option's name, for errors.
pub(crate) fn name(c: u16) -> &'static str {
    match c {
        code::CLIENTID => "OPTION_CLIENTID",
        code::SERVERID => "OPTION_SERVERID",
        code::IA_NA => "OPTION_IA_NA",
        code::IAADDR => "OPTION_IAADDR",
        code::ORO => "OPTION_ORO",
        code::PREFERENCE => "OPTION_PREFERENCE",
        code::ELAPSED_TIME => "OPTION_ELAPSED_TIME",
        code::RELAY_MSG => "OPTION_RELAY_MSG",
        code::AUTH => "OPTION_AUTH",
        code::UNICAST => "OPTION_UNICAST",
        code::STATUS_CODE => "OPTION_STATUS_CODE",
        code::RAPID_COMMIT => "OPTION_RAPID_COMMIT",
        code::INTERFACE_ID => "OPTION_INTERFACE_ID",
        code::RECONF_MSG => "OPTION_RECONF_MSG",
        code::RECONF_ACCEPT => "OPTION_RECONF_ACCEPT",
        code::DNS_SERVERS => "OPTION_DNS_SERVERS",
        code::DOMAIN_LIST => "OPTION_DOMAIN_LIST",
        code::IA_PD => "OPTION_IA_PD",
        code::IAPREFIX => "OPTION_IAPREFIX",
        code::INFORMATION_REFRESH_TIME => "OPTION_INFORMATION_REFRESH_TIME",
        code::NTP_SERVER => "OPTION_NTP_SERVER",
        code::AFTR_NAME => "OPTION_AFTR_NAME",
        code::PD_EXCLUDE => "OPTION_PD_EXCLUDE",
        code::SOL_MAX_RT => "OPTION_SOL_MAX_RT",
        code::INF_MAX_RT => "OPTION_INF_MAX_RT",
        _ => "option",
    }
}

fn exact<const N: usize>(body: &[u8], field: &'static str) -> Result<[u8; N], Error> {
    <[u8; N]>::try_from(body).map_err(|_| Error::BadLength {
        field,
        len: body.len(),
    })
}

fn addr(r: &mut Reader<'_>, field: &'static str) -> Result<Ipv6Addr, Error> {
    Ok(Ipv6Addr::from(r.array::<16>(field)?))
}

/// Reads the options filling `buf`, each within `buf`'s bounds.
pub(crate) fn read_options(
    buf: &[u8],
    container: &'static str,
    depth: usize,
) -> Result<Vec<Dhcpv6Option>, Error> {
    if depth > super::MAX_NESTING {
        return Err(Error::BadValue {
            field: "option nesting",
        });
    }
    let mut r = Reader::new(buf);
    let mut out = Vec::new();
    while !r.is_empty() {
        let c = r.u16("option code")?;
        let len = usize::from(r.u16("option length")?);
        let body = r
            .take(len, "")
            .map_err(|_| Error::OptionOverrun { code: c, container })?;
        out.push(Dhcpv6Option::parse_body(c, body, depth)?);
    }
    Ok(out)
}

pub(crate) fn options_len(o: &[Dhcpv6Option]) -> usize {
    o.iter().map(Dhcpv6Option::buffer_len).sum()
}

pub(crate) fn write_options(o: &[Dhcpv6Option], w: &mut Writer<'_>) {
    for x in o {
        x.write(w);
    }
}

impl Dhcpv6Option {
    /// The option code.
    pub fn code(&self) -> u16 {
        use Dhcpv6Option::*;
        match self {
            ClientId(_) => code::CLIENTID,
            ServerId(_) => code::SERVERID,
            IaNa(_) => code::IA_NA,
            IaAddr(_) => code::IAADDR,
            Oro(_) => code::ORO,
            Preference(_) => code::PREFERENCE,
            ElapsedTime(_) => code::ELAPSED_TIME,
            RelayMessage(_) => code::RELAY_MSG,
            Authentication(_) => code::AUTH,
            Unicast(_) => code::UNICAST,
            StatusCode { .. } => code::STATUS_CODE,
            RapidCommit => code::RAPID_COMMIT,
            InterfaceId(_) => code::INTERFACE_ID,
            ReconfigureMessage(_) => code::RECONF_MSG,
            ReconfigureAccept => code::RECONF_ACCEPT,
            DnsServers(_) => code::DNS_SERVERS,
            DomainList(_) => code::DOMAIN_LIST,
            IaPd(_) => code::IA_PD,
            IaPrefix(_) => code::IAPREFIX,
            InformationRefreshTime(_) => code::INFORMATION_REFRESH_TIME,
            NtpServer(_) => code::NTP_SERVER,
            AftrName(_) => code::AFTR_NAME,
            PdExclude(_) => code::PD_EXCLUDE,
            SolMaxRt(_) => code::SOL_MAX_RT,
            InfMaxRt(_) => code::INF_MAX_RT,
            Unknown(c, _) => *c,
        }
    }

    /// Parses exactly one option (code, length, value) filling `buf`.
    pub fn parse(buf: &[u8]) -> Result<Dhcpv6Option, Error> {
        let mut r = Reader::new(buf);
        let c = r.u16("option code")?;
        let len = usize::from(r.u16("option length")?);
        let body = r.take(len, "").map_err(|_| Error::OptionOverrun {
            code: c,
            container: "buffer",
        })?;
        if !r.is_empty() {
            return Err(Error::BadLength {
                field: "option",
                len: buf.len(),
            });
        }
        Dhcpv6Option::parse_body(c, body, 0)
    }

    fn parse_body(c: u16, body: &[u8], depth: usize) -> Result<Dhcpv6Option, Error> {
        use Dhcpv6Option as O;
        let n = name(c);
        let mut r = Reader::new(body);
        let bad_len = || Error::BadLength {
            field: n,
            len: body.len(),
        };
        Ok(match c {
            code::CLIENTID => O::ClientId(Duid::parse(body)?),
            code::SERVERID => O::ServerId(Duid::parse(body)?),
            code::IA_NA => O::IaNa(IaNa {
                iaid: r.u32("IA_NA IAID")?,
                t1: r.u32("IA_NA T1")?,
                t2: r.u32("IA_NA T2")?,
                options: read_options(r.rest(), n, depth + 1)?,
            }),
            code::IAADDR => {
                let a = IaAddr {
                    address: addr(&mut r, "IAADDR address")?,
                    preferred: r.u32("IAADDR preferred lifetime")?,
                    valid: r.u32("IAADDR valid lifetime")?,
                    options: read_options(r.rest(), n, depth + 1)?,
                };
                if a.preferred > a.valid {
                    return Err(Error::BadValue {
                        field: "IAADDR preferred lifetime",
                    });
                }
                O::IaAddr(a)
            }
            code::ORO => {
                if !body.len().is_multiple_of(2) {
                    return Err(bad_len());
                }
                let mut v = Vec::with_capacity(body.len() / 2);
                while !r.is_empty() {
                    v.push(r.u16(n)?);
                }
                O::Oro(v)
            }
            code::PREFERENCE => O::Preference(exact::<1>(body, n)?[0]),
            code::ELAPSED_TIME => O::ElapsedTime(u16::from_be_bytes(exact(body, n)?)),
            code::RELAY_MSG => O::RelayMessage(Box::new(Message::read(body, depth + 1)?)),
            code::AUTH => O::Authentication(Authentication {
                protocol: r.u8("OPTION_AUTH protocol")?,
                algorithm: r.u8("OPTION_AUTH algorithm")?,
                rdm: r.u8("OPTION_AUTH RDM")?,
                replay_detection: u64::from_be_bytes(r.array("OPTION_AUTH replay detection")?),
                info: r.rest().to_vec(),
            }),
            code::UNICAST => O::Unicast(Ipv6Addr::from(exact::<16>(body, n)?)),
            code::STATUS_CODE => O::StatusCode {
                code: r.u16("OPTION_STATUS_CODE status-code")?.into(),
                message: r.rest().to_vec(),
            },
            code::RAPID_COMMIT | code::RECONF_ACCEPT => {
                if !body.is_empty() {
                    return Err(bad_len());
                }
                if c == code::RAPID_COMMIT {
                    O::RapidCommit
                } else {
                    O::ReconfigureAccept
                }
            }
            code::INTERFACE_ID => O::InterfaceId(body.to_vec()),
            code::RECONF_MSG => O::ReconfigureMessage(exact::<1>(body, n)?[0].into()),
            code::DNS_SERVERS => {
                if !body.len().is_multiple_of(16) {
                    return Err(bad_len());
                }
                let mut v = Vec::with_capacity(body.len() / 16);
                while !r.is_empty() {
                    v.push(addr(&mut r, n)?);
                }
                O::DnsServers(v)
            }
            code::DOMAIN_LIST => O::DomainList(DomainName::parse_list(body)?),
            code::IA_PD => O::IaPd(IaPd {
                iaid: r.u32("IA_PD IAID")?,
                t1: r.u32("IA_PD T1")?,
                t2: r.u32("IA_PD T2")?,
                options: read_options(r.rest(), n, depth + 1)?,
            }),
            code::IAPREFIX => O::IaPrefix(IaPrefix::parse_body(&mut r, depth)?),
            code::INFORMATION_REFRESH_TIME => {
                O::InformationRefreshTime(u32::from_be_bytes(exact(body, n)?))
            }
            code::NTP_SERVER => {
                let mut v = Vec::new();
                while !r.is_empty() {
                    let sc = r.u16("NTP suboption code")?;
                    let sl = usize::from(r.u16("NTP suboption length")?);
                    let sb = r.take(sl, "").map_err(|_| Error::OptionOverrun {
                        code: sc,
                        container: n,
                    })?;
                    v.push(match sc {
                        1 | 2 => {
                            let a = Ipv6Addr::from(exact::<16>(sb, "NTP suboption address")?);
                            if sc == 1 {
                                NtpSuboption::Address(a)
                            } else {
                                NtpSuboption::Multicast(a)
                            }
                        }
                        3 => NtpSuboption::Fqdn(DomainName::parse(sb)?),
                        _ => NtpSuboption::Unknown(sc, sb.to_vec()),
                    });
                }
                O::NtpServer(v)
            }
            code::AFTR_NAME => O::AftrName(DomainName::parse(body)?),
            code::PD_EXCLUDE => {
                let prefix_len = r.u8("OPTION_PD_EXCLUDE prefix-len")?;
                let subnet_id = r.rest().to_vec();
                if prefix_len > 128 || prefix_len == 0 {
                    return Err(Error::BadValue {
                        field: "OPTION_PD_EXCLUDE prefix-len",
                    });
                }
                if subnet_id.is_empty() || subnet_id.len() > 16 {
                    return Err(bad_len());
                }
                O::PdExclude(PdExclude {
                    prefix_len,
                    subnet_id,
                })
            }
            code::SOL_MAX_RT => O::SolMaxRt(u32::from_be_bytes(exact(body, n)?)),
            code::INF_MAX_RT => O::InfMaxRt(u32::from_be_bytes(exact(body, n)?)),
            _ => O::Unknown(c, body.to_vec()),
        })
    }

    fn body_len(&self) -> usize {
        use Dhcpv6Option::*;
        match self {
            ClientId(d) | ServerId(d) => d.buffer_len(),
            IaNa(ia) => 12 + options_len(&ia.options),
            IaPd(ia) => 12 + options_len(&ia.options),
            IaAddr(a) => 24 + options_len(&a.options),
            IaPrefix(p) => 25 + options_len(&p.options),
            Oro(v) => 2 * v.len(),
            Preference(_) => 1,
            ElapsedTime(_) => 2,
            RelayMessage(m) => m.buffer_len(),
            Authentication(a) => 11 + a.info.len(),
            Unicast(_) => 16,
            StatusCode { message, .. } => 2 + message.len(),
            RapidCommit | ReconfigureAccept => 0,
            InterfaceId(v) | Unknown(_, v) => v.len(),
            ReconfigureMessage(_) => 1,
            DnsServers(v) => 16 * v.len(),
            DomainList(v) => v.iter().map(DomainName::buffer_len).sum(),
            InformationRefreshTime(_) | SolMaxRt(_) | InfMaxRt(_) => 4,
            NtpServer(v) => v
                .iter()
                .map(|s| {
                    4 + match s {
                        NtpSuboption::Address(_) | NtpSuboption::Multicast(_) => 16,
                        NtpSuboption::Fqdn(d) => d.buffer_len(),
                        NtpSuboption::Unknown(_, v) => v.len(),
                    }
                })
                .sum(),
            AftrName(d) => d.buffer_len(),
            PdExclude(p) => 1 + p.subnet_id.len(),
        }
    }

    /// The wire length (4 + value).
    pub fn buffer_len(&self) -> usize {
        4 + self.body_len()
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) {
        use Dhcpv6Option::*;
        let c = self.code();
        w.u16(c);
        w.len16(self.body_len(), name(c));
        match self {
            ClientId(d) | ServerId(d) => d.write(w),
            IaNa(super::IaNa {
                iaid,
                t1,
                t2,
                options,
            })
            | IaPd(super::IaPd {
                iaid,
                t1,
                t2,
                options,
            }) => {
                w.u32(*iaid);
                w.u32(*t1);
                w.u32(*t2);
                write_options(options, w);
            }
            IaAddr(a) => {
                if a.preferred > a.valid {
                    w.fail(Error::BadValue {
                        field: "IAADDR preferred lifetime",
                    });
                }
                w.put(&a.address.octets());
                w.u32(a.preferred);
                w.u32(a.valid);
                write_options(&a.options, w);
            }
            IaPrefix(p) => p.write_body(w),
            Oro(v) => v.iter().for_each(|c| w.u16(*c)),
            Preference(p) => w.u8(*p),
            ElapsedTime(t) => w.u16(*t),
            RelayMessage(m) => m.write(w),
            Authentication(a) => {
                w.u8(a.protocol);
                w.u8(a.algorithm);
                w.u8(a.rdm);
                w.put(&a.replay_detection.to_be_bytes());
                w.put(&a.info);
            }
            Unicast(a) => w.put(&a.octets()),
            StatusCode { code, message } => {
                w.u16((*code).into());
                w.put(message);
            }
            RapidCommit | ReconfigureAccept => {}
            InterfaceId(v) | Unknown(_, v) => w.put(v),
            ReconfigureMessage(t) => w.u8((*t).into()),
            DnsServers(v) => v.iter().for_each(|a| w.put(&a.octets())),
            DomainList(v) => v.iter().for_each(|d| d.write(w)),
            InformationRefreshTime(t) | SolMaxRt(t) | InfMaxRt(t) => w.u32(*t),
            NtpServer(v) => {
                for s in v {
                    match s {
                        NtpSuboption::Address(a) | NtpSuboption::Multicast(a) => {
                            w.u16(if matches!(s, NtpSuboption::Address(_)) {
                                1
                            } else {
                                2
                            });
                            w.u16(16);
                            w.put(&a.octets());
                        }
                        NtpSuboption::Fqdn(d) => {
                            w.u16(3);
                            w.len16(d.buffer_len(), "NTP suboption FQDN");
                            d.write(w);
                        }
                        NtpSuboption::Unknown(c, v) => {
                            w.u16(*c);
                            w.len16(v.len(), "NTP suboption");
                            w.put(v);
                        }
                    }
                }
            }
            AftrName(d) => d.write(w),
            PdExclude(p) => {
                if p.prefix_len == 0 || p.prefix_len > 128 || p.subnet_id.is_empty() {
                    w.fail(Error::BadValue {
                        field: "OPTION_PD_EXCLUDE prefix-len",
                    });
                }
                w.u8(p.prefix_len);
                w.put(&p.subnet_id);
            }
        }
    }
}

emit_via_writer!(Dhcpv6Option);

impl IaPrefix {
    fn parse_body(r: &mut Reader<'_>, depth: usize) -> Result<IaPrefix, Error> {
        let preferred = r.u32("IAPREFIX preferred lifetime")?;
        let valid = r.u32("IAPREFIX valid lifetime")?;
        let prefix_len = r.u8("IAPREFIX prefix length")?;
        let prefix = addr(r, "IAPREFIX prefix")?;
        if prefix_len > 128 {
            return Err(Error::BadValue {
                field: "IAPREFIX prefix length",
            });
        }
        if preferred > valid {
            return Err(Error::BadValue {
                field: "IAPREFIX preferred lifetime",
            });
        }
        let options = read_options(r.rest(), "OPTION_IAPREFIX", depth + 1)?;
        for o in &options {
            if let Dhcpv6Option::PdExclude(x) = o {
                x.check(prefix_len)?;
            }
        }
        Ok(IaPrefix {
            preferred,
            valid,
            prefix_len,
            prefix,
            options,
        })
    }

    fn write_body(&self, w: &mut Writer<'_>) {
        if self.prefix_len > 128 {
            w.fail(Error::BadValue {
                field: "IAPREFIX prefix length",
            });
        }
        if self.preferred > self.valid {
            w.fail(Error::BadValue {
                field: "IAPREFIX preferred lifetime",
            });
        }
        for o in &self.options {
            if let Dhcpv6Option::PdExclude(x) = o
                && let Err(e) = x.check(self.prefix_len)
            {
                w.fail(e);
            }
        }
        w.u32(self.preferred);
        w.u32(self.valid);
        w.u8(self.prefix_len);
        w.put(&self.prefix.octets());
        write_options(&self.options, w);
    }

    /// The status code inside this IAPREFIX, if any.
    pub fn status(&self) -> Option<StatusCode> {
        status_in(&self.options)
    }

    /// The Prefix Exclude inside this IAPREFIX, if any.
    pub fn exclude(&self) -> Option<&PdExclude> {
        self.options.iter().find_map(|o| match o {
            Dhcpv6Option::PdExclude(x) => Some(x),
            _ => None,
        })
    }
}

impl IaPd {
    /// The IAPREFIX options.
    pub fn prefixes(&self) -> impl Iterator<Item = &IaPrefix> {
        self.options.iter().filter_map(|o| match o {
            Dhcpv6Option::IaPrefix(p) => Some(p),
            _ => None,
        })
    }

    /// The IA's own status code, if any.
    pub fn status(&self) -> Option<StatusCode> {
        status_in(&self.options)
    }
}

impl IaAddr {
    /// The status code inside this IAADDR, if any.
    pub fn status(&self) -> Option<StatusCode> {
        status_in(&self.options)
    }
}

impl IaNa {
    /// The IAADDR options.
    pub fn addresses(&self) -> impl Iterator<Item = &IaAddr> {
        self.options.iter().filter_map(|o| match o {
            Dhcpv6Option::IaAddr(a) => Some(a),
            _ => None,
        })
    }

    /// The IA's own status code, if any.
    pub fn status(&self) -> Option<StatusCode> {
        status_in(&self.options)
    }
}

pub(crate) fn status_in(o: &[Dhcpv6Option]) -> Option<StatusCode> {
    o.iter().find_map(|o| match o {
        Dhcpv6Option::StatusCode { code, .. } => Some(*code),
        _ => None,
    })
}
