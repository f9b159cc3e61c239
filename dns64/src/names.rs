//! The special names: `ipv4only.arpa` (RFC 8880), reverse names under
//! `ip6.arpa` and `in-addr.arpa`.

use alloc::vec::Vec;
use core::net::{Ipv4Addr, Ipv6Addr};

use domain::base::name::{Name, ToName};

/// The well-known IPv4 addresses of `ipv4only.arpa` (RFC 7050 §2.2).
pub const IPV4ONLY_ADDRESSES: [Ipv4Addr; 2] =
    [Ipv4Addr::new(192, 0, 0, 170), Ipv4Addr::new(192, 0, 0, 171)];

/// A name from its labels, root excluded (labels are short, ASCII).
pub(crate) fn name_from_labels<'a>(labels: impl IntoIterator<Item = &'a [u8]>) -> Name<Vec<u8>> {
    let mut wire = Vec::with_capacity(64);
    for l in labels {
        wire.push(l.len() as u8);
        wire.extend_from_slice(l);
    }
    wire.push(0);
    // Callers pass at most 34 labels of at most 7 octets: always valid.
    Name::from_octets(wire).unwrap_or_else(|_| Name::root_vec())
}

/// `ipv4only.arpa.`
pub fn ipv4only_arpa() -> Name<Vec<u8>> {
    name_from_labels([&b"ipv4only"[..], b"arpa"])
}

/// Whether `name` is `ipv4only.arpa` (0), under it (1 + depth) or outside
/// (`None`).
pub(crate) fn ipv4only_depth<N: ToName + ?Sized>(name: &N) -> Option<usize> {
    let labels: Vec<&[u8]> = name.iter_labels().map(|l| l.as_ref()).collect();
    let n = labels.len();
    // The last label is the root.
    if n < 3
        || !labels[n - 2].eq_ignore_ascii_case(b"arpa")
        || !labels[n - 3].eq_ignore_ascii_case(b"ipv4only")
    {
        return None;
    }
    Some(n - 3)
}

/// The address of a full `ip6.arpa` reverse name (32 nibble labels), or
/// `None` for any other name.
pub fn ip6_arpa_address<N: ToName + ?Sized>(name: &N) -> Option<Ipv6Addr> {
    let labels: Vec<&[u8]> = name.iter_labels().map(|l| l.as_ref()).collect();
    if labels.len() != 35
        || !labels[32].eq_ignore_ascii_case(b"ip6")
        || !labels[33].eq_ignore_ascii_case(b"arpa")
    {
        return None;
    }
    let mut bits: u128 = 0;
    // Least significant nibble first.
    for (i, l) in labels[..32].iter().enumerate() {
        let [c] = **l else { return None };
        let v = (c as char).to_digit(16)?;
        bits |= u128::from(v) << (4 * i);
    }
    Some(Ipv6Addr::from(bits))
}

/// The address of a full `in-addr.arpa` reverse name (four decimal
/// labels), or `None` for any other name.
pub fn in_addr_arpa_address<N: ToName + ?Sized>(name: &N) -> Option<Ipv4Addr> {
    let labels: Vec<&[u8]> = name.iter_labels().map(|l| l.as_ref()).collect();
    if labels.len() != 7
        || !labels[4].eq_ignore_ascii_case(b"in-addr")
        || !labels[5].eq_ignore_ascii_case(b"arpa")
    {
        return None;
    }
    let mut o = [0u8; 4];
    for (i, l) in labels[..4].iter().enumerate() {
        // Decimal, 1-3 digits, no leading zero (the canonical form).
        if l.is_empty()
            || l.len() > 3
            || (l.len() > 1 && l[0] == b'0')
            || !l.iter().all(u8::is_ascii_digit)
        {
            return None;
        }
        let v = l.iter().fold(0u16, |a, d| a * 10 + u16::from(d - b'0'));
        o[3 - i] = u8::try_from(v).ok()?;
    }
    Some(Ipv4Addr::from(o))
}

/// The `in-addr.arpa` reverse name of an IPv4 address.
pub fn in_addr_arpa_name(v4: Ipv4Addr) -> Name<Vec<u8>> {
    let mut bufs: [[u8; 3]; 4] = [[0; 3]; 4];
    let mut lens = [0usize; 4];
    for (i, o) in v4.octets().iter().rev().enumerate() {
        let mut n = *o;
        let mut digits = [0u8; 3];
        let mut k = 0;
        loop {
            digits[k] = b'0' + n % 10;
            k += 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        for j in 0..k {
            bufs[i][j] = digits[k - 1 - j];
        }
        lens[i] = k;
    }
    let labels = (0..4).map(|i| &bufs[i][..lens[i]]);
    let v: Vec<&[u8]> = labels.chain([&b"in-addr"[..], b"arpa"]).collect();
    name_from_labels(v)
}

/// The `ip6.arpa` reverse name of an IPv6 address.
pub fn ip6_arpa_name(v6: Ipv6Addr) -> Name<Vec<u8>> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bits = u128::from(v6);
    let nibbles: Vec<[u8; 1]> = (0..32)
        .map(|i| [HEX[((bits >> (4 * i)) & 0xf) as usize]])
        .collect();
    let v: Vec<&[u8]> = nibbles
        .iter()
        .map(|n| &n[..])
        .chain([&b"ip6"[..], b"arpa"])
        .collect();
    name_from_labels(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn reverse_names() {
        assert_eq!(
            in_addr_arpa_name(Ipv4Addr::new(192, 0, 2, 33)).to_string(),
            "33.2.0.192.in-addr.arpa"
        );
        assert_eq!(
            in_addr_arpa_name(Ipv4Addr::new(0, 10, 100, 255)).to_string(),
            "255.100.10.0.in-addr.arpa"
        );
        let a: Ipv6Addr = "64:ff9b::c000:221".parse().unwrap();
        let n = ip6_arpa_name(a);
        assert_eq!(
            n.to_string(),
            "1.2.2.0.0.0.0.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.b.9.f.f.4.6.0.0.ip6.arpa"
        );
        assert_eq!(ip6_arpa_address(&n), Some(a));
        assert_eq!(
            ip6_arpa_address(&Name::vec_from_str("1.ip6.arpa").unwrap()),
            None
        );
        let upper = Name::vec_from_str(
            "1.2.2.0.0.0.0.C.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.B.9.F.F.4.6.0.0.IP6.ARPA",
        )
        .unwrap();
        assert_eq!(ip6_arpa_address(&upper), Some(a));
        let bad = Name::vec_from_str(
            "1.2.2.0.0.0.0.g.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.b.9.f.f.4.6.0.0.ip6.arpa",
        )
        .unwrap();
        assert_eq!(ip6_arpa_address(&bad), None);
    }

    #[test]
    fn in_addr_arpa_parse() {
        let n = in_addr_arpa_name(Ipv4Addr::new(192, 0, 2, 33));
        assert_eq!(in_addr_arpa_address(&n), Some(Ipv4Addr::new(192, 0, 2, 33)));
        for bad in [
            "2.0.192.in-addr.arpa",
            "256.2.0.192.in-addr.arpa",
            "01.2.0.192.in-addr.arpa",
            "a.2.0.192.in-addr.arpa",
            "1.2.0.192.ip6.arpa",
        ] {
            assert_eq!(
                in_addr_arpa_address(&Name::vec_from_str(bad).unwrap()),
                None,
                "{bad}"
            );
        }
    }

    #[test]
    fn ipv4only() {
        assert_eq!(ipv4only_depth(&ipv4only_arpa()), Some(0));
        assert_eq!(
            ipv4only_depth(&Name::vec_from_str("a.IPv4Only.Arpa").unwrap()),
            Some(1)
        );
        assert_eq!(ipv4only_depth(&Name::vec_from_str("arpa").unwrap()), None);
        assert_eq!(
            ipv4only_depth(&Name::vec_from_str("ipv4only.example").unwrap()),
            None
        );
    }
}
