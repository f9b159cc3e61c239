//! The IPv6 service's sockets: DHCPv6 (UDP 546) on the PPP interface, raw
//! ICMPv6 on the LAN interface, and the kernel settings they need.

use std::io::{self, IoSliceMut};
use std::net::{Ipv6Addr, SocketAddrV6};
use std::os::fd::AsRawFd;

use nix::sys::socket::{ControlMessageOwned, MsgFlags, SockaddrIn6, recvmsg, setsockopt, sockopt};
use socket2::{Domain, Protocol, Socket, Type};
use tokio::io::unix::AsyncFd;
use tokio::net::UdpSocket;

/// The DHCPv6 client port (RFC 8415 §7.2).
pub const CLIENT_PORT: u16 = 546;
/// The DHCPv6 server and relay port.
pub const SERVER_PORT: u16 = 547;
/// All_DHCP_Relay_Agents_and_Servers.
pub const ALL_DHCP_SERVERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 1, 2);
/// All routers: Router Solicitations go there.
const ALL_ROUTERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 2);
/// ICMPv6 Router Solicitation / Advertisement types.
const ROUTER_SOLICITATION: u8 = 133;
const ROUTER_ADVERTISEMENT: u8 = 134;

/// The interface index of `ifname`.
pub fn index(ifname: &str) -> io::Result<u32> {
    nix::net::if_::if_nametoindex(ifname)
        .map_err(|e| io::Error::new(io::ErrorKind::NotFound, format!("interface {ifname}: {e}")))
}

fn sysctl(path: &str, value: &str) -> io::Result<()> {
    std::fs::write(path, value).map_err(|e| io::Error::new(e.kind(), format!("{path}: {e}")))
}

/// IPv6 forwarding on, and the PPP interface still takes the ISP's RAs
/// (`accept_ra = 2`: a forwarding interface ignores them otherwise) for
/// its own address and MTU; the default route stays the one set when
/// IPv6CP opens (`accept_ra_defrtr = 0`), the session being the only way
/// out.
pub fn enable_forwarding(ppp: &str) -> io::Result<()> {
    // `all` first: writing it resets every interface's own value.
    sysctl("/proc/sys/net/ipv6/conf/all/forwarding", "1\n")?;
    sysctl(&format!("/proc/sys/net/ipv6/conf/{ppp}/accept_ra"), "2\n")?;
    sysctl(
        &format!("/proc/sys/net/ipv6/conf/{ppp}/accept_ra_defrtr"),
        "0\n",
    )
}

/// The UDP socket the PD client uses: bound to port 546 on the PPP
/// interface, multicast out of it. The kernel picks the IPv6CP link-local
/// address as the source for ff02::1:2.
pub fn dhcp_socket(ppp: &str, ppp_index: u32) -> io::Result<UdpSocket> {
    let s = Socket::new(Domain::IPV6, Type::DGRAM, Some(Protocol::UDP))?;
    s.set_only_v6(true)?;
    s.bind_device(Some(ppp.as_bytes()))?;
    s.set_multicast_if_v6(ppp_index)?;
    s.set_multicast_loop_v6(false)?;
    s.set_nonblocking(true)?;
    s.bind(&SocketAddrV6::new(Ipv6Addr::UNSPECIFIED, CLIENT_PORT, 0, 0).into())
        .map_err(|e| io::Error::new(e.kind(), format!("UDP port {CLIENT_PORT} on {ppp}: {e}")))?;
    UdpSocket::from_std(s.into())
}

/// The non-tentative link-local address of `ifname`, from
/// `/proc/net/if_inet6`.
pub fn link_local(ifname: &str) -> Option<Ipv6Addr> {
    let text = std::fs::read_to_string("/proc/net/if_inet6").ok()?;
    link_local_in(&text, ifname)
}

/// [`link_local`] from the text of `/proc/net/if_inet6` (address, index,
/// prefix length, scope, flags, name per line).
fn link_local_in(text: &str, ifname: &str) -> Option<Ipv6Addr> {
    text.lines().find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        let [addr, _, _, scope, flags, name] = f[..] else {
            return None;
        };
        let flags = u32::from_str_radix(flags, 16).ok()?;
        // IFA_F_TENTATIVE 0x40, IFA_F_DADFAILED 0x08; scope 0x20 = link.
        if name != ifname || scope != "20" || flags & 0x48 != 0 || addr.len() != 32 {
            return None;
        }
        u128::from_str_radix(addr, 16).ok().map(Ipv6Addr::from)
    })
}

/// The MAC address of `ifname`, if it has one.
pub fn mac(ifname: &str) -> Option<[u8; 6]> {
    let text = std::fs::read_to_string(format!("/sys/class/net/{ifname}/address")).ok()?;
    let bytes: Vec<u8> = text
        .trim()
        .split(':')
        .map(|b| u8::from_str_radix(b, 16))
        .collect::<Result<_, _>>()
        .ok()?;
    <[u8; 6]>::try_from(bytes).ok()
}

/// A raw ICMPv6 socket on the LAN interface: sends RAs with hop limit 255
/// and reads Router Solicitations with their source, destination and hop
/// limit (RFC 4861 §6.1.1 checks the hop limit).
pub struct LanIcmp {
    fd: AsyncFd<Socket>,
    ifindex: u32,
}

/// One message read: its bytes' length, source, destination, hop limit.
pub type Received = (usize, Ipv6Addr, Ipv6Addr, u8);

impl LanIcmp {
    /// Opens it on `ifname`, sending from `source` (its link-local address).
    pub fn open(ifname: &str, source: Ipv6Addr) -> io::Result<LanIcmp> {
        let ifindex = index(ifname)?;
        let s = Socket::new(Domain::IPV6, Type::RAW, Some(Protocol::ICMPV6))?;
        s.bind_device(Some(ifname.as_bytes()))?;
        s.bind(&SocketAddrV6::new(source, 0, 0, ifindex).into())?;
        s.set_multicast_hops_v6(255)?;
        s.set_unicast_hops_v6(255)?;
        s.set_multicast_if_v6(ifindex)?;
        s.set_multicast_loop_v6(false)?;
        s.join_multicast_v6(&ALL_ROUTERS, ifindex)?;
        setsockopt(&s, sockopt::Ipv6RecvHopLimit, &true)?;
        setsockopt(&s, sockopt::Ipv6RecvPacketInfo, &true)?;
        s.set_nonblocking(true)?;
        Ok(LanIcmp {
            fd: crate::aio::register_socket(s)?,
            ifindex,
        })
    }

    /// Sends one message to `to` on the interface.
    pub fn send(&self, to: Ipv6Addr, payload: &[u8]) -> io::Result<()> {
        let to = SocketAddrV6::new(to, 0, 0, self.ifindex);
        self.fd.get_ref().send_to(payload, &to.into()).map(|_| ())
    }

    /// Waits for the next RS or RA (other ICMPv6 types are skipped here:
    /// the kernel handles them). Cancel-safe.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<Received> {
        loop {
            let mut guard = self.fd.readable().await?;
            match guard.try_io(|fd| read_one(fd.get_ref(), buf)) {
                Ok(Ok(Some(r))) => return Ok(r),
                Ok(Ok(None)) => {}
                Ok(Err(e)) => return Err(e),
                Err(_would_block) => {}
            }
        }
    }
}

fn read_one(sock: &Socket, buf: &mut [u8]) -> io::Result<Option<Received>> {
    let (n, src, dst, hops) = {
        let mut iov = [IoSliceMut::new(&mut *buf)];
        let mut cmsg = nix::cmsg_space!(libc::in6_pktinfo, libc::c_int);
        let msg = recvmsg::<SockaddrIn6>(
            sock.as_raw_fd(),
            &mut iov,
            Some(&mut cmsg),
            MsgFlags::MSG_DONTWAIT,
        )
        .map_err(io::Error::from)?;
        let (mut dst, mut hops) = (None, None);
        for c in msg.cmsgs().map_err(io::Error::from)? {
            match c {
                ControlMessageOwned::Ipv6PacketInfo(i) => {
                    dst = Some(Ipv6Addr::from(i.ipi6_addr.s6_addr))
                }
                ControlMessageOwned::Ipv6HopLimit(h) => hops = u8::try_from(h).ok(),
                _ => {}
            }
        }
        (msg.bytes, msg.address.map(|a| a.ip()), dst, hops)
    };
    let (Some(src), Some(dst), Some(hops)) = (src, dst, hops) else {
        return Ok(None);
    };
    let wanted = matches!(
        buf.first(),
        Some(&ROUTER_SOLICITATION | &ROUTER_ADVERTISEMENT)
    );
    Ok(wanted.then_some((n, src, dst, hops)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only a link-local address of that interface that passed DAD.
    #[test]
    fn link_local_skips_tentative_global_and_other_interfaces() {
        let text = "\
20010db8000000000000000000000001 03 40 00 80     lan0
fe800000000000000000000000000001 03 40 20 c0     lan0
fe8000000000000000000000000000aa 04 40 20 80     lan1
fe8000000000000000000000000000bb 03 40 20 80     lan0
garbage
";
        assert_eq!(
            link_local_in(text, "lan0"),
            Some("fe80::bb".parse().unwrap())
        );
        assert_eq!(
            link_local_in(text, "lan1"),
            Some("fe80::aa".parse().unwrap())
        );
        assert_eq!(link_local_in(text, "lan2"), None);
    }
}
