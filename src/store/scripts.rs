//! The Lua scripts behind every Redis write. Each runs atomically on the room's slot, so
//! the compare-and-set, the TTL refresh and the publish of the event are one round trip
//! and can never be seen half-done. Channels are passed as keys so a cluster routes and
//! checks them like the room hash (they share its hash tag).

use fred::types::scripts::Script;

/// Create a room unless its code is taken.
/// KEYS: room. ARGV: version, doc, ttl. Returns 1 (created) or 0 (taken).
pub const CREATE: &str = r#"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'doc', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"#;

/// Compare-and-set a room, refresh its TTL and publish the change.
/// KEYS: room, channel. ARGV: expected version, new version, doc, ttl, envelope head,
/// envelope tail (the published message is head .. doc .. tail; an empty head publishes
/// nothing). Returns {2} (applied), {1, current doc} (conflict) or {0} (missing).
pub const UPDATE: &str = r#"
-- HMGET rather than HGET so the commands a script runs never share a name with the ones
-- the node sends itself (HGET): the benchmark tells them apart by name in commandstats.
local v = redis.call('HMGET', KEYS[1], 'v')[1]
if not v then return {0} end
if v ~= ARGV[1] then return {1, redis.call('HMGET', KEYS[1], 'doc')[1]} end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'doc', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
if ARGV[5] ~= '' then redis.call('SPUBLISH', KEYS[2], ARGV[5] .. ARGV[3] .. ARGV[6]) end
return {2}
"#;

/// Delete a room and tell its members.
/// KEYS: room, channel. ARGV: envelope. Returns 1 (deleted) or 0 (no such room).
pub const DELETE: &str = r#"
local n = redis.call('DEL', KEYS[1])
if n == 1 and ARGV[1] ~= '' then redis.call('SPUBLISH', KEYS[2], ARGV[1]) end
return n
"#;

/// Delete a room if it is still at the expected version, and tell its members.
/// KEYS: room, channel. ARGV: expected version, envelope. Returns {2} (deleted),
/// {1, current doc} (conflict) or {0} (missing), like [`UPDATE`].
pub const DELETE_AT: &str = r#"
local v = redis.call('HMGET', KEYS[1], 'v')[1]
if not v then return {0} end
if v ~= ARGV[1] then return {1, redis.call('HMGET', KEYS[1], 'doc')[1]} end
redis.call('DEL', KEYS[1])
if ARGV[2] ~= '' then redis.call('SPUBLISH', KEYS[2], ARGV[2]) end
return {2}
"#;

/// Publish to an existing room and refresh its TTL (chat).
/// KEYS: room, channel. ARGV: ttl, envelope. Returns 1, or 0 if the room is gone.
pub const PUBLISH: &str = r#"
if redis.call('EXPIRE', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('SPUBLISH', KEYS[2], ARGV[2])
return 1
"#;

/// Renew a node's heartbeat, timed by the Redis clock so nodes' clocks need not agree.
/// KEYS: nodes. ARGV: node id, ttl ms. Returns 1 if the node was not registered.
pub const HEARTBEAT: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
"#;

/// Nodes whose heartbeat lapsed. KEYS: nodes. Returns their ids.
pub const DEAD_NODES: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
"#;

/// The scripts, hashed once at start; sent with EVALSHA and loaded on `NOSCRIPT`.
pub struct Scripts {
    pub create: Script,
    pub update: Script,
    pub delete: Script,
    pub delete_at: Script,
    pub publish: Script,
    pub heartbeat: Script,
    pub dead_nodes: Script,
}

impl Scripts {
    pub fn new() -> Self {
        Scripts {
            create: Script::from_lua(CREATE),
            update: Script::from_lua(UPDATE),
            delete: Script::from_lua(DELETE),
            delete_at: Script::from_lua(DELETE_AT),
            publish: Script::from_lua(PUBLISH),
            heartbeat: Script::from_lua(HEARTBEAT),
            dead_nodes: Script::from_lua(DEAD_NODES),
        }
    }
}
