//! The thread that makes DHCPv6 bindings durable (journal write + fsync),
//! so the event loop does not wait for the disk: it hands a batch's binding
//! changes over ([`Writer::submit`]) and goes on with other sessions'
//! traffic; the writer answers with the last batch it made durable
//! ([`Durable`]), and only then are that batch's Replies released. Batches
//! are written in the order handed over; those queued while a write is in
//! progress are written together (one fsync).

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use dhcpv6_proto::store::{BindingStore, Dhcpv6DelegationRecord};
use tokio::sync::mpsc;

/// Batches handed over and not yet confirmed, at most (the bound of the
/// queue; beyond it the changes wait in the server and go with the next).
pub(super) const IN_FLIGHT: usize = 4;

/// One batch's binding changes.
#[derive(Debug)]
struct Job {
    seq: u64,
    records: Vec<Dhcpv6DelegationRecord>,
}

/// The writer's answer: every batch up to `through` is durable (or, on an
/// error, was not written).
#[derive(Debug)]
pub struct Durable {
    /// The last batch this write covered.
    pub(super) through: u64,
    /// The store's error, if the write failed.
    pub(super) result: Result<(), String>,
    /// How long the write and fsync took.
    pub(super) took: Duration,
}

/// The writer thread, seen from the event loop.
#[derive(Debug)]
pub(super) struct Writer {
    jobs: Option<SyncSender<Job>>,
    done: mpsc::Receiver<Durable>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    /// Moves `store` onto a new thread that writes what it is handed.
    pub(super) fn spawn<S>(store: S) -> std::io::Result<Writer>
    where
        S: BindingStore + Send + 'static,
        S::Error: std::fmt::Display,
    {
        let (jobs, rx) = sync_channel(IN_FLIGHT);
        // Each answer confirms at least one batch in flight, of which
        // there are at most IN_FLIGHT: the writer never waits for room.
        let (tx, done) = mpsc::channel(IN_FLIGHT);
        let thread = std::thread::Builder::new()
            .name("bng-dhcpv6-writer".into())
            .spawn(move || run(store, &rx, &tx))?;
        Ok(Writer {
            jobs: Some(jobs),
            done,
            thread: Some(thread),
        })
    }

    /// Hands batch `seq`'s changes over (never waits). `false` when the
    /// writer is gone (it quit or panicked) or, against the caller's bound
    /// of [`IN_FLIGHT`], the queue is full: nothing will confirm them.
    pub(super) fn submit(&self, seq: u64, records: Vec<Dhcpv6DelegationRecord>) -> bool {
        self.jobs
            .as_ref()
            .is_some_and(|j| j.try_send(Job { seq, records }).is_ok())
    }

    /// Waits for the next answer (cancel-safe); `None` once the writer is
    /// gone.
    pub(super) async fn durable(&mut self) -> Option<Durable> {
        self.done.recv().await
    }

    /// The next answer, waiting for it (tests, outside a runtime).
    #[cfg(test)]
    pub(super) fn wait(&mut self) -> Option<Durable> {
        self.done.blocking_recv()
    }
}

impl Drop for Writer {
    /// What was handed over is written before the thread ends.
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The writer's loop: takes a batch and every other one queued, writes
/// them with one `persist`, answers.
fn run<S>(mut store: S, jobs: &Receiver<Job>, done: &mpsc::Sender<Durable>)
where
    S: BindingStore,
    S::Error: std::fmt::Display,
{
    while let Ok(first) = jobs.recv() {
        let mut through = first.seq;
        let mut records = first.records;
        while let Ok(more) = jobs.try_recv() {
            through = more.seq;
            records.extend(more.records);
        }
        let t = Instant::now();
        // A batch of Replies without changes (they depend on earlier
        // batches, written before it) needs no write.
        let result = match records.is_empty() {
            true => Ok(()),
            false => store.persist(&records).map_err(|e| e.to_string()),
        };
        let answer = Durable {
            through,
            result,
            took: t.elapsed(),
        };
        if done.try_send(answer).is_err() {
            // The event loop is gone (or, against the bound, not reading).
            break;
        }
    }
}
