//! Correlation rules end to end: the real `trailwatch-lambda` behind `cargo lambda watch`,
//! against moto (S3, SNS, SQS, DynamoDB), with the state table and a standard topic whose
//! subscribed queue is read back. What it proves:
//!
//! - a Lightsail enumeration burst (12 distinct `Get*` calls by one principal within 10
//!   minutes, `value_count` on `eventName`) split across three trail files gives exactly one
//!   correlation alert when the files are read in reverse time order, one invocation each, and
//!   one notification is delivered again;
//! - the same burst split over two regions' files, read at the same moment, gives exactly one
//!   alert: through two concurrent function instances (`cargo lambda watch --concurrency 2`;
//!   without the flag it runs one instance and serialises invocations), and, so that the race
//!   on the table is certainly exercised, through two handlers in this process racing round
//!   after round on the moto table, and through one invocation naming both files (scanned at
//!   once, under one request id);
//! - a record delivered both by its EventBridge event and in its trail file counts once
//!   across the two paths: four distinct records plus a copy of one of them do not reach `gte: 5`; a
//!   fifth distinct record fires once, and its copy through the other path fires nothing.
//!
//! `two_handlers_in_one_process_through_handle_alert_once_per_burst` keeps two handlers in one
//! process from sharing a claim owner (see there).
//!
//! The function judges lateness by the wall clock, so every record is stamped minutes before
//! now. The rules are under `tests/fixtures/e2e-correlation/` (see its README).
mod support;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use support::lambda::Watch;
use support::{string_attributes, Aws, Moto};
use trailwatch::config::Settings;
use trailwatch::handler::{Handler, HandlerError};
use trailwatch::rules::RuleSet;

const TABLE: &str = "trailwatch-state";
const BUCKET: &str = "trailwatch-e2e-correlation";
const ACCOUNT: &str = "111122223333";

/// `value_count` of `eventName` per `userIdentity.arn`, 10 minutes, `gte: 12`.
const ENUMERATION_RULES: &str = "tests/fixtures/e2e-correlation/enumeration";
const ENUMERATION_ID: &str = "6c1d0f3a-5e2b-4c8d-9a71-e2ec00000002";
/// `event_count` per `userIdentity.arn`, 10 minutes, `gte: 5`.
const BOTH_PATHS_RULES: &str = "tests/fixtures/e2e-correlation/both-paths";
const BOTH_PATHS_ID: &str = "6c1d0f3a-5e2b-4c8d-9a71-e2ec00000004";

const ATTACKER: &str = "arn:aws:iam::111122223333:user/svc-backup";
const BYSTANDER: &str = "arn:aws:iam::111122223333:user/ops-alice";

/// The burst's calls in order: 14 records naming 12 distinct APIs (GetInstance and
/// GetBucketAccessKeys come twice), so the measure (12) differs from the records (14), and the
/// 12th distinct name is the last record.
const BURST: [&str; 14] = [
    "GetInstances",
    "GetInstance",
    "GetKeyPairs",
    "GetStaticIps",
    "GetBuckets",
    "GetBucketAccessKeys",
    "GetInstance",
    "GetRelationalDatabases",
    "GetRelationalDatabaseMasterUserPassword",
    "GetContainerServices",
    "GetInstanceAccessDetails",
    "GetBucketAccessKeys",
    "GetDomains",
    "GetLoadBalancers",
];
/// Seconds between two calls of the burst: 13 gaps of 40 s, all inside 10 minutes.
const BURST_STEP_SECONDS: i64 = 40;

// ---------------------------------------------------------------------------------------------
// Records, files and notifications.

fn minutes_ago(minutes: i64) -> DateTime<Utc> {
    let now = Utc::now() - chrono::Duration::minutes(minutes);
    DateTime::from_timestamp(now.timestamp(), 0).expect("whole seconds")
}

fn event_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// One Lightsail call by `principal`, shaped as CloudTrail writes it.
fn call(principal: &str, event_id: &str, name: &str, at: DateTime<Utc>, region: &str) -> Value {
    let user = principal.rsplit('/').next().unwrap_or(principal);
    let source = if name.starts_with("Get") {
        "lightsail.amazonaws.com"
    } else {
        "ec2.amazonaws.com"
    };
    json!({
        "eventVersion": "1.08",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLE", "arn": principal,
                         "accountId": ACCOUNT, "accessKeyId": "AKIAEXAMPLE", "userName": user},
        "eventTime": event_time(at),
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": "198.51.100.23",
        "userAgent": "aws-cli/2.22.4",
        "requestParameters": null,
        "responseElements": null,
        "requestID": format!("req-{event_id}"),
        "eventID": event_id,
        "readOnly": true,
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management"
    })
}

/// [`BURST`] by `principal` from `start`, eventIDs `{tag}-NN`; record `i` is in
/// `regions[i % regions.len()]`.
fn burst(principal: &str, tag: &str, start: DateTime<Utc>, regions: &[&str]) -> Vec<Value> {
    BURST
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let at = start + chrono::Duration::seconds(BURST_STEP_SECONDS * i as i64);
            let id = format!("{tag}-{i:02}");
            call(principal, &id, name, at, regions[i % regions.len()])
        })
        .collect()
}

/// `records` whose `awsRegion` is `region`.
fn in_region(records: &[Value], region: &str) -> Vec<Value> {
    records
        .iter()
        .filter(|r| r["awsRegion"] == region)
        .cloned()
        .collect()
}

fn distinct_names(records: &[Value]) -> BTreeSet<String> {
    records
        .iter()
        .filter_map(|r| r["eventName"].as_str().map(str::to_owned))
        .collect()
}

/// A CloudTrail delivery: `{"Records": [...]}`, gzipped.
fn trail_gz(records: &[Value]) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(json!({ "Records": records }).to_string().as_bytes())
        .expect("gzip");
    gz.finish().expect("gzip")
}

/// A trail file's key as CloudTrail writes it, for `region`, delivered now.
fn trail_key(region: &str, name: &str) -> String {
    let now = Utc::now();
    format!(
        "AWSLogs/{ACCOUNT}/CloudTrail/{region}/{}/{ACCOUNT}_CloudTrail_{region}_{}_{name}.json.gz",
        now.format("%Y/%m/%d"),
        now.format("%Y%m%dT%H%MZ")
    )
}

/// The S3 notification for one new object (keys here need no URL-encoding).
fn s3_notification(key: &str) -> Value {
    json!({"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "eventName": "ObjectCreated:Put",
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "trailwatch-cloudtrail-delivery",
               "bucket": {"name": BUCKET, "arn": format!("arn:aws:s3:::{BUCKET}")},
               "object": {"key": key, "size": 1024}}
    }]})
}

/// One notification naming several new objects, as an S3 event may (or an SQS batch of them).
fn s3_notification_of(keys: &[&str]) -> Value {
    let records: Vec<Value> = keys
        .iter()
        .map(|k| s3_notification(k)["Records"][0].clone())
        .collect();
    json!({ "Records": records })
}

/// The EventBridge event CloudTrail sends for `record`, shaped as
/// `events/eventbridge-cloudtrail-api-call.json`.
fn eventbridge(record: &Value) -> Value {
    json!({
        "version": "0",
        "id": format!("eb-{}", record["eventID"].as_str().expect("eventID")),
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.lightsail",
        "account": ACCOUNT,
        "time": record["eventTime"],
        "region": record["awsRegion"],
        "resources": [],
        "detail": record
    })
}

// ---------------------------------------------------------------------------------------------
// The world: moto, the bucket, the topic and its queue, the state table, the function.

struct World {
    aws: Aws,
    queue: String,
    watch: Watch,
    logs: tempfile::TempDir,
    invocations: AtomicUsize,
    _moto: Moto,
}

/// A queue message: its `kind` and `rule_id` attributes and its JSON body.
#[derive(Debug)]
struct Delivered {
    kind: Option<String>,
    rule_id: Option<String>,
    body: Value,
}

/// The bucket, topic, queue and table, and the function loading `rules` (a directory of this
/// repository) with `watch_args` passed to `cargo lambda watch`.
async fn world(rules: &str, watch_args: &[&str]) -> World {
    let moto = Moto::start();
    let aws = Aws::new(&moto.sdk_config().await);
    aws.create_bucket(BUCKET).await;
    let topic = aws.create_topic("trailwatch-alerts", false).await;
    let queue = aws.subscribe_queue(&topic, "alerts-raw", true, None).await;
    moto.create_state_table(TABLE).await;
    let logs = tempfile::tempdir().expect("tempdir");
    let rules_path = support::repo_path(rules).display().to_string();
    let env = [("RULES_PATH", rules_path)];
    let watch = Watch::start_with(&moto, &topic, TABLE, logs.path(), watch_args, &env);
    World {
        aws,
        queue,
        watch,
        logs,
        invocations: AtomicUsize::new(0),
        _moto: moto,
    }
}

/// Retries of an invocation that failed retryably (Lambda retries async invocations twice;
/// a claim another invocation holds is released within moments).
const RETRIES: usize = 5;

impl World {
    async fn put(&self, key: &str, records: &[Value]) {
        self.aws.put_object(BUCKET, key, trail_gz(records)).await;
    }

    /// Invokes the function with `payload` as Lambda would, retrying retryable failures, and
    /// returns its summary. Blocking: call it through [`World::invoke`] or a thread.
    fn invoke_blocking(&self, payload: &Value) -> Value {
        let n = self.invocations.fetch_add(1, Ordering::Relaxed);
        let dir = self.logs.path().join(format!("invoke-{n:02}"));
        std::fs::create_dir_all(&dir).expect("invocation dir");
        let file = dir.join("payload.json");
        std::fs::write(&file, payload.to_string()).expect("payload file");
        let file = file.display().to_string();
        let mut errors = Vec::new();
        for _ in 0..=RETRIES {
            match self.watch.try_invoke(&file, &dir) {
                Ok(summary) => {
                    if !errors.is_empty() {
                        eprintln!("invocation {n} succeeded after {errors:#?}");
                    }
                    return summary;
                }
                Err(e) if e.contains("RetryableFailure") => {
                    errors.push(e);
                    std::thread::sleep(Duration::from_millis(500));
                }
                Err(e) => panic!("invocation {n} failed: {e}\nwatch log:\n{}", self.log()),
            }
        }
        panic!("invocation {n} kept failing: {errors:#?}")
    }

    async fn invoke(&self, payload: &Value) -> Value {
        tokio::task::block_in_place(|| self.invoke_blocking(payload))
    }

    /// Invokes the function once per payload, all at the same moment, each from its own thread
    /// and `cargo lambda invoke` process; the summaries in payload order.
    async fn invoke_at_once(&self, payloads: &[Value]) -> Vec<Value> {
        let barrier = std::sync::Barrier::new(payloads.len());
        let barrier = &barrier;
        tokio::task::block_in_place(|| {
            std::thread::scope(|scope| {
                let running: Vec<_> = payloads
                    .iter()
                    .map(|p| {
                        scope.spawn(move || {
                            barrier.wait();
                            self.invoke_blocking(p)
                        })
                    })
                    .collect();
                running
                    .into_iter()
                    .map(|t| t.join().expect("invocation thread"))
                    .collect()
            })
        })
    }

    /// Everything the topic delivered to the queue since the last call.
    async fn delivered(&self) -> Vec<Delivered> {
        delivered(&self.aws, &self.queue).await
    }

    fn log(&self) -> String {
        let text = self.watch.log_text();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(60)..].join("\n")
    }
}

async fn delivered(aws: &Aws, queue: &str) -> Vec<Delivered> {
    aws.receive_all(queue, Duration::from_secs(5))
        .await
        .iter()
        .map(|m| {
            let attributes = string_attributes(m);
            let body = m.body().unwrap_or_default();
            Delivered {
                kind: attributes.get("kind").cloned(),
                rule_id: attributes.get("rule_id").cloned(),
                body: serde_json::from_str(body)
                    .unwrap_or_else(|e| panic!("message body is not JSON ({e}): {body}")),
            }
        })
        .collect()
}

/// The one message delivered, checked to be `correlation`'s alert for `principal`; its
/// `correlation` object.
fn the_one_alert<'a>(delivered: &'a [Delivered], correlation: &str, principal: &str) -> &'a Value {
    assert_eq!(delivered.len(), 1, "exactly one message: {delivered:#?}");
    let d = &delivered[0];
    assert_eq!(d.kind.as_deref(), Some("correlation"), "{d:#?}");
    assert_eq!(d.rule_id.as_deref(), Some(correlation), "{d:#?}");
    let c = &d.body["correlation"];
    assert_eq!(c["rule"]["id"], correlation, "{d:#?}");
    assert_eq!(
        c["group"],
        json!({ "userIdentity.arn": principal }),
        "{d:#?}"
    );
    c
}

/// Checks an enumeration alert against the whole `records` burst.
fn assert_whole_burst(c: &Value, records: &[Value]) {
    assert_eq!(c["measure"].as_f64(), Some(12.0), "{c:#}");
    assert_eq!(c["records"], records.len(), "{c:#}");
    let values: BTreeSet<String> = c["values"]
        .as_array()
        .expect("values")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    assert_eq!(values, distinct_names(records), "{c:#}");
    assert_eq!(c["first_event_time"], records[0]["eventTime"], "{c:#}");
    assert_eq!(
        c["last_event_time"],
        records[records.len() - 1]["eventTime"],
        "{c:#}"
    );
}

fn correlation_alerts(summary: &Value) -> u64 {
    summary["correlation_alerts"]
        .as_u64()
        .unwrap_or_else(|| panic!("no correlation_alerts in {summary:#}"))
}

// ---------------------------------------------------------------------------------------------
// 1. Three files, reverse order, one notification repeated.

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_split_across_three_files_read_in_reverse_and_repeated_alerts_once() {
    let w = world(ENUMERATION_RULES, &[]).await;
    let start = minutes_ago(15);
    let records = burst(ATTACKER, "rev", start, &["us-east-1"]);
    // Around the burst, in the middle file: a bystander's few reads (another group, far from
    // 12) and the attacker's own non-Lightsail call (no rule matches it).
    let mut middle = records[5..10].to_vec();
    for (i, name) in ["GetInstances", "GetBuckets", "GetDomains"]
        .iter()
        .enumerate()
    {
        let at = start + chrono::Duration::seconds(100 + 60 * i as i64);
        middle.push(call(BYSTANDER, &format!("ops-{i}"), name, at, "us-east-1"));
    }
    middle.push(call(
        ATTACKER,
        "rev-ec2",
        "DescribeInstances",
        start,
        "us-east-1",
    ));
    let files = [
        (trail_key("us-east-1", "first"), records[..5].to_vec()),
        (trail_key("us-east-1", "second"), middle),
        (trail_key("us-east-1", "third"), records[10..].to_vec()),
    ];
    for (key, body) in &files {
        w.put(key, body).await;
    }

    let mut fired = Vec::new();
    for i in [2, 1, 0, 0] {
        let summary = w.invoke(&s3_notification(&files[i].0)).await;
        assert_eq!(summary["failed"], json!([]), "{summary:#}");
        assert_eq!(summary["correlation_late"], 0, "{summary:#}");
        fired.push(correlation_alerts(&summary));
    }
    assert_eq!(
        fired,
        [0, 0, 1, 0],
        "only the file completing the burst fires, and its repeat does not"
    );

    let delivered = w.delivered().await;
    let c = the_one_alert(&delivered, ENUMERATION_ID, ATTACKER);
    assert_whole_burst(c, &records);
    assert_eq!(c["source"]["key"], files[0].0.as_str(), "{c:#}");
}

// ---------------------------------------------------------------------------------------------
// 2. Two regions' files at once.

/// The burst alternating between us-east-1 and eu-west-1, and a file for each region's half
/// (neither reaches 12 distinct calls alone): the keys and the records.
fn two_region_burst(principal: &str, tag: &str) -> (Vec<Value>, [(String, Vec<Value>); 2]) {
    let records = burst(principal, tag, minutes_ago(15), &["us-east-1", "eu-west-1"]);
    let files = ["us-east-1", "eu-west-1"].map(|region| {
        let half = in_region(&records, region);
        assert!(distinct_names(&half).len() < 12, "half a burst cannot fire");
        (trail_key(region, tag), half)
    });
    (records, files)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_burst_in_two_regions_files_read_by_two_instances_at_once_alerts_once() {
    let w = world(ENUMERATION_RULES, &["--concurrency", "2"]).await;
    // Two cold starts first, so both instances are up when the files arrive together.
    let test_event = json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": BUCKET});
    w.invoke_at_once(&[test_event.clone(), test_event]).await;
    let (records, files) = two_region_burst(ATTACKER, "two");
    for (key, body) in &files {
        w.put(key, body).await;
    }

    let payloads = files.each_ref().map(|(key, _)| s3_notification(key));
    let summaries = w.invoke_at_once(&payloads).await;
    let fired: u64 = summaries.iter().map(correlation_alerts).sum();
    assert_eq!(fired, 1, "{summaries:#?}");

    let delivered = w.delivered().await;
    let c = the_one_alert(&delivered, ENUMERATION_ID, ATTACKER);
    assert_whole_burst(c, &records);
    // Whether `cargo lambda watch` really ran two instances: one `rules loaded` per cold start.
    let cold_starts = w.watch.log_text().matches("rules loaded").count();
    eprintln!("function instances started by cargo lambda watch: {cold_starts}");
}

/// Rounds of the in-process race, each with its own principal (group).
const RACE_ROUNDS: usize = 6;

/// How a test reaches the handler.
#[derive(Debug, Clone, Copy)]
enum Entry {
    /// `Handler::invoke`, as the Lambda runtime calls it: under the invocation's request id
    /// (the owner of its claims), with a minute to its deadline.
    Runtime,
    /// `Handler::handle`, the entry for tests and local runs, which names the owner itself.
    Local,
}

/// `payload` through `handler`, retried (under the same request id) while it fails
/// retryably, as Lambda retries a failed asynchronous invocation. The summary of every attempt,
/// the failed ones included (they may have delivered alerts too).
async fn invoke_retrying(
    handler: &Handler,
    entry: Entry,
    payload: Value,
    request_id: String,
) -> Vec<Value> {
    let mut attempts = Vec::new();
    for _ in 0..=RETRIES {
        let result = match entry {
            Entry::Runtime => {
                let mut context = lambda_runtime::Context::default();
                context.request_id = request_id.clone();
                context.deadline =
                    (Utc::now() + chrono::Duration::seconds(60)).timestamp_millis() as u64;
                let event = lambda_runtime::LambdaEvent::new(payload.clone(), context);
                handler.invoke(event).await
            }
            Entry::Local => handler.handle(payload.clone()).await,
        };
        match result {
            Ok(r) => {
                attempts.push(serde_json::to_value(&r.summary).expect("summary JSON"));
                return attempts;
            }
            Err(HandlerError::Retryable { summary, .. }) => {
                attempts.push(serde_json::to_value(&summary).expect("summary JSON"));
            }
            Err(e) => panic!("{request_id}: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{request_id} kept failing: {attempts:#?}")
}

/// Correlation alerts the attempts delivered, all together.
fn delivered_by(attempts: &[Value]) -> u64 {
    attempts.iter().map(correlation_alerts).sum()
}

/// moto with the bucket, topic, queue and table, and the enumeration rules, for handlers
/// built in this process.
struct InProcess {
    aws: Aws,
    sdk: aws_config::SdkConfig,
    topic: String,
    queue: String,
    rules: Arc<RuleSet>,
    _moto: Moto,
}

async fn in_process() -> InProcess {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    let aws = Aws::new(&sdk);
    aws.create_bucket(BUCKET).await;
    let topic = aws.create_topic("trailwatch-alerts", false).await;
    let queue = aws.subscribe_queue(&topic, "alerts-raw", true, None).await;
    moto.create_state_table(TABLE).await;
    let rules = RuleSet::builder()
        .paths(&[support::repo_path(ENUMERATION_RULES)])
        .tests(false)
        .build()
        .expect("the fixture rules load");
    assert_eq!(rules.correlations().len(), 1);
    InProcess {
        aws,
        sdk,
        topic,
        queue,
        rules: Arc::new(rules),
        _moto: moto,
    }
}

impl InProcess {
    /// One function instance: the Lambda's handler with the DynamoDB state table.
    fn instance(&self) -> Handler {
        let mut settings = Settings::new(&self.topic, Arc::clone(&self.rules));
        settings.state_table = Some(TABLE.into());
        Handler::aws(&self.sdk, settings)
    }

    /// A two-region burst by `racer-{round}`, uploaded: the principal, records and keys.
    async fn upload_burst(&self, round: usize) -> (String, Vec<Value>, [String; 2]) {
        let principal = format!("arn:aws:iam::{ACCOUNT}:user/racer-{round}");
        let (records, files) = two_region_burst(&principal, &format!("race{round}"));
        for (key, half) in &files {
            self.aws.put_object(BUCKET, key, trail_gz(half)).await;
        }
        (principal, records, files.map(|(key, _)| key))
    }

    async fn delivered(&self) -> Vec<Delivered> {
        delivered(&self.aws, &self.queue).await
    }
}

/// Two function instances (two handlers, as two Lambda execution environments) each given
/// one region's half of a burst at the same moment, round after round: one alert per round.
async fn race_two_instances(entry: Entry) {
    let world = in_process().await;
    let (east, west) = (world.instance(), world.instance());
    let mut both_saw_it = 0;
    for round in 0..RACE_ROUNDS {
        let (principal, records, [east_key, west_key]) = world.upload_burst(round).await;
        let (a, b) = tokio::join!(
            invoke_retrying(
                &east,
                entry,
                s3_notification(&east_key),
                format!("east-{round}")
            ),
            invoke_retrying(
                &west,
                entry,
                s3_notification(&west_key),
                format!("west-{round}")
            ),
        );
        let got = world.delivered().await;
        assert_eq!(
            (delivered_by(&a) + delivered_by(&b), got.len()),
            (1, 1),
            "{entry:?} round {round}: one alert, not one per instance; delivered {:#?}\n\
             attempts {a:#?} / {b:#?}",
            got.iter()
                .map(|d| &d.body["correlation"])
                .collect::<Vec<_>>(),
        );
        let c = the_one_alert(&got, ENUMERATION_ID, &principal);
        assert_whole_burst(c, &records);
        // The instance that lost met the winner's claim (and retried) or its delivered alert.
        let met = |attempts: &[Value]| attempts.len() > 1 || attempts[0]["already_alerted"] != 0;
        both_saw_it += usize::from(met(&a) || met(&b));
    }
    eprintln!("{entry:?}: rounds in which both instances saw the whole burst: {both_saw_it}/{RACE_ROUNDS}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_racing_on_the_state_table_alert_once_per_burst() {
    race_two_instances(Entry::Runtime).await;
}

/// The same race through `Handler::handle`, which has no request id to name its claims: were
/// two handlers in one process to name them alike (a per-handler count, say), the claim's
/// condition (`#owner = :owner` re-takes one's own claim) would let both deliver the alert.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_handlers_in_one_process_through_handle_alert_once_per_burst() {
    race_two_instances(Entry::Local).await;
}

/// Both halves named by one notification: one invocation scans the two files at once
/// (`MAX_CONCURRENCY` 4), under one request id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_invocation_reading_both_regions_files_at_once_alerts_once_per_burst() {
    let world = in_process().await;
    let instance = world.instance();
    let mut retried = 0;
    for round in 0..RACE_ROUNDS {
        let (principal, records, [east_key, west_key]) = world.upload_burst(round).await;
        let payload = s3_notification_of(&[&east_key, &west_key]);
        let attempts =
            invoke_retrying(&instance, Entry::Runtime, payload, format!("both-{round}")).await;
        let got = world.delivered().await;
        assert_eq!(
            (delivered_by(&attempts), got.len()),
            (1, 1),
            "round {round}: one alert, not one per file; delivered {:#?}\nattempts {attempts:#?}",
            got.iter()
                .map(|d| &d.body["correlation"])
                .collect::<Vec<_>>(),
        );
        retried += usize::from(attempts.len() > 1);
        let c = the_one_alert(&got, ENUMERATION_ID, &principal);
        assert_whole_burst(c, &records);
    }
    eprintln!(
        "rounds whose invocation failed retryably, one file meeting the other's claim: \
         {retried}/{RACE_ROUNDS}"
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Both paths.

#[tokio::test(flavor = "multi_thread")]
async fn a_record_seen_through_both_paths_counts_once() {
    let w = world(BOTH_PATHS_RULES, &[]).await;
    let start = minutes_ago(12);
    let reads: Vec<Value> = [
        "GetInstances",
        "GetBuckets",
        "GetKeyPairs",
        "GetDomains",
        "GetDisks",
    ]
    .iter()
    .enumerate()
    .map(|(i, name)| {
        let at = start + chrono::Duration::seconds(60 * i as i64);
        call(ATTACKER, &format!("both-{i}"), name, at, "us-east-1")
    })
    .collect();
    let first_file = trail_key("us-east-1", "first");
    let second_file = trail_key("us-east-1", "second");
    w.put(&first_file, &reads[..4]).await;
    w.put(&second_file, &reads[4..]).await;

    // Record 4 of 4 arrives by EventBridge, then in its file with the other three: four
    // distinct records, five deliveries. `gte: 5` must not hold.
    let live = w.invoke(&eventbridge(&reads[3])).await;
    let file = w.invoke(&s3_notification(&first_file)).await;
    for summary in [&live, &file] {
        assert_eq!(summary["failed"], json!([]), "{summary:#}");
        assert_eq!(correlation_alerts(summary), 0, "{summary:#}");
    }
    let none = w.delivered().await;
    assert!(
        none.is_empty(),
        "four distinct records counted as five: {none:#?}"
    );

    // The fifth distinct record, in its file first and by EventBridge after: it fires once.
    let file = w.invoke(&s3_notification(&second_file)).await;
    assert_eq!(correlation_alerts(&file), 1, "{file:#}");
    let live = w.invoke(&eventbridge(&reads[4])).await;
    assert_eq!(correlation_alerts(&live), 0, "{live:#}");

    let delivered = w.delivered().await;
    let c = the_one_alert(&delivered, BOTH_PATHS_ID, ATTACKER);
    assert_eq!(c["measure"].as_f64(), Some(5.0), "{c:#}");
    assert_eq!(c["records"], 5, "{c:#}");
    assert_eq!(c["first_event_time"], reads[0]["eventTime"], "{c:#}");
    assert_eq!(c["last_event_time"], reads[4]["eventTime"], "{c:#}");
}
