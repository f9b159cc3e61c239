//! The RFC 5176 glue's unit tests: session targeting, the CoA
//! attribute check, speed-limit changes.

use super::*;
use radius_proto::wire::{Attribute, Code, Value};
use std::net::Ipv4Addr;

fn session(id: u16, user: &[u8], mac: [u8; 6], addr: u8) -> Session {
    let mut s = Session::new(u64::from(id), id, mac, std::time::Instant::now());
    s.user = Some(user.to_vec());
    s.addr = Some(Ipv4Addr::new(192, 0, 2, addr));
    s
}

/// The target of a Disconnect-Request with `attrs`.
fn target(attrs: &[Attribute<'_>]) -> Result<Target, ErrorCause> {
    let mut p = Packet::new(Code::DisconnectRequest, 1, [0; 16]);
    p.attributes.extend_from_slice(attrs);
    let bytes = p.to_vec().unwrap();
    Target::from_packet(&Packet::parse(&bytes).unwrap())
}

/// Which of `sessions` a request with `attrs` names.
fn named(sessions: &[Session], attrs: &[Attribute<'_>]) -> Result<Vec<u16>, ErrorCause> {
    let t = target(attrs)?;
    Ok(sessions
        .iter()
        .filter(|s| t.matches(s))
        .map(|s| s.id)
        .collect())
}

#[test]
fn every_identification_attribute_given_must_match() {
    let (mac1, mac2) = ([2, 0, 0, 0, 0, 0xa1], [2, 0, 0, 0, 0, 0xb2]);
    // alice on two hosts, bob on a third.
    let sessions = [
        session(1, b"alice", mac1, 9),
        session(2, b"alice", mac2, 10),
        session(3, b"bob", [2, 0, 0, 0, 0, 3], 11),
    ];
    let user = Attribute::bytes(attr::USER_NAME, b"alice");
    let calling = |t: &'static [u8]| Attribute::bytes(attr::CALLING_STATION_ID, t);
    assert_eq!(named(&sessions, &[user]), Ok(vec![1, 2]));
    // User-Name + Calling-Station-Id: that host's session only, in
    // the form the bng sends and in the ones servers rewrite it to.
    for text in [
        &b"02:00:00:00:00:b2"[..],
        b"02-00-00-00-00-B2",
        b"0200000000b2",
        b"0200.0000.00b2",
    ] {
        let t = Attribute::bytes(attr::CALLING_STATION_ID, text);
        assert_eq!(named(&sessions, &[user, t]), Ok(vec![2]), "{text:?}");
    }
    // A MAC of none of alice's sessions, or not a MAC at all: none.
    assert_eq!(
        named(&sessions, &[user, calling(b"02:00:00:00:00:03")]),
        Ok(vec![])
    );
    for bad in [&b"02:00:00:00:00"[..], b"host-a", b"+2:00:00:00:00:a1", b""] {
        assert_eq!(parse_mac(bad), None, "{bad:?}");
    }
    assert_eq!(named(&sessions, &[user, calling(b"alice-pc")]), Ok(vec![]));
    // The listener's attributes combine the same way.
    let ip = |a| {
        Attribute::new(
            attr::FRAMED_IP_ADDRESS,
            Value::Ipv4(Ipv4Addr::new(192, 0, 2, a)),
        )
    };
    assert_eq!(named(&sessions, &[user, ip(10)]), Ok(vec![2]));
    assert_eq!(named(&sessions, &[user, ip(11)]), Ok(vec![]));
    let port = |p| Attribute::integer(attr::NAS_PORT, p);
    assert_eq!(named(&sessions, &[ip(9), port(1)]), Ok(vec![1]));
    assert_eq!(named(&sessions, &[ip(9), port(2)]), Ok(vec![]));
    let acct = sessions[2].acct_id.clone();
    let acct_id = Attribute::bytes(attr::ACCT_SESSION_ID, acct.as_bytes());
    assert_eq!(named(&sessions, &[acct_id]), Ok(vec![3]));
    assert_eq!(named(&sessions, &[user, acct_id]), Ok(vec![]));
    // NAS-Port-Type: every session is Ethernet.
    let ethernet = Attribute::integer(attr::NAS_PORT_TYPE, 15);
    assert_eq!(named(&sessions, &[user, ethernet]), Ok(vec![1, 2]));
    let adsl = Attribute::integer(attr::NAS_PORT_TYPE, 16);
    assert_eq!(named(&sessions, &[user, adsl]), Ok(vec![]));
    // Nothing that identifies a session.
    assert_eq!(
        named(&sessions, &[ethernet]),
        Err(ErrorCause::MISSING_ATTRIBUTE)
    );
    assert_eq!(named(&sessions, &[]), Err(ErrorCause::MISSING_ATTRIBUTE));
    // Calling-Station-Id alone names a host's sessions.
    assert_eq!(
        named(&sessions, &[calling(b"02:00:00:00:00:a1")]),
        Ok(vec![1])
    );
}

/// `check_coa_attributes` of a CoA-Request with `attrs`, then the
/// Vendor-Specific attributes `vsas` (vendor id + data, appended raw).
fn coa_check(attrs: &[Attribute<'_>], vsas: &[&[u8]]) -> Result<(), ErrorCause> {
    let mut p = Packet::new(Code::CoaRequest, 1, [0; 16]);
    p.attributes.extend_from_slice(attrs);
    let mut bytes = p.to_vec().unwrap();
    for vsa in vsas {
        bytes.push(attr::VENDOR_SPECIFIC);
        bytes.push(2 + vsa.len() as u8);
        bytes.extend_from_slice(vsa);
    }
    let len = bytes.len() as u16;
    bytes[2..4].copy_from_slice(&len.to_be_bytes());
    check_coa_attributes(&Packet::parse(&bytes).unwrap())
}

#[test]
fn coa_attributes_the_bng_does_not_act_on_are_refused() {
    // RP-Upstream-Speed-Limit 1000, RP-Downstream-Speed-Limit 2000.
    let limits: &[u8] = &[0, 0, 0x27, 0x47, 1, 6, 0, 0, 3, 0xe8, 2, 6, 0, 0, 7, 0xd0];
    let ok = [
        Attribute::bytes(attr::USER_NAME, b"alice"),
        Attribute::integer(attr::NAS_PORT, 3),
        Attribute::bytes(attr::PROXY_STATE, b"p"),
        Attribute::integer(attr::NAS_PORT_TYPE, 15),
    ];
    assert_eq!(coa_check(&ok, &[limits]), Ok(()));
    for extra in [
        Attribute::integer(attr::SESSION_TIMEOUT, 60),
        Attribute::bytes(attr::FILTER_ID, b"web-only"),
        Attribute::bytes(attr::STATE, b"s"),
        Attribute::integer(attr::ACCT_INTERIM_INTERVAL, 60),
    ] {
        let mut attrs = ok.to_vec();
        attrs.push(extra);
        assert_eq!(
            coa_check(&attrs, &[limits]),
            Err(ErrorCause::UNSUPPORTED_ATTRIBUTE),
            "{extra:?}"
        );
    }
    // Another vendor, or another Roaring Penguin attribute: 401; a
    // limit that is not 4 bytes: 407.
    let cisco: &[u8] = &[0, 0, 0, 9, 1, 5, b'a', b'=', b'b'];
    let other_rp: &[u8] = &[0, 0, 0x27, 0x47, 3, 6, 0, 0, 0, 1];
    let short_rp: &[u8] = &[0, 0, 0x27, 0x47, 1, 4, 0, 1];
    for (vsa, cause) in [
        (cisco, ErrorCause::UNSUPPORTED_ATTRIBUTE),
        (other_rp, ErrorCause::UNSUPPORTED_ATTRIBUTE),
        (short_rp, ErrorCause::INVALID_ATTRIBUTE_VALUE),
    ] {
        assert_eq!(coa_check(&ok, &[limits, vsa]), Err(cause), "{vsa:?}");
    }
}

#[test]
fn a_new_limit_keeps_the_queue_and_none_releases_it() {
    let now = std::time::Instant::now();
    let mut slot = Some(Shaper::new(8, now));
    let q = slot.as_mut().unwrap();
    while q.admit(now, 1000) {}
    assert!(q.enqueue(vec![1], 1000) && q.enqueue(vec![2], 1000));
    // Unchanged, then a new rate: still queued.
    assert!(set_limit(&mut slot, None, now).is_empty());
    assert!(set_limit(&mut slot, Some(64), now).is_empty());
    assert_eq!(slot.as_ref().map(Shaper::kbps), Some(64));
    assert!(slot.as_ref().unwrap().ready_at().is_some());
    // No limit any more: the queue comes back, in order.
    let out = set_limit(&mut slot, Some(0), now);
    assert_eq!(out, [(vec![1], 1000), (vec![2], 1000)]);
    assert!(slot.is_none());
    assert!(set_limit(&mut slot, Some(0), now).is_empty());
    // A limit where there was none.
    assert!(set_limit(&mut slot, Some(500), now).is_empty());
    assert_eq!(slot.as_ref().map(Shaper::kbps), Some(500));
}

#[test]
fn identification_the_bng_cannot_match_is_refused() {
    let sessions = [session(1, b"alice", [2, 0, 0, 0, 0, 1], 9)];
    let user = Attribute::bytes(attr::USER_NAME, b"alice");
    for extra in [
        Attribute::bytes(attr::NAS_PORT_ID, b"eth0.100"),
        Attribute::bytes(attr::ACCT_MULTI_SESSION_ID, b"m-1"),
        Attribute::bytes(attr::CALLED_STATION_ID, b"bng-1"),
        Attribute::bytes(attr::CHARGEABLE_USER_IDENTITY, b"cui"),
        Attribute::bytes(ORIGINATING_LINE_INFO, b"00"),
    ] {
        assert_eq!(
            named(&sessions, &[user, extra]),
            Err(ErrorCause::UNSUPPORTED_ATTRIBUTE),
            "{extra:?}"
        );
    }
    // A request that does not parse.
    let req = DynAuthRequest {
        handle: 1,
        kind: RequestKind::Disconnect,
        from: "192.0.2.1:3799".parse().unwrap(),
        selector: SessionSelector::default(),
        bytes: vec![40, 1, 0],
    };
    assert_eq!(Target::of(&req), Err(ErrorCause::INVALID_REQUEST));
}
