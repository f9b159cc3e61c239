//! What the authenticator hands the application, and what the
//! authentication machines report to the session.

use alloc::vec::Vec;

use crate::Secret;
use crate::wire::chap::verify_chap_md5;

/// The credential a peer presented, for the application (RADIUS, a local
/// user table) to judge. `Debug` never shows a PAP password, nor a CHAP
/// challenge and response (together they allow an offline dictionary
/// attack on the password): only the Identifier and the lengths.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// PAP: the password in clear (RFC 1334).
    Pap {
        /// The password.
        password: Secret,
    },
    /// CHAP-MD5 (RFC 1994): what RADIUS needs for CHAP-Password and
    /// CHAP-Challenge (RFC 2865 §5.3, §5.40).
    ChapMd5 {
        /// The Identifier of the challenge.
        identifier: u8,
        /// The challenge value we sent.
        challenge: Vec<u8>,
        /// The peer's response value.
        response: Vec<u8>,
    },
}

impl core::fmt::Debug for Credential {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Credential::Pap { password } => {
                f.debug_struct("Pap").field("password", password).finish()
            }
            Credential::ChapMd5 {
                identifier,
                challenge,
                response,
            } => f
                .debug_struct("ChapMd5")
                .field("identifier", identifier)
                .field("challenge_len", &challenge.len())
                .field("response_len", &response.len())
                .finish_non_exhaustive(),
        }
    }
}

impl Credential {
    /// Checks the credential against a known secret (a local user table):
    /// PAP compares the password, CHAP-MD5 recomputes the response; both in
    /// constant time for equal lengths.
    pub fn verify(&self, secret: &[u8]) -> bool {
        match self {
            Credential::Pap { password } => password.ct_eq(secret),
            Credential::ChapMd5 {
                identifier,
                challenge,
                response,
            } => verify_chap_md5(*identifier, secret, challenge, response),
        }
    }
}

/// What an authentication machine tells the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AuthOutcome {
    /// Nothing to report.
    None,
    /// Peer role: the authenticator accepted us (its message).
    Success(Vec<u8>),
    /// Peer role: the authenticator refused us.
    Failure(Vec<u8>),
    /// No answer within the retries / time allowed.
    Timeout,
    /// Authenticator role: a credential for the application to judge.
    Request {
        /// The peer's user name.
        user: Vec<u8>,
        /// The credential.
        credential: Credential,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn verify_and_redact() {
        let c = Credential::Pap {
            password: Secret::from("pw"),
        };
        assert!(c.verify(b"pw"));
        assert!(!c.verify(b"px"));
        assert!(!c.verify(b"pw2"));
        assert!(!format!("{c:?}").contains("pw\""));
        let challenge = alloc::vec![1u8; 16];
        let response = crate::wire::chap::chap_md5_response(7, b"s", &challenge).to_vec();
        let c = Credential::ChapMd5 {
            identifier: 7,
            challenge,
            response,
        };
        assert!(c.verify(b"s"));
        assert!(!c.verify(b"t"));
        // Neither the challenge nor the response shows in Debug.
        assert_eq!(
            format!("{c:?}"),
            "ChapMd5 { identifier: 7, challenge_len: 16, response_len: 16, .. }"
        );
    }
}
