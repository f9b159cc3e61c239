//! The reconfigure key authentication protocol (RFC 8415 §20.4).
//!
//! The server sends a 16-octet key in its Reply (Authentication option,
//! protocol 3, algorithm 1 = HMAC-MD5, RDM 0, info type 1 + key); every
//! Reconfigure it sends later carries an HMAC-MD5 of the whole message,
//! computed with the digest field zeroed (info type 2 + digest). A client
//! accepts a Reconfigure only when the digest checks with the key it was
//! given and the replay counter went up.

use core::fmt;

use hmac::{Hmac, KeyInit, Mac};
use md5::Md5;

use crate::wire::{Authentication, ClientMessage, Dhcpv6Option};

/// Protocol 3: reconfigure key (§20.4).
pub const PROTOCOL_RECONFIGURE_KEY: u8 = 3;
/// Algorithm 1: HMAC-MD5.
pub const ALGORITHM_HMAC_MD5: u8 = 1;
/// Info type 1: the key value (in a Reply).
pub const INFO_KEY: u8 = 1;
/// Info type 2: the HMAC-MD5 digest (in a Reconfigure).
pub const INFO_DIGEST: u8 = 2;

/// A reconfigure key. `Debug` prints `<redacted>`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ReconfigureKey(pub [u8; 16]);

impl fmt::Debug for ReconfigureKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReconfigureKey(<redacted>)")
    }
}

impl ReconfigureKey {
    /// The Authentication option that hands this key to a client.
    pub fn key_option(&self, replay_detection: u64) -> Dhcpv6Option {
        let mut info = alloc::vec![INFO_KEY];
        info.extend_from_slice(&self.0);
        Dhcpv6Option::Authentication(Authentication {
            protocol: PROTOCOL_RECONFIGURE_KEY,
            algorithm: ALGORITHM_HMAC_MD5,
            rdm: 0,
            replay_detection,
            info,
        })
    }

    /// The key carried by a Reply's Authentication option, if it is one.
    pub fn from_reply(m: &ClientMessage) -> Option<(ReconfigureKey, u64)> {
        m.options.iter().find_map(|o| match o {
            Dhcpv6Option::Authentication(a)
                if a.protocol == PROTOCOL_RECONFIGURE_KEY
                    && a.algorithm == ALGORITHM_HMAC_MD5
                    && a.rdm == 0
                    && a.info.len() == 17
                    && a.info[0] == INFO_KEY =>
            {
                let mut k = [0; 16];
                k.copy_from_slice(&a.info[1..]);
                Some((ReconfigureKey(k), a.replay_detection))
            }
            _ => None,
        })
    }

    fn mac(&self) -> Hmac<Md5> {
        match <Hmac<Md5> as KeyInit>::new_from_slice(&self.0) {
            Ok(m) => m,
            // HMAC takes keys of any length: a 16-octet key always fits.
            Err(_) => unreachable!("HMAC accepts any key length"),
        }
    }

    /// Adds (or replaces) the Authentication option of a Reconfigure and
    /// signs the message with it.
    pub fn sign(&self, m: &mut ClientMessage, replay_detection: u64) {
        m.options
            .retain(|o| !matches!(o, Dhcpv6Option::Authentication(_)));
        let mut info = alloc::vec![0u8; 17];
        info[0] = INFO_DIGEST;
        m.options.push(Dhcpv6Option::Authentication(Authentication {
            protocol: PROTOCOL_RECONFIGURE_KEY,
            algorithm: ALGORITHM_HMAC_MD5,
            rdm: 0,
            replay_detection,
            info,
        }));
        let mut mac = self.mac();
        mac.update(&m.to_vec());
        let digest = mac.finalize().into_bytes();
        if let Some(Dhcpv6Option::Authentication(a)) = m.options.last_mut() {
            a.info[1..].copy_from_slice(&digest);
        }
    }

    /// Checks a received Reconfigure: its one Authentication option is a
    /// reconfigure-key digest that matches. Returns its replay counter.
    /// The codec re-emits every parsed message byte for byte, so the
    /// digest is computed over exactly the octets received.
    pub fn verify(&self, m: &ClientMessage) -> Option<u64> {
        let mut auths = m.options.iter().enumerate().filter_map(|(i, o)| match o {
            Dhcpv6Option::Authentication(a) => Some((i, a)),
            _ => None,
        });
        let (i, a) = auths.next()?;
        if auths.next().is_some()
            || a.protocol != PROTOCOL_RECONFIGURE_KEY
            || a.algorithm != ALGORITHM_HMAC_MD5
            || a.rdm != 0
            || a.info.len() != 17
            || a.info[0] != INFO_DIGEST
        {
            return None;
        }
        let mut zeroed = m.clone();
        if let Some(Dhcpv6Option::Authentication(z)) = zeroed.options.get_mut(i) {
            z.info[1..].fill(0);
        }
        let mut mac = self.mac();
        mac.update(&zeroed.to_vec());
        mac.verify_slice(&a.info[1..]).ok()?;
        Some(a.replay_detection)
    }
}
