//! Every HTTP request gets an id and is measured. The id comes from the client's
//! `x-request-id` when it is a sane token, else it is generated; it is put back on the
//! request (so the trace span and handlers see it) and echoed on the response. The
//! request is counted and timed by route template and status class, never by raw path.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use rand::RngExt;

use crate::metrics;

/// The request id header, in both directions.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest client-supplied id we keep; longer ones are replaced.
const MAX_ID_LEN: usize = 128;

/// Middleware (outermost): assign the id, run the request, echo the id, record metrics.
pub async fn observe(mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .filter(|v| acceptable(v.as_bytes()))
        .cloned()
        .unwrap_or_else(generate);
    request.headers_mut().insert(REQUEST_ID.clone(), id.clone());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = method_label(request.method());

    let mut response = next.run(request).await;

    response.headers_mut().insert(REQUEST_ID.clone(), id);
    metrics::http_request(
        &route,
        method,
        status_class(response.status().as_u16()),
        started.elapsed(),
    );
    response
}

/// Visible ASCII token characters only, so the id cannot forge log lines or headers.
fn acceptable(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:/+=".contains(b))
}

fn generate() -> HeaderValue {
    let id = hex::encode(rand::rng().random::<[u8; 12]>());
    HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

/// The method as a label: the standard ones by name, anything else as `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_tokens() {
        assert!(acceptable(b"abc-123_x.y"));
        assert!(!acceptable(b""));
        assert!(!acceptable(b"has space"));
        assert!(!acceptable(b"new\nline"));
        assert!(!acceptable("é".as_bytes()));
        assert!(!acceptable(&[b'a'; MAX_ID_LEN + 1]));
        assert!(acceptable(generate().as_bytes()));
    }

    #[test]
    fn labels_are_bounded() {
        assert_eq!(
            method_label(&Method::from_bytes(b"BREW").unwrap_or(Method::GET)),
            "other"
        );
        assert_eq!(status_class(204), "2xx");
        assert_eq!(status_class(503), "5xx");
        assert_eq!(status_class(999), "5xx");
    }
}
