//! A worker's upstream: session frames from its packet socket, each
//! published session's IP data checked (anti-spoofing), clamped, shaped
//! and written to its TUN queue (coalesced, [`UpGro`](crate::bng::datapath::UpGro)); the rest handed
//! to the control plane.

use std::io;
use std::time::Instant;

use pppoe_link::{PPP_IPV4, PPP_IPV6};
use pppoe_proto::mss::{clamp_mss, mss_for_mtu_v4, mss_for_mtu_v6};

use super::Worker;
use crate::bng::datapath::source_ok_v4;
use crate::bng::workers::shared::Table;

/// Receive batches per wake-up before the shaper queues get their turn.
const BATCHES: usize = 8;

/// What a worker does with a session frame.
pub(super) enum Upstream {
    /// It was the session's: written, queued, or dropped and counted.
    Done,
    /// The control plane's (or the worker cannot judge it).
    ToControl,
}

impl Worker {
    /// Receive batches: each published session's IP data up to the TUN
    /// device, the rest to the control plane. Whether the socket failed.
    pub(super) fn wan_side(&mut self, table: &Table) -> bool {
        let Some(mut rx) = self.rx.take() else {
            return false;
        };
        let mut failed = false;
        for _ in 0..BATCHES {
            let got = match self.sock.try_recv_batch(&mut rx) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => {
                    tracing::warn!("data path worker: receive: {e}");
                    failed = true;
                    break;
                }
            };
            for f in rx.frames_mut() {
                self.counters.frames += 1;
                if let Upstream::ToControl = self.frame(table, f) {
                    match self.to_control.try_send(f.to_vec()) {
                        Ok(()) => self.counters.to_control += 1,
                        Err(_) => self.counters.to_control_dropped += 1,
                    }
                }
            }
            self.up_gro
                .flush(&self.tun, &mut self.sessions, &mut self.stats);
            if got < rx.capacity() {
                break;
            }
        }
        self.rx = Some(rx);
        failed
    }

    /// One session frame.
    pub(super) fn frame(&mut self, table: &Table, f: &mut [u8]) -> Upstream {
        let Ok(h) = pppoe_proto::session::peek(f) else {
            return Upstream::ToControl;
        };
        let id = h.session_id;
        let Some(p) = table.sessions.get(&id) else {
            return Upstream::ToControl;
        };
        let Ok(range) = p.params.framer.decapsulate(f) else {
            return Upstream::ToControl;
        };
        let ppp = &mut f[range];
        let protocol = match ppp {
            [a, b, ..] => u16::from_be_bytes([*a, *b]),
            _ => return Upstream::ToControl,
        };
        let v6 = p.params.v6;
        match protocol {
            PPP_IPV4 if p.params.ipv4.is_some() => {
                self.local(id, p);
                self.upstream_v4(id, ppp);
                Upstream::Done
            }
            PPP_IPV6 if v6.is_some() => {
                self.local(id, p);
                self.upstream_v6(id, v6.unwrap_or_default(), ppp)
            }
            _ => Upstream::ToControl,
        }
    }

    /// An IPv4 packet (`ppp` = PPP protocol + packet) of session `id`.
    fn upstream_v4(&mut self, id: u16, ppp: &mut [u8]) {
        let Some(s) = self.sessions.get_mut(&id) else {
            return;
        };
        self.touched.push(id);
        if !source_ok_v4(s, &ppp[2..]) {
            s.traffic.spoofed += 1;
            return;
        }
        let len = ppp.len() - 2;
        clamp_mss(ppp, mss_for_mtu_v4(s.mtu));
        self.shape_and_send(id, &ppp[2..2 + len]);
    }

    /// An IPv6 packet of session `id`, whose prefixes are `prefixes`:
    /// link-scoped ones are for the session's router or DHCPv6 (the
    /// control plane's).
    fn upstream_v6(
        &mut self,
        id: u16,
        prefixes: [Option<crate::bng::config::Prefix6>; 2],
        ppp: &mut [u8],
    ) -> Upstream {
        let Some(s) = self.sessions.get_mut(&id) else {
            return Upstream::ToControl;
        };
        let Some(h) = crate::bng::ipv6::header(&ppp[2..]) else {
            s.traffic.ipv6_dropped += 1;
            self.touched.push(id);
            return Upstream::Done;
        };
        if h.dst.is_multicast() || h.dst.is_unicast_link_local() {
            return Upstream::ToControl;
        }
        self.touched.push(id);
        if !prefixes.iter().flatten().any(|p| p.contains(h.src)) {
            s.traffic.spoofed6 += 1;
            return Upstream::Done;
        }
        let len = 40 + h.payload_len;
        clamp_mss(ppp, mss_for_mtu_v6(s.mtu));
        self.shape_and_send(id, &ppp[2..2 + len]);
        Upstream::Done
    }

    /// A packet of session `id` past its checks: through its shaper to the
    /// TUN device.
    fn shape_and_send(&mut self, id: u16, packet: &[u8]) {
        let Some(s) = self.sessions.get_mut(&id) else {
            return;
        };
        let len = packet.len();
        if let Some(q) = &mut s.up
            && !q.admit(Instant::now(), len)
        {
            if q.enqueue(packet.to_vec(), len) {
                self.backlog.note(s);
                self.queued.insert(id);
            } else {
                s.traffic.policed_up += 1;
            }
            return;
        }
        self.up_gro
            .send(&self.tun, &mut self.sessions, &mut self.stats, id, packet);
    }
}
