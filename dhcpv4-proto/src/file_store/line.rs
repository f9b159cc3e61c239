//! One lease record per line: `L address state expires client hardware
//! hostname checksum`, the octet strings in hex (`x…`, `-` for none), the
//! checksum a 64-bit FNV-1a of the rest of the line.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;
use core::net::Ipv4Addr;

use sansio_primitives::Instant;

use crate::lease::{Lease, LeaseState};
use crate::server::fnv1a;

fn hex(out: &mut String, data: Option<&[u8]>) {
    match data {
        None => out.push('-'),
        Some(d) => {
            const DIGITS: &[u8; 16] = b"0123456789abcdef";
            out.reserve(1 + 2 * d.len());
            out.push('x');
            for &b in d {
                out.push(char::from(DIGITS[usize::from(b >> 4)]));
                out.push(char::from(DIGITS[usize::from(b & 0xf)]));
            }
        }
    }
}

fn unhex(s: &str) -> Option<Option<Vec<u8>>> {
    if s == "-" {
        return Some(None);
    }
    let s = s.strip_prefix('x')?;
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()
        .map(Some)
}

/// One record as a line (with its newline).
pub(crate) fn encode_line(l: &Lease) -> String {
    let mut s = String::with_capacity(96);
    let state = match l.state {
        LeaseState::Bound => 'B',
        LeaseState::Released => 'R',
        LeaseState::Declined => 'D',
    };
    let _ = write!(s, "L {} {} {} ", l.address, state, l.expires.as_nanos());
    hex(&mut s, Some(&l.client));
    s.push(' ');
    hex(&mut s, Some(&l.hardware));
    s.push(' ');
    hex(&mut s, l.hostname.as_deref());
    let sum = fnv1a(s.as_bytes());
    let _ = writeln!(s, " {sum:016x}");
    s
}

/// Parses one line (without its newline); `None` when it is not valid.
pub(crate) fn decode_line(line: &str) -> Option<Lease> {
    let (body, sum) = line.rsplit_once(' ')?;
    if sum.len() != 16 || u64::from_str_radix(sum, 16).ok()? != fnv1a(body.as_bytes()) {
        return None;
    }
    let mut f = body.split(' ');
    if f.next()? != "L" {
        return None;
    }
    let address: Ipv4Addr = f.next()?.parse().ok()?;
    let state = match f.next()? {
        "B" => LeaseState::Bound,
        "R" => LeaseState::Released,
        "D" => LeaseState::Declined,
        _ => return None,
    };
    let expires = Instant::from_nanos(f.next()?.parse().ok()?);
    let client = unhex(f.next()?)??;
    let hardware = unhex(f.next()?)??;
    let hostname = unhex(f.next()?)?;
    if f.next().is_some() {
        return None;
    }
    Some(Lease {
        address,
        client,
        hardware,
        hostname,
        expires,
        state,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_round_trip_and_rejects() {
        let l = Lease {
            address: Ipv4Addr::new(192, 0, 2, 9),
            client: alloc::vec![1, 2, 3],
            hardware: alloc::vec![],
            hostname: Some(b"h".to_vec()),
            expires: Instant::from_secs(5),
            state: LeaseState::Bound,
        };
        let line = encode_line(&l);
        assert_eq!(decode_line(line.trim_end()), Some(l));
        let bad = line.trim_end().replacen("192.0.2.9", "192.0.2.8", 1);
        assert_eq!(decode_line(&bad), None);
        assert_eq!(decode_line(""), None);
        assert_eq!(decode_line("L x"), None);
    }
}
