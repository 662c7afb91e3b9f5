//! What `scan` tells the person at the terminal: progress while it runs, then a summary line
//! and, on a terminal, a table of alerts per rule with coloured levels. Piped stderr stays plain.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};
use trailwatch::pipeline::Summary;
use trailwatch::render::sanitize::{clean, FIELD_MAX};
use trailwatch::rules::Level;

pub fn progress_bar(len: usize) -> ProgressBar {
    // Hidden by indicatif itself when stderr is not a terminal.
    let bar = ProgressBar::new(len as u64);
    if let Ok(style) = ProgressStyle::with_template(
        "{bar:30} {pos}/{len} objects {elapsed_precise} eta {eta} {msg}",
    ) {
        bar.set_style(style);
    }
    bar
}

pub fn summary(summary: &Summary) {
    let terminal = std::io::stderr().is_terminal();
    if terminal && !summary.rules.is_empty() {
        eprintln!("{}", table(summary, true));
    }
    for skip in &summary.skipped {
        eprintln!("skipped: {}: {}", skip.object, skip.reason);
    }
    for line in unreadable(summary) {
        eprintln!("{line}");
    }
    eprintln!(
        "trailwatch: {} objects, {} events, {} alerts, {} digests, {} unreadable, {} skipped, {} failed in {:.2}s",
        summary.objects,
        summary.events,
        summary.alerts,
        summary.digests,
        summary.records_unreadable,
        summary.skipped.len(),
        summary.failed.len(),
        summary.elapsed_ms as f64 / 1000.0
    );
    let mut parts = Vec::new();
    if summary.correlation_alerts > 0 {
        parts.push(format!(
            "{} of the alerts from correlation rules",
            summary.correlation_alerts
        ));
    }
    if summary.correlation_late > 0 {
        parts.push(format!(
            "{} records too late for their window (CORRELATION_LATENESS), not counted",
            summary.correlation_late
        ));
    }
    if summary.correlation_dropped > 0 {
        parts.push(format!(
            "{} matches not correlated (no eventTime, or past the per-file bound)",
            summary.correlation_dropped
        ));
    }
    if !parts.is_empty() {
        eprintln!("trailwatch: {}", parts.join("; "));
    }
}

/// One line per named unreadable record, and a count of those not named. The eventID and the
/// key come from the data: cleaned, so they cannot write escapes to the terminal.
fn unreadable(summary: &Summary) -> Vec<String> {
    let mut lines: Vec<String> = summary
        .unreadable
        .iter()
        .map(|u| {
            let id = u
                .event_id
                .as_deref()
                .map_or("?".into(), |id| clean(id, FIELD_MAX));
            format!(
                "unreadable: {}: eventID {id}: {}",
                clean(&u.object, 1024),
                u.reason
            )
        })
        .collect();
    let unnamed = summary
        .records_unreadable
        .saturating_sub(lines.len() as u64);
    if unnamed > 0 {
        lines.push(format!("unreadable: {unnamed} more, not named"));
    }
    lines
}

/// Alerts per rule, most severe first; `colour` paints the level column.
fn table(summary: &Summary, colour: bool) -> String {
    let mut rows: Vec<_> = summary.rules.iter().collect();
    rows.sort_by(|(a_id, a), (b_id, b)| {
        b.level
            .cmp(&a.level)
            .then(b.matches.cmp(&a.matches))
            .then(a_id.cmp(b_id))
    });
    let mut out = format!(
        "{:<13} {:>8} {:>8} {:>8}  rule\n",
        "level", "matches", "alerts", "digested"
    );
    for (id, t) in rows {
        let level = t.level.map_or("?", Level::as_str);
        let cell = format!("{level:<13}");
        let cell = match (colour, t.level) {
            (true, Some(l)) => format!("\x1b[{}m{cell}\x1b[0m", ansi(l)),
            _ => cell,
        };
        out.push_str(&format!(
            "{cell} {:>8} {:>8} {:>8}  {} ({id})\n",
            t.matches, t.alerted, t.digested, t.title
        ));
    }
    out
}

fn ansi(level: Level) -> &'static str {
    match level {
        Level::Critical => "1;35",
        Level::High => "1;31",
        Level::Medium => "33",
        Level::Low => "36",
        Level::Informational => "2",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trailwatch::plan::RuleTally;

    #[test]
    fn unreadable_records_are_named_cleaned_and_the_rest_counted() {
        let mut s = Summary {
            records_unreadable: 3,
            ..Summary::default()
        };
        s.unreadable.push(trailwatch::pipeline::Unreadable {
            object: "s3://b/k.json.gz".into(),
            event_id: Some("e1\x1b[2J".into()),
            reason: "the record is not a JSON object".into(),
        });
        let lines = unreadable(&s);
        assert_eq!(
            lines,
            [
                "unreadable: s3://b/k.json.gz: eventID e1[2J: the record is not a JSON object",
                "unreadable: 2 more, not named",
            ]
        );
    }

    #[test]
    fn table_lists_rules_most_severe_first_and_colours_only_when_asked() {
        let mut s = Summary::default();
        for (id, level, n) in [("a", Level::Low, 5), ("b", Level::Critical, 1)] {
            s.rules.insert(
                id.into(),
                RuleTally {
                    title: format!("rule {id}"),
                    level: Some(level),
                    matches: n,
                    alerted: n,
                    digested: 0,
                },
            );
        }
        let plain = table(&s, false);
        let lines: Vec<&str> = plain.lines().collect();
        assert!(lines[1].starts_with("critical"), "{plain}");
        assert!(lines[2].starts_with("low"), "{plain}");
        assert!(!plain.contains('\x1b'));
        assert!(table(&s, true).contains("\x1b[1;35mcritical"));
    }
}
