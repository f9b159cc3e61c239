//! The packet socket and the TUN device for a tokio event loop: each
//! descriptor is nonblocking and registered with the runtime, so one task
//! can wait on frames, packets, timers and control requests at once.

#![allow(unsafe_code)]

use std::io;

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use crate::afpacket::PacketSocket;
use crate::batch::FrameBatch;
use crate::tun::Tun;

/// An AF_PACKET socket bound to one interface and ethertype.
#[derive(Debug)]
pub struct AsyncPacketSocket {
    inner: AsyncFd<PacketSocket>,
    mac: [u8; 6],
}

impl AsyncPacketSocket {
    /// Opens the socket (see [`PacketSocket::open`]); needs a tokio runtime.
    pub fn open(ifname: &str, ethertype: u16) -> io::Result<Self> {
        let socket = PacketSocket::open(ifname, ethertype)?;
        socket.set_nonblocking()?;
        let mac = socket.mac();
        // SAFETY: the socket owns its descriptor (an `OwnedFd`) and the
        // `AsyncFd` owns the socket, so the descriptor stays open and the
        // same for as long as it is registered.
        let inner = unsafe { AsyncFd::register_with_interest(socket, Interest::READABLE) }
            .map_err(io::Error::from)?;
        Ok(AsyncPacketSocket { inner, mac })
    }

    /// Waits for the next frame another host sent; its length.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner
            .async_io(Interest::READABLE, |s| s.try_recv(buf))
            .await
    }

    /// Sends one frame without waiting: `WouldBlock` when the interface
    /// queue is full (the caller counts a drop, as a NIC would).
    pub fn send(&self, frame: &[u8]) -> io::Result<()> {
        self.inner.get_ref().send(frame)
    }

    /// Waits for frames, then takes every queued one up to the batch's
    /// capacity with one syscall (see [`PacketSocket::try_recv_batch`]).
    pub async fn recv_batch(&self, batch: &mut FrameBatch) -> io::Result<usize> {
        self.inner
            .async_io(Interest::READABLE, |s| s.try_recv_batch(batch))
            .await
    }

    /// The socket itself (for its options and kernel counters).
    pub fn socket(&self) -> &PacketSocket {
        self.inner.get_ref()
    }

    /// Sends a batch of frames without waiting (see
    /// [`PacketSocket::try_send_batch`]); how many went out.
    pub fn send_batch(&self, batch: &FrameBatch) -> io::Result<usize> {
        self.inner.get_ref().try_send_batch(batch)
    }

    /// The interface's MAC address.
    pub fn mac(&self) -> [u8; 6] {
        self.mac
    }
}

/// A TUN device (IP packets, no packet-info header).
#[derive(Debug)]
pub struct AsyncTun {
    inner: AsyncFd<Tun>,
}

impl AsyncTun {
    /// Creates or attaches to the TUN device `name` (its link is still
    /// down); needs a tokio runtime.
    pub fn open(name: &str) -> io::Result<Self> {
        Self::register(Tun::open(name)?)
    }

    /// Like [`AsyncTun::open`] with GSO and checksum offload (see
    /// [`Tun::open_offload`]): each packet behind a `virtio_net_hdr`.
    pub fn open_offload(name: &str) -> io::Result<Self> {
        Self::register(Tun::open_offload(name)?)
    }

    /// A descriptor of a TUN queue another thread reads, to write on:
    /// registered for writability only, so the packets the kernel queues
    /// on it wake nobody here. [`recv`](Self::recv) never completes on it.
    pub fn writer(tun: Tun) -> io::Result<Self> {
        tun.set_nonblocking()?;
        // SAFETY: as in `register`.
        let inner = unsafe { AsyncFd::register_with_interest(tun, Interest::WRITABLE) }
            .map_err(io::Error::from)?;
        Ok(AsyncTun { inner })
    }

    fn register(tun: Tun) -> io::Result<Self> {
        tun.set_nonblocking()?;
        // SAFETY: the device owns its descriptor (a `File`) and the
        // `AsyncFd` owns the device, so the descriptor stays open and the
        // same for as long as it is registered.
        let inner = unsafe { AsyncFd::register_with_interest(tun, Interest::READABLE) }
            .map_err(io::Error::from)?;
        Ok(AsyncTun { inner })
    }

    /// Waits for the next packet the kernel routed into the device.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner
            .async_io(Interest::READABLE, |t| t.try_recv(buf))
            .await
    }

    /// Hands one IP packet to the kernel without waiting.
    pub fn send(&self, packet: &[u8]) -> io::Result<()> {
        self.inner.get_ref().send(packet)
    }

    /// Takes the next packet if one is queued, without waiting:
    /// `WouldBlock` when none is (the rest of a burst after [`recv`](Self::recv)).
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.get_ref().try_recv(buf)
    }

    /// Hands one bare IP packet to the kernel without waiting, behind an
    /// empty `virtio_net_hdr` when the device has offloads (see
    /// [`Tun::send_bare`]).
    pub fn send_bare(&self, packet: &[u8]) -> io::Result<()> {
        self.inner.get_ref().send_bare(packet)
    }

    /// The device itself (to clone a descriptor of it).
    pub fn tun(&self) -> &Tun {
        self.inner.get_ref()
    }

    /// Whether packets go behind a `virtio_net_hdr`.
    pub fn vnet(&self) -> bool {
        self.inner.get_ref().vnet()
    }

    /// The interface name.
    pub fn name(&self) -> &str {
        self.inner.get_ref().name()
    }
}

/// A socket2 socket (already nonblocking) registered with the runtime for
/// reading; needs a tokio runtime.
pub fn register_socket(socket: socket2::Socket) -> io::Result<AsyncFd<socket2::Socket>> {
    // SAFETY: the socket owns its descriptor and the `AsyncFd` owns the
    // socket, so the descriptor stays open and the same for as long as it
    // is registered.
    unsafe { AsyncFd::register_with_interest(socket, Interest::READABLE) }.map_err(io::Error::from)
}
