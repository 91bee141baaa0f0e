//! The bottom layer: the data every other layer shares.
//!
//! The stored room document ([`room::RoomDoc`]) and the unit of fan-out
//! ([`envelope::Envelope`]) live here so that `store/` and `hub/` can depend on them
//! without depending on the room service above them.

pub mod envelope;
pub mod room;

pub use envelope::{Audience, Effect, Envelope};
pub use room::{PlayerRec, RoomDoc, SharedDoc, Status};
