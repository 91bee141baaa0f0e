//! `Config::defaults()` (what tests and embedders start from) and clap's defaults (what
//! `parlor` with no flags runs with) are written in two places in `src/config.rs`; this
//! ties them, so changing one without the other fails here.

use clap::{CommandFactory, FromArgMatches};
use parlor::Config;

#[test]
fn defaults_match_an_empty_command_line() {
    // Without the environment fallbacks: the machine's PARLOR_* variables must not count.
    let cmd = Config::command().mut_args(|arg| arg.env(None));
    let matches = cmd
        .try_get_matches_from(["parlor"])
        .expect("every flag has a default or is optional");
    let parsed = Config::from_arg_matches(&matches).expect("matches form a Config");
    assert_eq!(
        format!("{parsed:#?}"),
        format!("{:#?}", Config::defaults()),
        "Config::defaults() and the clap defaults disagree"
    );
}
