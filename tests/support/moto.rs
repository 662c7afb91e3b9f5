//! Processes for the tests: free ports, waiting for a server to answer, children killed with
//! their whole process group, and the per-test `moto_server` with the SDK config that reaches it.

use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{Region, SdkConfig};
use aws_sdk_sns::config::Credentials;

use super::{venv_tool, REGION};

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

/// One `moto_server` serving S3, SNS and SQS on its own port; stopped on drop.
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

/// Every item of the state table `table`, as moto holds it.
pub async fn state_items(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
    let items = client.scan().table_name(table).send().await.expect("scan");
    items.items.unwrap_or_default()
}

/// Deletes every item of the state table `table`.
pub async fn clear_state_table(client: &aws_sdk_dynamodb::Client, table: &str) {
    for item in state_items(client, table).await {
        let mut delete = client.delete_item().table_name(table);
        for k in ["pk", "sk"] {
            if let Some(v) = item.get(k) {
                delete = delete.key(k, v.clone());
            }
        }
        delete.send().await.expect("delete item");
    }
}
