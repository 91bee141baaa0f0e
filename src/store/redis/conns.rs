//! Which pooled connection runs the next command: the first one that is up and keeping
//! up, rather than each in turn.
//!
//! fred's `Pool::next` takes the connections in turn. Commands sent close together then
//! go out over every connection: on a busy node each socket write and each read of
//! replies carries a quarter of what it could, and the node pays the system calls and
//! task wake-ups four times. Here a command goes to the first connection that is up while
//! fewer than [`SPILL`] commands wait for its replies; past that (a connection that
//! stalled, or a burst larger than one pipeline should hold), or while it is down, the
//! next one takes it. A quiet or moderately busy node thus pipelines everything over one
//! connection, and the others stand by for a broken or stalled one (decision 39).

use std::ops::Deref;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use fred::clients::{Client, Pool};
use fred::prelude::ClientLike;

/// Commands waiting for replies on one connection before the next connection is used.
/// About 6 ms of Redis work at ~30 µs per room script: a connection that falls that far
/// behind is stalled or flooded, and a second pipeline helps.
const SPILL: usize = 192;

/// The command pool, with the commands waiting on each connection.
#[derive(Clone)]
pub(super) struct Conns {
    pool: Pool,
    waiting: Arc<[AtomicUsize]>,
}

/// One connection lent to one command (or one batch sent together); counted as waiting
/// until dropped.
pub(super) struct Lease<'a> {
    client: &'a Client,
    waiting: &'a AtomicUsize,
}

impl Conns {
    pub fn new(pool: Pool) -> Self {
        let waiting = pool.clients().iter().map(|_| AtomicUsize::new(0)).collect();
        Conns { pool, waiting }
    }

    /// The whole pool: connecting, quitting, reconnect and error streams, statistics.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// The connection for the next command, held until the lease is dropped: keep the
    /// lease until the reply is in.
    pub fn pick(&self) -> Lease<'_> {
        let clients = self.pool.clients();
        let i = choose(
            clients.len(),
            |i| clients[i].is_connected(),
            |i| self.waiting[i].load(Ordering::Relaxed),
        );
        let waiting = &self.waiting[i];
        waiting.fetch_add(1, Ordering::Relaxed);
        Lease {
            client: &clients[i],
            waiting,
        }
    }
}

impl Deref for Lease<'_> {
    type Target = Client;

    fn deref(&self) -> &Client {
        self.client
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        self.waiting.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The first connection that is up with fewer than [`SPILL`] commands waiting; else the
/// least loaded one that is up; else (none is up) the least loaded, where fred queues the
/// command until it reconnects or the command times out.
fn choose(n: usize, up: impl Fn(usize) -> bool, waiting: impl Fn(usize) -> usize) -> usize {
    if let Some(i) = (0..n).find(|&i| up(i) && waiting(i) < SPILL) {
        return i;
    }
    let least = |only_up: bool| {
        (0..n)
            .filter(|&i| !only_up || up(i))
            .min_by_key(|&i| waiting(i))
    };
    least(true).or_else(|| least(false)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::{choose, SPILL};

    fn pick(up: &[bool], waiting: &[usize]) -> usize {
        choose(up.len(), |i| up[i], |i| waiting[i])
    }

    #[test]
    fn a_quiet_pool_uses_its_first_connection() {
        assert_eq!(pick(&[true; 4], &[0, 0, 0, 0]), 0);
        assert_eq!(pick(&[true; 4], &[SPILL - 1, 0, 0, 0]), 0);
    }

    #[test]
    fn a_backed_up_connection_spills_to_the_next() {
        assert_eq!(pick(&[true; 4], &[SPILL, 0, 0, 0]), 1);
        assert_eq!(pick(&[true; 4], &[SPILL, SPILL, 3, 0]), 2);
        // All backed up: the least loaded.
        assert_eq!(
            pick(&[true; 4], &[SPILL + 5, SPILL + 1, SPILL + 9, SPILL + 2]),
            1
        );
    }

    #[test]
    fn connections_that_are_down_are_passed_over() {
        assert_eq!(pick(&[false, true, true, true], &[0, 0, 0, 0]), 1);
        assert_eq!(pick(&[false, false, false, true], &[0, 0, 0, SPILL * 2]), 3);
        // None up: the least loaded, where the command waits for the reconnect.
        assert_eq!(pick(&[false; 3], &[4, 1, 2]), 1);
        assert_eq!(pick(&[], &[]), 0);
    }
}
