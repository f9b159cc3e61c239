//! A TUN device: the PPP interface's IP packets between the kernel and our
//! userspace data path (what `ppp0` is on a router whose kernel has no PPP).
#![allow(unsafe_code)]

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

/// `TUNSETIFF` from `<linux/if_tun.h>`: `_IOW('T', 202, int)`.
const TUNSETIFF: libc::c_ulong = 0x4004_54ca;
const IFF_TUN: libc::c_short = 0x0001;
/// No 4-byte packet-information prefix: reads and writes are bare IP packets.
const IFF_NO_PI: libc::c_short = 0x1000;
/// Each read and write starts with a `virtio_net_hdr` (GSO and checksum
/// offload metadata).
const IFF_VNET_HDR: libc::c_short = 0x4000;
/// One queue of a multiqueue device: each open descriptor is a queue, the
/// kernel spreads the packets routed out by flow.
const IFF_MULTI_QUEUE: libc::c_short = 0x0100;
/// Create only: TUNSETIFF fails with EBUSY when an interface of that name
/// exists (the kernel looks up and creates under one lock). In
/// `<linux/if_tun.h>` since long before multiqueue.
const IFF_TUN_EXCL: libc::c_short = 0x8000u16 as libc::c_short;
/// `TUNSETOFFLOAD`: `_IOW('T', 208, unsigned int)`.
const TUNSETOFFLOAD: libc::c_ulong = 0x4004_54d0;
/// Offloads the reader takes: partial checksums, TCP segmentation of both
/// families (`TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6`).
const TUN_F_CSUM_TSO: libc::c_uint = 0x01 | 0x02 | 0x04;

/// The `virtio_net_hdr` in front of each packet of an offloading TUN
/// ([`Tun::open_offload`]), 10 bytes, native byte order.
pub const VNET_HDR_LEN: usize = 10;

/// An open TUN interface; each read or write is one IP packet.
#[derive(Debug)]
pub struct Tun {
    file: File,
    name: String,
    /// Opened with `IFF_VNET_HDR`: every packet behind a `virtio_net_hdr`.
    vnet: bool,
}

impl Tun {
    /// Creates (or attaches to) the TUN interface `name` in the calling
    /// thread's network namespace. Needs `CAP_NET_ADMIN`. The interface is
    /// removed when the last descriptor closes.
    pub fn open(name: &str) -> io::Result<Tun> {
        Tun::open_flags(name, IFF_TUN | IFF_NO_PI)
    }

    /// Like [`Tun::open`], with GSO and checksum offload: every read and
    /// write starts with a [`VNET_HDR_LEN`]-byte `virtio_net_hdr`, and the
    /// kernel hands over TCP segments of up to 64 KiB with partial
    /// checksums instead of one packet per MTU (`IFF_VNET_HDR`,
    /// `TUNSETOFFLOAD` with `TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6`).
    pub fn open_offload(name: &str) -> io::Result<Tun> {
        let tun = Tun::open_flags(name, IFF_TUN | IFF_NO_PI | IFF_VNET_HDR)?;
        tun.set_offload()?;
        Ok(tun)
    }

    /// Creates the TUN interface `name` with `queues` queues
    /// (`IFF_MULTI_QUEUE`), one descriptor each, with offloads as
    /// [`Tun::open_offload`] when `offload`. The kernel hands each flow's
    /// packets to one queue (the one that last wrote that flow's packets).
    ///
    /// Any process may attach more queues to a multiqueue device, so an
    /// interface that exists already is refused as in use: the first queue
    /// creates the device with `IFF_TUN_EXCL`, atomically (a look-up of
    /// the name first let two daemons starting together both pass it and
    /// share one device), and only the others attach to it.
    pub fn open_queues(name: &str, queues: usize, offload: bool) -> io::Result<Vec<Tun>> {
        let mut flags = IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE;
        if offload {
            flags |= IFF_VNET_HDR;
        }
        (0..queues.max(1))
            .map(|i| {
                let excl = if i == 0 { IFF_TUN_EXCL } else { 0 };
                let tun = Tun::open_flags(name, flags | excl)?;
                if offload {
                    tun.set_offload()?;
                }
                Ok(tun)
            })
            .collect()
    }

    /// `TUNSETOFFLOAD` with TSO and checksum offload.
    fn set_offload(&self) -> io::Result<()> {
        let tun = self;
        // SAFETY: TUNSETOFFLOAD takes its argument by value; the fd is open.
        let rc = unsafe { libc::ioctl(tun.file.as_raw_fd(), TUNSETOFFLOAD, TUN_F_CSUM_TSO) };
        if rc < 0 {
            let e = io::Error::last_os_error();
            return Err(io::Error::new(
                e.kind(),
                format!("TUNSETOFFLOAD failed ({e})"),
            ));
        }
        Ok(())
    }

    fn open_flags(name: &str, flags: libc::c_short) -> io::Result<Tun> {
        if name.is_empty() || name.len() >= libc::IFNAMSIZ {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "interface name `{name}` must be 1 to {} bytes",
                    libc::IFNAMSIZ - 1
                ),
            ));
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/net/tun")
            .map_err(|e| io::Error::new(e.kind(), format!("/dev/net/tun: {e}")))?;
        // SAFETY: ifreq is plain old data; all-zero is a valid value.
        let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
        for (dst, src) in req.ifr_name.iter_mut().zip(name.bytes()) {
            *dst = src as libc::c_char;
        }
        req.ifr_ifru.ifru_flags = flags;
        // SAFETY: TUNSETIFF reads and writes one `ifreq`, which `req` is and
        // which outlives the call; the fd is open.
        let rc = unsafe { libc::ioctl(file.as_raw_fd(), TUNSETIFF, &mut req) };
        if rc < 0 {
            let e = io::Error::last_os_error();
            // EBUSY: another process has the device open (a second daemon
            // with the same interface name), or, with IFF_TUN_EXCL, an
            // interface of that name exists; EPERM: not privileged.
            let why = match e.raw_os_error() {
                Some(libc::EBUSY) if flags & IFF_TUN_EXCL != 0 => {
                    "in use by another process (the interface exists already)"
                }
                Some(libc::EBUSY) => "in use by another process",
                Some(libc::EPERM | libc::EACCES) => "needs CAP_NET_ADMIN",
                _ => "TUNSETIFF failed",
            };
            return Err(io::Error::new(e.kind(), format!("{why} ({e})")));
        }
        Ok(Tun {
            file,
            name: name.to_owned(),
            vnet: flags & IFF_VNET_HDR != 0,
        })
    }

    /// The interface name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Another descriptor of the same device (queue), for another thread
    /// to write packets on.
    pub fn try_clone(&self) -> io::Result<Tun> {
        Ok(Tun {
            file: self.file.try_clone()?,
            name: self.name.clone(),
            vnet: self.vnet,
        })
    }

    /// Hands one IP packet to the kernel, as if it arrived on the interface.
    pub fn send(&self, packet: &[u8]) -> io::Result<()> {
        let n = (&self.file).write(packet)?;
        if n != packet.len() {
            return Err(io::Error::other(format!(
                "short TUN write: {n} of {}",
                packet.len()
            )));
        }
        Ok(())
    }

    /// Whether packets go behind a `virtio_net_hdr` ([`Tun::open_offload`]).
    pub fn vnet(&self) -> bool {
        self.vnet
    }

    /// Hands one bare IP packet to the kernel: behind an empty
    /// `virtio_net_hdr` (one `writev`, no copy) when the device has
    /// offloads, as it is otherwise.
    pub fn send_bare(&self, packet: &[u8]) -> io::Result<()> {
        if !self.vnet {
            return self.send(packet);
        }
        let hdr = [0u8; VNET_HDR_LEN];
        let parts = [io::IoSlice::new(&hdr), io::IoSlice::new(packet)];
        let n = (&self.file).write_vectored(&parts)?;
        if n != VNET_HDR_LEN + packet.len() {
            return Err(io::Error::other(format!(
                "short TUN write: {n} of {}",
                VNET_HDR_LEN + packet.len()
            )));
        }
        Ok(())
    }

    /// Waits up to `timeout` for a packet the kernel routed out of the
    /// interface; `Ok(None)` on timeout.
    pub fn recv(&mut self, buf: &mut [u8], timeout: Option<Duration>) -> io::Result<Option<usize>> {
        let ms = timeout.map_or(-1, |t| {
            i32::try_from(t.as_micros().div_ceil(1000)).unwrap_or(i32::MAX)
        });
        let mut pfd = libc::pollfd {
            fd: self.file.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd, count 1.
        let rc = unsafe { libc::poll(&mut pfd, 1, ms) };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        if rc == 0 {
            return Ok(None);
        }
        self.file.read(buf).map(Some)
    }
}

impl Tun {
    /// Makes reads and writes return `WouldBlock` instead of waiting (for
    /// an event loop such as [`crate::aio`]).
    pub fn set_nonblocking(&self) -> io::Result<()> {
        crate::afpacket::set_nonblocking(self.file.as_raw_fd())
    }

    /// Reads one packet if one is queued; `WouldBlock` otherwise (after
    /// [`set_nonblocking`](Self::set_nonblocking)).
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        (&self.file).read(buf)
    }
}

impl AsRawFd for Tun {
    fn as_raw_fd(&self) -> RawFd {
        self.file.as_raw_fd()
    }
}
