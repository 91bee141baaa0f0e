//! Quick play: pairing players through the store's open index. See
//! [`Rooms::quick_join`].

use super::join::seat_of;
use super::leave::plan_departure;
use super::{ConnHandle, Joined, Membership, Rooms};
use crate::error::{ErrorCode, ProtoError};
use crate::game::GameKind;
use crate::model::Status;

/// How many rooms `quick_join` takes off the open index (each try removes a stale or
/// just-filled entry) before it gives up pairing and keeps a room of its own.
const QUICK_JOIN_CANDIDATES: usize = 16;

impl Rooms {
    /// Sit down with a player who is waiting for a game of `game`, or open a room and wait.
    ///
    /// Players arriving together must pair with each other, on one node or many, so the
    /// choice goes through the store's atomic [`claim_open`](crate::store::RoomStore::claim_open):
    /// first take a waiting room off the open index; if there is none, open an unlisted
    /// room, then either list it or, when someone listed theirs meanwhile, take that one
    /// and give the new room up. Seats are taken under compare-and-set as always, so a
    /// room is never overbooked, and only rooms with a connected player are offered. A
    /// signed-in user is first sent back to a waiting room where they hold a seat, and
    /// never seated against themselves (joining a room where they sit gives that seat).
    pub async fn quick_join(
        &self,
        conn: &ConnHandle,
        game: GameKind,
        name: String,
    ) -> Result<Joined, ProtoError> {
        // A user waiting in a room of this game already goes back to that seat.
        if let Some(user) = conn.user.as_deref() {
            let rooms = self.store.user_rooms(user).await?;
            let waiting = rooms
                .iter()
                .filter(|d| d.game == game && d.status == Status::Waiting);
            for doc in waiting {
                if let Some(held) = seat_of(doc, user) {
                    return self.reclaim(conn, doc, &held).await;
                }
            }
        }
        for _ in 0..QUICK_JOIN_CANDIDATES {
            let Some(code) = self.store.claim_open(game, None).await? else {
                break;
            };
            if let Some(j) = self.take_seat(conn, &code, &name).await? {
                return Ok(j);
            }
        }
        let own = self
            .open_room(conn, game, name.clone(), false, None, false)
            .await?;
        for _ in 0..QUICK_JOIN_CANDIDATES {
            let claimed = match self
                .store
                .claim_open(game, Some(&own.membership.code))
                .await
            {
                Ok(Some(code)) => code,
                Ok(None) => return Ok(own),
                Err(e) => {
                    self.give_up(conn, &own.membership).await;
                    return Err(e.into());
                }
            };
            match self.take_seat(conn, &claimed, &name).await {
                Ok(Some(j)) => {
                    self.give_up(conn, &own.membership).await;
                    return Ok(j);
                }
                Ok(None) => {}
                Err(e) => {
                    self.give_up(conn, &own.membership).await;
                    return Err(e);
                }
            }
        }
        // Every room taken went away before we sat down: keep ours, unlisted until its
        // next index refresh lists it.
        tracing::debug!("quick play kept an unlisted room after {QUICK_JOIN_CANDIDATES} tries");
        Ok(own)
    }

    /// Take a seat in a room from the open index; `None` when it filled, emptied or went.
    async fn take_seat(
        &self,
        conn: &ConnHandle,
        code: &str,
        name: &str,
    ) -> Result<Option<Joined>, ProtoError> {
        match self
            .join_as(conn, code, name.to_string(), false, true)
            .await
        {
            Ok(j) => Ok(Some(j)),
            Err(e) if matches!(e.code, ErrorCode::RoomFull | ErrorCode::RoomNotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Drop the room quick play opened and no longer needs (nobody else ever saw it).
    async fn give_up(&self, conn: &ConnHandle, m: &Membership) {
        self.hub.detach(&m.code, conn.id);
        let result = self
            .mutate(&m.code, |doc| Ok(plan_departure(doc, m, None, &self.node)))
            .await;
        if let Err(e) = result {
            tracing::debug!(
                code = e.code.as_str(),
                "could not drop a spare quick-play room"
            );
        }
    }
}
