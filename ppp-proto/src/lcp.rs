//! LCP's policy for the shared automaton (RFC 1661 §6, RFC 2516 §7).
//!
//! - Maximum-Receive-Unit: we request ours; the peer's is acknowledged from
//!   128 bytes up (smaller is Nak'd to ours).
//! - Authentication-Protocol: the authenticator requests CHAP-MD5 or PAP
//!   (its configured preference, falling back to the other allowed method
//!   when the peer Naks); the peer acknowledges a method it accepts and Naks
//!   any other (MS-CHAP, EAP, …) towards CHAP-MD5 or PAP, or rejects when it
//!   accepts none. An authenticator rejects a peer's request to be
//!   authenticated itself.
//! - Magic-Number: random, non-zero, from the caller's [`SeededRng`]; a
//!   peer's request or Nak carrying our own number is a sign of a looped-back
//!   link (RFC 1661 §6.4): we Nak it with a new random value and pick a new
//!   one ourselves; after Max-Failure such collisions in a row the link is
//!   declared looped back.
//! - ACCM, PFC, ACFC and unknown options are rejected (RFC 2516 §7: they make
//!   no sense on PPPoE).
//! - RXR: Echo-Request is answered with an Echo-Reply carrying our magic;
//!   Echo-Reply clears the keepalive's outstanding count; Discard-Request is
//!   ignored.

use alloc::vec::Vec;
use rand_core::Rng;

use sansio_primitives::SeededRng;

use crate::fsm::{Policy, Verdict};
use crate::wire::cp::{Code, ConfigOption, CpBody, CpPacket};
use crate::wire::lcp::{AuthProtocol, LcpOption, chap_algorithm};
use crate::wire::protocol;

/// An authentication method this crate implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// PAP (RFC 1334).
    Pap,
    /// CHAP with MD5 (RFC 1994).
    ChapMd5,
}

impl AuthMethod {
    fn option(self) -> LcpOption<'static> {
        LcpOption::AuthProtocol(match self {
            AuthMethod::Pap => AuthProtocol::Pap,
            AuthMethod::ChapMd5 => AuthProtocol::CHAP_MD5,
        })
    }
}

/// Which methods are allowed (authenticator) or accepted (peer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthMethods {
    /// CHAP-MD5 (preferred when both are allowed).
    pub chap_md5: bool,
    /// PAP.
    pub pap: bool,
}

impl AuthMethods {
    /// The preferred allowed method.
    pub fn preferred(self) -> Option<AuthMethod> {
        if self.chap_md5 {
            Some(AuthMethod::ChapMd5)
        } else if self.pap {
            Some(AuthMethod::Pap)
        } else {
            None
        }
    }

    fn allows(self, m: AuthMethod) -> bool {
        match m {
            AuthMethod::Pap => self.pap,
            AuthMethod::ChapMd5 => self.chap_md5,
        }
    }
}

fn method_of(a: &AuthProtocol<'_>) -> Option<AuthMethod> {
    match a {
        AuthProtocol::Pap => Some(AuthMethod::Pap),
        AuthProtocol::Chap {
            algorithm: chap_algorithm::MD5,
        } => Some(AuthMethod::ChapMd5),
        _ => None,
    }
}

/// The smallest peer MRU we acknowledge (pppd's MINMRU).
pub const MIN_MRU: u16 = 128;

/// LCP's negotiation state: what we request and what the peer asked for.
#[derive(Debug, Clone)]
pub struct LcpPolicy {
    want_mru: u16,
    magic_enabled: bool,
    /// true: we are the authenticator and request `methods`; false: we are
    /// the peer and accept `methods`.
    authenticator: bool,
    methods: AuthMethods,
    // Our current request.
    mru: Option<u16>,
    magic: u32,
    auth: Option<AuthMethod>,
    // What the peer's last judged request asked for.
    peer_mru: u16,
    peer_magic: u32,
    peer_auth: Option<AuthMethod>,
    loops: u8,
    max_loops: u8,
    auth_refused: bool,
    /// Echo-Requests sent since the last Echo-Reply.
    pub(crate) echo_outstanding: u8,
}

impl LcpPolicy {
    /// A policy; `authenticator` selects the role, `methods` what that role
    /// requests (authenticator) or accepts (peer).
    pub fn new(mru: u16, authenticator: bool, methods: AuthMethods, max_failure: u8) -> Self {
        LcpPolicy {
            want_mru: mru,
            magic_enabled: true,
            authenticator,
            methods,
            mru: Some(mru),
            magic: 0,
            auth: None,
            peer_mru: 1500,
            peer_magic: 0,
            peer_auth: None,
            loops: 0,
            max_loops: max_failure.max(1),
            auth_refused: false,
            echo_outstanding: 0,
        }
    }

    /// Our Magic-Number (0 when not negotiated).
    pub fn magic(&self) -> u32 {
        self.magic
    }

    /// The peer's Magic-Number (0 when not negotiated).
    pub fn peer_magic(&self) -> u32 {
        self.peer_magic
    }

    /// The peer's MRU (1500 when not negotiated): the largest frame we send.
    pub fn peer_mru(&self) -> u16 {
        self.peer_mru
    }

    /// The MRU we announced (and the peer acknowledged).
    pub fn mru(&self) -> u16 {
        self.mru.unwrap_or(1500)
    }

    /// The method we authenticate the peer with (authenticator role).
    pub fn auth_requested(&self) -> Option<AuthMethod> {
        if self.authenticator { self.auth } else { None }
    }

    /// The method the authenticator asked us to use (peer role).
    pub fn auth_to_perform(&self) -> Option<AuthMethod> {
        if self.authenticator {
            None
        } else {
            self.peer_auth
        }
    }

    /// The peer rejected our Authentication-Protocol (authenticator role).
    pub fn auth_refused(&self) -> bool {
        self.auth_refused
    }

    /// Our Magic-Number came back too often: the link is looped back.
    pub fn looped_back(&self) -> bool {
        self.loops >= self.max_loops
    }

    fn new_magic(&self, rng: &mut SeededRng) -> u32 {
        loop {
            let m = rng.next_u32();
            if m != 0 && m != self.magic {
                return m;
            }
        }
    }

    fn note_loop(&mut self, rng: &mut SeededRng) {
        self.loops = self.loops.saturating_add(1);
        self.magic = self.new_magic(rng);
    }
}

impl Policy for LcpPolicy {
    type Opt<'a> = LcpOption<'a>;
    const PROTOCOL: u16 = protocol::LCP;
    const EXTENDED_CODES: bool = true;

    fn reset(&mut self, rng: &mut SeededRng) {
        self.mru = Some(self.want_mru);
        self.magic = if self.magic_enabled {
            self.new_magic(rng)
        } else {
            0
        };
        self.auth = if self.authenticator {
            self.methods.preferred()
        } else {
            None
        };
        self.auth_refused = false;
        self.echo_outstanding = 0;
    }

    fn write_request(&self, out: &mut Vec<u8>) {
        if let Some(m) = self.mru {
            LcpOption::Mru(m).put(out);
        }
        if let Some(a) = self.auth {
            a.option().put(out);
        }
        if self.magic != 0 {
            LcpOption::MagicNumber(self.magic).put(out);
        }
    }

    fn begin_peer_request(&mut self) {
        self.peer_mru = 1500;
        self.peer_magic = 0;
        self.peer_auth = None;
    }

    fn peer_option(
        &mut self,
        opt: &LcpOption<'_>,
        rng: &mut SeededRng,
    ) -> Verdict<LcpOption<'static>> {
        match opt {
            LcpOption::Mru(m) if *m < MIN_MRU => Verdict::Nak(LcpOption::Mru(self.want_mru)),
            LcpOption::Mru(m) => {
                self.peer_mru = *m;
                Verdict::Ack
            }
            LcpOption::MagicNumber(m) => {
                if *m == 0 {
                    Verdict::Nak(LcpOption::MagicNumber(self.new_magic(rng)))
                } else if self.magic != 0 && *m == self.magic {
                    self.note_loop(rng);
                    Verdict::Nak(LcpOption::MagicNumber(self.new_magic(rng)))
                } else {
                    self.peer_magic = *m;
                    self.loops = 0;
                    Verdict::Ack
                }
            }
            LcpOption::AuthProtocol(a) if !self.authenticator => {
                match method_of(a).filter(|m| self.methods.allows(*m)) {
                    Some(m) => {
                        self.peer_auth = Some(m);
                        Verdict::Ack
                    }
                    None => match self.methods.preferred() {
                        Some(p) => Verdict::Nak(p.option()),
                        None => Verdict::Reject,
                    },
                }
            }
            // We authenticate, we are not authenticated; on PPPoE ACCM, PFC
            // and ACFC are meaningless (RFC 2516 §7); unknown options.
            _ => Verdict::Reject,
        }
    }

    fn nak_received(&mut self, opt: &LcpOption<'_>, rng: &mut SeededRng) {
        match opt {
            LcpOption::Mru(m) if (MIN_MRU..=self.want_mru).contains(m) => self.mru = Some(*m),
            LcpOption::MagicNumber(m) => {
                if *m == self.magic {
                    self.loops = self.loops.saturating_add(1);
                }
                self.magic = self.new_magic(rng);
            }
            LcpOption::AuthProtocol(a) if self.authenticator => {
                let suggested = method_of(a).filter(|m| self.methods.allows(*m));
                self.auth = match (suggested, self.auth) {
                    (Some(m), _) => Some(m),
                    // Not a method we allow: fall back from CHAP to PAP.
                    (None, Some(AuthMethod::ChapMd5)) if self.methods.pap => Some(AuthMethod::Pap),
                    (None, cur) => cur,
                };
            }
            _ => {}
        }
    }

    fn reject_received(&mut self, opt: &LcpOption<'_>) {
        match opt {
            LcpOption::Mru(_) => self.mru = None,
            LcpOption::MagicNumber(_) => self.magic = 0,
            LcpOption::AuthProtocol(_) => {
                self.auth = None;
                self.auth_refused = true;
            }
            _ => {}
        }
    }

    fn rxr(&mut self, packet: &CpPacket<'_>) -> Option<Vec<u8>> {
        match packet.body {
            CpBody::EchoRequest { magic, data } => {
                if magic != 0 && magic == self.magic {
                    self.loops = self.loops.saturating_add(1);
                }
                let reply = CpPacket {
                    identifier: packet.identifier,
                    body: CpBody::EchoReply {
                        magic: self.magic,
                        data,
                    },
                };
                let mut out = Vec::with_capacity(reply.buffer_len());
                reply.put(&mut out);
                Some(out)
            }
            CpBody::EchoReply { magic, .. } => {
                // A reply with our own magic is our request looped back.
                if magic == 0 || magic != self.magic {
                    self.echo_outstanding = 0;
                }
                None
            }
            _ => None,
        }
    }
}

/// An Echo-Request with our magic (the keepalive).
pub(crate) fn echo_request(id: u8, magic: u32) -> Vec<u8> {
    let p = CpPacket {
        identifier: id,
        body: CpBody::EchoRequest { magic, data: &[] },
    };
    let mut out = Vec::with_capacity(p.buffer_len());
    p.put(&mut out);
    out
}

/// A Protocol-Reject of `frame` (protocol + information), cut to `max` bytes.
pub(crate) fn protocol_reject(id: u8, frame: &[u8], max: usize) -> Vec<u8> {
    let frame = &frame[..frame.len().min(max.saturating_sub(4))];
    crate::fsm::build(Code::ProtocolReject, id, frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer() -> LcpPolicy {
        LcpPolicy::new(
            1492,
            false,
            AuthMethods {
                chap_md5: true,
                pap: true,
            },
            5,
        )
    }

    #[test]
    fn peer_naks_ms_chap_and_eap_towards_chap_md5() {
        let mut p = peer();
        let mut rng = SeededRng::from_u64(1);
        let ms = LcpOption::AuthProtocol(AuthProtocol::Chap { algorithm: 0x81 });
        assert_eq!(
            p.peer_option(&ms, &mut rng),
            Verdict::Nak(AuthMethod::ChapMd5.option())
        );
        let eap = LcpOption::AuthProtocol(AuthProtocol::Other {
            protocol: protocol::EAP,
            data: &[],
        });
        assert_eq!(
            p.peer_option(&eap, &mut rng),
            Verdict::Nak(AuthMethod::ChapMd5.option())
        );
        p.methods.chap_md5 = false;
        assert_eq!(
            p.peer_option(&eap, &mut rng),
            Verdict::Nak(AuthMethod::Pap.option())
        );
        p.methods.pap = false;
        assert_eq!(p.peer_option(&eap, &mut rng), Verdict::Reject);
    }

    #[test]
    fn pppoe_rejects_accm_pfc_acfc() {
        let mut p = peer();
        let mut rng = SeededRng::from_u64(1);
        for o in [LcpOption::Accm(0), LcpOption::Pfc, LcpOption::Acfc] {
            assert_eq!(p.peer_option(&o, &mut rng), Verdict::Reject);
        }
    }

    #[test]
    fn own_magic_is_a_loop() {
        let mut p = peer();
        let mut rng = SeededRng::from_u64(1);
        p.reset(&mut rng);
        for _ in 0..5 {
            let m = p.magic();
            assert!(matches!(
                p.peer_option(&LcpOption::MagicNumber(m), &mut rng),
                Verdict::Nak(LcpOption::MagicNumber(n)) if n != m && n != 0
            ));
            assert_ne!(p.magic(), m);
        }
        assert!(p.looped_back());
    }
}
