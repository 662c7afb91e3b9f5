//! The pipeline stops at its deadline and says so, and sorts decode failures by whether a retry helps.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use trailwatch::deliver::MemoryDeliver;
use trailwatch::fetch::{Fetch, FetchError, ObjectReader};
use trailwatch::pipeline::{self, Pipeline};
use trailwatch::rules::RuleSet;
use trailwatch::ObjectRef;

/// A store whose objects never finish arriving.
struct Stalled;

#[async_trait]
impl Fetch for Stalled {
    async fn open(&self, _: &ObjectRef) -> Result<ObjectReader, FetchError> {
        let (_keep, reader) = tokio::io::duplex(64);
        // The writer half is leaked so the read side waits forever instead of seeing EOF.
        std::mem::forget(_keep);
        Ok(Box::new(reader))
    }
}

/// A store whose connection breaks mid-body.
struct Broken;

#[async_trait]
impl Fetch for Broken {
    async fn open(&self, _: &ObjectRef) -> Result<ObjectReader, FetchError> {
        let chunks: Vec<std::io::Result<bytes::Bytes>> = vec![
            Ok(bytes::Bytes::from_static(b"{\"Records\":[{\"a\":1},")),
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "connection reset by peer",
            )),
        ];
        Ok(Box::new(tokio_util::io::StreamReader::new(
            futures::stream::iter(chunks),
        )))
    }
}

fn pipeline(fetch: Arc<dyn Fetch>) -> Pipeline {
    let settings = pipeline::Settings {
        object_timeout: None,
        concurrency: 1,
        ..pipeline::Settings::default()
    };
    Pipeline::new(
        fetch,
        Arc::new(MemoryDeliver::new()),
        Arc::new(RuleSet::default()),
        settings,
    )
}

fn objects(n: usize) -> Vec<ObjectRef> {
    (0..n)
        .map(|i| ObjectRef::S3 {
            bucket: "b".into(),
            key: format!("k{i}.json.gz"),
        })
        .collect()
}

#[tokio::test]
async fn stalled_objects_stop_at_the_deadline_as_retryable_failures() {
    let started = Instant::now();
    let p = pipeline(Arc::new(Stalled)).stop_at(Some(Instant::now() + Duration::from_millis(300)));
    let summary = p.summarise(&objects(3)).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(summary.failed.len(), 3);
    assert!(
        summary.failed.iter().all(|f| f.retryable),
        "{:?}",
        summary.failed
    );
    assert!(
        summary.failed[0].error.contains("reached its time limit"),
        "{}",
        summary.failed[0].error
    );
    assert!(
        summary.failed[2].error.contains("not started"),
        "{}",
        summary.failed[2].error
    );
}

#[tokio::test]
async fn a_connection_broken_mid_body_is_retryable() {
    let summary = pipeline(Arc::new(Broken)).summarise(&objects(1)).await;
    assert_eq!(summary.events, 1, "the record before the break was read");
    assert!(summary.failed[0].retryable, "{:?}", summary.failed);
}
