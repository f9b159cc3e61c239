//! A minimal reader for classic pcap files (the format tcpdump writes):
//! a 24-byte global header, then per frame a 16-byte record header and the
//! captured bytes. Enough for the golden captures; not a general library.

/// The frames of a pcap file (link type must be Ethernet).
pub fn frames(bytes: &[u8]) -> Vec<&[u8]> {
    assert!(bytes.len() >= 24, "pcap global header");
    let magic = u32::from_le_bytes(bytes[0..4].try_into().unwrap());
    let le = match magic {
        0xa1b2_c3d4 | 0xa1b2_3c4d => true,
        0xd4c3_b2a1 | 0x4d3c_b2a1 => false,
        m => panic!("not a pcap file (magic {m:#x})"),
    };
    let u32_at = |b: &[u8], at: usize| {
        let w: [u8; 4] = b[at..at + 4].try_into().unwrap();
        if le {
            u32::from_le_bytes(w)
        } else {
            u32::from_be_bytes(w)
        }
    };
    assert_eq!(u32_at(bytes, 20), 1, "link type Ethernet");
    let mut out = Vec::new();
    let mut at = 24;
    while at + 16 <= bytes.len() {
        let incl = u32_at(bytes, at + 8) as usize;
        let start = at + 16;
        assert!(start + incl <= bytes.len(), "truncated record");
        out.push(&bytes[start..start + incl]);
        at = start + incl;
    }
    assert_eq!(at, bytes.len(), "trailing bytes");
    out
}

/// Every golden capture shipped in tests/data, by name.
pub fn captures() -> Vec<(&'static str, &'static [u8])> {
    vec![
        (
            "pppoe-auth-nak-chap-to-pap",
            include_bytes!("../data/pppoe-auth-nak-chap-to-pap.pcap"),
        ),
        (
            "pppoe-chap-bad-password",
            include_bytes!("../data/pppoe-chap-bad-password.pcap"),
        ),
        (
            "pppoe-chap-ipcp-ipv6cp",
            include_bytes!("../data/pppoe-chap-ipcp-ipv6cp.pcap"),
        ),
        ("pppoe-pap", include_bytes!("../data/pppoe-pap.pcap")),
        (
            "pppoe-service-name",
            include_bytes!("../data/pppoe-service-name.pcap"),
        ),
        (
            "pppoe-userspace-client-chap",
            include_bytes!("../data/pppoe-userspace-client-chap.pcap"),
        ),
    ]
}
