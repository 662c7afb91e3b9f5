//! The Lambda entry point: the pipeline with AWS seams.
//!
//! The contract with Lambda: an invocation succeeds when every object was either scanned or
//! failed for good (missing, corrupt: logged and counted, never retried forever). It fails when
//! anything could succeed on a retry, so Lambda retries it and its on-failure destination keeps it.

use std::sync::Arc;

use lambda_runtime::Diagnostic;
use serde_json::Value;

use crate::config::{ConfigError, Settings};
use crate::fetch::S3Fetch;
use crate::pipeline::{Pipeline, Summary};
use crate::publish::SnsPublisher;
use crate::trigger::{self, TriggerError};

#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error(transparent)]
    Trigger(#[from] TriggerError),
    #[error("{count} object(s) failed and may succeed on retry: {summary}")]
    Retryable { count: usize, summary: String },
}

impl From<HandlerError> for Diagnostic {
    fn from(e: HandlerError) -> Diagnostic {
        let error_type = match e {
            HandlerError::Trigger(_) => "trailwatch.UnrecognisedPayload",
            HandlerError::Retryable { .. } => "trailwatch.RetryableFailure",
        };
        Diagnostic {
            error_type: error_type.into(),
            error_message: e.to_string(),
        }
    }
}

/// Built once per cold start and reused by every invocation.
pub struct Handler {
    pipeline: Pipeline,
}

impl Handler {
    pub fn new(sdk: &aws_config::SdkConfig, settings: Settings) -> Handler {
        let fetch = S3Fetch::new(aws_sdk_s3::Client::new(sdk));
        let publish = SnsPublisher::new(aws_sdk_sns::Client::new(sdk), settings.routes)
            .max_alerts_per_rule(settings.max_alerts_per_rule_per_object);
        Handler {
            pipeline: Pipeline::new(Arc::new(fetch), settings.rules, Arc::new(publish)),
        }
    }

    /// Reads the environment and the standard AWS configuration chain.
    pub async fn from_env() -> Result<Handler, ConfigError> {
        let settings = Settings::from_env()?;
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        Ok(Handler::new(&sdk, settings))
    }

    pub async fn handle(&self, payload: Value) -> Result<Summary, HandlerError> {
        let trigger = trigger::parse(&payload)?;
        for skip in &trigger.skipped {
            tracing::info!(object = %skip.object, reason = %skip.reason, "object skipped");
        }
        let mut summary = Summary {
            skipped: trigger.skipped,
            ..Summary::default()
        };
        self.pipeline.run(&trigger.objects, &mut summary).await;
        let text = serde_json::to_string(&summary).unwrap_or_default();
        tracing::info!(summary = %text, "invocation done");
        let retryable = summary.failed.iter().filter(|f| f.retryable).count();
        if retryable > 0 {
            return Err(HandlerError::Retryable {
                count: retryable,
                summary: text,
            });
        }
        Ok(summary)
    }
}
