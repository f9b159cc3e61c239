//! Raw Ethernet frames on one interface through an `AF_PACKET` socket: how
//! PPPoE discovery and session frames reach userspace on every Linux kernel,
//! with or without PPP support.
#![allow(unsafe_code)]

use std::ffi::CString;
use std::io;
use std::mem;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

use crate::batch::{BATCH_FRAMES, FrameBatch};

mod opts;
mod session_fanout;
pub use opts::PacketStatistics;
pub use session_fanout::socket_of as fanout_socket_of;

/// `ETH_P_ALL`: every protocol (for a socket that demultiplexes itself).
pub const ETH_P_ALL: u16 = 0x0003;

/// An `AF_PACKET`/`SOCK_RAW` socket bound to one interface and one
/// ethertype: frames are read and written whole, Ethernet header included.
#[derive(Debug)]
pub struct PacketSocket {
    fd: OwnedFd,
    ifindex: i32,
    mac: [u8; 6],
}

impl PacketSocket {
    /// Opens a socket on `ifname` (in the calling thread's network
    /// namespace) that receives frames of `ethertype` ([`ETH_P_ALL`] for all).
    ///
    /// Needs `CAP_NET_RAW`.
    pub fn open(ifname: &str, ethertype: u16) -> io::Result<PacketSocket> {
        let name = CString::new(ifname).map_err(|_| {
            io::Error::new(io::ErrorKind::InvalidInput, "interface name has a NUL byte")
        })?;
        // SAFETY: `name` is a valid NUL-terminated string that outlives the call.
        let ifindex = unsafe { libc::if_nametoindex(name.as_ptr()) };
        if ifindex == 0 {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no interface `{ifname}` in this network namespace"),
            ));
        }
        let ifindex =
            i32::try_from(ifindex).map_err(|_| io::Error::other("interface index out of range"))?;
        let protocol = i32::from(ethertype.to_be());
        // SAFETY: plain syscall with constant arguments; the result is checked.
        let raw = unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                protocol,
            )
        };
        if raw < 0 {
            let e = io::Error::last_os_error();
            return Err(io::Error::new(
                e.kind(),
                format!("AF_PACKET socket (needs CAP_NET_RAW): {e}"),
            ));
        }
        // SAFETY: `raw` is a fresh descriptor we own; OwnedFd closes it once.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };

        let mut addr = sockaddr_ll(ifindex, ethertype);
        // SAFETY: `addr` is a valid sockaddr_ll and the length passed is its size.
        let rc = unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&raw const addr).cast::<libc::sockaddr>(),
                size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        // The bound address reports the interface's hardware address.
        let mut len = size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        // SAFETY: `addr` has room for `len` bytes; the kernel writes at most that.
        let rc = unsafe {
            libc::getsockname(
                fd.as_raw_fd(),
                (&raw mut addr).cast::<libc::sockaddr>(),
                &mut len,
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        if addr.sll_halen != 6 {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!("`{ifname}` is not an Ethernet interface"),
            ));
        }
        let mut mac = [0u8; 6];
        mac.copy_from_slice(&addr.sll_addr[..6]);
        Ok(PacketSocket { fd, ifindex, mac })
    }

    /// The interface's MAC address.
    pub fn mac(&self) -> [u8; 6] {
        self.mac
    }

    /// The interface's index.
    pub fn ifindex(&self) -> i32 {
        self.ifindex
    }

    /// Sends one whole Ethernet frame.
    pub fn send(&self, frame: &[u8]) -> io::Result<()> {
        // SAFETY: the pointer and length describe `frame`, which outlives the call.
        let n = unsafe { libc::send(self.fd.as_raw_fd(), frame.as_ptr().cast(), frame.len(), 0) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        if n as usize != frame.len() {
            return Err(io::Error::other(format!(
                "short send: {n} of {} bytes",
                frame.len()
            )));
        }
        Ok(())
    }

    /// Waits up to `timeout` (`None`: forever) for a frame that arrived on
    /// the interface (our own outgoing frames, which packet sockets also see,
    /// are skipped) and copies it into `buf`; `Ok(None)` on timeout. A frame
    /// longer than `buf` is truncated to it.
    pub fn recv(&self, buf: &mut [u8], timeout: Option<Duration>) -> io::Result<Option<usize>> {
        let deadline = timeout.map(|t| std::time::Instant::now() + t);
        loop {
            let wait = match deadline {
                None => -1,
                Some(d) => {
                    let left = d.saturating_duration_since(std::time::Instant::now());
                    // Round up so a sub-millisecond wait does not spin.
                    i32::try_from(left.as_micros().div_ceil(1000)).unwrap_or(i32::MAX)
                }
            };
            if !poll_readable(self.fd.as_raw_fd(), wait)? {
                return Ok(None);
            }
            match self.try_recv(buf) {
                Ok(n) => return Ok(Some(n)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

/// `PACKET_FANOUT` from `<linux/if_packet.h>` (`SOL_PACKET` option).
const PACKET_FANOUT: libc::c_int = 18;
/// Spread by the flow hash of each frame (the kernel's flow dissector,
/// which looks into PPPoE session frames: the inner IP flow).
const PACKET_FANOUT_HASH: u32 = 0;
/// Let the kernel pick a group id no one uses (Linux 4.4); only for the
/// first socket, the others join with the id it got.
const PACKET_FANOUT_FLAG_UNIQUEID: u32 = 0x2000;
/// The group does not see the frames sent on the interface (Linux 5.12);
/// without it, ours come back to be skipped.
const PACKET_FANOUT_FLAG_IGNORE_OUTGOING: u32 = 0x4000;

impl PacketSocket {
    /// Opens `n` sockets like [`PacketSocket::open`] (at least one) in one
    /// new `PACKET_FANOUT_HASH` group: each frame goes to one of them by
    /// its flow hash, so one flow's frames always reach the same socket.
    pub fn open_fanout(ifname: &str, ethertype: u16, n: usize) -> io::Result<Vec<PacketSocket>> {
        PacketSocket::open_fanout_group(ifname, ethertype, n, PACKET_FANOUT_HASH, |_| Ok(()))
    }

    /// Opens `n` sockets (at least one) on `ifname` for `ethertype` in one
    /// new fanout group of mode `mode`, which ignores the frames sent on
    /// the interface where the kernel can (Linux 5.12). `set_up` is done
    /// on the first socket once it is in the group, before any other
    /// joins (e.g. the group's BPF program).
    fn open_fanout_group(
        ifname: &str,
        ethertype: u16,
        n: usize,
        mode: u32,
        set_up: impl FnOnce(&PacketSocket) -> io::Result<()>,
    ) -> io::Result<Vec<PacketSocket>> {
        let first = PacketSocket::open(ifname, ethertype)?;
        let with_ignore = mode | PACKET_FANOUT_FLAG_IGNORE_OUTGOING;
        let flags = match first.join_fanout(0, with_ignore | PACKET_FANOUT_FLAG_UNIQUEID) {
            Ok(()) => with_ignore,
            // An older kernel without IGNORE_OUTGOING: our own frames are
            // skipped by their packet type instead.
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
                first.join_fanout(0, mode | PACKET_FANOUT_FLAG_UNIQUEID)?;
                mode
            }
            Err(e) => return Err(e),
        };
        set_up(&first)?;
        let id = first.fanout_id()?;
        let mut all = vec![first];
        for _ in 1..n.max(1) {
            let s = PacketSocket::open(ifname, ethertype)?;
            s.join_fanout(id, flags)?;
            all.push(s);
        }
        Ok(all)
    }

    /// `setsockopt(PACKET_FANOUT)`: joins group `id` (0 with
    /// `PACKET_FANOUT_FLAG_UNIQUEID`: a new one) of mode and flags `mode`.
    fn join_fanout(&self, id: u16, mode: u32) -> io::Result<()> {
        let arg: u32 = u32::from(id) | (mode << 16);
        // SAFETY: PACKET_FANOUT reads one u32, which `arg` is and which
        // outlives the call; the length passed is its size; the fd is open.
        let rc = unsafe {
            libc::setsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_PACKET,
                PACKET_FANOUT,
                (&raw const arg).cast(),
                size_of::<u32>() as libc::socklen_t,
            )
        };
        if rc < 0 {
            let e = io::Error::last_os_error();
            return Err(io::Error::new(e.kind(), format!("PACKET_FANOUT: {e}")));
        }
        Ok(())
    }

    /// The fanout group id this socket is in (`getsockopt(PACKET_FANOUT)`).
    fn fanout_id(&self) -> io::Result<u16> {
        let arg = opts::get_int_opt(self.fd.as_raw_fd(), libc::SOL_PACKET, PACKET_FANOUT)?;
        Ok((arg & 0xffff) as u16)
    }
}

/// Waits up to `timeout_ms` (-1: forever) until one of `fds` is readable
/// (a negative fd is left out); which ones are, bit `i` for `fds[i]`
/// (at most 8 descriptors). Interrupted waits return no bits.
pub fn poll_any(fds: &[RawFd], timeout_ms: i32) -> io::Result<u8> {
    let mut pfds = [libc::pollfd {
        fd: -1,
        events: libc::POLLIN,
        revents: 0,
    }; 8];
    let n = fds.len().min(8);
    for (p, fd) in pfds.iter_mut().zip(fds) {
        p.fd = *fd;
    }
    // SAFETY: `pfds` holds at least `n` valid pollfds and outlives the call.
    let rc = unsafe { libc::poll(pfds.as_mut_ptr(), n as libc::nfds_t, timeout_ms) };
    if rc < 0 {
        let e = io::Error::last_os_error();
        if e.kind() == io::ErrorKind::Interrupted {
            return Ok(0);
        }
        return Err(e);
    }
    let mut bits = 0u8;
    for (i, p) in pfds.iter().take(n).enumerate() {
        // An error or hang-up counts as readable: the read reports it.
        if p.revents & (libc::POLLIN | libc::POLLERR | libc::POLLHUP) != 0 {
            bits |= 1 << i;
        }
    }
    Ok(bits)
}

impl PacketSocket {
    /// Makes sends and receives return `WouldBlock` instead of waiting (for
    /// an event loop such as [`crate::aio`]).
    pub fn set_nonblocking(&self) -> io::Result<()> {
        set_nonblocking(self.fd.as_raw_fd())
    }

    /// Receives one frame if one is queued (our own outgoing frames are
    /// skipped); `WouldBlock` when none is.
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let mut from = sockaddr_ll(0, 0);
            let mut len = size_of::<libc::sockaddr_ll>() as libc::socklen_t;
            // SAFETY: `buf` is valid for `buf.len()` writable bytes; `from`
            // and `len` describe a sockaddr_ll the kernel may fill.
            let n = unsafe {
                libc::recvfrom(
                    self.fd.as_raw_fd(),
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                    libc::MSG_DONTWAIT,
                    (&raw mut from).cast::<libc::sockaddr>(),
                    &mut len,
                )
            };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            if from.sll_pkttype == libc::PACKET_OUTGOING {
                continue;
            }
            return Ok(n as usize);
        }
    }
}

impl PacketSocket {
    /// Receives the queued frames, up to the batch's capacity (at most
    /// [`BATCH_FRAMES`]), with one `recvmmsg`; the batch is cleared first.
    /// How many slots were filled (our own outgoing frames keep an empty
    /// slot); `WouldBlock` when nothing is queued. A frame longer than a
    /// slot is truncated to it.
    pub fn try_recv_batch(&self, batch: &mut FrameBatch) -> io::Result<usize> {
        batch.clear();
        let (data, slot, lens) = batch.raw();
        let slots = (data.len() / slot).min(BATCH_FRAMES);
        let mut from = [sockaddr_ll(0, 0); BATCH_FRAMES];
        // SAFETY: iovec and mmsghdr are plain old data; all-zero (null
        // pointers, zero lengths) is a valid value.
        let mut iov: [libc::iovec; BATCH_FRAMES] = unsafe { mem::zeroed() };
        // SAFETY: as above.
        let mut msgs: [libc::mmsghdr; BATCH_FRAMES] = unsafe { mem::zeroed() };
        for (i, chunk) in data.chunks_mut(slot).take(slots).enumerate() {
            iov[i].iov_base = chunk.as_mut_ptr().cast();
            iov[i].iov_len = chunk.len();
            let h = &mut msgs[i].msg_hdr;
            h.msg_name = (&raw mut from[i]).cast();
            h.msg_namelen = size_of::<libc::sockaddr_ll>() as libc::socklen_t;
            h.msg_iov = &raw mut iov[i];
            h.msg_iovlen = 1;
        }
        let n = loop {
            // SAFETY: the first `slots` entries of `msgs` each point at
            // one iovec describing a disjoint `slot`-byte chunk of `data`
            // and at one sockaddr_ll with its size; `data`, `iov`, `from`
            // and `msgs` all outlive the call, which writes only there.
            let n = unsafe {
                libc::recvmmsg(
                    self.fd.as_raw_fd(),
                    msgs.as_mut_ptr(),
                    slots as libc::c_uint,
                    libc::MSG_DONTWAIT as _,
                    std::ptr::null_mut(),
                )
            };
            if n >= 0 {
                break n as usize;
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        };
        for (m, f) in msgs.iter().zip(&from).take(n) {
            let ours = f.sll_pkttype == libc::PACKET_OUTGOING;
            lens.push(if ours { 0 } else { m.msg_len as usize });
        }
        Ok(n)
    }

    /// Sends every frame of `batch` with `sendmmsg` (one call unless the
    /// queue fills up); how many went out, or the error when none did. A
    /// full interface queue sends fewer (the caller counts the rest as
    /// drops, as a NIC would).
    pub fn try_send_batch(&self, batch: &FrameBatch) -> io::Result<usize> {
        let mut sent = 0;
        let frames: Vec<&[u8]> = batch.frames().collect();
        for chunk in frames.chunks(BATCH_FRAMES) {
            match self.send_chunk(chunk) {
                Ok(k) => {
                    sent += k;
                    if k < chunk.len() {
                        break;
                    }
                }
                Err(e) if sent == 0 => return Err(e),
                Err(_) => break,
            }
        }
        Ok(sent)
    }

    /// Up to [`BATCH_FRAMES`] frames through `sendmmsg`, again after a
    /// partial send while the kernel takes more.
    fn send_chunk(&self, frames: &[&[u8]]) -> io::Result<usize> {
        // SAFETY: iovec and mmsghdr are plain old data; all-zero is valid.
        let mut iov: [libc::iovec; BATCH_FRAMES] = unsafe { mem::zeroed() };
        // SAFETY: as above.
        let mut msgs: [libc::mmsghdr; BATCH_FRAMES] = unsafe { mem::zeroed() };
        let n = frames.len().min(BATCH_FRAMES);
        for (i, f) in frames.iter().take(n).enumerate() {
            // The kernel only reads through iov_base (sendmmsg).
            iov[i].iov_base = f.as_ptr().cast_mut().cast();
            iov[i].iov_len = f.len();
            msgs[i].msg_hdr.msg_iov = &raw mut iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        let mut done = 0;
        while done < n {
            // SAFETY: entries `done..n` of `msgs` each point at one iovec
            // describing a frame that outlives the call; no address (the
            // socket is bound); the kernel reads them and writes msg_len.
            let k = unsafe {
                libc::sendmmsg(
                    self.fd.as_raw_fd(),
                    msgs[done..].as_mut_ptr(),
                    (n - done) as libc::c_uint,
                    0 as _,
                )
            };
            if k < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                if done == 0 {
                    return Err(e);
                }
                break;
            }
            if k == 0 {
                break;
            }
            done += k as usize;
        }
        Ok(done)
    }
}

/// Sets `O_NONBLOCK` on a descriptor this crate owns.
pub(crate) fn set_nonblocking(fd: RawFd) -> io::Result<()> {
    // SAFETY: F_GETFL/F_SETFL on an open descriptor owned by the caller;
    // no pointers are passed.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

impl AsRawFd for PacketSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// For safe socket options (e.g. a larger receive buffer) through nix or
/// socket2.
impl AsFd for PacketSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

fn sockaddr_ll(ifindex: i32, ethertype: u16) -> libc::sockaddr_ll {
    // SAFETY: sockaddr_ll is plain old data; all-zero is a valid value.
    let mut addr: libc::sockaddr_ll = unsafe { mem::zeroed() };
    addr.sll_family = libc::AF_PACKET as u16;
    addr.sll_protocol = ethertype.to_be();
    addr.sll_ifindex = ifindex;
    addr
}

/// `poll(2)` for readability; false on timeout.
fn poll_readable(fd: RawFd, timeout_ms: i32) -> io::Result<bool> {
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    loop {
        // SAFETY: one valid pollfd, count 1.
        let rc = unsafe { libc::poll(&mut pfd, 1, timeout_ms) };
        if rc < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        return Ok(rc > 0);
    }
}
