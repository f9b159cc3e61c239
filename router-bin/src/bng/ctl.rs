//! The control socket's side in the daemon: one command in, one text
//! reply out, answered by the event loop (which owns the sessions).

use std::fmt::Write as _;
use std::time::Duration;

use crate::control;
use tokio::sync::{mpsc, oneshot};

use crate::bng::engine::Bng;

/// How long a client may take to send its command.
const READ_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a client may take to read the reply (as the router allows):
/// one that stops reading gives up its connection slot by then.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// Reads one command from a control connection, asks the loop, replies.
/// Runs in its own task: a slow client holds only its connection slot
/// (see `MAX_CONTROL_CONNECTIONS` in run.rs), never the event loop, and
/// that for at most the read and write timeouts.
pub async fn serve_connection(
    stream: tokio::net::UnixStream,
    to_loop: mpsc::Sender<(String, oneshot::Sender<String>)>,
) {
    serve(stream, to_loop, READ_TIMEOUT, WRITE_TIMEOUT).await;
}

async fn serve(
    mut stream: tokio::net::UnixStream,
    to_loop: mpsc::Sender<(String, oneshot::Sender<String>)>,
    read_timeout: Duration,
    write_timeout: Duration,
) {
    let command = match tokio::time::timeout(read_timeout, control::read_command(&mut stream)).await
    {
        Ok(Ok(c)) => c,
        _ => return,
    };
    let (tx, rx) = oneshot::channel();
    if to_loop.send((command, tx)).await.is_err() {
        return;
    }
    let Ok(reply) = rx.await else {
        return;
    };
    let write = control::write_reply(&mut stream, &reply);
    if tokio::time::timeout(write_timeout, write).await.is_err() {
        tracing::debug!("control socket: the client did not read its reply in time");
    }
}

/// The reply to a control command.
pub fn answer(bng: &Bng, command: &str) -> String {
    match command {
        "sessions" => bng.table.render(std::time::Instant::now()),
        "stats" => stats(bng),
        other => format!("unknown command `{other}` (try: sessions, stats)\n"),
    }
}

/// `bng stats`: global counters, and the drop counters summed over every
/// session, live or ended.
fn stats(bng: &Bng) -> String {
    let s = &bng.stats;
    let mut total = s.ended;
    for x in bng.table.by_id.values() {
        total.add_drops(&x.traffic);
    }
    let (v4, v6) = bng.table.by_id.values().fold((0, 0), |(v4, v6), x| {
        (
            v4 + usize::from(x.ipv4_up),
            v6 + usize::from(x.local_ifid.is_some()),
        )
    });
    // sessions_ipv4 / sessions_ipv6: IPCP / IPv6CP open (an IPv6-only
    // session counts in the second only and holds no pool address).
    let mut out = format!(
        "sessions {}\nsessions_ipv4 {v4}\nsessions_ipv6 {v6}\npool_in_use {}\n",
        bng.table.by_id.len(),
        bng.pool.in_use()
    );
    for (name, n) in total.drops() {
        let _ = writeln!(out, "{name} {n}");
    }
    // The workers' own counters, each and summed; their drops and TUN
    // errors count in the totals below too.
    let mut sum = crate::bng::workers::WorkerCounters::default();
    let workers = bng
        .workers
        .as_ref()
        .map(|w| w.counters())
        .unwrap_or_default();
    for (i, c) in workers.iter().enumerate() {
        let _ = write!(out, "worker{i}");
        for (name, n) in c.fields() {
            let _ = write!(out, " {name} {n}");
        }
        out.push('\n');
        sum.add(c);
    }
    if !workers.is_empty() {
        let _ = write!(out, "workers {}", workers.len());
        for (name, n) in sum.fields() {
            let _ = write!(out, " {name} {n}");
        }
        out.push('\n');
    }
    let d = &sum.down;
    let _ = write!(
        out,
        "policed {}\nfrag_needed_sent {}\npacket_too_big_sent {}\nicmp_rate_limited {}\ntx_dropped {}\nrx_dropped {}\n\
         no_session {}\ntun_ipv6_dropped {}\ntun_errors {}\ntun_gso_cut {}\ntun_gro {}\n",
        total.policed_up + total.policed_down,
        s.frag_needed_sent + d.frag_needed_sent,
        s.packet_too_big_sent + d.packet_too_big_sent,
        s.icmp_rate_limited + d.icmp_rate_limited,
        s.tx_dropped + d.tx_dropped,
        s.rx_dropped + sum.rx_dropped,
        s.no_session + d.no_session,
        s.tun_ipv6_dropped + d.tun_ipv6_dropped,
        s.tun_errors + sum.tun_errors,
        s.tun_gso_cut + d.tun_gso_cut,
        s.tun_gro + sum.tun_gro
    );
    if let Some(d) = &bng.dhcpv6 {
        let c = d.server.counters();
        let _ = write!(
            out,
            "ipv6_routes {}\ndhcpv6_bindings {}\ndhcpv6_replies {}\ndhcpv6_dropped {}\n\
             dhcpv6_rate_limited {}\ndhcpv6_commits {}\ndhcpv6_commit_us {}\n\
             dhcpv6_commit_max_us {}\ndhcpv6_commit_loop_us {}\ndhcpv6_commit_deferred {}\n",
            bng.v6_routes.len(),
            d.server.bindings().count(),
            c.replies,
            c.malformed + c.not_request + c.not_ours + c.invalid + c.table_full + c.backlogged,
            s.dhcpv6_rate_limited,
            d.commits.writes,
            d.commits.write_time.as_micros(),
            d.commits.write_max.as_micros(),
            d.commits.loop_time.as_micros(),
            d.commits.deferred
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[tokio::test]
    async fn a_client_that_does_not_read_is_dropped_after_the_write_timeout() {
        let (to_loop, mut commands) = mpsc::channel::<(String, oneshot::Sender<String>)>(4);
        // The loop's side: a reply far bigger than the socket buffer.
        tokio::spawn(async move {
            while let Some((command, reply)) = commands.recv().await {
                assert_eq!(command, "sessions");
                let _ = reply.send("x".repeat(16 << 20));
            }
        });
        let (server, mut client) = tokio::net::UnixStream::pair().unwrap();
        client.write_all(b"sessions\n").await.unwrap();
        let started = std::time::Instant::now();
        let served = tokio::time::timeout(
            Duration::from_secs(5),
            serve(
                server,
                to_loop,
                Duration::from_secs(2),
                Duration::from_millis(300),
            ),
        )
        .await;
        assert!(
            served.is_ok(),
            "still blocked on a client that does not read"
        );
        assert!(started.elapsed() >= Duration::from_millis(300));
        drop(client);
    }
}
