//! Any object body (gzip or not) yields records or a clean error, never a panic; every record
//! handed out is valid JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::value::RawValue;

fuzz_target!(|data: &[u8]| {
    let _ = trailwatch::decode::records(data, |record| {
        assert!(
            RawValue::from_string(record.to_owned()).is_ok(),
            "record is not JSON: {record}"
        );
    });
});
