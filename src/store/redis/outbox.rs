//! The outbox's delivery side on Redis: a stream read through the consumer group
//! `delivery`, with the attempts in flight in the group's pending entries list (so a dead
//! node's claims are taken over once idle past the claim timeout), retries parked in a
//! sorted set by due time, dead letters in a hash, and the ids of events whose attempt
//! failed in a sorted set by when they were recorded (for the oldest-pending figure). The
//! scripts are in [`outbox_scripts`](super::outbox_scripts); every call here is one round
//! trip.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use fred::clients::Client;
use fred::interfaces::{ClientLike, HashesInterface};
use fred::types::{ClusterHash, CustomCommand, Value};
use serde::{Deserialize, Serialize};

use super::conns::Conns;
use super::eval::eval;
use super::failure::store_err;
use super::outbox_scripts::OutboxScripts;
use crate::error::{Chain, StoreError};
use crate::store::keys::Keys;
use crate::store::now_ms;
#[cfg(any(test, feature = "internals"))]
use crate::store::outbox::OutboxEvent;
use crate::store::outbox::{Claimed, DeadLetter, Outbox, OutboxStats};

/// The consumer group every node's delivery loop reads through.
const GROUP: &str = "delivery";

/// The outbox of a Redis store.
pub struct RedisOutbox {
    conns: Conns,
    keys: Keys,
    scripts: OutboxScripts,
    claim_timeout_ms: u64,
    /// When this node's claims last looked for claims to take over (Unix ms).
    took_over_at: AtomicI64,
}

/// A failed event parked until its next attempt (the member of the delayed set). Numbers
/// travel as strings: Lua's JSON would print large ones in exponent form.
#[derive(Serialize)]
struct Parked<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    body: &'a str,
    created: String,
    attempts: String,
    last_error: &'a str,
}

/// A dead letter as stored in the dead hash.
#[derive(Serialize, Deserialize)]
struct Stored {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    attempts: u32,
    last_error: String,
    last_attempt_at: i64,
    created: i64,
    body: String,
}

impl RedisOutbox {
    /// The outbox under these keys. An entry claimed and left idle for `claim_timeout`
    /// is taken over by the next claim of another consumer: it must exceed the longest
    /// attempt, or a live node's attempt would be made twice.
    pub(super) fn new(conns: Conns, keys: Keys, claim_timeout: Duration) -> Self {
        RedisOutbox {
            conns,
            keys,
            scripts: OutboxScripts::new(),
            claim_timeout_ms: u64::try_from(claim_timeout.as_millis()).unwrap_or(u64::MAX),
            took_over_at: AtomicI64::new(0),
        }
    }

    /// Whether a claim at `now` also looks for idle claims to take over: at most every
    /// half claim timeout (capped at 5 s), so a dead node's claims are taken over within
    /// one and a half claim timeouts, and a busy node does not scan the group's pending
    /// list on every claim.
    fn take_over_due(&self, now: i64) -> bool {
        let every = i64::try_from(self.claim_timeout_ms / 2)
            .unwrap_or(i64::MAX)
            .min(5_000);
        let last = self.took_over_at.load(Ordering::Relaxed);
        now.saturating_sub(last) >= every
            && self
                .took_over_at
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }

    /// Read up to `count` entries no consumer has claimed yet, for `consumer`: a plain
    /// `XREADGROUP`, so the bodies never pass through Lua. A missing group (a fresh or
    /// restarted Redis) is made at `0`, so it reads every entry still there.
    async fn read_new(
        &self,
        client: &Client,
        consumer: &str,
        count: usize,
    ) -> Result<Vec<Claimed>, StoreError> {
        if count == 0 {
            return Ok(Vec::new());
        }
        let stream = self.keys.webhooks_stream();
        let read = || {
            let args: Vec<Value> = vec![
                "GROUP".into(),
                GROUP.into(),
                consumer.into(),
                "COUNT".into(),
                count.to_string().into(),
                "STREAMS".into(),
                stream.as_str().into(),
                ">".into(),
            ];
            // The stream is the seventh argument: a cluster routes by it.
            client.custom::<Value, Value>(
                CustomCommand::new_static("XREADGROUP", ClusterHash::Offset(6), false),
                args,
            )
        };
        let reply = match read().await {
            Err(e) if e.details().starts_with("NOGROUP") => {
                let made: Result<Value, _> = client
                    .custom(
                        CustomCommand::new_static("XGROUP", ClusterHash::Offset(1), false),
                        vec!["CREATE", &stream, GROUP, "0", "MKSTREAM"],
                    )
                    .await;
                match made {
                    Err(e) if !e.details().starts_with("BUSYGROUP") => return Err(store_err(e)),
                    _ => read().await,
                }
            }
            reply => reply,
        }
        .map_err(store_err)?;
        // `[[stream, entries]]`, nil when there are none.
        reply
            .into_array()
            .into_iter()
            .filter_map(|s| s.into_array().into_iter().nth(1))
            .flat_map(Value::into_array)
            .map(parse_entry)
            .collect()
    }

    fn bad(what: &str) -> StoreError {
        StoreError::Other(format!("unexpected outbox reply: {what}").into())
    }
}

/// A claimed stream entry, `{entry id, {field, value, …}}`.
fn parse_entry(entry: Value) -> Result<Claimed, StoreError> {
    let mut parts = entry.into_array().into_iter();
    let receipt = parts
        .next()
        .and_then(|v| v.as_string())
        .ok_or_else(|| RedisOutbox::bad("entry without an id"))?;
    let fields = parts.next().map(Value::into_array).unwrap_or_default();
    let mut claimed = Claimed {
        id: String::new(),
        kind: String::new(),
        body: String::new(),
        attempts: 0,
        created_ms: 0,
        receipt,
    };
    // A body recorded in parts (see `outbox_scripts`) is joined here.
    let (mut head, mut moves, mut tail) = (String::new(), String::new(), String::new());
    let mut pairs = fields.into_iter();
    while let (Some(name), Some(value)) = (pairs.next(), pairs.next()) {
        let value = value.as_string().unwrap_or_default();
        match name.as_string().as_deref() {
            Some("id") => claimed.id = value,
            Some("type") => claimed.kind = value,
            Some("body") => claimed.body = value,
            Some("head") => head = value,
            Some("moves") => moves = value,
            Some("tail") => tail = value,
            Some("attempts") => claimed.attempts = value.parse().unwrap_or(0),
            Some("created") => claimed.created_ms = value.parse().unwrap_or(0),
            _ => {}
        }
    }
    if claimed.body.is_empty() {
        claimed.body = head + &moves + &tail;
    }
    if claimed.id.is_empty() {
        return Err(RedisOutbox::bad("entry without an event id"));
    }
    Ok(claimed)
}

#[async_trait]
impl Outbox for RedisOutbox {
    #[cfg(any(test, feature = "internals"))]
    async fn enqueue(&self, event: &OutboxEvent) -> Result<(), StoreError> {
        let body = event.body(&[]);
        let _: i64 = eval(&self.scripts.enqueue, &self.conns.pick(), || {
            (
                vec![self.keys.webhooks_stream()],
                vec![
                    event.id.clone(),
                    event.kind.to_string(),
                    body.clone(),
                    event.created_ms.to_string(),
                ],
            )
        })
        .await
        .map_err(store_err)?;
        Ok(())
    }

    async fn claim(&self, consumer: &str, max: usize) -> Result<Vec<Claimed>, StoreError> {
        let now = now_ms();
        let max = max.max(1);
        let take_over = self.take_over_due(now);
        // One connection, so the script's due retries are on the stream before the read.
        let client = self.conns.pick();
        let script = eval(&self.scripts.claim, &client, || {
            (
                vec![self.keys.webhooks_stream(), self.keys.webhooks_delayed()],
                vec![
                    now.to_string(),
                    consumer.to_string(),
                    self.claim_timeout_ms.to_string(),
                    max.to_string(),
                    (if take_over { "1" } else { "0" }).to_string(),
                ],
            )
        });
        let parse = |reply: Value| -> Result<Vec<Claimed>, StoreError> {
            reply.into_array().into_iter().map(parse_entry).collect()
        };
        if take_over {
            // What was taken over counts against the batch: the read waits for it.
            let mut claimed = parse(script.await.map_err(store_err)?)?;
            let fresh = self.read_new(&client, consumer, max.saturating_sub(claimed.len()));
            claimed.extend(fresh.await?);
            return Ok(claimed);
        }
        // Sent together: one round trip.
        let (stale, fresh) = tokio::join!(script, self.read_new(&client, consumer, max));
        let fresh = fresh?;
        let mut claimed = match stale {
            Ok(reply) => parse(reply)?,
            // What the read claimed is delivered now rather than left to a take-over; the
            // due retries wait for the next claim.
            Err(e) if !fresh.is_empty() => {
                tracing::warn!(error = %Chain(&store_err(e)), "due webhook retries not requeued");
                Vec::new()
            }
            Err(e) => return Err(store_err(e)),
        };
        claimed.extend(fresh);
        Ok(claimed)
    }

    async fn delivered(&self, events: &[Claimed]) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let _: i64 = eval(&self.scripts.delivered, &self.conns.pick(), || {
            // Only an event with a failed attempt behind it is in the retrying set.
            let receipts = events.iter().map(|e| e.receipt.clone());
            let retried = events.iter().filter(|e| e.attempts > 0).map(|e| e.id.clone());
            let args: Vec<String> = std::iter::once(events.len().to_string())
                .chain(receipts)
                .chain(retried)
                .collect();
            (
                vec![self.keys.webhooks_stream(), self.keys.webhooks_retrying()],
                args,
            )
        })
        .await
        .map_err(store_err)?;
        Ok(())
    }

    async fn retry_at(
        &self,
        event: &Claimed,
        due_ms: i64,
        error: &str,
    ) -> Result<(), StoreError> {
        let parked = serde_json::to_string(&Parked {
            id: &event.id,
            kind: &event.kind,
            body: &event.body,
            created: event.created_ms.to_string(),
            attempts: (event.attempts.saturating_add(1)).to_string(),
            last_error: error,
        })
        .map_err(|e| StoreError::Other(Box::new(e)))?;
        let _: i64 = eval(&self.scripts.retry, &self.conns.pick(), || {
            (
                vec![
                    self.keys.webhooks_stream(),
                    self.keys.webhooks_delayed(),
                    self.keys.webhooks_retrying(),
                ],
                vec![
                    event.receipt.clone(),
                    due_ms.to_string(),
                    parked.clone(),
                    event.id.clone(),
                    event.created_ms.to_string(),
                ],
            )
        })
        .await
        .map_err(store_err)?;
        Ok(())
    }

    async fn bury(&self, event: &Claimed, error: &str) -> Result<(), StoreError> {
        let stored = serde_json::to_string(&Stored {
            id: event.id.clone(),
            kind: event.kind.clone(),
            attempts: event.attempts.saturating_add(1),
            last_error: error.to_string(),
            last_attempt_at: now_ms(),
            created: event.created_ms,
            body: event.body.clone(),
        })
        .map_err(|e| StoreError::Other(Box::new(e)))?;
        let _: i64 = eval(&self.scripts.bury, &self.conns.pick(), || {
            (
                vec![
                    self.keys.webhooks_stream(),
                    self.keys.webhooks_retrying(),
                    self.keys.webhooks_dead(),
                ],
                vec![event.receipt.clone(), event.id.clone(), stored.clone()],
            )
        })
        .await
        .map_err(store_err)?;
        Ok(())
    }

    async fn hand_back(&self, consumer: &str) -> Result<(), StoreError> {
        let _: i64 = eval(&self.scripts.hand_back, &self.conns.pick(), || {
            (vec![self.keys.webhooks_stream()], vec![consumer.to_string()])
        })
        .await
        .map_err(store_err)?;
        Ok(())
    }

    async fn stats(&self) -> Result<OutboxStats, StoreError> {
        let reply: Value = eval(&self.scripts.stats, &self.conns.pick(), || {
            (
                vec![
                    self.keys.webhooks_stream(),
                    self.keys.webhooks_delayed(),
                    self.keys.webhooks_retrying(),
                    self.keys.webhooks_dead(),
                ],
                Vec::<String>::new(),
            )
        })
        .await
        .map_err(store_err)?;
        let mut parts = reply.into_array().into_iter();
        let mut count = || parts.next();
        let pending = count().and_then(|v| v.as_i64()).unwrap_or(0);
        let dead = count().and_then(|v| v.as_i64()).unwrap_or(0);
        let oldest = count().and_then(|v| v.as_i64());
        Ok(OutboxStats {
            pending: u64::try_from(pending).unwrap_or(0),
            dead: u64::try_from(dead).unwrap_or(0),
            oldest_pending_ms: oldest,
        })
    }

    async fn dead_letters(&self, limit: usize) -> Result<Vec<DeadLetter>, StoreError> {
        // Dead letters are few (each one is an operator's to-do), so the whole hash is
        // read and sorted here rather than kept in a second, ordered key.
        let values: Vec<String> = self
            .conns
            .pick()
            .hvals(self.keys.webhooks_dead())
            .await
            .map_err(store_err)?;
        let mut letters: Vec<DeadLetter> = values
            .iter()
            .filter_map(|v| serde_json::from_str::<Stored>(v).ok())
            .map(|s| DeadLetter {
                id: s.id,
                kind: s.kind,
                attempts: s.attempts,
                last_error: s.last_error,
                last_attempt_ms: s.last_attempt_at,
                body: s.body,
                created_ms: s.created,
            })
            .collect();
        letters.sort_by(|a, b| (a.last_attempt_ms, &a.id).cmp(&(b.last_attempt_ms, &b.id)));
        letters.truncate(limit);
        Ok(letters)
    }

    async fn revive(&self, id: &str) -> Result<bool, StoreError> {
        let now = now_ms();
        let revived: i64 = eval(&self.scripts.revive, &self.conns.pick(), || {
            (
                vec![self.keys.webhooks_stream(), self.keys.webhooks_dead()],
                vec![id.to_string(), now.to_string()],
            )
        })
        .await
        .map_err(store_err)?;
        Ok(revived == 1)
    }

    async fn discard(&self, id: &str) -> Result<bool, StoreError> {
        let removed: i64 = self
            .conns
            .pick()
            .hdel(self.keys.webhooks_dead(), id)
            .await
            .map_err(store_err)?;
        Ok(removed == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(fields: &[(&str, &str)]) -> Value {
        let fields: Vec<Value> = fields
            .iter()
            .flat_map(|(k, v)| [Value::from(*k), Value::from(*v)])
            .collect();
        Value::Array(vec![Value::from("1-0"), Value::Array(fields)])
    }

    #[test]
    fn a_body_in_parts_is_joined_and_a_whole_one_is_kept() {
        let parts = entry(&[
            ("id", "msg_1"),
            ("type", "game.finished"),
            ("head", "{\"moves\":["),
            ("moves", "{\"seat\":0},{\"seat\":1}"),
            ("tail", "]}"),
            ("created", "5"),
            ("attempts", "0"),
        ]);
        let claimed = parse_entry(parts).unwrap();
        assert_eq!(claimed.body, "{\"moves\":[{\"seat\":0},{\"seat\":1}]}");
        assert_eq!((claimed.receipt.as_str(), claimed.created_ms), ("1-0", 5));
        let whole = entry(&[("id", "msg_2"), ("type", "room.closed"), ("body", "{}"), ("attempts", "3")]);
        let claimed = parse_entry(whole).unwrap();
        assert_eq!((claimed.body.as_str(), claimed.attempts), ("{}", 3));
        assert!(parse_entry(entry(&[("type", "room.closed")])).is_err(), "no event id");
    }
}
