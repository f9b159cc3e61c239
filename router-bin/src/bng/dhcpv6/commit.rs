//! Group commit off the event loop: at the end of each receive batch the
//! binding changes of every DHCPv6 message in it go to the writer thread
//! as one batch ([`Dhcpv6::hand_over`]) and the batch's Replies wait in
//! bng; they leave when the writer confirms the batch durable
//! ([`Dhcpv6::durable`]), never before. Meanwhile the loop carries on.
//! At most [`IN_FLIGHT`] batches are in flight: beyond, the changes wait
//! in the server and go with the next batch.

use std::collections::VecDeque;
use std::net::Ipv6Addr;
use std::time::{Duration, Instant};

use super::Dhcpv6;
use super::writer::{Durable, IN_FLIGHT};
use crate::bng::engine::Bng;

/// An answer ready to go: (session, destination, port, message).
pub(super) type Answer = (u16, Ipv6Addr, u16, Vec<u8>);

/// A batch handed to the writer: its Replies, held until it is durable.
#[derive(Debug)]
pub(super) struct InFlight {
    seq: u64,
    replies: Vec<Answer>,
}

/// The batches in flight and what the commits cost (`bng stats`).
#[derive(Debug, Default)]
pub struct Commits {
    batches: VecDeque<InFlight>,
    /// The last batch number given.
    seq: u64,
    /// Writes the writer made (each a write and an fsync).
    pub writes: u64,
    /// The time they took, in all and at most once.
    pub write_time: Duration,
    /// The longest of them.
    pub write_max: Duration,
    /// The time the event loop spent handing batches over and releasing
    /// their Replies.
    pub loop_time: Duration,
    /// Hand-overs put off because [`IN_FLIGHT`] batches were in flight.
    pub deferred: u64,
}

impl Dhcpv6 {
    /// Hands the server's pending binding changes to the writer as one
    /// batch and holds its Replies; the answers that need nothing durable
    /// are returned to go at once. With [`IN_FLIGHT`] batches in flight
    /// nothing is handed over (the changes stay pending in the server).
    pub(super) fn hand_over(&mut self) -> Vec<Answer> {
        let t = Instant::now();
        let now = self.transmits();
        if self.commits.batches.len() >= IN_FLIGHT {
            if !self.server.pending_bindings().is_empty() {
                self.commits.deferred += 1;
            }
            return now;
        }
        let records = self.server.pending_bindings().to_vec();
        // The server's part is done: its held Replies come out, and bng
        // holds them until the writer confirms.
        self.server.commit();
        let replies = self.transmits();
        if records.is_empty() && replies.is_empty() {
            return now;
        }
        self.commits.seq += 1;
        let seq = self.commits.seq;
        if self.writer.submit(seq, records) {
            self.commits.batches.push_back(InFlight { seq, replies });
        } else {
            // As a failed write: the clients retransmit.
            tracing::warn!("DHCPv6 bindings not stored: the writer thread is gone");
        }
        self.commits.loop_time += t.elapsed();
        now
    }

    /// The writer's answer `d`: the Replies of every batch it covers,
    /// which may go now (none when the write failed: the clients send
    /// again, and the in-memory bindings stay so no prefix is given twice).
    pub(super) fn durable(&mut self, d: &Durable) -> Vec<Answer> {
        let t = Instant::now();
        self.commits.writes += 1;
        self.commits.write_time += d.took;
        self.commits.write_max = self.commits.write_max.max(d.took);
        if let Err(e) = &d.result {
            tracing::warn!("DHCPv6 bindings not stored: {e}");
        }
        let mut out = Vec::new();
        while let Some(b) = self.commits.batches.front() {
            if b.seq > d.through {
                break;
            }
            if let Some(b) = self.commits.batches.pop_front()
                && d.result.is_ok()
            {
                out.extend(b.replies);
            }
        }
        self.commits.loop_time += t.elapsed();
        out
    }

    /// How many batches wait for the writer.
    #[cfg(test)]
    pub(super) fn in_flight(&self) -> usize {
        self.commits.batches.len()
    }

    /// Waits for the writer's next answer (cancel-safe); never resolves
    /// once it is gone.
    pub(super) async fn next_durable(&mut self) -> Durable {
        match self.writer.durable().await {
            Some(d) => d,
            None => std::future::pending().await,
        }
    }
}

/// The writer's next answer (never without DHCPv6), for the event loop.
pub async fn dhcpv6_durable(d: Option<&mut Dhcpv6>) -> Durable {
    match d {
        Some(d) => d.next_durable().await,
        None => std::future::pending().await,
    }
}

impl Bng {
    /// At the end of each receive batch: its DHCPv6 binding changes go to
    /// the writer, its Replies wait for them ([`Bng::dhcpv6_durable`]).
    pub fn dhcpv6_flush(&mut self) {
        let Some(d) = self.dhcpv6.as_mut() else {
            return;
        };
        let now = d.hand_over();
        self.dhcpv6_send_answers(now);
    }

    /// The writer made batches durable: their Replies go, and what waited
    /// for room in the queue is handed over.
    pub fn dhcpv6_durable(&mut self, done: &Durable) {
        let Some(d) = self.dhcpv6.as_mut() else {
            return;
        };
        let mut out = d.durable(done);
        out.extend(d.hand_over());
        self.dhcpv6_send_answers(out);
    }
}
