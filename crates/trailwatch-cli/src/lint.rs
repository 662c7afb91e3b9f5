//! `trailwatch rules lint`: `validate`'s errors plus the checks of [`trailwatch::rules::lint`],
//! as text (`file:line:col: severity: message [code]`), JSON or SARIF for code-scanning UIs.
//!
//! The catalog of CloudTrail event names is embedded here, gzipped, and decoded only when this
//! command runs: the Lambda never carries it.
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use serde_json::json;
use trailwatch::config::{local_rules, ConfigError};
use trailwatch::rules::lint::{self, Catalog, Finding, Severity, CHECKS};

/// `catalog/cloudtrail-events.gz`, from `scripts/cloudtrail-catalog.py`.
static CATALOG_GZ: &[u8] = include_bytes!("../../../catalog/cloudtrail-events.gz");

/// How findings are printed on stdout.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LintFormat {
    /// `file:line:col: severity: message [code]`, one per line.
    Text,
    /// One JSON document: findings, counts and the catalog's version.
    Json,
    /// SARIF 2.1.0, for code-scanning UIs.
    Sarif,
}

/// Decodes the embedded catalog.
pub fn catalog() -> anyhow::Result<Catalog> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(CATALOG_GZ)
        .read_to_string(&mut text)
        .context("decoding the embedded CloudTrail catalog")?;
    Ok(Catalog::parse(&text))
}

pub fn run(paths: &[PathBuf], format: LintFormat) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let catalog = catalog()?;
    let catalog_ms = started.elapsed().as_secs_f64() * 1000.0;
    let sources = read_sources(paths)?;
    let mut findings = load_findings(paths);
    let report = lint::lint(&sources, Some(&catalog));
    for f in report.findings {
        let dup = findings.iter().any(|g| {
            g.file == f.file && g.line == f.line && g.col == f.col && g.message == f.message
        });
        if !dup {
            findings.push(f);
        }
    }
    // A skipped category is reported at its token by the `logsource` check.
    let at_token: Vec<String> = findings
        .iter()
        .filter(|f| f.code == "logsource")
        .map(|f| f.file.clone())
        .collect();
    findings.retain(|f| {
        !(f.code == "skipped" && f.message.contains("category") && at_token.contains(&f.file))
    });
    findings.sort_by(|a, b| (&a.file, a.line, a.col).cmp(&(&b.file, b.line, b.col)));
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = findings.len() - errors;
    let (n_sources, n_names) = catalog.size();
    match format {
        LintFormat::Text => {
            for f in &findings {
                println!("{f}");
            }
        }
        LintFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "findings": findings,
                "errors": errors,
                "warnings": warnings,
                "silenced": report.silenced,
                "catalog": catalog.header,
            }))?
        ),
        LintFormat::Sarif => println!("{}", serde_json::to_string_pretty(&sarif(&findings))?),
    }
    eprintln!(
        "trailwatch: {} files, {errors} errors, {warnings} warnings, {} silenced; catalog {} \
         ({n_sources} event sources, {n_names} names) decoded in {catalog_ms:.1} ms",
        sources.len(),
        report.silenced,
        catalog.header.split(':').next().unwrap_or_default(),
    );
    Ok(if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// What `validate` says: load errors, and the load's warnings and skipped documents.
fn load_findings(paths: &[PathBuf]) -> Vec<Finding> {
    let convert = |e: &trailwatch::rules::RuleError, severity, code| Finding {
        file: e.file.clone(),
        line: e.line,
        col: e.col,
        severity,
        code,
        message: e.message.clone(),
    };
    match local_rules(paths, true) {
        Ok(set) => set
            .warnings()
            .iter()
            .map(|w| convert(w, Severity::Warning, "validate"))
            .chain(
                set.skipped()
                    .iter()
                    .map(|s| convert(s, Severity::Warning, "skipped")),
            )
            .collect(),
        Err(ConfigError::Rules(errors)) => errors
            .0
            .iter()
            .map(|e| convert(e, Severity::Error, "validate"))
            .collect(),
        Err(other) => vec![Finding {
            file: String::new(),
            line: 1,
            col: 1,
            severity: Severity::Error,
            code: "validate",
            message: other.to_string(),
        }],
    }
}

/// The rule files under `paths` (the bundled pack when none), as the loader names them.
fn read_sources(paths: &[PathBuf]) -> anyhow::Result<Vec<(String, String)>> {
    if paths.is_empty() {
        return Ok(trailwatch::pack::FILES
            .iter()
            .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
            .collect());
    }
    let mut files = Vec::new();
    for p in paths {
        walk(p, &mut files).with_context(|| format!("reading {}", p.display()))?;
    }
    files
        .into_iter()
        .map(|f| {
            let text =
                std::fs::read_to_string(&f).with_context(|| format!("reading {}", f.display()))?;
            Ok((f.display().to_string(), text))
        })
        .collect()
}

fn walk(path: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if !path.is_dir() {
        out.push(path.to_owned());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if p.is_dir() {
            walk(&p, out)?;
        } else if (name.ends_with(".yml") || name.ends_with(".yaml")) && name != "placeholders.yml"
        {
            out.push(p);
        }
    }
    Ok(())
}

/// SARIF 2.1.0: one run, the checks as rules, each finding a result at its region.
fn sarif(findings: &[Finding]) -> serde_json::Value {
    let mut rules: Vec<serde_json::Value> = CHECKS
        .iter()
        .map(|(id, what)| json!({"id": id, "shortDescription": {"text": what}}))
        .collect();
    for extra in ["validate", "skipped"] {
        rules.push(
            json!({"id": extra, "shortDescription": {"text": "what `rules validate` reports"}}),
        );
    }
    let results: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| {
            json!({
                "ruleId": f.code,
                "level": match f.severity { Severity::Error => "error", Severity::Warning => "warning" },
                "message": {"text": f.message},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": f.file},
                    "region": {"startLine": f.line, "startColumn": f.col},
                }}],
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "trailwatch rules lint",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    })
}
