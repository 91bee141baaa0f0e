//! `room.closed` `expired` on Redis. A room expires by key TTL, so nothing runs at that
//! moment: the index sweep finds its code on the `expiry` index instead, within two
//! sweeps. With results on, each such code is taken off the indexes by a script that
//! records the event in the same step, so of all the nodes sweeping, exactly one records
//! it. The event names the room's game and creation time, which outlive the room in the
//! `room_meta` hash (written by the room's create script, removed with the room).

use std::sync::LazyLock;

use fred::clients::Client;
use fred::error::Error as FredError;
use fred::interfaces::HashesInterface;
use fred::types::scripts::Script;
use fred::types::Value;

use super::eval::eval;
use crate::store::keys::Keys;
use crate::store::now_ms;
use crate::store::outbox::{OutboxEvent, CLOSED_EXPIRED};

/// Take an expired room off the indexes and record its event, once.
/// KEYS: expiry, rooms, room_meta, the room, outbox stream. ARGV: code, then
/// the event's id, type, body and ms recorded ('' id: no event, the room's meta is gone).
/// Returns 1 when this call took the room off, 0 when another did or the room lives.
const EXPIRED: &str = r#"
if redis.call('EXISTS', KEYS[4]) == 1 then return 0 end
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
if ARGV[2] ~= '' then
  redis.call('XADD', KEYS[5], '*', 'id', ARGV[2], 'type', ARGV[3], 'body', ARGV[4],
    'created', ARGV[5], 'attempts', '0')
end
return 1
"#;

static SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::from_lua(EXPIRED));

/// What `room_meta` keeps of a room: its game and creation time, space separated.
pub(super) fn meta(game: &str, created_at: &str) -> String {
    format!("{game} {created_at}")
}

/// Take the expired rooms `dead` off the indexes, recording `room.closed` for each.
/// Returns how many this call took off.
pub(super) async fn close_expired(
    client: &Client,
    keys: &Keys,
    dead: &[String],
) -> Result<usize, FredError> {
    let metas: Vec<Option<String>> = client.hmget(keys.room_meta(), dead.to_vec()).await?;
    let mut closed = 0;
    for (code, meta) in dead.iter().zip(metas) {
        let event = meta.as_deref().and_then(|m| m.split_once(' ')).map(|(game, created)| {
            OutboxEvent::room_closed(code, game, created, CLOSED_EXPIRED, now_ms())
        });
        let took: i64 = eval(&SCRIPT, client, || {
            let keys = vec![
                keys.expiry(),
                keys.all_rooms(),
                keys.room_meta(),
                keys.room(code),
                keys.webhooks_stream(),
            ];
            let mut args = vec![Value::from(code.as_str())];
            match &event {
                Some(e) => args.extend([
                    Value::from(e.id.as_str()),
                    Value::from(e.kind),
                    Value::from(e.body(&[])),
                    Value::from(e.created_ms.to_string()),
                ]),
                None => args.push(Value::from("")),
            }
            (keys, args)
        })
        .await?;
        closed += took as usize;
    }
    Ok(closed)
}
