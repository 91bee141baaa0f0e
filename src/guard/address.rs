//! The address a per-client limit is kept for.

use std::net::{IpAddr, Ipv6Addr};

/// The address a limit is kept for: IPv4 as is (also when mapped into IPv6), IPv6 by /64.
pub(super) fn key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}
