//! trailwatch turns CloudTrail deliveries into security alerts.
//!
//! CloudTrail writes every API call in an account as gzipped `{"Records":[...]}` files in S3. When
//! a file lands, one event travels a straight line of stages, each a module named after it:
//!
//! ```text
//! trigger ─▶ fetch ─▶ decode ─▶ enrich ─▶ matching ─▶ correlate ─▶ verdict ─▶ plan ─────────────▶ deliver
//! payload    object   records   who,      rules that  per-group    the state  dedup, storm,        claim, send,
//! → objects  → bytes  one by    from      match       slices →     table's    render, route, batch mark
//!                     one       where                 windows      answers                         delivered
//! ```
//!
//! - [`trigger`] reads a Lambda payload (or a CLI listing) and says which objects to look at,
//!   and which to skip and why.
//! - [`fetch`] opens an object as a byte stream: from S3 in the Lambda, from disk in the CLI.
//! - [`decode`] inflates and walks the `Records` array one record at a time, so memory stays flat
//!   whatever the file's size.
//! - [`enrich`] names who acted, from where and in which account (`enrichment.*`), from
//!   data loaded at start; the matcher asks for it only where a rule reads it, and every
//!   record that becomes an alert carries it.
//! - [`matching`] checks each record against the compiled [`rules`] (Sigma; the rule language is
//!   its own crate, `trailwatch-rules`), skipping records no rule's index admits before parsing
//!   them.
//! - [`correlate`] files the matches of correlated rules into per-group slices, and settles them
//!   over event time into the windows that fire, through its [`correlate::CorrelationStore`].
//! - [`verdict`] is the one place that asks the state table about an object, once it is read:
//!   whether each `suppress:` combination is the first in its window, and which correlation
//!   windows fire; `STATE_UNAVAILABLE` is applied there and in claims by one function
//!   ([`state::Health::fail`]).
//! - [`plan`] is pure: it de-duplicates, applies storm control (a storm's rest counted into a
//!   digest), renders each alert once, routes it and packs batches, handing each batch on as
//!   soon as it is full; after the verdicts it plans what they release. What is sent is an
//!   [`alert`] (a match, a digest, or a correlation that fired), as data; [`render`] writes it
//!   in each form its readers need (text, Chatbot card, subject, CSV row, SNS attributes).
//! - [`deliver`] runs the exactly-once protocol: each batch's alerts are claimed (ahead of their
//!   turn), sent through the output seam (SNS in the Lambda, stdout in the CLI, memory in
//!   tests), and marked delivered.
//!
//! [`pipeline`] wires the stages for a list of objects (the EventBridge events of one invocation
//! as one unit), and [`handler`] is the Lambda's entry point: the same pipeline with AWS seams.
//! The `trailwatch` CLI (its own package, `crates/trailwatch-cli`) runs it with local seams.
//! [`state`] implements the stages' seams on the DynamoDB table, or in memory.
#![deny(missing_docs)]

pub mod alert;
pub mod aws;
pub mod config;
pub mod correlate;
pub mod decode;
pub mod deliver;
pub mod enrich;
pub mod fetch;
pub mod handler;
pub mod logging;
pub mod matching;
pub mod metrics;
pub mod pack;
pub mod pipeline;
pub mod plan;
pub mod render;
pub mod rules_source;
pub mod state;
pub mod trigger;
pub mod verdict;

pub use fetch::ObjectRef;
/// The rule language (its own crate): parse, compile and evaluate Sigma rules and correlations.
pub use trailwatch_rules as rules;
