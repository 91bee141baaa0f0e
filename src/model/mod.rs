//! The bottom layer: the data every other layer shares.
//!
//! The stored room document ([`RoomDoc`]) and the unit of fan-out
//! ([`Envelope`]) live here so that `store/` and `hub/` can depend on them
//! without depending on the room service above them, and the wire views of a room
//! ([`RoomSnapshot`] and the like) beside the document they show.

mod envelope;
mod room;
mod view;

pub use envelope::{Audience, Effect, Envelope};
pub use room::{PlayerRec, RoomDoc, SharedDoc, Status};
pub use view::{PlayerInfo, RoomSnapshot, RoomSummary};
