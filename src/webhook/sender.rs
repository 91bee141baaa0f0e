//! One delivery attempt: a signed POST to the configured URL, its answer classified.

use std::time::Duration;

use reqwest::header::{HeaderValue, CONTENT_TYPE, RETRY_AFTER};

use super::schedule::Answer;
use super::sign::Signer;
use super::WebhookError;
use crate::store::outbox::Claimed;

/// Posts events to the receiver.
pub struct Sender {
    client: reqwest::Client,
    url: reqwest::Url,
    signer: Signer,
}

impl Sender {
    /// A sender to `url`, each attempt bounded by `timeout`.
    pub fn new(url: &str, signer: Signer, timeout: Duration) -> Result<Sender, WebhookError> {
        // Once per process; a second install (fred's, a test's) is refused and harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let url = reqwest::Url::parse(url).map_err(|_| WebhookError::BadUrl)?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(WebhookError::BadUrl);
        }
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            // A redirect is an answer like any other non-2xx: the receiver's URL is
            // configured, not discovered.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("parlor/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| WebhookError::Client(Box::new(e)))?;
        Ok(Sender {
            client,
            url,
            signer,
        })
    }

    /// Make one attempt at delivering `event`.
    pub async fn send(&self, event: &Claimed) -> Answer {
        let timestamp = chrono::Utc::now().timestamp();
        let signature = self.signer.sign(&event.id, timestamp, &event.body);
        let sent = self
            .client
            .post(self.url.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header("webhook-id", event.id.as_str())
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(event.body.clone())
            .send()
            .await;
        match sent {
            Ok(response) => {
                let retry_after = response
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok());
                Answer::Status(response.status().as_u16(), retry_after)
            }
            // reqwest's error text may hold the URL (and whatever secret its query
            // carries): only its kind is kept.
            Err(e) if e.is_timeout() => Answer::Timeout,
            Err(_) => Answer::Failed,
        }
    }
}
