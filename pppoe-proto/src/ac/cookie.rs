//! Stateless AC-Cookies (RFC 2516 §5.2: "AC-Cookie … used by the Access
//! Concentrator to aid in protecting against denial of service attacks").
//!
//! The cookie is HMAC-MD5 (RFC 2104) keyed with a secret, over the rotation
//! epoch, the client's MAC and its Host-Uniq. Secrets rotate every
//! `rotation` period; the current and the previous one are accepted, so a
//! cookie lives between one and two periods. Nothing is stored per client:
//! a PADR proves it echoes a PADO we sent to that MAC recently.

use core::fmt;

use hmac::{Hmac, KeyInit, Mac};
use md5::Md5;
use sansio_primitives::rand_core::Rng;
use sansio_primitives::{Duration, Instant, SeededRng};

use crate::wire::EthernetAddress;

/// Length of our AC-Cookie: a full HMAC-MD5 output.
pub const COOKIE_LEN: usize = 16;

#[derive(Clone)]
struct Secret {
    epoch: u64,
    key: [u8; 16],
}

/// The rotating cookie secrets. `Debug` does not show them.
#[derive(Clone)]
pub(crate) struct CookieJar {
    rotation: Duration,
    current: Secret,
    previous: Secret,
}

impl fmt::Debug for CookieJar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CookieJar")
            .field("rotation", &self.rotation)
            .field("epoch", &self.current.epoch)
            .field("keys", &"<redacted>")
            .finish()
    }
}

fn fresh(rng: &mut SeededRng, epoch: u64) -> Secret {
    let mut key = [0u8; 16];
    rng.fill_bytes(&mut key);
    Secret { epoch, key }
}

impl CookieJar {
    pub(crate) fn new(rotation: Duration, rng: &mut SeededRng, now: Instant) -> Self {
        let rotation = rotation.max(Duration::from_millis(1));
        let e = Self::epoch_of(rotation, now);
        CookieJar {
            rotation,
            current: fresh(rng, e),
            previous: fresh(rng, e.wrapping_sub(1)),
        }
    }

    fn epoch_of(rotation: Duration, now: Instant) -> u64 {
        let r = u64::try_from(rotation.as_nanos())
            .unwrap_or(u64::MAX)
            .max(1);
        now.as_nanos() / r
    }

    /// Moves to the epoch of `now`: the current secret becomes the previous
    /// one after one period; after two or more both are fresh.
    pub(crate) fn rotate(&mut self, rng: &mut SeededRng, now: Instant) {
        let e = Self::epoch_of(self.rotation, now);
        if e <= self.current.epoch {
            return;
        }
        if e == self.current.epoch + 1 {
            self.previous = self.current.clone();
        } else {
            self.previous = fresh(rng, e - 1);
        }
        self.current = fresh(rng, e);
    }

    /// When the next rotation is due.
    pub(crate) fn next_rotation(&self) -> Instant {
        let r = u64::try_from(self.rotation.as_nanos()).unwrap_or(u64::MAX);
        Instant::from_nanos(self.current.epoch.saturating_add(1).saturating_mul(r))
    }

    fn mac(secret: &Secret, client: EthernetAddress, host_uniq: &[u8]) -> Hmac<Md5> {
        // HMAC takes keys of any length: this cannot fail.
        let mut m = <Hmac<Md5> as KeyInit>::new_from_slice(&secret.key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        m.update(&secret.epoch.to_be_bytes());
        m.update(&client.0);
        m.update(&(host_uniq.len() as u64).to_be_bytes());
        m.update(host_uniq);
        m
    }

    /// The cookie for a PADO to `client` with this Host-Uniq (empty if none).
    pub(crate) fn issue(&self, client: EthernetAddress, host_uniq: &[u8]) -> [u8; COOKIE_LEN] {
        let tag = Self::mac(&self.current, client, host_uniq)
            .finalize()
            .into_bytes();
        let mut out = [0u8; COOKIE_LEN];
        out.copy_from_slice(&tag[..COOKIE_LEN]);
        out
    }

    /// True when `cookie` was issued to `client` for `host_uniq` under the
    /// current or the previous secret (constant-time comparison).
    pub(crate) fn verify(&self, client: EthernetAddress, host_uniq: &[u8], cookie: &[u8]) -> bool {
        if cookie.len() != COOKIE_LEN {
            return false;
        }
        [&self.current, &self.previous]
            .into_iter()
            .any(|s| Self::mac(s, client, host_uniq).verify_slice(cookie).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    const C: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 1]);

    #[test]
    fn cookie_binds_mac_host_uniq_and_time() {
        let mut rng = SeededRng::from_u64(1);
        let rot = Duration::from_secs(60);
        let mut jar = CookieJar::new(rot, &mut rng, Instant::from_secs(10));
        let c = jar.issue(C, b"hu");
        assert!(jar.verify(C, b"hu", &c));
        assert!(!jar.verify(C, b"hv", &c));
        assert!(!jar.verify(EthernetAddress([2, 0, 0, 0, 0, 2]), b"hu", &c));
        assert!(!jar.verify(C, b"hu", &c[..15]));
        // One rotation later the cookie is still good…
        jar.rotate(&mut rng, Instant::from_secs(70));
        assert!(jar.verify(C, b"hu", &c));
        assert_eq!(jar.next_rotation(), Instant::from_secs(120));
        // …two rotations later it is stale.
        jar.rotate(&mut rng, Instant::from_secs(130));
        assert!(!jar.verify(C, b"hu", &c));
        // A long silence refreshes both secrets.
        let c2 = jar.issue(C, b"hu");
        jar.rotate(&mut rng, Instant::from_secs(1_000));
        assert!(!jar.verify(C, b"hu", &c2));
        assert!(!format!("{jar:?}").contains(&format!("{:?}", jar.current.key)));
    }
}
