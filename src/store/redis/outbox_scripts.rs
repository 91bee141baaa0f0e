//! The Lua scripts of the outbox's delivery side. Every outbox key shares the
//! `{webhooks}` hash tag, so each script runs in one cluster slot, and each step of an
//! event's life (claimed, delivered, put off, buried, revived) is one atomic change: a
//! crash between two commands can never leave an event both pending and gone.
//!
//! A stream entry's fields: `id`, `type`, `body`, `created` (ms), `attempts` (made
//! before this one) and, once an attempt failed, `last_error`. The consumer group is
//! `delivery`; the entries a consumer claimed stay in its pending entries list until it
//! reports, which is what lets another consumer take over a dead node's claims.

use fred::types::scripts::Script;

/// Record an event with no room write, exactly as the room scripts record theirs.
/// KEYS: stream, pending. ARGV: id, type, body, created ms.
#[cfg(any(test, feature = "internals"))]
pub const ENQUEUE: &str = r#"
redis.call('XADD', KEYS[1], '*', 'id', ARGV[1], 'type', ARGV[2], 'body', ARGV[3],
  'created', ARGV[4], 'attempts', '0')
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
return 1
"#;

/// Claim events for one consumer: first move the retries that are due back onto the
/// stream, then take over entries other consumers left idle past the claim timeout, then
/// read new entries. The group is (re)made first: Redis may have lost it (a restart
/// without persistence of it), and a group made at `0` reads every entry still there.
/// KEYS: stream, delayed. ARGV: now ms, consumer, claim timeout ms, max.
/// Returns the claimed entries, each `{entry id, {field, value, …}}`.
pub const CLAIM: &str = r#"
redis.pcall('XGROUP', 'CREATE', KEYS[1], 'delivery', '0', 'MKSTREAM')
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, 100)
for _, m in ipairs(due) do
  local e = cjson.decode(m)
  redis.call('XADD', KEYS[1], '*', 'id', e.id, 'type', e.type, 'body', e.body,
    'created', e.created, 'attempts', e.attempts, 'last_error', e.last_error)
  redis.call('ZREM', KEYS[2], m)
end
local max = tonumber(ARGV[4])
local out = {}
local stale = redis.call('XAUTOCLAIM', KEYS[1], 'delivery', ARGV[2], ARGV[3], '0-0',
  'COUNT', max)
for _, e in ipairs(stale[2]) do
  if e then out[#out + 1] = e end
end
if #out < max then
  local fresh = redis.call('XREADGROUP', 'GROUP', 'delivery', ARGV[2],
    'COUNT', max - #out, 'STREAMS', KEYS[1], '>')
  if fresh then
    for _, e in ipairs(fresh[1][2]) do out[#out + 1] = e end
  end
end
return out
"#;

/// Attempts succeeded: forget their events. Only the first report of a claim counts (a
/// slow node whose claim was taken over reports nothing twice).
/// KEYS: stream, pending. ARGV: pairs of entry id and event id. Returns how many events
/// were forgotten (those already reported are not counted).
pub const DELIVERED: &str = r#"
local n = 0
for i = 1, #ARGV, 2 do
  if redis.call('XACK', KEYS[1], 'delivery', ARGV[i]) == 1 then
    redis.call('XDEL', KEYS[1], ARGV[i])
    redis.call('ZREM', KEYS[2], ARGV[i + 1])
    n = n + 1
  end
end
return n
"#;

/// An attempt failed: park the event until its next attempt is due.
/// KEYS: stream, delayed. ARGV: entry id, due ms, the event as JSON (its fields, with
/// the attempts counted). Returns 1, or 0 (already reported).
pub const RETRY: &str = r#"
if redis.call('XACK', KEYS[1], 'delivery', ARGV[1]) == 0 then return 0 end
redis.call('XDEL', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"#;

/// The event is dead: move it to the dead letters.
/// KEYS: stream, pending, dead. ARGV: entry id, event id, dead letter JSON.
/// Returns 1, or 0 (already reported).
pub const BURY: &str = r#"
if redis.call('XACK', KEYS[1], 'delivery', ARGV[1]) == 0 then return 0 end
redis.call('XDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
return 1
"#;

/// A consumer shuts down: put every entry it claimed back as a new entry, which the next
/// claim of any consumer reads at once, and drop the consumer from the group.
/// KEYS: stream. ARGV: consumer. Returns how many entries were handed back.
pub const HAND_BACK: &str = r#"
local p = redis.pcall('XPENDING', KEYS[1], 'delivery', '-', '+', 1000, ARGV[1])
if type(p) ~= 'table' or p.err then return 0 end
local n = 0
for _, e in ipairs(p) do
  local entry = redis.call('XRANGE', KEYS[1], e[1], e[1])
  redis.call('XACK', KEYS[1], 'delivery', e[1])
  redis.call('XDEL', KEYS[1], e[1])
  if entry[1] then
    redis.call('XADD', KEYS[1], '*', unpack(entry[1][2]))
    n = n + 1
  end
end
redis.pcall('XGROUP', 'DELCONSUMER', KEYS[1], 'delivery', ARGV[1])
return n
"#;

/// The outbox's size. KEYS: pending, dead.
/// Returns {pending, dead, oldest pending score or false}.
pub const STATS: &str = r#"
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {redis.call('ZCARD', KEYS[1]), redis.call('HLEN', KEYS[2]), oldest[2] or false}
"#;

/// Put a dead letter back to pending, attempts starting over and recorded now (its age
/// counts from when it went back, so the oldest-pending alert does not fire for it).
/// KEYS: stream, pending, dead. ARGV: event id, now ms. Returns 1, or 0 (no such id).
pub const REVIVE: &str = r#"
local j = redis.call('HGET', KEYS[3], ARGV[1])
if not j then return 0 end
local e = cjson.decode(j)
redis.call('XADD', KEYS[1], '*', 'id', ARGV[1], 'type', e.type, 'body', e.body,
  'created', ARGV[2], 'attempts', '0')
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
return 1
"#;

/// The outbox scripts, hashed once.
pub(super) struct OutboxScripts {
    #[cfg(any(test, feature = "internals"))]
    pub enqueue: Script,
    pub claim: Script,
    pub delivered: Script,
    pub retry: Script,
    pub bury: Script,
    pub hand_back: Script,
    pub stats: Script,
    pub revive: Script,
}

impl OutboxScripts {
    pub fn new() -> Self {
        OutboxScripts {
            #[cfg(any(test, feature = "internals"))]
            enqueue: Script::from_lua(ENQUEUE),
            claim: Script::from_lua(CLAIM),
            delivered: Script::from_lua(DELIVERED),
            retry: Script::from_lua(RETRY),
            bury: Script::from_lua(BURY),
            hand_back: Script::from_lua(HAND_BACK),
            stats: Script::from_lua(STATS),
            revive: Script::from_lua(REVIVE),
        }
    }
}
