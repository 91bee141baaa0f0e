//! Where a game's state and action stand in the protocol's JSON Schema document.
//!
//! A frame carries some game's state (or action) without saying which game: the document
//! names one definition for "any state of a game this server plays" ([`STATE`]) and one for
//! any action ([`ACTION`]), each one of the games' own schemas
//! ([`Game::state_schema`](super::Game::state_schema),
//! [`Game::action_schema`](super::Game::action_schema)), and the wire types point at them
//! with these functions. The protocol module fills the two definitions in for the games
//! of one server.

use schemars::{json_schema, Schema, SchemaGenerator};

/// The definition any game state on the wire satisfies.
pub const STATE: &str = "GameState";
/// The definition any game action on the wire satisfies.
pub const ACTION: &str = "GameAction";

/// A `$ref` to the definition `name` of the document `generator` builds.
fn def_ref(generator: &SchemaGenerator, name: &str) -> Schema {
    let defs = generator
        .settings()
        .definitions_path
        .trim_start_matches('#');
    Schema::new_ref(format!("#{}/{name}", defs.trim_end_matches('/')))
}

/// The schema of a game state field: a reference to [`STATE`].
pub fn state_ref(generator: &mut SchemaGenerator) -> Schema {
    def_ref(generator, STATE)
}

/// The schema of the `state` event's `action`: a game's action as the game shows it, or
/// `null` where showing it would reveal something.
pub fn action_or_null(generator: &mut SchemaGenerator) -> Schema {
    let action = def_ref(generator, ACTION);
    json_schema!({"anyOf": [action, {"type": "null"}]})
}

#[cfg(test)]
mod tests {
    use super::*;
    use schemars::generate::SchemaSettings;

    #[test]
    fn references_point_into_the_definitions() {
        let mut generator = SchemaSettings::draft2020_12().into_generator();
        assert_eq!(
            state_ref(&mut generator).as_value(),
            &serde_json::json!({"$ref": "#/$defs/GameState"})
        );
        let openapi = SchemaSettings::openapi3().into_generator();
        assert_eq!(
            def_ref(&openapi, ACTION).as_value(),
            &serde_json::json!({"$ref": "#/components/schemas/GameAction"})
        );
    }
}
