//! The event loop's packet socket on the WAN interface, reopened when the
//! interface is re-created; with data path workers, their fanout group is
//! reopened with it.

use tracing::{debug, info, warn};

use crate::afpacket::{ETH_P_ALL, PacketSocket};
use crate::aio::AsyncPacketSocket;
use crate::netconf::Netconf;
use crate::router::workers::Workers;

/// The AF_PACKET socket on the WAN interface. It is bound to the
/// interface's index, so when the interface is deleted and re-created
/// (a USB NIC replugged, a VLAN interface re-added) it hears nothing any
/// more: [`WanSocket::refresh`] opens a new one.
pub(super) struct WanSocket {
    /// With workers it only sends (bound to no ethertype): the fanout
    /// group hears the interface.
    pub(super) sock: AsyncPacketSocket,
    /// The index the socket is bound to (`None`: unknown).
    ifindex: Option<u32>,
    /// A send or receive error says the socket is dead: reopen it.
    pub(super) failed: bool,
    /// The interface is missing (logged once).
    gone: bool,
    /// Frames the kernel dropped on this socket and the ones it replaced
    /// (its receive buffer was full), as far as read.
    rx_dropped: u64,
    /// `wan.qdisc_bypass`, for the sockets reopened.
    qdisc_bypass: bool,
}

/// The receive buffer asked for the WAN packet sockets: room for a TCP
/// window's worth of downstream frames while the reader is busy (the
/// default, ~200 KiB, dropped them and the senders retransmitted).
pub(super) const WAN_RCVBUF: usize = 4 << 20;

/// Asks for [`WAN_RCVBUF`] on a WAN packet socket (a smaller buffer only
/// costs drops, so a refusal is logged, not fatal).
pub(super) fn set_wan_recv_buffer(sock: &PacketSocket) {
    match sock.set_recv_buffer(WAN_RCVBUF) {
        Ok(got) => debug!("WAN packet socket receive buffer {got} bytes"),
        Err(e) => warn!("WAN packet socket receive buffer: {e}"),
    }
}

/// Sets `PACKET_QDISC_BYPASS` on a WAN packet socket when configured
/// (`wan.qdisc_bypass`); a refusal is logged (frames then take the qdisc).
pub(super) fn set_wan_qdisc_bypass(sock: &PacketSocket, on: bool) {
    if on && let Err(e) = sock.set_qdisc_bypass(true) {
        warn!("WAN packet socket qdisc bypass: {e}");
    }
}

/// Adds the kernel's receive drops on `sock` since the last read to `into`
/// (reading resets the kernel's count).
pub(super) fn collect_drops(sock: &PacketSocket, into: &mut u64) {
    match sock.take_statistics() {
        Ok(st) => *into += st.drops,
        Err(e) => debug!("WAN packet socket PACKET_STATISTICS: {e}"),
    }
}

impl WanSocket {
    pub(super) async fn open(
        net: &Netconf,
        wan_if: &str,
        workers: Option<&Workers>,
        qdisc_bypass: bool,
    ) -> Result<WanSocket, String> {
        let sock = open_socket(wan_if, workers, qdisc_bypass)
            .map_err(|e| format!("WAN interface {wan_if}: {e} (does it exist? run as root)"))?;
        let ifindex = net.index(wan_if).await.ok();
        Ok(WanSocket {
            sock,
            ifindex,
            failed: false,
            gone: false,
            rx_dropped: 0,
            qdisc_bypass,
        })
    }

    /// Frames the kernel dropped on the event loop's socket so far (with
    /// workers it receives nothing: theirs are in their counters).
    pub(super) fn rx_dropped(&mut self) -> u64 {
        collect_drops(self.sock.socket(), &mut self.rx_dropped);
        self.rx_dropped
    }

    /// Notes a send error: a missing device means a dead socket.
    pub(super) fn send_failed(&mut self, e: &std::io::Error) {
        if matches!(e.raw_os_error(), Some(libc::ENXIO | libc::ENODEV)) {
            self.failed = true;
        }
    }

    /// Checks the interface's current index; reopens the socket (the
    /// interface set up again first) when it changed or the socket failed.
    /// When it was reopened: the MAC address and whether the interface is
    /// a new one (another index).
    pub(super) async fn refresh(
        &mut self,
        net: &Netconf,
        wan_if: &str,
        mtu: Option<u32>,
        why: &str,
        workers: Option<&Workers>,
    ) -> Option<([u8; 6], bool)> {
        let index = match net.index(wan_if).await {
            Ok(i) => i,
            Err(e) => {
                if !self.gone {
                    warn!(
                        "WAN interface {wan_if} is gone ({e}; {why}): waiting for it to come back"
                    );
                }
                self.gone = true;
                self.failed = true;
                return None;
            }
        };
        self.gone = false;
        if self.ifindex == Some(index) && !self.failed {
            return None;
        }
        if let Err(e) = net.link_up(wan_if, mtu).await {
            warn!("WAN interface {wan_if}: cannot set it up: {e}");
        }
        match open_socket(wan_if, workers, self.qdisc_bypass) {
            Ok(sock) => {
                let mac = sock.mac();
                info!(
                    "WAN interface {wan_if} reopened ({why}): index {} -> {index}, MAC {}",
                    self.ifindex.map_or("?".into(), |i| i.to_string()),
                    mac.iter()
                        .map(|b| format!("{b:02x}"))
                        .collect::<Vec<_>>()
                        .join(":")
                );
                let moved = self.ifindex != Some(index);
                // The old socket's last drops, before it is closed.
                collect_drops(self.sock.socket(), &mut self.rx_dropped);
                self.sock = sock;
                self.ifindex = Some(index);
                self.failed = false;
                Some((mac, moved))
            }
            Err(e) => {
                warn!("WAN interface {wan_if}: cannot reopen the packet socket: {e}");
                self.failed = true;
                None
            }
        }
    }
}

/// The event loop's socket: it hears the interface itself, or with
/// workers only sends while their new fanout group hears it.
fn open_socket(
    wan_if: &str,
    workers: Option<&Workers>,
    qdisc_bypass: bool,
) -> std::io::Result<AsyncPacketSocket> {
    let Some(w) = workers else {
        let sock = AsyncPacketSocket::open(wan_if, ETH_P_ALL)?;
        set_wan_recv_buffer(sock.socket());
        set_wan_qdisc_bypass(sock.socket(), qdisc_bypass);
        return Ok(sock);
    };
    // Bound to no ethertype: it receives nothing (the group does).
    let sock = AsyncPacketSocket::open(wan_if, 0)?;
    set_wan_qdisc_bypass(sock.socket(), qdisc_bypass);
    w.attach(wan_if, qdisc_bypass)?;
    Ok(sock)
}
