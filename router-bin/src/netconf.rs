//! Kernel network configuration over rtnetlink: links, addresses, routes,
//! in the network namespace the process runs in.

use std::io;
use std::net::IpAddr;

use futures::TryStreamExt;
use rtnetlink::packet_route::route::{RouteAttribute, RouteMetric};
use rtnetlink::{Handle, LinkUnspec, RouteMessageBuilder, new_connection};

/// `EEXIST` / `ESRCH` / `EADDRNOTAVAIL` as netlink reports them.
const EEXIST: i32 = -libc::EEXIST;
const ESRCH: i32 = -libc::ESRCH;
const EADDRNOTAVAIL: i32 = -libc::EADDRNOTAVAIL;

/// A netlink connection; cheap to share by reference.
#[derive(Debug, Clone)]
pub struct Netconf {
    handle: Handle,
}

impl Netconf {
    /// Opens the connection and spawns its task on the current tokio runtime.
    pub async fn new() -> io::Result<Netconf> {
        let (connection, handle, _) = new_connection()
            .map_err(|e| io::Error::new(e.kind(), format!("netlink socket: {e}")))?;
        tokio::spawn(connection);
        Ok(Netconf { handle })
    }

    /// The interface index of `ifname`.
    pub async fn index(&self, ifname: &str) -> io::Result<u32> {
        let mut links = self
            .handle
            .link()
            .get()
            .match_name(ifname.to_owned())
            .execute();
        match links.try_next().await {
            Ok(Some(link)) => Ok(link.header.index),
            Ok(None) => Err(not_found(ifname)),
            Err(rtnetlink::Error::NetlinkError(e)) if e.raw_code() == -libc::ENODEV => {
                Err(not_found(ifname))
            }
            Err(e) => Err(context(e, &format!("looking up {ifname}"))),
        }
    }

    /// Sets `ifname` up, with `mtu` when given.
    pub async fn link_up(&self, ifname: &str, mtu: Option<u32>) -> io::Result<()> {
        self.link_up_as(ifname, mtu, None).await
    }

    /// Sets `ifname` up as [`Netconf::link_up`] does, with the hardware
    /// address `mac` when given (one request: the kernel sets the address
    /// before it raises the link, which some drivers need).
    pub async fn link_up_as(
        &self,
        ifname: &str,
        mtu: Option<u32>,
        mac: Option<[u8; 6]>,
    ) -> io::Result<()> {
        let index = self.index(ifname).await?;
        let mut msg = LinkUnspec::new_with_index(index).up();
        if let Some(mtu) = mtu {
            msg = msg.mtu(mtu);
        }
        if let Some(mac) = mac {
            msg = msg.address(mac.to_vec());
        }
        self.handle
            .link()
            .set(msg.build())
            .execute()
            .await
            .map_err(|e| context(e, &format!("setting {ifname} up")))
    }

    /// Sets `ifname` down.
    pub async fn link_down(&self, ifname: &str) -> io::Result<()> {
        let index = self.index(ifname).await?;
        self.handle
            .link()
            .set(LinkUnspec::new_with_index(index).down().build())
            .execute()
            .await
            .map_err(|e| context(e, &format!("setting {ifname} down")))
    }

    /// Adds `addr/prefix_len` to `ifname`; an address already there is fine.
    pub async fn add_address(&self, ifname: &str, addr: IpAddr, prefix_len: u8) -> io::Result<()> {
        let index = self.index(ifname).await?;
        match self
            .handle
            .address()
            .add(index, addr, prefix_len)
            .execute()
            .await
        {
            Err(rtnetlink::Error::NetlinkError(e)) if e.raw_code() == EEXIST => Ok(()),
            r => r.map_err(|e| context(e, &format!("adding {addr}/{prefix_len} to {ifname}"))),
        }
    }

    /// Removes `addr/prefix_len` from `ifname`; an address (or interface)
    /// already gone is fine.
    pub async fn delete_address(
        &self,
        ifname: &str,
        addr: IpAddr,
        prefix_len: u8,
    ) -> io::Result<()> {
        let index = match self.index(ifname).await {
            Ok(i) => i,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let mut found = self
            .handle
            .address()
            .get()
            .set_link_index_filter(index)
            .set_address_filter(addr)
            .set_prefix_length_filter(prefix_len)
            .execute();
        while let Some(a) = found
            .try_next()
            .await
            .map_err(|e| context(e, &format!("looking up {addr} on {ifname}")))?
        {
            match self.handle.address().del(a).execute().await {
                Err(rtnetlink::Error::NetlinkError(e)) if e.raw_code() == EADDRNOTAVAIL => {}
                r => r.map_err(|e| context(e, &format!("removing {addr} from {ifname}")))?,
            }
        }
        Ok(())
    }

    /// Removes every IPv4 and IPv6 address of `ifname`.
    pub async fn flush_addresses(&self, ifname: &str) -> io::Result<()> {
        let index = self.index(ifname).await?;
        let mut addresses = self
            .handle
            .address()
            .get()
            .set_link_index_filter(index)
            .execute();
        while let Some(a) = addresses
            .try_next()
            .await
            .map_err(|e| context(e, &format!("listing addresses of {ifname}")))?
        {
            match self.handle.address().del(a).execute().await {
                Err(rtnetlink::Error::NetlinkError(e)) if e.raw_code() == EADDRNOTAVAIL => {}
                r => r.map_err(|e| context(e, &format!("flushing {ifname}")))?,
            }
        }
        Ok(())
    }

    /// Adds or replaces the route `dest/prefix_len` through `ifname` without
    /// a gateway (a point-to-point or TUN device). `0.0.0.0/0` and `::/0`
    /// are the default routes.
    pub async fn replace_route(
        &self,
        dest: IpAddr,
        prefix_len: u8,
        ifname: &str,
    ) -> io::Result<()> {
        self.replace_route_mtu(dest, prefix_len, ifname, None).await
    }

    /// [`Netconf::replace_route`] with the route's own MTU (`ip route ...
    /// mtu N`) below the interface's, e.g. IPv4 into a CLAT whose IPv6
    /// form is 20 bytes longer.
    pub async fn replace_route_mtu(
        &self,
        dest: IpAddr,
        prefix_len: u8,
        ifname: &str,
        mtu: Option<u32>,
    ) -> io::Result<()> {
        let index = self.index(ifname).await?;
        let mut route = RouteMessageBuilder::<IpAddr>::new()
            .destination_prefix(dest, prefix_len)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?
            .output_interface(index)
            .build();
        if let Some(mtu) = mtu {
            route
                .attributes
                .push(RouteAttribute::Metrics(vec![RouteMetric::Mtu(mtu)]));
        }
        self.handle
            .route()
            .add(route)
            .replace()
            .execute()
            .await
            .map_err(|e| context(e, &format!("route {dest}/{prefix_len} dev {ifname}")))
    }

    /// Deletes the route `dest/prefix_len` through `ifname`; a route (or an
    /// interface) already gone is fine.
    pub async fn delete_route(&self, dest: IpAddr, prefix_len: u8, ifname: &str) -> io::Result<()> {
        let index = match self.index(ifname).await {
            Ok(i) => i,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let route = RouteMessageBuilder::<IpAddr>::new()
            .destination_prefix(dest, prefix_len)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?
            .output_interface(index)
            .build();
        match self.handle.route().del(route).execute().await {
            Err(rtnetlink::Error::NetlinkError(e)) if e.raw_code() == ESRCH => Ok(()),
            r => r.map_err(|e| context(e, &format!("deleting route {dest}/{prefix_len}"))),
        }
    }
}

impl Netconf {
    /// Adds or replaces an unreachable route for `dest/prefix_len` (what
    /// no more specific route covers is answered with ICMP unreachable
    /// instead of following the default route).
    pub async fn replace_unreachable(&self, dest: IpAddr, prefix_len: u8) -> io::Result<()> {
        let route = unreachable(dest, prefix_len)?;
        self.handle
            .route()
            .add(route)
            .replace()
            .execute()
            .await
            .map_err(|e| context(e, &format!("route unreachable {dest}/{prefix_len}")))
    }

    /// Deletes the unreachable route for `dest/prefix_len`; one already
    /// gone is fine.
    pub async fn delete_unreachable(&self, dest: IpAddr, prefix_len: u8) -> io::Result<()> {
        let route = unreachable(dest, prefix_len)?;
        match self.handle.route().del(route).execute().await {
            Err(rtnetlink::Error::NetlinkError(e)) if e.raw_code() == ESRCH => Ok(()),
            r => r.map_err(|e| context(e, &format!("deleting unreachable {dest}/{prefix_len}"))),
        }
    }
}

fn unreachable(
    dest: IpAddr,
    prefix_len: u8,
) -> io::Result<rtnetlink::packet_route::route::RouteMessage> {
    Ok(RouteMessageBuilder::<IpAddr>::new()
        .destination_prefix(dest, prefix_len)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?
        .kind(rtnetlink::packet_route::route::RouteType::Unreachable)
        .build())
}

/// Stops the kernel from giving `ifname` an IPv6 link-local address of its
/// own (`addr_gen_mode` none): a PPP interface's link-local address comes
/// from the IPv6CP interface identifier. Call before the link goes up.
pub fn disable_ipv6_autoconf(ifname: &str) -> io::Result<()> {
    if ifname.is_empty() || ifname.contains('/') || ifname.starts_with('.') {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("bad interface name `{ifname}`"),
        ));
    }
    let path = format!("/proc/sys/net/ipv6/conf/{ifname}/addr_gen_mode");
    std::fs::write(&path, "1").map_err(|e| io::Error::new(e.kind(), format!("{path}: {e}")))
}

fn not_found(ifname: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("no interface `{ifname}` in this network namespace"),
    )
}

fn context(e: rtnetlink::Error, what: &str) -> io::Error {
    match e {
        rtnetlink::Error::NetlinkError(m) => {
            let io = m.to_io();
            io::Error::new(io.kind(), format!("{what}: {io}"))
        }
        other => io::Error::other(format!("{what}: {other}")),
    }
}
