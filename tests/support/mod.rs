//! Real local AWS peers for the end-to-end tests: a moto server per test on a `127.0.0.1` port
//! it binds itself, an `SdkConfig` pointing at it, and helpers to set up buckets, topics and
//! queues and to read back what SNS delivered.
//!
//! `.venv` (created by `make test` / `make .venv`) provides `moto_server` and `cargo-lambda`.
#![allow(dead_code)] // each test binary uses a different subset

pub mod alerts;
mod aws;
pub mod fault_proxy;
pub mod faults;
pub mod http;
pub mod lambda;
mod moto;

use std::path::{Path, PathBuf};

// Re-exported so callers keep writing `support::Aws`; like the helpers, each test binary uses a
// different subset.
#[allow(unused_imports)]
pub use aws::{fifo_queue_by_dedup_id, string_attributes, waiting, Aws};
#[allow(unused_imports)]
pub use moto::{clear_state_table, listens_in_group, refusing_port, state_items, Moto, Spawned};

pub const REGION: &str = "us-east-1";
pub const ACCOUNT: &str = "123456789012";
/// The bucket named in `events/s3-put.json`.
pub const DEMO_BUCKET: &str = "trailwatch-demo-trail";
/// eventID of the root `RebootInstance` in `events/trail/demo-trail.json.gz`: the one record
/// the bundled rule must alert on (see `events/README.md`).
pub const ROOT_REBOOT_EVENT_ID: &str = "b0070000-0000-4000-8000-000000000007";
/// The bundled rule that matches it.
pub const ROOT_REBOOT_RULE: &str = "rules/lightsail/root-reboot-instance.yml";

/// A path inside the repository.
pub fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A tool installed in `.venv/bin`, or a panic telling how to get it.
pub fn venv_tool(name: &str) -> PathBuf {
    let path = repo_path(".venv/bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: run `make .venv` (or `make test`, which creates it)",
        path.display()
    );
    path
}

/// `events/s3-put.json`, parsed.
pub fn s3_put_event() -> serde_json::Value {
    let path = repo_path("events/s3-put.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("events/s3-put.json is JSON")
}

/// An S3 notification key decoded the way S3 encoded it, by trailwatch's own decoder.
pub fn decode_s3_key(key: &str) -> String {
    trailwatch::trigger::decode_key(key).expect("key is UTF-8")
}

/// The object key `events/s3-put.json` points at, decoded.
pub fn s3_put_key() -> String {
    let event = s3_put_event();
    let key = event["Records"][0]["s3"]["object"]["key"]
        .as_str()
        .expect("Records[0].s3.object.key");
    decode_s3_key(key)
}

/// The demo delivery, gzipped, as uploaded to S3.
pub fn demo_trail_gz() -> Vec<u8> {
    let path = repo_path("events/trail/demo-trail.json.gz");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `id:` of a Sigma rule file, read straight from its YAML.
pub fn rule_id(rule_file: &str) -> String {
    let path = repo_path(rule_file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .find_map(|line| line.strip_prefix("id:"))
        .map(|id| id.trim().trim_matches(['"', '\'']).to_string())
        .unwrap_or_else(|| panic!("{} has no top-level id:", path.display()))
}

/// A bucket with the demo delivery at the key `events/s3-put.json` names, a standard topic,
/// and a raw-delivery queue subscribed to it: the world the Lambda expects.
pub struct DemoWorld {
    pub topic_arn: String,
    pub queue_url: String,
    pub key: String,
}

pub async fn demo_world(aws: &Aws) -> DemoWorld {
    aws.create_bucket(DEMO_BUCKET).await;
    let key = s3_put_key();
    aws.put_object(DEMO_BUCKET, &key, demo_trail_gz()).await;
    let topic_arn = aws.create_topic("trailwatch-alerts", false).await;
    let queue_url = aws
        .subscribe_queue(&topic_arn, "alerts-raw", true, None)
        .await;
    DemoWorld {
        topic_arn,
        queue_url,
        key,
    }
}
