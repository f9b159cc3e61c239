//! RFC 2516 §7 and RFC 4638 through the link: LCP never asks for an MRU
//! larger than PPPoE carries, and `LinkUp` never reports an MTU larger
//! than that, whatever either PPP configuration says.

mod common;

use common::{From, Pair, lcp_request_mru};
use ppp_proto::PppEvent;
use pppoe_link::{ClientLinkEvent, PPP_IPV4};

/// The MRUs each side asked for in its LCP Configure-Requests.
fn requested_mrus(pair: &Pair, from: From) -> Vec<u16> {
    pair.frames
        .iter()
        .filter(|(f, _)| *f == from)
        .filter_map(|(_, frame)| lcp_request_mru(frame))
        .collect()
}

#[test]
fn jumbo_mru_configured_on_plain_pppoe_is_capped_at_1492() {
    let (home_pppoe, mut home_ppp, ac, mut ac_ppp) = Pair::configs();
    home_ppp.lcp.mru = 9000;
    ac_ppp.lcp.mru = 9000;
    let mut pair = Pair::new(home_pppoe, home_ppp, ac, ac_ppp);
    assert!(pair.dial());

    let home = requested_mrus(&pair, From::Home);
    let ac = requested_mrus(&pair, From::Ac);
    assert!(!home.is_empty() && !ac.is_empty());
    assert!(
        home.iter().chain(&ac).all(|&m| m == 1492),
        "home {home:?}, ac {ac:?}"
    );
    assert_eq!(pair.link_up_mtus(), (Some(1492), Some(1492)));

    // The data path is held to it too.
    let mut buf = [0u8; 2048];
    assert!(
        pair.home
            .encapsulate_data(PPP_IPV4, &[0; 1492], &mut buf)
            .is_ok()
    );
    assert!(
        pair.home
            .encapsulate_data(PPP_IPV4, &[0; 1493], &mut buf)
            .is_err()
    );
}

#[test]
fn smaller_configured_mru_is_kept() {
    let (home_pppoe, mut home_ppp, ac, ac_ppp) = Pair::configs();
    home_ppp.lcp.mru = 1400;
    let mut pair = Pair::new(home_pppoe, home_ppp, ac, ac_ppp);
    assert!(pair.dial());
    assert!(requested_mrus(&pair, From::Home).iter().all(|&m| m == 1400));
    // The AC sends at most the home router's MRU; the home router may send
    // up to 1492.
    assert_eq!(pair.link_up_mtus(), (Some(1492), Some(1400)));
}

#[test]
fn rfc4638_payload_raises_mru_only_when_both_agree() {
    // Both ends agree on 1500: LCP asks for 1500 (not the configured
    // 9000), LinkUp reports 1500.
    let (mut home_pppoe, mut home_ppp, mut ac, ac_ppp) = Pair::configs();
    home_pppoe.ppp_max_payload = Some(1500);
    ac.ppp_max_payload = Some(1500);
    home_ppp.lcp.mru = 9000;
    let mut pair = Pair::new(home_pppoe, home_ppp, ac, ac_ppp);
    assert!(pair.dial());
    assert!(requested_mrus(&pair, From::Home).iter().all(|&m| m == 1500));
    assert!(requested_mrus(&pair, From::Ac).iter().all(|&m| m == 1500));
    assert_eq!(pair.link_up_mtus(), (Some(1500), Some(1500)));

    // Only the home router asks: plain PPPoE, 1492.
    let (mut home_pppoe, home_ppp, ac, ac_ppp) = Pair::configs();
    home_pppoe.ppp_max_payload = Some(1500);
    let mut pair = Pair::new(home_pppoe, home_ppp, ac, ac_ppp);
    assert!(pair.dial());
    assert!(requested_mrus(&pair, From::Home).iter().all(|&m| m == 1492));
    assert_eq!(pair.link_up_mtus(), (Some(1492), Some(1492)));
    assert!(pair.home_events.iter().all(|e| match e {
        ClientLinkEvent::Ppp(PppEvent::LinkUp { mtu }) => *mtu <= 1492,
        _ => true,
    }));
}

/// A peer asking for MRU 9000 on a plain PPPoE link (RFC 2516 §7 says it
/// must not) is acknowledged by PPP, but `LinkUp` still reports 1492 and
/// the data path stays within it.
#[test]
fn peer_asking_for_jumbo_mru_still_gets_1492() {
    fn jumbo(from: From, frame: &mut [u8], rewrite: From) {
        if from == rewrite {
            common::set_lcp_request_mru(frame, 9000);
        }
    }
    // The AC's requests are rewritten: the home router's LinkUp.
    let (home_pppoe, home_ppp, ac, ac_ppp) = Pair::configs();
    let mut pair = Pair::new(home_pppoe, home_ppp, ac, ac_ppp);
    pair.tamper = |from, f| jumbo(from, f, From::Ac);
    pair.dial();
    assert_eq!(pair.link_up_mtus().0, Some(1492));
    let mut buf = [0u8; 2048];
    assert!(
        pair.home
            .encapsulate_data(PPP_IPV4, &[0; 1493], &mut buf)
            .is_err()
    );

    // The home router's requests are rewritten: the AC's LinkUp.
    let (home_pppoe, home_ppp, ac, ac_ppp) = Pair::configs();
    let mut pair = Pair::new(home_pppoe, home_ppp, ac, ac_ppp);
    pair.tamper = |from, f| jumbo(from, f, From::Home);
    pair.dial();
    assert_eq!(pair.link_up_mtus().1, Some(1492));
}

/// While set, the home router's LCP Configure-Requests say MRU 1400 on the
/// wire.
static SHRINK_HOME_MRU: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

/// An LCP renegotiation to a larger peer MRU raises the MTU again, up to
/// the PPPoE payload: the cap is the payload, not the previous MTU.
#[test]
fn renegotiated_larger_mru_raises_the_mtu_again() {
    use std::sync::atomic::Ordering;
    let (home_pppoe, home_ppp, ac, ac_ppp) = Pair::configs();
    let mut pair = Pair::new(home_pppoe, home_ppp, ac, ac_ppp);
    // Both directions, so that the home router's LCP sees its own 1492
    // acknowledged while the AC sees 1400 asked for and acknowledged.
    pair.tamper = |from, f| {
        if SHRINK_HOME_MRU.load(Ordering::Relaxed) {
            match from {
                From::Home => common::set_lcp_mru(f, 1, 1400),
                From::Ac => common::set_lcp_mru(f, 2, 1492),
            }
        }
    };
    assert!(pair.dial());
    assert_eq!(pair.link_up_mtus().1, Some(1400));
    SHRINK_HOME_MRU.store(false, Ordering::Relaxed);

    // The home router renegotiates LCP asking for 1492.
    let mut request = pair
        .frames
        .iter()
        .rev()
        .find(|(f, fr)| *f == From::Home && lcp_request_mru(fr).is_some())
        .unwrap()
        .1
        .clone();
    common::set_lcp_request_mru(&mut request, 1492);
    // A fresh Identifier (Ethernet 14 + PPPoE 6 + protocol 2 + code 1).
    request[23] = request[23].wrapping_add(100);
    let before = pair.ac_events.len();
    pair.ac.handle_input(pair.now, &request).unwrap();
    for _ in 0..20 {
        pair.exchange();
    }
    let mtus: Vec<u16> = pair.ac_events[before..]
        .iter()
        .filter_map(|e| match e {
            pppoe_link::AcLinkEvent::Ppp {
                event: PppEvent::LinkUp { mtu },
                ..
            } => Some(*mtu),
            _ => None,
        })
        .collect();
    assert_eq!(mtus, [1492]);
    let id = pair.ac_events.iter().find_map(|e| match e {
        pppoe_link::AcLinkEvent::Ppp { session_id, .. } => Some(*session_id),
        _ => None,
    });
    let mut buf = [0u8; 2048];
    let n = pair
        .ac
        .encapsulate_data(id.unwrap(), PPP_IPV4, &[0; 1492], &mut buf);
    assert!(n.is_ok());
}

#[test]
fn the_session_framer_carries_the_agreed_mtu_for_a_data_path_beside_the_link() {
    let (home_pppoe, mut home_ppp, ac, ac_ppp) = Pair::configs();
    let mut pair = Pair::new(
        home_pppoe.clone(),
        home_ppp.clone(),
        ac.clone(),
        ac_ppp.clone(),
    );
    assert!(
        pair.home.session_framer().is_none(),
        "no session before discovery"
    );
    assert!(pair.dial());
    let framer = pair.home.session_framer().expect("a session");
    assert_eq!(framer.mtu(), 1492);
    assert_eq!(framer.local(), home_pppoe.mac);
    // It frames exactly what the link does.
    let (mut a, mut b) = ([0u8; 2048], [0u8; 2048]);
    let n = pair
        .home
        .encapsulate_data(PPP_IPV4, &[0x45; 100], &mut a)
        .unwrap();
    b[framer.header_len()..framer.header_len() + 2].copy_from_slice(&PPP_IPV4.to_be_bytes());
    b[framer.header_len() + 2..framer.header_len() + 102].copy_from_slice(&[0x45; 100]);
    assert_eq!(framer.encapsulate(&mut b, 102), Ok(n));
    assert_eq!(a[..n], b[..n]);

    // A smaller MRU of ours is the AC's limit, not ours: the framer keeps
    // what the AC's MRU allows us to send.
    home_ppp.lcp.mru = 1400;
    let mut pair = Pair::new(home_pppoe, home_ppp, ac, ac_ppp);
    assert!(pair.dial());
    assert_eq!(pair.home.session_framer().unwrap().mtu(), 1492);
}
