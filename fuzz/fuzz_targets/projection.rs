//! The match stage reads records through a projection onto the rules' paths, not a full parse.
//! For any text serde_json accepts, the values the projection finds at a set of paths equal a
//! lookup in serde_json's `Value`; on text it rejects, the projection gives up or reads
//! something, and never panics or reads out of bounds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trailwatch::matching::oracle::projection_disagrees;

fuzz_target!(|data: &[u8]| {
    // Layout: the first line holds up to eight dotted paths, space-separated; the rest is the
    // record's text.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (line, record) = text
        .split_once('\n')
        .unwrap_or(("eventName userIdentity.type", text));
    let paths: Vec<Vec<String>> = line
        .split(' ')
        .take(8)
        .map(|p| p.split('.').map(str::to_string).collect())
        .collect();
    if let Some(why) = projection_disagrees(record, &paths) {
        panic!("{why}\nrecord: {record}");
    }
});
