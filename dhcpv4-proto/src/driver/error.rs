//! What a driver step reports.

use std::io;
use std::net::SocketAddrV4;
use std::string::String;

/// What went wrong in one [`Dhcpv4ServerDriver::step`](super::Dhcpv4ServerDriver::step). The driver goes on.
#[derive(Debug, thiserror::Error)]
pub enum Dhcpv4DriverError {
    /// Receiving failed.
    #[error("receive: {0}")]
    Recv(io::Error),
    /// The lease write failed: the replies held for it were dropped.
    #[error("lease store write failed, replies dropped: {0}")]
    Store(String),
    /// The writer task died with the store: no reply leaves any more.
    #[error("lease writer died, the store is lost: {0}")]
    StoreLost(String),
    /// A reply could not be sent (the client retransmits).
    #[error("send to {to}: {error}")]
    Send {
        /// Where it was going.
        to: SocketAddrV4,
        /// Why it failed.
        error: io::Error,
    },
    /// The socket's send buffer was full: this many replies of one flush
    /// were dropped (the clients retransmit), one error for all of them.
    #[error("send buffer full: {refused} replies dropped")]
    SendBufferFull {
        /// Replies dropped.
        refused: usize,
    },
}
