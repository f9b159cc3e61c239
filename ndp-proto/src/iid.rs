//! Stable, opaque interface identifiers (RFC 7217 §5).

use core::fmt;
use core::net::Ipv6Addr;

use hmac::{Hmac, KeyInit, Mac};
use md5::Md5;

/// The RFC 7217 `secret_key`: never shown in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct NdpSecretKey(pub [u8; 32]);

impl fmt::Debug for NdpSecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NdpSecretKey(..)")
    }
}

/// RFC 7217 §5: `F(Prefix, Net_Iface, Network_ID, DAD_Counter, secret_key)`
/// with F = HMAC-MD5 keyed with the secret, truncated to the 64-bit
/// interface identifier. HMAC-MD5 is a PRF here, not a signature: RFC 7217
/// §5 only asks that the result be unpredictable without the key, and
/// MD5/HMAC are already workspace dependencies (no `sha2` added). The
/// variable-length inputs are length-prefixed so no two inputs collide.
/// An identifier RFC 5453 reserves is skipped by moving to the next
/// DAD_Counter, as RFC 7217 §5 says; the counter used is returned.
pub fn stable_address(
    prefix: Ipv6Addr,
    net_iface: &[u8],
    network_id: &[u8],
    mut dad_counter: u8,
    key: &NdpSecretKey,
) -> Option<(Ipv6Addr, u8)> {
    loop {
        let Ok(mut m) = <Hmac<Md5> as KeyInit>::new_from_slice(&key.0) else {
            // HMAC takes keys of any length; this arm cannot run.
            return None;
        };
        m.update(&prefix.octets()[..8]);
        m.update(&(net_iface.len() as u32).to_be_bytes());
        m.update(net_iface);
        m.update(&(network_id.len() as u32).to_be_bytes());
        m.update(network_id);
        m.update(&[dad_counter]);
        let out = m.finalize().into_bytes();
        let mut iid = [0u8; 8];
        iid.copy_from_slice(&out[..8]);
        if !reserved(u64::from_be_bytes(iid)) {
            let mut a = prefix.octets();
            a[8..].copy_from_slice(&iid);
            return Some((Ipv6Addr::from(a), dad_counter));
        }
        dad_counter = dad_counter.checked_add(1)?;
    }
}

/// RFC 5453 §3 reserved interface identifiers.
fn reserved(iid: u64) -> bool {
    iid == 0 || iid >> 16 == 0x0200_5eff_fe00 || iid >= 0xfdff_ffff_ffff_ff80
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_per_input_and_different_across_inputs() {
        let k = NdpSecretKey([7; 32]);
        let p: Ipv6Addr = "2001:db8:1:2::".parse().unwrap();
        let a = stable_address(p, b"eth0", b"", 0, &k).unwrap();
        assert_eq!(a, stable_address(p, b"eth0", b"", 0, &k).unwrap());
        assert_eq!(&a.0.octets()[..8], &p.octets()[..8]);
        assert_ne!(a.0, stable_address(p, b"eth1", b"", 0, &k).unwrap().0);
        assert_ne!(a.0, stable_address(p, b"eth0", b"", 1, &k).unwrap().0);
        assert_ne!(
            a.0,
            stable_address(p, b"eth0", b"", 0, &NdpSecretKey([8; 32]))
                .unwrap()
                .0
        );
        let q: Ipv6Addr = "2001:db8:1:3::".parse().unwrap();
        assert_ne!(
            a.0.octets()[8..],
            stable_address(q, b"eth0", b"", 0, &k).unwrap().0.octets()[8..]
        );
        assert!(reserved(0) && reserved(0x0200_5eff_fe00_5213) && reserved(u64::MAX));
        assert!(!reserved(0x0200_5eff_fe01_0000));
        assert_eq!(alloc::format!("{k:?}"), "NdpSecretKey(..)");
    }
}
