//! The daemons' local control socket: a client connects, writes one command
//! line, reads the text reply until the daemon closes the stream.

use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

/// Longest command line accepted.
pub const MAX_COMMAND: usize = 256;

/// Listens on `path`, replacing a socket file left by an earlier run. A
/// socket some process still listens on is never removed: that is another
/// daemon's (`AddrInUse`). Only the owner (root) may connect.
pub fn bind(path: &Path) -> io::Result<UnixListener> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if std::os::unix::fs::FileTypeExt::is_socket(&m.file_type()) => {
            if std::os::unix::net::UnixStream::connect(path).is_ok() {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!("{} is in use: another daemon listens on it", path.display()),
                ));
            }
            std::fs::remove_file(path)?;
        }
        Ok(_) => {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} exists and is not a socket", path.display()),
            ));
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let listener = UnixListener::bind(path)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// Reads one command line (at most [`MAX_COMMAND`] bytes), trimmed.
pub async fn read_command(stream: &mut UnixStream) -> io::Result<String> {
    let mut line = String::new();
    let mut reader = BufReader::new(stream).take(MAX_COMMAND as u64 + 1);
    reader.read_line(&mut line).await?;
    if line.len() > MAX_COMMAND {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "control command too long",
        ));
    }
    Ok(line.trim().to_owned())
}

/// Writes the reply and closes the stream.
pub async fn write_reply(stream: &mut UnixStream, reply: &str) -> io::Result<()> {
    stream.write_all(reply.as_bytes()).await?;
    stream.shutdown().await
}

/// Sends `command` to the daemon listening on `path` and returns its reply
/// (blocking; for the CLI subcommands).
pub fn request(path: &Path, command: &str, timeout: Duration) -> io::Result<String> {
    let mut stream = std::os::unix::net::UnixStream::connect(path).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!(
                "cannot connect to {}: {e} (is the daemon running?)",
                path.display()
            ),
        )
    })?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    stream.write_all(command.as_bytes())?;
    stream.write_all(b"\n")?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply)?;
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A live daemon's socket is left alone; a stale one (nobody listens)
    /// is replaced.
    #[tokio::test]
    async fn a_live_socket_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("control.sock");
        let first = bind(&path).unwrap();
        let err = bind(&path).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse, "{err}");
        assert!(err.to_string().contains("another daemon listens"), "{err}");
        // The first listener still gets connections.
        let client = UnixStream::connect(&path).await.unwrap();
        let (_server, _) = first.accept().await.unwrap();
        drop((client, first));
        let _second = bind(&path).expect("a stale socket is replaced");
    }
}
