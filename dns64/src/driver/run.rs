//! The driver's main task: the one owner of the machine.

use std::collections::HashMap;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::task::Poll;
use std::time::Duration;
use std::vec;
use std::vec::Vec;

use sansio_primitives::{Instant, StdClock};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc;
use tokio::time::Instant as TokioInstant;

use super::tasks::{self, Inbox};
use super::udp::{self, BATCH, QUEUE, Received, SLOT, SendQueue};
use super::{
    Command, Dns64DriverConfig, Dns64DriverCounters, Dns64DriverError, Dns64DriverStats,
    Dns64Listeners,
};
use crate::{Dns64, Dns64Destination, Dns64Source};

/// Messages from the helper tasks waiting for the main task, at most
/// (back-pressure on them beyond).
const INBOX: usize = 1024;
/// Answers queued to one client connection at most; a client that does not
/// read them is disconnected.
const ANSWER_QUEUE: usize = 64;
/// Clients remembered for the answer's socket when a family has several.
const REPLY_VIA: usize = 4096;
/// A pause after an accept error (out of descriptors, say), not to spin.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);
/// "Never" for the timer.
const FAR: Duration = Duration::from_secs(86400);

/// Everything the main task owns besides the machine.
struct State {
    clock: StdClock,
    config: Dns64DriverConfig,
    udp: Vec<UdpSocket>,
    /// For each client socket the answers waiting for it to be writable.
    sendq: Vec<SendQueue>,
    /// For each client socket whether it is IPv4 (asked once: a syscall).
    udp_v4: Vec<bool>,
    /// For each client socket whether another socket has its family.
    shared_family: Vec<bool>,
    /// Which socket a client's query came in on (only for families with
    /// several sockets).
    reply_via: HashMap<SocketAddr, usize>,
    conns: HashMap<u64, mpsc::Sender<Vec<u8>>>,
    next_conn: u64,
    inbox: mpsc::Sender<Inbox>,
    counters: Dns64DriverCounters,
}

pub(super) async fn run(
    mut m: Dns64,
    clock: StdClock,
    listeners: Dns64Listeners,
    config: Dns64DriverConfig,
    mut commands: mpsc::UnboundedReceiver<Command>,
) {
    let Dns64Listeners { udp, tcp } = listeners;
    let udp_v4: Vec<bool> = udp
        .iter()
        .map(|s| s.local_addr().is_ok_and(|a| a.is_ipv4()))
        .collect();
    let shared_family = udp_v4
        .iter()
        .map(|v4| udp_v4.iter().filter(|o| *o == v4).count() > 1)
        .collect();
    let (inbox_tx, mut inbox) = mpsc::channel(INBOX);
    let mut st = State {
        clock,
        config,
        sendq: udp.iter().map(|_| SendQueue::default()).collect(),
        udp,
        udp_v4,
        shared_family,
        reply_via: HashMap::new(),
        conns: HashMap::new(),
        next_conn: 0,
        inbox: inbox_tx,
        counters: Dns64DriverCounters::default(),
    };
    let mut tcp = Some(tcp);
    let mut buf = vec![0u8; BATCH * SLOT];
    let mut got = Vec::with_capacity(BATCH);
    let mut next_udp = 0usize;
    let mut accept_paused_until: Option<TokioInstant> = None;
    // Set when shutting down: the end of the grace period.
    let mut stopping: Option<TokioInstant> = None;
    let sleep = tokio::time::sleep(FAR);
    tokio::pin!(sleep);
    loop {
        st.flush(&mut m);
        if let Some(end) = stopping
            && ((m.outstanding() == 0 && st.queued() == 0) || TokioInstant::now() >= end)
        {
            break;
        }
        // The machine's timer, the grace period's end, the accept pause.
        let mut wake = m
            .poll_timeout()
            .and_then(|d| st.clock.to_std(d))
            .map(TokioInstant::from_std);
        for t in [stopping, accept_paused_until].into_iter().flatten() {
            wake = Some(wake.map_or(t, |w| w.min(t)));
        }
        // Reset only for a new deadline: without one the branch is off
        // (resetting each round costs a timer-wheel update per burst).
        if let Some(at) = wake
            && sleep.deadline() != at
        {
            sleep.as_mut().reset(at);
        }
        let accepting = stopping.is_none() && accept_paused_until.is_none();
        let sending = st.queued() > 0;
        tokio::select! {
            (i, r) = recv_ready_any(&st.udp, next_udp), if stopping.is_none() => {
                next_udp = i + 1;
                match r {
                    Ok(()) => st.receive(&mut m, i, &mut buf, &mut got),
                    Err(_) => st.counters.receive_errors += 1,
                }
            }
            // Writable again: the loop's flush sends what waits.
            () = send_ready_any(&st.udp, &st.sendq), if sending => {}
            Some(msg) = inbox.recv() => st.inbox(&mut m, msg),
            r = accept_any(tcp.as_deref().unwrap_or(&[])), if accepting => match r {
                Ok((stream, from)) => st.accept(stream, from),
                Err(_) => {
                    st.counters.receive_errors += 1;
                    accept_paused_until = Some(TokioInstant::now() + ACCEPT_PAUSE);
                }
            },
            c = commands.recv(), if stopping.is_none() => match c {
                Some(c) => {
                    if st.command(&mut m, c) {
                        stopping = Some(TokioInstant::now() + st.config.shutdown_grace);
                        tcp = None;
                    }
                }
                None => {
                    // Every handle is gone: shut down as if told to.
                    stopping = Some(TokioInstant::now() + st.config.shutdown_grace);
                    tcp = None;
                }
            },
            () = &mut sleep, if wake.is_some() => {
                if accept_paused_until.is_some_and(|t| t <= TokioInstant::now()) {
                    accept_paused_until = None;
                }
                let now = st.clock.now();
                if m.poll_timeout().is_some_and(|t| t <= now) {
                    m.handle_timeout(now);
                }
            }
        }
    }
    // Answers the grace period left unsent.
    for q in &mut st.sendq {
        st.counters.client_send_errors += q.clear();
    }
    // Dropping the senders ends each connection after its queued answers.
    st.conns.clear();
}

/// The next of `socks` with datagrams waiting, starting the search at
/// `start` (so one busy socket does not starve the others); its index.
async fn recv_ready_any(socks: &[UdpSocket], start: usize) -> (usize, io::Result<()>) {
    poll_fn(|cx| {
        for k in 0..socks.len() {
            let i = (start + k) % socks.len();
            if let Poll::Ready(r) = socks[i].poll_recv_ready(cx) {
                return Poll::Ready((i, r));
            }
        }
        Poll::Pending
    })
    .await
}

/// Until one of `socks` with answers waiting in `queues` is writable.
async fn send_ready_any(socks: &[UdpSocket], queues: &[SendQueue]) {
    poll_fn(|cx| {
        let waiting = socks.iter().zip(queues).filter(|(_, q)| !q.is_empty());
        for (s, _) in waiting {
            if s.poll_send_ready(cx).is_ready() {
                return Poll::Ready(());
            }
        }
        Poll::Pending
    })
    .await
}

/// The next connection on any of `listeners`.
async fn accept_any(listeners: &[TcpListener]) -> io::Result<(TcpStream, SocketAddr)> {
    poll_fn(|cx| {
        for l in listeners {
            if let Poll::Ready(r) = l.poll_accept(cx) {
                return Poll::Ready(r);
            }
        }
        Poll::Pending
    })
    .await
}

impl State {
    /// Reads a burst from client socket `i` into `buf` and hands each
    /// query to the machine (the answers go out at the loop's flush).
    fn receive(&mut self, m: &mut Dns64, i: usize, buf: &mut [u8], got: &mut Vec<Received>) {
        match udp::recv_burst(&self.udp[i], buf, got) {
            Ok(()) => {}
            // Readiness without a datagram (tokio forgets it now).
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(_) => {
                self.counters.receive_errors += 1;
                return;
            }
        }
        for (k, r) in got.iter().enumerate() {
            match r.from {
                Some(from) if !r.cut => {
                    self.client_datagram(m, i, from, &buf[k * SLOT..][..r.len]);
                }
                _ => self.counters.receive_errors += 1,
            }
        }
    }

    /// Answers waiting in the client sockets' queues.
    fn queued(&self) -> usize {
        self.sendq.iter().map(SendQueue::len).sum()
    }

    /// Sends what waits for client socket `i`, as far as it takes it.
    fn send_queued(&mut self, i: usize) {
        let sock = &self.udp[i];
        let d = self.sendq[i].drain(|batch| udp::send_batch(sock, batch));
        self.counters.client_send_errors += d.failed;
    }

    fn client_datagram(&mut self, m: &mut Dns64, socket: usize, from: SocketAddr, msg: &[u8]) {
        if self.shared_family[socket] {
            if self.reply_via.len() >= REPLY_VIA && !self.reply_via.contains_key(&from) {
                self.reply_via.clear();
            }
            self.reply_via.insert(from, socket);
        }
        // Drops are counted by the machine.
        let _ = m.handle_input(self.clock.now(), Dns64Source::Client(from), msg);
    }

    fn inbox(&mut self, m: &mut Dns64, msg: Inbox) {
        let now = self.clock.now();
        let _ = match msg {
            Inbox::ClientTcp { conn, from, msg } => {
                m.handle_input(now, Dns64Source::ClientTcp { conn, from }, &msg)
            }
            Inbox::Upstream {
                from,
                local_port,
                msg,
            } => m.handle_input(now, Dns64Source::Upstream { from, local_port }, &msg),
            Inbox::UpstreamTcp { from, msg } => {
                m.handle_input(now, Dns64Source::UpstreamTcp { from }, &msg)
            }
            Inbox::Closed { conn, idle } => {
                self.conns.remove(&conn);
                self.counters.tcp_idle_closed += u64::from(idle);
                Ok(())
            }
            Inbox::UpstreamFailed { tcp } => {
                match tcp {
                    true => self.counters.upstream_tcp_failures += 1,
                    false => self.counters.upstream_send_errors += 1,
                }
                Ok(())
            }
        };
    }

    fn accept(&mut self, stream: TcpStream, from: SocketAddr) {
        if self.conns.len() >= self.config.max_tcp_connections {
            // Closed at once: the client tries another server or UDP.
            self.counters.tcp_over_limit += 1;
            return;
        }
        let conn = self.next_conn;
        self.next_conn += 1;
        let (tx, rx) = mpsc::channel(ANSWER_QUEUE);
        self.conns.insert(conn, tx);
        self.counters.tcp_accepted += 1;
        tokio::spawn(tasks::client_conn(
            stream,
            conn,
            from,
            self.inbox.clone(),
            rx,
            self.config.tcp_idle,
        ));
    }

    /// Runs a command; whether it asks to shut down.
    fn command(&mut self, m: &mut Dns64, c: Command) -> bool {
        let now = self.clock.now();
        match c {
            Command::Upstreams(list, reply) => {
                m.set_upstreams(now, list);
                let _ = reply.send(());
            }
            Command::LocalNames(names, reply) => {
                let r = m
                    .set_local_names(now, names.iter().map(|(n, a)| (n.as_str(), a.clone())))
                    .map_err(Dns64DriverError::LocalNames);
                let _ = reply.send(r);
            }
            Command::Stats(reply) => {
                let _ = reply.send(Dns64DriverStats {
                    machine: *m.counters(),
                    driver: self.counters,
                    tcp_connections: self.conns.len(),
                    outstanding: m.outstanding(),
                    cached: m.cached(),
                    local_names: m.local_names(),
                });
            }
            Command::Shutdown => return true,
        }
        false
    }

    /// Sends what the machine has to send; its events are only counted
    /// there.
    fn flush(&mut self, m: &mut Dns64) {
        let now: Instant = self.clock.now();
        let life = m.config().upstream_timeout;
        while let Some(t) = m.poll_transmit(now) {
            match t.destination {
                Dns64Destination::Client(to) => self.queue_client(to, t.payload),
                Dns64Destination::ClientTcp { conn } => {
                    let Some(tx) = self.conns.get(&conn) else {
                        continue;
                    };
                    if let Err(e) = tx.try_send(t.payload) {
                        // Full: the client does not read; closed: it is
                        // gone. Either way the connection ends.
                        if matches!(e, mpsc::error::TrySendError::Full(_)) {
                            self.counters.tcp_slow_closed += 1;
                        }
                        self.conns.remove(&conn);
                    }
                }
                Dns64Destination::Upstream {
                    server,
                    source_port,
                    ..
                } => {
                    tokio::spawn(tasks::upstream_udp(
                        server,
                        source_port,
                        t.payload,
                        self.inbox.clone(),
                        life,
                    ));
                }
                Dns64Destination::UpstreamTcp { server, .. } => {
                    tokio::spawn(tasks::upstream_tcp(
                        server,
                        t.payload,
                        self.inbox.clone(),
                        self.config.upstream_tcp_timeout,
                    ));
                }
            }
        }
        while m.poll_event().is_some() {}
        // The answers this round made, a sendmmsg per socket (per BATCH).
        for i in 0..self.sendq.len() {
            if !self.sendq[i].is_empty() {
                self.send_queued(i);
            }
        }
    }

    /// Queues an answer on the socket its query came in on (the family's
    /// only one, or the one remembered for the client).
    fn queue_client(&mut self, to: SocketAddr, payload: Vec<u8>) {
        let via = match self.reply_via.is_empty() {
            true => None,
            false => self.reply_via.get(&to).copied(),
        };
        let Some(i) = via.or_else(|| self.udp_v4.iter().position(|v4| *v4 == to.is_ipv4())) else {
            self.counters.client_send_errors += 1;
            return;
        };
        if self.sendq[i].len() >= QUEUE {
            // Full: make room by sending, as far as the socket takes it.
            self.send_queued(i);
        }
        if !self.sendq[i].push(to, payload) {
            self.counters.client_send_errors += 1;
        }
    }
}
