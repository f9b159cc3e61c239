//! Client/server messages (RFC 8415 §8) and relay messages (§9).

use alloc::vec::Vec;
use core::net::Ipv6Addr;

use super::options::{options_len, read_options, status_in, write_options};
use super::{Dhcpv6Option, Duid, Error, IaNa, IaPd, Reader, StatusCode, Writer, emit_via_writer};

/// UDP port clients listen on.
pub const CLIENT_PORT: u16 = 546;
/// UDP port servers and relays listen on.
pub const SERVER_PORT: u16 = 547;
/// ff02::1:2, where clients send (§7.1).
pub const ALL_DHCP_RELAY_AGENTS_AND_SERVERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 1, 2);
/// How deep relay messages and IA options may nest before the input is
/// refused (the relay hop limit is 8, §7.6; IA options add two levels).
pub const MAX_NESTING: usize = 16;

/// Message types (§7.3).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum MessageType {
    /// 1.
    Solicit,
    /// 2.
    Advertise,
    /// 3.
    Request,
    /// 4.
    Confirm,
    /// 5.
    Renew,
    /// 6.
    Rebind,
    /// 7.
    Reply,
    /// 8.
    Release,
    /// 9.
    Decline,
    /// 10.
    Reconfigure,
    /// 11.
    InformationRequest,
    /// 12.
    RelayForw,
    /// 13.
    RelayRepl,
    /// Any other type (kept with the client/server layout).
    Unknown(u8),
}

impl From<u8> for MessageType {
    fn from(v: u8) -> Self {
        use MessageType::*;
        match v {
            1 => Solicit,
            2 => Advertise,
            3 => Request,
            4 => Confirm,
            5 => Renew,
            6 => Rebind,
            7 => Reply,
            8 => Release,
            9 => Decline,
            10 => Reconfigure,
            11 => InformationRequest,
            12 => RelayForw,
            13 => RelayRepl,
            v => Unknown(v),
        }
    }
}

impl From<MessageType> for u8 {
    fn from(t: MessageType) -> u8 {
        use MessageType::*;
        match t {
            Solicit => 1,
            Advertise => 2,
            Request => 3,
            Confirm => 4,
            Renew => 5,
            Rebind => 6,
            Reply => 7,
            Release => 8,
            Decline => 9,
            Reconfigure => 10,
            InformationRequest => 11,
            RelayForw => 12,
            RelayRepl => 13,
            Unknown(v) => v,
        }
    }
}

/// A client/server message (§8).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ClientMessage {
    /// The type (never Relay-Forw/Relay-Repl).
    pub msg_type: MessageType,
    /// The 24-bit transaction id.
    pub transaction_id: u32,
    /// The options, in order.
    pub options: Vec<Dhcpv6Option>,
}

/// A relay message (§9): Relay-Forward or Relay-Reply.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RelayMessage {
    /// Relay-Forw or Relay-Repl.
    pub msg_type: MessageType,
    /// Relays this message went through before.
    pub hop_count: u8,
    /// The link the client is on (or unspecified).
    pub link_address: Ipv6Addr,
    /// The client's (or the previous relay's) address.
    pub peer_address: Ipv6Addr,
    /// The options; the Relay Message option carries the relayed message.
    pub options: Vec<Dhcpv6Option>,
}

/// One DHCPv6 message, as carried in a UDP payload.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Message {
    /// Between client and server.
    Client(ClientMessage),
    /// Between relays and servers.
    Relay(RelayMessage),
}

impl Message {
    /// Parses one UDP payload.
    pub fn parse(buf: &[u8]) -> Result<Message, Error> {
        Message::read(buf, 0)
    }

    pub(crate) fn read(buf: &[u8], depth: usize) -> Result<Message, Error> {
        if depth > MAX_NESTING {
            return Err(Error::BadValue {
                field: "relay nesting",
            });
        }
        let mut r = Reader::new(buf);
        let t = MessageType::from(r.u8("msg-type")?);
        Ok(match t {
            MessageType::RelayForw | MessageType::RelayRepl => Message::Relay(RelayMessage {
                msg_type: t,
                hop_count: r.u8("hop-count")?,
                link_address: Ipv6Addr::from(r.array::<16>("link-address")?),
                peer_address: Ipv6Addr::from(r.array::<16>("peer-address")?),
                options: read_options(r.rest(), "relay message", depth)?,
            }),
            _ => {
                let x = r.array::<3>("transaction-id")?;
                Message::Client(ClientMessage {
                    msg_type: t,
                    transaction_id: u32::from_be_bytes([0, x[0], x[1], x[2]]),
                    options: read_options(r.rest(), "message", depth)?,
                })
            }
        })
    }

    /// The wire length.
    pub fn buffer_len(&self) -> usize {
        match self {
            Message::Client(m) => m.buffer_len(),
            Message::Relay(m) => m.buffer_len(),
        }
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) {
        match self {
            Message::Client(m) => m.write(w),
            Message::Relay(m) => m.write(w),
        }
    }

    /// The message type.
    pub fn msg_type(&self) -> MessageType {
        match self {
            Message::Client(m) => m.msg_type,
            Message::Relay(m) => m.msg_type,
        }
    }

    /// The options at this level.
    pub fn options(&self) -> &[Dhcpv6Option] {
        match self {
            Message::Client(m) => &m.options,
            Message::Relay(m) => &m.options,
        }
    }
}

emit_via_writer!(Message);

impl ClientMessage {
    /// A message with no options.
    pub fn new(msg_type: MessageType, transaction_id: u32) -> ClientMessage {
        ClientMessage {
            msg_type,
            transaction_id,
            options: Vec::new(),
        }
    }

    /// Parses a client/server message (a relay message is an error).
    pub fn parse(buf: &[u8]) -> Result<ClientMessage, Error> {
        match Message::parse(buf)? {
            Message::Client(m) => Ok(m),
            Message::Relay(_) => Err(Error::BadValue { field: "msg-type" }),
        }
    }

    /// The wire length.
    pub fn buffer_len(&self) -> usize {
        4 + options_len(&self.options)
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) {
        if matches!(
            self.msg_type,
            MessageType::RelayForw | MessageType::RelayRepl
        ) {
            w.fail(Error::BadValue { field: "msg-type" });
        }
        if self.transaction_id > 0xff_ffff {
            w.fail(Error::BadValue {
                field: "transaction-id",
            });
        }
        w.u8(self.msg_type.into());
        w.put(&self.transaction_id.to_be_bytes()[1..]);
        write_options(&self.options, w);
    }

    /// The first option with this code.
    pub fn option(&self, c: u16) -> Option<&Dhcpv6Option> {
        self.options.iter().find(|o| o.code() == c)
    }

    /// The Client Identifier.
    pub fn client_id(&self) -> Option<&Duid> {
        self.options.iter().find_map(|o| match o {
            Dhcpv6Option::ClientId(d) => Some(d),
            _ => None,
        })
    }

    /// The Server Identifier.
    pub fn server_id(&self) -> Option<&Duid> {
        self.options.iter().find_map(|o| match o {
            Dhcpv6Option::ServerId(d) => Some(d),
            _ => None,
        })
    }

    /// How many options with this code appear.
    pub fn count(&self, c: u16) -> usize {
        self.options.iter().filter(|o| o.code() == c).count()
    }

    /// The IA_PD options.
    pub fn ia_pds(&self) -> impl Iterator<Item = &IaPd> {
        self.options.iter().filter_map(|o| match o {
            Dhcpv6Option::IaPd(i) => Some(i),
            _ => None,
        })
    }

    /// The IA_NA options.
    pub fn ia_nas(&self) -> impl Iterator<Item = &IaNa> {
        self.options.iter().filter_map(|o| match o {
            Dhcpv6Option::IaNa(i) => Some(i),
            _ => None,
        })
    }

    /// The top-level Status Code, if any.
    pub fn status(&self) -> Option<StatusCode> {
        status_in(&self.options)
    }

    /// The Preference (0 when absent, §18.2.9).
    pub fn preference(&self) -> u8 {
        self.options
            .iter()
            .find_map(|o| match o {
                Dhcpv6Option::Preference(p) => Some(*p),
                _ => None,
            })
            .unwrap_or(0)
    }
}

emit_via_writer!(ClientMessage);

impl RelayMessage {
    /// The wire length.
    pub fn buffer_len(&self) -> usize {
        34 + options_len(&self.options)
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) {
        if !matches!(
            self.msg_type,
            MessageType::RelayForw | MessageType::RelayRepl
        ) {
            w.fail(Error::BadValue { field: "msg-type" });
        }
        w.u8(self.msg_type.into());
        w.u8(self.hop_count);
        w.put(&self.link_address.octets());
        w.put(&self.peer_address.octets());
        write_options(&self.options, w);
    }

    /// The relayed message (the Relay Message option).
    pub fn relayed(&self) -> Option<&Message> {
        self.options.iter().find_map(|o| match o {
            Dhcpv6Option::RelayMessage(m) => Some(&**m),
            _ => None,
        })
    }

    /// The Interface-Id, if the relay sent one.
    pub fn interface_id(&self) -> Option<&[u8]> {
        self.options.iter().find_map(|o| match o {
            Dhcpv6Option::InterfaceId(v) => Some(&v[..]),
            _ => None,
        })
    }

    /// Parses a relay message (a client/server message is an error).
    pub fn parse(buf: &[u8]) -> Result<RelayMessage, Error> {
        match Message::parse(buf)? {
            Message::Relay(m) => Ok(m),
            Message::Client(_) => Err(Error::BadValue { field: "msg-type" }),
        }
    }
}

emit_via_writer!(RelayMessage);
