//! Each local room's latest document, so the room service can write without reading
//! first (one Redis round trip per action).

use std::sync::Arc;
use std::time::Instant;

use super::Hub;
use crate::model::{RoomDoc, SharedDoc};

/// A room's latest document: parsed, or the text that came with a room event and has not
/// been needed yet. Most events are this node's own writes, whose parsed document is
/// remembered right after the write, so their text is never parsed.
pub(super) enum Cached {
    Doc(SharedDoc),
    Text { version: u64, text: String },
}

impl Cached {
    pub(super) fn version(&self) -> u64 {
        match self {
            Cached::Doc(doc) => doc.version,
            Cached::Text { version, .. } => *version,
        }
    }

    /// Whether `doc` should replace this entry: it is newer, or the same version already
    /// parsed.
    fn older_than(&self, doc: &RoomDoc) -> bool {
        match self {
            Cached::Doc(c) => c.version < doc.version,
            Cached::Text { version, .. } => *version <= doc.version,
        }
    }
}

impl Hub {
    /// The cached document of a room with local members (parsed here if it is still the
    /// text of a room event; `None` if that text does not parse).
    pub fn cached(&self, code: &str) -> Option<SharedDoc> {
        let text = {
            let mut rooms = self.lock();
            let room = rooms.get_mut(code)?;
            match room.cache.take()? {
                Cached::Doc(doc) => {
                    room.cache = Some(Cached::Doc(doc.clone()));
                    return Some(doc);
                }
                Cached::Text { text, .. } => text,
            }
        };
        // Parsed outside the lock; remembered unless something newer arrived meanwhile.
        let doc: SharedDoc = Arc::new(serde_json::from_str::<RoomDoc>(&text).ok()?);
        self.remember(doc.clone());
        Some(doc)
    }

    /// Remember a room's document if it is newer than the cached one (only for rooms with
    /// local members: the cache exists to serve them).
    pub fn remember(&self, doc: SharedDoc) {
        if let Some(room) = self.lock().get_mut(doc.code.as_str()) {
            // A change already delivered here touched the room then (no second clock read).
            if room.delivered < doc.version {
                room.touched = Some(Instant::now());
            }
            if room.cache.as_ref().is_none_or(|c| c.older_than(&doc)) {
                room.cache = Some(Cached::Doc(doc));
            }
        }
    }

    /// Mark a local room as active now (chat counts as activity).
    pub fn touch(&self, code: &str) {
        if let Some(room) = self.lock().get_mut(code) {
            room.touched = Some(Instant::now());
        }
    }
}
