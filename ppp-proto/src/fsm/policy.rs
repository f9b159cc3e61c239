//! What a protocol supplies to the automaton ([`Policy`], [`Verdict`]), where
//! its output goes ([`Sink`]), and its timer settings ([`Timers`]).

use alloc::vec::Vec;
use sansio_primitives::{Duration, SeededRng};

use super::Action;
use crate::wire::cp::{ConfigOption, CpPacket};

/// Where the automaton's output goes.
pub trait Sink {
    /// A packet (Code..Data) to send with this PPP protocol number.
    fn send(&mut self, protocol: u16, packet: Vec<u8>);
    /// An action, in table order (sends come with their own [`Sink::send`]).
    fn action(&mut self, protocol: u16, action: Action);
}

/// Restart timer and counters (RFC 1661 §4.6); defaults 3 s, 2, 10, 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timers {
    /// Restart timer.
    pub restart: Duration,
    /// Max-Terminate.
    pub max_terminate: u8,
    /// Max-Configure.
    pub max_configure: u8,
    /// Max-Failure.
    pub max_failure: u8,
}

impl Default for Timers {
    fn default() -> Self {
        Timers {
            restart: Duration::from_secs(3),
            max_terminate: 2,
            max_configure: 10,
            max_failure: 5,
        }
    }
}

/// A policy's answer for one option of the peer's Configure-Request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict<O> {
    /// Acceptable as is.
    Ack,
    /// Not acceptable; suggest this value instead.
    Nak(O),
    /// Not recognised or not negotiable.
    Reject,
}

/// What a protocol (LCP, IPCP, IPv6CP) supplies to the automaton.
pub trait Policy {
    /// The protocol's option type.
    type Opt<'a>: ConfigOption<'a>;
    /// The PPP protocol number.
    const PROTOCOL: u16;
    /// True for LCP: codes 8–11 (Protocol-Reject, Echo, Discard) exist.
    const EXTENDED_CODES: bool = false;

    /// A negotiation starts: restore the options we want to request.
    fn reset(&mut self, rng: &mut SeededRng);
    /// Writes our Configure-Request options.
    fn write_request(&self, out: &mut Vec<u8>);
    /// A Configure-Request from the peer is about to be judged.
    fn begin_peer_request(&mut self) {}
    /// The verdict for one option of the peer's Configure-Request.
    fn peer_option(
        &mut self,
        opt: &Self::Opt<'_>,
        rng: &mut SeededRng,
    ) -> Verdict<Self::Opt<'static>>;
    /// Appends Nak suggestions for options we need but the peer left out.
    fn peer_missing(&mut self, _rng: &mut SeededRng, _nak: &mut Vec<u8>) {}
    /// Our request was acknowledged.
    fn ack_received(&mut self) {}
    /// The peer Nak'd one of our options (or suggested one) with this value.
    fn nak_received(&mut self, opt: &Self::Opt<'_>, rng: &mut SeededRng);
    /// The peer rejected one of our options: stop requesting it.
    fn reject_received(&mut self, opt: &Self::Opt<'_>);
    /// RXR in Opened: the reply to send, if any (LCP's Echo-Reply).
    fn rxr(&mut self, _packet: &CpPacket<'_>) -> Option<Vec<u8>> {
        None
    }
}

/// What a received packet meant beyond the automaton.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// Handled by the automaton.
    Handled,
    /// A Protocol-Reject of another protocol (LCP only): the caller stops
    /// using it.
    ProtocolReject(u16),
}
