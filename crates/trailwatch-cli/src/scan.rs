//! `trailwatch scan`: the Lambda's pipeline over local files or S3 prefixes with local seams.
//! By default it prints what the Lambda would send; progress and the summary go to stderr.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context};
use trailwatch::config::Settings;
use trailwatch::deliver::StdoutDeliver;
use trailwatch::fetch::{expand_paths, list_keys, RoutedFetch, S3Fetch};
use trailwatch::pipeline::{Pipeline, Summary};
use trailwatch::plan::Form;
use trailwatch::rules::Level;
use trailwatch::rules_source::S3Uri;
use trailwatch::trigger::{key_time_bound, Item, Options, TrailKey};
use trailwatch::ObjectRef;

use crate::report;

/// How alerts are printed on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A readable line per alert or digest.
    Text,
    /// The JSON SQS and Lambda subscribers receive, one per line.
    Json,
    /// time, level, rule, principal, source IP, event, region, account, eventID.
    Csv,
}

#[derive(clap::Args, Debug)]
pub struct ScanArgs {
    /// Rule file or directory (repeatable); the bundled rules when absent.
    #[arg(long = "rules", value_name = "PATH")]
    rules: Vec<PathBuf>,
    /// How alerts are printed on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Print every match instead of what the Lambda would send (no storm digests), for
    /// backfills piped into jq.
    #[arg(long)]
    every_match: bool,
    /// Leave out alerts below this level (informational, low, medium, high, critical).
    #[arg(long, value_name = "LEVEL", value_parser = parse_level)]
    min_level: Option<Level>,
    /// For s3:// prefixes: only files delivered at or after this time (2026-11-25, 2026-11-25T10:05).
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// For s3:// prefixes: only files delivered before this time.
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
    /// Objects scanned at once; each file's alerts stay in order (1: files in order too).
    /// Defaults to MAX_CONCURRENCY, else the number of cores.
    #[arg(long)]
    concurrency: Option<usize>,
    /// Where claims and suppression windows are kept: in memory for this run (default), or
    /// dynamodb://TABLE to share the deployed function's table, so a backfill does not resend
    /// what the function already sent.
    #[arg(long, value_name = "dynamodb://TABLE")]
    state: Option<String>,
    /// Account names for `enrichment.*` and the alerts: `id,name` lines (ENRICH_ACCOUNTS).
    #[arg(long, value_name = "FILE")]
    accounts: Option<PathBuf>,
    /// AWS's published ip-ranges.json, for `enrichment.source.kind: aws` (ENRICH_IP_RANGES).
    #[arg(long, value_name = "FILE")]
    ip_ranges: Option<PathBuf>,
    /// A MaxMind DB in the GeoLite2-ASN layout, for `enrichment.source.asn` (ENRICH_ASN_DB).
    #[arg(long, value_name = "FILE")]
    asn_db: Option<PathBuf>,
    /// A MaxMind DB with countries (GeoLite2-Country or -City), for
    /// `enrichment.source.country` (ENRICH_COUNTRY_DB).
    #[arg(long, value_name = "FILE")]
    country_db: Option<PathBuf>,
    /// Trail files or directories (read recursively), or s3://bucket/prefix/.
    #[arg(required = true, value_name = "PATH|S3URI")]
    paths: Vec<String>,
}

fn parse_level(s: &str) -> Result<Level, String> {
    s.parse()
        .map_err(|e: trailwatch::rules::UnknownLevel| e.to_string())
}

pub fn run(args: ScanArgs) -> anyhow::Result<ExitCode> {
    let rules = Arc::new(trailwatch::config::scan_rules(&args.rules)?);
    // The function's own settings and variables; the flags below override them.
    let mut config = Settings::env("-", Arc::clone(&rules))?;
    let sources = &mut config.enrich_sources;
    for (flag, source) in [
        (args.accounts.clone(), &mut sources.accounts),
        (args.ip_ranges.clone(), &mut sources.ip_ranges),
        (args.asn_db.clone(), &mut sources.asn_db),
        (args.country_db.clone(), &mut sources.country_db),
    ] {
        if flag.is_some() {
            *source = flag;
        }
    }
    let window = window(&args.since, &args.until)?;
    let form = match args.format {
        Format::Text => Form::Text,
        Format::Json => Form::Json,
        Format::Csv => Form::Csv,
    };
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        config.load_enrichment().await?;
        let (item, fetch) = resolve(&args.paths, &window).await?;
        // Every core by default; each file's alerts stay in order, `--concurrency 1` keeps
        // the files' order too.
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let mut settings = config.pipeline();
        settings.concurrency = args
            .concurrency
            .or(config.max_concurrency)
            .unwrap_or(cores.max(2))
            .max(1);
        settings.plan.every_match = args.every_match;
        settings.plan.min_level = args.min_level;
        settings.plan.form = form;
        // Every match, printed: claims would only grow with them, unless a backfill shares
        // the function's table.
        settings.state.claims = !args.every_match || args.state.is_some();
        // Backfills read old files: lateness is judged on the newest eventTime read in the
        // file's own (account, region) stream.
        settings.correlation.clock = trailwatch::correlate::Clock::EventTime;
        let deliver = Arc::new(StdoutDeliver::new(form));
        deliver.header()?;
        let mut pipeline = Pipeline::new(Arc::new(fetch), deliver, rules, settings);
        if let Some(uri) = &args.state {
            let Some(table) = uri.strip_prefix("dynamodb://").filter(|t| !t.is_empty()) else {
                bail!("--state {uri:?}: expected dynamodb://TABLE");
            };
            let sdk = trailwatch::aws::sdk_config().await;
            let store = config.dynamo_store(&sdk, table);
            let owner = trailwatch::pipeline::unique_owner("cli");
            pipeline = pipeline.state(Arc::new(store), owner);
        }
        let progress = report::progress_bar(item.objects.len());
        let mut summary = Summary {
            skipped: item.skipped,
            ..Summary::default()
        };
        let started = std::time::Instant::now();
        pipeline
            .run(&item.objects, |object, outcome| {
                progress.inc(1);
                if let Some(e) = &outcome.error {
                    progress.suspend(|| eprintln!("error: {e}"));
                }
                summary.record(object, outcome);
                progress.set_message(format!(
                    "{} events, {} alerts",
                    summary.events, summary.alerts
                ));
            })
            .await;
        summary.finish(started);
        progress.finish_and_clear();
        report::summary(&summary);
        Ok(if summary.failed.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    })
}

/// `--since`/`--until` as delivery-key bounds (shared with `rules diff`).
pub(crate) fn window(
    since: &Option<String>,
    until: &Option<String>,
) -> anyhow::Result<(Option<String>, Option<String>)> {
    let bound = |t: &Option<String>, name| {
        t.as_deref()
            .map(|t| {
                key_time_bound(t).with_context(|| {
                    format!("--{name} {t:?}: expected a date like 2026-11-25T10:05")
                })
            })
            .transpose()
    };
    Ok((bound(since, "since")?, bound(until, "until")?))
}

/// Expands the arguments into one listing, with an S3 client only when an s3:// argument needs
/// one. Keys are filtered by the trigger stage, as the Lambda filters them.
pub(crate) async fn resolve(
    paths: &[String],
    window: &(Option<String>, Option<String>),
) -> anyhow::Result<(Item, RoutedFetch)> {
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
        let s3 = match &fetch.s3 {
            Some(s3) => s3.clone(),
            None => {
                let sdk = trailwatch::aws::sdk_config().await;
                let s3 = S3Fetch::new(aws_sdk_s3::Client::new(&sdk));
                fetch.s3 = Some(s3.clone());
                s3
            }
        };
        let keys = list_keys(s3.client(), &uri.bucket, &uri.prefix)
            .await
            .with_context(|| format!("listing {arg}"))?;
        let before = objects.len();
        objects.extend(
            keys.into_iter()
                .filter(|key| in_window(key, window))
                .map(|key| ObjectRef::S3 {
                    bucket: uri.bucket.clone(),
                    key,
                }),
        );
        eprintln!("trailwatch: {arg}: {} files listed", objects.len() - before);
    }
    // Region-major listings read as live delivery would: every region's clock together.
    trailwatch::trigger::delivery_order(&mut objects);
    Ok((Item::listed(objects, &Options::default()), fetch))
}

/// Keys without a delivery timestamp are kept: the window filters trail files, not others.
fn in_window(key: &str, (since, until): &(Option<String>, Option<String>)) -> bool {
    let Some(stamp) = TrailKey::parse(key).map(|k| k.timestamp) else {
        return since.is_none() && until.is_none();
    };
    since.as_deref().is_none_or(|s| stamp >= s) && until.as_deref().is_none_or(|u| stamp < u)
}
