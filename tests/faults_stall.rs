//! A body that stops halfway, without moto: the per-object timeout ends the object and its
//! decoding thread. (Regression: the abandoned reader once failed with `Interrupted`, which std
//! readers retry forever, so the thread spun and the runtime never shut down.)

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::io::AsyncWriteExt;
use trailwatch::deliver::MemoryDeliver;
use trailwatch::fetch::{Fetch, FetchError, ObjectReader};
use trailwatch::pipeline::{self, Pipeline};
use trailwatch::rules::RuleSet;
use trailwatch::ObjectRef;

/// Sends the first half of a delivery, then keeps the connection open forever.
struct HalfThenNothing;

#[async_trait]
impl Fetch for HalfThenNothing {
    async fn open(&self, _: &ObjectRef) -> Result<ObjectReader, FetchError> {
        let records = vec![r#"{"eventName":"x"}"#; 20_000].join(",");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(format!(r#"{{"Records":[{records}]}}"#).as_bytes())
            .unwrap();
        let body = gz.finish().unwrap();
        let (mut writer, reader) = tokio::io::duplex(body.len());
        writer.write_all(&body[..body.len() / 2]).await.unwrap();
        std::mem::forget(writer);
        Ok(Box::new(reader))
    }
}

#[tokio::test]
async fn a_body_stalled_midway_ends_at_the_object_timeout() {
    let settings = pipeline::Settings {
        object_timeout: Some(Duration::from_millis(500)),
        ..pipeline::Settings::default()
    };
    let pipeline = Pipeline::new(
        Arc::new(HalfThenNothing),
        Arc::new(MemoryDeliver::new()),
        Arc::new(RuleSet::default()),
        settings,
    );
    let object = ObjectRef::S3 {
        bucket: "b".into(),
        key: "k.json.gz".into(),
    };
    let summary = pipeline.summarise(&[object]).await;
    assert_eq!(summary.failed.len(), 1);
    assert!(summary.failed[0].retryable);
    assert!(
        summary.failed[0].error.contains("OBJECT_TIMEOUT_SECONDS"),
        "{}",
        summary.failed[0].error
    );
    // Returning lets the runtime shut down, which waits for the decoding thread to end.
}
