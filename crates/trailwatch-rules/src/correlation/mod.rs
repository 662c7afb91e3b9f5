//! Sigma correlation rules (specification 2.1): what they say, once parsed and resolved.
//!
//! A correlation is parsed from its YAML document (`parse`), then resolved against every
//! loaded rule and correlation (`resolve`): references by id or `name`, chains, cycles,
//! aliases. What is left is a [`Correlation`]: plain data the `correlate` stage evaluates over
//! event time. `RULES.md` ("Correlation rules") is the authors' reference.
pub(super) mod cases;
mod model;
pub(super) mod parse;
pub(super) mod resolve;

pub use cases::{CorrelationCase, ExpectedAlert};
pub use model::{Condition, Correlation, CorrelationType, Input, Op};
