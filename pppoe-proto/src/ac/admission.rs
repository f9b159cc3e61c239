//! Manual admission ([`Admission::Manual`](super::Admission::Manual)): the
//! application's answer to an [`PppoeAcEvent::SessionRequest`].

use sansio_primitives::Instant;

#[cfg(doc)]
use super::Admission;
use super::{AcSession, PppoeAc, PppoeAcEvent, RefuseReason, RequestId};
use crate::PppoeCommandError;
use crate::wire::Tag;

/// A PADR awaiting the application's decision.
#[derive(Debug)]
pub(super) struct Pending {
    pub(super) request: RequestId,
    pub(super) expires: Instant,
    pub(super) session: AcSession,
}

impl PppoeAc {
    fn take_pending(
        &mut self,
        now: Instant,
        request: RequestId,
    ) -> Result<AcSession, PppoeCommandError> {
        self.expire(now);
        let i = self
            .pending
            .iter()
            .position(|q| q.request == request)
            .ok_or(PppoeCommandError::InvalidState)?;
        Ok(self.pending.swap_remove(i).session)
    }

    /// [`Admission::Manual`]: admits a pending request: a session id, the
    /// PADS, [`PppoeAcEvent::SessionUp`]. Returns the session id.
    /// [`PppoeCommandError::InvalidState`] when the request is unknown or expired;
    /// [`PppoeCommandError::Full`] when no session id is free (the host then gets a PADS
    /// with AC-System-Error).
    pub fn accept(&mut self, now: Instant, request: RequestId) -> Result<u16, PppoeCommandError> {
        let s = self.take_pending(now, request)?;
        self.admit(s).ok_or(PppoeCommandError::Full)
    }

    /// [`Admission::Manual`]: refuses a pending request: a PADS with
    /// Service-Name-Error carrying `message` (if not empty) and
    /// [`PppoeAcEvent::Refused`] with [`RefuseReason::Application`].
    /// [`PppoeCommandError::InvalidState`] when the request is unknown or expired.
    pub fn refuse(
        &mut self,
        now: Instant,
        request: RequestId,
        message: &[u8],
    ) -> Result<(), PppoeCommandError> {
        let s = self.take_pending(now, request)?;
        self.error_pads(
            &s,
            Tag::ServiceNameError(&message[..message.len().min(1024)]),
        );
        self.events.push_back(PppoeAcEvent::Refused {
            client_mac: s.client_mac,
            reason: RefuseReason::Application,
        });
        Ok(())
    }

    /// Requests waiting for [`Self::accept`] or [`Self::refuse`].
    pub fn pending_count(&self) -> usize {
        self.pending.len()
    }

    pub(super) fn expire(&mut self, now: Instant) {
        self.pending.retain(|q| q.expires > now);
    }
}
