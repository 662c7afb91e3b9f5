//! trailwatch turns CloudTrail deliveries into security alerts.
//!
//! CloudTrail writes every API call in an account as gzipped `{"Records":[...]}` files in S3. When
//! a file lands, one event travels a straight line of stages, each a module named after it:
//!
//! ```text
//! trigger ──▶ fetch ──▶ decode ──▶ matching ──▶ plan ──────────────▶ deliver
//! payload     object    records    rules that   dedup, storm,        SNS topic
//! → objects   → bytes   one by one  match       render, route, batch (or stdout)
//! ```
//!
//! - [`trigger`] reads a Lambda payload (or a CLI listing) and says which objects to look at,
//!   and which to skip and why.
//! - [`fetch`] opens an object as a byte stream: from S3 in the Lambda, from disk in the CLI.
//! - [`decode`] inflates and walks the `Records` array one record at a time, so memory stays flat
//!   whatever the file's size.
//! - [`matching`] checks each record against the compiled [`rules`] (Sigma; the rule language is
//!   its own crate, `trailwatch-rules`), skipping records no rule's index admits before parsing
//!   them.
//! - [`plan`] is pure: it de-duplicates, applies storm control (a storm's rest counted into a
//!   digest), renders each alert once, routes it and packs batches, handing each batch on as
//!   soon as it is full. What is sent is an [`alert`] (a match, a digest, or a correlation
//!   that fired), as data; [`render`] writes it in each form its readers need (text, Chatbot
//!   card, subject, CSV row, SNS attributes).
//! - [`deliver`] is the only output seam: SNS in the Lambda, stdout in the CLI, memory in tests.
//!
//! [`correlate`] files the matches of correlated rules into per-group slices and decides, over
//! event time, which windows fire; today the deliver side of [`pipeline`] runs it once the
//! object's own alerts are out. [`pipeline`] wires the stages
//! for a list of objects, and [`handler`] is the Lambda's entry point: the same pipeline with
//! AWS seams. The `trailwatch` CLI runs it with local seams.
//! [`state`] remembers delivered alerts and suppression counts (DynamoDB, or memory).
#![warn(missing_docs)]

pub mod alert;
pub mod aws;
pub mod config;
pub mod correlate;
pub mod decode;
pub mod deliver;
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

pub use fetch::ObjectRef;
/// The rule language (its own crate): parse, compile and evaluate Sigma rules and correlations.
pub use trailwatch_rules as rules;
