//! What the daemons (`router`, `xlatd`, `dns64d`) start up with alike: the
//! binaries' `main` around their library's `run` (config load, `status`-like
//! questions to the running daemon, the runtime, the exit code), the RNG
//! seed from the OS, and the control socket's accept loop feeding the main
//! loop.

use std::future::Future;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use tokio::net::UnixListener;
use tokio::sync::{mpsc, oneshot};

/// The exit code of a config that does not load (as a usage error).
const BAD_CONFIG: u8 = 2;

/// A binary's `main` after its command line is parsed: starts the log
/// (debug level with `verbose`), loads the config (exit code 2 when it does
/// not load), then does what the command line asked with it (`act`); an
/// error goes to stderr as `{daemon}: {error}`.
pub fn main<C>(
    daemon: &str,
    verbose: bool,
    load: impl FnOnce() -> Result<C, String>,
    act: impl FnOnce(C) -> Result<(), String>,
) -> ExitCode {
    crate::logging::init(verbose);
    match load() {
        Ok(cfg) => exit(daemon, act(cfg)),
        Err(e) => {
            eprintln!("{daemon}: {e}");
            ExitCode::from(BAD_CONFIG)
        }
    }
}

/// Sends `command` to the daemon listening on `socket` and prints its reply.
pub fn ask(socket: &Path, command: &str) -> Result<(), String> {
    crate::control::request(socket, command, Duration::from_secs(5))
        .map(|reply| print!("{reply}"))
        .map_err(|e| e.to_string())
}

/// Runs the daemon's future to its end on one thread (a daemon's machines
/// are one task's).
pub fn block_on(run: impl Future<Output = Result<(), String>>) -> Result<(), String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))
        .and_then(|rt| rt.block_on(run))
}

/// The process's exit code for `result`, the error on stderr as
/// `{daemon}: {error}`.
fn exit(daemon: &str, result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{daemon}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A seed for a machine's RNG from the OS.
pub fn os_seed() -> Result<[u8; 32], String> {
    let mut seed = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut seed))
        .map_err(|e| format!("/dev/urandom: {e}"))?;
    Ok(seed)
}

/// A control request and where its reply goes.
pub type Request = (String, oneshot::Sender<String>);

/// Accepts control connections; each sends its command to the main loop
/// and writes back the reply (5 s for the whole exchange).
pub fn spawn_control(listener: UnixListener, tx: mpsc::Sender<Request>) {
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                // Out of descriptors, say: do not spin.
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            };
            let tx = tx.clone();
            tokio::spawn(async move {
                let work = async {
                    let cmd = crate::control::read_command(&mut stream).await.ok()?;
                    let (reply_tx, reply_rx) = oneshot::channel();
                    tx.send((cmd, reply_tx)).await.ok()?;
                    let reply = reply_rx.await.ok()?;
                    crate::control::write_reply(&mut stream, &reply).await.ok()
                };
                let _ = tokio::time::timeout(Duration::from_secs(5), work).await;
            });
        }
    });
}
