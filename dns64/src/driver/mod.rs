//! The DNS64 forwarder on tokio (feature `tokio`): one task owns the
//! [`Dns64`] machine, its client sockets (UDP sockets and TCP listeners,
//! any number, say one of each per LAN address and family) and the clock;
//! [`Dns64Driver`] is the handle to it.
//!
//! - Client UDP sockets are read by the task itself in bursts: on Linux one
//!   `recvmmsg` reads up to 32 datagrams, and the answers ready after the
//!   burst (cached, synthesized, local) leave with one `sendmmsg` per
//!   socket (elsewhere a system call per datagram); answers from upstream
//!   leave when they come. Answers go back on the socket the query came in
//!   on; those a full socket buffer refuses wait, in order, for the socket
//!   to be writable, at most 1024 per socket (more are dropped and counted
//!   in [`Dns64DriverCounters::client_send_errors`]). A query longer than
//!   4096 octets is dropped and counted in
//!   [`Dns64DriverCounters::receive_errors`].
//! - Each upstream UDP query leaves from a socket of its own bound to the
//!   source port the machine drew from its RNG (RFC 5452 §9.2: id and port
//!   unpredictable); the socket lives until the answer from that server came
//!   or the machine's `upstream_timeout` passed.
//! - A truncated upstream answer makes the machine ask again over TCP: a
//!   connection per such query (RFC 7766 §6.2.1), closed after its answer.
//! - Client TCP connections (RFC 7766): at most
//!   [`Dns64DriverConfig::max_tcp_connections`] (more are closed at once and
//!   counted), each closed after [`Dns64DriverConfig::tcp_idle`] without a
//!   query (§6.2.3); queries may be pipelined, answers go back as they come.
//! - Timers: the machine's `poll_timeout`.
//! - [`Dns64Driver::set_upstreams`] and [`Dns64Driver::set_local_names`]
//!   change the running machine (the WAN's DNS servers, the LAN's leases).
//! - [`Dns64Driver::shutdown`]: the listeners close, queries in flight get
//!   their answers for at most [`Dns64DriverConfig::shutdown_grace`], then
//!   the task ends. Dropping the handle does the same.
//!
//! The machine stays runtime-free; this module is the only place tokio
//! appears.

mod run;
mod tasks;
mod udp;

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::string::String;
use std::time::Duration;
use std::vec::Vec;

use sansio_primitives::StdClock;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::{Dns64, Dns64Counters, Dns64LocalNameError};

/// The driver's own settings (the machine has its [`crate::Dns64Config`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Dns64DriverConfig {
    /// Client TCP connections open at most; more are closed when accepted.
    /// Default 64.
    pub max_tcp_connections: usize,
    /// A client TCP connection without a query this long is closed (RFC
    /// 7766 §6.2.3). Default 10 s.
    pub tcp_idle: Duration,
    /// Connecting to an upstream over TCP and reading its answer, at most.
    /// Default 3 s.
    pub upstream_tcp_timeout: Duration,
    /// How long [`Dns64Driver::shutdown`] lets queries in flight finish.
    /// Default 2 s.
    pub shutdown_grace: Duration,
}

impl Default for Dns64DriverConfig {
    fn default() -> Self {
        Dns64DriverConfig {
            max_tcp_connections: 64,
            tcp_idle: Duration::from_secs(10),
            upstream_tcp_timeout: Duration::from_secs(3),
            shutdown_grace: Duration::from_secs(2),
        }
    }
}

/// What the driver counts besides the machine.
#[derive(Clone, Copy, PartialEq, Eq, Default, Debug)]
pub struct Dns64DriverCounters {
    /// Client TCP connections accepted and served.
    pub tcp_accepted: u64,
    /// Client TCP connections closed at once: the limit was reached.
    pub tcp_over_limit: u64,
    /// Client TCP connections closed for idling.
    pub tcp_idle_closed: u64,
    /// Client TCP connections closed because the client did not read its
    /// answers (the queue to it was full).
    pub tcp_slow_closed: u64,
    /// Answers to UDP clients dropped: their socket's queue was full (its
    /// buffer full for long), sending failed, or they still waited when the
    /// shutdown grace period ended.
    pub client_send_errors: u64,
    /// Upstream UDP queries that could not be sent (the drawn source port
    /// in use, no route): the machine's timer moves them on.
    pub upstream_send_errors: u64,
    /// Upstream TCP queries without an answer (refused, timed out).
    pub upstream_tcp_failures: u64,
    /// Receive errors on the client sockets, and client queries dropped for
    /// being longer than 4096 octets.
    pub receive_errors: u64,
}

/// A snapshot of the running driver.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Dns64DriverStats {
    /// The machine's counters.
    pub machine: Dns64Counters,
    /// The driver's.
    pub driver: Dns64DriverCounters,
    /// Client TCP connections open.
    pub tcp_connections: usize,
    /// Client queries in flight.
    pub outstanding: usize,
    /// Answers in the cache.
    pub cached: usize,
    /// Local names in the table.
    pub local_names: usize,
}

/// Why a command failed.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum Dns64DriverError {
    /// The machine refused the local names; the old table is kept.
    #[error("local names refused: {0}")]
    LocalNames(Dns64LocalNameError),
    /// The driver's task has ended.
    #[error("the DNS64 driver has stopped")]
    Stopped,
}

/// Where the machine's answers and queries go: its client sockets.
#[derive(Debug, Default)]
pub struct Dns64Listeners {
    /// Client UDP sockets.
    pub udp: Vec<UdpSocket>,
    /// Client TCP listeners.
    pub tcp: Vec<TcpListener>,
}

impl Dns64Listeners {
    /// A UDP socket and a TCP listener on each address (port 0: the TCP
    /// listener takes the port the UDP socket got).
    pub async fn bind(addrs: &[SocketAddr]) -> io::Result<Dns64Listeners> {
        let mut l = Dns64Listeners::default();
        for a in addrs {
            let udp = UdpSocket::bind(a).await?;
            let tcp = TcpListener::bind(udp.local_addr()?).await?;
            l.udp.push(udp);
            l.tcp.push(tcp);
        }
        Ok(l)
    }
}

/// A command to the task.
enum Command {
    Upstreams(Vec<SocketAddr>, oneshot::Sender<()>),
    LocalNames(
        Vec<(String, Vec<IpAddr>)>,
        oneshot::Sender<Result<(), Dns64DriverError>>,
    ),
    Stats(oneshot::Sender<Dns64DriverStats>),
    Shutdown,
}

/// The handle to the task driving a [`Dns64`] machine. See the [module
/// docs](self).
#[derive(Debug)]
pub struct Dns64Driver {
    commands: mpsc::UnboundedSender<Command>,
    task: JoinHandle<()>,
    udp: Vec<SocketAddr>,
    tcp: Vec<SocketAddr>,
}

impl Dns64Driver {
    /// Spawns the task on the current tokio runtime with `machine` (made
    /// on `clock`) serving on `listeners`.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub fn spawn(
        machine: Dns64,
        clock: StdClock,
        listeners: Dns64Listeners,
        config: Dns64DriverConfig,
    ) -> Dns64Driver {
        let udp = listeners
            .udp
            .iter()
            .filter_map(|s| s.local_addr().ok())
            .collect();
        let tcp = listeners
            .tcp
            .iter()
            .filter_map(|s| s.local_addr().ok())
            .collect();
        let (commands, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(run::run(machine, clock, listeners, config, rx));
        Dns64Driver {
            commands,
            task,
            udp,
            tcp,
        }
    }

    /// The client UDP sockets' addresses.
    pub fn udp_addrs(&self) -> &[SocketAddr] {
        &self.udp
    }

    /// The client TCP listeners' addresses.
    pub fn tcp_addrs(&self) -> &[SocketAddr] {
        &self.tcp
    }

    /// Replaces the upstream resolvers (see [`Dns64::set_upstreams`]).
    pub async fn set_upstreams(&self, upstreams: Vec<SocketAddr>) -> Result<(), Dns64DriverError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Upstreams(upstreams, tx))?;
        rx.await.map_err(|_| Dns64DriverError::Stopped)
    }

    /// Replaces the local names table (see [`Dns64::set_local_names`]).
    pub async fn set_local_names(
        &self,
        names: Vec<(String, Vec<IpAddr>)>,
    ) -> Result<(), Dns64DriverError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::LocalNames(names, tx))?;
        rx.await.unwrap_or(Err(Dns64DriverError::Stopped))
    }

    /// The counters and table sizes now.
    pub async fn stats(&self) -> Result<Dns64DriverStats, Dns64DriverError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Stats(tx))?;
        rx.await.map_err(|_| Dns64DriverError::Stopped)
    }

    /// Stops listening, lets the queries in flight finish (at most
    /// `shutdown_grace`) and waits for the task to end.
    pub async fn shutdown(self) {
        let _ = self.commands.send(Command::Shutdown);
        let _ = self.task.await;
    }

    fn send(&self, c: Command) -> Result<(), Dns64DriverError> {
        self.commands.send(c).map_err(|_| Dns64DriverError::Stopped)
    }
}
