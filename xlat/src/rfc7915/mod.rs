//! RFC 7915 translation as named steps: one file per direction, one
//! function per header field or ICMP case; `order.md` says why the steps
//! run in the order they do.

pub(crate) mod common;
pub(crate) mod icmp_error;
pub(crate) mod v4_to_v6;
pub(crate) mod v6_to_v4;
