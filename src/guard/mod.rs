//! Slowing down room-code and session guessing.
//!
//! Room codes are short (32^6 ≈ 10^9) and a `room_not_found` tells a client a code is
//! free, so a client that tries codes quickly could find private rooms. Two limits apply
//! to failed `join_room` / `resume` attempts (a malformed or unknown code, an invalid
//! session) — successful joins never spend anything:
//!
//! - **Per connection** ([`JoinGate`]): after `--join-failures-per-conn` failures, join
//!   and resume attempts are refused with `rate_limited` for `--join-cooldown-secs`
//!   (each new failure after that restarts the cool-down). A connection that reaches
//!   twice the limit in failures and refusals together is closed with 1008.
//! - **Per client IP** ([`JoinGuard`], shared by the node's connections): a token bucket
//!   of `--join-failure-burst` failures refilled at `--join-failures-per-minute`. While
//!   it is empty, every connection from that address is refused the same way, so opening
//!   more sockets does not help. IPv6 addresses count per /64, the block one subscriber
//!   usually gets. Only addresses with recent failures take memory, and at most
//!   `--join-guard-max-ips` of them, the least recently seen forgotten first.
//!
//! The cap on open connections per address ([`PerIpSlots`]) lives here too: it counts
//! addresses the same way.

mod address;
mod join_gate;
mod join_guard;
mod per_ip;

pub use join_gate::JoinGate;
pub use join_guard::JoinGuard;
pub use per_ip::{PerIpSlot, PerIpSlots};
