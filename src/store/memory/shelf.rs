//! The memory store's rooms and the index of the rooms it may offer: per game, listed
//! rooms in listing order, updated on every write, so quick play and the room list read a
//! few entries instead of every room. The store holds it under its lock.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::time::Instant;

use crate::game::GameKind;
use crate::model::{RoomDoc, SharedDoc};
use crate::store::{offered, Move, RoomPage};

/// One stored room.
pub(super) struct Entry {
    pub(super) doc: SharedDoc,
    pub(super) expires: Instant,
    /// Its key on the open index of its game, while listed there.
    listed: Option<u64>,
    /// The moves of its current game, oldest first.
    pub(super) moves: Vec<Move>,
}

impl Entry {
    /// A room that expires at `expires`, not listed yet.
    pub(super) fn new(doc: SharedDoc, expires: Instant) -> Self {
        Entry {
            doc,
            expires,
            listed: None,
            moves: Vec::new(),
        }
    }
}

/// The rooms and their open index.
#[derive(Default)]
pub(super) struct Shelf {
    pub(super) rooms: BTreeMap<String, Entry>,
    /// Listed rooms per game in listing order (a sequence number → code).
    open: HashMap<GameKind, BTreeMap<u64, String>>,
    next_seq: u64,
}

impl Shelf {
    /// The live entry of a room (an expired one counts as absent).
    pub(super) fn live(&mut self, code: &str) -> Option<&mut Entry> {
        self.live_at(code, Instant::now())
    }

    /// Like [`Shelf::live`], as of `now`.
    pub(super) fn live_at(&mut self, code: &str, now: Instant) -> Option<&mut Entry> {
        self.rooms.get_mut(code).filter(|e| e.expires > now)
    }

    /// Put a room at the end of its game's open index (no-op if listed).
    fn list(&mut self, code: &str) {
        let seq = self.next_seq;
        let Some(entry) = self.rooms.get_mut(code) else {
            return;
        };
        if entry.listed.is_some() {
            return;
        }
        entry.listed = Some(seq);
        self.next_seq += 1;
        let game = entry.doc.game;
        self.open
            .entry(game)
            .or_default()
            .insert(seq, code.to_string());
    }

    /// Take a room off its game's open index (no-op if not listed).
    fn unlist(&mut self, code: &str) {
        let Some(entry) = self.rooms.get_mut(code) else {
            return;
        };
        if let Some(seq) = entry.listed.take() {
            if let Some(index) = self.open.get_mut(&entry.doc.game) {
                index.remove(&seq);
            }
        }
    }

    /// Listed exactly when it may be offered (after a write). Most writes (moves) leave
    /// that as it was: then the room is looked up once and nothing else is touched.
    pub(super) fn follow(&mut self, code: &str) {
        let Some(entry) = self.rooms.get(code) else {
            return;
        };
        match (offered(&entry.doc), entry.listed.is_some()) {
            (true, false) => self.list(code),
            (false, true) => self.unlist(code),
            _ => {}
        }
    }

    pub(super) fn remove(&mut self, code: &str) {
        self.unlist(code);
        self.rooms.remove(code);
    }

    /// Drop the rooms expired at `now`; returns them.
    pub(super) fn sweep(&mut self, now: Instant) -> Vec<SharedDoc> {
        let dead: Vec<String> = self
            .rooms
            .iter()
            .filter(|(_, e)| e.expires <= now)
            .map(|(c, _)| c.clone())
            .collect();
        let mut gone = Vec::with_capacity(dead.len());
        for code in dead {
            if let Some(entry) = self.rooms.get(&code) {
                gone.push(entry.doc.clone());
            }
            self.remove(&code);
        }
        gone
    }

    /// The listed codes of `game`, in listing order.
    fn listed(&self, game: GameKind) -> impl Iterator<Item = (&u64, &String)> {
        self.open
            .get(&game)
            .into_iter()
            .flat_map(|index| index.iter())
    }

    /// Take the oldest offered room of `game` other than `offer` off the open index, or
    /// list `offer` when there is none ([`RoomStore::claim_open`]). Entries found stale
    /// on the way leave the index.
    ///
    /// [`RoomStore::claim_open`]: crate::store::RoomStore::claim_open
    pub(super) fn claim(&mut self, game: GameKind, offer: Option<&str>) -> Option<String> {
        let now = Instant::now();
        let mut stale = Vec::new();
        let mut taken = None;
        for (_, code) in self.listed(game) {
            match self.rooms.get(code) {
                Some(e) if e.expires > now && offered(&e.doc) => {
                    if offer != Some(code.as_str()) {
                        taken = Some(code.clone());
                        break;
                    }
                }
                _ => stale.push(code.clone()),
            }
        }
        for code in &stale {
            self.unlist(code);
        }
        if let Some(code) = &taken {
            self.unlist(code);
        } else if let Some(code) = offer {
            self.follow(code);
        }
        taken
    }

    /// Rooms listed and offered, `limit` per game at most, in listing order.
    pub(super) fn offered(&self, game: GameKind, limit: usize) -> Vec<(u64, RoomDoc)> {
        let now = Instant::now();
        self.listed(game)
            .filter_map(|(seq, code)| self.rooms.get(code).map(|e| (*seq, e)))
            .filter(|(_, e)| e.expires > now && offered(&e.doc))
            .take(limit)
            .map(|(seq, e)| (seq, RoomDoc::clone(&e.doc)))
            .collect()
    }

    /// Live rooms in code order after `cursor`, `limit` at most ([`RoomStore::list_rooms`]).
    ///
    /// [`RoomStore::list_rooms`]: crate::store::RoomStore::list_rooms
    pub(super) fn page(&self, cursor: Option<&str>, limit: usize) -> RoomPage {
        let now = Instant::now();
        let start = cursor.map_or(Bound::Unbounded, |c| Bound::Excluded(c.to_string()));
        let mut page: Vec<RoomDoc> = Vec::new();
        let mut more = false;
        for entry in self
            .rooms
            .range((start, Bound::Unbounded))
            .map(|(_, e)| e)
            .filter(|e| e.expires > now)
        {
            if page.len() == limit {
                more = true;
                break;
            }
            page.push(RoomDoc::clone(&entry.doc));
        }
        let next_cursor = more.then(|| page.last().map(|d| d.code.clone())).flatten();
        RoomPage {
            rooms: page,
            next_cursor,
        }
    }
}
