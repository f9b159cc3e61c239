//! Leases, and the store that makes them durable.
//!
//! The server never sends a DHCPACK for a lease change before the change is
//! durable: every change it makes is queued in
//! [`Dhcpv4Server::pending_leases`](crate::server::Dhcpv4Server::pending_leases) and the
//! ACKs that depend on it are held until the driver has written the batch to
//! a [`LeaseStore`] and called
//! [`Dhcpv4Server::commit`](crate::server::Dhcpv4Server::commit) (or in one call,
//! [`Dhcpv4Server::commit_to`](crate::server::Dhcpv4Server::commit_to)). Several
//! exchanges may share one write (group commit).

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::net::Ipv4Addr;

use sansio_primitives::Instant;

/// What a lease record says about its address.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum LeaseState {
    /// Assigned to the client until `expires`.
    Bound,
    /// Given back by the client (DHCPRELEASE); remembered so the same client
    /// gets the same address again.
    Released,
    /// Reported in use by a client (DHCPDECLINE): quarantined until
    /// `expires`.
    Declined,
}

/// One address and what the server knows about it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Lease {
    /// The leased address.
    pub address: Ipv4Addr,
    /// The client's key: its client identifier (option 61), or `htype`
    /// followed by `chaddr` when it sent none (RFC 2132 §9.14). Empty for a
    /// declined address.
    pub client: Vec<u8>,
    /// The client's hardware address (`chaddr`, `hlen` octets).
    pub hardware: Vec<u8>,
    /// The host name the client sent (option 12), if any.
    pub hostname: Option<Vec<u8>>,
    /// When the lease (or the quarantine) ends, on the driver's clock. A
    /// driver that persists leases across restarts must use a clock whose
    /// origin survives a restart (the UNIX epoch, say).
    pub expires: Instant,
    /// Bound, released or declined.
    pub state: LeaseState,
}

impl Lease {
    /// Whether the address is unavailable to other clients at `now`.
    pub fn is_held(&self, now: Instant) -> bool {
        match self.state {
            LeaseState::Bound | LeaseState::Declined => self.expires > now,
            LeaseState::Released => false,
        }
    }
}

/// Where leases are made durable.
///
/// `persist` must return only once every change given is durable (on disk,
/// fsynced): the server releases the ACKs as soon as it returns `Ok`.
pub trait LeaseStore {
    /// Why a load or a write failed.
    type Error;

    /// Every lease record stored (the latest record per address).
    fn load(&mut self) -> Result<Vec<Lease>, Self::Error>;

    /// Makes these changes durable, in order (a later record for the same
    /// address replaces an earlier one).
    fn persist(&mut self, changes: &[Lease]) -> Result<(), Self::Error>;
}

/// A store in memory, for tests and for boxes without storage. `fail_next`
/// makes the next `persist` fail, to test the no-ACK-before-durable rule.
#[derive(Clone, Debug, Default)]
pub struct MemoryStore {
    /// The stored records, by address.
    pub leases: BTreeMap<Ipv4Addr, Lease>,
    /// When set, the next `persist` fails (and clears the flag).
    pub fail_next: bool,
    /// How many successful `persist` calls were made.
    pub commits: u64,
}

/// The error of a failed [`MemoryStore::persist`] (only when asked to).
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
#[error("memory store told to fail")]
pub struct MemoryStoreFailure;

impl LeaseStore for MemoryStore {
    type Error = MemoryStoreFailure;

    fn load(&mut self) -> Result<Vec<Lease>, MemoryStoreFailure> {
        Ok(self.leases.values().cloned().collect())
    }

    fn persist(&mut self, changes: &[Lease]) -> Result<(), MemoryStoreFailure> {
        if core::mem::take(&mut self.fail_next) {
            return Err(MemoryStoreFailure);
        }
        for l in changes {
            self.leases.insert(l.address, l.clone());
        }
        self.commits += 1;
        Ok(())
    }
}
