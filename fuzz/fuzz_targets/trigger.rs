//! Any Lambda payload (JSON or not) becomes object refs or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trailwatch::trigger::{self, Options};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        // Keys in notifications are attacker-named: decoding must not panic either.
        let _ = trigger::decode_key(text);
        let _ = trigger::skip_reason(text, Some("AWSLogs/"));
        let _ = trigger::TrailKey::parse(text);
    }
    let Ok(payload) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    for options in [
        Options::default(),
        Options {
            key_prefix: Some("AWSLogs/".into()),
        },
    ] {
        if let Ok(t) = trigger::parse(&payload, &options) {
            for object in t.objects() {
                let _ = object.to_string();
            }
        }
    }
});
