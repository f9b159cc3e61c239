//! The options of RFC 2132 (and RFC 3046, 3397, 3442) that the machines use,
//! decoded from their reassembled data; any other option stays raw.

use alloc::vec::Vec;
use core::net::Ipv4Addr;

use super::Error;
use super::dns::{DomainName, decode_search_list, encode_search_list, search_list_len};
use super::routes::{Route, decode_routes, encode_routes};

/// Option codes (RFC 2132 unless noted).
pub mod code {
    /// Pad (§3.1).
    pub const PAD: u8 = 0;
    /// Subnet mask (§3.3).
    pub const SUBNET_MASK: u8 = 1;
    /// Router (§3.5).
    pub const ROUTER: u8 = 3;
    /// Domain name server (§3.8).
    pub const DOMAIN_NAME_SERVER: u8 = 6;
    /// Host name (§3.14).
    pub const HOST_NAME: u8 = 12;
    /// Domain name (§3.17).
    pub const DOMAIN_NAME: u8 = 15;
    /// Interface MTU (§5.1).
    pub const INTERFACE_MTU: u8 = 26;
    /// Requested IP address (§9.1).
    pub const REQUESTED_IP_ADDRESS: u8 = 50;
    /// IP address lease time (§9.2).
    pub const IP_ADDRESS_LEASE_TIME: u8 = 51;
    /// Option overload (§9.3).
    pub const OVERLOAD: u8 = 52;
    /// DHCP message type (§9.6).
    pub const MESSAGE_TYPE: u8 = 53;
    /// Server identifier (§9.7).
    pub const SERVER_IDENTIFIER: u8 = 54;
    /// Parameter request list (§9.8).
    pub const PARAMETER_REQUEST_LIST: u8 = 55;
    /// Message (§9.9).
    pub const MESSAGE: u8 = 56;
    /// Maximum DHCP message size (§9.10).
    pub const MAX_MESSAGE_SIZE: u8 = 57;
    /// Renewal (T1) time (§9.11).
    pub const RENEWAL_TIME: u8 = 58;
    /// Rebinding (T2) time (§9.12).
    pub const REBINDING_TIME: u8 = 59;
    /// Vendor class identifier (§9.13).
    pub const VENDOR_CLASS: u8 = 60;
    /// Client identifier (§9.14).
    pub const CLIENT_IDENTIFIER: u8 = 61;
    /// Relay agent information (RFC 3046).
    pub const RELAY_AGENT_INFORMATION: u8 = 82;
    /// IPv6-Only Preferred (RFC 8925).
    pub const IPV6_ONLY_PREFERRED: u8 = 108;
    /// Domain search (RFC 3397).
    pub const DOMAIN_SEARCH: u8 = 119;
    /// Classless static route (RFC 3442).
    pub const CLASSLESS_STATIC_ROUTE: u8 = 121;
    /// End (§3.2).
    pub const END: u8 = 255;
}

/// The DHCP message type (option 53, RFC 2132 §9.6).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum MessageType {
    /// DHCPDISCOVER (1).
    Discover,
    /// DHCPOFFER (2).
    Offer,
    /// DHCPREQUEST (3).
    Request,
    /// DHCPDECLINE (4).
    Decline,
    /// DHCPACK (5).
    Ack,
    /// DHCPNAK (6).
    Nak,
    /// DHCPRELEASE (7).
    Release,
    /// DHCPINFORM (8).
    Inform,
    /// Any other value (lease query and others), kept as is.
    Unknown(u8),
}

impl From<u8> for MessageType {
    fn from(v: u8) -> Self {
        match v {
            1 => MessageType::Discover,
            2 => MessageType::Offer,
            3 => MessageType::Request,
            4 => MessageType::Decline,
            5 => MessageType::Ack,
            6 => MessageType::Nak,
            7 => MessageType::Release,
            8 => MessageType::Inform,
            n => MessageType::Unknown(n),
        }
    }
}

impl From<MessageType> for u8 {
    fn from(t: MessageType) -> u8 {
        match t {
            MessageType::Discover => 1,
            MessageType::Offer => 2,
            MessageType::Request => 3,
            MessageType::Decline => 4,
            MessageType::Ack => 5,
            MessageType::Nak => 6,
            MessageType::Release => 7,
            MessageType::Inform => 8,
            MessageType::Unknown(n) => n,
        }
    }
}

/// One option after reassembly (RFC 3396), other than Pad, End, Overload
/// and Message Type, which [`super::Message`] handles itself.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum DhcpOption {
    /// 1: the client's subnet mask.
    SubnetMask(Ipv4Addr),
    /// 3: routers, in order of preference.
    Router(Vec<Ipv4Addr>),
    /// 6: DNS servers, in order of preference.
    DomainNameServer(Vec<Ipv4Addr>),
    /// 12: the client's host name (octets as sent).
    HostName(Vec<u8>),
    /// 15: the domain name (octets as sent, usually dotted ASCII).
    DomainName(Vec<u8>),
    /// 26: the interface MTU.
    InterfaceMtu(u16),
    /// 50: the address the client asks for.
    RequestedIpAddress(Ipv4Addr),
    /// 51: lease time in seconds (`0xffff_ffff` is infinite).
    IpAddressLeaseTime(u32),
    /// 54: the server identifier.
    ServerIdentifier(Ipv4Addr),
    /// 55: the option codes the client asks for, in its order.
    ParameterRequestList(Vec<u8>),
    /// 56: a text message (usually why a NAK).
    Message(Vec<u8>),
    /// 57: the largest DHCP message the client accepts.
    MaxMessageSize(u16),
    /// 58: T1, seconds until RENEWING.
    RenewalTime(u32),
    /// 59: T2, seconds until REBINDING.
    RebindingTime(u32),
    /// 60: vendor class identifier.
    VendorClass(Vec<u8>),
    /// 61: client identifier (type octet then value).
    ClientIdentifier(Vec<u8>),
    /// 82: relay agent information, passed through untouched (RFC 3046).
    RelayAgentInformation(Vec<u8>),
    /// 108: IPv6-Only Preferred (RFC 8925): V6ONLY_WAIT, seconds the
    /// client leaves IPv4 alone. A client asks with an empty value, which
    /// is not this variant but a 108 in its parameter request list.
    Ipv6OnlyPreferred(u32),
    /// 119: the domain search list (RFC 3397).
    DomainSearch(Vec<DomainName>),
    /// 121: classless static routes (RFC 3442).
    ClasslessStaticRoute(Vec<Route>),
    /// Any other option, raw.
    Unknown {
        /// The option code (never 0, 52, 53 or 255).
        code: u8,
        /// The reassembled data.
        data: Vec<u8>,
    },
}

fn addr(data: &[u8]) -> Ipv4Addr {
    let mut a = [0u8; 4];
    a.copy_from_slice(&data[..4]);
    Ipv4Addr::from(a)
}

fn addrs(data: &[u8]) -> Vec<Ipv4Addr> {
    data.chunks_exact(4).map(addr).collect()
}

impl DhcpOption {
    /// The option code.
    pub fn code(&self) -> u8 {
        use DhcpOption::*;
        match self {
            SubnetMask(_) => code::SUBNET_MASK,
            Router(_) => code::ROUTER,
            DomainNameServer(_) => code::DOMAIN_NAME_SERVER,
            HostName(_) => code::HOST_NAME,
            DomainName(_) => code::DOMAIN_NAME,
            InterfaceMtu(_) => code::INTERFACE_MTU,
            RequestedIpAddress(_) => code::REQUESTED_IP_ADDRESS,
            IpAddressLeaseTime(_) => code::IP_ADDRESS_LEASE_TIME,
            ServerIdentifier(_) => code::SERVER_IDENTIFIER,
            ParameterRequestList(_) => code::PARAMETER_REQUEST_LIST,
            Message(_) => code::MESSAGE,
            MaxMessageSize(_) => code::MAX_MESSAGE_SIZE,
            RenewalTime(_) => code::RENEWAL_TIME,
            RebindingTime(_) => code::REBINDING_TIME,
            VendorClass(_) => code::VENDOR_CLASS,
            ClientIdentifier(_) => code::CLIENT_IDENTIFIER,
            RelayAgentInformation(_) => code::RELAY_AGENT_INFORMATION,
            Ipv6OnlyPreferred(_) => code::IPV6_ONLY_PREFERRED,
            DomainSearch(_) => code::DOMAIN_SEARCH,
            ClasslessStaticRoute(_) => code::CLASSLESS_STATIC_ROUTE,
            Unknown { code, .. } => *code,
        }
    }

    /// Decodes one option from its reassembled data.
    pub fn decode(option: u8, data: &[u8]) -> Result<DhcpOption, Error> {
        use DhcpOption::*;
        let len = data.len();
        let bad_len = Err(Error::BadLength { code: option, len });
        let u32_at = |d: &[u8]| u32::from_be_bytes([d[0], d[1], d[2], d[3]]);
        Ok(match option {
            code::SUBNET_MASK | code::REQUESTED_IP_ADDRESS | code::SERVER_IDENTIFIER => {
                if len != 4 {
                    return bad_len;
                }
                match option {
                    code::SUBNET_MASK => SubnetMask(addr(data)),
                    code::REQUESTED_IP_ADDRESS => RequestedIpAddress(addr(data)),
                    _ => ServerIdentifier(addr(data)),
                }
            }
            code::ROUTER | code::DOMAIN_NAME_SERVER => {
                if len == 0 || !len.is_multiple_of(4) {
                    return bad_len;
                }
                if option == code::ROUTER {
                    Router(addrs(data))
                } else {
                    DomainNameServer(addrs(data))
                }
            }
            code::IP_ADDRESS_LEASE_TIME
            | code::RENEWAL_TIME
            | code::REBINDING_TIME
            | code::IPV6_ONLY_PREFERRED => {
                if len != 4 {
                    return bad_len;
                }
                let v = u32_at(data);
                match option {
                    code::IP_ADDRESS_LEASE_TIME => IpAddressLeaseTime(v),
                    code::RENEWAL_TIME => RenewalTime(v),
                    code::IPV6_ONLY_PREFERRED => Ipv6OnlyPreferred(v),
                    _ => RebindingTime(v),
                }
            }
            code::INTERFACE_MTU | code::MAX_MESSAGE_SIZE => {
                if len != 2 {
                    return bad_len;
                }
                let v = u16::from_be_bytes([data[0], data[1]]);
                if option == code::INTERFACE_MTU {
                    InterfaceMtu(v)
                } else {
                    MaxMessageSize(v)
                }
            }
            code::HOST_NAME
            | code::DOMAIN_NAME
            | code::PARAMETER_REQUEST_LIST
            | code::MESSAGE
            | code::VENDOR_CLASS
            | code::RELAY_AGENT_INFORMATION => {
                if len == 0 {
                    return bad_len;
                }
                let v = data.to_vec();
                match option {
                    code::HOST_NAME => HostName(v),
                    code::DOMAIN_NAME => DomainName(v),
                    code::PARAMETER_REQUEST_LIST => ParameterRequestList(v),
                    code::MESSAGE => Message(v),
                    code::VENDOR_CLASS => VendorClass(v),
                    _ => RelayAgentInformation(v),
                }
            }
            code::CLIENT_IDENTIFIER => {
                if len < 2 {
                    return bad_len;
                }
                ClientIdentifier(data.to_vec())
            }
            code::DOMAIN_SEARCH => {
                if len == 0 {
                    return bad_len;
                }
                DomainSearch(decode_search_list(data)?)
            }
            code::CLASSLESS_STATIC_ROUTE => {
                if len < 5 {
                    return bad_len;
                }
                ClasslessStaticRoute(decode_routes(data)?)
            }
            code => Unknown {
                code,
                data: data.to_vec(),
            },
        })
    }

    /// The length of the (unsplit) option data.
    pub fn data_len(&self) -> usize {
        use DhcpOption::*;
        match self {
            SubnetMask(_) | RequestedIpAddress(_) | ServerIdentifier(_) => 4,
            IpAddressLeaseTime(_) | RenewalTime(_) | RebindingTime(_) | Ipv6OnlyPreferred(_) => 4,
            InterfaceMtu(_) | MaxMessageSize(_) => 2,
            Router(v) | DomainNameServer(v) => 4 * v.len(),
            HostName(v)
            | DomainName(v)
            | ParameterRequestList(v)
            | Message(v)
            | VendorClass(v)
            | ClientIdentifier(v)
            | RelayAgentInformation(v) => v.len(),
            Unknown { data, .. } => data.len(),
            DomainSearch(names) => search_list_len(names),
            ClasslessStaticRoute(routes) => routes.iter().map(Route::wire_len).sum(),
        }
    }

    /// Appends the option data (without code and length) to `out`.
    pub fn encode_data(&self, out: &mut Vec<u8>) {
        use DhcpOption::*;
        match self {
            SubnetMask(a) | RequestedIpAddress(a) | ServerIdentifier(a) => {
                out.extend_from_slice(&a.octets())
            }
            IpAddressLeaseTime(v) | RenewalTime(v) | RebindingTime(v) | Ipv6OnlyPreferred(v) => {
                out.extend_from_slice(&v.to_be_bytes())
            }
            InterfaceMtu(v) | MaxMessageSize(v) => out.extend_from_slice(&v.to_be_bytes()),
            Router(v) | DomainNameServer(v) => {
                for a in v {
                    out.extend_from_slice(&a.octets());
                }
            }
            HostName(v)
            | DomainName(v)
            | ParameterRequestList(v)
            | Message(v)
            | VendorClass(v)
            | ClientIdentifier(v)
            | RelayAgentInformation(v) => out.extend_from_slice(v),
            Unknown { data, .. } => out.extend_from_slice(data),
            DomainSearch(names) => encode_search_list(names, out),
            ClasslessStaticRoute(routes) => encode_routes(routes, out),
        }
    }

    /// Octets this option takes on the wire: code and length per 255-octet
    /// instance (RFC 3396), plus the data. An empty option takes 2.
    pub fn wire_len(&self) -> usize {
        let n = self.data_len();
        n + 2 * n.div_ceil(255).max(1)
    }
}
