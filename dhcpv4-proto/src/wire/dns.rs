//! Domain names as option 119 (domain search, RFC 3397) carries them: RFC
//! 1035 §3.1 labels with §4.1.4 compression pointers.

use alloc::string::String;
use alloc::vec::Vec;

use super::Error;
use super::options::code;

/// The longest domain name in wire form (RFC 1035 §2.3.4).
const MAX_NAME_LEN: usize = 255;

/// One domain name, kept in uncompressed wire form (length-prefixed labels
/// ending with the root label `0`), so any label bytes round-trip.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DomainName(Vec<u8>);

impl DomainName {
    /// A name from dotted text (`"example.org"`, a trailing dot optional);
    /// `None` for an empty label, a label over 63 octets or a name over 255.
    pub fn from_dotted(text: &str) -> Option<DomainName> {
        let text = text.strip_suffix('.').unwrap_or(text);
        let mut wire = Vec::with_capacity(text.len() + 2);
        if !text.is_empty() {
            for label in text.split('.') {
                let len = label.len();
                if len == 0 || len > 63 {
                    return None;
                }
                wire.push(len as u8);
                wire.extend_from_slice(label.as_bytes());
            }
        }
        wire.push(0);
        (wire.len() <= MAX_NAME_LEN).then_some(DomainName(wire))
    }

    /// The name as dotted text without a trailing dot (the root is `""`).
    /// Octets outside ASCII are shown as U+FFFD.
    pub fn to_dotted(&self) -> String {
        let mut out = String::with_capacity(self.0.len());
        for label in self.labels() {
            if !out.is_empty() {
                out.push('.');
            }
            out.extend(label.iter().map(|&b| {
                if b.is_ascii() {
                    b as char
                } else {
                    char::REPLACEMENT_CHARACTER
                }
            }));
        }
        out
    }

    /// The uncompressed wire form, root label included.
    pub fn as_wire(&self) -> &[u8] {
        &self.0
    }

    /// The labels, root excluded.
    pub fn labels(&self) -> impl Iterator<Item = &[u8]> {
        let mut rest = &self.0[..];
        core::iter::from_fn(move || {
            let (&len, tail) = rest.split_first()?;
            if len == 0 {
                return None;
            }
            // Invariant of the type: every label fits (checked on build).
            let (label, tail) = tail.split_at(usize::from(len).min(tail.len()));
            rest = tail;
            Some(label)
        })
    }

    /// The wire form of the suffix starting at each label (the whole name
    /// first, the root last), with the label's offset.
    fn suffix_offsets(&self) -> Vec<usize> {
        let mut offsets = Vec::new();
        let mut i = 0;
        while let Some(&len) = self.0.get(i) {
            if len == 0 {
                break;
            }
            offsets.push(i);
            i += 1 + usize::from(len);
        }
        offsets
    }
}

impl core::fmt::Debug for DomainName {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "DomainName({:?})", self.to_dotted())
    }
}

/// Decodes the reassembled data of option 119 into its names.
///
/// A compression pointer must point strictly backwards (which also rules
/// out loops) and names are at most 255 octets.
pub fn decode_search_list(data: &[u8]) -> Result<Vec<DomainName>, Error> {
    let bad = Error::BadValue {
        code: code::DOMAIN_SEARCH,
    };
    let mut names = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let mut wire = Vec::new();
        let mut cursor = pos;
        let mut resume: Option<usize> = None;
        loop {
            let &len = data.get(cursor).ok_or(bad)?;
            match len & 0xc0 {
                0x00 => {
                    let l = usize::from(len);
                    let label = data.get(cursor + 1..cursor + 1 + l).ok_or(bad)?;
                    wire.push(len);
                    wire.extend_from_slice(label);
                    if wire.len() > MAX_NAME_LEN {
                        return Err(bad);
                    }
                    cursor += 1 + l;
                    if l == 0 {
                        break;
                    }
                }
                0xc0 => {
                    let &low = data.get(cursor + 1).ok_or(bad)?;
                    let target = (usize::from(len & 0x3f) << 8) | usize::from(low);
                    if target >= cursor {
                        return Err(bad);
                    }
                    resume.get_or_insert(cursor + 2);
                    cursor = target;
                }
                _ => return Err(bad),
            }
        }
        pos = resume.unwrap_or(cursor);
        names.push(DomainName(wire));
    }
    Ok(names)
}

/// Encodes names as option 119 data, compressing each name's longest suffix
/// already written (as RFC 3397 §2's example does).
pub fn encode_search_list(names: &[DomainName], out: &mut Vec<u8>) {
    let base = out.len();
    // (offset in the option data, suffix wire form) of every suffix written
    // in full so far.
    let mut written: Vec<(usize, &[u8])> = Vec::new();
    for name in names {
        let offsets = name.suffix_offsets();
        let mut pointer = None;
        let mut split = offsets.len();
        for (i, &off) in offsets.iter().enumerate() {
            let suffix = &name.0[off..];
            if let Some(&(at, _)) = written.iter().find(|(_, s)| *s == suffix) {
                pointer = Some(at);
                split = i;
                break;
            }
        }
        let start = out.len() - base;
        let head_end = offsets.get(split).copied().unwrap_or(name.0.len() - 1);
        for &off in &offsets[..split] {
            if start + off <= 0x3fff {
                written.push((start + off, &name.0[off..]));
            }
        }
        out.extend_from_slice(&name.0[..head_end]);
        match pointer {
            Some(at) => {
                out.push(0xc0 | (at >> 8) as u8);
                out.push(at as u8);
            }
            None => out.push(0),
        }
    }
}

/// The encoded size of [`encode_search_list`]'s output.
pub(crate) fn search_list_len(names: &[DomainName]) -> usize {
    let mut v = Vec::new();
    encode_search_list(names, &mut v);
    v.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn rfc3397_example_compresses_and_decodes() {
        let names = vec![
            DomainName::from_dotted("eng.apple.com.").unwrap(),
            DomainName::from_dotted("marketing.apple.com").unwrap(),
        ];
        let mut data = Vec::new();
        encode_search_list(&names, &mut data);
        let expected: &[u8] = b"\x03eng\x05apple\x03com\x00\x09marketing\xc0\x04";
        assert_eq!(data, expected);
        assert_eq!(decode_search_list(&data).unwrap(), names);
        assert_eq!(names[1].to_dotted(), "marketing.apple.com");
    }

    #[test]
    fn forward_and_self_pointers_are_rejected() {
        assert!(decode_search_list(b"\xc0\x00").is_err());
        assert!(decode_search_list(b"\x01a\xc0\x05").is_err());
        assert!(decode_search_list(b"\x01a").is_err());
        assert!(decode_search_list(b"\x80").is_err());
    }

    #[test]
    fn bad_names_are_refused() {
        assert!(DomainName::from_dotted("a..b").is_none());
        let long = "x".repeat(64);
        assert!(DomainName::from_dotted(&long).is_none());
        assert_eq!(DomainName::from_dotted("").unwrap().as_wire(), &[0]);
    }
}
