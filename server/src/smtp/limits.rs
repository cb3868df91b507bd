//! How many sessions may be open at once, in all and from one client address.
//!
//! Without a cap, a client could hold thousands of idle connections (each waits up to the
//! idle timeout) and starve everyone else; one address gets only a share of the total.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// The open sessions, counted in all and per client address.
pub(super) struct Limits {
    total: usize,
    per_ip: usize,
    open: Mutex<Open>,
}

#[derive(Default)]
struct Open {
    total: usize,
    by_ip: HashMap<IpAddr, usize>,
}

/// Why a connection was turned away.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Full {
    Total,
    ThisAddress,
}

/// One open session; its place is given back when dropped.
pub(super) struct Slot {
    limits: Arc<Limits>,
    ip: IpAddr,
}

impl Limits {
    pub(super) fn new(total: usize, per_ip: usize) -> Arc<Self> {
        Arc::new(Limits {
            total,
            per_ip,
            open: Mutex::new(Open::default()),
        })
    }

    /// A place for one more session from `ip`, unless either cap is reached.
    pub(super) fn open(self: &Arc<Self>, ip: IpAddr) -> Result<Slot, Full> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if open.total >= self.total {
            return Err(Full::Total);
        }
        let mine = open.by_ip.entry(ip).or_insert(0);
        if *mine >= self.per_ip {
            return Err(Full::ThisAddress);
        }
        *mine += 1;
        open.total += 1;
        Ok(Slot {
            limits: self.clone(),
            ip,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.limits.open.lock().unwrap_or_else(|e| e.into_inner());
        open.total = open.total.saturating_sub(1);
        if let Some(n) = open.by_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.by_ip.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_in_all_and_per_address_and_gives_places_back() {
        let limits = Limits::new(3, 2);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let a1 = limits.open(a).unwrap();
        let _a2 = limits.open(a).unwrap();
        assert_eq!(limits.open(a).err(), Some(Full::ThisAddress));
        let _b1 = limits.open(b).unwrap();
        assert_eq!(limits.open(b).err(), Some(Full::Total));
        drop(a1);
        assert!(limits.open(a).is_ok());
    }
}
