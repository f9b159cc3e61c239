//! RFC 6146 §3.5.2.2's TCP session state machine, driven by the flags of
//! the segments each way.

/// The flags of a TCP segment the state machine looks at (§3.5.2.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpFlags {
    /// SYN.
    pub syn: bool,
    /// FIN.
    pub fin: bool,
    /// RST.
    pub rst: bool,
}

impl TcpFlags {
    /// No flag (and what UDP and ICMP pass).
    pub const NONE: TcpFlags = TcpFlags {
        syn: false,
        fin: false,
        rst: false,
    };
    /// A SYN.
    pub const SYN: TcpFlags = TcpFlags {
        syn: true,
        fin: false,
        rst: false,
    };
}

/// RFC 6146 §3.5.2.2's TCP session states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpState {
    /// No TCP state (also every UDP and ICMP session).
    Closed,
    /// A SYN came from the IPv4 side.
    V4Init,
    /// A SYN came from the IPv6 side.
    V6Init,
    /// SYNs both ways.
    Established,
    /// A FIN from the IPv4 side.
    V4FinRcv,
    /// A FIN from the IPv6 side.
    V6FinRcv,
    /// FINs both ways.
    V4FinV6FinRcv,
    /// After an RST.
    Trans,
}

/// Which side a packet came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    V6,
    V4,
}

/// §3.5.2.2: the next state and whether the lifetime becomes TCP_EST
/// (`Some(true)`), TCP_TRANS (`Some(false)`) or stays (`None`).
pub(crate) fn tcp_step(state: TcpState, side: Side, f: TcpFlags) -> (TcpState, Option<bool>) {
    use TcpState::*;
    match (state, side) {
        (Closed, Side::V6) if f.syn => (V6Init, Some(false)),
        (Closed, Side::V4) if f.syn => (V4Init, Some(false)),
        (V6Init, Side::V4) | (V4Init, Side::V6) if f.syn => (Established, Some(true)),
        (V6Init, Side::V6) | (V4Init, Side::V4) if f.syn => (state, Some(false)),
        (Established | V4FinRcv | V6FinRcv, _) if f.rst => (Trans, Some(false)),
        (Established, Side::V4) if f.fin => (V4FinRcv, Some(true)),
        (Established, Side::V6) if f.fin => (V6FinRcv, Some(true)),
        (V4FinRcv, Side::V6) | (V6FinRcv, Side::V4) if f.fin => (V4FinV6FinRcv, Some(false)),
        (Established | V4FinRcv | V6FinRcv, _) => (state, Some(true)),
        (V4FinV6FinRcv, _) => (state, None),
        (Trans, _) if !f.rst => (Established, Some(true)),
        _ => (state, None),
    }
}
