//! Standard attributes: their numbers, data types and value lengths
//! (RFC 2865 §5, RFC 2866 §5, RFC 2869 §5, RFC 3162, RFC 4818, RFC 5176 §3.5,
//! RFC 6911), and the typed [`Value`] of one attribute.

use alloc::vec::Vec;
use core::net::{Ipv4Addr, Ipv6Addr};

use crate::error::{AttrName, Error};
use crate::wire::vsa::Vsa;

/// How an attribute's value is encoded (the FreeRADIUS dictionary type names
/// in parentheses).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum DataType {
    /// UTF-8 text, 1..=253 octets (`string` for text attributes).
    Text,
    /// Opaque octets (`octets`).
    Octets,
    /// An IPv4 address, 4 octets (`ipaddr`).
    Ipv4Addr,
    /// A 32-bit unsigned integer (`integer`), also used for enumerations.
    Integer,
    /// Seconds since 1970-01-01 UTC, 32 bits (`date`).
    Time,
    /// An IPv6 address, 16 octets (`ipv6addr`).
    Ipv6Addr,
    /// Reserved octet, prefix length, prefix (`ipv6prefix`, RFC 3162 §2.3).
    Ipv6Prefix,
    /// An IPv6 interface identifier, 8 octets (`ifid`).
    InterfaceId,
    /// Vendor-Specific (RFC 2865 §5.26).
    Vsa,
}

/// A standard attribute's definition.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct AttrDef {
    /// The attribute type.
    pub typ: u8,
    /// The dictionary name.
    pub name: &'static str,
    /// The value encoding.
    pub data_type: DataType,
    /// Smallest allowed value length.
    pub min_len: u8,
    /// Largest allowed value length.
    pub max_len: u8,
}

macro_rules! attrs {
    ($( $konst:ident = $num:literal, $name:literal, $ty:ident $(, $min:literal ..= $max:literal)?; )*) => {
        $(
            #[doc = concat!("`", $name, "` (", stringify!($num), ").")]
            pub const $konst: u8 = $num;
        )*
        /// Every standard attribute this crate knows, by type.
        pub static STANDARD: &[AttrDef] = &[
            $( AttrDef {
                typ: $num,
                name: $name,
                data_type: DataType::$ty,
                min_len: attrs!(@min $ty $(, $min)?),
                max_len: attrs!(@max $ty $(, $max)?),
            }, )*
        ];
    };
    (@min $ty:ident, $min:literal) => { $min };
    (@max $ty:ident, $max:literal) => { $max };
    (@min $ty:ident) => { default_len(DataType::$ty).0 };
    (@max $ty:ident) => { default_len(DataType::$ty).1 };
}

const fn default_len(t: DataType) -> (u8, u8) {
    match t {
        DataType::Text | DataType::Octets => (1, 253),
        DataType::Ipv4Addr | DataType::Integer | DataType::Time => (4, 4),
        DataType::Ipv6Addr => (16, 16),
        DataType::Ipv6Prefix => (2, 18),
        DataType::InterfaceId => (8, 8),
        DataType::Vsa => (5, 253),
    }
}

attrs! {
    USER_NAME = 1, "User-Name", Text;
    USER_PASSWORD = 2, "User-Password", Octets, 16..=128;
    CHAP_PASSWORD = 3, "CHAP-Password", Octets, 17..=17;
    NAS_IP_ADDRESS = 4, "NAS-IP-Address", Ipv4Addr;
    NAS_PORT = 5, "NAS-Port", Integer;
    SERVICE_TYPE = 6, "Service-Type", Integer;
    FRAMED_PROTOCOL = 7, "Framed-Protocol", Integer;
    FRAMED_IP_ADDRESS = 8, "Framed-IP-Address", Ipv4Addr;
    FRAMED_IP_NETMASK = 9, "Framed-IP-Netmask", Ipv4Addr;
    FRAMED_ROUTING = 10, "Framed-Routing", Integer;
    FILTER_ID = 11, "Filter-Id", Text;
    FRAMED_MTU = 12, "Framed-MTU", Integer;
    FRAMED_COMPRESSION = 13, "Framed-Compression", Integer;
    LOGIN_IP_HOST = 14, "Login-IP-Host", Ipv4Addr;
    LOGIN_SERVICE = 15, "Login-Service", Integer;
    LOGIN_TCP_PORT = 16, "Login-TCP-Port", Integer;
    REPLY_MESSAGE = 18, "Reply-Message", Text;
    CALLBACK_NUMBER = 19, "Callback-Number", Text;
    CALLBACK_ID = 20, "Callback-Id", Text;
    FRAMED_ROUTE = 22, "Framed-Route", Text;
    FRAMED_IPX_NETWORK = 23, "Framed-IPX-Network", Ipv4Addr;
    STATE = 24, "State", Octets;
    CLASS = 25, "Class", Octets;
    VENDOR_SPECIFIC = 26, "Vendor-Specific", Vsa;
    SESSION_TIMEOUT = 27, "Session-Timeout", Integer;
    IDLE_TIMEOUT = 28, "Idle-Timeout", Integer;
    TERMINATION_ACTION = 29, "Termination-Action", Integer;
    CALLED_STATION_ID = 30, "Called-Station-Id", Text;
    CALLING_STATION_ID = 31, "Calling-Station-Id", Text;
    NAS_IDENTIFIER = 32, "NAS-Identifier", Text;
    PROXY_STATE = 33, "Proxy-State", Octets;
    LOGIN_LAT_SERVICE = 34, "Login-LAT-Service", Text;
    LOGIN_LAT_NODE = 35, "Login-LAT-Node", Text;
    LOGIN_LAT_GROUP = 36, "Login-LAT-Group", Octets;
    FRAMED_APPLETALK_LINK = 37, "Framed-AppleTalk-Link", Integer;
    FRAMED_APPLETALK_NETWORK = 38, "Framed-AppleTalk-Network", Integer;
    FRAMED_APPLETALK_ZONE = 39, "Framed-AppleTalk-Zone", Text;
    ACCT_STATUS_TYPE = 40, "Acct-Status-Type", Integer;
    ACCT_DELAY_TIME = 41, "Acct-Delay-Time", Integer;
    ACCT_INPUT_OCTETS = 42, "Acct-Input-Octets", Integer;
    ACCT_OUTPUT_OCTETS = 43, "Acct-Output-Octets", Integer;
    ACCT_SESSION_ID = 44, "Acct-Session-Id", Text;
    ACCT_AUTHENTIC = 45, "Acct-Authentic", Integer;
    ACCT_SESSION_TIME = 46, "Acct-Session-Time", Integer;
    ACCT_INPUT_PACKETS = 47, "Acct-Input-Packets", Integer;
    ACCT_OUTPUT_PACKETS = 48, "Acct-Output-Packets", Integer;
    ACCT_TERMINATE_CAUSE = 49, "Acct-Terminate-Cause", Integer;
    ACCT_MULTI_SESSION_ID = 50, "Acct-Multi-Session-Id", Text;
    ACCT_LINK_COUNT = 51, "Acct-Link-Count", Integer;
    ACCT_INPUT_GIGAWORDS = 52, "Acct-Input-Gigawords", Integer;
    ACCT_OUTPUT_GIGAWORDS = 53, "Acct-Output-Gigawords", Integer;
    EVENT_TIMESTAMP = 55, "Event-Timestamp", Time;
    CHAP_CHALLENGE = 60, "CHAP-Challenge", Octets;
    NAS_PORT_TYPE = 61, "NAS-Port-Type", Integer;
    PORT_LIMIT = 62, "Port-Limit", Integer;
    LOGIN_LAT_PORT = 63, "Login-LAT-Port", Text;
    ARAP_PASSWORD = 70, "ARAP-Password", Octets, 16..=16;
    ARAP_FEATURES = 71, "ARAP-Features", Octets, 14..=14;
    ARAP_ZONE_ACCESS = 72, "ARAP-Zone-Access", Integer;
    ARAP_SECURITY = 73, "ARAP-Security", Integer;
    ARAP_SECURITY_DATA = 74, "ARAP-Security-Data", Text;
    PASSWORD_RETRY = 75, "Password-Retry", Integer;
    PROMPT = 76, "Prompt", Integer;
    CONNECT_INFO = 77, "Connect-Info", Text;
    CONFIGURATION_TOKEN = 78, "Configuration-Token", Text;
    EAP_MESSAGE = 79, "EAP-Message", Octets;
    MESSAGE_AUTHENTICATOR = 80, "Message-Authenticator", Octets, 16..=16;
    ARAP_CHALLENGE_RESPONSE = 84, "ARAP-Challenge-Response", Octets, 8..=8;
    ACCT_INTERIM_INTERVAL = 85, "Acct-Interim-Interval", Integer;
    NAS_PORT_ID = 87, "NAS-Port-Id", Text;
    FRAMED_POOL = 88, "Framed-Pool", Text;
    CHARGEABLE_USER_IDENTITY = 89, "Chargeable-User-Identity", Octets;
    NAS_IPV6_ADDRESS = 95, "NAS-IPv6-Address", Ipv6Addr;
    FRAMED_INTERFACE_ID = 96, "Framed-Interface-Id", InterfaceId;
    FRAMED_IPV6_PREFIX = 97, "Framed-IPv6-Prefix", Ipv6Prefix;
    LOGIN_IPV6_HOST = 98, "Login-IPv6-Host", Ipv6Addr;
    FRAMED_IPV6_ROUTE = 99, "Framed-IPv6-Route", Text;
    FRAMED_IPV6_POOL = 100, "Framed-IPv6-Pool", Text;
    ERROR_CAUSE = 101, "Error-Cause", Integer;
    DELEGATED_IPV6_PREFIX = 123, "Delegated-IPv6-Prefix", Ipv6Prefix;
    FRAMED_IPV6_ADDRESS = 168, "Framed-IPv6-Address", Ipv6Addr;
    DNS_SERVER_IPV6_ADDRESS = 169, "DNS-Server-IPv6-Address", Ipv6Addr;
    ROUTE_IPV6_INFORMATION = 170, "Route-IPv6-Information", Ipv6Prefix;
    DELEGATED_IPV6_PREFIX_POOL = 171, "Delegated-IPv6-Prefix-Pool", Text;
    STATEFUL_IPV6_ADDRESS_POOL = 172, "Stateful-IPv6-Address-Pool", Text;
}

/// The definition of standard attribute `typ`, if this crate knows it.
pub fn def(typ: u8) -> Option<&'static AttrDef> {
    // STANDARD is sorted by type.
    STANDARD
        .binary_search_by_key(&typ, |d| d.typ)
        .ok()
        .map(|i| &STANDARD[i])
}

/// The data type of standard attribute `typ` (`Octets` when unknown, so that
/// unknown attributes round-trip unchanged).
pub fn data_type(typ: u8) -> DataType {
    def(typ).map_or(DataType::Octets, |d| d.data_type)
}

/// An IPv6 prefix as RFC 3162 §2.3 encodes it: the prefix length and the
/// prefix octets actually present (0..=16, trailing octets may be omitted).
///
/// Bits past the prefix length "must be zero" (RFC 3162 §2.3). Both
/// [`Ipv6Prefix::new`] and parsing clear them in the prefix they give
/// ([`Ipv6Prefix::addr`]), as FreeRADIUS does when it decodes one: a server
/// that sends `2001:db8::1/64` means `2001:db8::/64`, and refusing it would
/// turn a usable Access-Accept into a failed session. The octets are kept as
/// they were on the wire ([`Ipv6Prefix::wire_octets`]) so that a parsed
/// packet is emitted byte for byte; equality compares those wire octets.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub struct Ipv6Prefix {
    /// Prefix-Length, 0..=128.
    pub len: u8,
    octets: [u8; 16],
    present: u8,
}

/// `octets` with every bit at or past `len` cleared.
fn mask(mut octets: [u8; 16], len: u8) -> [u8; 16] {
    for (i, o) in octets.iter_mut().enumerate() {
        let bit = (i as u32) * 8;
        if bit >= u32::from(len) {
            *o = 0;
        } else if bit + 8 > u32::from(len) {
            *o &= 0xffu8 << (8 - (u32::from(len) - bit));
        }
    }
    octets
}

impl Ipv6Prefix {
    /// A prefix from an address and a length, encoded with the fewest octets
    /// (`ceil(len / 8)`); `None` when `len > 128`.
    pub fn new(addr: Ipv6Addr, len: u8) -> Option<Self> {
        if len > 128 {
            return None;
        }
        Some(Ipv6Prefix {
            len,
            // Bits beyond the prefix length are zero (RFC 3162 §2.3).
            octets: mask(addr.octets(), len),
            present: len.div_ceil(8),
        })
    }

    /// The prefix as an address: omitted octets and bits past the prefix
    /// length are zero.
    pub fn addr(&self) -> Ipv6Addr {
        Ipv6Addr::from(mask(self.octets, self.len))
    }

    /// The prefix octets as they were on the wire.
    pub fn wire_octets(&self) -> &[u8] {
        &self.octets[..usize::from(self.present)]
    }

    fn parse(attr: AttrName, v: &[u8]) -> Result<Self, Error> {
        let bad = Error::BadValue { attr };
        let (&reserved, rest) = v.split_first().ok_or(bad)?;
        let (&len, prefix) = rest.split_first().ok_or(bad)?;
        if reserved != 0 || len > 128 || prefix.len() > 16 {
            return Err(bad);
        }
        let mut octets = [0u8; 16];
        octets[..prefix.len()].copy_from_slice(prefix);
        Ok(Ipv6Prefix {
            len,
            octets,
            present: prefix.len() as u8,
        })
    }
}

/// One attribute's value, decoded by its data type.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum Value<'a> {
    /// `Text` attributes, kept as octets (RADIUS servers send non-UTF-8
    /// text in the wild); see [`Value::as_str`].
    Text(&'a [u8]),
    /// Opaque octets; also every attribute this crate does not know.
    Octets(&'a [u8]),
    /// An IPv4 address.
    Ipv4(Ipv4Addr),
    /// An integer or enumeration value.
    Integer(u32),
    /// A time in seconds since 1970 (UTC).
    Time(u32),
    /// An IPv6 address.
    Ipv6(Ipv6Addr),
    /// An IPv6 prefix.
    Ipv6Prefix(Ipv6Prefix),
    /// An IPv6 interface identifier.
    InterfaceId([u8; 8]),
    /// Vendor-Specific.
    Vsa(Vsa<'a>),
    /// An "invalid attribute" (RFC 6929 §2.8): a known attribute whose value
    /// does not fit its data type (an empty text, an integer of 3 octets, a
    /// prefix length over 128...), kept as the octets received so the packet
    /// still round-trips. The typed accessors ([`Value::as_bytes`],
    /// [`crate::Packet::get`]...) skip it, as RFC 6929 §2.8 treats it like an
    /// unknown attribute; [`crate::Packet::invalid_attributes`] reports it.
    Invalid(&'a [u8]),
}

impl<'a> Value<'a> {
    /// Decodes `v` as the value of standard attribute `typ`, checking its
    /// length against the attribute's definition. [`crate::Packet::parse`]
    /// keeps a value this refuses as [`Value::Invalid`].
    pub fn parse(typ: u8, v: &'a [u8]) -> Result<Self, Error> {
        let attr = AttrName::std(typ);
        let d = def(typ);
        let ty = d.map_or(DataType::Octets, |d| d.data_type);
        if let Some(d) = d
            && (v.len() < usize::from(d.min_len) || v.len() > usize::from(d.max_len))
        {
            return Err(Error::BadLength {
                attr,
                length: v.len(),
            });
        }
        Self::parse_as(attr, ty, v)
    }

    /// Decodes `v` as a value of data type `ty` (lengths fixed by the type are
    /// checked; `attr` names the attribute in errors).
    pub fn parse_as(attr: AttrName, ty: DataType, v: &'a [u8]) -> Result<Self, Error> {
        let bad_len = Error::BadLength {
            attr,
            length: v.len(),
        };
        Ok(match ty {
            DataType::Text => Value::Text(v),
            DataType::Octets => Value::Octets(v),
            DataType::Ipv4Addr => {
                Value::Ipv4(Ipv4Addr::from(<[u8; 4]>::try_from(v).map_err(|_| bad_len)?))
            }
            DataType::Integer => {
                Value::Integer(u32::from_be_bytes(v.try_into().map_err(|_| bad_len)?))
            }
            DataType::Time => Value::Time(u32::from_be_bytes(v.try_into().map_err(|_| bad_len)?)),
            DataType::Ipv6Addr => Value::Ipv6(Ipv6Addr::from(
                <[u8; 16]>::try_from(v).map_err(|_| bad_len)?,
            )),
            DataType::Ipv6Prefix => Value::Ipv6Prefix(Ipv6Prefix::parse(attr, v)?),
            DataType::InterfaceId => Value::InterfaceId(v.try_into().map_err(|_| bad_len)?),
            DataType::Vsa => Value::Vsa(Vsa::parse(v).ok_or(bad_len)?),
        })
    }

    /// The encoded length of the value.
    pub fn buffer_len(&self) -> usize {
        match self {
            Value::Text(b) | Value::Octets(b) | Value::Invalid(b) => b.len(),
            Value::Ipv4(_) | Value::Integer(_) | Value::Time(_) => 4,
            Value::Ipv6(_) => 16,
            Value::Ipv6Prefix(p) => 2 + usize::from(p.present),
            Value::InterfaceId(_) => 8,
            Value::Vsa(v) => 4 + v.data.len(),
        }
    }

    /// Writes the value into the start of `out`: exactly `buffer_len()`
    /// octets, returned. A shorter `out` is [`Error::BufferTooShort`],
    /// with nothing written.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, Error> {
        let n = self.buffer_len();
        let out = out.get_mut(..n).ok_or(Error::BufferTooShort)?;
        match self {
            Value::Text(b) | Value::Octets(b) | Value::Invalid(b) => out.copy_from_slice(b),
            Value::Ipv4(a) => out.copy_from_slice(&a.octets()),
            Value::Integer(n) | Value::Time(n) => out.copy_from_slice(&n.to_be_bytes()),
            Value::Ipv6(a) => out.copy_from_slice(&a.octets()),
            Value::Ipv6Prefix(p) => {
                out[0] = 0;
                out[1] = p.len;
                out[2..].copy_from_slice(p.wire_octets());
            }
            Value::InterfaceId(i) => out.copy_from_slice(i),
            Value::Vsa(v) => {
                out[..4].copy_from_slice(&v.vendor.to_be_bytes());
                out[4..].copy_from_slice(v.data);
            }
        }
        Ok(n)
    }

    /// The value as text, if it is text or octets in valid UTF-8.
    pub fn as_str(&self) -> Option<&'a str> {
        match self {
            Value::Text(b) | Value::Octets(b) => core::str::from_utf8(b).ok(),
            _ => None,
        }
    }

    /// The value as octets (`Text` or `Octets`).
    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        match self {
            Value::Text(b) | Value::Octets(b) => Some(b),
            _ => None,
        }
    }

    /// The value as an integer (`Integer` or `Time`).
    pub fn as_u32(&self) -> Option<u32> {
        match self {
            Value::Integer(n) | Value::Time(n) => Some(*n),
            _ => None,
        }
    }

    /// The value as an IPv4 address.
    pub fn as_ipv4(&self) -> Option<Ipv4Addr> {
        match self {
            Value::Ipv4(a) => Some(*a),
            _ => None,
        }
    }
}

/// One attribute: its type and decoded value.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub struct Attribute<'a> {
    /// The attribute type.
    pub typ: u8,
    /// The value.
    pub value: Value<'a>,
}

impl<'a> Attribute<'a> {
    /// An attribute; the value's variant must match the type's data type
    /// (see [`data_type`]) for `parse(emit(a)) == a` to hold.
    pub const fn new(typ: u8, value: Value<'a>) -> Self {
        Attribute { typ, value }
    }

    /// Octets or text of a standard attribute.
    pub fn bytes(typ: u8, v: &'a [u8]) -> Self {
        let value = match data_type(typ) {
            DataType::Text => Value::Text(v),
            _ => Value::Octets(v),
        };
        Attribute { typ, value }
    }

    /// An integer attribute.
    pub const fn integer(typ: u8, n: u32) -> Self {
        Attribute {
            typ,
            value: Value::Integer(n),
        }
    }

    /// The encoded length including the 2-octet header.
    pub fn buffer_len(&self) -> usize {
        2 + self.value.buffer_len()
    }

    /// Whether this is an invalid attribute (RFC 6929 §2.8).
    pub fn is_invalid(&self) -> bool {
        matches!(self.value, Value::Invalid(_))
    }

    /// Why an invalid attribute is invalid (`None` for a valid one).
    pub fn invalid_reason(&self) -> Option<Error> {
        match self.value {
            Value::Invalid(v) => Some(Value::parse(self.typ, v).err().unwrap_or(Error::BadValue {
                attr: AttrName::std(self.typ),
            })),
            _ => None,
        }
    }

    /// Checks that the value fits the attribute (length 1..=253 after the
    /// header, and the definition's bounds). An invalid attribute only has
    /// to fit in one attribute: it is re-emitted as it was received.
    pub fn check(&self) -> Result<(), Error> {
        let n = self.value.buffer_len();
        let attr = AttrName::std(self.typ);
        let (min, max) = match self.value {
            Value::Invalid(_) => (0, 253),
            _ => def(self.typ).map_or((0, 253), |d| (d.min_len, d.max_len)),
        };
        if n < usize::from(min) || n > usize::from(max) || n > 253 {
            return Err(Error::BadLength { attr, length: n });
        }
        Ok(())
    }

    /// Writes type, length and value into the start of `out`: exactly
    /// `buffer_len()` octets, returned. An attribute that does not pass
    /// [`Attribute::check`] is that error, a shorter `out` is
    /// [`Error::BufferTooShort`]; nothing is written then.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, Error> {
        self.check()?;
        let n = self.buffer_len();
        let out = out.get_mut(..n).ok_or(Error::BufferTooShort)?;
        out[0] = self.typ;
        out[1] = n as u8;
        self.value.emit(&mut out[2..])?;
        Ok(n)
    }

    /// [`Attribute::emit`] into a new vector. A `Result`, unlike the other
    /// crates' `to_vec`: an attribute built by hand can hold a value its
    /// type does not allow.
    pub fn to_vec(&self) -> Result<Vec<u8>, Error> {
        let mut v = alloc::vec![0u8; self.buffer_len()];
        self.emit(&mut v)?;
        Ok(v)
    }
}
