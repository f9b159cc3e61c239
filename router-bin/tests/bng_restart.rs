//! The `bng` binary restarted under its sessions: the clients' session
//! frames reach a bng that does not know their sessions and are answered
//! with a PADT (RFC 2516 §5.5), so a client redials at once instead of
//! waiting for its LCP echo timeout.

mod bng_support;
mod common;

use std::time::{Duration, Instant};

use bng_support::{Bed, ISP, dial_up};
use common::dialer::Seen;
use common::icmp::icmpv4_echo;
use nix::sys::signal::Signal;
use pppoe_link::ClientLinkEvent;
use pppoe_proto::PppoeClientEvent;

#[test]
fn a_client_of_a_restarted_bng_gets_a_padt_and_redials() {
    let Some(mut bed) = Bed::start("bng-restart", true, "") else {
        return;
    };
    let mut d = bed.dialer(b"alice", b"wonderland", 1);
    let addr = dial_up(&mut d, || bed.log());
    // The bng dies without a word (no Terminate-Request, no PADT) and
    // comes back.
    bed.bng.signal(Signal::SIGKILL).unwrap();
    bed.bng.wait_timeout(Duration::from_secs(5)).unwrap();
    bed.bng = bed
        .tb
        .spawn(
            &bed.isp,
            &[
                env!("CARGO_BIN_EXE_bng"),
                "--config",
                bed.config.to_str().unwrap(),
            ],
        )
        .unwrap();
    bed.wait_log("bng ready", Duration::from_secs(10));
    // The client's next packet in its old session gets a PADT.
    let t = Instant::now();
    d.send_data(0x0021, &icmpv4_echo(addr, ISP, 1, 1));
    let padt = d.run_until(Duration::from_secs(2), |s| {
        matches!(
            s,
            Seen::Link(ClientLinkEvent::Pppoe(PppoeClientEvent::SessionDown { .. }))
        )
    });
    let took = t.elapsed();
    eprintln!("PADT {took:?} after the first frame to the restarted bng");
    assert!(padt, "no PADT: {:?}\n{}", d.log, bed.log());
    assert!(took < Duration::from_secs(1), "{took:?}");
    drop(d);
    // It redials.
    let mut d = bed.dialer(b"alice", b"wonderland", 2);
    dial_up(&mut d, || bed.log());
}
