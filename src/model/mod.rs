//! The bottom layer: the data every other layer shares.
//!
//! The stored room document ([`room::RoomDoc`]) and the unit of fan-out
//! ([`envelope::Envelope`]) live here so that `store/` and `hub/` can depend on them
//! without depending on the room service above them, and the wire views of a room
//! ([`view`]) beside the document they show.

pub mod envelope;
pub mod room;
pub mod view;

pub use envelope::{Audience, Effect, Envelope};
pub use room::{PlayerRec, Presence, RoomDoc, SharedDoc, Status};
pub use view::{PlayerInfo, RoomSnapshot, RoomSummary};
