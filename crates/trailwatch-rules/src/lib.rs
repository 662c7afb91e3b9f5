//! The rule language: Sigma YAML rules over CloudTrail records.
//!
//! A rule goes through these stages, each its own (private) module:
//!
//! - **parse** (`yaml`, `parse`, `detection`, `modifiers`, `condition`, `logsource`, `cases`):
//!   YAML → a rule or filter AST. Every YAML node keeps its position, so each problem is
//!   reported as `file:line:col`.
//! - **assemble** (`filter`): a rule's logsource scope and the filters that apply to it are
//!   ANDed into its detection, once every file is read.
//! - **compile** (`compile`, `pattern`): the AST → matchers built once at load: lowercased
//!   needles, regexes, CIDRs. Rules are then indexed (`index`) by the `eventName`/`eventSource`
//!   values their conditions require, and the field paths they read are collected (`paths`)
//!   so a record can be projected onto them.
//! - **evaluate** (`eval`): a record is checked only against the rules its
//!   `eventName`/`eventSource` can reach, comparing without allocating in the common case.
//!
//! A set is built by [`RuleSetBuilder`], which takes its [`RuleLimits`] as a parameter: the
//! library never reads the environment (`config` does, for the Lambda and the CLI).
//!
//! `explain` traces one evaluation for `trailwatch rules explain` and for the `tests:` cases
//! rule files carry ([`Explanation`], [`CaseOutcome`]); `reference`, compiled only with the
//! `testing` feature, is a slow, direct interpreter of the AST that property tests hold the
//! compiled evaluator to. `RULES.md` is the rule author's reference.
//!
//! Modules are layered, and none imports one that imports it back (`scripts/module-cycles.py`,
//! run by `make lint`): `yaml`, `level`, `error`, `limits`, [`duration`] and [`field`] (one value by
//! dotted path, for display and keys) at the bottom; the parsers (`ctx`, `modifiers`, `condition`, `detection`, `logsource`, `cases`, `filter`,
//! `correlation`, then `parse`); `compile`, `eval`, `index`, `paths`; the compiled [`Rule`] and
//! `explain`; [`RuleSet`]; and `load` with [`RuleSetBuilder`] on top. This root only declares
//! and re-exports. The crate has no I/O runtime, AWS SDK or CLI dependency.
#![deny(missing_docs)]

/// Declares modules that are public only with the `testing` feature: the parser's AST, its
/// placeholders and the reference interpreter, for the property test that holds the compiled
/// evaluator to the reference. The Lambda and the CLI are built without them.
macro_rules! testing_pub {
    ($($name:ident),*) => {$(
        #[cfg(feature = "testing")]
        #[doc(hidden)]
        #[allow(missing_docs)]
        pub mod $name;
        #[cfg(not(feature = "testing"))]
        mod $name;
    )*};
}

testing_pub!(ast, modifiers, parse);
#[cfg(feature = "testing")]
#[doc(hidden)]
#[allow(missing_docs)]
pub mod reference;

mod builder;
mod cases;
mod compile;
mod condition;
pub mod correlation;
mod ctx;
mod detection;
mod doc;
pub mod duration;
mod error;
mod eval;
mod explain;
pub mod field;
mod filter;
mod index;
mod level;
mod limits;
pub mod lint;
mod load;
mod logsource;
mod paths;
mod pattern;
mod rule;
mod set;
mod strip;
pub mod suppress;
mod yaml;

pub use ast::{Expect, TestCase};
pub use builder::RuleSetBuilder;
pub use correlation::{
    Condition, Correlation, CorrelationCase, CorrelationType, ExpectedAlert, Input, Op,
};
pub use doc::{Doc, Leaf, Node};
pub use error::{RuleError, RuleErrors};
pub use explain::{CaseOutcome, Explanation, FieldTrace, FilterCaseOutcome, SelectionTrace};
pub use level::{Level, UnknownLevel};
pub use limits::RuleLimits;
pub use paths::{FieldPaths, PathNode};
pub use rule::{LoadedFilter, Rule};
pub use set::RuleSet;
