//! The RADIUS cryptography: authenticators (RFC 2865 §3, RFC 2866 §3,
//! RFC 5176 §3.5), User-Password hiding (RFC 2865 §5.2), CHAP-Password
//! (RFC 2865 §5.3, RFC 1994) and Message-Authenticator (RFC 3579 §3.2).
//!
//! The functions work on whole encoded packets (`&[u8]` whose Length field
//! has been checked by [`crate::wire::Header::parse`], or which this crate
//! built), because every authenticator covers the exact octets.

use alloc::vec::Vec;

use hmac::{Hmac, KeyInit, Mac};
use md5::{Digest, Md5};

use crate::error::Error;
use crate::wire::{HEADER_LEN, attr, raw_attributes};

/// A shared secret or a password: the workspace's one [`sansio_primitives::Secret`]
/// (redacted in `Debug`, zeroized on drop), kept under this path.
pub use sansio_primitives::Secret;

fn md5(parts: &[&[u8]]) -> [u8; 16] {
    let mut h = Md5::new();
    for p in parts {
        h.update(p);
    }
    let mut out = [0u8; 16];
    out.copy_from_slice(&h.finalize());
    out
}

use sansio_primitives::ct_eq;

fn length_of(packet: &[u8]) -> usize {
    if packet.len() < HEADER_LEN {
        return packet.len();
    }
    usize::from(u16::from_be_bytes([packet[2], packet[3]])).clamp(HEADER_LEN, packet.len())
}

/// MD5(Code + Identifier + Length + `auth` + Attributes + Secret): the
/// Response Authenticator when `auth` is the Request Authenticator
/// (RFC 2865 §3), the Accounting/CoA/Disconnect Request Authenticator when
/// `auth` is sixteen zeros (RFC 2866 §3, RFC 5176 §3.5).
pub fn authenticator_over(packet: &[u8], auth: &[u8; 16], secret: &[u8]) -> [u8; 16] {
    let n = length_of(packet);
    if n < HEADER_LEN {
        return [0; 16];
    }
    md5(&[&packet[..4], auth, &packet[HEADER_LEN..n], secret])
}

/// Whether `response` carries the right Response Authenticator for the
/// request whose Request Authenticator was `request_auth`.
pub fn verify_response(response: &[u8], request_auth: &[u8; 16], secret: &[u8]) -> bool {
    response.len() >= HEADER_LEN
        && ct_eq(
            &authenticator_over(response, request_auth, secret),
            &response[4..20],
        )
}

/// Writes the Response Authenticator into `response` (after the attributes,
/// including any Message-Authenticator, are final).
pub fn sign_response(response: &mut [u8], request_auth: &[u8; 16], secret: &[u8]) {
    if response.len() >= HEADER_LEN {
        let a = authenticator_over(response, request_auth, secret);
        response[4..20].copy_from_slice(&a);
    }
}

/// Writes the Request Authenticator of an Accounting-Request, CoA-Request or
/// Disconnect-Request (MD5 over the packet with a zero authenticator).
pub fn sign_request_zero(packet: &mut [u8], secret: &[u8]) {
    if packet.len() >= HEADER_LEN {
        let a = authenticator_over(packet, &[0; 16], secret);
        packet[4..20].copy_from_slice(&a);
    }
}

/// Checks the Request Authenticator of an Accounting-Request, CoA-Request or
/// Disconnect-Request.
pub fn verify_request_zero(packet: &[u8], secret: &[u8]) -> bool {
    packet.len() >= HEADER_LEN
        && ct_eq(
            &authenticator_over(packet, &[0; 16], secret),
            &packet[4..20],
        )
}

/// The largest User-Password (RFC 2865 §5.2).
pub const MAX_PASSWORD_LEN: usize = 128;

/// Hides a User-Password (RFC 2865 §5.2): pad with NULs to a multiple of 16
/// (at least 16), then `c(i) = p(i) xor MD5(S + c(i-1))` with
/// `c(0) = Request Authenticator`.
pub fn hide_password(
    password: &[u8],
    secret: &[u8],
    request_auth: &[u8; 16],
) -> Result<Vec<u8>, Error> {
    if password.len() > MAX_PASSWORD_LEN {
        return Err(Error::PasswordTooLong);
    }
    let padded = password.len().div_ceil(16).max(1) * 16;
    let mut out = alloc::vec![0u8; padded];
    out[..password.len()].copy_from_slice(password);
    let mut prev: [u8; 16] = *request_auth;
    for chunk in out.chunks_mut(16) {
        let b = md5(&[secret, &prev]);
        for (c, k) in chunk.iter_mut().zip(b) {
            *c ^= k;
        }
        prev.copy_from_slice(chunk);
    }
    Ok(out)
}

/// Recovers a hidden User-Password, stripping the NUL padding; the value must
/// be 16..=128 octets, a multiple of 16.
pub fn recover_password(
    hidden: &[u8],
    secret: &[u8],
    request_auth: &[u8; 16],
) -> Result<Secret, Error> {
    if hidden.is_empty() || !hidden.len().is_multiple_of(16) || hidden.len() > MAX_PASSWORD_LEN {
        return Err(Error::BadLength {
            attr: crate::error::AttrName::std(attr::USER_PASSWORD),
            length: hidden.len(),
        });
    }
    let mut out = Vec::with_capacity(hidden.len());
    let mut prev: &[u8] = request_auth;
    for chunk in hidden.chunks(16) {
        let b = md5(&[secret, prev]);
        out.extend(chunk.iter().zip(b).map(|(c, k)| c ^ k));
        prev = chunk;
    }
    while out.last() == Some(&0) {
        out.pop();
    }
    Ok(Secret::new(out))
}

/// The CHAP response MD5(Identifier + secret + Challenge) (RFC 1994 §4.1).
pub fn chap_response(ident: u8, password: &[u8], challenge: &[u8]) -> [u8; 16] {
    md5(&[&[ident], password, challenge])
}

/// The CHAP-Password value: the CHAP Identifier then the response
/// (RFC 2865 §5.3).
pub fn chap_password(ident: u8, password: &[u8], challenge: &[u8]) -> [u8; 17] {
    let mut v = [0u8; 17];
    v[0] = ident;
    v[1..].copy_from_slice(&chap_response(ident, password, challenge));
    v
}

/// Whether a CHAP-Password value answers `challenge` for `password` (the
/// authenticator side, for tests and a local user table).
pub fn chap_verify(chap_password: &[u8], password: &[u8], challenge: &[u8]) -> bool {
    chap_password.len() == 17
        && ct_eq(
            &chap_response(chap_password[0], password, challenge),
            &chap_password[1..],
        )
}

/// The offset of the first Message-Authenticator's value in `packet`, if it
/// has one of the right length.
pub fn find_message_authenticator(packet: &[u8]) -> Option<usize> {
    let n = length_of(packet);
    if n < HEADER_LEN {
        return None;
    }
    let area = &packet[HEADER_LEN..n];
    let mut off = HEADER_LEN;
    for a in raw_attributes(area) {
        let (typ, v) = a.ok()?;
        if typ == attr::MESSAGE_AUTHENTICATOR && v.len() == 16 {
            return Some(off + 2);
        }
        off += 2 + v.len();
    }
    None
}

/// HMAC-MD5 keyed with the secret over the packet, with the authenticator
/// field replaced by `auth` and the Message-Authenticator value at `ma_at`
/// taken as sixteen zeros (RFC 3579 §3.2).
fn hmac_over(packet: &[u8], auth: &[u8; 16], ma_at: usize, secret: &[u8]) -> [u8; 16] {
    let n = length_of(packet);
    let Ok(mut m) = <Hmac<Md5> as KeyInit>::new_from_slice(secret) else {
        // HMAC takes keys of any length; this arm cannot run.
        return [0; 16];
    };
    m.update(&packet[..4]);
    m.update(auth);
    m.update(&packet[HEADER_LEN..ma_at]);
    m.update(&[0u8; 16]);
    m.update(&packet[ma_at + 16..n]);
    let mut out = [0u8; 16];
    out.copy_from_slice(&m.finalize().into_bytes());
    out
}

/// Fills the Message-Authenticator already present in `packet` (its value
/// may be anything). `auth` is what the HMAC sees in the authenticator field:
/// the packet's own Request Authenticator for an Access-Request, the
/// request's authenticator for a response, zeros for an Accounting, CoA or
/// Disconnect request (RFC 5176 §3.5). Returns false when there is none.
pub fn sign_message_authenticator(packet: &mut [u8], auth: &[u8; 16], secret: &[u8]) -> bool {
    let Some(at) = find_message_authenticator(packet) else {
        return false;
    };
    let mac = hmac_over(packet, auth, at, secret);
    packet[at..at + 16].copy_from_slice(&mac);
    true
}

/// The state of a packet's Message-Authenticator.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum MessageAuth {
    /// None present.
    Absent,
    /// Present and correct.
    Valid,
    /// Present and wrong.
    Invalid,
}

/// Checks the Message-Authenticator of `packet` (see
/// [`sign_message_authenticator`] for `auth`).
pub fn verify_message_authenticator(packet: &[u8], auth: &[u8; 16], secret: &[u8]) -> MessageAuth {
    match find_message_authenticator(packet) {
        None => MessageAuth::Absent,
        Some(at) => {
            if ct_eq(&hmac_over(packet, auth, at, secret), &packet[at..at + 16]) {
                MessageAuth::Valid
            } else {
                MessageAuth::Invalid
            }
        }
    }
}
