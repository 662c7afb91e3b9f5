//! `trailwatch rules push DIR s3://bucket/prefix/`: validate locally, then upload.
//!
//! The function keeps its previous rules when a pushed set fails validation, but a push that
//! validates first never leaves the bucket holding a set the function would refuse. With
//! `--preview`, the rules now at the target and the new ones are replayed over real history
//! (`rules diff`) and the upload waits for a yes.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use trailwatch::rules::RuleSet;
use trailwatch::rules_source::S3Uri;

/// `--preview` and its options.
#[derive(Debug, Default)]
pub struct Preview {
    /// History to replay; no preview when `None`.
    pub against: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    /// Upload without asking.
    pub yes: bool,
}

pub fn run(dir: &Path, target: &str, preview: Preview) -> anyhow::Result<ExitCode> {
    let Some(uri) = S3Uri::parse(target) else {
        bail!("{target}: expected s3://bucket/prefix/")
    };
    let limits = trailwatch::config::rule_limits()?;
    let new = match RuleSet::builder()
        .limits(limits)
        .tests(false)
        .paths(&[dir])
        .build()
    {
        Ok(rules) => {
            eprintln!(
                "trailwatch: {} rules valid in {}",
                rules.len(),
                dir.display()
            );
            rules
        }
        Err(errors) => {
            eprintln!("{errors}");
            eprintln!("trailwatch: nothing uploaded: {} errors", errors.0.len());
            return Ok(ExitCode::from(1));
        }
    };
    let mut files = Vec::new();
    collect(dir, &mut files).with_context(|| format!("reading {}", dir.display()))?;
    tokio::runtime::Runtime::new()?.block_on(async {
        let sdk = trailwatch::aws::sdk_config().await;
        let client = aws_sdk_s3::Client::new(&sdk);
        if let Some(against) = &preview.against {
            let window = crate::scan::window(&preview.since, &preview.until)?;
            // What the function runs now: the rules at the target (none yet: an empty set).
            let old = match trailwatch::rules_source::load_s3(&client, &uri, &limits).await {
                Ok((rules, _)) => rules,
                Err(e) => {
                    eprintln!("trailwatch: no rules read at {uri} ({e}); comparing with none");
                    RuleSet::default()
                }
            };
            let diff =
                crate::diff::compare(old, new, std::slice::from_ref(against), &window).await?;
            print!("{diff}");
            if !preview.yes && !confirm(&format!("upload {} files to {uri}?", files.len()))? {
                eprintln!("trailwatch: nothing uploaded");
                return Ok(ExitCode::from(1));
            }
        }
        for file in &files {
            let relative = file
                .strip_prefix(dir)
                .unwrap_or(file)
                .to_string_lossy()
                .replace('\\', "/");
            let key = format!("{}{relative}", with_slash(&uri.prefix));
            let body =
                std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
            client
                .put_object()
                .bucket(&uri.bucket)
                .key(&key)
                .body(body.into())
                .send()
                .await
                .map_err(|e| anyhow::anyhow!("{}", aws_sdk_s3::error::DisplayErrorContext(e)))
                .with_context(|| format!("uploading s3://{}/{key}", uri.bucket))?;
            eprintln!("uploaded s3://{}/{key}", uri.bucket);
        }
        eprintln!("trailwatch: {} files pushed to {uri}", files.len());
        Ok(ExitCode::SUCCESS)
    })
}

/// Asks on the terminal; without one, refuses (pass `--yes` in scripts).
fn confirm(question: &str) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        eprintln!("trailwatch: stdin is not a terminal; pass --yes to upload after a preview");
        return Ok(false);
    }
    eprint!("{question} [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

fn with_slash(prefix: &str) -> String {
    if prefix.is_empty() || prefix.ends_with('/') {
        prefix.to_string()
    } else {
        format!("{prefix}/")
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(path);
        }
    }
    Ok(())
}
