//! Option 121, classless static routes (RFC 3442).

use alloc::vec::Vec;
use core::net::Ipv4Addr;

use super::Error;
use super::options::code;

/// One classless static route: `destination/prefix_len via router`.
///
/// On the wire only the significant octets of the destination are sent
/// (RFC 3442 §2); `parse` keeps exactly the octets it read (the rest zero),
/// so build routes with the host bits cleared for a canonical encoding.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Route {
    /// The destination network.
    pub destination: Ipv4Addr,
    /// The prefix length, 0–32.
    pub prefix_len: u8,
    /// The next hop (0.0.0.0 for a route on the link).
    pub router: Ipv4Addr,
}

impl Route {
    fn significant_octets(prefix_len: u8) -> usize {
        usize::from(prefix_len).div_ceil(8)
    }

    /// The encoded size of this route.
    pub fn wire_len(&self) -> usize {
        1 + Self::significant_octets(self.prefix_len) + 4
    }
}

/// Decodes option 121's data.
pub(crate) fn decode_routes(data: &[u8]) -> Result<Vec<Route>, Error> {
    let bad = Error::BadValue {
        code: code::CLASSLESS_STATIC_ROUTE,
    };
    let mut routes = Vec::new();
    let mut rest = data;
    while let Some((&width, tail)) = rest.split_first() {
        if width > 32 {
            return Err(bad);
        }
        let n = Route::significant_octets(width);
        if tail.len() < n + 4 {
            return Err(Error::BadLength {
                code: code::CLASSLESS_STATIC_ROUTE,
                len: data.len(),
            });
        }
        let mut dest = [0u8; 4];
        dest[..n].copy_from_slice(&tail[..n]);
        let mut router = [0u8; 4];
        router.copy_from_slice(&tail[n..n + 4]);
        routes.push(Route {
            destination: Ipv4Addr::from(dest),
            prefix_len: width,
            router: Ipv4Addr::from(router),
        });
        rest = &tail[n + 4..];
    }
    Ok(routes)
}

/// Encodes routes as option 121's data. A prefix length over 32 is written
/// as 32.
pub(crate) fn encode_routes(routes: &[Route], out: &mut Vec<u8>) {
    for r in routes {
        let width = r.prefix_len.min(32);
        out.push(width);
        out.extend_from_slice(&r.destination.octets()[..Route::significant_octets(width)]);
        out.extend_from_slice(&r.router.octets());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    /// The encodings table of RFC 3442 §2, with router 192.0.2.1.
    #[test]
    fn rfc3442_examples() {
        let r = [192, 0, 2, 1];
        let cases: &[(&[u8], [u8; 4], u8)] = &[
            (&[0], [0, 0, 0, 0], 0),
            (&[8, 10], [10, 0, 0, 0], 8),
            (&[16, 10, 17], [10, 17, 0, 0], 16),
            (&[24, 10, 27, 129], [10, 27, 129, 0], 24),
            (&[25, 10, 229, 0, 128], [10, 229, 0, 128], 25),
            (&[32, 10, 198, 122, 47], [10, 198, 122, 47], 32),
        ];
        for (head, dest, width) in cases {
            let mut wire = head.to_vec();
            wire.extend_from_slice(&r);
            let routes = decode_routes(&wire).unwrap();
            let want = Route {
                destination: Ipv4Addr::from(*dest),
                prefix_len: *width,
                router: Ipv4Addr::from(r),
            };
            assert_eq!(routes, vec![want]);
            let mut out = Vec::new();
            encode_routes(&routes, &mut out);
            assert_eq!(out, wire);
            assert_eq!(want.wire_len(), wire.len());
        }
    }

    #[test]
    fn bad_width_and_short_data() {
        assert!(matches!(
            decode_routes(&[33, 0, 0, 0, 0, 0, 0, 0, 0]),
            Err(Error::BadValue { code: 121 })
        ));
        assert!(matches!(
            decode_routes(&[24, 10, 0, 0, 1, 2, 3]),
            Err(Error::BadLength { code: 121, .. })
        ));
    }
}
