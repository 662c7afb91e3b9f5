//! `trailwatch rules validate|test|explain|list`: the rule author's tools.
//!
//! Output conventions: errors (`file:line:col: message`) and failures go to stderr;
//! results (summaries, pass lines, trees, listings) go to stdout. Exit 0 when all is well,
//! 1 when a rule is invalid or a test fails, 2 when nothing could be checked (usage or
//! load errors).
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use trailwatch::rules::{Expect, RuleErrors, RuleSet};

#[derive(clap::Subcommand, Debug)]
pub enum RulesCommand {
    /// Check rule files and report every error as file:line:col (bundled rules if no path).
    Validate { paths: Vec<PathBuf> },
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
        RulesCommand::Push { dir, target } => crate::push::run(&dir, &target),
    }
}

fn load(paths: &[PathBuf]) -> Result<RuleSet, RuleErrors> {
    if paths.is_empty() {
        RuleSet::bundled_with_tests()
    } else {
        RuleSet::load_paths(paths)
    }
}

fn print_errors(e: &RuleErrors) {
    for err in &e.0 {
        eprintln!("{err}");
    }
}

fn validate(paths: &[PathBuf]) -> ExitCode {
    match load(paths) {
        Ok(set) => {
            for n in set.notes() {
                println!("note: {n}");
            }
            println!("{} rules OK", set.len());
            ExitCode::SUCCESS
        }
        Err(e) => {
            print_errors(&e);
            eprintln!("{} errors", e.0.len());
            ExitCode::from(1)
        }
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
    let (mut passed, mut failed) = (0usize, 0usize);
    for rule in set.rules() {
        for case in rule.run_tests() {
            let want = match case.expect {
                Expect::Match => "match",
                Expect::NoMatch => "no-match",
            };
            if case.passed {
                passed += 1;
                println!("PASS {} ({}): {}", rule.id, rule.source, case.name);
                continue;
            }
            failed += 1;
            eprintln!(
                "FAIL {} ({}): {}: expected {want}",
                rule.id, rule.source, case.name
            );
            let decided: Vec<String> = case
                .explanation
                .selections
                .iter()
                .filter(|s| case.explanation.deciding.contains(&s.name))
                .map(|s| format!("{} = {}", s.name, s.result))
                .collect();
            eprintln!("  decided by: {}", decided.join(", "));
            for line in case.explanation.to_string().lines() {
                eprintln!("  {line}");
            }
        }
    }
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
            }
        }
        ListFormat::Markdown => {
            println!("| id | title | level | detects |");
            println!("|---|---|---|---|");
            for r in set.rules() {
                let what = r
                    .description
                    .as_deref()
                    .map(first_sentence)
                    .unwrap_or_default();
                println!(
                    "| `{}` | {} | {} | {} |",
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
