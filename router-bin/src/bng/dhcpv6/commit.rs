//! Group commit: the binding changes of every DHCPv6 message of one
//! receive batch are written and fsynced once, then the batch's Replies
//! go (none before its binding is on disk).

use super::Dhcpv6;
use crate::bng::engine::Bng;

impl Dhcpv6 {
    /// Writes the pending binding changes (fsynced) and releases the
    /// Replies held for them; on failure they are dropped (the clients
    /// send again). Timed: `bng stats` shows what it costs the loop.
    pub(super) fn commit(&mut self) {
        if self.server.pending_bindings().is_empty() {
            self.server.commit();
            return;
        }
        let t = std::time::Instant::now();
        if let Err(e) = self.server.commit_to(&mut self.store) {
            tracing::warn!("DHCPv6 bindings not stored: {e}");
        }
        let took = t.elapsed();
        self.commits += 1;
        self.commit_time += took;
        self.commit_max = self.commit_max.max(took);
    }
}

impl Bng {
    /// Group commit, at the end of each receive batch: the binding changes
    /// of every DHCPv6 message in it are written and fsynced once, then
    /// their Replies go (none before its binding is on disk).
    pub fn dhcpv6_flush(&mut self) {
        let Some(d) = self.dhcpv6.as_mut() else {
            return;
        };
        if d.server.pending_bindings().is_empty() {
            return;
        }
        d.commit();
        self.dhcpv6_send();
    }
}
