//! The BOOTP header (RFC 2131 §2, figure 1) and the option areas.

use alloc::borrow::Cow;
use alloc::vec::Vec;
use core::net::Ipv4Addr;

use nom::Parser;
use nom::bytes::complete::take;
use nom::number::complete::{be_u8, be_u16, be_u32};

use super::options::{DhcpOption, MessageType, code};
use super::routes::Route;
use super::{DomainName, Error};

/// The magic cookie that starts the options field (RFC 2131 §3).
pub const MAGIC_COOKIE: [u8; 4] = [99, 130, 83, 99];
/// The BOOTP minimum message size (RFC 1542 §2.1); `emit` pads up to it.
pub const MIN_BOOTP_LEN: usize = 300;
/// The `flags` bit asking the server to broadcast its reply (RFC 2131 §2).
pub const BROADCAST_FLAG: u16 = 0x8000;
/// The UDP port servers listen on.
pub const DHCP_SERVER_PORT: u16 = 67;
/// The UDP port clients listen on.
pub const DHCP_CLIENT_PORT: u16 = 68;

/// Length of the fixed header before the magic cookie.
const HEADER_LEN: usize = 236;

/// The BOOTP `op` field.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Op {
    /// BOOTREQUEST (1): client to server.
    BootRequest,
    /// BOOTREPLY (2): server to client.
    BootReply,
    /// Any other value.
    Unknown(u8),
}

impl From<u8> for Op {
    fn from(v: u8) -> Self {
        match v {
            1 => Op::BootRequest,
            2 => Op::BootReply,
            n => Op::Unknown(n),
        }
    }
}

impl From<Op> for u8 {
    fn from(op: Op) -> u8 {
        match op {
            Op::BootRequest => 1,
            Op::BootReply => 2,
            Op::Unknown(n) => n,
        }
    }
}

/// One DHCP message: the BOOTP header, the message type and the other
/// options in order (each reassembled per RFC 3396).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Message {
    /// `op`: request or reply.
    pub op: Op,
    /// `htype`: hardware address type (1 = Ethernet).
    pub htype: u8,
    /// `hlen`: hardware address length, at most 16.
    pub hlen: u8,
    /// `hops`: relay hop count.
    pub hops: u8,
    /// `xid`: transaction id chosen by the client.
    pub xid: u32,
    /// `secs`: seconds since the client began acquisition or renewal.
    pub secs: u16,
    /// `flags`: [`BROADCAST_FLAG`] and reserved bits.
    pub flags: u16,
    /// `ciaddr`: the client's address when it has one.
    pub ciaddr: Ipv4Addr,
    /// `yiaddr`: "your" address, offered or assigned.
    pub yiaddr: Ipv4Addr,
    /// `siaddr`: next server (boot) address.
    pub siaddr: Ipv4Addr,
    /// `giaddr`: relay agent address.
    pub giaddr: Ipv4Addr,
    /// `chaddr`: client hardware address (first `hlen` octets significant).
    pub chaddr: [u8; 16],
    /// `sname`: server host name; zero when it carried options (overload).
    pub sname: [u8; 64],
    /// `file`: boot file name; zero when it carried options (overload).
    pub file: [u8; 128],
    /// Option 53.
    pub message_type: MessageType,
    /// How many of `options` come before option 53 on the wire (0: first,
    /// as most clients send it; dhcpcd puts option 50 before it).
    pub message_type_position: usize,
    /// Every other option, in order of first appearance.
    pub options: Vec<DhcpOption>,
}

fn field<'a, O, P>(input: &'a [u8], name: &'static str, mut p: P) -> Result<(&'a [u8], O), Error>
where
    P: Parser<&'a [u8], Output = O, Error = nom::error::Error<&'a [u8]>>,
{
    p.parse(input).map_err(|_| Error::Truncated { field: name })
}

fn ip(v: u32) -> Ipv4Addr {
    Ipv4Addr::from(v)
}

/// Splits one option area into (code, data) instances, appending to `out`.
fn read_area<'a>(
    mut area: &'a [u8],
    name: &'static str,
    require_end: bool,
    out: &mut Vec<(u8, &'a [u8])>,
) -> Result<(), Error> {
    loop {
        let Some((&c, rest)) = area.split_first() else {
            return if require_end {
                Err(Error::MissingEnd { area: name })
            } else {
                Ok(())
            };
        };
        match c {
            code::PAD => area = rest,
            code::END => return Ok(()),
            _ => {
                let overrun = Error::OptionOverrun {
                    code: c,
                    area: name,
                };
                let (&len, rest) = rest.split_first().ok_or(overrun)?;
                let len = usize::from(len);
                if rest.len() < len {
                    return Err(overrun);
                }
                out.push((c, &rest[..len]));
                area = &rest[len..];
            }
        }
    }
}

impl Message {
    /// A message with every header field zero but those given, Ethernet
    /// hardware type, and no options.
    pub fn new(op: Op, message_type: MessageType, xid: u32, mac: [u8; 6]) -> Message {
        let mut chaddr = [0u8; 16];
        chaddr[..6].copy_from_slice(&mac);
        Message {
            op,
            htype: 1,
            hlen: 6,
            hops: 0,
            xid,
            secs: 0,
            flags: 0,
            ciaddr: Ipv4Addr::UNSPECIFIED,
            yiaddr: Ipv4Addr::UNSPECIFIED,
            siaddr: Ipv4Addr::UNSPECIFIED,
            giaddr: Ipv4Addr::UNSPECIFIED,
            chaddr,
            sname: [0; 64],
            file: [0; 128],
            message_type,
            message_type_position: 0,
            options: Vec::new(),
        }
    }

    /// Parses one datagram (the UDP payload).
    pub fn parse(input: &[u8]) -> Result<Message, Error> {
        let (i, op) = field(input, "op", be_u8)?;
        let (i, htype) = field(i, "htype", be_u8)?;
        let (i, hlen) = field(i, "hlen", be_u8)?;
        let (i, hops) = field(i, "hops", be_u8)?;
        let (i, xid) = field(i, "xid", be_u32)?;
        let (i, secs) = field(i, "secs", be_u16)?;
        let (i, flags) = field(i, "flags", be_u16)?;
        let (i, ciaddr) = field(i, "ciaddr", be_u32)?;
        let (i, yiaddr) = field(i, "yiaddr", be_u32)?;
        let (i, siaddr) = field(i, "siaddr", be_u32)?;
        let (i, giaddr) = field(i, "giaddr", be_u32)?;
        let (i, chaddr) = field(i, "chaddr", take(16usize))?;
        let (i, sname) = field(i, "sname", take(64usize))?;
        let (i, file) = field(i, "file", take(128usize))?;
        let (i, cookie) = field(i, "magic cookie", take(4usize))?;
        if hlen > 16 {
            return Err(Error::BadHardwareLength { hlen });
        }
        if cookie != MAGIC_COOKIE {
            return Err(Error::BadMagicCookie);
        }

        let mut raw = Vec::with_capacity(16);
        read_area(i, "options", true, &mut raw)?;
        let mut overload = 0u8;
        if let Some(&(_, data)) = raw.iter().find(|(c, _)| *c == code::OVERLOAD) {
            overload = match data {
                [v @ 1..=3] => *v,
                [_] => {
                    return Err(Error::BadValue {
                        code: code::OVERLOAD,
                    });
                }
                _ => {
                    return Err(Error::BadLength {
                        code: code::OVERLOAD,
                        len: data.len(),
                    });
                }
            };
        }
        // RFC 2131 §4.1: options, then `file`, then `sname`.
        if overload & 1 != 0 {
            read_area(file, "file", false, &mut raw)?;
        }
        if overload & 2 != 0 {
            read_area(sname, "sname", false, &mut raw)?;
        }

        let mut types = raw.iter().filter(|(c, _)| *c == code::MESSAGE_TYPE);
        let message_type = match (types.next(), types.next()) {
            (None, _) => return Err(Error::MissingMessageType),
            (Some(_), Some(_)) => return Err(Error::DuplicateMessageType),
            (Some(&(_, [t])), None) => MessageType::from(*t),
            (Some(&(_, d)), None) => {
                return Err(Error::BadLength {
                    code: code::MESSAGE_TYPE,
                    len: d.len(),
                });
            }
        };

        // RFC 3396 §6: concatenate every instance of a code, in order (a
        // code seen once, the usual case, is decoded in place, not copied).
        let mut joined: Vec<(u8, Cow<'_, [u8]>)> = Vec::with_capacity(raw.len());
        let mut message_type_position = 0;
        for &(c, data) in &raw {
            if c == code::MESSAGE_TYPE {
                message_type_position = joined.len();
                continue;
            }
            if c == code::OVERLOAD {
                continue;
            }
            match joined.iter_mut().find(|(jc, _)| *jc == c) {
                Some((_, d)) => d.to_mut().extend_from_slice(data),
                None => joined.push((c, Cow::Borrowed(data))),
            }
        }
        let options = joined
            .iter()
            .map(|(c, d)| DhcpOption::decode(*c, d))
            .collect::<Result<Vec<_>, _>>()?;

        let mut m = Message {
            op: Op::from(op),
            htype,
            hlen,
            hops,
            xid,
            secs,
            flags,
            ciaddr: ip(ciaddr),
            yiaddr: ip(yiaddr),
            siaddr: ip(siaddr),
            giaddr: ip(giaddr),
            chaddr: [0; 16],
            sname: [0; 64],
            file: [0; 128],
            message_type,
            message_type_position,
            options,
        };
        m.chaddr.copy_from_slice(chaddr);
        if overload & 2 == 0 {
            m.sname.copy_from_slice(sname);
        }
        if overload & 1 == 0 {
            m.file.copy_from_slice(file);
        }
        Ok(m)
    }

    fn emitted_options(&self) -> impl Iterator<Item = &DhcpOption> {
        self.options.iter().filter(|o| {
            !matches!(
                o.code(),
                code::PAD | code::END | code::OVERLOAD | code::MESSAGE_TYPE
            )
        })
    }

    /// The exact size [`Message::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        let opts: usize = self.emitted_options().map(DhcpOption::wire_len).sum();
        (HEADER_LEN + 4 + 3 + opts + 1).max(MIN_BOOTP_LEN)
    }

    /// Writes the message into the start of `buf`: exactly
    /// [`Message::buffer_len`] octets, returned. Options in
    /// [`Message::options`] with code 0, 52, 53 or 255 are not written
    /// (the codec owns those). A `buf` shorter than `buffer_len()` is
    /// [`Error::BufferTooShort`], with nothing written.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let len = self.buffer_len();
        let buf = buf.get_mut(..len).ok_or(Error::BufferTooShort)?;
        let mut w = Writer { buf, pos: 0 };
        w.put(&[u8::from(self.op), self.htype, self.hlen, self.hops]);
        w.put(&self.xid.to_be_bytes());
        w.put(&self.secs.to_be_bytes());
        w.put(&self.flags.to_be_bytes());
        for a in [self.ciaddr, self.yiaddr, self.siaddr, self.giaddr] {
            w.put(&a.octets());
        }
        w.put(&self.chaddr);
        w.put(&self.sname);
        w.put(&self.file);
        w.put(&MAGIC_COOKIE);
        let mt = [code::MESSAGE_TYPE, 1, u8::from(self.message_type)];
        // Option data is encoded into one reused scratch buffer, then split
        // into instances of at most 255 octets (RFC 3396 §5).
        let mut scratch = Vec::with_capacity(256);
        let mut written_mt = false;
        for (i, o) in self.emitted_options().enumerate() {
            if i == self.message_type_position {
                w.put(&mt);
                written_mt = true;
            }
            scratch.clear();
            o.encode_data(&mut scratch);
            if scratch.is_empty() {
                w.put(&[o.code(), 0]);
            }
            for chunk in scratch.chunks(255) {
                w.put(&[o.code(), chunk.len() as u8]);
                w.put(chunk);
            }
        }
        if !written_mt {
            w.put(&mt);
        }
        w.put(&[code::END]);
        // Zero padding up to the BOOTP minimum (RFC 1542 §2.1).
        let pos = w.pos;
        w.buf[pos..].fill(0);
        Ok(len)
    }

    /// The message as a new byte vector (`buffer_len()` octets).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = alloc::vec![0; self.buffer_len()];
        // Cannot fail: the buffer has exactly `buffer_len()` octets.
        let n = self.emit(&mut v).unwrap_or(0);
        v.truncate(n);
        v
    }

    /// The significant octets of `chaddr` (`hlen` of them).
    pub fn hardware_address(&self) -> &[u8] {
        &self.chaddr[..usize::from(self.hlen.min(16))]
    }

    /// Whether the client asked for a broadcast reply.
    pub fn broadcast(&self) -> bool {
        self.flags & BROADCAST_FLAG != 0
    }

    /// The first option with this code.
    pub fn option(&self, c: u8) -> Option<&DhcpOption> {
        self.options.iter().find(|o| o.code() == c)
    }

    /// Option 50.
    pub fn requested_ip(&self) -> Option<Ipv4Addr> {
        self.options.iter().find_map(|o| match o {
            DhcpOption::RequestedIpAddress(a) => Some(*a),
            _ => None,
        })
    }

    /// Option 54.
    pub fn server_id(&self) -> Option<Ipv4Addr> {
        self.options.iter().find_map(|o| match o {
            DhcpOption::ServerIdentifier(a) => Some(*a),
            _ => None,
        })
    }

    /// Option 61.
    pub fn client_id(&self) -> Option<&[u8]> {
        self.options.iter().find_map(|o| match o {
            DhcpOption::ClientIdentifier(v) => Some(&v[..]),
            _ => None,
        })
    }

    /// Option 55.
    pub fn parameter_request_list(&self) -> Option<&[u8]> {
        self.options.iter().find_map(|o| match o {
            DhcpOption::ParameterRequestList(v) => Some(&v[..]),
            _ => None,
        })
    }

    /// Option 57.
    pub fn max_message_size(&self) -> Option<u16> {
        self.options.iter().find_map(|o| match o {
            DhcpOption::MaxMessageSize(v) => Some(*v),
            _ => None,
        })
    }

    /// Option 12.
    pub fn host_name(&self) -> Option<&[u8]> {
        self.options.iter().find_map(|o| match o {
            DhcpOption::HostName(v) => Some(&v[..]),
            _ => None,
        })
    }

    /// Option 51.
    pub fn lease_time(&self) -> Option<u32> {
        self.options.iter().find_map(|o| match o {
            DhcpOption::IpAddressLeaseTime(v) => Some(*v),
            _ => None,
        })
    }

    /// Option 58.
    pub fn renewal_time(&self) -> Option<u32> {
        self.options.iter().find_map(|o| match o {
            DhcpOption::RenewalTime(v) => Some(*v),
            _ => None,
        })
    }

    /// Option 59.
    pub fn rebinding_time(&self) -> Option<u32> {
        self.options.iter().find_map(|o| match o {
            DhcpOption::RebindingTime(v) => Some(*v),
            _ => None,
        })
    }

    /// Option 1.
    pub fn subnet_mask(&self) -> Option<Ipv4Addr> {
        self.options.iter().find_map(|o| match o {
            DhcpOption::SubnetMask(a) => Some(*a),
            _ => None,
        })
    }

    /// Option 3.
    pub fn routers(&self) -> &[Ipv4Addr] {
        self.options
            .iter()
            .find_map(|o| match o {
                DhcpOption::Router(v) => Some(&v[..]),
                _ => None,
            })
            .unwrap_or(&[])
    }

    /// Option 6.
    pub fn dns_servers(&self) -> &[Ipv4Addr] {
        self.options
            .iter()
            .find_map(|o| match o {
                DhcpOption::DomainNameServer(v) => Some(&v[..]),
                _ => None,
            })
            .unwrap_or(&[])
    }

    /// Option 15.
    pub fn domain_name(&self) -> Option<&[u8]> {
        self.options.iter().find_map(|o| match o {
            DhcpOption::DomainName(v) => Some(&v[..]),
            _ => None,
        })
    }

    /// Option 26.
    pub fn interface_mtu(&self) -> Option<u16> {
        self.options.iter().find_map(|o| match o {
            DhcpOption::InterfaceMtu(v) => Some(*v),
            _ => None,
        })
    }

    /// Option 119.
    pub fn domain_search(&self) -> &[DomainName] {
        self.options
            .iter()
            .find_map(|o| match o {
                DhcpOption::DomainSearch(v) => Some(&v[..]),
                _ => None,
            })
            .unwrap_or(&[])
    }

    /// Option 121.
    pub fn classless_routes(&self) -> &[Route] {
        self.options
            .iter()
            .find_map(|o| match o {
                DhcpOption::ClasslessStaticRoute(v) => Some(&v[..]),
                _ => None,
            })
            .unwrap_or(&[])
    }

    /// Option 82, raw.
    pub fn relay_agent_information(&self) -> Option<&[u8]> {
        self.options.iter().find_map(|o| match o {
            DhcpOption::RelayAgentInformation(v) => Some(&v[..]),
            _ => None,
        })
    }
}

/// A cursor over the caller's buffer, sized by `buffer_len()` beforehand.
struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl Writer<'_> {
    fn put(&mut self, bytes: &[u8]) {
        // `buffer_len()` counted every octet `emit` writes; a miscount would
        // be a bug here, so it truncates rather than panics.
        let end = (self.pos + bytes.len()).min(self.buf.len());
        let n = end - self.pos;
        self.buf[self.pos..end].copy_from_slice(&bytes[..n]);
        self.pos = end;
    }
}
