//! Bearer-token guard for `/api/v1`, compared in constant time so response timing says
//! nothing about how much of a guess was right.

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;
use subtle::ConstantTimeEq;

use super::error::ApiError;
use crate::state::AppState;

/// Middleware: pass only requests carrying `Authorization: Bearer <admin token>`.
pub async fn require_token(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let presented = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if token_matches(presented, &state.admin_token) {
        Ok(next.run(request).await)
    } else {
        Err(ApiError::Unauthorized)
    }
}

fn token_matches(presented: &str, expected: &str) -> bool {
    // `ct_eq` on slices of different lengths returns false without comparing bytes; the
    // length of the real token is not a secret worth hiding (it is fixed when generated).
    bool::from(presented.as_bytes().ct_eq(expected.as_bytes())) && !expected.is_empty()
}

#[cfg(test)]
mod tests {
    use super::token_matches;

    #[test]
    fn compares_exactly() {
        assert!(token_matches("abc", "abc"));
        assert!(!token_matches("abd", "abc"));
        assert!(!token_matches("ab", "abc"));
        assert!(!token_matches("", ""));
    }
}
