//! The real `trailwatch-lambda` binary behind `cargo lambda watch` (the Lambda Runtime API),
//! invoked with `events/s3-put.json` through `cargo lambda invoke`, against moto.
//!
//! The first run builds the function in debug mode inside `cargo lambda watch`; the timeouts
//! are generous for that.
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{Aws, Moto, Spawned, ROOT_REBOOT_EVENT_ID, ROOT_REBOOT_RULE};

const BUILD_AND_INVOKE: Duration = Duration::from_secs(15 * 60);

/// PATH with `.venv/bin` first, so `cargo lambda` resolves to the venv's cargo-lambda.
fn venv_path() -> String {
    support::venv_tool("cargo-lambda");
    let venv = support::repo_path(".venv/bin");
    match std::env::var("PATH") {
        Ok(path) => format!("{}:{path}", venv.display()),
        Err(_) => venv.display().to_string(),
    }
}

/// A `cargo` command with none of the variables `cargo test` sets for this test binary.
/// Several build scripts (aws-lc-sys, ring, ...) rerun when `CARGO_MANIFEST_DIR` or
/// `CARGO_PKG_*` change, so letting them leak into the nested build would rebuild half the
/// dependency graph here and again in the next `cargo test`.
fn cargo() -> Command {
    const SET_BY_CARGO_TEST: [&str; 8] = [
        "CARGO_MANIFEST_",
        "CARGO_PKG_",
        "CARGO_CRATE_NAME",
        "CARGO_BIN_",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_TARGET_TMPDIR",
        "CARGO_RUSTC_CURRENT_DIR",
        "OUT_DIR",
    ];
    let mut cmd = Command::new("cargo");
    for (name, _) in std::env::vars_os() {
        let leaked = name
            .to_str()
            .is_some_and(|n| SET_BY_CARGO_TEST.iter().any(|p| n.starts_with(p)));
        if leaked {
            cmd.env_remove(&name);
        }
    }
    cmd.current_dir(support::repo_path(""))
        .env("PATH", venv_path())
        .stdin(Stdio::null());
    cmd
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// `cargo lambda watch` on a free port with the function's environment; stopped on drop.
struct Watch {
    port: u16,
    log: PathBuf,
    _server: Spawned,
}

impl Watch {
    fn start(moto: &Moto, topic_arn: &str, log_dir: &Path) -> Watch {
        let port = support::free_port();
        let log = log_dir.join("watch.log");
        let out = std::fs::File::create(&log).expect("watch log");
        let mut cmd = cargo();
        cmd.args(["lambda", "watch", "--ignore-changes"])
            .args(["-A", "127.0.0.1", "-P", &port.to_string()])
            .envs(moto.env())
            .env("ALERT_TOPIC_ARN", topic_arn)
            .env_remove("RULES_PATH")
            .env_remove("RULES_S3_URI")
            .env("RUST_LOG", "info")
            .stdout(out.try_clone().expect("log handle"))
            .stderr(out);
        let mut server = Spawned::spawn("cargo lambda watch", cmd);
        support::wait_for_port(port, Duration::from_secs(120), || {
            server
                .check_alive()
                .map_err(|e| format!("{e}\n{}", tail(&log)))
        });
        Watch {
            port,
            log,
            _server: server,
        }
    }

    /// Invokes `trailwatch-lambda` with a payload file and returns what the function returned.
    fn invoke(&self, data_file: &str, log_dir: &Path) -> Value {
        let out_path = log_dir.join("invoke.out");
        let err_path = log_dir.join("invoke.err");
        let mut cmd = cargo();
        cmd.args(["lambda", "invoke", "trailwatch-lambda"])
            .args(["-A", "127.0.0.1", "-P", &self.port.to_string()])
            .args(["--data-file", data_file])
            .stdout(std::fs::File::create(&out_path).expect("invoke out"))
            .stderr(std::fs::File::create(&err_path).expect("invoke err"));
        let mut invoke = Spawned::spawn("cargo lambda invoke", cmd);

        let deadline = Instant::now() + BUILD_AND_INVOKE;
        while invoke.check_alive().is_ok() {
            assert!(
                Instant::now() < deadline,
                "invoke did not return within {BUILD_AND_INVOKE:?}; watch log:\n{}",
                tail(&self.log)
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
            panic!(
                "invoke output is not the JSON summary ({e}):\n{stdout}\ninvoke stderr:\n{}\nwatch log:\n{}",
                tail(&err_path),
                tail(&self.log)
            )
        })
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn lambda_runtime_turns_s3_put_into_one_sns_alert() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.sdk_config().await);
    let world = support::demo_world(&aws).await;
    let logs = tempfile::tempdir().expect("tempdir");

    let watch = Watch::start(&moto, &world.topic_arn, logs.path());
    let summary = tokio::task::block_in_place(|| watch.invoke("events/s3-put.json", logs.path()));

    assert_eq!(summary["objects"], 1, "{summary:#}");
    assert_eq!(summary["events"], 5, "{summary:#}");
    assert_eq!(summary["alerts"], 1, "{summary:#}");
    assert_eq!(summary["failed"], serde_json::json!([]), "{summary:#}");

    let alerts = aws.receive_json(&world.queue_url).await;
    assert_eq!(alerts.len(), 1, "exactly one alert, got {alerts:#?}");
    assert_eq!(alerts[0]["event"]["eventID"], ROOT_REBOOT_EVENT_ID);
    assert_eq!(alerts[0]["rule"]["id"], support::rule_id(ROOT_REBOOT_RULE));
    assert_eq!(alerts[0]["source"]["key"], world.key.as_str());
}

/// Every trigger shape in `events/` through the real runtime: each names the demo delivery (or
/// a missing or corrupt neighbour) and must produce the root reboot alert, or the right failure.
#[tokio::test(flavor = "multi_thread")]
async fn every_trigger_shape_reaches_the_same_alert() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.sdk_config().await);
    let world = support::demo_world(&aws).await;
    let corrupt = world
        .key
        .replace("20261125T1005Z_demo trail", "20261125T1010Z_corrupt");
    aws.put_object(
        support::DEMO_BUCKET,
        &corrupt,
        b"\x1f\x8bnot really gzip".to_vec(),
    )
    .await;
    let logs = tempfile::tempdir().expect("tempdir");
    let watch = Watch::start(&moto, &world.topic_arn, logs.path());
    let invoke = |file: &str| tokio::task::block_in_place(|| watch.invoke(file, logs.path()));

    for file in [
        "events/sns-s3.json",
        "events/sns-cloudtrail.json",
        "events/eventbridge-object-created.json",
        "events/sqs-s3.json",
        "events/sqs-sns-s3.json",
    ] {
        let response = invoke(file);
        let alerts = aws.receive_json(&world.queue_url).await;
        assert_eq!(
            alerts.len(),
            1,
            "{file}: one alert, got {alerts:#?}; response {response:#}"
        );
        assert_eq!(
            alerts[0]["event"]["eventID"], ROOT_REBOOT_EVENT_ID,
            "{file}"
        );
        if file.contains("sqs") {
            assert_eq!(
                response,
                serde_json::json!({"batchItemFailures": []}),
                "{file}"
            );
        }
    }

    let response = invoke("events/s3-test-event.json");
    assert_eq!(response["objects"], 0, "{response:#}");

    let response = invoke("events/sqs-batch-missing.json");
    let failures = response["batchItemFailures"]
        .as_array()
        .expect("SQS response");
    assert_eq!(failures.len(), 1, "{response:#}");
    assert_eq!(
        failures[0]["itemIdentifier"],
        "00000002-1111-4222-8333-444455556662"
    );
    assert_eq!(
        aws.receive_json(&world.queue_url).await.len(),
        2,
        "two good messages alert"
    );

    for file in ["events/batch-1.0.json", "events/batch-2.0.json"] {
        let response = invoke(file);
        let codes: Vec<&str> = response["results"]
            .as_array()
            .expect("Batch response")
            .iter()
            .map(|r| r["resultCode"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(
            codes,
            ["Succeeded", "PermanentFailure"],
            "{file}: {response:#}"
        );
        assert_eq!(aws.receive_json(&world.queue_url).await.len(), 1, "{file}");
    }
}
