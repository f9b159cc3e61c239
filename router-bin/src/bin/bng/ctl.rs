//! The control socket's side in the daemon: one command in, one text
//! reply out, answered by the event loop (which owns the sessions).

use std::time::Duration;

use router_bin::control;
use tokio::sync::{mpsc, oneshot};

use crate::engine::Bng;

/// Reads one command from a control connection, asks the loop, replies.
pub async fn serve_connection(
    mut stream: tokio::net::UnixStream,
    to_loop: mpsc::Sender<(String, oneshot::Sender<String>)>,
) {
    let command = match tokio::time::timeout(
        Duration::from_secs(2),
        control::read_command(&mut stream),
    )
    .await
    {
        Ok(Ok(c)) => c,
        _ => return,
    };
    let (tx, rx) = oneshot::channel();
    if to_loop.send((command, tx)).await.is_err() {
        return;
    }
    if let Ok(reply) = rx.await {
        let _ = control::write_reply(&mut stream, &reply).await;
    }
}

/// The reply to a control command.
pub fn answer(bng: &Bng, command: &str) -> String {
    match command {
        "sessions" => bng.table.render(std::time::Instant::now()),
        "stats" => {
            let s = &bng.stats;
            let (spoofed, policed) = bng.table.by_id.values().fold((0, 0), |(a, b), x| {
                (
                    a + x.traffic.spoofed,
                    b + x.traffic.policed_up + x.traffic.policed_down,
                )
            });
            format!(
                "sessions {}\npool_in_use {}\nspoofed {spoofed}\npoliced {policed}\n\
                 tx_dropped {}\nno_session {}\ntun_ipv6_dropped {}\ntun_errors {}\n",
                bng.table.by_id.len(),
                bng.pool.in_use(),
                s.tx_dropped,
                s.no_session,
                s.tun_ipv6_dropped,
                s.tun_errors
            )
        }
        other => format!("unknown command `{other}` (try: sessions, stats)\n"),
    }
}
