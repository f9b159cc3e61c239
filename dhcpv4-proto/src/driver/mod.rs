//! The DHCPv4 server on tokio (feature `tokio`): [`Dhcpv4ServerDriver`]
//! owns the [`Dhcpv4Server`] machine, a UDP socket bound to one interface
//! (`SO_BINDTODEVICE`, port 67, broadcast allowed) and the lease store.
//!
//! The lease commit discipline is kept: no ACK leaves before its lease is
//! durable. The store's write (and its fsync) runs on tokio's blocking
//! pool, not on the event loop (unless
//! [`Dhcpv4ServerDriver::set_inline_writes`] asks for it, for a runtime
//! that serves DHCP alone); while it runs the machine is left alone
//! (datagrams wait in the socket buffer, timers wait), the replies it held
//! go out when the write succeeds (and are dropped when it fails: the
//! clients retry), then the datagrams that came meanwhile are handled as
//! one batch made durable by the next write.
//!
//! Datagrams are read and replies sent in bursts (`batch`: one
//! `recvmmsg`/`sendmmsg` per up to 32), and every datagram waiting when the
//! socket becomes readable (up to 256) is handled before one lease write.
//!
//! Use: loop on [`Dhcpv4ServerDriver::step`] (cancel-safe, so it can sit in
//! a `select!` with the application's other work) and drain
//! [`Dhcpv4ServerDriver::poll_event`] after each step.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::string::{String, ToString};
use std::vec;
use std::vec::Vec;

use sansio_primitives::StdClock;
use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

mod batch;

use crate::lease::LeaseStore;
use crate::server::{Dhcpv4Server, Dhcpv4ServerDestination, Dhcpv4ServerEvent};

/// Datagrams handled together (when the socket becomes readable, or after
/// a write completes), at most: the rest wait for the next round.
const BATCH: usize = 256;

/// A lease write on the blocking pool; it hands the store back.
type Write<S> = JoinHandle<(S, Result<(), String>)>;

/// What went wrong in one [`Dhcpv4ServerDriver::step`]. The driver goes on.
#[derive(Debug, thiserror::Error)]
pub enum Dhcpv4DriverError {
    /// Receiving failed.
    #[error("receive: {0}")]
    Recv(io::Error),
    /// The lease write failed: the replies held for it were dropped.
    #[error("lease store write failed, replies dropped: {0}")]
    Store(String),
    /// The writer task died with the store: no reply leaves any more.
    #[error("lease writer died, the store is lost: {0}")]
    StoreLost(String),
    /// A reply could not be sent (the client retransmits).
    #[error("send to {to}: {error}")]
    Send {
        /// Where it was going.
        to: SocketAddrV4,
        /// Why it failed.
        error: io::Error,
    },
    /// The socket's send buffer was full: this many replies of one flush
    /// were dropped (the clients retransmit), one error for all of them.
    #[error("send buffer full: {refused} replies dropped")]
    SendBufferFull {
        /// Replies dropped.
        refused: usize,
    },
}

/// The DHCPv4 server on one interface. See the [module docs](self).
pub struct Dhcpv4ServerDriver<S> {
    sock: UdpSocket,
    clock: StdClock,
    interface: u32,
    server: Dhcpv4Server,
    /// `None` while a write has it (or after the writer died).
    store: Option<S>,
    writing: Option<Write<S>>,
    /// [`batch::BURST`] receive slots of [`batch::SLOT`] octets.
    buf: Vec<u8>,
    /// The lengths of the datagrams in `buf` (`None`: cut, dropped).
    lens: Vec<Option<usize>>,
    /// Replies being sent.
    out: Vec<(SocketAddrV4, Vec<u8>)>,
    /// Errors of the last flush (sends, an inline write), reported by the
    /// next `step`.
    send_errors: Vec<Dhcpv4DriverError>,
    /// Lease writes on the event loop rather than the blocking pool.
    inline_writes: bool,
}

impl<S> core::fmt::Debug for Dhcpv4ServerDriver<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Dhcpv4ServerDriver")
            .field("sock", &self.sock)
            .field("interface", &self.interface)
            .field("writing", &self.writing.is_some())
            .finish_non_exhaustive()
    }
}

/// The receive buffer asked for (the kernel caps it at
/// `net.core.rmem_max`): the datagrams arriving while a lease write runs
/// wait there, and the default (~200 KiB, ~270 requests) overflows within
/// a few milliseconds of a burst.
pub const RECV_BUFFER: usize = 2 << 20;

/// A UDP socket on port 67 of `interface` only (`SO_BINDTODEVICE`), with
/// `SO_BROADCAST` for replies to clients without an address and a
/// [`RECV_BUFFER`] receive buffer. Needs `CAP_NET_RAW` (bind to device)
/// and `CAP_NET_BIND_SERVICE`.
pub fn bind_interface(interface: &str) -> io::Result<UdpSocket> {
    let s = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    s.set_recv_buffer_size(RECV_BUFFER)?;
    s.set_reuse_address(true)?;
    s.set_broadcast(true)?;
    s.bind_device(Some(interface.as_bytes()))?;
    s.bind(&SocketAddr::from((Ipv4Addr::UNSPECIFIED, 67)).into())?;
    s.set_nonblocking(true)?;
    UdpSocket::from_std(s.into())
}

impl<S> Dhcpv4ServerDriver<S>
where
    S: LeaseStore + Send + 'static,
    S::Error: core::fmt::Display,
{
    /// Serves on `interface` (see [`bind_interface`]); `server` must run on
    /// `clock` (lease times are stored: use
    /// [`StdClock::since_unix_epoch`]), and has had `store`'s leases
    /// restored. Datagrams are handed to the machine as pool interface
    /// `pool_interface`. Must be called within a tokio runtime.
    pub fn bind(
        interface: &str,
        pool_interface: u32,
        server: Dhcpv4Server,
        store: S,
        clock: StdClock,
    ) -> io::Result<Self> {
        Ok(Self::new(
            bind_interface(interface)?,
            pool_interface,
            server,
            store,
            clock,
        ))
    }

    /// Like [`Self::bind`] with the caller's socket.
    pub fn new(
        sock: UdpSocket,
        pool_interface: u32,
        server: Dhcpv4Server,
        store: S,
        clock: StdClock,
    ) -> Self {
        Dhcpv4ServerDriver {
            sock,
            clock,
            interface: pool_interface,
            server,
            store: Some(store),
            writing: None,
            buf: vec![0; batch::BURST * batch::SLOT],
            lens: Vec::with_capacity(batch::BURST),
            out: Vec::new(),
            send_errors: Vec::new(),
            inline_writes: false,
        }
    }

    /// The machine, to read its leases and counters.
    pub fn server(&self) -> &Dhcpv4Server {
        &self.server
    }

    /// The machine, to change it (rebuild it with another configuration,
    /// keeping its leases); `None` while a lease write is in flight, whose
    /// pending changes belong to the machine that made them.
    pub fn server_mut(&mut self) -> Option<&mut Dhcpv4Server> {
        match self.writing {
            Some(_) => None,
            None => Some(&mut self.server),
        }
    }

    /// Runs the lease writes (and their fsync) on the event loop itself
    /// rather than on tokio's blocking pool, when `inline` (default false).
    /// For a runtime that serves DHCP alone (the `dhcpv4d` example): the
    /// machine waits for each write either way, and this saves the two
    /// thread hand-offs of each write; the runtime's other tasks would
    /// wait too, so leave it off when there are any.
    pub fn set_inline_writes(&mut self, inline: bool) {
        self.inline_writes = inline;
    }

    /// The clock the machine runs on.
    pub fn clock(&self) -> &StdClock {
        &self.clock
    }

    /// Whether a lease write is in flight.
    pub fn is_writing(&self) -> bool {
        self.writing.is_some()
    }

    /// The machine's next event (a lease bound, released, declined, a
    /// request refused). Drain after each [`Self::step`].
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Dhcpv4ServerEvent> {
        self.server.poll_event()
    }

    /// Waits for and handles one thing: datagrams (every one waiting, up to
    /// 256, as one batch), the end of a lease write (its held replies sent,
    /// then the datagrams that waited handled as a batch), or a timer.
    /// Cancel-safe: all work happens after the one await.
    pub async fn step(&mut self) -> Result<(), Dhcpv4DriverError> {
        if let Some(e) = self.send_errors.pop() {
            return Err(e);
        }
        if let Some(w) = &mut self.writing {
            let r = w.await;
            self.writing = None;
            return self.written(r);
        }
        let deadline = self.server.poll_timeout();
        let sleep =
            tokio::time::sleep(deadline.map_or(std::time::Duration::from_secs(3600), |d| {
                d.saturating_duration_since(self.clock.now())
            }));
        tokio::select! {
            r = self.sock.readable() => {
                r.map_err(Dhcpv4DriverError::Recv)?;
                let r = self.receive();
                self.flush();
                r.map_err(Dhcpv4DriverError::Recv)?;
            }
            () = sleep, if deadline.is_some() => {
                self.server.handle_timeout(self.clock.now());
                self.flush();
            }
        }
        Ok(())
    }

    fn written(
        &mut self,
        r: Result<(S, Result<(), String>), tokio::task::JoinError>,
    ) -> Result<(), Dhcpv4DriverError> {
        let outcome = match r {
            Ok((store, result)) => {
                self.store = Some(store);
                match result {
                    Ok(()) => {
                        self.server.commit();
                        Ok(())
                    }
                    Err(e) => {
                        self.server.abort();
                        Err(Dhcpv4DriverError::Store(e))
                    }
                }
            }
            Err(e) => {
                self.server.abort();
                Err(Dhcpv4DriverError::StoreLost(e.to_string()))
            }
        };
        self.send_ready();
        let r = self.receive();
        self.flush();
        match (outcome, r) {
            (Err(e), _) => Err(e),
            (Ok(()), r) => r.map_err(Dhcpv4DriverError::Recv),
        }
    }

    /// Hands the machine what waits on the socket, up to [`BATCH`]
    /// datagrams, a burst per system call.
    fn receive(&mut self) -> io::Result<()> {
        let mut handled = 0;
        while handled < BATCH {
            match batch::recv_burst(&self.sock, &mut self.buf, &mut self.lens) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) => return Err(e),
            }
            let now = self.clock.now();
            for (slot, len) in self.buf.chunks(batch::SLOT).zip(&self.lens) {
                // A cut datagram is not handed over; the rest's drops are
                // counted by the machine.
                if let Some(n) = *len {
                    let _ = self.server.handle_input(now, self.interface, &slot[..n]);
                }
            }
            handled += self.lens.len();
        }
        Ok(())
    }

    /// Starts writing the pending lease changes on the blocking pool, or,
    /// with none pending, sends what is ready at once.
    fn flush(&mut self) {
        if self.writing.is_some() {
            return;
        }
        if self.server.pending_leases().is_empty() {
            self.server.commit();
        } else if self.inline_writes
            && let Some(store) = &mut self.store
        {
            if let Err(e) = self.server.commit_to(store) {
                self.send_errors
                    .push(Dhcpv4DriverError::Store(e.to_string()));
            }
        } else if let Some(mut store) = self.store.take() {
            let changes = self.server.pending_leases().to_vec();
            self.writing = Some(tokio::task::spawn_blocking(move || {
                let r = store.persist(&changes).map_err(|e| e.to_string());
                (store, r)
            }));
        } else {
            // The store was lost: nothing can be made durable, so no ACK.
            self.server.abort();
        }
        self.send_ready();
    }

    /// Sends the replies whose leases are durable, a burst per system call.
    fn send_ready(&mut self) {
        let now = self.clock.now();
        self.out.clear();
        while let Some(t) = self.server.poll_transmit(now) {
            let to = match t.destination {
                Dhcpv4ServerDestination::Unicast { address, .. } => address,
                Dhcpv4ServerDestination::Broadcast { .. }
                | Dhcpv4ServerDestination::Link { .. } => {
                    SocketAddrV4::new(Ipv4Addr::BROADCAST, 68)
                }
            };
            self.out.push((to, t.payload));
        }
        let sent = batch::send_all(&self.out, |b| batch::send_batch(&self.sock, b));
        self.send_errors.extend(
            (sent.failed.into_iter()).map(|(to, error)| Dhcpv4DriverError::Send { to, error }),
        );
        if sent.refused > 0 {
            let refused = sent.refused;
            self.send_errors
                .push(Dhcpv4DriverError::SendBufferFull { refused });
        }
        self.out.clear();
    }
}
