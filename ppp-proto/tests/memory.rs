//! Memory an access concentrator holds per established session.

mod common;

use common::*;
use proto_core::Duration;

#[test]
fn established_authenticator_session_is_under_2_kib() {
    let mut p = Pair::new(peer_config(), ac_config(), 1);
    p.open();
    assert!(p.run_until(Duration::from_secs(5), Pair::both_up));
    // Drained (as the driver does after every call).
    p.drain();
    let ac = p.ac.memory_footprint();
    let peer = p.peer.memory_footprint();
    eprintln!(
        "size_of::<Session>() = {} B; established footprint: authenticator {ac} B, peer {peer} B",
        size_of::<ppp_proto::Session>()
    );
    assert!(ac < 2048, "{ac}");
    assert!(peer < 2048, "{peer}");
}
