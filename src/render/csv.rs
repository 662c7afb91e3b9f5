//! One CSV row per alert, digest or correlation alert, for investigators who sort timelines in spreadsheets.
//!
//! Event values are attacker-controlled, so a cell that a spreadsheet would run as a formula
//! (`=`, `+`, `-`, `@`, tab or carriage return first) is prefixed with `'`.

use super::facts::{level_upper, Facts};
use crate::alert::{Alert, CorrelationAlert, Digest};

/// The header row: time, level, rule, principal, source IP, event, region, account, eventID,
/// then the enrichment: the actor, the account's name, the AS and the country.
pub const HEADER: &str = "time,level,rule,principal,source_ip,event,region,account,event_id,\
                          actor,account_name,asn,country";

/// The row for one alert.
pub fn alert_row(alert: &Alert, f: &Facts) -> String {
    row(&[
        f.event_time.as_deref().unwrap_or(""),
        &level_upper(alert.rule.level),
        &alert.rule.id,
        f.principal.as_deref().unwrap_or(""),
        f.source_ip.as_deref().unwrap_or(""),
        f.event_name.as_deref().unwrap_or(""),
        f.region.as_deref().unwrap_or(""),
        f.account.as_deref().unwrap_or(""),
        f.event_id.as_deref().unwrap_or(""),
        f.actor.as_ref().map_or("", |(name, _)| name.as_str()),
        f.account_name.as_deref().unwrap_or(""),
        f.asn.as_deref().unwrap_or(""),
        f.country.as_deref().unwrap_or(""),
    ])
}

/// The row for a digest: its first event time, and how many matches it stands for.
pub fn digest_row(d: &Digest) -> String {
    let one = |v: Vec<String>| match v.as_slice() {
        [one] => one.clone(),
        _ => String::new(),
    };
    row(&[
        d.first_event_time.as_deref().unwrap_or(""),
        &level_upper(d.rule.level),
        &d.rule.id,
        &one(d.principals.values()),
        &one(d.source_ips.values()),
        &format!("{} more (digest)", d.count),
        &one(d.regions.values()),
        &one(d.account_ids.clone()),
        "",
        "",
        "",
        "",
        "",
    ])
}

pub(crate) fn row(cells: &[&str]) -> String {
    cells.iter().map(|c| cell(c)).collect::<Vec<_>>().join(",")
}

fn cell(value: &str) -> String {
    let guarded = match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_string(),
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

impl CorrelationAlert {
    /// A CSV row with the alert columns: the last event time, the group in the principal
    /// column, the measure in the event column.
    pub fn csv_row(&self) -> String {
        let value = |name: &str| {
            self.group
                .iter()
                .find(|(k, _)| k.contains(name))
                .and_then(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        row(&[
            &self.last_event_time,
            &level_upper(self.correlation.level),
            &self.correlation.id,
            &self.group_text(),
            &value("sourceIPAddress"),
            &format!("{} (correlation)", self.measure_text()),
            &value("awsRegion"),
            &value("ccountId"),
            "",
            &value("actor.name"),
            &value("account.name"),
            "",
            &value("source.country"),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("-1"), "'-1");
    }

    #[test]
    fn alert_rows_follow_the_header() {
        let a = crate::alert::tests::alert("t");
        let line = alert_row(&a, &Facts::of(&a));
        assert_eq!(line.split(',').count(), HEADER.split(',').count());
        assert!(line.contains("HIGH,r1,arn:aws:iam::1:root"), "{line}");
        assert!(
            line.ends_with(",e1,,,,"),
            "no enrichment: its four cells are empty: {line}"
        );
    }
}
