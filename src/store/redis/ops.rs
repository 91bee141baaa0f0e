//! The [`RoomStore`] operations on Redis; the module docs of [`super`] list their
//! round trips.

use super::*;
use fred::clients::Client;

#[async_trait]
impl RoomStore for RedisStore {
    fn backend(&self) -> &'static str {
        "redis"
    }

    fn is_remote(&self) -> bool {
        true
    }

    async fn create(&self, doc: &RoomDoc) -> Result<bool, StoreError> {
        self.create_indexed(doc, true).await
    }

    async fn create_unlisted(&self, doc: &RoomDoc) -> Result<bool, StoreError> {
        self.create_indexed(doc, false).await
    }

    async fn claim_open(
        &self,
        game: GameKind,
        offer: Option<&str>,
    ) -> Result<Option<String>, StoreError> {
        let now = now_ms();
        eval(&self.scripts.claim, &self.conns.pick(), || {
            (
                vec![self.keys.open(game)],
                vec![
                    now.to_string(),
                    offer.unwrap_or_default().to_string(),
                    self.clock.score(now).to_string(),
                ],
            )
        })
        .await
        .map_err(store_err)
    }

    async fn load(&self, code: &str) -> Result<Option<RoomDoc>, StoreError> {
        let doc: Option<String> = self
            .conns
            .pick()
            .hget(self.keys.room(code), "doc")
            .await
            .map_err(store_err)?;
        doc.as_deref().map(parse_doc).transpose()
    }

    async fn update(
        &self,
        expected: u64,
        doc: &SharedDoc,
        env: Envelope,
        index: IndexChange,
    ) -> Result<CasOutcome, StoreError> {
        // Shared buffers: a retry after `NOSCRIPT` sends them again without a copy.
        let json = Str::from(encode_doc(doc)?);
        let (head, tail) = env.encode_parts();
        let (head, tail) = (Str::from(head), Str::from(tail));
        let now = now_ms();
        // Every member is here: deliver the change here rather than hear it back over
        // pub/sub, unless the hub cannot keep it in order (see `Hub::begin_local`).
        let deadline = match self.redis_clock.now() {
            Some(now)
                if env.local_only && self.hub.begin_local(&doc.code, expected, doc.version) =>
            {
                Some(now.saturating_add(self.local_budget_ms))
            }
            _ => None,
        };
        // One connection for the script and, if its reply is lost, for looking for it: Redis
        // runs one connection's commands in order, so the look comes after the script.
        let client = self.conns.pick();
        let local = deadline.map(|_| LocalWrite::new(self, &client, &doc.code, doc.version, env));
        let reply: Vec<Value> = eval(&self.scripts.update, &client, || {
            (
                vec![self.keys.room(&doc.code), self.keys.channel(&doc.code)],
                vec![
                    Value::from(expected.to_string()),
                    Value::from(doc.version.to_string()),
                    Value::String(json.clone()),
                    Value::from(self.ttl_secs.to_string()),
                    Value::String(head.clone()),
                    Value::String(tail.clone()),
                    Value::from(now.to_string()),
                    Value::from(self.clock.refresh().as_millis().to_string()),
                    Value::from(deadline.map_or_else(String::new, |d| d.to_string())),
                ],
            )
        })
        .await
        .map_err(store_err)?;
        let outcome = cas_outcome(&reply)?;
        if let CasOutcome::Applied = outcome {
            let published = reply.get(2).and_then(Value::as_i64) == Some(1);
            if let Some(redis_ms) = reply.get(3).and_then(Value::as_u64) {
                self.redis_clock.observe(redis_ms);
            }
            if published {
                m::pubsub_message("out");
            }
            if let Some(write) = local {
                write.settle(!published);
            }
            let due = reply.get(1).and_then(Value::as_i64) == Some(1);
            // A due refresh also puts the index right if an earlier index write was lost.
            let change = match index {
                IndexChange::Keep if due && offered(doc) => IndexChange::Open,
                IndexChange::Keep if due => IndexChange::Close,
                change => change,
            };
            // The room is written: a lost index write must not report it as failed. The
            // next due refresh or the sweep puts the index right.
            if due || change != IndexChange::Keep {
                if let Err(e) = self.reindex(&doc.code, &[doc.game], change, due).await {
                    tracing::warn!(room = %doc.code, error = %e, "room indexes not updated");
                }
            }
        } else if let Some(write) = local {
            write.settle(false);
        }
        Ok(outcome)
    }

    async fn delete(&self, code: &str, env: &Envelope) -> Result<bool, StoreError> {
        let client = self.conns.pick();
        let deleted: i64 = eval(&self.scripts.delete, &client, || {
            (
                vec![self.keys.room(code), self.keys.channel(code)],
                vec![env.encode()],
            )
        })
        .await
        .map_err(store_err)?;
        if deleted == 1 {
            m::pubsub_message("out");
        }
        self.unlist(code).await;
        Ok(deleted == 1)
    }

    async fn delete_at(
        &self,
        code: &str,
        expected: u64,
        env: &Envelope,
    ) -> Result<CasOutcome, StoreError> {
        let reply: Vec<Value> = eval(&self.scripts.delete_at, &self.conns.pick(), || {
            (
                vec![self.keys.room(code), self.keys.channel(code)],
                vec![expected.to_string(), env.encode()],
            )
        })
        .await
        .map_err(store_err)?;
        let outcome = cas_outcome(&reply)?;
        if let CasOutcome::Applied = outcome {
            m::pubsub_message("out");
            self.unlist(code).await;
        }
        Ok(outcome)
    }

    async fn publish(&self, code: &str, env: &Envelope) -> Result<bool, StoreError> {
        let now = now_ms();
        let done: i64 = eval(&self.scripts.publish, &self.conns.pick(), || {
            (
                vec![self.keys.room(code), self.keys.channel(code)],
                vec![
                    self.ttl_secs.to_string(),
                    env.encode(),
                    now.to_string(),
                    self.clock.refresh().as_millis().to_string(),
                ],
            )
        })
        .await
        .map_err(store_err)?;
        if done == 0 {
            return Ok(false);
        }
        m::pubsub_message("out");
        if done == 2 {
            // Chat keeps a room alive too; the script does not know the game.
            self.reindex(code, &GameKind::ALL, IndexChange::Keep, true)
                .await?;
        }
        Ok(true)
    }

    async fn open_rooms(
        &self,
        game: Option<GameKind>,
        limit: usize,
    ) -> Result<Vec<RoomDoc>, StoreError> {
        let games: Vec<GameKind> = game.map_or_else(GameKind::all, |g| vec![g]);
        let client = self.conns.pick();
        let now = now_ms() as f64;
        let reads = games.iter().map(|g| {
            client.zrangebyscore::<Vec<String>, _, _, _>(
                self.keys.open(*g),
                now,
                "+inf",
                false,
                Some((0, limit as i64)),
            )
        });
        let mut codes = Vec::new();
        for r in join_all(reads).await {
            codes.extend(r.map_err(store_err)?);
        }
        let docs = self.get_docs(&codes).await?;
        let mut open = Vec::new();
        for (code, doc) in codes.iter().zip(docs) {
            match doc {
                Some(doc) if offered(&doc) => open.push(doc),
                // Stale entry (the room filled or emptied while the index write was lost).
                Some(doc) => {
                    self.reindex(code, &[doc.game], IndexChange::Close, false)
                        .await?
                }
                None => self.deindex(code).await?,
            }
        }
        open.sort_by(|a, b| a.created_at.cmp(&b.created_at));
        open.truncate(limit);
        Ok(open)
    }

    async fn list_rooms(&self, cursor: Option<&str>, limit: usize) -> Result<RoomPage, StoreError> {
        let client = self.conns.pick();
        let min = cursor.map_or_else(|| "-".to_string(), |c| format!("({c}"));
        let codes: Vec<String> = client
            .zrangebylex(
                self.keys.all_rooms(),
                min.as_str(),
                "+",
                Some((0, limit as i64)),
            )
            .await
            .map_err(store_err)?;
        let docs = self.get_docs(&codes).await?;
        let next_cursor = (codes.len() == limit)
            .then(|| codes.last().cloned())
            .flatten();
        let mut rooms = Vec::with_capacity(docs.len());
        let mut gone = Vec::new();
        for (code, doc) in codes.into_iter().zip(docs) {
            match doc {
                Some(doc) => rooms.push(doc),
                None => gone.push(code),
            }
        }
        for code in gone {
            self.deindex(&code).await?;
        }
        Ok(RoomPage { rooms, next_cursor })
    }

    async fn subscribe(&self, code: &str) -> Result<(), StoreError> {
        self.subscriber
            .ssubscribe(self.keys.channel(code))
            .await
            .map_err(store_err)
    }

    async fn unsubscribe(&self, code: &str) -> Result<(), StoreError> {
        self.subscriber
            .sunsubscribe(self.keys.channel(code))
            .await
            .map_err(store_err)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        // Ready means every request can be served: commands go round-robin over the whole
        // pool, so one connection still in its reconnect back-off fails every Nth request.
        let clients = self.conns.pool().clients();
        if let Some(down) = clients.iter().position(|c| !c.is_connected()) {
            let reason = format!("pool connection {down} of {} not connected", clients.len());
            return Err(StoreError::Connection(reason));
        }
        let pings = clients.iter().map(|c| c.ping::<String>(None));
        for pong in join_all(pings).await {
            pong.map_err(store_err)?;
        }
        // Without the subscriber this node writes but cannot deliver room events.
        if !self.subscriber.is_connected() {
            return Err(StoreError::Connection(
                "room event subscriber not connected".into(),
            ));
        }
        Ok(())
    }

    async fn heartbeat(
        &self,
        node: &str,
        ttl: Duration,
        rooms: &[Arc<str>],
    ) -> Result<bool, StoreError> {
        self.beat(node, ttl, rooms).await
    }

    async fn dead_nodes(&self) -> Result<Vec<(String, Vec<String>)>, StoreError> {
        self.lapsed().await
    }

    async fn forget_node(&self, node: &str) -> Result<(), StoreError> {
        self.forget(node).await
    }

    fn pool_stats(&self) -> Option<PoolStats> {
        let clients = self.conns.pool().clients();
        Some(PoolStats {
            size: clients.len(),
            connected: clients.iter().filter(|c| c.is_connected()).count(),
            in_flight: 0,
        })
    }

    fn reconnects(&self) -> u64 {
        self.reconnects.load(Ordering::Relaxed)
    }

    async fn close(&self) {
        for sentinel in &self.sentinels {
            let _ = sentinel.quit().await;
        }
        let _ = self.subscriber.quit().await;
        let _ = self.conns.pool().quit().await;
        for t in &self.tasks {
            t.abort();
        }
    }

    async fn arm_deadline(&self, code: &str, at: u64) -> Result<(), StoreError> {
        self.zadd_deadline(code, at).await
    }

    async fn due_deadlines(
        &self,
        now: u64,
        limit: usize,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        self.due(now, limit).await
    }

    async fn disarm_deadline(&self, code: &str, at: u64) -> Result<(), StoreError> {
        self.zrem_deadline(code, at).await
    }
}

impl RedisStore {
    async fn create_indexed(&self, doc: &RoomDoc, listed: bool) -> Result<bool, StoreError> {
        let json = Str::from(encode_doc(doc)?);
        let client = self.conns.pick();
        let now = now_ms();
        let created: i64 = eval(&self.scripts.create, &client, || {
            (
                vec![self.keys.room(&doc.code)],
                vec![
                    Value::from(doc.version.to_string()),
                    Value::String(json.clone()),
                    Value::from(self.ttl_secs.to_string()),
                    Value::from(now.to_string()),
                ],
            )
        })
        .await
        .map_err(store_err)?;
        if created == 0 {
            return Ok(false);
        }
        let all = client.zadd::<(), _, _>(
            self.keys.all_rooms(),
            None,
            None,
            false,
            false,
            (0.0, doc.code.as_str()),
        );
        let open = if listed && offered(doc) {
            IndexChange::Open
        } else {
            IndexChange::Keep
        };
        let games = [doc.game];
        let (a, b) = tokio::join!(all, self.reindex(&doc.code, &games, open, true));
        // The room exists and its creator holds a seat: reporting a failure now would
        // leave that seat to nobody. The indexes are repaired by later refreshes.
        if let Err(e) = a.map_err(store_err).and(b) {
            tracing::warn!(room = %doc.code, error = %e, "room indexes not updated");
        }
        Ok(true)
    }
}

/// A write whose change this node delivers itself if it is applied and not published.
/// It is settled on every path. When the caller gives up on it (a timeout, an error, or
/// the request's future dropped), the write may still apply: late, it is published (past
/// its deadline) and arrives over pub/sub like any event; in time but with its reply lost,
/// the room records it (`lv`), and a background check finds that and delivers it.
struct LocalWrite<'a> {
    store: &'a RedisStore,
    /// The connection the script went out on.
    client: &'a Client,
    code: &'a str,
    version: u64,
    env: Option<Envelope>,
}

impl<'a> LocalWrite<'a> {
    fn new(
        store: &'a RedisStore,
        client: &'a Client,
        code: &'a str,
        version: u64,
        env: Envelope,
    ) -> Self {
        LocalWrite {
            store,
            client,
            code,
            version,
            env: Some(env),
        }
    }

    /// The write's outcome is known: deliver the change here if it was applied and not
    /// published (`deliver`), else nothing.
    fn settle(mut self, deliver: bool) {
        let env = self.env.take().filter(|_| deliver);
        self.store.hub.finish_local(self.code, self.version, env);
    }
}

impl Drop for LocalWrite<'_> {
    fn drop(&mut self) {
        let Some(env) = self.env.take() else {
            return;
        };
        let store = self.store;
        store.hub.finish_local(self.code, self.version, None);
        let (client, key, hub, resync) = (
            self.client.clone(),
            store.keys.room(self.code),
            store.hub.clone(),
            store.resync.clone(),
        );
        let (code, version) = (self.code.to_string(), self.version);
        tokio::spawn(async move {
            let mut backoff = Duration::from_millis(50);
            for _ in 0..LOST_REPLY_CHECKS {
                match client.hget::<Option<u64>, _, _>(&key, "lv").await {
                    // Applied, not published: nobody else will tell the members.
                    Ok(Some(lv)) if lv == version => return hub.deliver(&code, env),
                    // Not applied, published (it arrives by pub/sub), or overtaken by a
                    // later change this node delivered (which needed this one first).
                    Ok(_) => return,
                    Err(_) => {
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(2));
                    }
                }
            }
            // Redis has been unreachable for a minute: catch every local room up instead.
            resync.notify_one();
        });
    }
}

/// How often a lost local write is looked for before the node re-reads all its rooms
/// (about a minute with the back-off).
const LOST_REPLY_CHECKS: u32 = 35;
