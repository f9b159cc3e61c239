//! The FreeRADIUS dictionary-file loader: `ATTRIBUTE`, `VALUE`, `VENDOR`,
//! `BEGIN-VENDOR`/`END-VENDOR`, `BEGIN-TLV`/`END-TLV`, `$INCLUDE` and
//! `$INCLUDE-` (optional). Files are read through a caller-supplied closure
//! so the core stays `no_std`; see `Dictionary::load_file` (feature `std`)
//! for the file-system version.
//!
//! The loader is strict about syntax (missing fields, bad numbers, unknown
//! keywords, unknown vendors, unbalanced blocks) and lenient about content:
//! type names it has no decoder for (`byte`, `tlv`, `combo-ip`...) and dotted
//! numbers (`241.1`) are recorded without a decoder rather than refused.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::{DictAttr, Dictionary, data_type_of};

/// How deep `$INCLUDE`s may nest (a cycle stops here).
pub const MAX_INCLUDE_DEPTH: u8 = 16;

/// What is wrong.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DictErrorKind {
    /// A line lacks a field.
    MissingField(&'static str),
    /// A number does not parse.
    BadNumber(&'static str),
    /// An unknown keyword.
    UnknownKeyword,
    /// `BEGIN-VENDOR` or a vendor flag names an unknown vendor.
    UnknownVendor,
    /// `END-VENDOR`/`END-TLV` without a matching begin, or a file ending
    /// inside a vendor block.
    Unbalanced,
    /// The reader could not supply a file.
    Unreadable,
    /// Includes nest deeper than [`MAX_INCLUDE_DEPTH`].
    IncludeTooDeep,
    /// A `format=` the loader does not understand.
    BadFormat,
}

/// A dictionary-file error: what, on which line, at which include depth
/// (0 = the file passed to `load`).
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
#[error("dictionary line {line} (include depth {depth}): {kind:?}")]
pub struct DictError {
    /// What is wrong.
    pub kind: DictErrorKind,
    /// 1-based line number in the file where it happened.
    pub line: u32,
    /// Include depth of that file.
    pub depth: u8,
}

fn parse_num(s: &str, what: &'static str) -> Result<u32, DictErrorKind> {
    let r = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u32::from_str_radix(h, 16)
    } else if s.len() > 1 && s.starts_with('0') {
        u32::from_str_radix(&s[1..], 8)
    } else {
        s.parse()
    };
    r.map_err(|_| DictErrorKind::BadNumber(what))
}

fn join(dir: &str, name: &str) -> String {
    if name.starts_with('/') || dir.is_empty() {
        name.to_string()
    } else {
        let mut s = dir.to_string();
        s.push('/');
        s.push_str(name);
        s
    }
}

fn dir_of(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

struct Ctx {
    vendor_stack: Vec<u32>,
    tlv_depth: u32,
}

impl Dictionary {
    /// Loads the dictionary file `path` and everything it includes, reading
    /// files with `read` (which returns `None` for a file it cannot read).
    /// Include paths are relative to the including file's directory.
    pub fn load<F>(&mut self, path: &str, read: &mut F) -> Result<(), DictError>
    where
        F: FnMut(&str) -> Option<String>,
    {
        let mut ctx = Ctx {
            vendor_stack: Vec::new(),
            tlv_depth: 0,
        };
        let text = read(path).ok_or(DictError {
            kind: DictErrorKind::Unreadable,
            line: 0,
            depth: 0,
        })?;
        self.load_text(path, &text, read, 0, &mut ctx)?;
        if !ctx.vendor_stack.is_empty() {
            return Err(DictError {
                kind: DictErrorKind::Unbalanced,
                line: 0,
                depth: 0,
            });
        }
        Ok(())
    }

    /// Loads dictionary text (no includes are possible unless `read` supplies
    /// them); `path` locates relative includes.
    pub fn load_str<F>(&mut self, path: &str, text: &str, read: &mut F) -> Result<(), DictError>
    where
        F: FnMut(&str) -> Option<String>,
    {
        let mut ctx = Ctx {
            vendor_stack: Vec::new(),
            tlv_depth: 0,
        };
        self.load_text(path, text, read, 0, &mut ctx)
    }

    /// [`Dictionary::load`] from the file system.
    #[cfg(feature = "std")]
    pub fn load_file(&mut self, path: &str) -> Result<(), DictError> {
        self.load(path, &mut |p: &str| std::fs::read_to_string(p).ok())
    }

    fn load_text<F>(
        &mut self,
        path: &str,
        text: &str,
        read: &mut F,
        depth: u8,
        ctx: &mut Ctx,
    ) -> Result<(), DictError>
    where
        F: FnMut(&str) -> Option<String>,
    {
        for (n, raw) in text.lines().enumerate() {
            let line = n as u32 + 1;
            let err = |kind| DictError { kind, line, depth };
            let content = raw.split('#').next().unwrap_or("");
            let mut tok = content.split_whitespace();
            let Some(kw) = tok.next() else { continue };
            let f: Vec<&str> = tok.collect();
            match kw {
                "$INCLUDE" | "$INCLUDE-" => {
                    let name = f.first().ok_or(err(DictErrorKind::MissingField("file")))?;
                    if depth >= MAX_INCLUDE_DEPTH {
                        return Err(err(DictErrorKind::IncludeTooDeep));
                    }
                    let full = join(dir_of(path), name);
                    match read(&full) {
                        Some(t) => self.load_text(&full, &t, read, depth + 1, ctx)?,
                        None if kw == "$INCLUDE-" => {}
                        None => return Err(err(DictErrorKind::Unreadable)),
                    }
                }
                "VENDOR" => {
                    let name = f
                        .first()
                        .ok_or(err(DictErrorKind::MissingField("vendor name")))?;
                    let id = f
                        .get(1)
                        .ok_or(err(DictErrorKind::MissingField("vendor number")))?;
                    let id = parse_num(id, "vendor number").map_err(err)?;
                    let (mut t, mut l) = (1u8, 1u8);
                    if let Some(fmt) = f.get(2).and_then(|s| s.strip_prefix("format=")) {
                        let mut parts = fmt.split(',');
                        t = parts
                            .next()
                            .and_then(|x| x.parse().ok())
                            .ok_or(err(DictErrorKind::BadFormat))?;
                        l = parts
                            .next()
                            .and_then(|x| x.parse().ok())
                            .ok_or(err(DictErrorKind::BadFormat))?;
                        if !matches!(t, 1 | 2 | 4) || l > 2 {
                            return Err(err(DictErrorKind::BadFormat));
                        }
                    }
                    self.add_vendor(name, id, t, l);
                }
                "BEGIN-VENDOR" => {
                    let name = f
                        .first()
                        .ok_or(err(DictErrorKind::MissingField("vendor name")))?;
                    let v = self.vendor(name).ok_or(err(DictErrorKind::UnknownVendor))?;
                    ctx.vendor_stack.push(v.id);
                }
                "END-VENDOR" => {
                    ctx.vendor_stack
                        .pop()
                        .ok_or(err(DictErrorKind::Unbalanced))?;
                }
                "BEGIN-TLV" => ctx.tlv_depth += 1,
                "END-TLV" => {
                    ctx.tlv_depth = ctx
                        .tlv_depth
                        .checked_sub(1)
                        .ok_or(err(DictErrorKind::Unbalanced))?;
                }
                "ATTRIBUTE" => {
                    let name = f
                        .first()
                        .ok_or(err(DictErrorKind::MissingField("attribute name")))?;
                    let num = f
                        .get(1)
                        .ok_or(err(DictErrorKind::MissingField("attribute number")))?;
                    let ty = f
                        .get(2)
                        .ok_or(err(DictErrorKind::MissingField("attribute type")))?;
                    let nested = num.contains('.') || ctx.tlv_depth > 0;
                    let first = num.split('.').next().unwrap_or(num);
                    let code = parse_num(first, "attribute number").map_err(err)?;
                    for part in num.split('.').skip(1) {
                        parse_num(part, "attribute number").map_err(err)?;
                    }
                    let mut vendor = ctx.vendor_stack.last().copied().unwrap_or(0);
                    if let Some(extra) = f.get(3) {
                        // Old style: a vendor name; otherwise flags
                        // (`has_tag`, `encrypt=2`, `array`, `secret`...).
                        if let Some(v) = self.vendor(extra) {
                            vendor = v.id;
                        }
                    }
                    self.add_attr(DictAttr {
                        name: name.to_string(),
                        vendor,
                        code,
                        nested,
                        data_type: data_type_of(ty),
                        type_name: ty.to_string(),
                    });
                }
                "VALUE" => {
                    let attr = f
                        .first()
                        .ok_or(err(DictErrorKind::MissingField("value attribute")))?;
                    let name = f
                        .get(1)
                        .ok_or(err(DictErrorKind::MissingField("value name")))?;
                    let v = f
                        .get(2)
                        .ok_or(err(DictErrorKind::MissingField("value number")))?;
                    let v = parse_num(v, "value number").map_err(err)?;
                    self.add_value(attr, name, v);
                }
                _ => return Err(err(DictErrorKind::UnknownKeyword)),
            }
        }
        Ok(())
    }
}
