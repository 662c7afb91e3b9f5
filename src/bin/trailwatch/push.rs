//! `trailwatch rules push DIR s3://bucket/prefix/`: validate locally, then upload.
//!
//! The function keeps its previous rules when a pushed set fails validation, but a push that
//! validates first never leaves the bucket holding a set the function would refuse.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use trailwatch::rules::RuleSet;
use trailwatch::rules_source::S3Uri;

pub fn run(dir: &Path, target: &str) -> anyhow::Result<ExitCode> {
    let Some(uri) = S3Uri::parse(target) else {
        bail!("{target}: expected s3://bucket/prefix/")
    };
    let limits = trailwatch::config::rule_limits()?;
    match RuleSet::builder().limits(limits).paths(&[dir]).build() {
        Ok(rules) => eprintln!(
            "trailwatch: {} rules valid in {}",
            rules.len(),
            dir.display()
        ),
        Err(errors) => {
            eprintln!("{errors}");
            eprintln!("trailwatch: nothing uploaded: {} errors", errors.0.len());
            return Ok(ExitCode::from(1));
        }
    }
    let mut files = Vec::new();
    collect(dir, &mut files).with_context(|| format!("reading {}", dir.display()))?;
    tokio::runtime::Runtime::new()?.block_on(async {
        let sdk = trailwatch::aws::sdk_config().await;
        let client = aws_sdk_s3::Client::new(&sdk);
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
