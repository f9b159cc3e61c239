//! Session frames of sessions the AC does not have: after a restart (or once
//! a session ended without the host hearing of it) a host keeps sending
//! into a session that is gone. RFC 2516 §5.5 lets either side end a
//! session with a PADT at any time; answering such frames with one makes
//! the host redial at once instead of waiting for its LCP echo timeout.

use sansio_primitives::Instant;

use super::PppoeAc;
use crate::PppoeDropped;
use crate::session::peek;
use crate::wire::{Code, DiscoveryFrame, DiscoveryRepr, Tag};

impl PppoeAc {
    /// A received session frame (ethertype 0x8864) that belongs to no
    /// session of ours: answers it with a PADT for its session id, to its
    /// sender, within [`PppoeAcConfig::padt_rate_per_mac`] and
    /// [`PppoeAcConfig::padt_rate_total`] (a flood of forged frames gets at most
    /// that many PADTs, no bigger than the frames).
    ///
    /// `Err` means no PADT (counted, state unchanged): the frame is
    /// malformed, not addressed to us, from a non-unicast MAC, for session
    /// id 0 or 0xFFFF ([`PppoeDropped::WrongSessionId`]), or over the rate limit
    /// ([`PppoeDropped::RateLimited`]). [`PppoeDropped::KnownSession`] (not counted):
    /// the session exists and belongs to the frame's sender, so the caller
    /// should have taken the frame.
    ///
    /// [`PppoeAcConfig::padt_rate_per_mac`]: super::PppoeAcConfig::padt_rate_per_mac
    /// [`PppoeAcConfig::padt_rate_total`]: super::PppoeAcConfig::padt_rate_total
    pub fn handle_unknown_session(
        &mut self,
        now: Instant,
        frame: &[u8],
    ) -> Result<(), PppoeDropped> {
        let r = self.unknown_session(now, frame);
        if let Err(e) = r
            && e != PppoeDropped::KnownSession
        {
            self.counters.count(e);
        }
        r
    }

    fn unknown_session(&mut self, now: Instant, frame: &[u8]) -> Result<(), PppoeDropped> {
        let h = peek(frame)?;
        let vlan = |t: Option<u16>| t.map(|t| t & 0x0fff);
        if h.dst != self.config.mac || vlan(h.vlan) != vlan(self.config.vlan) {
            return Err(PppoeDropped::NotForUs);
        }
        if !h.src.is_unicast() {
            return Err(PppoeDropped::WrongPeer);
        }
        if h.session_id == 0 || h.session_id == 0xffff {
            return Err(PppoeDropped::WrongSessionId(h.session_id));
        }
        if self
            .sessions
            .get(&h.session_id)
            .is_some_and(|s| s.client_mac == h.src)
        {
            return Err(PppoeDropped::KnownSession);
        }
        if !self.padt_limiter.allow(h.src, now) {
            return Err(PppoeDropped::RateLimited);
        }
        let mut o = DiscoveryRepr::new(Code::Padt, h.session_id);
        // A short, fixed tag: cannot fail.
        let _ = o.push(Tag::GenericError(b"Unknown session"));
        let bytes = DiscoveryFrame::new(self.ethernet(h.src), o).to_vec();
        self.send(h.src, bytes);
        Ok(())
    }
}
