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
    fn a_bad_document_keeps_the_decoding_error_as_its_cause() {
        let e = parse_doc("{not json").err().map(|e| Chain(&e).to_string());
        let text = e.unwrap_or_default();
        assert!(
            text.starts_with("store error: bad room document: key must be a string"),
            "{text}"
        );
    }
}
