//! Dictionaries: attribute and value names, the standard ones built in
//! ([`Dictionary::standard`], including the Roaring Penguin and Cisco
//! vendors), a loader for FreeRADIUS-format dictionary files
//! ([`Dictionary::load`]), and typed accessors for the attributes a NAS acts
//! on ([`AccessReply`]).

mod loader;
mod typed;

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

pub use loader::{DictError, DictErrorKind, MAX_INCLUDE_DEPTH};
pub use typed::{
    AccessReply, CISCO_AVPAIR, RP_DOWNSTREAM_SPEED_LIMIT, RP_UPSTREAM_SPEED_LIMIT, VENDOR_CISCO,
    VENDOR_ROARING_PENGUIN, rp_speed_limits,
};

use crate::error::{AttrName, Error};
use crate::wire::attr::STANDARD;
use crate::wire::{DataType, Value, Vsa};

/// A vendor.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct VendorDef {
    /// Its name.
    pub name: String,
    /// Its Private Enterprise Code.
    pub id: u32,
    /// Octets of the sub-attribute type (`format=t,l`, default 1).
    pub type_octets: u8,
    /// Octets of the sub-attribute length (default 1).
    pub length_octets: u8,
}

/// An attribute definition.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct DictAttr {
    /// Its name.
    pub name: String,
    /// Its vendor (0 for standard attributes).
    pub vendor: u32,
    /// Its number (for dotted numbers such as `241.1`, the first component;
    /// see `nested`).
    pub code: u32,
    /// Whether the number was dotted (extended or TLV attributes, which this
    /// crate keeps as octets).
    pub nested: bool,
    /// The data type this crate decodes it as, when it has one.
    pub data_type: Option<DataType>,
    /// The type name as written in the dictionary.
    pub type_name: String,
}

/// A set of vendor, attribute and value definitions.
#[derive(Clone, Debug, Default)]
pub struct Dictionary {
    vendors: Vec<VendorDef>,
    attrs: Vec<DictAttr>,
    by_name: BTreeMap<String, usize>,
    by_code: BTreeMap<(u32, u32), usize>,
    values: BTreeMap<(String, u32), String>,
    values_by_name: BTreeMap<(String, String), u32>,
}

/// The data type for a FreeRADIUS type name.
pub fn data_type_of(type_name: &str) -> Option<DataType> {
    let base = type_name.split('[').next().unwrap_or(type_name);
    Some(match base {
        "string" => DataType::Text,
        "octets" => DataType::Octets,
        "ipaddr" => DataType::Ipv4Addr,
        "integer" => DataType::Integer,
        "date" => DataType::Time,
        "ipv6addr" => DataType::Ipv6Addr,
        "ipv6prefix" => DataType::Ipv6Prefix,
        "ifid" => DataType::InterfaceId,
        "vsa" => DataType::Vsa,
        _ => return None,
    })
}

fn type_name_of(t: DataType) -> &'static str {
    match t {
        DataType::Text => "string",
        DataType::Octets => "octets",
        DataType::Ipv4Addr => "ipaddr",
        DataType::Integer => "integer",
        DataType::Time => "date",
        DataType::Ipv6Addr => "ipv6addr",
        DataType::Ipv6Prefix => "ipv6prefix",
        DataType::InterfaceId => "ifid",
        DataType::Vsa => "vsa",
    }
}

/// Common enumerations: (attribute, value name, value).
const STANDARD_VALUES: &[(&str, &str, u32)] = &[
    ("Service-Type", "Login-User", 1),
    ("Service-Type", "Framed-User", 2),
    ("Service-Type", "Authorize-Only", 17),
    ("Framed-Protocol", "PPP", 1),
    ("Acct-Status-Type", "Start", 1),
    ("Acct-Status-Type", "Stop", 2),
    ("Acct-Status-Type", "Interim-Update", 3),
    ("Acct-Status-Type", "Accounting-On", 7),
    ("Acct-Status-Type", "Accounting-Off", 8),
    ("Acct-Authentic", "RADIUS", 1),
    ("Acct-Authentic", "Local", 2),
    ("Acct-Terminate-Cause", "User-Request", 1),
    ("Acct-Terminate-Cause", "Lost-Carrier", 2),
    ("Acct-Terminate-Cause", "Lost-Service", 3),
    ("Acct-Terminate-Cause", "Idle-Timeout", 4),
    ("Acct-Terminate-Cause", "Session-Timeout", 5),
    ("Acct-Terminate-Cause", "Admin-Reset", 6),
    ("Acct-Terminate-Cause", "Admin-Reboot", 7),
    ("Acct-Terminate-Cause", "Port-Error", 8),
    ("Acct-Terminate-Cause", "NAS-Error", 9),
    ("Acct-Terminate-Cause", "NAS-Request", 10),
    ("Acct-Terminate-Cause", "NAS-Reboot", 11),
    ("Acct-Terminate-Cause", "Port-Unneeded", 12),
    ("Acct-Terminate-Cause", "Port-Preempted", 13),
    ("Acct-Terminate-Cause", "Port-Suspended", 14),
    ("Acct-Terminate-Cause", "Service-Unavailable", 15),
    ("Acct-Terminate-Cause", "Callback", 16),
    ("Acct-Terminate-Cause", "User-Error", 17),
    ("Acct-Terminate-Cause", "Host-Request", 18),
    ("NAS-Port-Type", "Virtual", 5),
    ("NAS-Port-Type", "Ethernet", 15),
    ("NAS-Port-Type", "PPPoEoE", 32),
    ("Error-Cause", "Residual-Context-Removed", 201),
    ("Error-Cause", "Unsupported-Attribute", 401),
    ("Error-Cause", "Missing-Attribute", 402),
    ("Error-Cause", "NAS-Identification-Mismatch", 403),
    ("Error-Cause", "Invalid-Request", 404),
    ("Error-Cause", "Unsupported-Service", 405),
    ("Error-Cause", "Invalid-Attribute-Value", 407),
    ("Error-Cause", "Administratively-Prohibited", 501),
    ("Error-Cause", "Session-Context-Not-Found", 503),
    ("Error-Cause", "Session-Context-Not-Removable", 504),
    ("Error-Cause", "Resources-Unavailable", 506),
];

impl Dictionary {
    /// An empty dictionary.
    pub fn new() -> Self {
        Self::default()
    }

    /// The built-in dictionary: every attribute of [`STANDARD`], common
    /// enumerations, and the Roaring Penguin (10055) and Cisco (9) vendors.
    pub fn standard() -> Self {
        let mut d = Dictionary::new();
        for a in STANDARD {
            d.add_attr(DictAttr {
                name: a.name.to_string(),
                vendor: 0,
                code: u32::from(a.typ),
                nested: false,
                data_type: Some(a.data_type),
                type_name: type_name_of(a.data_type).to_string(),
            });
        }
        for (a, n, v) in STANDARD_VALUES {
            d.add_value(a, n, *v);
        }
        d.add_vendor("Roaring-Penguin", VENDOR_ROARING_PENGUIN, 1, 1);
        for (name, code, t) in [
            ("RP-Upstream-Speed-Limit", 1, DataType::Integer),
            ("RP-Downstream-Speed-Limit", 2, DataType::Integer),
            ("RP-HURL", 3, DataType::Text),
            ("RP-MOTM", 4, DataType::Text),
            ("RP-Max-Sessions-Per-User", 5, DataType::Integer),
        ] {
            d.add_attr(DictAttr {
                name: name.to_string(),
                vendor: VENDOR_ROARING_PENGUIN,
                code,
                nested: false,
                data_type: Some(t),
                type_name: type_name_of(t).to_string(),
            });
        }
        d.add_vendor("Cisco", VENDOR_CISCO, 1, 1);
        d.add_attr(DictAttr {
            name: "Cisco-AVPair".to_string(),
            vendor: VENDOR_CISCO,
            code: u32::from(CISCO_AVPAIR),
            nested: false,
            data_type: Some(DataType::Text),
            type_name: "string".to_string(),
        });
        d
    }

    /// Adds or replaces a vendor.
    pub fn add_vendor(&mut self, name: &str, id: u32, type_octets: u8, length_octets: u8) {
        let v = VendorDef {
            name: name.to_string(),
            id,
            type_octets,
            length_octets,
        };
        match self.vendors.iter_mut().find(|x| x.name == name) {
            Some(x) => *x = v,
            None => self.vendors.push(v),
        }
    }

    /// Adds or replaces an attribute (a later definition of the same name or
    /// number wins, as in FreeRADIUS).
    pub fn add_attr(&mut self, a: DictAttr) {
        let i = match self.by_name.get(&a.name) {
            Some(&i) => {
                self.attrs[i] = a.clone();
                i
            }
            None => {
                self.attrs.push(a.clone());
                self.attrs.len() - 1
            }
        };
        self.by_name.insert(a.name.clone(), i);
        if !a.nested {
            self.by_code.insert((a.vendor, a.code), i);
        }
    }

    /// Adds a named value of an attribute.
    pub fn add_value(&mut self, attr: &str, name: &str, value: u32) {
        self.values
            .insert((attr.to_string(), value), name.to_string());
        self.values_by_name
            .insert((attr.to_string(), name.to_string()), value);
    }

    /// A vendor by name.
    pub fn vendor(&self, name: &str) -> Option<&VendorDef> {
        self.vendors.iter().find(|v| v.name == name)
    }

    /// A vendor by id.
    pub fn vendor_by_id(&self, id: u32) -> Option<&VendorDef> {
        self.vendors.iter().find(|v| v.id == id)
    }

    /// An attribute by name.
    pub fn attr(&self, name: &str) -> Option<&DictAttr> {
        self.by_name.get(name).map(|&i| &self.attrs[i])
    }

    /// An attribute by vendor (0 = standard) and number.
    pub fn attr_by_code(&self, vendor: u32, code: u32) -> Option<&DictAttr> {
        self.by_code.get(&(vendor, code)).map(|&i| &self.attrs[i])
    }

    /// The name of value `v` of attribute `attr`.
    pub fn value_name(&self, attr: &str, v: u32) -> Option<&str> {
        self.values.get(&(attr.to_string(), v)).map(String::as_str)
    }

    /// The value named `name` of attribute `attr`.
    pub fn value(&self, attr: &str, name: &str) -> Option<u32> {
        self.values_by_name
            .get(&(attr.to_string(), name.to_string()))
            .copied()
    }

    /// Decodes one attribute value by this dictionary's definition of
    /// `(vendor, code)` (vendor 0: standard), giving its name and typed value;
    /// `None` when the attribute is unknown or has no decoder here (it is
    /// then best kept as octets).
    pub fn decode<'a>(
        &self,
        vendor: u32,
        code: u32,
        data: &'a [u8],
    ) -> Option<(&str, Result<Value<'a>, Error>)> {
        let a = self.attr_by_code(vendor, code)?;
        let t = a.data_type?;
        let name = AttrName {
            vendor,
            typ: u8::try_from(code).unwrap_or(u8::MAX),
        };
        Some((a.name.as_str(), Value::parse_as(name, t, data)))
    }

    /// Every sub-attribute of a Vendor-Specific value, decoded by this
    /// dictionary: `(name, value)`, or `None` for the ones it cannot decode.
    pub fn decode_vsa<'a>(
        &'a self,
        vsa: &Vsa<'a>,
    ) -> impl Iterator<Item = Option<(&'a str, Value<'a>)>> + 'a {
        let vendor = vsa.vendor;
        vsa.sub_attributes().map(move |s| {
            let s = s.ok()?;
            let (n, v) = self.decode(vendor, u32::from(s.typ), s.value)?;
            Some((n, v.ok()?))
        })
    }

    /// Number of attributes.
    pub fn attr_count(&self) -> usize {
        self.attrs.len()
    }

    /// Number of vendors.
    pub fn vendor_count(&self) -> usize {
        self.vendors.len()
    }

    /// Number of named values.
    pub fn value_count(&self) -> usize {
        self.values.len()
    }
}

#[cfg(test)]
mod tests;
