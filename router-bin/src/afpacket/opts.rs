//! Socket options of [`PacketSocket`]: the receive buffer's size and the
//! kernel's receive counters, the qdisc bypass.

use std::io;
use std::os::fd::{AsRawFd, RawFd};

use super::PacketSocket;

/// `PACKET_STATISTICS` (linux/if_packet.h), a `SOL_PACKET` option.
const PACKET_STATISTICS: libc::c_int = 6;

/// `struct tpacket_stats` (linux/if_packet.h).
#[repr(C)]
#[derive(Default)]
struct TpacketStats {
    tp_packets: u32,
    tp_drops: u32,
}

/// What the kernel counted on a packet socket since the previous
/// [`PacketSocket::take_statistics`] (reading resets its counters).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PacketStatistics {
    /// Frames the socket received, dropped ones included (`tp_packets`).
    pub packets: u64,
    /// Frames dropped because the receive buffer was full (`tp_drops`).
    pub drops: u64,
}

impl PacketSocket {
    /// The kernel's receive counters (`PACKET_STATISTICS`), reset by the
    /// read: the caller adds them up.
    pub fn take_statistics(&self) -> io::Result<PacketStatistics> {
        let mut st = TpacketStats::default();
        let mut len = size_of::<TpacketStats>() as libc::socklen_t;
        // SAFETY: `st` is a writable tpacket_stats of `len` bytes, the
        // layout the kernel writes for PACKET_STATISTICS on a SOCK_RAW
        // socket; it writes at most `len` bytes and updates `len`.
        let rc = unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_PACKET,
                PACKET_STATISTICS,
                (&raw mut st).cast(),
                &mut len,
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(PacketStatistics {
            packets: u64::from(st.tp_packets),
            drops: u64::from(st.tp_drops),
        })
    }
}

impl PacketSocket {
    /// Asks for a receive buffer of `bytes` (frames queue there while the
    /// reader is busy; a full one drops them): `SO_RCVBUFFORCE` with
    /// `CAP_NET_ADMIN`, else `SO_RCVBUF`, which the kernel caps at
    /// `net.core.rmem_max`. The size the socket got (the kernel doubles
    /// the request for its bookkeeping).
    pub fn set_recv_buffer(&self, bytes: usize) -> io::Result<usize> {
        use nix::sys::socket::{getsockopt, setsockopt, sockopt};
        if setsockopt(self, sockopt::RcvBufForce, &bytes).is_err() {
            setsockopt(self, sockopt::RcvBuf, &bytes)?;
        }
        Ok(getsockopt(self, sockopt::RcvBuf)?)
    }
}

/// `PACKET_QDISC_BYPASS` (linux/if_packet.h), a `SOL_PACKET` option.
const PACKET_QDISC_BYPASS: libc::c_int = 20;

impl PacketSocket {
    /// Sends straight to the driver (`PACKET_QDISC_BYPASS`), past the
    /// interface's queueing discipline: no qdisc shaping, no `tc` on
    /// egress, and a full driver queue drops the frame (`ENOBUFS`-like
    /// errors reach the sender) where a qdisc would have queued it.
    pub fn set_qdisc_bypass(&self, on: bool) -> io::Result<()> {
        set_int_opt(
            self.fd.as_raw_fd(),
            libc::SOL_PACKET,
            PACKET_QDISC_BYPASS,
            libc::c_int::from(on),
        )
    }

    /// Whether sends bypass the qdisc (see [`Self::set_qdisc_bypass`]).
    pub fn qdisc_bypass(&self) -> io::Result<bool> {
        Ok(get_int_opt(self.fd.as_raw_fd(), libc::SOL_PACKET, PACKET_QDISC_BYPASS)? != 0)
    }
}

/// `getsockopt` of one `int` option.
pub(super) fn get_int_opt(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
) -> io::Result<libc::c_int> {
    let mut v: libc::c_int = 0;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `v` is a writable int of `len` bytes that outlives the call;
    // the kernel writes at most `len` bytes and updates `len`.
    let rc = unsafe { libc::getsockopt(fd, level, name, (&raw mut v).cast(), &mut len) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(v)
}

/// `setsockopt` of one `int` option.
fn set_int_opt(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    // SAFETY: the pointer and length describe `value`, an int that
    // outlives the call; the kernel only reads it.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&raw const value).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
