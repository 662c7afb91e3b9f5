//! `trailwatch scan`: the pipeline over local files, alerts on stdout, summary on stderr.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use trailwatch::fetch::{expand_paths, LocalFetch};
use trailwatch::pipeline::{Pipeline, Summary};
use trailwatch::publish::{Format, StdoutPublisher};
use trailwatch::rules::RuleSet;

#[derive(clap::Args, Debug)]
pub struct ScanArgs {
    /// Rule file or directory (repeatable); the bundled rules when absent.
    #[arg(long = "rules", value_name = "PATH")]
    rules: Vec<PathBuf>,
    /// How alerts are printed on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Trail files (.json, .json.gz) or directories, read recursively.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

pub fn run(args: ScanArgs) -> anyhow::Result<ExitCode> {
    let rules = if args.rules.is_empty() {
        RuleSet::bundled()?
    } else {
        RuleSet::load_paths(&args.rules)?
    };
    let objects = expand_paths(&args.paths).context("reading the paths to scan")?;
    let publish = StdoutPublisher {
        format: args.format,
    };
    let pipeline = Pipeline::new(Arc::new(LocalFetch), Arc::new(rules), Arc::new(publish));
    let runtime = tokio::runtime::Runtime::new()?;
    let mut summary = Summary::default();
    runtime.block_on(pipeline.run(&objects, 1, &mut summary));
    report(&summary);
    Ok(if summary.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn report(summary: &Summary) {
    for failed in &summary.failed {
        eprintln!("error: {}", failed.error);
    }
    eprintln!(
        "trailwatch: {} objects, {} events, {} alerts, {} failed in {:.2}s",
        summary.objects,
        summary.events,
        summary.alerts,
        summary.failed.len(),
        summary.elapsed_ms as f64 / 1000.0
    );
}
