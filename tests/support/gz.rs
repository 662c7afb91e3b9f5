//! A trail file in memory: `{"Records": [...]}` gzipped, under an S3 key.

use std::io::Write;

use serde_json::{json, Value};
use trailwatch::fetch::ObjectRef;

/// The object `s3://b/<key>` holding `records`, and its gzipped bytes.
pub fn trail_object(key: &str, records: Vec<Value>) -> (ObjectRef, Vec<u8>) {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let body = json!({ "Records": records }).to_string();
    enc.write_all(body.as_bytes()).expect("gzip");
    let object = ObjectRef::S3 {
        bucket: "b".into(),
        key: key.into(),
    };
    (object, enc.finish().expect("gzip"))
}
