//! Why a state call failed, with the cause kept as its `source`.

/// A cause, kept for `source()` chains and logs.
type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a state call failed.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Throttled, 5xx, timed out or unreachable after the SDK's retries.
    #[error("state table unavailable: {message}")]
    Unavailable {
        /// What failed, and the cause in one line.
        message: String,
        /// The SDK's error.
        #[source]
        source: Option<Cause>,
    },
    /// Anything else: no table, no permission, a malformed request or item.
    #[error("state table: {message}")]
    Other {
        /// What failed, and the cause in one line.
        message: String,
        /// The SDK's or the decoder's error.
        #[source]
        source: Option<Cause>,
    },
}

impl StateError {
    /// The table could not be reached: `STATE_UNAVAILABLE` applies.
    pub fn unavailable(message: impl Into<String>) -> Self {
        StateError::Unavailable {
            message: message.into(),
            source: None,
        }
    }

    /// Any other failure.
    pub fn other(message: impl Into<String>) -> Self {
        StateError::Other {
            message: message.into(),
            source: None,
        }
    }

    /// The same error, keeping `cause` as its source.
    #[must_use]
    pub fn caused_by(mut self, cause: impl Into<Cause>) -> Self {
        match &mut self {
            StateError::Unavailable { source, .. } | StateError::Other { source, .. } => {
                *source = Some(cause.into());
            }
        }
        self
    }

    /// Whether the pipeline's `STATE_UNAVAILABLE` policy applies.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StateError::Unavailable { .. })
    }
}
