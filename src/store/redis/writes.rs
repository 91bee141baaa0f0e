//! The room writes on Redis: create, update, delete and publish, each one script (one
//! round trip), plus the index writes that go with it when there are any.

use fred::bytes_utils::Str;
use fred::interfaces::SortedSetsInterface;
use fred::prelude::Value;

use super::codec::{cas_outcome, encode_doc, update_outcome, Applied};
use super::eval::eval;
use super::expiry::meta;
use super::failure::store_err;
use super::local_write::LocalWrite;
use super::RedisStore;
use crate::error::{Chain, StoreError};
use crate::game::GameKind;
use crate::model::Envelope;
use crate::metrics as m;
use crate::model::{RoomDoc, SharedDoc};
use crate::store::{now_ms, offered, CasOutcome, Extras, IndexChange, MoveLog, OutboxEvent};

impl RedisStore {
    /// [`RoomStore::create`](crate::store::RoomStore::create), on the open index only when
    /// `listed`.
    pub(super) async fn write_create(
        &self,
        doc: &RoomDoc,
        listed: bool,
    ) -> Result<bool, StoreError> {
        let json = Str::from(encode_doc(doc)?);
        let client = self.conns.pick();
        let now = now_ms();
        let created: i64 = eval(&self.scripts.create, &client, || {
            let mut keys = vec![self.keys.room(&doc.code)];
            let mut args = vec![
                Value::from(doc.version.to_string()),
                Value::String(json.clone()),
                Value::from(self.ttl_secs.to_string()),
                Value::from(self.clock.period(now).to_string()),
            ];
            if self.results {
                keys.push(self.keys.room_meta());
                args.push(Value::from(doc.code.as_str()));
                args.push(Value::from(meta(doc.game.name(), &doc.created_at)));
            }
            (keys, args)
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
        let users: Vec<String> = doc.players.iter().filter_map(|p| p.user.clone()).collect();
        let (a, b, c) = tokio::join!(
            all,
            self.reindex(&doc.code, &games, open, true),
            self.index_users(&doc.code, &users)
        );
        // The room exists and its creator holds a seat: reporting a failure now would
        // leave that seat to nobody. The indexes are repaired by later refreshes.
        if let Err(e) = a.map_err(store_err).and(b).and(c) {
            tracing::warn!(room = %doc.code, error = %Chain(&e), "room indexes not updated");
        }
        Ok(true)
    }

    /// [`RoomStore::update`](crate::store::RoomStore::update).
    pub(super) async fn write_update(
        &self,
        expected: u64,
        doc: &SharedDoc,
        env: Envelope,
        extras: Extras,
    ) -> Result<CasOutcome, StoreError> {
        let Extras {
            index,
            moves,
            event,
            users,
        } = extras;
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
        let (log_op, log_move) = match moves {
            MoveLog::Keep => ("", Str::new()),
            MoveLog::Append(m) => ("a", Str::from(m.to_json())),
            MoveLog::Restart => ("r", Str::new()),
        };
        let script = eval(&self.scripts.update, &client, || {
            let mut keys = vec![
                self.keys.room(&doc.code),
                self.keys.channel(&doc.code),
                self.keys.moves(&doc.code),
            ];
            let mut args = vec![
                Value::from(expected.to_string()),
                Value::from(doc.version.to_string()),
                Value::String(json.clone()),
                Value::from(self.ttl_secs.to_string()),
                Value::String(head.clone()),
                Value::String(tail.clone()),
                Value::from(self.clock.period(now).to_string()),
                Value::from(deadline.map_or_else(String::new, |d| d.to_string())),
                Value::from(log_op),
                Value::String(log_move.clone()),
            ];
            match &event {
                Some(e) => {
                    keys.push(self.keys.webhooks_stream());
                    args.extend([
                        Value::from(e.id.as_str()),
                        Value::from(e.kind),
                        Value::from(e.head.as_str()),
                        Value::from(e.tail.as_str()),
                        Value::from(if e.with_moves { "1" } else { "0" }),
                        Value::from(e.created_ms.to_string()),
                    ]);
                }
                None => args.push(Value::from("")),
            }
            (keys, args)
        });
        // Sent beside the script, so a join stays one round trip (see `users`).
        let (reply, indexed) = tokio::join!(script, self.index_users(&doc.code, &users));
        if let Err(e) = indexed {
            tracing::warn!(room = %doc.code, error = %Chain(&e), "user index not updated");
        }
        let (outcome, applied) = update_outcome(reply.map_err(store_err)?)?;
        if let Some(Applied {
            due,
            published,
            redis_ms,
        }) = applied
        {
            self.redis_clock.observe(redis_ms);
            if published {
                m::pubsub_message("out");
            }
            if let Some(write) = local {
                write.settle(!published);
            }
            // A due refresh also puts the index right if an earlier index write was lost.
            let change = match index {
                IndexChange::Keep if due && offered(doc) => IndexChange::Open,
                IndexChange::Keep if due => IndexChange::Close,
                change => change,
            };
            // The room is written: a lost index write must not report it as failed. The
            // next due refresh or the sweep puts the index right.
            if due || change != IndexChange::Keep {
                let seated: Vec<String> = match due {
                    // The seated users' entries age like the room's own.
                    true => doc.players.iter().filter_map(|p| p.user.clone()).collect(),
                    false => Vec::new(),
                };
                let games = [doc.game];
                let (reindexed, users) = tokio::join!(
                    self.reindex(&doc.code, &games, change, due),
                    self.index_users(&doc.code, &seated)
                );
                if let Err(e) = reindexed.and(users) {
                    tracing::warn!(room = %doc.code, error = %Chain(&e), "room indexes not updated");
                }
            }
        } else if let Some(write) = local {
            write.settle(false);
        }
        Ok(outcome)
    }

    /// [`RoomStore::delete`](crate::store::RoomStore::delete).
    pub(super) async fn write_delete(
        &self,
        code: &str,
        env: &Envelope,
        event: Option<&OutboxEvent>,
    ) -> Result<bool, StoreError> {
        let client = self.conns.pick();
        let deleted: i64 = eval(&self.scripts.delete, &client, || {
            let (keys, args) = self.delete_keys(code, event);
            (keys, [vec![env.encode()], args].concat())
        })
        .await
        .map_err(store_err)?;
        if deleted == 1 {
            m::pubsub_message("out");
        }
        self.unlist(code).await;
        Ok(deleted == 1)
    }

    /// [`RoomStore::delete_at`](crate::store::RoomStore::delete_at).
    pub(super) async fn write_delete_at(
        &self,
        code: &str,
        expected: u64,
        env: &Envelope,
        event: Option<&OutboxEvent>,
    ) -> Result<CasOutcome, StoreError> {
        let reply: Vec<Value> = eval(&self.scripts.delete_at, &self.conns.pick(), || {
            let (keys, args) = self.delete_keys(code, event);
            (keys, [vec![expected.to_string(), env.encode()], args].concat())
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

    /// [`RoomStore::publish`](crate::store::RoomStore::publish).
    pub(super) async fn write_publish(
        &self,
        code: &str,
        env: &Envelope,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let done: i64 = eval(&self.scripts.publish, &self.conns.pick(), || {
            (
                vec![
                    self.keys.room(code),
                    self.keys.channel(code),
                    self.keys.moves(code),
                ],
                vec![
                    self.ttl_secs.to_string(),
                    env.encode(),
                    self.clock.period(now).to_string(),
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

    /// The keys of a delete script, and the arguments that record `event` with it.
    fn delete_keys(&self, code: &str, event: Option<&OutboxEvent>) -> (Vec<String>, Vec<String>) {
        let mut keys = vec![
            self.keys.room(code),
            self.keys.channel(code),
            self.keys.moves(code),
        ];
        let mut args = Vec::new();
        if let Some(e) = event {
            keys.push(self.keys.webhooks_stream());
            args.extend([
                e.id.clone(),
                e.kind.to_string(),
                e.body(&[]),
                e.created_ms.to_string(),
            ]);
        }
        (keys, args)
    }

    /// Drop a deleted room from the room index. Best effort: the room is gone either way,
    /// and the listing removes codes whose room it cannot find.
    async fn unlist(&self, code: &str) {
        if let Err(e) = self.deindex(code).await {
            tracing::warn!(room = code, error = %Chain(&e), "room indexes not updated");
        }
    }
}
