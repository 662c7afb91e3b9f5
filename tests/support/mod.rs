//! Real local AWS peers for the end-to-end tests: a `moto_server` per test on a free
//! `127.0.0.1` port, an `SdkConfig` pointing at it, and helpers to set up buckets, topics and
//! queues and to read back what SNS delivered.
//!
//! `.venv` (created by `make test` / `make .venv`) provides `moto_server` and `cargo-lambda`.
#![allow(dead_code)] // each test binary uses a different subset

pub mod http;

use std::collections::HashMap;
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{Region, SdkConfig};
use aws_sdk_sns::config::Credentials;
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName, QueueAttributeName};

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

/// A port on 127.0.0.1 that nothing listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

/// Waits until something accepts TCP connections on `127.0.0.1:port`, or panics after
/// `timeout`; `alive` is asked between tries so a crashed server fails fast.
pub fn wait_for_port(port: u16, timeout: Duration, mut alive: impl FnMut() -> Result<(), String>) {
    let deadline = Instant::now() + timeout;
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Err(why) = alive() {
            panic!("server on port {port} died before it answered: {why}");
        }
        assert!(
            Instant::now() < deadline,
            "nothing answered on 127.0.0.1:{port} within {timeout:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A child process in its own process group, killed with its whole group on drop.
pub struct Spawned {
    pub name: String,
    child: Child,
}

impl Spawned {
    /// Spawns `cmd` as the leader of a new process group.
    pub fn spawn(name: &str, mut cmd: Command) -> Spawned {
        cmd.process_group(0);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {name}: {e}"));
        Spawned {
            name: name.to_string(),
            child,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Ok while the process runs; its exit status once it has ended.
    pub fn check_alive(&mut self) -> Result<(), String> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(format!("{} exited: {status}", self.name)),
            Err(e) => Err(format!("{}: {e}", self.name)),
        }
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        // The group id is the leader's pid; `kill -- -PGID` reaches grandchildren too
        // (cargo lambda watch → cargo run → the function).
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One `moto_server` serving S3, SNS, SQS and DynamoDB on its own port; stopped on drop.
pub struct Moto {
    pub port: u16,
    pub endpoint: String,
    _server: Spawned,
}

impl Moto {
    pub fn start() -> Moto {
        let bin = venv_tool("moto_server");
        let port = free_port();
        let mut cmd = Command::new(bin);
        cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut server = Spawned::spawn("moto_server", cmd);
        wait_for_port(port, Duration::from_secs(30), || server.check_alive());
        Moto {
            port,
            endpoint: format!("http://127.0.0.1:{port}"),
            _server: server,
        }
    }

    /// The environment a child process (the Lambda, the CLI) needs to talk to this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_REGION", REGION.to_string()),
            ("AWS_DEFAULT_REGION", REGION.to_string()),
            ("AWS_ACCESS_KEY_ID", "test".to_string()),
            ("AWS_SECRET_ACCESS_KEY", "test".to_string()),
        ]
    }

    /// An SDK config pointing at this server, with static test credentials.
    pub async fn sdk_config(&self) -> SdkConfig {
        trailwatch::aws::loader()
            .endpoint_url(&self.endpoint)
            .region(Region::new(REGION))
            .credentials_provider(Credentials::new("test", "test", None, None, "moto"))
            .load()
            .await
    }
}

impl Moto {
    /// A table shaped as template.yaml's `StateTable` (string `pk` and `sk`, on-demand, TTL on
    /// `expires_at`), and a client for it.
    pub async fn create_state_table(&self, table: &str) -> aws_sdk_dynamodb::Client {
        use aws_sdk_dynamodb::types::{
            AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
            TimeToLiveSpecification,
        };
        let client = aws_sdk_dynamodb::Client::new(&self.sdk_config().await);
        let attr = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attribute definition")
        };
        let key = |name: &str, kind| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
                .expect("key schema")
        };
        client
            .create_table()
            .table_name(table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attr("pk"))
            .attribute_definitions(attr("sk"))
            .key_schema(key("pk", KeyType::Hash))
            .key_schema(key("sk", KeyType::Range))
            .send()
            .await
            .unwrap_or_else(|e| panic!("create table {table}: {e:?}"));
        let ttl = TimeToLiveSpecification::builder()
            .enabled(true)
            .attribute_name(trailwatch::state::dynamodb::TTL_ATTRIBUTE)
            .build()
            .expect("TTL specification");
        client
            .update_time_to_live()
            .table_name(table)
            .time_to_live_specification(ttl)
            .send()
            .await
            .unwrap_or_else(|e| panic!("TTL on {table}: {e:?}"));
        client
    }
}

/// Clients for the three services, built from one config.
pub struct Aws {
    pub s3: aws_sdk_s3::Client,
    pub sns: aws_sdk_sns::Client,
    pub sqs: aws_sdk_sqs::Client,
}

impl Aws {
    pub fn new(sdk: &SdkConfig) -> Aws {
        Aws {
            s3: aws_sdk_s3::Client::new(sdk),
            sns: aws_sdk_sns::Client::new(sdk),
            sqs: aws_sdk_sqs::Client::new(sdk),
        }
    }

    pub async fn create_bucket(&self, bucket: &str) {
        self.s3
            .create_bucket()
            .bucket(bucket)
            .send()
            .await
            .unwrap_or_else(|e| panic!("create bucket {bucket}: {e:?}"));
    }

    pub async fn put_object(&self, bucket: &str, key: &str, body: Vec<u8>) {
        self.s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(body.into())
            .send()
            .await
            .unwrap_or_else(|e| panic!("put s3://{bucket}/{key}: {e:?}"));
    }

    pub async fn put_file(&self, bucket: &str, key: &str, file: &Path) {
        let body = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        self.put_object(bucket, key, body).await;
    }

    /// Creates a topic and returns its ARN; a FIFO topic's name gets the `.fifo` suffix.
    pub async fn create_topic(&self, name: &str, fifo: bool) -> String {
        let mut req = self.sns.create_topic();
        if fifo {
            req = req
                .name(format!("{name}.fifo"))
                .attributes("FifoTopic", "true")
                .attributes("ContentBasedDeduplication", "true");
        } else {
            req = req.name(name);
        }
        let out = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("create topic {name}: {e:?}"));
        out.topic_arn().expect("topic ARN").to_string()
    }

    /// Creates a queue (FIFO when the topic is) subscribed to `topic_arn` and returns its URL.
    /// `raw` sets `RawMessageDelivery`; `filter_policy` is a JSON SNS filter policy.
    pub async fn subscribe_queue(
        &self,
        topic_arn: &str,
        queue_name: &str,
        raw: bool,
        filter_policy: Option<&str>,
    ) -> String {
        let fifo = topic_arn.ends_with(".fifo");
        let mut req = self.sqs.create_queue();
        if fifo {
            req = req
                .queue_name(format!("{queue_name}.fifo"))
                .attributes(QueueAttributeName::FifoQueue, "true")
                .attributes(QueueAttributeName::ContentBasedDeduplication, "true");
        } else {
            req = req.queue_name(queue_name);
        }
        let queue_url = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("create queue {queue_name}: {e:?}"))
            .queue_url()
            .expect("queue URL")
            .to_string();
        self.subscribe_existing_queue(topic_arn, &queue_url, raw, filter_policy)
            .await;
        queue_url
    }

    /// Subscribes the queue at `queue_url` to `topic_arn`, as [`Aws::subscribe_queue`] does
    /// for the queues it creates.
    pub async fn subscribe_existing_queue(
        &self,
        topic_arn: &str,
        queue_url: &str,
        raw: bool,
        filter_policy: Option<&str>,
    ) {
        let queue_arn = self
            .sqs
            .get_queue_attributes()
            .queue_url(queue_url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .expect("queue attributes")
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
            .expect("queue ARN");

        let mut sub = self
            .sns
            .subscribe()
            .topic_arn(topic_arn)
            .protocol("sqs")
            .endpoint(queue_arn)
            .attributes("RawMessageDelivery", raw.to_string());
        if let Some(policy) = filter_policy {
            sub = sub.attributes("FilterPolicy", policy);
        }
        sub.send()
            .await
            .unwrap_or_else(|e| panic!("subscribe {queue_url} to {topic_arn}: {e:?}"));
    }

    /// Everything waiting on the queue, deleted as it is read. Polls until a receive comes back
    /// empty (SNS→SQS delivery in moto is immediate) or `deadline` passes.
    pub async fn receive_all(&self, queue_url: &str, deadline: Duration) -> Vec<Message> {
        let until = Instant::now() + deadline;
        let mut all = Vec::new();
        while Instant::now() < until {
            let out = self
                .sqs
                .receive_message()
                .queue_url(queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .message_attribute_names("All")
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .send()
                .await
                .expect("receive message");
            let batch = out.messages.unwrap_or_default();
            if batch.is_empty() {
                break;
            }
            for m in &batch {
                if let Some(handle) = m.receipt_handle() {
                    self.sqs
                        .delete_message()
                        .queue_url(queue_url)
                        .receipt_handle(handle)
                        .send()
                        .await
                        .expect("delete message");
                }
            }
            all.extend(batch);
        }
        all
    }

    /// The bodies of everything waiting on the queue, parsed as JSON.
    pub async fn receive_json(&self, queue_url: &str) -> Vec<serde_json::Value> {
        self.receive_all(queue_url, Duration::from_secs(5))
            .await
            .iter()
            .map(|m| {
                let body = m.body().unwrap_or_default();
                serde_json::from_str(body)
                    .unwrap_or_else(|e| panic!("message body is not JSON ({e}): {body}"))
            })
            .collect()
    }
}

/// String message attributes of an SQS message (as SNS forwards them with raw delivery).
pub fn string_attributes(m: &Message) -> HashMap<String, String> {
    m.message_attributes()
        .map(|attrs| {
            attrs
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), v.string_value()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
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
