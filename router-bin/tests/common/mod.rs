//! Shared by the integration tests: the real rp-pppoe + pppd VM of
//! `../shared/peers/pppoe-vm/`, and a blocking driver that runs a Sans-IO
//! machine over an AF_PACKET socket.
#![allow(dead_code)] // each test binary uses a different part

pub mod concentrator;
pub mod dialer;
pub mod icmp;
pub mod isp6;
pub mod pppoe_vm;
