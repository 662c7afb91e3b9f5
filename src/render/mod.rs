//! Render stage: an alert, a digest or a correlation alert ([`crate::alert`]) written in the
//! forms its readers need, one module per form ([`text`], [`chatbot`], [`subject`](mod@subject), [`csv`],
//! [`attributes`]) for all three; [`digest`] and [`correlation`] hold what several forms of
//! one kind say alike.
//!
//! The alert JSON is the one shape shared by the CLI (`--format json`) and machine subscribers
//! (SQS, Lambda), so a rule tried locally produces exactly what production will send. People get
//! [`text`] (email) and [`chatbot`] (Slack through AWS Chatbot); both read the same [`facts`].
//! Event fields are attacker-controlled: [`sanitize`] keeps them inert and bounded.

pub mod attributes;
pub mod chatbot;
pub mod correlation;
pub mod csv;
pub mod digest;
pub mod facts;
pub mod sanitize;
pub mod subject;
pub mod summary_template;
pub mod text;

pub use facts::{level_upper, Facts};
pub use sanitize::truncate;
pub use subject::subject;
pub use text::text_line;
