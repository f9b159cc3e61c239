//! Delegation records, and the store that makes them durable.
//!
//! The server never sends a Reply that depends on a binding change before
//! the change is durable: every change is queued in
//! [`Dhcpv6Server::pending_bindings`](crate::server::Dhcpv6Server::pending_bindings)
//! and the Replies that depend on it are held until the driver has written
//! the batch to a [`BindingStore`] and called
//! [`Dhcpv6Server::commit`](crate::server::Dhcpv6Server::commit) (or, in one
//! call, [`Dhcpv6Server::commit_to`](crate::server::Dhcpv6Server::commit_to)).
//! The discipline is dhcpv4-proto's (`lease.rs`), for prefixes.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::net::Ipv6Addr;

use sansio_primitives::Instant;

use crate::wire::Duid;

/// What a record says about its prefix.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Dhcpv6BindingState {
    /// Delegated to the client until `expires`.
    Bound,
    /// Given back (Release) or expired; remembered so that the same client
    /// gets the same prefix again.
    Released,
}

/// One delegated prefix and what the server knows about it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Dhcpv6DelegationRecord {
    /// The client's DUID.
    pub duid: Duid,
    /// The IA_PD's IAID.
    pub iaid: u32,
    /// The delegated prefix.
    pub prefix: Ipv6Addr,
    /// Its length.
    pub prefix_len: u8,
    /// When the valid lifetime ends, on the driver's clock (a driver that
    /// persists across restarts must use a clock whose origin survives a
    /// restart: the UNIX epoch, say).
    pub expires: Instant,
    /// Bound or released.
    pub state: Dhcpv6BindingState,
    /// The client link (the embedder's id: for bng, the PPP session) the
    /// last message came from.
    pub link: Option<u64>,
}

impl Dhcpv6DelegationRecord {
    /// Whether the prefix is unavailable to other clients at `now`.
    pub fn is_held(&self, now: Instant) -> bool {
        self.state == Dhcpv6BindingState::Bound && self.expires > now
    }
}

/// Where delegation records are made durable.
///
/// `persist` must return only once every change given is durable (on
/// disk, fsynced): the server releases the Replies as soon as it returns
/// `Ok`.
pub trait BindingStore {
    /// Why a load or a write failed.
    type Error;

    /// Every record stored (the latest per prefix).
    fn load(&mut self) -> Result<Vec<Dhcpv6DelegationRecord>, Self::Error>;

    /// Makes these changes durable, in order (a later record for the same
    /// prefix replaces an earlier one).
    fn persist(&mut self, changes: &[Dhcpv6DelegationRecord]) -> Result<(), Self::Error>;
}

/// A store in memory, for tests and boxes without storage. `fail_next`
/// makes the next `persist` fail, to test the no-Reply-before-durable rule.
#[derive(Clone, Debug, Default)]
pub struct MemoryBindingStore {
    /// The stored records, by prefix and length.
    pub records: BTreeMap<(Ipv6Addr, u8), Dhcpv6DelegationRecord>,
    /// When set, the next `persist` fails (and clears the flag).
    pub fail_next: bool,
    /// How many successful `persist` calls were made.
    pub commits: u64,
}

/// The error of a failed [`MemoryBindingStore::persist`] (only when asked).
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
#[error("memory store told to fail")]
pub struct MemoryStoreFailure;

impl BindingStore for MemoryBindingStore {
    type Error = MemoryStoreFailure;

    fn load(&mut self) -> Result<Vec<Dhcpv6DelegationRecord>, MemoryStoreFailure> {
        Ok(self.records.values().cloned().collect())
    }

    fn persist(&mut self, changes: &[Dhcpv6DelegationRecord]) -> Result<(), MemoryStoreFailure> {
        if core::mem::take(&mut self.fail_next) {
            return Err(MemoryStoreFailure);
        }
        for r in changes {
            self.records.insert((r.prefix, r.prefix_len), r.clone());
        }
        self.commits += 1;
        Ok(())
    }
}
