//! An in-memory RADIUS server built on this crate's codec, for the
//! conversation tests and benches.
#![allow(dead_code)]

use std::net::{Ipv4Addr, SocketAddr};

use radius_proto::crypto::{self, MessageAuth};
use radius_proto::dict::rp_speed_limits;
use radius_proto::wire::{Attribute, Code, Packet, Value, Vsa, attr};

pub fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// A tiny server: one user, answers Access and Accounting.
pub struct MemServer {
    pub secret: Vec<u8>,
    pub user: &'static str,
    pub password: &'static str,
    /// Add a Message-Authenticator to Access answers (a conforming server).
    pub add_ma: bool,
    /// Accounting-Requests received (bytes).
    pub accounting: Vec<Vec<u8>>,
    /// Access-Requests received.
    pub access: usize,
}

impl MemServer {
    pub fn new(secret: &[u8]) -> Self {
        MemServer {
            secret: secret.to_vec(),
            user: "alice",
            password: "wonderland",
            add_ma: true,
            accounting: Vec::new(),
            access: 0,
        }
    }

    /// The answer to one request, or `None` when the server would drop it.
    pub fn answer(&mut self, req: &[u8]) -> Option<Vec<u8>> {
        let p = Packet::parse(req).ok()?;
        let s = self.secret.clone();
        let mut r = match p.code {
            Code::AccessRequest => {
                self.access += 1;
                if crypto::verify_message_authenticator(req, &p.authenticator, &s)
                    != MessageAuth::Valid
                {
                    return None;
                }
                let user = p.get(attr::USER_NAME)?.as_str()?;
                let ok = if let Some(h) = p.get(attr::USER_PASSWORD) {
                    let pw = crypto::recover_password(h.as_bytes()?, &s, &p.authenticator).ok()?;
                    user == self.user && pw.expose() == self.password.as_bytes()
                } else if let Some(c) = p.get(attr::CHAP_PASSWORD) {
                    let ch = p
                        .get(attr::CHAP_CHALLENGE)
                        .and_then(Value::as_bytes)
                        .unwrap_or(&p.authenticator);
                    user == self.user
                        && crypto::chap_verify(c.as_bytes()?, self.password.as_bytes(), ch)
                } else {
                    false
                };
                let rp = rp_speed_limits(1000, 8000).unwrap();
                let mut out = Packet::new(
                    if ok {
                        Code::AccessAccept
                    } else {
                        Code::AccessReject
                    },
                    p.identifier,
                    p.authenticator,
                );
                if ok {
                    out.attributes.push(Attribute::new(
                        attr::FRAMED_IP_ADDRESS,
                        Value::Ipv4(Ipv4Addr::new(192, 0, 2, 7)),
                    ));
                    out.attributes
                        .push(Attribute::integer(attr::ACCT_INTERIM_INTERVAL, 300));
                    out.attributes.push(Attribute::new(
                        attr::VENDOR_SPECIFIC,
                        Value::Vsa(Vsa {
                            vendor: 10055,
                            data: &rp,
                        }),
                    ));
                }
                if self.add_ma {
                    out.attributes
                        .push(Attribute::bytes(attr::MESSAGE_AUTHENTICATOR, &[0; 16]));
                }
                let mut b = out.to_vec().ok()?;
                crypto::sign_message_authenticator(&mut b, &p.authenticator, &s);
                b
            }
            Code::AccountingRequest => {
                if !crypto::verify_request_zero(req, &s) {
                    return None;
                }
                self.accounting.push(req.to_vec());
                Packet::new(Code::AccountingResponse, p.identifier, p.authenticator)
                    .to_vec()
                    .ok()?
            }
            _ => return None,
        };
        crypto::sign_response(&mut r, &p.authenticator, &s);
        Some(r)
    }
}
