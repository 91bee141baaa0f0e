//! The soak's parts: the webhook receiver it takes down, the players, and the checks.

pub mod checks;
pub mod player;
pub mod receiver;
pub mod shared;
