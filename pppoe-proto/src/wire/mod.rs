//! The PPPoE codec (RFC 2516 §4, §5 and Appendix A; RFC 4638).
//!
//! Two layers per message, as in smoltcp:
//!
//! - *views* ([`EthernetFrame`], [`PppoeHeader`]) over any `T: AsRef<[u8]>`:
//!   field getters (and setters on `AsMut`). `new_checked` verifies every
//!   length field against the buffer, after which no getter panics. These are
//!   what the session data path ([`crate::session`]) uses: no nom, no
//!   allocation.
//! - *Reprs* ([`EthernetRepr`], [`DiscoveryRepr`], [`DiscoveryFrame`]):
//!   validated values with `parse`, `buffer_len` and `emit`. Parsing borrows
//!   the input (tag values are `&[u8]` into it); `emit` writes into a caller
//!   buffer and is the exact inverse of `parse` for every value `parse`
//!   accepts: unknown tags, tag order, repeated multi-valued tags, the bytes
//!   after an End-Of-List tag and the Ethernet padding after the PPPoE
//!   payload all round-trip.
//!
//! # Contract
//!
//! No function here panics on any input. Malformed bytes give an
//! [`Error`] naming the field or the tag: a truncated header, a
//! PPPoE LENGTH past the frame, a tag whose length lies, a fixed-size tag of
//! the wrong size, a single-valued tag given twice, wrong VER/TYPE.
//!
//! ```
//! use pppoe_proto::wire::{Code, DiscoveryFrame, DiscoveryRepr, EthernetAddress, EthernetRepr, Tag};
//!
//! let mut pppoe = DiscoveryRepr::new(Code::Padi, 0);
//! pppoe.push(Tag::ServiceName(b"")).unwrap();
//! pppoe.push(Tag::HostUniq(&[1, 2, 3, 4])).unwrap();
//! let frame = DiscoveryFrame::new(
//!     EthernetRepr::discovery(EthernetAddress::BROADCAST, EthernetAddress([2, 0, 0, 0, 0, 1])),
//!     pppoe,
//! );
//! let mut buf = [0u8; 64];
//! let n = frame.emit(&mut buf).unwrap();
//! assert_eq!(n, frame.buffer_len());
//! assert_eq!(n, 14 + 6 + 4 + 8);
//! let parsed = DiscoveryFrame::parse(&buf[..n]).unwrap();
//! assert_eq!(parsed, frame);
//! assert_eq!(parsed.pppoe.host_uniq(), Some(&[1u8, 2, 3, 4][..]));
//! ```

mod discovery;
mod error;
mod ethernet;
mod header;
mod tag;

pub use discovery::{DiscoveryFrame, DiscoveryRepr, MAX_TAGS};
pub use error::Error;
pub use ethernet::{EtherType, EthernetAddress, EthernetFrame, EthernetRepr};
pub use header::{Code, HEADER_LEN as PPPOE_HEADER_LEN, PppoeHeader};
pub use tag::{Tag, TagIter, TagType};
