//! The packet sockets on the access interface, reopened when the interface
//! is re-created (a USB NIC replugged, a veth pair re-made): a packet
//! socket is bound to an interface index, and once that interface is gone
//! it hears nothing more (its one `ENETDOWN` is reported, then silence:
//! no busy loop while the interface is missing). Each second the event
//! loop asks for the interface's index ([`Access::check`]); a new one gets
//! new sockets: discovery, the session socket and, with workers, their
//! fanout group ([`Workers::rebind`](crate::bng::workers::Workers::rebind)).
//!
//! The new interface is given the MAC address bng serves with (the AC's
//! PADOs and every session are bound to it, and the hosts send to it), so
//! a session whose host kept its link can go on where its LCP echoes
//! allow, and the others end by LCP echo as for any lost peer. A link that only went down and up
//! keeps its index: the kernel rebinds the sockets itself.

use std::io;

use crate::aio::AsyncPacketSocket;
use crate::bng::engine::Bng;
use crate::netconf::Netconf;
use pppoe_link::{ETH_P_PPP_DISC, ETH_P_PPP_SES};

/// The session socket's receive buffer asked for (capped by
/// `net.core.rmem_max` without `CAP_NET_ADMIN`).
const SES_RCVBUF: usize = 4 << 20;

/// Opens the event loop's session socket on `interface`. With workers
/// their fanout group receives the session frames and this socket only
/// sends (protocol 0 receives nothing).
pub(super) fn open_out(interface: &str, with_workers: bool) -> io::Result<AsyncPacketSocket> {
    let out = AsyncPacketSocket::open(interface, if with_workers { 0 } else { ETH_P_PPP_SES })?;
    // Room for bursts while the loop is busy (a TCP window's worth of
    // upstream frames): the default (~200 KiB) drops them.
    if !with_workers {
        match out.socket().set_recv_buffer(SES_RCVBUF) {
            Ok(got) => tracing::debug!("session socket receive buffer {got} bytes"),
            Err(e) => tracing::warn!("session socket receive buffer: {e}"),
        }
    }
    // Session frames go straight to the driver: bng's own shaper does the
    // policing, and the qdisc layer was a large share of each send.
    if let Err(e) = out.socket().set_qdisc_bypass(true) {
        tracing::warn!("session socket qdisc bypass: {e}");
    }
    Ok(out)
}

/// The access interface as the sockets know it.
pub(super) struct Access {
    /// The index the sockets are bound to.
    ifindex: u32,
    /// The interface is missing (logged once).
    gone: bool,
    /// The index a reopen failed on (logged once per index).
    failed_on: Option<u32>,
    /// The MAC address bng serves with (the first interface's).
    mac: [u8; 6],
}

impl Access {
    /// The sockets were opened on interface `ifindex`, whose MAC address
    /// bng serves with.
    pub(super) fn new(ifindex: i32, mac: [u8; 6]) -> Access {
        Access {
            ifindex: u32::try_from(ifindex).unwrap_or(0),
            gone: false,
            failed_on: None,
            mac,
        }
    }

    /// Looks the access interface up; when it was re-created, sets it up
    /// (with bng's MAC address, its MTU raised to `need` if below) and reopens the
    /// sockets on it: `disc`, `bng.out` and the workers' group. A reopen
    /// that fails is tried again on the next call.
    pub(super) async fn check(
        &mut self,
        nc: &Netconf,
        disc: &mut AsyncPacketSocket,
        bng: &mut Bng,
        need: Option<u32>,
    ) {
        let interface = bng.cfg.interface.clone();
        let index = match nc.index(&interface).await {
            Ok(i) => i,
            Err(e) => {
                if !self.gone {
                    tracing::warn!(
                        "access interface {interface} is gone ({e}): waiting for it to come back"
                    );
                }
                self.gone = true;
                return;
            }
        };
        self.gone = false;
        if index == self.ifindex {
            return;
        }
        let mtu = need.filter(|n| super::run::current_mtu(&interface).is_none_or(|m| m < *n));
        match reopen(nc, &interface, self.mac, disc, bng, mtu).await {
            Ok(()) => {
                tracing::info!(
                    "access interface {interface} reopened: index {} -> {index}",
                    self.ifindex
                );
                self.ifindex = index;
                self.failed_on = None;
            }
            Err(e) => {
                if self.failed_on != Some(index) {
                    tracing::warn!("access interface {interface}: cannot reopen it: {e}");
                }
                self.failed_on = Some(index);
            }
        }
    }
}

/// Sets the new interface up as bng's and opens every socket on it; none
/// is replaced unless all opened.
async fn reopen(
    nc: &Netconf,
    interface: &str,
    mac: [u8; 6],
    disc: &mut AsyncPacketSocket,
    bng: &mut Bng,
    mtu: Option<u32>,
) -> io::Result<()> {
    if let Err(e) = nc.link_up_as(interface, mtu, Some(mac)).await {
        // Some drivers refuse a new address while the link is up.
        tracing::warn!(
            "access interface {interface}: cannot give it bng's MAC address {} ({e}): \
             hosts' frames to that address may not arrive; restart bng to serve with the new one",
            crate::bng::sessions::mac_text(&mac)
        );
        nc.link_up(interface, mtu).await?;
    }
    let new_disc = AsyncPacketSocket::open(interface, ETH_P_PPP_DISC)?;
    let new_out = open_out(interface, bng.workers.is_some())?;
    if let Some(w) = &bng.workers {
        w.rebind(interface)?;
    }
    *disc = new_disc;
    bng.out = new_out;
    Ok(())
}
