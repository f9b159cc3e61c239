//! A fanout group that pins each PPPoE session to one socket: a classic
//! BPF program (`PACKET_FANOUT_CBPF`) returns the frame's SESSION_ID and
//! the kernel takes it modulo the group's size (af_packet.c,
//! `fanout_demux_bpf`), so session `id`'s frames always reach socket
//! `id % n` (the sockets are in the group in the order they joined).

use std::io;
use std::os::fd::AsRawFd;

use super::PacketSocket;

/// `PACKET_FANOUT_CBPF` (Linux 4.3): the group's classic BPF program picks
/// the socket.
const PACKET_FANOUT_CBPF: u32 = 6;
/// `PACKET_FANOUT_DATA` (`SOL_PACKET` option): sets that program.
const PACKET_FANOUT_DATA: libc::c_int = 22;
/// `BPF_LD | BPF_H | BPF_ABS`: load the 16-bit word at `k`.
const BPF_LDH_ABS: u16 = 0x28;
/// `BPF_RET | BPF_A`: return the accumulator.
const BPF_RET_A: u16 = 0x16;
/// Where SESSION_ID lies in a frame (Ethernet header 14, then VER/TYPE,
/// CODE), counted from the link-layer header (`SKF_LL_OFF`): the program
/// does not depend on where the kernel's data pointer is at that point.
const SESSION_ID_AT: i32 = libc::SKF_LL_OFF + 16;

/// The program: `ldh [SKF_LL_OFF + 16]; ret a`. A frame too short to hold
/// the field makes it return 0 (socket 0).
fn program() -> [libc::sock_filter; 2] {
    [
        libc::sock_filter {
            code: BPF_LDH_ABS,
            jt: 0,
            jf: 0,
            k: SESSION_ID_AT as u32,
        },
        libc::sock_filter {
            code: BPF_RET_A,
            jt: 0,
            jf: 0,
            k: 0,
        },
    ]
}

/// Which socket of a group of `n` session `id`'s frames reach.
pub fn socket_of(id: u16, n: usize) -> usize {
    usize::from(id) % n.max(1)
}

impl PacketSocket {
    /// Opens `n` sockets (at least one) on `ifname` for `ethertype` (the
    /// PPPoE session ethertype) in one new `PACKET_FANOUT_CBPF` group that
    /// sends session `id`'s frames to socket [`socket_of`]`(id, n)`. The
    /// group does not see the frames sent on the interface (Linux 5.12;
    /// before, the receive skips them).
    pub fn open_fanout_by_session(
        ifname: &str,
        ethertype: u16,
        n: usize,
    ) -> io::Result<Vec<PacketSocket>> {
        // Until the program is set every frame goes to socket 0; it is
        // set before any other socket joins, so no frame is misplaced.
        PacketSocket::open_fanout_group(
            ifname,
            ethertype,
            n,
            PACKET_FANOUT_CBPF,
            PacketSocket::set_fanout_program,
        )
    }

    /// `setsockopt(PACKET_FANOUT_DATA)` with [`program`] (for the group).
    fn set_fanout_program(&self) -> io::Result<()> {
        let mut filter = program();
        let prog = libc::sock_fprog {
            len: filter.len() as u16,
            filter: filter.as_mut_ptr(),
        };
        // SAFETY: PACKET_FANOUT_DATA reads one `sock_fprog` (the length
        // passed is its size), whose `filter` points at `len` valid
        // instructions; both outlive the call (the kernel copies them);
        // the fd is open.
        let rc = unsafe {
            libc::setsockopt(
                self.as_raw_fd(),
                libc::SOL_PACKET,
                PACKET_FANOUT_DATA,
                (&raw const prog).cast(),
                size_of::<libc::sock_fprog>() as libc::socklen_t,
            )
        };
        if rc < 0 {
            let e = io::Error::last_os_error();
            return Err(io::Error::new(e.kind(), format!("PACKET_FANOUT_DATA: {e}")));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::FrameBatch;

    const ETH_P_PPP_SES: u16 = 0x8864;

    /// Session frames of ids 1..=12 sent over a veth pair reach socket
    /// `id % n` of the group on the other end, for groups of 2 and 3, and
    /// every frame arrives once.
    #[test]
    fn each_session_reaches_one_socket_by_its_id() {
        let Some(mut tb) = testbed::Testbed::new("bngworkers-fo") else {
            return;
        };
        let a = tb.namespace("a").unwrap();
        let b = tb.namespace("b").unwrap();
        tb.veth((&a, "eth-a"), (&b, "eth-b")).unwrap();
        let tx = a
            .enter(|| PacketSocket::open("eth-a", ETH_P_PPP_SES))
            .unwrap()
            .unwrap();
        for n in [2usize, 3] {
            let group = b
                .enter(move || PacketSocket::open_fanout_by_session("eth-b", ETH_P_PPP_SES, n))
                .unwrap()
                .unwrap();
            for s in &group {
                s.set_nonblocking().unwrap();
            }
            for id in 1..=12u16 {
                let mut f = Vec::new();
                f.extend_from_slice(&group[0].mac());
                f.extend_from_slice(&tx.mac());
                f.extend_from_slice(&ETH_P_PPP_SES.to_be_bytes());
                f.extend_from_slice(&[0x11, 0]);
                f.extend_from_slice(&id.to_be_bytes());
                f.extend_from_slice(&4u16.to_be_bytes());
                f.extend_from_slice(&[0x00, 0x21, 0x45, 0]);
                f.resize(60, 0);
                tx.send(&f).unwrap();
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
            let mut seen = Vec::new();
            for (i, s) in group.iter().enumerate() {
                let mut batch = FrameBatch::standard();
                let _ = s.try_recv_batch(&mut batch);
                for f in batch.frames_mut() {
                    let id = u16::from_be_bytes([f[16], f[17]]);
                    assert_eq!(socket_of(id, n), i, "session {id} on socket {i} of {n}");
                    seen.push(id);
                }
            }
            seen.sort_unstable();
            assert_eq!(seen, (1..=12).collect::<Vec<_>>(), "group of {n}");
        }
    }
}
