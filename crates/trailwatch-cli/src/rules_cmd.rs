//! `trailwatch rules validate|lint|test|explain|list|diff|push`: the rule author's tools.
//!
//! Output conventions: errors (`file:line:col: message`) and failures go to stderr;
//! results (summaries, pass lines, trees, listings) go to stdout. Exit 0 when all is well,
//! 1 when a rule is invalid or a test fails, 2 when nothing could be checked (usage or
//! load errors).
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use trailwatch::config::{local_rules, ConfigError};
use trailwatch::rules::{Expect, Explanation, RuleSet};

#[derive(clap::Subcommand, Debug)]
pub enum RulesCommand {
    /// Check rule files and report every error as file:line:col (bundled rules if no path).
    Validate { paths: Vec<PathBuf> },
    /// Find what validates but never fires: event names CloudTrail never writes, misspelt
    /// fields, values that cannot hold, unused selections, Sigma style (bundled rules if no
    /// path). Exit 1 on an error, 0 on warnings only.
    Lint {
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = crate::lint::LintFormat::Text)]
        format: crate::lint::LintFormat,
    },
    /// Replay history through two rule sets and show, per rule, the alerts added, removed
    /// and unchanged.
    Diff(crate::diff::DiffArgs),
    /// Run the `tests:` cases written in rule files (bundled rules if no path).
    Test { paths: Vec<PathBuf> },
    /// Show how one rule evaluates one CloudTrail record, selection by selection.
    Explain {
        /// The rule's `id`.
        rule_id: String,
        /// A JSON file holding one CloudTrail record (or a `{"Records": [...]}` delivery,
        /// whose first record is used).
        #[arg(long)]
        event: PathBuf,
        /// Rule files or directories (bundled rules if none).
        #[arg(long = "rules")]
        rules: Vec<PathBuf>,
    },
    /// Validate a rules directory, then upload it to the S3 prefix the function reads
    /// (`RULES_S3_URI`).
    Push {
        dir: PathBuf,
        /// s3://bucket/prefix/
        target: String,
        /// Before uploading, replay this history (trail files, directories or an s3:// prefix)
        /// through the rules now at the target and the new ones, print the diff and ask.
        #[arg(long, value_name = "PATH|S3URI")]
        preview: Option<String>,
        /// With --preview: only files delivered at or after this time.
        #[arg(long, value_name = "TIME", requires = "preview")]
        since: Option<String>,
        /// With --preview: only files delivered before this time.
        #[arg(long, value_name = "TIME", requires = "preview")]
        until: Option<String>,
        /// Upload without asking after the preview.
        #[arg(long)]
        yes: bool,
    },
    /// List rules with id, level and title.
    List {
        paths: Vec<PathBuf>,
        #[arg(long, default_value = "text")]
        format: ListFormat,
    },
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListFormat {
    Text,
    Markdown,
}

pub fn run(cmd: RulesCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        RulesCommand::Validate { paths } => Ok(validate(&paths)),
        RulesCommand::Test { paths } => Ok(test(&paths)),
        RulesCommand::Explain {
            rule_id,
            event,
            rules,
        } => explain(&rule_id, &event, &rules),
        RulesCommand::List { paths, format } => Ok(list(&paths, format)),
        RulesCommand::Lint { paths, format } => crate::lint::run(&paths, format),
        RulesCommand::Diff(args) => crate::diff::run(args),
        RulesCommand::Push {
            dir,
            target,
            preview,
            since,
            until,
            yes,
        } => crate::push::run(
            &dir,
            &target,
            crate::push::Preview {
                against: preview,
                since,
                until,
                yes,
            },
        ),
    }
}

/// The rules at `paths` (bundled when none) with their `tests:`, under the environment's limits.
fn load(paths: &[PathBuf]) -> Result<RuleSet, ConfigError> {
    local_rules(paths, true)
}

/// Prints every load error (one per line) and returns how many there were.
fn print_errors(e: &ConfigError) -> usize {
    match e {
        ConfigError::Rules(errors) => {
            for err in &errors.0 {
                eprintln!("{err}");
            }
            errors.0.len()
        }
        other => {
            eprintln!("{other}");
            1
        }
    }
}

/// Warnings (rules skipped, filters naming no rule, ids that are not UUIDs) go to stderr with
/// their position; the summary line counts them.
fn validate(paths: &[PathBuf]) -> ExitCode {
    match load(paths) {
        Ok(set) => {
            for w in set.skipped().iter().chain(set.warnings()) {
                eprintln!("warning: {w}");
            }
            println!(
                "{} rules OK, {} correlations, {} filters, {} skipped, {} warnings",
                set.len(),
                set.correlations().len(),
                set.filters().len(),
                set.skipped().len(),
                set.skipped().len() + set.warnings().len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            let n = print_errors(&e);
            eprintln!("{n} errors");
            ExitCode::from(1)
        }
    }
}

fn print_trace(explanation: &Explanation) {
    let decided: Vec<String> = explanation
        .selections
        .iter()
        .filter(|s| explanation.deciding.contains(&s.name))
        .map(|s| format!("{} = {}", s.name, s.result))
        .collect();
    eprintln!("  decided by: {}", decided.join(", "));
    for line in explanation.to_string().lines() {
        eprintln!("  {line}");
    }
}

/// Counts one case and prints its PASS line (stdout) or FAIL line (stderr); returns `passed`.
fn tally(
    (passed, failed): &mut (usize, usize),
    ok: bool,
    who: &str,
    source: &str,
    case: &str,
    why: &str,
) -> bool {
    if ok {
        *passed += 1;
        println!("PASS {who} ({source}): {case}");
    } else {
        *failed += 1;
        eprintln!("FAIL {who} ({source}): {case}: {why}");
    }
    ok
}

fn expect_text(e: Expect) -> &'static str {
    match e {
        Expect::Match => "match",
        Expect::NoMatch => "no-match",
    }
}

fn test(paths: &[PathBuf]) -> ExitCode {
    let set = match load(paths) {
        Ok(s) => s,
        Err(e) => {
            print_errors(&e);
            return ExitCode::from(2);
        }
    };
    let mut counts = (0usize, 0usize);
    for rule in set.rules() {
        for case in rule.run_tests() {
            let failed = format!("expected {}", expect_text(case.expect));
            if !tally(
                &mut counts,
                case.passed,
                &rule.id,
                &rule.source,
                &case.name,
                &failed,
            ) {
                print_trace(&case.explanation);
            }
        }
    }
    for filter in set.filters() {
        for case in set.run_filter_tests(filter) {
            let failed = format!(
                "expected {}; rules that fired: [{}]",
                expect_text(case.expect),
                case.fired.join(", ")
            );
            if !tally(
                &mut counts,
                case.passed,
                &filter.label,
                &filter.source,
                &case.name,
                &failed,
            ) {
                case.explanations.iter().for_each(print_trace);
            }
        }
    }
    for (i, corr) in set.correlations().iter().enumerate() {
        for case in corr.tests() {
            let outcome = trailwatch::correlate::run_case(&set, i, case);
            let why = outcome.problem.clone().unwrap_or_default();
            if !tally(
                &mut counts,
                outcome.passed,
                &corr.id,
                &corr.source,
                &case.name,
                &why,
            ) {
                eprintln!("  alerts raised: {}", outcome.got.len());
                for line in &outcome.got {
                    eprintln!("    {line}");
                }
            }
        }
    }
    let (passed, failed) = counts;
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn explain(rule_id: &str, event: &PathBuf, rules: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let set = match load(rules) {
        Ok(s) => s,
        Err(e) => {
            print_errors(&e);
            return Ok(ExitCode::from(2));
        }
    };
    let Some(rule) = set.get(rule_id) else {
        eprintln!("no rule with id `{rule_id}`");
        return Ok(ExitCode::from(2));
    };
    let text =
        std::fs::read_to_string(event).with_context(|| format!("reading {}", event.display()))?;
    let mut record: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", event.display()))?;
    if let Some(first) = record
        .get_mut("Records")
        .and_then(|r| r.as_array_mut())
        .and_then(|a| a.first_mut())
    {
        record = first.take();
    }
    print!("{}", rule.explain(&record));
    Ok(ExitCode::SUCCESS)
}

/// The first sentence of a description, for the markdown table.
fn first_sentence(d: &str) -> String {
    let flat = d.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.find(". ") {
        Some(i) => flat[..=i].to_owned(),
        None => flat,
    }
}

fn list(paths: &[PathBuf], format: ListFormat) -> ExitCode {
    let set = match load(paths) {
        Ok(s) => s,
        Err(e) => {
            print_errors(&e);
            return ExitCode::from(2);
        }
    };
    match format {
        ListFormat::Text => {
            for r in set.rules() {
                println!("{}  {:<13}  {}", r.id, r.level, r.title);
                if !r.filters.is_empty() {
                    println!("    filtered by: {}", r.filters.join(", "));
                }
            }
        }
        ListFormat::Markdown => {
            // The filters column appears only when some filter applies, so the bundled table
            // (no filters) keeps its shape.
            let filtered = set.rules().iter().any(|r| !r.filters.is_empty());
            let (head, rule) = if filtered {
                (" filters |", "---|")
            } else {
                ("", "")
            };
            println!("| id | title | level | detects |{head}");
            println!("|---|---|---|---|{rule}");
            for r in set.rules() {
                let what = r
                    .description
                    .as_deref()
                    .map(first_sentence)
                    .unwrap_or_default();
                let filters = if filtered {
                    format!(" {} |", r.filters.join(", ").replace('|', "\\|"))
                } else {
                    String::new()
                };
                println!(
                    "| `{}` | {} | {} | {} |{filters}",
                    r.id,
                    r.title.replace('|', "\\|"),
                    r.level,
                    what.replace('|', "\\|")
                );
            }
        }
    }
    ExitCode::SUCCESS
}
