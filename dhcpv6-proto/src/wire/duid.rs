//! DHCP Unique Identifiers (RFC 8415 §11, RFC 6355 for DUID-UUID).

use alloc::vec::Vec;

use super::{Error, Reader, Writer, emit_via_writer};

/// A DUID, as carried in the Client and Server Identifier options.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum Duid {
    /// Type 1: link-layer address plus time (§11.2).
    Llt {
        /// The hardware type (IANA ARP hardware type; 1 = Ethernet).
        hardware_type: u16,
        /// Seconds since 2000-01-01 UTC, mod 2^32.
        time: u32,
        /// The link-layer address.
        link_layer: Vec<u8>,
    },
    /// Type 2: assigned by vendor based on enterprise number (§11.3).
    En {
        /// The vendor's IANA enterprise number.
        enterprise: u32,
        /// The vendor-assigned identifier.
        identifier: Vec<u8>,
    },
    /// Type 3: link-layer address (§11.4).
    Ll {
        /// The hardware type.
        hardware_type: u16,
        /// The link-layer address.
        link_layer: Vec<u8>,
    },
    /// Type 4: a UUID (RFC 6355).
    Uuid([u8; 16]),
    /// Any other type, kept raw.
    Unknown(u16, Vec<u8>),
}

/// The longest DUID accepted, type code excluded (RFC 8415 §11.1).
pub const MAX_DUID_LEN: usize = 128;

impl Duid {
    /// A DUID-LL from an Ethernet address.
    pub fn ethernet(mac: [u8; 6]) -> Duid {
        Duid::Ll {
            hardware_type: 1,
            link_layer: mac.to_vec(),
        }
    }

    /// Parses a DUID filling `buf` (an identifier option's value).
    pub fn parse(buf: &[u8]) -> Result<Duid, Error> {
        let mut r = Reader::new(buf);
        let t = r.u16("DUID type")?;
        if buf.len() - 2 > MAX_DUID_LEN {
            return Err(Error::BadLength {
                field: "DUID",
                len: buf.len(),
            });
        }
        Ok(match t {
            1 => Duid::Llt {
                hardware_type: r.u16("DUID-LLT hardware type")?,
                time: r.u32("DUID-LLT time")?,
                link_layer: r.rest().to_vec(),
            },
            2 => Duid::En {
                enterprise: r.u32("DUID-EN enterprise number")?,
                identifier: r.rest().to_vec(),
            },
            3 => Duid::Ll {
                hardware_type: r.u16("DUID-LL hardware type")?,
                link_layer: r.rest().to_vec(),
            },
            4 => {
                let u = r.array::<16>("DUID-UUID")?;
                if !r.is_empty() {
                    return Err(Error::BadLength {
                        field: "DUID-UUID",
                        len: buf.len(),
                    });
                }
                Duid::Uuid(u)
            }
            t => Duid::Unknown(t, r.rest().to_vec()),
        })
    }

    /// The wire length.
    pub fn buffer_len(&self) -> usize {
        2 + match self {
            Duid::Llt { link_layer, .. } => 6 + link_layer.len(),
            Duid::En { identifier, .. } => 4 + identifier.len(),
            Duid::Ll { link_layer, .. } => 2 + link_layer.len(),
            Duid::Uuid(_) => 16,
            Duid::Unknown(_, v) => v.len(),
        }
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) {
        if self.buffer_len() - 2 > MAX_DUID_LEN {
            w.fail(Error::BadLength {
                field: "DUID",
                len: self.buffer_len(),
            });
        }
        match self {
            Duid::Llt {
                hardware_type,
                time,
                link_layer,
            } => {
                w.u16(1);
                w.u16(*hardware_type);
                w.u32(*time);
                w.put(link_layer);
            }
            Duid::En {
                enterprise,
                identifier,
            } => {
                w.u16(2);
                w.u32(*enterprise);
                w.put(identifier);
            }
            Duid::Ll {
                hardware_type,
                link_layer,
            } => {
                w.u16(3);
                w.u16(*hardware_type);
                w.put(link_layer);
            }
            Duid::Uuid(u) => {
                w.u16(4);
                w.put(u);
            }
            Duid::Unknown(t, v) => {
                w.u16(*t);
                w.put(v);
            }
        }
    }
}

emit_via_writer!(Duid);
