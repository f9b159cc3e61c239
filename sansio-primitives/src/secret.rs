//! A secret byte string and the constant-time comparison, shared by every
//! crate that holds passwords or shared secrets (PPP PAP/CHAP, RADIUS).

use alloc::vec::Vec;
use core::fmt;

use zeroize::Zeroize;

/// A secret (a PAP password, a CHAP or RADIUS shared secret). Its `Debug`
/// prints `<redacted>`, it has no `Display`, so it never reaches a log, and
/// its bytes are overwritten with zeros when it is dropped.
///
/// Equality is [`ct_eq`]: its time does not depend on where the first
/// difference is.
///
/// ```
/// use sansio_primitives::Secret;
/// let s = Secret::new(b"hunter2".to_vec());
/// assert_eq!(format!("{s:?}"), "<redacted>");
/// assert_eq!(s.expose(), b"hunter2");
/// assert_eq!(s, Secret::from("hunter2"));
/// ```
#[derive(Clone, Default)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Wraps the secret bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Secret(bytes.into())
    }

    /// The secret bytes, for the code that must compute with them.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Compares with `other` in constant time ([`ct_eq`]).
    pub fn ct_eq(&self, other: &[u8]) -> bool {
        ct_eq(&self.0, other)
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        ct_eq(&self.0, &other.0)
    }
}

impl Eq for Secret {}

impl Drop for Secret {
    fn drop(&mut self) {
        // Clears the whole capacity, not only `len` bytes.
        self.0.zeroize();
    }
}

impl From<&[u8]> for Secret {
    fn from(b: &[u8]) -> Self {
        Secret(b.to_vec())
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.as_bytes().to_vec())
    }
}

impl From<Vec<u8>> for Secret {
    fn from(v: Vec<u8>) -> Self {
        Secret(v)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Compares two byte strings in time independent of where the first
/// difference is (only the lengths are compared early: they are not secret
/// in any protocol here).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn redacted_and_compared_by_value() {
        let s = Secret::from("pw");
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert!(s.ct_eq(b"pw"));
        assert!(!s.ct_eq(b"px"));
        assert!(!s.ct_eq(b"pw2"));
        assert_ne!(s, Secret::from("px"));
        assert!(ct_eq(b"", b""));
        assert!(!ct_eq(b"a", b""));
    }
}
