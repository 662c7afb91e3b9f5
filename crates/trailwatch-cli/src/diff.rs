//! `trailwatch rules diff OLD NEW --against PATH|s3://...`: what a rule change would have
//! alerted on over real history, before it is deployed.
//!
//! The history goes through `scan`'s pipeline twice, once per rule set, each with its own
//! in-memory state. The two run in lockstep, object by object (each object's two scans side by
//! side), so only one object's alerts are held at a time: memory stays bounded by counts and a
//! few examples per rule, never every alert of the history.
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use trailwatch::config::Settings;
use trailwatch::deliver::{Deliver, DeliverError};
use trailwatch::pipeline::{self, Pipeline};
use trailwatch::plan::{Batch, Form};
use trailwatch::rules::RuleSet;

use crate::{report, scan};

/// Examples kept per rule and per kind of change.
const SAMPLES: usize = 3;

#[derive(clap::Args, Debug)]
pub struct DiffArgs {
    /// The rule set in force: a rule file or directory.
    old: PathBuf,
    /// The changed rule set.
    new: PathBuf,
    /// History to replay: trail files or directories, or s3://bucket/prefix/ (repeatable).
    #[arg(long, required = true, value_name = "PATH|S3URI")]
    against: Vec<String>,
    /// For s3:// prefixes: only files delivered at or after this time (2026-11-25, 2026-11-25T10:05).
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// For s3:// prefixes: only files delivered before this time.
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
}

pub fn run(args: DiffArgs) -> anyhow::Result<ExitCode> {
    let old = trailwatch::config::local_rules(std::slice::from_ref(&args.old), false)?;
    let new = trailwatch::config::local_rules(std::slice::from_ref(&args.new), false)?;
    let window = scan::window(&args.since, &args.until)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let diff = runtime.block_on(compare(old, new, &args.against, &window))?;
    print!("{diff}");
    Ok(if diff.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// One alert as the diff sees it: who raised it, what makes it unique, and a line to show.
#[derive(Debug, Clone)]
struct Seen {
    rule: String,
    identity: String,
    line: String,
}

/// A delivery seam that keeps the current object's alerts for the diff.
#[derive(Debug, Default)]
struct Collect {
    alerts: Mutex<Vec<Seen>>,
}

impl Collect {
    fn take(&self) -> Vec<Seen> {
        self.alerts
            .lock()
            .map(|mut a| std::mem::take(&mut *a))
            .unwrap_or_default()
    }
}

#[async_trait]
impl Deliver for Collect {
    async fn send(&self, batch: &Batch) -> Result<(), DeliverError> {
        let mut alerts = self.alerts.lock().map_err(|_| DeliverError {
            failed: batch.messages.len(),
            total: batch.messages.len(),
            message: "diff collector poisoned".into(),
        })?;
        alerts.extend(batch.messages.iter().map(|m| Seen {
            rule: m.rule_id.clone(),
            identity: m.identity.clone(),
            line: first_line(&m.body),
        }));
        Ok(())
    }
}

fn first_line(body: &str) -> String {
    let line = body.lines().next().unwrap_or_default();
    match line.char_indices().nth(160) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line.to_owned(),
    }
}

/// Per rule: how many alerts each kind of change counted, and a few of each.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RuleDiff {
    pub title: String,
    pub added: u64,
    pub removed: u64,
    pub unchanged: u64,
    pub added_samples: Vec<String>,
    pub removed_samples: Vec<String>,
    pub unchanged_samples: Vec<String>,
}

impl RuleDiff {
    fn changed(&self) -> bool {
        self.added > 0 || self.removed > 0
    }
}

/// The whole comparison.
#[derive(Debug, Default)]
pub struct Diff {
    pub rules: BTreeMap<String, RuleDiff>,
    pub objects: usize,
    pub events: u64,
    pub failed: usize,
}

enum Change {
    Added,
    Unchanged,
    Removed,
}

fn keep(samples: &mut Vec<String>, line: &str) {
    if samples.len() < SAMPLES {
        samples.push(line.to_owned());
    }
}

impl Diff {
    /// Adds one object's alerts under both rule sets.
    fn add(&mut self, old: Vec<Seen>, new: Vec<Seen>, titles: &HashMap<String, String>) {
        let mut before: HashMap<(String, String), String> = old
            .into_iter()
            .map(|s| ((s.rule, s.identity), s.line))
            .collect();
        // A message sent to several topics counts once.
        let mut after_seen = std::collections::HashSet::new();
        let mut updates: Vec<(String, Change, String)> = Vec::new();
        for s in new {
            if !after_seen.insert((s.rule.clone(), s.identity.clone())) {
                continue;
            }
            let kind = if before.remove(&(s.rule.clone(), s.identity)).is_some() {
                Change::Unchanged
            } else {
                Change::Added
            };
            updates.push((s.rule, kind, s.line));
        }
        updates.extend(
            before
                .into_iter()
                .map(|((rule, _), line)| (rule, Change::Removed, line)),
        );
        for (rule, kind, line) in updates {
            let title = titles.get(&rule).cloned().unwrap_or_default();
            let r = self.rules.entry(rule).or_insert_with(|| RuleDiff {
                title,
                ..RuleDiff::default()
            });
            match kind {
                Change::Added => {
                    r.added += 1;
                    keep(&mut r.added_samples, &line);
                }
                Change::Unchanged => {
                    r.unchanged += 1;
                    keep(&mut r.unchanged_samples, &line);
                }
                Change::Removed => {
                    r.removed += 1;
                    keep(&mut r.removed_samples, &line);
                }
            }
        }
    }
}

impl std::fmt::Display for Diff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut rows: Vec<(&String, &RuleDiff)> = self.rules.iter().collect();
        rows.sort_by_key(|(id, r)| (!r.changed(), (*id).clone()));
        for (id, r) in &rows {
            let mark = if r.changed() { "~" } else { "=" };
            writeln!(
                f,
                "{mark} {id} ({}): +{} added, -{} removed, {} unchanged",
                r.title, r.added, r.removed, r.unchanged
            )?;
            for (sign, samples) in [
                ("+", &r.added_samples),
                ("-", &r.removed_samples),
                (" ", &r.unchanged_samples),
            ] {
                for s in samples {
                    writeln!(f, "    {sign} {s}")?;
                }
            }
        }
        let changed = rows.iter().filter(|(_, r)| r.changed()).count();
        let total = |g: fn(&RuleDiff) -> u64| rows.iter().map(|(_, r)| g(r)).sum::<u64>();
        if changed == 0 {
            writeln!(
                f,
                "no change: {} alerts from {} rules unchanged over {} objects, {} events",
                total(|r| r.unchanged),
                rows.len(),
                self.objects,
                self.events
            )
        } else {
            writeln!(
                f,
                "{changed} rules changed: +{} added, -{} removed, {} unchanged over {} objects, {} events",
                total(|r| r.added),
                total(|r| r.removed),
                total(|r| r.unchanged),
                self.objects,
                self.events
            )
        }
    }
}

/// Rule and correlation titles of both sets, by id.
fn titles(sets: [&RuleSet; 2]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for set in sets {
        for r in set.rules() {
            out.insert(r.id.clone(), r.title.clone());
        }
        for c in set.correlations() {
            out.insert(c.id.clone(), c.title.clone());
        }
    }
    out
}

/// The settings `scan --every-match` uses: every match is an alert of its own (no storm
/// digests, no claims), so a changed rule shows each record it gains or loses.
fn settings(config: &Settings) -> pipeline::Settings {
    let mut s = config.pipeline();
    s.concurrency = 1;
    s.plan.every_match = true;
    s.plan.form = Form::Text;
    s.state.claims = false;
    s.correlation.clock = trailwatch::correlate::Clock::EventTime;
    s
}

/// Replays `against` through both rule sets and counts what changed.
pub async fn compare(
    old: RuleSet,
    new: RuleSet,
    against: &[String],
    window: &(Option<String>, Option<String>),
) -> anyhow::Result<Diff> {
    // The function's variables (limits, lateness), as scan reads them.
    let mut config = Settings::env("-", Arc::default())?;
    config.load_enrichment().await?;
    let titles = titles([&old, &new]);
    let (item, fetch) = scan::resolve(against, window).await?;
    let fetch = Arc::new(fetch);
    let (old_out, new_out) = (Arc::new(Collect::default()), Arc::new(Collect::default()));
    let old_p = Pipeline::new(
        fetch.clone(),
        old_out.clone(),
        Arc::new(old),
        settings(&config),
    );
    let new_p = Pipeline::new(fetch, new_out.clone(), Arc::new(new), settings(&config));
    let progress = report::progress_bar(item.objects.len());
    let mut diff = Diff::default();
    for object in &item.objects {
        let (a, b) = tokio::join!(old_p.process(object), new_p.process(object));
        for e in [&a.error, &b.error].into_iter().flatten() {
            progress.suspend(|| eprintln!("error: {e}"));
        }
        diff.failed += usize::from(a.error.is_some() || b.error.is_some());
        diff.objects += 1;
        diff.events += a.events;
        diff.add(old_out.take(), new_out.take(), &titles);
        progress.inc(1);
        let (added, removed) = diff
            .rules
            .values()
            .fold((0, 0), |(a, r), d| (a + d.added, r + d.removed));
        progress.set_message(format!(
            "{} events, +{added} -{removed} alerts",
            diff.events
        ));
    }
    progress.finish_and_clear();
    for skip in &item.skipped {
        eprintln!("skipped: {}: {}", skip.object, skip.reason);
    }
    Ok(diff)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(rule: &str, id: &str) -> Seen {
        Seen {
            rule: rule.into(),
            identity: id.into(),
            line: format!("{rule} {id}"),
        }
    }

    #[test]
    fn counts_added_removed_unchanged_with_bounded_samples() {
        let mut d = Diff::default();
        let titles = HashMap::new();
        let old: Vec<Seen> = (0..5).map(|i| seen("a", &i.to_string())).collect();
        let new: Vec<Seen> = (2..9).map(|i| seen("a", &i.to_string())).collect();
        d.add(old, new, &titles);
        let a = &d.rules["a"];
        assert_eq!((a.added, a.removed, a.unchanged), (4, 2, 3));
        assert_eq!(a.added_samples.len(), SAMPLES);
        assert_eq!(a.removed_samples.len(), 2);
        assert!(d.to_string().contains("1 rules changed"));
    }
}
