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
//! A commit window ([`Dhcpv4ServerDriver::set_commit_window`], off by
//! default) groups the commits of a lightly loaded server, as PostgreSQL's
//! `commit_delay` does: when a batch leaves fewer than [`WINDOW_SKIP`]
//! lease changes to write and the socket had nothing more, the driver
//! sends the replies that need no write (OFFERs, NAKs), then waits up to
//! the window without reading, reads everything that arrived meanwhile and
//! makes it all durable with one write (one fsync) before the ACKs of the
//! whole group leave. Each ACK waits at most the window more (tokio's timer
//! rounds it up to its next millisecond); a client retransmits after
//! about 4 s (RFC 2131 §4.1), so a millisecond is invisible to it. A
//! larger batch is written at once: under load the batches are large
//! already and the window would only add latency.
//!
//! Use: loop on [`Dhcpv4ServerDriver::step`] (cancel-safe, so it can sit in
//! a `select!` with the application's other work) and drain
//! [`Dhcpv4ServerDriver::poll_event`] after each step.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::string::{String, ToString};
use std::time::Duration;
use std::vec;
use std::vec::Vec;

use sansio_primitives::StdClock;
use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

mod batch;
mod error;

pub use error::Dhcpv4DriverError;

use crate::lease::LeaseStore;
use crate::server::{Dhcpv4Server, Dhcpv4ServerDestination, Dhcpv4ServerEvent};

/// Datagrams handled together (when the socket becomes readable, or after
/// a write completes), at most: the rest wait for the next round.
const BATCH: usize = 256;

/// A batch leaving this many lease changes (or more) is written without a
/// commit window: its fsync is shared enough already.
pub const WINDOW_SKIP: usize = 32;

/// The longest commit window [`Dhcpv4ServerDriver::set_commit_window`]
/// takes: far below a client's first retransmission (~4 s).
pub const MAX_COMMIT_WINDOW: Duration = Duration::from_millis(100);

/// A lease write on the blocking pool; it hands the store back.
type Write<S> = JoinHandle<(S, Result<(), String>)>;

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
    /// How long a small batch waits for more before its write.
    commit_window: Duration,
    /// When the open commit window ends (pending changes wait for it).
    commit_at: Option<tokio::time::Instant>,
}

impl<S> core::fmt::Debug for Dhcpv4ServerDriver<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Dhcpv4ServerDriver")
            .field("sock", &self.sock)
            .field("interface", &self.interface)
            .field("writing", &self.writing.is_some())
            .field("commit_window", &self.commit_window)
            .field("commit_at", &self.commit_at)
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
            commit_window: Duration::ZERO,
            commit_at: None,
        }
    }

    /// The machine, to read its leases and counters.
    pub fn server(&self) -> &Dhcpv4Server {
        &self.server
    }

    /// The machine, to change it (rebuild it with another configuration,
    /// keeping its leases); `None` while a lease write is in flight or a
    /// commit window is open (see [`Self::is_writing`]), whose pending
    /// changes belong to the machine that made them.
    pub fn server_mut(&mut self) -> Option<&mut Dhcpv4Server> {
        match self.is_writing() {
            true => None,
            false => Some(&mut self.server),
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

    /// Waits up to `window` (0, the default: never; capped at
    /// [`MAX_COMMIT_WINDOW`]) for more requests before writing a batch of
    /// fewer than [`WINDOW_SKIP`] lease changes, so that one write and
    /// one fsync make a group of them durable (see the
    /// [module docs](self)). Each ACK may leave up to the window (rounded
    /// up to tokio's millisecond timer) later; none leaves before its lease
    /// is written. Takes effect at the next batch.
    pub fn set_commit_window(&mut self, window: Duration) {
        self.commit_window = window.min(MAX_COMMIT_WINDOW);
    }

    /// The clock the machine runs on.
    pub fn clock(&self) -> &StdClock {
        &self.clock
    }

    /// Whether lease changes are on their way to the store: a write is in
    /// flight, or a commit window is open.
    pub fn is_writing(&self) -> bool {
        self.writing.is_some() || self.commit_at.is_some()
    }

    /// The machine's next event (a lease bound, released, declined, a
    /// request refused). Drain after each [`Self::step`].
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Dhcpv4ServerEvent> {
        self.server.poll_event()
    }

    /// Waits for and handles one thing: datagrams (every one waiting, up to
    /// 256, as one batch), the end of a lease write (its held replies sent,
    /// then the datagrams that waited handled as a batch), the end of a
    /// commit window (the datagrams that came during it handled, the whole
    /// group written), or a timer. Cancel-safe: all work happens after the
    /// one await.
    pub async fn step(&mut self) -> Result<(), Dhcpv4DriverError> {
        if let Some(e) = self.send_errors.pop() {
            return Err(e);
        }
        if let Some(w) = &mut self.writing {
            let r = w.await;
            self.writing = None;
            return self.written(r);
        }
        if let Some(at) = self.commit_at {
            // The socket is not read meanwhile: what arrives waits in its
            // buffer and is read in one go, not a read per datagram.
            tokio::time::sleep_until(at).await;
            self.commit_at = None;
            let r = self.receive();
            self.flush();
            return r.map(drop).map_err(Dhcpv4DriverError::Recv);
        }
        let deadline = self.server.poll_timeout();
        let sleep = tokio::time::sleep(deadline.map_or(Duration::from_secs(3600), |d| {
            d.saturating_duration_since(self.clock.now())
        }));
        tokio::select! {
            r = self.sock.readable() => {
                r.map_err(Dhcpv4DriverError::Recv)?;
                let r = self.receive();
                self.settle(r.as_ref().is_ok_and(|&more| more));
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
        self.settle(r.as_ref().is_ok_and(|&more| more));
        match (outcome, r) {
            (Err(e), _) => Err(e),
            (Ok(()), r) => r.map(drop).map_err(Dhcpv4DriverError::Recv),
        }
    }

    /// Hands the machine what waits on the socket, up to [`BATCH`]
    /// datagrams, a burst per system call. `true`: it stopped at
    /// [`BATCH`], so more may wait.
    fn receive(&mut self) -> io::Result<bool> {
        let mut handled = 0;
        while handled < BATCH {
            match batch::recv_burst(&self.sock, &mut self.buf, &mut self.lens) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
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
        Ok(true)
    }

    /// After a batch: opens a commit window when it left a few lease
    /// changes and nothing more waited (`more`), else writes at once.
    fn settle(&mut self, more: bool) {
        let pending = self.server.pending_leases().len();
        if self.commit_window.is_zero()
            || self.writing.is_some()
            || self.commit_at.is_some()
            || pending == 0
            || pending >= WINDOW_SKIP
            || more
        {
            return self.flush();
        }
        // The replies that need no write (OFFERs, NAKs) go now.
        self.send_ready();
        self.commit_at = Some(tokio::time::Instant::now() + self.commit_window);
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
