//! Room events from Redis: the relay from the subscriber to the hub, and the recovery
//! after the subscriber reconnects (re-subscribe, then catch local members up).

use super::*;

pub(super) fn relay_events(subscriber: &SubscriberClient, keys: Keys, hub: Hub) -> JoinHandle<()> {
    let mut rx = subscriber.message_rx();
    tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(msg) => {
                    m::pubsub_message("in");
                    let Some(code) = keys.code_of_channel(&msg.channel) else {
                        continue;
                    };
                    let Some(text) = msg.value.as_str() else {
                        continue;
                    };
                    match Envelope::decode(&text) {
                        Some(env) => hub.deliver(code, env),
                        None => tracing::warn!("ignored an undecodable room event"),
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    tracing::error!(missed = n, "room event relay fell behind; events lost");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    })
}

/// After each reconnect of the subscriber: restore its subscriptions, retrying until they
/// are back, then catch local members up on what was published while it was away.
///
/// Not fred's `manage_subscriptions`: its `resubscribe_all` (fred 10.1) first sends
/// `SUBSCRIBE` and `PSUBSCRIBE` even when there is nothing to restore, with no arguments;
/// Redis refuses them and the sharded channels Parlor uses were never restored. It also
/// gives up after one failure.
pub(super) fn restore_subscriptions(
    subscriber: &SubscriberClient,
    pool: &Pool,
    keys: Keys,
    hub: Hub,
) -> JoinHandle<()> {
    let subscriber = subscriber.clone();
    let pool = pool.clone();
    let mut reconnected = subscriber.reconnect_rx();
    tokio::spawn(async move {
        while reconnected.recv().await.is_ok() {
            let mut backoff = Duration::from_millis(50);
            loop {
                let restored = match resubscribe(&subscriber).await {
                    Ok(()) => catch_up(&pool, &keys, &hub).await,
                    Err(e) => Err(e),
                };
                match restored {
                    Ok(()) => break,
                    Err(e) => {
                        let (error, retry_in_ms) = (e.details(), backoff.as_millis() as u64);
                        tracing::warn!(error, retry_in_ms, "room subscriptions not restored yet");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(2));
                    }
                }
            }
        }
    })
}

/// Subscribe again to every sharded channel the subscriber tracks (the rooms' channels:
/// one room per slot, so one channel per command, as a cluster requires).
pub(super) async fn resubscribe(subscriber: &SubscriberClient) -> Result<(), FredError> {
    for channel in subscriber.tracked_shard_channels() {
        subscriber.ssubscribe(channel).await?;
    }
    Ok(())
}

/// Hand the stored document of every local room to the hub, which delivers what the
/// room service renders for it (a `state` per viewer). Sockets drop anything not newer
/// than what they have shown, so only those that missed something see it. (The node's
/// cache is no guide: a write of this node refreshes it even when the write's own event
/// was lost.) A room that is gone is left to the next operation (`room_not_found`) or
/// the expiry sweep.
pub(super) async fn catch_up(pool: &Pool, keys: &Keys, hub: &Hub) -> Result<(), FredError> {
    let codes = hub.local_rooms();
    let client = pool.next();
    let reads = codes
        .iter()
        .map(|code| client.hget::<Option<String>, _, _>(keys.room(code), "doc"));
    let docs = join_all(reads).await;
    for (code, text) in codes.iter().zip(docs) {
        let Some(text) = text? else {
            continue;
        };
        tracing::debug!(room = %code, "catching up after resubscribing");
        hub.catch_up(code, text);
    }
    Ok(())
}
