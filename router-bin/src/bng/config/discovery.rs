//! `[discovery]`: the PPPoE discovery limits over all hosts.

use serde::Deserialize;

/// The PADI rate limit over all hosts (each host is also held to 1 PADI/s,
/// burst 3). A PADI over it gets no PADO; the host sends it again after
/// its own timeout (1 s, doubling), so this bounds how fast sessions can
/// be set up after, say, a power cut brings every CPE back at once.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Discovery {
    /// PADIs answered per second, sustained.
    #[serde(default = "default_padi_rate")]
    pub padi_rate: u32,
    /// PADIs answered at once after a quiet period.
    #[serde(default = "default_padi_burst")]
    pub padi_burst: u32,
    /// Slots of the per-host PADI (and PADT) limit tables (1..=65536, 16
    /// bytes each). Hosts are hashed into them, so hosts sharing a slot
    /// share its 1/s: with many more hosts dialling than slots, the
    /// per-host limit acts as a limit of about `mac_rate_slots` PADIs per
    /// second over all of them.
    #[serde(default = "default_slots")]
    pub mac_rate_slots: usize,
}

fn default_padi_rate() -> u32 {
    200
}
fn default_padi_burst() -> u32 {
    400
}
fn default_slots() -> usize {
    1024
}

impl Default for Discovery {
    fn default() -> Self {
        Discovery {
            padi_rate: default_padi_rate(),
            padi_burst: default_padi_burst(),
            mac_rate_slots: default_slots(),
        }
    }
}

impl Discovery {
    /// Both at least 1 (0 would stop answering PADIs for good).
    pub fn check(&self) -> Result<(), String> {
        if self.padi_rate == 0 || self.padi_burst == 0 {
            return Err("discovery: padi_rate and padi_burst must be at least 1".into());
        }
        if !(1..=65_536).contains(&self.mac_rate_slots) {
            return Err("discovery: mac_rate_slots must be 1..=65536".into());
        }
        Ok(())
    }

    /// As pppoe-proto's limit.
    pub fn padi_rate_total(&self) -> sansio_primitives::RateLimit {
        sansio_primitives::RateLimit {
            per_second: self.padi_rate,
            burst: self.padi_burst,
        }
    }
}
