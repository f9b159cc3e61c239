//! Async drivers on tokio (feature `tokio`): each owns a machine, its UDP
//! socket(s) and the clock, so an application awaits answers instead of
//! pumping `poll_*` itself. The machines stay runtime-free; this module is
//! the only place tokio appears.
//!
//! - [`RadiusClientDriver`]: send a request, await its verified answer;
//!   retransmission and failover happen inside, over the
//!   [`crate::client::RadiusClientConfig::sources`] sockets it owns. When all
//!   Identifiers are in flight, further requests wait in a FIFO until one is
//!   free (RFC 2865 §3 back-pressure, instead of an error), up to a bound
//!   checked at once (`try_*`, for event loops that must not stall); an
//!   Accounting-On gate ([`RadiusClientDriver::accounting_on`]) tells a NAS
//!   when it may accept sessions.
//! - [`DynAuthDriver`]: the CoA/Disconnect listener on one socket, handing
//!   verified requests to the application and sending its answers.

mod client;
mod dynauth;
mod task;

pub use client::{RadiusAnswer, RadiusClientDriver, RadiusDriverError};
pub use dynauth::DynAuthDriver;

use sansio_primitives::{Instant, StdClock};

/// How long from `now` until `deadline` (zero when passed), for tokio's sleep.
fn until(clock: &StdClock, deadline: Instant) -> std::time::Duration {
    deadline.saturating_duration_since(clock.now())
}
