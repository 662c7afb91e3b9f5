//! Processes for the tests: servers that bind their own port and say which (no port is picked
//! free and handed on: another test could take it in between), a check that the server on a
//! port is the child we started ([`listens_in_group`]), children killed with their whole
//! process group, and the per-test moto server with the SDK config that reaches it.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use aws_config::{Region, SdkConfig};
use aws_sdk_sns::config::Credentials;

use super::{venv_tool, REGION};

/// A port on 127.0.0.1 where connections are refused for as long as the returned socket lives:
/// it is bound (so nothing else can listen there) but never listens.
pub fn refusing_port() -> (u16, tokio::net::TcpSocket) {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind("127.0.0.1:0".parse().expect("address"))
        .expect("bind 127.0.0.1:0");
    let port = socket.local_addr().expect("local addr").port();
    (port, socket)
}

/// Whether the socket listening on TCP `port` belongs to a process of process group `pgid`
/// (our child or one of its descendants), read from `/proc`: proof that the server answering
/// there is the one we started, not another test's.
pub fn listens_in_group(port: u16, pgid: u32) -> bool {
    let inodes = listening_inodes(port);
    if inodes.is_empty() {
        return false;
    }
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return false;
    };
    for entry in procs.flatten() {
        let path = entry.path();
        let stat = std::fs::read_to_string(path.join("stat")).unwrap_or_default();
        // `pid (comm) state ppid pgrp ...`; comm may hold spaces and parentheses.
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let pgrp = after
            .split_whitespace()
            .nth(2)
            .and_then(|g| g.parse::<u32>().ok());
        if pgrp != Some(pgid) {
            continue;
        }
        let Ok(fds) = std::fs::read_dir(path.join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            let target = std::fs::read_link(fd.path()).unwrap_or_default();
            let target = target.to_string_lossy();
            if inodes.iter().any(|i| target == format!("socket:[{i}]")) {
                return true;
            }
        }
    }
    false
}

/// Inodes of the sockets in LISTEN state on local TCP `port` (IPv4 and IPv6).
fn listening_inodes(port: u16) -> Vec<String> {
    let mut out = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(table).unwrap_or_default();
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state), Some(inode)) = (f.get(1), f.get(3), f.get(9)) else {
                continue;
            };
            let local_port = local
                .rsplit_once(':')
                .and_then(|(_, p)| u16::from_str_radix(p, 16).ok());
            if local_port == Some(port) && *state == "0A" {
                out.push((*inode).to_string());
            }
        }
    }
    out
}

/// Waits for the first line of `out` that `parse` accepts, or panics after `timeout` (or
/// when the child exits first, as `alive` tells).
fn read_announcement<T: Send + 'static>(
    out: ChildStdout,
    timeout: Duration,
    parse: fn(&str) -> Option<T>,
    mut alive: impl FnMut() -> Result<(), String>,
) -> (T, std::thread::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel();
    // Keeps reading to the end, so the child never blocks on a full pipe.
    let reader = std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if !sent {
                if let Some(v) = parse(&line) {
                    sent = tx.send(v).is_ok();
                }
            }
        }
    });
    let deadline = Instant::now() + timeout;
    loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(v) => return (v, reader),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                panic!(
                    "the server exited without saying where it listens: {:?}",
                    alive()
                )
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if let Err(why) = alive() {
            panic!("the server died before it listened: {why}");
        }
        assert!(
            Instant::now() < deadline,
            "the server did not say where it listens within {timeout:?}"
        );
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

    /// The child's stdout, which must have been piped.
    pub fn take_stdout(&mut self) -> ChildStdout {
        self.child.stdout.take().expect("stdout is piped")
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

/// Runs moto's server on a port the kernel picks and prints that port: the port comes from
/// the socket the server already listens on, so no other process can hold it. DynamoDB calls
/// are served one at a time: moto checks a condition and writes in separate steps, so two
/// threads could both pass `attribute_not_exists` (two winners of one claim), which DynamoDB
/// itself never allows.
const MOTO_ON_ANY_PORT: &str = "
import threading
from werkzeug.serving import make_server
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication, MotoRequestHandler, create_backend_app)
app = DomainDispatcherApplication(create_backend_app)
dynamodb = threading.Lock()
def serve(environ, start_response):
    if environ.get('HTTP_X_AMZ_TARGET', '').startswith('DynamoDB'):
        with dynamodb:
            return list(app(environ, start_response))
    return app(environ, start_response)
server = make_server('127.0.0.1', 0, serve, threaded=True, request_handler=MotoRequestHandler)
print('moto listening on', server.server_port, flush=True)
server.serve_forever()
";

/// One moto server (S3, SNS, SQS, DynamoDB) on its own port; stopped on drop.
pub struct Moto {
    pub port: u16,
    pub endpoint: String,
    _server: Spawned,
    _stdout: std::thread::JoinHandle<()>,
}

impl Moto {
    pub fn start() -> Moto {
        // moto_server itself cannot say which port `-p 0` gave it; the venv's python runs the
        // same application and can.
        venv_tool("moto_server");
        let mut cmd = Command::new(venv_tool("python"));
        cmd.args(["-c", MOTO_ON_ANY_PORT])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut server = Spawned::spawn("moto server", cmd);
        let out = server.take_stdout();
        let parse = |line: &str| {
            line.strip_prefix("moto listening on ")?
                .trim()
                .parse::<u16>()
                .ok()
        };
        let (port, reader) =
            read_announcement(out, Duration::from_secs(60), parse, || server.check_alive());
        assert!(
            listens_in_group(port, server.pid()),
            "port {port} is not held by the moto server we started"
        );
        Moto {
            port,
            endpoint: format!("http://127.0.0.1:{port}"),
            _server: server,
            _stdout: reader,
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
