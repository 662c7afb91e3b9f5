//! trailwatch turns CloudTrail deliveries into security alerts.
//!
//! CloudTrail writes every API call in an account as gzipped `{"Records":[...]}` files in S3. When
//! a file lands, one event travels a straight line of stages, each a module named after it:
//!
//! ```text
//! trigger ──▶ fetch ──▶ decode ──▶ matching ──▶ render ──▶ publish
//! payload     object    records    rules that   alert      SNS topic
//! → objects   → bytes   one by one  match       messages   (or stdout)
//! ```
//!
//! - [`trigger`] reads a Lambda payload and says which objects to look at, and which to skip and why.
//! - [`fetch`] opens an object as a byte stream: from S3 in the Lambda, from disk in the CLI.
//! - [`decode`] inflates and walks the `Records` array one record at a time, so memory stays flat
//!   whatever the file's size.
//! - [`matching`] checks each record against the compiled [`rules`] (Sigma), skipping records no
//!   rule's index admits before parsing them.
//! - [`render`] builds the alert a person or a machine reads.
//! - [`publish`] delivers alerts: to SNS in the Lambda, to stdout in the CLI.
//!
//! [`pipeline`] wires the stages for a list of objects, and [`handler`] is the Lambda's entry
//! point: the same pipeline with AWS seams. The `trailwatch` CLI runs it with local seams.
//! [`state`] remembers delivered alerts and suppression counts (DynamoDB, or memory).

pub mod aws;
pub mod config;
pub mod decode;
pub mod fetch;
pub mod handler;
pub mod logging;
pub mod matching;
pub mod metrics;
pub mod pipeline;
pub mod publish;
pub mod render;
pub mod rules;
pub mod rules_source;
pub mod state;
pub mod trigger;

pub use fetch::ObjectRef;
