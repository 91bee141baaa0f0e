//! Running the store's Lua scripts.

use fred::clients::Client;
use fred::error::Error as FredError;
use fred::interfaces::LuaInterface;
use fred::types::scripts::Script;
use fred::types::{FromValue, MultipleKeys, MultipleValues};

/// Run `script` by its hash (`EVALSHA`); if Redis does not know it (restarted, failed
/// over, `SCRIPT FLUSH`), load it and run it once more. `call` makes the keys and
/// arguments, a second time only for that retry.
///
/// Not fred's `Script::evalsha_with_reload`: it clones the keys and arguments of every
/// call to keep them for the retry, and drops the copies afterwards. On a move that was
/// about 2 % of the node's CPU (the room document, the frames and six numbers, each a
/// shared buffer cloned and released), for a retry that almost never happens.
pub(super) async fn eval<R, K, V>(
    script: &Script,
    client: &Client,
    call: impl Fn() -> (K, V),
) -> Result<R, FredError>
where
    R: FromValue,
    K: Into<MultipleKeys> + Send,
    V: TryInto<MultipleValues> + Send,
    V::Error: Into<FredError> + Send,
{
    let (keys, args) = call();
    match client.evalsha(script.sha1().clone(), keys, args).await {
        Err(e) if e.details().starts_with("NOSCRIPT") => {
            script.load(client).await?;
            let (keys, args) = call();
            client.evalsha(script.sha1().clone(), keys, args).await
        }
        result => result,
    }
}
