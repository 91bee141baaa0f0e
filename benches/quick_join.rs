//! `quick_join` and `list_rooms` on the in-memory store with 1 000 and 100 000 waiting
//! rooms: with the ordered open index their cost must not grow with the number of rooms
//! (before it, both cloned and sorted every open room under the store's lock).
//!
//! Each `quick_join` iteration first opens one more waiting room (not measured) and then
//! seats a newcomer in the oldest one, so the number of waiting rooms stays put.
//!
//! ```sh
//! cargo bench --features internals --bench quick_join -- --warm-up-time 1 --measurement-time 3
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use tokio::runtime::Runtime;

use parlor::game::GameKind;
use parlor::hub::Hub;
use parlor::room::{ConnHandle, Rooms};
use parlor::store::memory::MemoryStore;
use parlor::store::RoomStore;

const SIZES: [usize; 2] = [1_000, 100_000];
const TTL: Duration = Duration::from_secs(3_600);

/// A room service on a memory store, and a source of connection handles that never
/// read (events to them are dropped; the benchmark measures the store and the service).
struct Fixture {
    rooms: Rooms,
    next: AtomicU64,
    tx: parlor::hub::Outbox,
    _rx: parlor::hub::OutboxRx,
}

impl Fixture {
    fn conn(&self) -> ConnHandle {
        ConnHandle {
            id: self.next.fetch_add(1, Ordering::Relaxed),
            tx: self.tx.clone(),
            user: None,
        }
    }

    async fn with_waiting_rooms(n: usize) -> Fixture {
        let hub = Hub::new();
        let store: Arc<dyn RoomStore> = Arc::new(MemoryStore::new(TTL, hub.clone()));
        let (tx, rx) = parlor::hub::outbox(1);
        let f = Fixture {
            rooms: Rooms::new(store, hub, TTL),
            next: AtomicU64::new(1),
            tx,
            _rx: rx,
        };
        for _ in 0..n {
            f.open_one().await;
        }
        f
    }

    async fn open_one(&self) {
        let conn = self.conn();
        if let Err(e) = self
            .rooms
            .create(&conn, GameKind::Tictactoe, "host".into(), false)
            .await
        {
            panic!("create failed: {e}");
        }
    }
}

fn bench(c: &mut Criterion) {
    let rt = match Runtime::new() {
        Ok(rt) => rt,
        Err(e) => panic!("tokio runtime: {e}"),
    };
    let mut group = c.benchmark_group("memory_store");
    for n in SIZES {
        let f = rt.block_on(Fixture::with_waiting_rooms(n));
        group.bench_with_input(BenchmarkId::new("quick_join", n), &f, |b, f| {
            b.to_async(&rt).iter_custom(|iters| async move {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    f.open_one().await;
                    let conn = f.conn();
                    let started = Instant::now();
                    let joined = f
                        .rooms
                        .quick_join(&conn, GameKind::Tictactoe, "guest".into())
                        .await;
                    spent += started.elapsed();
                    assert!(joined.is_ok_and(|j| j.snapshot.summary.players.len() == 2));
                }
                spent
            })
        });
        group.bench_with_input(BenchmarkId::new("list_rooms_50", n), &f, |b, f| {
            b.to_async(&rt).iter(|| async {
                let listed = f.rooms.open_rooms(Some(GameKind::Tictactoe), 50).await;
                assert!(listed.is_ok_and(|l| l.len() == 50));
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
