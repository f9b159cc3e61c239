//! Address mapping for SIIT as Jool's SIIT does it: the EAMT (RFC 7757)
//! first, then the RFC 6052 pool6 prefix, with the IPv4 addresses RFC 7915
//! must not translate refused on the pool6 path.

use crate::eamt::Eamt;
use rfc6052::Nat64Prefix;

/// The IPv4 addresses an RFC 6052 mapping never translates (Jool's
/// implicit denylist): "this network" 0/8, loopback 127/8, link-local
/// 169.254/16, and 224/3 (multicast, class E, limited broadcast).
#[inline]
pub(crate) fn is_reserved_v4(a: [u8; 4]) -> bool {
    a[0] == 0 || a[0] == 127 || (a[0] == 169 && a[1] == 254) || a[0] >= 224
}

/// The mapping tables of one translator.
#[derive(Clone, Debug, Default)]
pub(crate) struct AddressMapping {
    pub(crate) pool6: Option<Nat64Prefix>,
    pub(crate) eamt: Eamt,
    /// Stateful NAT64's mapping of the one packet being translated (its
    /// IPv6 host ↔ the pool4 address of its BIB entry), set by
    /// `nat64::Nat64` around each call and looked up first, as a
    /// one-entry EAMT: skipped where an EAM would be (a hairpinned source,
    /// which goes by pool6, RFC 6146 §3.8).
    pub(crate) pin: Option<([u8; 16], [u8; 4])>,
}

impl AddressMapping {
    /// The IPv6 address of IPv4 `a` (RFC 7915 §4.1): its EAM, unless
    /// `use_eam` is off (a hairpinned source, RFC 7757 §4.2), else RFC 6052.
    #[inline(always)]
    pub(crate) fn v4_to_v6(&self, a: [u8; 4], use_eam: bool) -> Option<[u8; 16]> {
        if use_eam
            && let Some((v6, v4)) = self.pin
            && v4 == a
        {
            return Some(v6);
        }
        if use_eam
            && !self.eamt.is_empty()
            && let Some(v6) = self.eamt.v4_to_v6_octets(a)
        {
            return Some(v6);
        }
        let pool6 = self.pool6.as_ref()?;
        if is_reserved_v4(a) {
            return None;
        }
        Some(pool6.embed_octets(a))
    }

    /// The IPv4 address of IPv6 `a` (RFC 7915 §5.1): its EAM, else
    /// RFC 6052.
    #[inline(always)]
    pub(crate) fn v6_to_v4(&self, a: &[u8; 16]) -> Option<[u8; 4]> {
        if let Some((v6, v4)) = self.pin
            && v6 == *a
        {
            return Some(v4);
        }
        if !self.eamt.is_empty()
            && let Some(v4) = self.eamt.v6_to_v4_octets(a)
        {
            return Some(v4);
        }
        let v4 = self.pool6.as_ref()?.extract_octets(a)?;
        if is_reserved_v4(v4) {
            return None;
        }
        Some(v4)
    }

    /// RFC 7757 §4.2: an IPv6 → IPv4 packet whose IPv6 destination is
    /// not covered by an EAM (so it went through pool6) but whose IPv4
    /// destination is would come straight back; it is hairpinned instead.
    #[inline]
    pub(crate) fn is_hairpin(&self, dst6: &[u8; 16], dst4: [u8; 4]) -> bool {
        !self.eamt.is_empty()
            && self.eamt.covers_v4(dst4)
            && self.eamt.v6_to_v4_octets(dst6).is_none()
    }
}
