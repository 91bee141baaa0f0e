//! A write whose change this node delivers to its members itself, and how it is settled
//! when the write's reply never comes back.

use std::time::Duration;

use fred::clients::Client;
use fred::interfaces::HashesInterface;

use super::RedisStore;
use crate::model::Envelope;

/// A write whose change this node delivers itself if it is applied and not published.
/// It is settled on every path. When the caller gives up on it (a timeout, an error, or
/// the request's future dropped), the write may still apply: late, it is published (past
/// its deadline) and arrives over pub/sub like any event; in time but with its reply lost,
/// the room records it (`lv`), and a background check finds that and delivers it.
pub(super) struct LocalWrite<'a> {
    store: &'a RedisStore,
    /// The connection the script went out on.
    client: &'a Client,
    code: &'a str,
    version: u64,
    env: Option<Envelope>,
}

impl<'a> LocalWrite<'a> {
    pub(super) fn new(
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
    pub(super) fn settle(mut self, deliver: bool) {
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
