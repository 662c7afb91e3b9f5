//! `trailwatch scan`: the Lambda's pipeline over local files or S3 prefixes, alerts on stdout,
//! progress and summary on stderr.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use trailwatch::fetch::{expand_paths, list_keys, RoutedFetch, S3Fetch};
use trailwatch::pipeline::{Pipeline, Summary};
use trailwatch::publish::{Format, StdoutPublisher};
use trailwatch::rules_source::S3Uri;
use trailwatch::trigger::{key_time_bound, skip_reason, TrailKey};
use trailwatch::ObjectRef;

#[derive(clap::Args, Debug)]
pub struct ScanArgs {
    /// Rule file or directory (repeatable); the bundled rules when absent.
    #[arg(long = "rules", value_name = "PATH")]
    rules: Vec<PathBuf>,
    /// How alerts are printed on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// For s3:// prefixes: only files delivered at or after this time (2026-11-25, 2026-11-25T10:05).
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// For s3:// prefixes: only files delivered before this time.
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
    /// Objects scanned at once (S3 scans benefit; output order is kept).
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Trail files or directories (read recursively), or s3://bucket/prefix/.
    #[arg(required = true, value_name = "PATH|S3URI")]
    paths: Vec<String>,
}

pub fn run(args: ScanArgs) -> anyhow::Result<ExitCode> {
    let rules = trailwatch::config::scan_rules(&args.rules)?;
    let bound = |t: &Option<String>, name| {
        t.as_deref()
            .map(|t| {
                key_time_bound(t).with_context(|| {
                    format!("--{name} {t:?}: expected a date like 2026-11-25T10:05")
                })
            })
            .transpose()
    };
    let window = (bound(&args.since, "since")?, bound(&args.until, "until")?);
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let (objects, fetch) = resolve(&args.paths, &window).await?;
        let publish = StdoutPublisher {
            format: args.format,
        };
        let pipeline = Pipeline::new(Arc::new(fetch), Arc::new(rules), Arc::new(publish));
        let progress = progress_bar(objects.len());
        let mut summary = Summary::default();
        // Local files are cheap to read; one at a time keeps their alerts in file order.
        let concurrency = if objects.iter().all(|o| matches!(o, ObjectRef::Path { .. })) {
            1
        } else {
            args.concurrency
        };
        pipeline
            .run_with(&objects, concurrency, &mut summary, |_, outcome| {
                progress.inc(1);
                progress.set_message(format!(
                    "{} events, {} alerts",
                    outcome.events, outcome.alerts
                ));
                if let Some(e) = &outcome.error {
                    progress.suspend(|| eprintln!("error: {e}"));
                }
            })
            .await;
        progress.finish_and_clear();
        report(&summary);
        Ok(if summary.failed.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    })
}

/// Expands the arguments into objects, with an S3 client only when an s3:// argument needs one.
async fn resolve(
    paths: &[String],
    window: &(Option<String>, Option<String>),
) -> anyhow::Result<(Vec<ObjectRef>, RoutedFetch)> {
    let mut fetch = RoutedFetch::default();
    let mut objects = Vec::new();
    for arg in paths {
        if !arg.starts_with("s3://") {
            objects.extend(
                expand_paths(&[PathBuf::from(arg)]).with_context(|| format!("reading {arg}"))?,
            );
            continue;
        }
        let Some(uri) = S3Uri::parse(arg) else {
            bail!("{arg}: expected s3://bucket/prefix/")
        };
        if fetch.s3.is_none() {
            let sdk = trailwatch::aws::sdk_config().await;
            fetch.s3 = Some(S3Fetch::new(aws_sdk_s3::Client::new(&sdk)));
        }
        let Some(s3) = &fetch.s3 else {
            unreachable!("set just above")
        };
        let keys = list_keys(s3.client(), &uri.bucket, &uri.prefix)
            .await
            .with_context(|| format!("listing {arg}"))?;
        let before = objects.len();
        objects.extend(
            keys.into_iter()
                .filter(|key| skip_reason(key, None).is_none() && in_window(key, window))
                .map(|key| ObjectRef::S3 {
                    bucket: uri.bucket.clone(),
                    key,
                }),
        );
        eprintln!(
            "trailwatch: {arg}: {} trail files to scan",
            objects.len() - before
        );
    }
    Ok((objects, fetch))
}

/// Keys without a delivery timestamp are kept: the window filters trail files, not others.
fn in_window(key: &str, (since, until): &(Option<String>, Option<String>)) -> bool {
    let Some(stamp) = TrailKey::parse(key).map(|k| k.timestamp) else {
        return since.is_none() && until.is_none();
    };
    since.as_deref().is_none_or(|s| stamp >= s) && until.as_deref().is_none_or(|u| stamp < u)
}

fn progress_bar(len: usize) -> ProgressBar {
    // Hidden by indicatif itself when stderr is not a terminal.
    let bar = ProgressBar::new(len as u64);
    if let Ok(style) = ProgressStyle::with_template(
        "{bar:30} {pos}/{len} objects {elapsed_precise} eta {eta} {msg}",
    ) {
        bar.set_style(style);
    }
    bar
}

fn report(summary: &Summary) {
    eprintln!(
        "trailwatch: {} objects, {} events, {} alerts, {} failed in {:.2}s",
        summary.objects,
        summary.events,
        summary.alerts,
        summary.failed.len(),
        summary.elapsed_ms as f64 / 1000.0
    );
}
