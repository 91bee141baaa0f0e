//! The Lua scripts of the outbox's delivery side. Every outbox key shares the
//! `{webhooks}` hash tag, so each script runs in one cluster slot, and each step of an
//! event's life (claimed, delivered, put off, buried, revived) is one atomic change: a
//! crash between two commands can never leave an event both pending and gone.
//!
//! A stream entry's fields: `id`, `type`, the body, `created` (ms), `attempts` (made
//! before this one) and, once an attempt failed, `last_error`. The body is one field,
//! `body`, or for an event a room's script recorded with its game's moves, three that the
//! consumer joins: `head`, `moves` and `tail` (Redis hashes every string a script makes,
//! so a script never joins a body itself). The consumer group is
//! `delivery`; the entries a consumer claimed stay in its pending entries list until it
//! reports, which is what lets another consumer take over a dead node's claims.
//!
//! What every event costs Redis is kept to its entry: the room's script adds it, a claim
//! reads it, the report acknowledges and deletes it. Only an event whose attempt failed
//! is also kept in the `retrying` set (scored by when it was recorded), which is what
//! the oldest-pending figure needs besides the stream's first entry.

use fred::types::scripts::Script;

/// Record an event with no room write, exactly as the room scripts record theirs.
/// KEYS: stream. ARGV: id, type, body, created ms.
#[cfg(any(test, feature = "internals"))]
pub const ENQUEUE: &str = r#"
redis.call('XADD', KEYS[1], '*', 'id', ARGV[1], 'type', ARGV[2], 'body', ARGV[3],
  'created', ARGV[4], 'attempts', '0')
return 1
"#;

/// The part of a claim that needs a script: move the retries that are due back onto the
/// stream, then (when ARGV[5] is '1') take over up to ARGV[4] entries other consumers left
/// idle past the claim timeout. New entries are read with a plain `XREADGROUP` sent right
/// behind this script: entries read inside a script would be copied into Lua strings,
/// each hashed and later collected, which cost Redis more than recording the event. A
/// missing group has no claims to take over; that read makes it.
/// KEYS: stream, delayed. ARGV: now ms, consumer, claim timeout ms, max, take over.
/// Returns the entries taken over, each `{entry id, {field, value, …}}`.
pub const CLAIM: &str = r#"
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, 100)
for _, m in ipairs(due) do
  local e = cjson.decode(m)
  redis.call('XADD', KEYS[1], '*', 'id', e.id, 'type', e.type, 'body', e.body,
    'created', e.created, 'attempts', e.attempts, 'last_error', e.last_error)
  redis.call('ZREM', KEYS[2], m)
end
if ARGV[5] ~= '1' then return {} end
local stale = redis.pcall('XAUTOCLAIM', KEYS[1], 'delivery', ARGV[2], ARGV[3], '0-0',
  'COUNT', ARGV[4])
if type(stale) == 'table' and stale.err then
  if string.find(stale.err, 'NOGROUP', 1, true) then return {} end
  return stale
end
local out = {}
for _, e in ipairs(stale[2]) do
  if e then out[#out + 1] = e end
end
return out
"#;

/// Attempts succeeded: forget their events, acknowledged and deleted in one command
/// each for the whole batch. Only the first report of a claim counts: an entry another
/// consumer already reported is no longer pending, so it is not counted again (its
/// delete is a no-op).
/// KEYS: stream, retrying. ARGV: how many entries, their ids, then the ids of the events
/// among them that had a failed attempt (they are in the retrying set). Returns how many
/// events were forgotten.
pub const DELIVERED: &str = r#"
local n = tonumber(ARGV[1])
if n == 0 then return 0 end
local acked = redis.call('XACK', KEYS[1], 'delivery', unpack(ARGV, 2, n + 1))
redis.call('XDEL', KEYS[1], unpack(ARGV, 2, n + 1))
if #ARGV > n + 1 then redis.call('ZREM', KEYS[2], unpack(ARGV, n + 2)) end
return acked
"#;

/// An attempt failed: park the event until its next attempt is due, and count it among
/// the retrying events (by when it was recorded, for the oldest-pending figure).
/// KEYS: stream, delayed, retrying. ARGV: entry id, due ms, the event as JSON (its
/// fields, with the attempts counted), event id, created ms. Returns 1, or 0 (already
/// reported).
pub const RETRY: &str = r#"
if redis.call('XACK', KEYS[1], 'delivery', ARGV[1]) == 0 then return 0 end
redis.call('XDEL', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[4])
return 1
"#;

/// The event is dead: move it to the dead letters.
/// KEYS: stream, retrying, dead. ARGV: entry id, event id, dead letter JSON.
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

/// The outbox's size. Pending events are the stream's entries (new or claimed) and the
/// parked retries. The oldest of them is the oldest retrying event or the stream's first
/// entry: the stream holds the others in the order they were recorded.
/// KEYS: stream, delayed, retrying, dead.
/// Returns {pending, dead, oldest pending's ms recorded or false}.
pub const STATS: &str = r#"
local oldest = tonumber(redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')[2])
local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1]
if first then
  local f = first[2]
  for i = 1, #f, 2 do
    if f[i] == 'created' then
      local c = tonumber(f[i + 1])
      if c and (not oldest or c < oldest) then oldest = c end
    end
  end
end
local pending = redis.call('XLEN', KEYS[1]) + redis.call('ZCARD', KEYS[2])
return {pending, redis.call('HLEN', KEYS[4]), oldest or false}
"#;

/// Put a dead letter back to pending, attempts starting over and recorded now (its age
/// counts from when it went back, so the oldest-pending alert does not fire for it).
/// KEYS: stream, dead. ARGV: event id, now ms. Returns 1, or 0 (no such id).
pub const REVIVE: &str = r#"
local j = redis.call('HGET', KEYS[2], ARGV[1])
if not j then return 0 end
local e = cjson.decode(j)
redis.call('XADD', KEYS[1], '*', 'id', ARGV[1], 'type', e.type, 'body', e.body,
  'created', ARGV[2], 'attempts', '0')
redis.call('HDEL', KEYS[2], ARGV[1])
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
