//! Whatever arrives on a room channel: `Envelope::decode` never panics, and what it
//! accepts survives an encode/decode round trip unchanged.

#![no_main]

use libfuzzer_sys::fuzz_target;
use parlor::model::Envelope;

fuzz_target!(|text: &str| {
    if let Some(env) = Envelope::decode(text) {
        assert_eq!(Envelope::decode(&env.encode()).as_ref(), Some(&env));
    }
});
