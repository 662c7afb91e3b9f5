//! The local seam: alerts printed one per line.

use std::io::Write;

use async_trait::async_trait;

use super::{Publish, PublishError};
use crate::render::{self, Alert};

/// How the CLI prints alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// A readable line per alert.
    #[default]
    Text,
    /// The alert JSON, one object per line, as SNS subscribers receive it.
    Json,
}

#[derive(Debug, Default)]
pub struct StdoutPublisher {
    pub format: Format,
}

#[async_trait]
impl Publish for StdoutPublisher {
    async fn publish(&self, alerts: &[Alert]) -> Result<(), PublishError> {
        let mut out = std::io::stdout().lock();
        for (i, alert) in alerts.iter().enumerate() {
            let line = match self.format {
                Format::Text => render::text_line(alert),
                Format::Json => alert.to_json(),
            };
            writeln!(out, "{line}").map_err(|e| PublishError {
                failed: alerts.len() - i,
                total: alerts.len(),
                message: e.to_string(),
            })?;
        }
        out.flush().map_err(|e| PublishError {
            failed: alerts.len(),
            total: alerts.len(),
            message: e.to_string(),
        })
    }
}
