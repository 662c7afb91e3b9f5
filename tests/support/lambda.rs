//! `cargo lambda watch` (the real Lambda Runtime API) serving the debug `trailwatch-lambda` with
//! the function's environment against moto, and `cargo lambda invoke` sending it payload files.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Moto, Spawned};

const BUILD_AND_INVOKE: Duration = Duration::from_secs(15 * 60);

/// PATH with `.venv/bin` first, so `cargo lambda` resolves to the venv's cargo-lambda.
fn venv_path() -> String {
    super::venv_tool("cargo-lambda");
    let venv = super::repo_path(".venv/bin");
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
    cmd.current_dir(super::repo_path(""))
        .env("PATH", venv_path())
        .stdin(Stdio::null());
    cmd
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// Tries at starting `cargo lambda watch` before giving up.
const WATCH_ATTEMPTS: usize = 8;

/// A port to offer `cargo lambda watch`, which cannot bind port 0 (it takes 0 for its default,
/// 9000). Drawn below Linux's ephemeral range (32768-60999), where the kernel places the
/// servers that bind port 0 (moto, the fault proxy) and outgoing connections; another
/// `cargo lambda watch` may still draw the same one, hence the retries and the ownership check.
fn candidate_port() -> u16 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    10_000 + (h.finish() % 22_768) as u16
}

/// `cargo lambda watch` with the function's environment; stopped on drop.
pub struct Watch {
    port: u16,
    log: PathBuf,
    _server: Spawned,
}

impl Watch {
    pub fn start(moto: &Moto, topic_arn: &str, state_table: &str, log_dir: &Path) -> Watch {
        Watch::start_with(moto, topic_arn, state_table, log_dir, &[], &[])
    }

    /// Invokes `trailwatch-lambda` with a payload file and returns what the function returned.
    pub fn invoke(&self, data_file: &str, log_dir: &Path) -> Value {
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

impl Watch {
    /// [`Watch::start`] with extra `cargo lambda watch` arguments (such as `--concurrency 2`)
    /// and extra environment for the function (such as `RULES_PATH`). It is ours once a socket
    /// of its process group listens on the port offered; a port already taken makes it exit
    /// at once, and another port is tried.
    pub fn start_with(
        moto: &Moto,
        topic_arn: &str,
        state_table: &str,
        log_dir: &Path,
        args: &[&str],
        env: &[(&str, String)],
    ) -> Watch {
        let log = log_dir.join("watch.log");
        let mut exits = Vec::new();
        for _ in 0..WATCH_ATTEMPTS {
            let port = candidate_port();
            let out = std::fs::File::create(&log).expect("watch log");
            let mut cmd = cargo();
            cmd.args(["lambda", "watch", "--ignore-changes"])
                .args(["-A", "127.0.0.1", "-P", &port.to_string()])
                .args(args)
                .envs(moto.env())
                .env("ALERT_TOPIC_ARN", topic_arn)
                .env("STATE_TABLE", state_table)
                .env_remove("RULES_PATH")
                .env_remove("RULES_S3_URI")
                .env("RUST_LOG", "info")
                .envs(env.iter().map(|(k, v)| (k, v)))
                .stdout(out.try_clone().expect("log handle"))
                .stderr(out);
            let mut server = Spawned::spawn("cargo lambda watch", cmd);
            let deadline = Instant::now() + Duration::from_secs(120);
            loop {
                if super::listens_in_group(port, server.pid()) {
                    return Watch {
                        port,
                        log,
                        _server: server,
                    };
                }
                if let Err(e) = server.check_alive() {
                    exits.push(format!("port {port}: {e}\n{}", tail(&log)));
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "cargo lambda watch did not listen on {port} within 120 s:\n{}",
                    tail(&log)
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        panic!(
            "cargo lambda watch exited on {WATCH_ATTEMPTS} ports: {}",
            exits.join("\n")
        );
    }

    /// Everything `cargo lambda watch` and the function have logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Watch {
    /// [`Watch::invoke`] for an invocation that may fail: the function's JSON response, or what
    /// `cargo lambda invoke` printed when there was none (a function error, such as
    /// `trailwatch.RetryableFailure`, which Lambda would retry).
    pub fn try_invoke(&self, data_file: &str, log_dir: &Path) -> Result<Value, String> {
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
        serde_json::from_str(stdout.trim()).map_err(|_| {
            format!(
                "{stdout}\n{}",
                std::fs::read_to_string(&err_path).unwrap_or_default()
            )
        })
    }
}
