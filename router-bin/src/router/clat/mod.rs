//! The 464XLAT CLAT (RFC 6877) for a WAN without IPv4.
//!
//! The router translates its LAN's IPv4 statelessly (xlat's SIIT with
//! [`xlat::clat::Clat`]'s address plan: the LAN's IPv4 subnet mapped into a
//! dedicated /96 of the delegated prefix, destinations embedded in the
//! ISP's NAT64 prefix) and sends it out the PPP session as IPv6; the ISP's
//! NAT64 (the PLAT) does the stateful step.

mod config;

pub use config::ClatConfig;
