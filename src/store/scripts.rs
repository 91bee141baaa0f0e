//! The Lua scripts behind every Redis write. Each runs atomically on the room's slot, so
//! the compare-and-set, the TTL refresh and the publish of the event are one round trip
//! and can never be seen half-done. Channels are passed as keys so a cluster routes and
//! checks them like the room hash (they share its hash tag).

use fred::types::scripts::Script;

/// Create a room unless its code is taken.
/// KEYS: room, and with results on `room_meta`. ARGV: version, doc, ttl, the current
/// refresh period's number (its first index refresh, see [`UPDATE`]), and with results on
/// the code and what `room_meta` keeps of it. Returns 1 (created) or 0 (taken).
pub const CREATE: &str = r#"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'doc', ARGV[2], 'ix', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[3])
if KEYS[2] then redis.call('HSET', KEYS[2], ARGV[5], ARGV[6]) end
return 1
"#;

/// Compare-and-set a room, refresh its TTL, publish the change, keep the game's move log
/// and record an event for the game's backend.
/// KEYS: room, channel, moves, and when an event is recorded the outbox stream.
/// ARGV: expected version, new version, doc, ttl, envelope head, envelope tail (the
/// published message is head .. doc .. tail; an empty head publishes nothing), the
/// current refresh period's number ([`IndexClock::period`](crate::store::IndexClock::period)),
/// and a deadline (Unix ms by Redis's clock) when the writing node delivers the change
/// itself unless someone else listens on the channel ('' otherwise). The writer holds
/// every member and is subscribed itself, so one subscriber is that node; past the
/// deadline the writer may have given up on the reply, so the change is published. A
/// change not published records its version as `lv`.
/// The room's index entries are due for a refresh when `ix` holds another period's
/// number than ARGV[7]: a string compared as it is, because every number Lua reads from
/// a string goes through the C library's `strtod`, which cost Redis more per write than
/// any command the script runs.
/// Then the move log: ARGV[9] is '' (unchanged), 'a' (append ARGV[10]) or 'r' (a new
/// game: empty it); the log gets the room's TTL when its first move makes it and again
/// whenever the room's index refresh is due (at most one refresh period behind the
/// room). Then the event, when ARGV[11] (its id) is not '': type ARGV[12], its body in
/// three fields, `head` ARGV[13], `moves` (the moves joined by commas, when ARGV[15] is
/// '1') and `tail` ARGV[14], recorded at ARGV[16] ms.
/// Returns, when applied, one integer: Redis's time in ms × 4, plus 2 when the room's
/// index entries are due for a refresh (which the script then records), plus 1 when the
/// change went out on the channel. One number rather than an array because Redis turns
/// every table a script returns into a reply element by element, looking each one over
/// for error and status fields, at several times the cost of a number (the time stays
/// exact: 2^53 ms is far off). Otherwise {1, current doc} (conflict) or {0} (missing).
pub const UPDATE: &str = r#"
-- HMGET rather than HGET so the commands a script runs never share a name with the ones
-- the node sends itself (HGET): the benchmark tells them apart by name in commandstats.
local cur = redis.call('HMGET', KEYS[1], 'v', 'ix')
local v = cur[1]
if not v then return {0} end
if v ~= ARGV[1] then return {1, redis.call('HMGET', KEYS[1], 'doc')[1]} end
local due = 0
if cur[2] ~= ARGV[7] then due = 1 end
local t = redis.call('TIME')
-- Arithmetic reads each string once; `tonumber` would read it twice.
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local publish = ARGV[5] ~= '' and (ARGV[8] == '' or now > ARGV[8] + 0
    or redis.call('PUBSUB', 'SHARDNUMSUB', KEYS[2])[2] > 1)
-- 'lv': the last version its writer delivered itself, found by a writer that lost the reply.
local fields = {'v', ARGV[2], 'doc', ARGV[3]}
if due == 1 then table.insert(fields, 'ix'); table.insert(fields, ARGV[7]) end
if ARGV[8] ~= '' and not publish then table.insert(fields, 'lv'); table.insert(fields, ARGV[2]) end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('EXPIRE', KEYS[1], ARGV[4])
local logged = 0
if ARGV[9] == 'r' then
  redis.call('DEL', KEYS[3])
elseif ARGV[9] == 'a' then
  logged = redis.call('RPUSH', KEYS[3], ARGV[10])
end
if logged == 1 or due == 1 then redis.call('EXPIRE', KEYS[3], ARGV[4]) end
if ARGV[11] ~= '' then
  -- The body stays in its parts (the consumer joins them): every string a script makes
  -- is hashed and later collected by Lua, which made joining a body here cost Redis more
  -- than the rest of recording the event.
  local moves = ''
  if ARGV[15] == '1' then moves = table.concat(redis.call('LRANGE', KEYS[3], 0, -1), ',') end
  redis.call('XADD', KEYS[4], '*', 'id', ARGV[11], 'type', ARGV[12], 'head', ARGV[13],
    'moves', moves, 'tail', ARGV[14], 'created', ARGV[16], 'attempts', '0')
end
if publish then redis.call('SPUBLISH', KEYS[2], ARGV[5] .. ARGV[3] .. ARGV[6]) end
return now * 4 + due * 2 + (publish and 1 or 0)
"#;

/// Delete a room and its move log, tell its members and record an event.
/// KEYS: room, channel, moves, and when an event is recorded the outbox stream.
/// ARGV: envelope, then for an event its id, type, body and ms recorded.
/// Returns 1 (deleted) or 0 (no such room: nothing is published or recorded).
pub const DELETE: &str = r#"
local n = redis.call('DEL', KEYS[1])
if n == 0 then return 0 end
redis.call('DEL', KEYS[3])
if ARGV[1] ~= '' then redis.call('SPUBLISH', KEYS[2], ARGV[1]) end
if ARGV[2] then
  redis.call('XADD', KEYS[4], '*', 'id', ARGV[2], 'type', ARGV[3], 'body', ARGV[4],
    'created', ARGV[5], 'attempts', '0')
end
return 1
"#;

/// Delete a room and its move log if it is still at the expected version, tell its
/// members and record an event. KEYS: as [`DELETE`]. ARGV: expected version, envelope,
/// then for an event its id, type, body and ms recorded. Returns {2} (deleted),
/// {1, current doc} (conflict) or {0} (missing), like [`UPDATE`].
pub const DELETE_AT: &str = r#"
local v = redis.call('HMGET', KEYS[1], 'v')[1]
if not v then return {0} end
if v ~= ARGV[1] then return {1, redis.call('HMGET', KEYS[1], 'doc')[1]} end
redis.call('DEL', KEYS[1], KEYS[3])
if ARGV[2] ~= '' then redis.call('SPUBLISH', KEYS[2], ARGV[2]) end
if ARGV[3] then
  redis.call('XADD', KEYS[4], '*', 'id', ARGV[3], 'type', ARGV[4], 'body', ARGV[5],
    'created', ARGV[6], 'attempts', '0')
end
return {2}
"#;

/// Publish to an existing room and refresh its TTL (chat).
/// KEYS: room, channel, moves. ARGV: ttl, envelope, the current refresh period's number.
/// Returns 1, 2 (published and the index entries are due for a refresh, now recorded,
/// and the move log's TTL refreshed with them; due as in [`UPDATE`]), or 0 if the room
/// is gone.
pub const PUBLISH: &str = r#"
if redis.call('EXPIRE', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('SPUBLISH', KEYS[2], ARGV[2])
if redis.call('HMGET', KEYS[1], 'ix')[1] == ARGV[3] then return 1 end
redis.call('HSET', KEYS[1], 'ix', ARGV[3])
redis.call('EXPIRE', KEYS[3], ARGV[1])
return 2
"#;

/// Take the oldest live room off an open-room index, or list one.
/// KEYS: open index. ARGV: now ms, code to list ('' for none), its score.
/// Returns the code taken, or nil (nothing to take; the given code, if any, is listed).
/// One key, so the choice is atomic on a cluster too: of two players arriving together,
/// one lists its room and the other takes it.
pub const CLAIM: &str = r#"
local found = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'LIMIT', 0, 2)
for _, code in ipairs(found) do
  if code ~= ARGV[2] then
    redis.call('ZREM', KEYS[1], code)
    return code
  end
end
if ARGV[2] ~= '' then redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2]) end
return false
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
    pub claim: Script,
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
            claim: Script::from_lua(CLAIM),
            heartbeat: Script::from_lua(HEARTBEAT),
            dead_nodes: Script::from_lua(DEAD_NODES),
        }
    }
}
