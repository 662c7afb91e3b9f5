//! The CLI is the Lambda's pipeline with local seams: for the same object, `trailwatch scan
//! --format json` prints exactly the alerts and digests the Lambda's `sqs` form carries, and a
//! big file's first batch is delivered while it is still being decoded.

#[path = "support/cli.rs"]
mod cli;

use std::io::Write;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use async_trait::async_trait;
use flate2::write::GzEncoder;
use serde_json::Value;
use tokio::io::{AsyncRead, ReadBuf};
use trailwatch::config::Settings;
use trailwatch::deliver::MemoryDeliver;
use trailwatch::fetch::{Fetch, FetchError, MemoryFetch, ObjectReader};
use trailwatch::handler::Handler;
use trailwatch::pipeline::{self, Pipeline};
use trailwatch::plan::{Form, PlanSettings};
use trailwatch::rules::RuleSet;
use trailwatch::rules_source::RuleStore;
use trailwatch::ObjectRef;

const RULES: &str = "title: Reboot\nid: 00000000-0000-4000-8000-0000000000c1\nlevel: high\n\
    logsource: {product: aws, service: cloudtrail}\n\
    detection:\n  sel:\n    eventName: RebootInstance\n  condition: sel\n\
    ---\n\
    title: Root\nid: 00000000-0000-4000-8000-0000000000c2\nlevel: critical\n\
    logsource: {product: aws, service: cloudtrail}\n\
    detection:\n  sel:\n    userIdentity.type: Root\n  condition: sel\n";

fn records(n: usize) -> String {
    let one = |i: usize| {
        let who = if i % 10 == 0 { "Root" } else { "IAMUser" };
        format!(
            r#"{{"eventVersion":"1.09","eventSource":"lightsail.amazonaws.com","eventName":"RebootInstance","eventID":"ev-{i:05}","eventTime":"2026-11-25T03:{:02}:{:02}Z","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.{}","recipientAccountId":"123456789012","userIdentity":{{"type":"{who}","arn":"arn:aws:iam::123456789012:user/u{}"}},"requestParameters":{{"instanceName":"web-{i}"}}}}"#,
            (i / 60) % 60,
            i % 60,
            i % 7,
            i % 3
        )
    };
    let all: Vec<String> = (0..n).map(one).collect();
    format!(r#"{{"Records":[{}]}}"#, all.join(","))
}

fn gzip(text: &str) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(text.as_bytes()).unwrap();
    enc.finish().unwrap()
}

/// Drops each alert's or digest's `source`, which names a path in the CLI and a key in S3.
fn without_source(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("source");
    }
    if let Some(d) = v.get_mut("digest").and_then(Value::as_object_mut) {
        d.remove("source");
    }
    v
}

fn sorted(mut docs: Vec<Value>) -> Vec<String> {
    let mut out: Vec<String> = docs
        .drain(..)
        .map(|d| without_source(d).to_string())
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn cli_json_carries_the_same_alerts_and_digests_as_the_lambdas_sqs_form() {
    let dir = tempfile::tempdir().unwrap();
    let rules_path = dir.path().join("rules.yml");
    std::fs::write(&rules_path, RULES).unwrap();
    let body = gzip(&records(45));
    let file = dir
        .path()
        .join("123456789012_CloudTrail_us-east-1_20261125T0310Z_x.json.gz");
    std::fs::write(&file, &body).unwrap();

    let cli = std::process::Command::new(cli::bin())
        .args(["scan", "--format", "json", "--rules"])
        .arg(&rules_path)
        .arg(&file)
        .output()
        .expect("trailwatch scan runs");
    assert!(
        cli.status.success(),
        "{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    let printed: Vec<Value> = String::from_utf8(cli.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON document per line"))
        .collect();

    let rules = Arc::new(RuleSet::from_sources(&[("rules.yml".into(), RULES.into())]).unwrap());
    let object = ObjectRef::S3 {
        bucket: "trail".into(),
        key: "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/25/x.json.gz".into(),
    };
    let fetch = Arc::new(MemoryFetch::new());
    fetch.put(&object, body);
    let deliver = Arc::new(MemoryDeliver::new());
    let settings = Settings::new("arn:aws:sns:us-east-1:123456789012:alerts", rules.clone());
    let handler = Handler::new(fetch, deliver.clone(), RuleStore::fixed(rules), &settings);
    let event = serde_json::json!({"Records": [{"eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": "trail"}, "object": {"key": "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/25/x.json.gz"}}}]});
    handler.handle(event).await.expect("scanned");
    let sent: Vec<Value> = deliver
        .messages()
        .iter()
        .map(|m| {
            let doc: Value = serde_json::from_str(&m.body).unwrap();
            serde_json::from_str(doc["sqs"].as_str().unwrap()).unwrap()
        })
        .collect();

    // 45 reboots: 20 alerts and a digest of 25; 5 root calls: 5 alerts.
    assert_eq!(sent.len(), 26, "{sent:?}");
    assert_eq!(sent.iter().filter(|d| d.get("digest").is_some()).count(), 1);
    assert_eq!(sorted(printed), sorted(sent));
}

/// A fetcher whose reader notes the instant it reached the end of the object.
struct NotesEnd {
    inner: MemoryFetch,
    ended: Arc<Mutex<Option<Instant>>>,
}

struct EndReader {
    inner: ObjectReader,
    ended: Arc<Mutex<Option<Instant>>>,
}

impl AsyncRead for EndReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() == before {
            self.ended.lock().unwrap().get_or_insert_with(Instant::now);
        }
        polled
    }
}

#[async_trait]
impl Fetch for NotesEnd {
    async fn open(&self, object: &ObjectRef) -> Result<ObjectReader, FetchError> {
        let inner = self.inner.open(object).await?;
        Ok(Box::new(EndReader {
            inner,
            ended: Arc::clone(&self.ended),
        }))
    }
}

#[tokio::test]
async fn the_first_batch_is_delivered_before_the_object_is_read_to_its_end() {
    let object = ObjectRef::Path {
        path: "big.json".into(),
    };
    let inner = MemoryFetch::new();
    // Plain text, so the last read comes after the last record has been split.
    inner.put(&object, records(30_000).into_bytes());
    let ended = Arc::new(Mutex::new(None));
    let fetch = NotesEnd {
        inner,
        ended: Arc::clone(&ended),
    };
    let deliver = Arc::new(MemoryDeliver::new());
    let settings = pipeline::Settings {
        plan: PlanSettings {
            every_match: true,
            form: Form::Json,
            ..PlanSettings::default()
        },
        ..pipeline::Settings::default()
    };
    let rules = RuleSet::from_sources(&[("rules.yml".into(), RULES.into())]).unwrap();
    let pipeline = Pipeline::new(Arc::new(fetch), deliver.clone(), Arc::new(rules), settings);
    let summary = pipeline.summarise(&[object]).await;
    assert_eq!(summary.alerts, 33_000, "{summary:?}");
    let received = deliver.received();
    let ended = ended.lock().unwrap().expect("the reader reached the end");
    assert!(
        received[0].at < ended,
        "first batch at {:?}, end of object at {ended:?}",
        received[0].at
    );
    let before = received.iter().filter(|r| r.at < ended).count();
    assert!(
        before > 100,
        "only {before} of {} batches before the end",
        received.len()
    );
}
