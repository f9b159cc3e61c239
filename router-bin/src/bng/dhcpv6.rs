//! The delegating DHCPv6 server of the sessions (with `[ipv6]`): one
//! [`Dhcpv6Server`] for every session, each message passed with the
//! session's subscriber as its `link` and, when RADIUS or the users table
//! fixes one, the prefix to delegate. Bindings are made durable in a
//! [`FileBindingStore`] under `state_dir` before their Reply leaves: the
//! changes of every DHCPv6 message of one receive batch (up to 64 frames)
//! are written and fsynced once (group commit) by a writer thread while
//! the event loop goes on, and the batch's Replies go when it confirmed
//! them. A SIGKILL after a Reply never loses its binding.
//!
//! A reconnecting subscriber gets its prefix back: the server remembers
//! each DUID+IAID's prefix, and the bng remembers each subscriber's (the
//! `link` of the stored records: a hash of the user name), so a CPE that
//! comes back with a new DUID still gets the same prefix while nobody
//! else holds it. Precedence: Delegated-IPv6-Prefix from RADIUS or the
//! user's `ipv6_prefix`, then the subscriber's remembered prefix, then the
//! server's own choice from the pools; a prefix routed to another session
//! (one user may have several up at once) is never given.
//!
//! Here the server and its store; in `session` the bng's side (messages
//! in, answers out, delegations routed), in `prefixes` which prefix a
//! session gets, in `commit` the group commit, in `writer` its thread.

use std::collections::HashMap;
use std::net::Ipv6Addr;
use std::path::PathBuf;

use dhcpv6_proto::file_store::FileBindingStore;
use dhcpv6_proto::server::{
    Dhcpv6PrefixPool, Dhcpv6Server, Dhcpv6ServerConfig, Dhcpv6ServerSource,
};
use dhcpv6_proto::store::BindingStore;
use dhcpv6_proto::wire::Duid;
use sansio_primitives::StdClock;

use crate::bng::config::{Config, Prefix6};
use crate::bng::sessions::Session;

/// The DHCPv6 server and what the bng keeps beside it.
#[derive(Debug)]
pub struct Dhcpv6 {
    /// The machine.
    pub server: Dhcpv6Server,
    /// Makes the bindings durable, off the event loop.
    writer: writer::Writer,
    /// Its clock: UNIX time, so stored expiries survive a restart.
    wall: StdClock,
    /// Each subscriber's last delegated prefix (bounded by the server's
    /// `max_bindings`).
    remembered: HashMap<u64, Prefix6>,
    /// The batches in flight to the writer, and what commits cost.
    pub commits: commit::Commits,
}

/// The journal's file name under `state_dir`.
pub const BINDINGS_FILE: &str = "dhcpv6-bindings";

/// A subscriber's stable id: 64-bit FNV-1a of its user name (the MAC when
/// there is none).
pub fn subscriber(s: &Session) -> u64 {
    let key: &[u8] = s.user.as_deref().unwrap_or(&s.mac);
    key.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl Dhcpv6 {
    /// The server for `cfg` (which has `[ipv6]`), its bindings restored from
    /// `state_dir`; `mac` makes its DUID.
    pub fn open(cfg: &Config, mac: [u8; 6]) -> Result<Option<Dhcpv6>, String> {
        let Some(v6) = &cfg.ipv6 else {
            return Ok(None);
        };
        std::fs::create_dir_all(&cfg.state_dir)
            .map_err(|e| format!("state_dir {}: {e}", cfg.state_dir.display()))?;
        let path: PathBuf = cfg.state_dir.join(BINDINGS_FILE);
        let (mut store, report) =
            FileBindingStore::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        if report.bad_count > 0 {
            tracing::warn!(
                file = %path.display(), lines = ?report.bad_lines,
                "corrupt DHCPv6 binding records dropped"
            );
        }
        let pools = v6
            .pools
            .iter()
            .map(|p| Dhcpv6PrefixPool::new(p.addr, p.len, v6.delegated_length))
            .collect();
        let mut sc = Dhcpv6ServerConfig::new(Duid::ethernet(mac), pools);
        sc.preferred = v6.preferred_lifetime;
        sc.valid = v6.valid_lifetime;
        sc.t1 = v6.preferred_lifetime / 2;
        sc.t2 = v6.preferred_lifetime / 5 * 4;
        sc.dns_servers = v6.dns.clone();
        sc.max_bindings = v6.max_bindings;
        // One server per PPP link: Preference 255 lets the client take our
        // Advertise at once instead of collecting for its first Solicit
        // timeout (RFC 8415 §18.2.1, ~1 s per session).
        sc.preference = 255;
        let wall = StdClock::since_unix_epoch();
        let server = Dhcpv6Server::new(sc, wall.now()).map_err(|e| format!("ipv6: {e}"))?;
        let records = store
            .load()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let writer = writer::Writer::spawn(store).map_err(|e| format!("DHCPv6 writer: {e}"))?;
        let mut d = Dhcpv6 {
            server,
            writer,
            wall,
            remembered: HashMap::new(),
            commits: commit::Commits::default(),
        };
        for r in &records {
            d.remember(r);
        }
        let ignored = d.server.restore(records);
        if ignored > 0 {
            tracing::warn!(
                ignored,
                "stored DHCPv6 bindings past ipv6.max_bindings ignored"
            );
        }
        Ok(Some(d))
    }

    /// Hands the server a message from session `session` (subscriber
    /// `link`, `fixed` the prefix it must get) sent from `src`; the
    /// session rides in the source's `interface` so each answer finds it.
    fn input(
        &mut self,
        session: u16,
        link: u64,
        fixed: Option<Prefix6>,
        src: Ipv6Addr,
        data: &[u8],
    ) {
        let source = Dhcpv6ServerSource {
            link: Some(link),
            delegated_prefix: fixed.map(|p| (p.addr, p.len)),
            ..Dhcpv6ServerSource::new(src, u32::from(session))
        };
        let now = self.wall.now();
        if let Err(e) = self.server.handle_input(now, source, data) {
            tracing::debug!(session, "DHCPv6 message dropped: {e}");
        }
    }

    /// The answers ready to go.
    fn transmits(&mut self) -> Vec<commit::Answer> {
        let now = self.wall.now();
        let mut out = Vec::new();
        while let Some(t) = self.server.poll_transmit(now) {
            let d = t.destination;
            if let Ok(id) = u16::try_from(d.interface) {
                out.push((id, d.address, d.port, t.payload));
            }
        }
        out
    }
}

mod commit;
mod prefixes;
mod session;
mod writer;

pub use commit::dhcpv6_durable;
pub use writer::Durable;

#[cfg(test)]
mod tests;
