//! Room events from Redis: the relay from the subscriber to the hub, and the recovery
//! when this node may have missed some: after the relay fell behind (fred's broadcast
//! channel overflowed) and after the subscriber reconnected (messages published while it
//! was away never arrive). Either way the node re-reads every room it has members in and
//! brings them up to date ([`Hub::resync`]).

use std::sync::Arc;
use std::time::Duration;

use fred::clients::SubscriberClient;
use fred::error::Error as FredError;
use fred::interfaces::{EventInterface, HashesInterface, PubsubInterface};
use futures_util::future::join_all;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::codec::parse_doc;
use super::conns::Conns;
use crate::error::Chain;
use crate::hub::Hub;
use crate::model::Envelope;
use crate::metrics as m;
use crate::store::keys::Keys;

pub(super) fn relay_events(
    subscriber: &SubscriberClient,
    keys: Keys,
    hub: Hub,
    resync: Arc<Notify>,
) -> JoinHandle<()> {
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
                Err(RecvError::Lagged(missed)) => {
                    m::pubsub_lagged(missed);
                    tracing::warn!(
                        missed,
                        "room event relay fell behind; re-reading local rooms"
                    );
                    resync.notify_one();
                }
                Err(RecvError::Closed) => break,
            }
        }
    })
}

/// After each reconnect of the subscriber: restore its subscriptions, retrying until they
/// are back, then ask for the local rooms to be re-read.
///
/// Not fred's `manage_subscriptions`: its `resubscribe_all` (fred 10.1) first sends
/// `SUBSCRIBE` and `PSUBSCRIBE` even when there is nothing to restore, with no arguments;
/// Redis refuses them and the sharded channels Parlor uses were never restored. It also
/// gives up after one failure.
pub(super) fn restore_subscriptions(
    subscriber: &SubscriberClient,
    resync: Arc<Notify>,
) -> JoinHandle<()> {
    let subscriber = subscriber.clone();
    let mut reconnected = subscriber.reconnect_rx();
    tokio::spawn(async move {
        loop {
            match reconnected.recv().await {
                // Several reconnects in a row: restoring once covers them all.
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => break,
            }
            let mut backoff = Duration::from_millis(50);
            while let Err(e) = resubscribe(&subscriber).await {
                let retry_in_ms = backoff.as_millis() as u64;
                tracing::warn!(error = %e, retry_in_ms, "room subscriptions not restored yet");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(2));
            }
            resync.notify_one();
        }
    })
}

/// Each time it is asked (requests coalesce), re-read every room with local members and
/// bring them up to date, retrying until Redis answers.
pub(super) fn resync_rooms(
    conns: &Conns,
    keys: Keys,
    hub: Hub,
    resync: Arc<Notify>,
) -> JoinHandle<()> {
    let conns = conns.clone();
    tokio::spawn(async move {
        loop {
            resync.notified().await;
            let mut backoff = Duration::from_millis(50);
            while let Err(e) = catch_up(&conns, &keys, &hub).await {
                let retry_in_ms = backoff.as_millis() as u64;
                tracing::warn!(error = %e, retry_in_ms, "local rooms not re-read yet");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(2));
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

/// Re-read every room with local members (one `HGET` per room, sent together) and hand
/// each to [`Hub::resync`]. (The node's cache is no guide to what sockets were shown: a
/// write of this node refreshes it even when the write's own event was lost.)
pub(super) async fn catch_up(conns: &Conns, keys: &Keys, hub: &Hub) -> Result<(), FredError> {
    let codes = hub.local_rooms();
    let client = conns.pick();
    let reads = codes
        .iter()
        .map(|code| client.hget::<Option<String>, _, _>(keys.room(code), "doc"));
    let docs = join_all(reads).await;
    for (code, text) in codes.iter().zip(docs) {
        let doc = match text? {
            Some(text) => match parse_doc(&text) {
                Ok(doc) => Some(doc),
                Err(e) => {
                    tracing::error!(room = %code, error = %Chain(&e), "unreadable room document");
                    continue;
                }
            },
            None => None,
        };
        tracing::debug!(room = %code, version = doc.as_ref().map(|d| d.version), "re-read after missing events");
        hub.resync(code, doc);
    }
    Ok(())
}
