//! The unit of fan-out: the frames one room change produces, who gets them, and what
//! the change does to local membership.
//!
//! Over Redis pub/sub an envelope travels as text: a header line, a line with the room
//! document (so every node can refresh its cache without a read), then one line per
//! frame prefixed by its audience. JSON frames never contain raw newlines, so lines are a
//! safe separator.

use crate::game::Seat;

/// Who receives a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Every member of the room.
    All,
    /// Only the members named by the envelope's [`Effect::Detach`].
    Target,
    /// Everyone but those.
    Others,
    /// The (untargeted) members holding this seat: a state rendered for that seat.
    Seat(Seat),
    /// The (untargeted) members without a seat: a state rendered for spectators.
    Watchers,
}

impl Audience {
    /// Whether a member receives a frame of this audience, given whether the envelope's
    /// effect targets it and the seat it holds.
    pub fn reaches(self, targeted: bool, seat: Option<Seat>) -> bool {
        match self {
            Audience::All => true,
            Audience::Target => targeted,
            Audience::Others => !targeted,
            Audience::Seat(s) => !targeted && seat == Some(s),
            Audience::Watchers => !targeted && seat.is_none(),
        }
    }

    /// Whether frames of this audience depend on who the viewer is.
    pub fn is_per_viewer(self) -> bool {
        matches!(self, Audience::Seat(_) | Audience::Watchers)
    }

    fn push_tag(self, out: &mut String) {
        match self {
            Audience::All => out.push('*'),
            Audience::Target => out.push('!'),
            Audience::Others => out.push('~'),
            Audience::Watchers => out.push('?'),
            Audience::Seat(s) => {
                out.push('@');
                out.push_str(&s.to_string());
            }
        }
    }
}

/// What a change does to local membership, besides delivering frames.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Effect {
    /// Nothing: deliver and keep everyone.
    #[default]
    None,
    /// The room is gone: deliver, then detach everyone.
    Close,
    /// Detach the sockets of `player_id`, except one holding `keep_epoch`
    /// (used when a session is resumed on a newer socket).
    Detach {
        /// The player whose sockets go.
        player_id: String,
        /// The socket epoch that stays, if any.
        keep_epoch: Option<u64>,
    },
}

/// The frames of one room change.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Envelope {
    /// Room version after the change; `None` for chat (no change to the room).
    pub version: Option<u64>,
    /// Membership effect.
    pub effect: Effect,
    /// The room document JSON after the change, for other nodes' caches.
    pub doc: Option<String>,
    /// Serialised frames and their audiences, in delivery order.
    pub frames: Vec<(Audience, String)>,
    /// Every socket this change concerns is on the node making it (by the room's
    /// recorded presence before and after the change), so a store may deliver it here
    /// instead of publishing it. Not part of the pub/sub text.
    pub local_only: bool,
}

impl Envelope {
    /// An envelope of frames for everyone.
    pub fn to_all(version: Option<u64>, frames: Vec<String>) -> Self {
        Envelope {
            version,
            frames: frames.into_iter().map(|f| (Audience::All, f)).collect(),
            ..Default::default()
        }
    }

    /// Encode for pub/sub.
    pub fn encode(&self) -> String {
        let (head, tail) = self.encode_parts();
        let doc = self.doc.as_deref().unwrap_or_default();
        let mut out = String::with_capacity(head.len() + doc.len() + tail.len());
        out.push_str(&head);
        out.push_str(doc);
        out.push_str(&tail);
        out
    }

    /// The encoding split around the document line: `head + doc + tail` is the whole
    /// message. The Redis store lets its script insert the document it is writing anyway,
    /// so the document crosses the network once.
    pub fn encode_parts(&self) -> (String, String) {
        let mut head = String::with_capacity(48);
        match self.version {
            Some(v) => head.push_str(&v.to_string()),
            None => head.push('-'),
        }
        head.push('|');
        match &self.effect {
            Effect::None => head.push('n'),
            Effect::Close => head.push('c'),
            Effect::Detach {
                player_id,
                keep_epoch,
            } => {
                head.push_str("d|");
                head.push_str(player_id);
                head.push('|');
                if let Some(e) = keep_epoch {
                    head.push_str(&e.to_string());
                }
            }
        }
        head.push('\n');
        let mut tail =
            String::with_capacity(self.frames.iter().map(|(_, f)| f.len() + 5).sum::<usize>());
        for (audience, frame) in &self.frames {
            tail.push('\n');
            audience.push_tag(&mut tail);
            tail.push_str(frame);
        }
        (head, tail)
    }

    /// Decode what [`Envelope::encode`] wrote; `None` if it is not an envelope.
    pub fn decode(text: &str) -> Option<Envelope> {
        let mut lines = text.split('\n');
        let header = lines.next()?;
        let doc = lines.next()?;
        let mut parts = header.split('|');
        let version = match parts.next()? {
            "-" => None,
            v => Some(v.parse().ok()?),
        };
        let effect = match parts.next()? {
            "n" => Effect::None,
            "c" => Effect::Close,
            "d" => {
                let player_id = parts.next()?.to_string();
                let keep_epoch = match parts.next()? {
                    "" => None,
                    e => Some(e.parse().ok()?),
                };
                Effect::Detach {
                    player_id,
                    keep_epoch,
                }
            }
            _ => return None,
        };
        let mut frames = Vec::new();
        for line in lines {
            let mut chars = line.chars();
            let audience = match chars.next()? {
                '*' => Audience::All,
                '!' => Audience::Target,
                '~' => Audience::Others,
                '?' => Audience::Watchers,
                '@' => {
                    // A seat number, then the frame (which starts with `{`).
                    let rest = chars.as_str();
                    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
                    let seat = rest.get(..digits)?.parse().ok()?;
                    chars = rest.get(digits..)?.chars();
                    Audience::Seat(seat)
                }
                _ => return None,
            };
            frames.push((audience, chars.as_str().to_string()));
        }
        Some(Envelope {
            version,
            effect,
            doc: (!doc.is_empty()).then(|| doc.to_string()),
            frames,
            local_only: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let envs = [
            Envelope::to_all(Some(3), vec![r#"{"type":"state"}"#.into()]),
            Envelope::to_all(None, vec![r#"{"type":"chat","text":"a|b\\nc"}"#.into()]),
            Envelope {
                version: Some(9),
                effect: Effect::Detach {
                    player_id: "p_1".into(),
                    keep_epoch: Some(4),
                },
                doc: Some(r#"{"code":"ABCDEF"}"#.into()),
                frames: vec![
                    (Audience::Target, "{\"type\":\"kicked\"}".into()),
                    (Audience::Others, "{\"type\":\"player_left\"}".into()),
                    (Audience::Seat(0), "{\"mine\":\"rock\"}".into()),
                    (Audience::Seat(12), "{\"mine\":null}".into()),
                    (Audience::Watchers, "{}".into()),
                ],
                local_only: false,
            },
            Envelope {
                version: Some(1),
                effect: Effect::Close,
                doc: None,
                frames: vec![],
                local_only: false,
            },
        ];
        for env in envs {
            assert_eq!(Envelope::decode(&env.encode()), Some(env));
        }
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "x|n\n",
            "1|q\n",
            "1|n\n\n#x",
            "1|d|p\n",
            "1|n\n\n@x{}",
            "1|n\n\n@999{}",
        ] {
            assert_eq!(Envelope::decode(bad), None, "{bad:?}");
        }
    }
}
