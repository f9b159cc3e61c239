//! The daemons' log: `tracing` to stderr (colours only on a terminal),
//! filtered by `RUST_LOG` when set, else by the daemon's own default.

use std::io::IsTerminal;

/// The default filter: `info`, without the netlink crate's warning about
/// every newer-kernel attribute it does not know (noise for a person
/// reading the log); `debug` with `--verbose`.
pub fn default_filter(verbose: bool) -> &'static str {
    if verbose {
        "debug"
    } else {
        "info,netlink_packet_route=error"
    }
}

/// Installs the global subscriber; call once, at the start of `main`.
pub fn init(verbose: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter(verbose)));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}
