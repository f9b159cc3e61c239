//! What every Sans-IO protocol machine of this workspace shares.
//!
//! The protocol crates never read a clock, never draw from an ambient random
//! source and never touch a socket. They are driven from outside:
//!
//! - [`Instant`] and [`Duration`]: a monotonic point in time, passed into every
//!   `handle_*` and `poll_*` call. The crate never asks what time it is.
//!   Behind the `std` feature, [`StdClock`] converts `std::time::Instant`.
//! - [`SeededRng`]: the one random source a machine owns, seeded by the caller
//!   (from the OS in the binaries, from a constant in tests), so every test run
//!   is reproducible. It implements [`rand_core::Rng`], so any code that takes
//!   a `rand_core` generator accepts it.
//! - [`checksum`]: the Internet checksum (RFC 1071) and its incremental update
//!   (RFC 1624), used by the IP translator, the PPPoE data path (TCP MSS
//!   clamping) and the ICMPv6/UDP codecs.
//! - [`Transmit`]: one datagram a machine wants sent, and where.
//! - [`RateLimiter`] / [`TokenBucket`]: the token bucket every rate limit
//!   uses (PADIs, PADTs, ICMP errors), exact on the injected clock.
//! - [`Secret`] and [`ct_eq`]: passwords and shared secrets, redacted in
//!   `Debug`, zeroized on drop, compared in constant time.
//! - [`DeadlineHeap`]: one deadline per key (session, lease), so a machine
//!   with many timers finds the next and the due ones without a walk.
//!
//! # The machine shape
//!
//! The reference text: every protocol machine of the workspace has this
//! shape (each crate's docs say how it applies there). The model to copy
//! is `dhcpv4-proto`.
//!
//! - **Names do not clash across crates**: public types carry the
//!   protocol prefix where a bare name would clash when two crates are
//!   imported together (`PppoeClient`, `PppoeClientConfig`,
//!   `PppoeClientEvent`, `PppSession`, `PppEvent`, the wire error
//!   `PppoeWireError`…). No bare `Client`, `Event`, `Error`, `Config` at a
//!   crate root.
//! - **Constructor**: `X::new(config, rng: SeededRng, now: Instant) ->
//!   Result<X, XConfigError>`: the machine owns its [`SeededRng`]
//!   ([`SeededRng::fork`] for sub-machines); the configuration is validated
//!   once, here (a machine whose configuration cannot be invalid may return
//!   `X`). `now` sets the first timer deadlines.
//! - **Input**: `handle_input(&mut self, now, <bytes + source>) ->
//!   Result<(), XDropped>`. `XDropped` is a small `Copy` enum, one variant
//!   per reason (`Malformed(XWireError)`, `NotOurs`, `Unexpected`,
//!   `TableFull`, …). A drop increments that reason's counter and leaves
//!   the state exactly as it was (everything is validated before anything
//!   is mutated).
//! - **Counters**: one `counters(&self) -> &XCounters` with a count per
//!   `XDropped` reason, plus what else the machine counts. No other drop
//!   accessors.
//! - **Timers**: `handle_timeout(&mut self, now)`, harmless when called
//!   early or twice; `poll_timeout(&self) -> Option<Instant>`.
//! - **Outputs**: `poll_transmit(now)` (a [`Transmit`]) and `poll_event`,
//!   both `#[must_use]`. Drain order: after each `handle_*` or command,
//!   drain `poll_transmit` then `poll_event` until `None`, and read
//!   `poll_timeout` last. `poll_transmit` takes `now` so that a machine
//!   may pace or time-stamp what it sends without a signature change; no
//!   machine of the workspace does yet (each hands out a queue filled by
//!   `handle_*` and commands), so today every one ignores it.
//! - **Commands** are methods taking `now`; misuse returns a small `Copy`
//!   error at once.
//! - **Codec contract** (every message/option type): `parse(&[u8]) ->
//!   Result<Self, XWireError>` (never panics), `buffer_len(&self)`,
//!   `emit(&self, buf: &mut [u8])` writing exactly `buffer_len()` bytes into
//!   the caller's buffer (a too-short buffer is an error), and the
//!   convenience `to_vec(&self) -> Vec<u8>`. `emit` is the exact inverse of
//!   `parse` for every accepted value; unknown options/codes round-trip.
//!   `XWireError` is a small `Copy` enum naming the field, no heap data.
//! - **Bounds**: every table a peer can grow has a configured bound; at the
//!   bound, an explicit drop reason or event.
//! - **Secrets** are [`Secret`]s: never in `Debug`/`Display`, zeroized on
//!   drop, compared with [`ct_eq`].
//!
//! A crate that departs from this shape says where and why in its own
//! crate docs ("Departures from the shape").
//!
//! # Example
//!
//! ```
//! use sansio_primitives::{checksum, Duration, Instant, SeededRng, Transmit};
//! use rand_core::Rng;
//!
//! let start = Instant::ZERO;
//! let deadline = start + Duration::from_secs(3);
//! assert_eq!(deadline - start, Duration::from_secs(3));
//!
//! let mut rng = SeededRng::from_u64(7);
//! let xid = rng.next_u32();
//! assert_eq!(SeededRng::from_u64(7).next_u32(), xid); // same seed, same draw
//!
//! let mut header = [0x45u8, 0x00, 0x00, 0x1c, 0x00, 0x00];
//! let c = checksum::checksum(&header);
//! header[4..6].copy_from_slice(&c.to_be_bytes());
//! assert!(checksum::verify(&header));
//!
//! let t = Transmit { destination: "peer", payload: vec![1, 2, 3] };
//! assert_eq!(t.payload.len(), 3);
//! ```
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod checksum;
mod deadline;
mod limit;
mod rng;
mod secret;
mod time;
mod transmit;

pub use deadline::DeadlineHeap;
pub use limit::{RateLimit, RateLimiter, TokenBucket};
pub use rand_core;
pub use rng::SeededRng;
pub use secret::{Secret, ct_eq};
#[cfg(feature = "std")]
pub use time::StdClock;
pub use time::{Duration, Instant};
pub use transmit::Transmit;
