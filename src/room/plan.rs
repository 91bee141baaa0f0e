//! A planned change of a room: the events it produces, what it does to local members, and
//! how it is written. Every operation's rules return one of these to
//! [`Rooms::mutate`](super::Rooms::mutate).

use std::sync::Arc;

use serde_json::Value;

use super::events::{self, Event};
use crate::game::Seat;
use crate::model::Effect;

/// What a planned change does.
pub(crate) struct Plan {
    pub frames: events::Planned,
    pub effect: Effect,
    pub write: Write,
    /// The move this change applies (the seat and the action as the client sent it),
    /// for the game's move log.
    pub moved: Option<(Seat, Value)>,
}

/// How a planned change is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Write {
    /// Store the new document.
    Update,
    /// Nothing changed; write nothing.
    Skip,
    /// Delete the room.
    Delete,
}

impl Plan {
    pub(crate) fn update(frames: events::Planned) -> Self {
        Plan {
            frames,
            effect: Effect::None,
            write: Write::Update,
            moved: None,
        }
    }

    /// This plan, recording that `seat` played `action`.
    pub(crate) fn with_move(mut self, seat: Seat, action: Value) -> Self {
        self.moved = Some((seat, action));
        self
    }

    pub(crate) fn skip() -> Self {
        Plan {
            frames: Vec::new(),
            effect: Effect::None,
            write: Write::Skip,
            moved: None,
        }
    }
}

/// The `state` event of a change: `by` made `action` (none for a new board).
pub(super) fn state_event(by: Option<Arc<str>>, action: Option<Value>) -> Event {
    Event::State { by, action }
}
