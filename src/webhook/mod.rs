//! Delivering the outbox's events to the game's backend: signed (Standard Webhooks),
//! retried on a schedule, and moved to the dead letters when they run out of attempts.
