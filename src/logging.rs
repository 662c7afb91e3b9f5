//! Log set-up: JSON for CloudWatch in the Lambda, plain text on stderr for the CLI.

use tracing_subscriber::EnvFilter;

/// `RUST_LOG` wins; the Lambda's own `AWS_LAMBDA_LOG_LEVEL` is honoured where it is set.
fn filter(default: &str) -> EnvFilter {
    let directive = std::env::var("RUST_LOG")
        .or_else(|_| std::env::var("AWS_LAMBDA_LOG_LEVEL"))
        .map(|v| v.to_lowercase())
        .unwrap_or_else(|_| default.to_string());
    EnvFilter::try_new(&directive).unwrap_or_else(|_| EnvFilter::new(default))
}

/// Structured JSON lines, one per event, as CloudWatch Logs Insights reads them.
pub fn init_json() {
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter("info"))
        .with_current_span(false)
        .with_target(false)
        .try_init();
}

/// Human-readable lines on stderr, silent unless `RUST_LOG` asks: the CLI reports failures
/// itself, and stdout stays the alerts.
pub fn init_cli() {
    use std::io::IsTerminal;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter("off"))
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
