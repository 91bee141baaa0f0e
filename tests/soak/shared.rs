//! What the soak's players share: where the nodes are (a node's port changes when it is
//! started again), the end of the soak, and the violations found along the way.

use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

/// The three nodes' ports, `None` while a node is down.
#[derive(Default)]
pub struct Nodes {
    ports: Mutex<Vec<Option<u16>>>,
}

impl Nodes {
    pub fn new(n: usize) -> Nodes {
        Nodes {
            ports: Mutex::new(vec![None; n]),
        }
    }

    pub fn set(&self, slot: usize, port: Option<u16>) {
        self.ports.lock().unwrap()[slot] = port;
    }

    pub fn get(&self, slot: usize) -> Option<u16> {
        self.ports.lock().unwrap()[slot]
    }

    /// The first live node after `slot` (another node when one is up).
    pub fn live_after(&self, slot: usize) -> Option<(usize, u16)> {
        let ports = self.ports.lock().unwrap();
        let n = ports.len();
        (1..=n)
            .map(|i| (slot + i) % n)
            .find_map(|s| ports[s].map(|p| (s, p)))
    }
}

/// What every player shares: the nodes, the end of the soak, and the violations found.
pub struct Shared {
    pub nodes: Nodes,
    /// Cancelled when the soak is over: no more rematches, finish the game at hand.
    pub stop: CancellationToken,
    violations: Mutex<Vec<String>>,
}

impl Shared {
    pub fn new(nodes: Nodes) -> Arc<Shared> {
        Arc::new(Shared {
            nodes,
            stop: CancellationToken::new(),
            violations: Mutex::new(Vec::new()),
        })
    }

    pub fn violation(&self, what: String) {
        eprintln!("VIOLATION: {what}");
        self.violations.lock().unwrap().push(what);
    }

    pub fn violations(&self) -> Vec<String> {
        self.violations.lock().unwrap().clone()
    }
}
