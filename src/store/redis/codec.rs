//! Room documents to and from the JSON stored in Redis, and the replies of the
//! compare-and-set scripts.

use fred::prelude::Value;

use crate::error::StoreError;
use crate::model::RoomDoc;
use crate::store::CasOutcome;

/// Why a value going to or coming from Redis could not be used (a store failure's cause).
#[derive(Debug, thiserror::Error)]
enum BadData {
    #[error("bad room document")]
    Doc(#[source] serde_json::Error),
    #[error("cannot encode room")]
    Encode(#[source] serde_json::Error),
    #[error("cannot encode room")]
    NotUtf8(#[source] std::string::FromUtf8Error),
    #[error("unexpected reply from a compare-and-set script")]
    CasReply,
}

impl From<BadData> for StoreError {
    fn from(e: BadData) -> Self {
        StoreError::Other(Box::new(e))
    }
}

/// Read a compare-and-set script's reply: {2}, {1, doc} or {0}.
pub(super) fn cas_outcome(reply: &[Value]) -> Result<CasOutcome, StoreError> {
    match reply.first().and_then(Value::as_i64) {
        Some(2) => Ok(CasOutcome::Applied),
        Some(1) => {
            let text = reply.get(1).and_then(Value::as_str).unwrap_or_default();
            Ok(CasOutcome::Conflict(Box::new(parse_doc(&text)?)))
        }
        Some(0) => Ok(CasOutcome::Missing),
        _ => Err(BadData::CasReply.into()),
    }
}

/// What the update script reports of an applied write (see `scripts::UPDATE`).
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Applied {
    /// The room's index entries are due for a refresh.
    pub due: bool,
    /// The change went out on the room's channel.
    pub published: bool,
    /// Redis's clock when the script ran (Unix ms).
    pub redis_ms: u64,
}

/// Read the update script's reply: one integer when applied, else as [`cas_outcome`].
pub(super) fn update_outcome(reply: Value) -> Result<(CasOutcome, Option<Applied>), StoreError> {
    match reply {
        Value::Integer(n) if n >= 0 => {
            let n = n.unsigned_abs();
            let applied = Applied {
                due: n & 2 != 0,
                published: n & 1 != 0,
                redis_ms: n >> 2,
            };
            Ok((CasOutcome::Applied, Some(applied)))
        }
        Value::Array(parts) => match cas_outcome(&parts)? {
            // An applied write is never an array; a reply that says so is not ours.
            CasOutcome::Applied => Err(BadData::CasReply.into()),
            outcome => Ok((outcome, None)),
        },
        _ => Err(BadData::CasReply.into()),
    }
}

pub(super) fn parse_doc(text: &str) -> Result<RoomDoc, StoreError> {
    Ok(serde_json::from_str(text).map_err(BadData::Doc)?)
}

pub(super) fn encode_doc(doc: &RoomDoc) -> Result<String, StoreError> {
    // Sized for a typical room up front: grown from serde_json's default 128 bytes, a
    // document is copied four or five times on its way to 1 or 2 KiB.
    let mut out = Vec::with_capacity(2048);
    serde_json::to_writer(&mut out, doc).map_err(BadData::Encode)?;
    // serde_json writes only valid UTF-8.
    Ok(String::from_utf8(out).map_err(BadData::NotUtf8)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Chain;

    #[test]
    fn an_applied_update_unpacks_its_flags_and_the_redis_time() {
        let ms: i64 = 1_796_687_329_511;
        for (due, published) in [(false, false), (true, false), (false, true), (true, true)] {
            let n = ms * 4 + i64::from(due) * 2 + i64::from(published);
            let (outcome, applied) = update_outcome(Value::Integer(n)).unwrap_or_else(|e| {
                panic!("{}", Chain(&e));
            });
            assert!(matches!(outcome, CasOutcome::Applied));
            let redis_ms = ms as u64;
            assert_eq!(applied, Some(Applied { due, published, redis_ms }));
        }
    }

    #[test]
    fn an_update_reply_of_another_shape_is_refused() {
        assert!(matches!(
            update_outcome(Value::Array(vec![Value::Integer(0)])),
            Ok((CasOutcome::Missing, None))
        ));
        for bad in [
            Value::Integer(-4),
            Value::Array(vec![Value::Integer(2)]),
            Value::Null,
        ] {
            assert!(update_outcome(bad).is_err());
        }
    }

    #[test]
    fn a_bad_document_keeps_the_decoding_error_as_its_cause() {
        let e = parse_doc("{not json").err().map(|e| Chain(&e).to_string());
        let text = e.unwrap_or_default();
        assert!(
            text.starts_with("store error: bad room document: key must be a string"),
            "{text}"
        );
    }
}
