//! Delivering the outbox's events to the game's backend: signed (Standard Webhooks),
//! retried on a schedule, and moved to the dead letters when they run out of attempts.
//!
//! [`sign`] makes the signature, [`schedule`] decides what follows each attempt,
//! [`sender`] makes one attempt and [`worker`] runs the loop every node runs: the store's
//! [`Outbox`] hands each event to one node at a time. [`start`] builds it from the
//! settings; the server spawns it and, on shutdown, waits for it to hand back its claims.

pub mod schedule;
pub mod sender;
pub mod sign;
pub mod worker;

use std::sync::Arc;
use std::time::Duration;

pub use self::schedule::{Answer, Schedule};
pub use self::sender::Sender;
pub use self::sign::Signer;
pub use self::worker::Worker;
use crate::config::Config;
use crate::store::outbox::Outbox;

/// Why webhooks could not be set up (the server refuses to start).
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// `--webhook-url` without a secret.
    #[error("--webhook-url needs --webhook-secret (or PARLOR_WEBHOOK_SECRET)")]
    MissingSecret,
    /// The secret is not a Standard Webhooks secret. Never carries the secret.
    #[error("--webhook-secret is not a Standard Webhooks secret: {0}")]
    BadSecret(&'static str),
    /// The URL is not an absolute http(s) URL. Never carries the URL (it may hold a token).
    #[error("--webhook-url is not an absolute http:// or https:// URL")]
    BadUrl,
    /// The HTTP client could not be built.
    #[error("could not build the webhook HTTP client")]
    Client(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// The delivery worker these settings ask for: `None` when webhooks are off or the store
/// keeps no outbox (then a warning says so). `consumer` names this node to the outbox.
pub fn start(
    cfg: &Config,
    outbox: Option<Arc<dyn Outbox>>,
    consumer: &str,
) -> Result<Option<Worker>, WebhookError> {
    let Some(url) = cfg.webhook_url.as_deref().filter(|_| cfg.webhooks_on()) else {
        return Ok(None);
    };
    let secret = cfg
        .webhook_secret
        .as_deref()
        .ok_or(WebhookError::MissingSecret)?;
    let signer = Signer::from_secret(secret)?;
    let sender = Sender::new(url, signer, Duration::from_millis(cfg.webhook_timeout_ms))?;
    let Some(outbox) = outbox else {
        tracing::warn!("this store keeps no webhook outbox; no webhooks are sent");
        return Ok(None);
    };
    let schedule = Schedule::new(cfg.webhook_max_attempts, cfg.webhook_backoff_scale);
    let grace = Duration::from_millis(cfg.shutdown_grace_ms);
    Ok(Some(Worker::new(outbox, sender, schedule, consumer, grace)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhooks_need_a_valid_secret_and_url() {
        let mut cfg = Config::defaults();
        assert!(start(&cfg, None, "n").unwrap().is_none(), "off by default");
        cfg.webhook_url = Some("http://127.0.0.1:9/hook".into());
        assert!(matches!(start(&cfg, None, "n"), Err(WebhookError::MissingSecret)));
        cfg.webhook_secret = Some("whsec_???".into());
        assert!(matches!(start(&cfg, None, "n"), Err(WebhookError::BadSecret(_))));
        cfg.webhook_secret = Some("whsec_c2VjcmV0".into());
        cfg.webhook_url = Some("ftp://x/".into());
        assert!(matches!(start(&cfg, None, "n"), Err(WebhookError::BadUrl)));
    }
}
