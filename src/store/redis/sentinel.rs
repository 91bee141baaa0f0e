//! Following a Sentinel failover as soon as it is announced (`+switch-master`).

use std::sync::Arc;
use std::time::Duration;

use fred::clients::{Pool, SentinelClient, SubscriberClient};
use fred::interfaces::{EventInterface, PubsubInterface};
use fred::prelude::{ClientLike, Config as FredConfig, ReconnectPolicy};
use fred::types::config::{SentinelConfig, ServerConfig};
use futures_util::future::join_all;
use tokio::task::JoinHandle;

/// Sentinel's channel announcing a failover: `<service> <old ip> <old port> <new ip> <new port>`.
pub(super) const SWITCH_MASTER: &str = "+switch-master";

/// One client per configured sentinel (with the service name), for a Sentinel URL.
pub(super) fn sentinel_clients(cfg: &FredConfig) -> Vec<(String, SentinelClient)> {
    let ServerConfig::Sentinel {
        hosts,
        service_name,
        ..
    } = &cfg.server
    else {
        return Vec::new();
    };
    hosts
        .iter()
        .map(|host| {
            let config = SentinelConfig {
                host: host.host.to_string(),
                port: host.port,
                username: cfg.username.clone(),
                password: cfg.password.clone(),
                tls: cfg.tls.clone(),
            };
            let policy = ReconnectPolicy::new_exponential(0, 100, 2_000, 2);
            let client = SentinelClient::new(config, None, None, Some(policy));
            (service_name.clone(), client)
        })
        .collect()
}

/// Listen to one sentinel's `+switch-master` (subscribing again after each reconnect) and,
/// the first time a new master of `service` is announced, move the connections still on
/// the old master (see [`reconnect_all`]). `switched` is shared by the sentinels'
/// listeners: each announcement is acted on once.
pub(super) fn follow_switch_master(
    sentinel: &SentinelClient,
    service: String,
    switched: Arc<std::sync::Mutex<String>>,
    pool: &Pool,
    subscriber: &SubscriberClient,
) -> JoinHandle<()> {
    use tokio::sync::broadcast::error::RecvError;
    let sentinel = sentinel.clone();
    let pool = pool.clone();
    let subscriber = subscriber.clone();
    let mut messages = sentinel.message_rx();
    let mut reconnected = sentinel.reconnect_rx();
    // The connection task runs (and reconnects) until `close` quits the client.
    drop(sentinel.connect());
    tokio::spawn(async move {
        loop {
            let subscribed = async {
                sentinel.wait_for_connect().await?;
                sentinel.subscribe(SWITCH_MASTER).await
            };
            if subscribed.await.is_err() {
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
            loop {
                tokio::select! {
                    msg = messages.recv() => match msg {
                        Ok(msg) if &*msg.channel == SWITCH_MASTER => {
                            let text = msg.value.as_string().unwrap_or_default();
                            if let Some(master) = new_master(&text, &service, &switched) {
                                reconnect_all(&master, &pool, &subscriber).await;
                            }
                        }
                        Ok(_) | Err(RecvError::Lagged(_)) => {}
                        Err(RecvError::Closed) => return,
                    },
                    event = reconnected.recv() => match event {
                        Ok(_) | Err(RecvError::Lagged(_)) => break,
                        Err(RecvError::Closed) => return,
                    },
                }
            }
        }
    })
}

/// The new master's address from a `+switch-master` message about `service`, unless
/// another sentinel's message about the same switch was acted on already.
pub(super) fn new_master(
    text: &str,
    service: &str,
    switched: &std::sync::Mutex<String>,
) -> Option<(String, u16)> {
    let words: Vec<&str> = text.split(' ').collect();
    let [name, _, _, host, port] = words.as_slice() else {
        return None;
    };
    let port: u16 = port.parse().ok()?;
    if *name != service {
        return None;
    }
    let mut last = switched.lock().unwrap_or_else(|e| e.into_inner());
    if *last == format!("{host}:{port}") {
        return None;
    }
    *last = format!("{host}:{port}");
    Some((host.to_string(), port))
}

/// Send every client still connected to another server than the new master back to the
/// sentinels: the pool's first, so no write goes to the old master once events come from
/// the new one. A client without a connection (the old master crashed) is asking the
/// sentinels already and is left alone, as is one that reached the new master.
pub(super) async fn reconnect_all(
    master: &(String, u16),
    pool: &Pool,
    subscriber: &SubscriberClient,
) {
    tracing::warn!(master = %format!("{}:{}", master.0, master.1), "Sentinel switched the master");
    join_all(pool.clients().iter().map(|c| leave_old_master(c, master))).await;
    leave_old_master(subscriber, master).await;
}

pub(super) async fn leave_old_master<C: ClientLike>(client: &C, master: &(String, u16)) {
    let on_master = |s: &fred::types::config::Server| *s.host == *master.0 && s.port == master.1;
    if !client.is_connected() || client.active_connections().iter().any(on_master) {
        return;
    }
    if let Err(e) = client.force_reconnection().await {
        tracing::warn!(error = %e, "could not leave the old master after a failover");
    }
}
