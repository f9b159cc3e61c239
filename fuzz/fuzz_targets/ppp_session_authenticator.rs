//! The PPP session in the authenticator role: arbitrary frames and timer
//! ticks into `handle_input` (see ppp_session_common.rs).
#![no_main]

#[path = "ppp_session_common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::run(data, true));
