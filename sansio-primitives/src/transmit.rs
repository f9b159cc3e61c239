//! The output a machine hands to its driver: bytes and a destination.

use alloc::vec::Vec;

/// One datagram a machine wants sent.
///
/// `A` is the protocol's notion of "where": a MAC address for PPPoE
/// discovery, a socket address for DHCP or RADIUS, a server index for a
/// client with failover. Control-plane machines build each message as an
/// owned buffer; the per-packet data paths (PPPoE session framing, IP
/// translation) work in place on caller buffers instead and do not use this
/// type.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Transmit<A> {
    /// Where the datagram goes.
    pub destination: A,
    /// The whole datagram as it goes on the wire (or into the socket).
    pub payload: Vec<u8>,
}
