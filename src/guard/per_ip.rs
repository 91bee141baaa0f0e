//! The per-address connection cap (`--max-connections-per-ip`): one address may not take
//! every connection slot of a node. Addresses count like the failed-join limit does
//! (IPv6 per /64). A slot is held by a [`PerIpSlot`] for the life of the connection.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use super::address::key;

/// Open WebSocket connections per client address.
#[derive(Debug, Default)]
pub struct PerIpSlots {
    max: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// The address holds its cap already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AtCap;

/// One connection's place in its address's count; given back on drop.
#[derive(Debug)]
pub struct PerIpSlot {
    slots: Arc<PerIpSlots>,
    ip: IpAddr,
}

impl PerIpSlots {
    /// A cap of `max` connections per address; 0 turns it off.
    pub fn new(max: usize) -> Self {
        PerIpSlots {
            max,
            open: Mutex::default(),
        }
    }

    /// Take a slot for `ip`. `Ok(None)`: no cap applies (off, or the address is unknown);
    /// `Err(AtCap)`: the address holds its cap already.
    pub fn acquire(self: &Arc<Self>, ip: Option<IpAddr>) -> Result<Option<PerIpSlot>, AtCap> {
        let (Some(ip), true) = (ip, self.max > 0) else {
            return Ok(None);
        };
        let ip = key(ip);
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(ip).or_default();
        if *n >= self.max {
            return Err(AtCap);
        }
        *n += 1;
        Ok(Some(PerIpSlot {
            slots: self.clone(),
            ip,
        }))
    }

    /// Addresses holding at least one slot.
#[cfg(test)]
        pub fn addresses(&self) -> usize {
        self.open.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

impl Drop for PerIpSlot {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_per_address_and_gives_back() {
        let slots = Arc::new(PerIpSlots::new(2));
        let a: IpAddr = "10.0.0.1".parse().expect("literal");
        let b: IpAddr = "10.0.0.2".parse().expect("literal");
        let one = slots.acquire(Some(a)).expect("first");
        let two = slots.acquire(Some(a)).expect("second");
        assert!(slots.acquire(Some(a)).is_err());
        assert!(slots.acquire(Some(b)).expect("other address").is_some());
        drop(one);
        assert!(slots.acquire(Some(a)).expect("freed").is_some());
        drop(two);
        assert_eq!(slots.addresses(), 0);
        let v6a: IpAddr = "2001:db8::1".parse().expect("literal");
        let v6b: IpAddr = "2001:db8::2".parse().expect("literal");
        let _x = slots.acquire(Some(v6a)).expect("v6");
        let _y = slots.acquire(Some(v6b)).expect("same /64");
        assert!(
            slots.acquire(Some(v6a)).is_err(),
            "a /64 counts as one address"
        );
        let off = Arc::new(PerIpSlots::new(0));
        assert!(off.acquire(Some(a)).expect("off").is_none());
    }
}
