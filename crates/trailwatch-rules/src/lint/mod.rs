//! `trailwatch rules lint`: mistakes that load and validate but make a rule never fire, found
//! on the YAML as written so each points at its token.
//!
//! `validate` proves a rule parses and compiles. It cannot know that CloudTrail never writes an
//! `eventName` the rule waits for, that a field is misspelt (`eventname`), or that two values in
//! one map cannot both hold. The checks, each with a code a rule can silence on one line
//! (`# lint: allow CODE reason`, on the finding's line or the line above), are listed in
//! `RULES.md`. Names come from a [`Catalog`] built from botocore's service models.
use std::collections::HashMap;
use std::fmt;

use serde::Serialize;

use crate::yaml::{self, Node, NodeKind};

mod catalog;
mod detection;
mod fields;
mod style;

pub use catalog::Catalog;

/// How bad a finding is: an error makes `rules lint` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth a look; the rule may still work.
    Warning,
    /// The rule (or part of it) can never match as written.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// One problem at its `file:line:col`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The file as given.
    pub file: String,
    /// 1-based line.
    pub line: u64,
    /// 1-based column.
    pub col: u64,
    /// Error or warning.
    pub severity: Severity,
    /// The check's code, as `# lint: allow CODE` names it.
    pub code: &'static str,
    /// What is wrong, and the likely fix.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: {} [{}]",
            self.file, self.line, self.col, self.severity, self.message, self.code
        )
    }
}

/// Every check's code and what it finds, for `--format sarif` and the docs.
pub const CHECKS: &[(&str, &str)] = &[
    ("unknown-event-source", "an eventSource that no AWS service has"),
    (
        "unknown-event-name",
        "an eventName that the rule's eventSource never writes",
    ),
    (
        "service-mismatch",
        "an eventName or eventSource outside the rule's logsource service",
    ),
    (
        "unknown-field",
        "a field that CloudTrail never writes at that place",
    ),
    (
        "never-matches",
        "a selection that can never match (numeric comparison on text, cidr on a field without addresses, contradictory values)",
    ),
    ("unused-selection", "a selection the condition never uses"),
    (
        "group-by",
        "a correlation group-by field that none of its rules can provide",
    ),
    (
        "logsource",
        "a logsource category that is not a CloudTrail event category",
    ),
    (
        "style",
        "Sigma style: title, id, level, status, logsource present; a valid date",
    ),
];

/// What a lint run found, and how many findings comments silenced.
#[derive(Debug, Default)]
pub struct Report {
    /// Findings in file order, then line and column.
    pub findings: Vec<Finding>,
    /// Findings left out by a `# lint: allow CODE` comment.
    pub silenced: usize,
}

impl Report {
    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

/// Collects the findings of one file.
pub(crate) struct Sink<'a> {
    pub file: &'a str,
    pub out: Vec<Finding>,
}

impl Sink<'_> {
    pub fn push(&mut self, at: &Node, severity: Severity, code: &'static str, message: String) {
        self.out.push(Finding {
            file: self.file.to_owned(),
            line: at.line.max(1),
            col: at.col.max(1),
            severity,
            code,
            message,
        });
    }
    pub fn error(&mut self, at: &Node, code: &'static str, message: String) {
        self.push(at, Severity::Error, code, message);
    }
    pub fn warn(&mut self, at: &Node, code: &'static str, message: String) {
        self.push(at, Severity::Warning, code, message);
    }
}

/// A rule's id or name and the fields of the selections it writes, for the correlation check.
#[derive(Debug, Default)]
pub(crate) struct Known {
    /// id or name → whether the document is a rule (its records carry every CloudTrail field).
    pub refs: HashMap<String, bool>,
}

/// Lints `(file, text)` sources with the catalog when there is one (without, the name checks
/// are left out). Files that are not YAML are reported by `validate`, not here.
pub fn lint(sources: &[(String, String)], catalog: Option<&Catalog>) -> Report {
    let mut known = Known::default();
    let mut parsed = Vec::new();
    for (file, text) in sources {
        let Ok(docs) = yaml::parse_documents(text) else {
            continue;
        };
        for doc in &docs {
            let is_rule = doc.get("detection").is_some();
            for key in ["id", "name"] {
                if let Some(r) = doc.get(key).and_then(Node::as_str) {
                    known.refs.insert(r.to_owned(), is_rule);
                }
            }
        }
        parsed.push((file, text, docs));
    }
    let mut report = Report::default();
    for (file, text, docs) in parsed {
        let mut sink = Sink {
            file,
            out: Vec::new(),
        };
        for doc in &docs {
            if !matches!(doc.kind, NodeKind::Map(_)) || doc.get("action").is_some() {
                continue;
            }
            style::document(&mut sink, doc, catalog, &known);
        }
        let allowed = allows(text);
        for f in sink.out {
            let silenced = allowed.iter().any(|(line, code)| {
                (*line == f.line || *line + 1 == f.line) && (code == f.code || code == "all")
            });
            if silenced {
                report.silenced += 1;
            } else {
                report.findings.push(f);
            }
        }
    }
    report
}

/// `# lint: allow CODE` comments: (line, code).
fn allows(text: &str) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some(at) = line.find("# lint: allow ") else {
            continue;
        };
        let rest = &line[at + "# lint: allow ".len()..];
        if let Some(code) = rest.split_whitespace().next() {
            out.push((i as u64 + 1, code.trim_end_matches(',').to_owned()));
        }
    }
    out
}

#[cfg(test)]
mod tests;
