//! dhcpv4-proto (being written).
#![no_std]
#![forbid(unsafe_code)]
