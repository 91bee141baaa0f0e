//! Which of this node's sockets are signed in as which user, so that revoking a user
//! closes every one of their sockets here (each node does the same for its own).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::{ConnId, Outbox};

/// Signed-in sockets by user.
#[derive(Debug, Default)]
pub struct Accounts {
    by_user: Mutex<HashMap<String, HashMap<ConnId, Signed>>>,
}

#[derive(Debug)]
struct Signed {
    outbox: Outbox,
    revoked: Arc<AtomicBool>,
}

impl Accounts {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, HashMap<ConnId, Signed>>> {
        // Plain data: a panic elsewhere mid-update leaves it usable.
        self.by_user.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Record that connection `conn` is signed in as `user`. Returns the flag that says,
    /// once its queue is killed, that the user was revoked.
    pub fn sign_in(&self, user: &str, conn: ConnId, outbox: Outbox) -> Arc<AtomicBool> {
        let revoked = Arc::new(AtomicBool::new(false));
        let signed = Signed {
            outbox,
            revoked: revoked.clone(),
        };
        self.lock()
            .entry(user.to_string())
            .or_default()
            .insert(conn, signed);
        revoked
    }

    /// Forget connection `conn` (it ended).
    pub fn sign_out(&self, user: &str, conn: ConnId) {
        let mut by_user = self.lock();
        if let Some(conns) = by_user.get_mut(user) {
            conns.remove(&conn);
            if conns.is_empty() {
                by_user.remove(user);
            }
        }
    }

    /// Tell every socket of `user` on this node to close as revoked. Returns how many.
    pub fn revoke(&self, user: &str) -> usize {
        let by_user = self.lock();
        let Some(conns) = by_user.get(user) else {
            return 0;
        };
        for signed in conns.values() {
            signed.revoked.store(true, Ordering::Release);
            signed.outbox.kill();
        }
        conns.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::outbox;

    #[test]
    fn revoking_a_user_kills_only_their_sockets() {
        let accounts = Accounts::default();
        let (a, _ra) = outbox(4);
        let (b, _rb) = outbox(4);
        let flag_a = accounts.sign_in("alice", 1, a.clone());
        let flag_b = accounts.sign_in("bob", 2, b.clone());
        assert_eq!(accounts.revoke("alice"), 1);
        assert!(a.is_killed() && flag_a.load(Ordering::Acquire));
        assert!(!b.is_killed() && !flag_b.load(Ordering::Acquire));
        accounts.sign_out("alice", 1);
        assert_eq!(accounts.revoke("alice"), 0);
    }
}
