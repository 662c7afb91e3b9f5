//! The plain text for email (and SNS's `default`): everything the reader at 3 a.m. needs to
//! judge the event without opening a console, then links that do open it; and the one line per
//! alert, digest or correlation alert that terminals show.

use std::fmt::Write;

use super::facts::{level_upper, Facts};
use super::sanitize;
use crate::alert::{Alert, CorrelationAlert, Digest, LIST_MAX};
use crate::rules::field;

/// Longest `requestParameters` excerpt shown in the text (characters).
const PARAMS_MAX: usize = 2000;
/// Longest rule description or false-positive note (characters; rule text, still bounded).
const RULE_TEXT_MAX: usize = 2000;

/// The email body. Event values are cleaned (no control characters) and capped.
pub fn text(alert: &Alert, f: &Facts) -> String {
    let q = |v: &Option<String>| v.clone().unwrap_or_else(|| "unknown".into());
    let mut s = String::new();
    let _ = writeln!(
        s,
        "[{}] {}",
        level_upper(alert.rule.level),
        alert.headline()
    );
    s.push('\n');

    s.push_str("What happened\n");
    let what = match &f.resource {
        Some((kind, name)) => format!("{} on {kind} {name}", q(&f.event_name)),
        None => q(&f.event_name),
    };
    let _ = writeln!(s, "  {what} ({})", q(&f.event_source));
    if let Some(error) = &f.error {
        let _ = writeln!(s, "  Failed: {error}");
    }
    s.push('\n');

    s.push_str("Who\n");
    let _ = writeln!(s, "  Identity type: {}", q(&f.identity_type));
    let _ = writeln!(s, "  Principal:     {}", q(&f.principal));
    if let Some((actor, kind)) = &f.actor {
        if f.principal.as_ref() != Some(actor) {
            let _ = writeln!(s, "  Actor:         {actor} ({kind})");
        }
    }
    let _ = writeln!(s, "  Access key:    {}", q(&f.access_key));
    let _ = writeln!(s, "  MFA used:      {}", f.mfa_text());
    s.push('\n');

    s.push_str("From where\n");
    let _ = writeln!(s, "  Source IP:     {}", q(&f.source_line()));
    let _ = writeln!(s, "  User agent:    {}", q(&f.user_agent));
    s.push('\n');

    s.push_str("When\n");
    let _ = writeln!(s, "  {} (UTC)", q(&f.event_time));
    s.push('\n');

    s.push_str("Where\n");
    let _ = writeln!(s, "  Account:       {}", q(&f.account_line()));
    let _ = writeln!(s, "  Region:        {}", q(&f.region));
    let _ = writeln!(s, "  Event ID:      {}", q(&f.event_id));
    s.push('\n');

    let _ = writeln!(
        s,
        "About this rule ({})",
        sanitize::clean(&alert.rule.id, 128)
    );
    if let Some(d) = &alert.rule.description {
        let _ = writeln!(s, "  {}", sanitize::clean(d, RULE_TEXT_MAX));
    }
    if !alert.rule.falsepositives.is_empty() {
        s.push_str("  False positives:\n");
        for fp in alert.rule.falsepositives.iter().take(10) {
            let _ = writeln!(s, "  - {}", sanitize::clean(fp, RULE_TEXT_MAX));
        }
    }
    s.push('\n');

    if let Some(params) = field::get(&alert.event, "requestParameters").filter(|v| !v.is_null()) {
        s.push_str("Request parameters\n");
        let _ = writeln!(s, "  {}", sanitize::clean(&params.to_string(), PARAMS_MAX));
        s.push('\n');
    }

    if !f.links.is_empty() {
        s.push_str("Links\n");
        for link in &f.links {
            let _ = writeln!(s, "  {}: {}", link.label, link.url);
        }
        s.push('\n');
    }
    let _ = writeln!(
        s,
        "Read from {}",
        sanitize::clean(&alert.source.to_string(), 1024)
    );
    s
}

/// One readable line per alert, for terminals.
pub fn text_line(alert: &Alert) -> String {
    let get = |path| sanitize::clean(alert.field(path).unwrap_or("?"), sanitize::FIELD_MAX);
    let who = alert
        .field("userIdentity.arn")
        .or_else(|| alert.field("enrichment.actor.name"))
        .or_else(|| alert.field("userIdentity.type"))
        .unwrap_or("?");
    let mut ip = get("sourceIPAddress");
    if let Some(country) = alert.field("enrichment.source.country") {
        ip = format!("{ip} ({})", sanitize::clean(country, 8));
    }
    let account = alert
        .field("enrichment.account.name")
        .map(|name| format!(" in {}", sanitize::clean(name, sanitize::FIELD_MAX)))
        .unwrap_or_default();
    format!(
        "{level:<8} {title} | {name} by {who} from {ip}{account} at {time} | eventID {id} | {source}",
        level = level_upper(alert.rule.level),
        title = alert.headline(),
        name = get("eventName"),
        who = sanitize::clean(who, sanitize::FIELD_MAX),
        time = get("eventTime"),
        id = get("eventID"),
        source = alert.source,
    )
}

impl Digest {
    /// One readable line for terminals, like [`text_line`](super::text::text_line) for an alert.
    pub fn line(&self) -> String {
        format!(
            "{level:<8} {title}: {count} more matches (digest) | {span} | by {who} | {source}",
            level = level_upper(self.rule.level),
            title = sanitize::clean(&self.rule.title, sanitize::FIELD_MAX),
            count = self.count,
            span = self.span(),
            who = self.principals.line(3),
            source = self.source,
        )
    }

    /// The email body of the digest.
    pub fn text(&self) -> String {
        let title = sanitize::clean(&self.rule.title, sanitize::FIELD_MAX);
        let mut s = String::new();
        let _ = writeln!(
            s,
            "[{}] {title}: {} more matches (digest)",
            level_upper(self.rule.level),
            self.count
        );
        s.push('\n');
        let _ = writeln!(
            s,
            "This rule matched {} records in one CloudTrail file. The first {} were sent as alerts;\n\
             the other {} are summarised here instead of being sent one by one.\n",
            self.matches, self.alerted, self.count
        );
        let _ = writeln!(s, "  Events:        {}", self.event_names.join(", "));
        let _ = writeln!(s, "  Time span:     {}", self.span());
        let _ = writeln!(s, "  Principals:    {}", self.principals.line(LIST_MAX));
        let _ = writeln!(s, "  Source IPs:    {}", self.source_ips.line(LIST_MAX));
        let _ = writeln!(s, "  Accounts:      {}", self.accounts_text().join(", "));
        let _ = writeln!(s, "  Regions:       {}", self.regions.line(LIST_MAX));
        let _ = writeln!(s, "  Event IDs:     {}", self.event_ids.line());
        s.push('\n');
        let _ = writeln!(s, "Rule {}", sanitize::clean(&self.rule.id, 128));
        let _ = writeln!(
            s,
            "Read from {}",
            sanitize::clean(&self.source.to_string(), 1024)
        );
        s
    }
}

impl CorrelationAlert {
    /// One readable line for terminals.
    pub fn line(&self) -> String {
        format!(
            "{level:<8} {title}: {measure} | {span} | {group} | correlation",
            level = level_upper(self.correlation.level),
            title = sanitize::clean(&self.correlation.title, sanitize::FIELD_MAX),
            measure = self.measure_text(),
            span = self.span(),
            group = self.group_text(),
        )
    }

    /// The email body.
    pub fn text(&self) -> String {
        let c = &self.correlation;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "[{}] {}: {}",
            level_upper(c.level),
            sanitize::clean(&c.title, sanitize::FIELD_MAX),
            self.measure_text()
        );
        s.push('\n');
        let _ = writeln!(
            s,
            "These records together satisfy the correlation rule ({} {} within {}s).\n",
            c.kind, c.condition, c.timespan_seconds
        );
        let _ = writeln!(s, "  Group:         {}", self.group_text());
        let _ = writeln!(s, "  Measure:       {}", self.measure_text());
        if let Some(v) = self.values_text() {
            let _ = writeln!(s, "  Values:        {v}");
        }
        let _ = writeln!(s, "  Records:       {}", self.records);
        let _ = writeln!(s, "  Window:        {}", self.span());
        let rules: Vec<String> = c.rules.iter().map(|r| sanitize::clean(r, 256)).collect();
        let _ = writeln!(s, "  Rules:         {}", rules.join(" | "));
        if let Some(d) = &c.description {
            let _ = writeln!(s, "\n{}", sanitize::clean(d, 4000));
        }
        let _ = writeln!(s, "\nContributing records (up to {}):", self.sample.len());
        for r in &self.sample {
            let get = |v: &Option<String>| sanitize::clean(v.as_deref().unwrap_or("?"), 256);
            let _ = writeln!(
                s,
                "  {} {} from {} ({})",
                get(&r.event_time),
                get(&r.event_name),
                get(&r.source_ip),
                get(&r.event_id)
            );
            if let Some(link) = &r.link {
                let _ = writeln!(s, "    {link}");
            }
        }
        let _ = writeln!(s, "\nCorrelation {}", sanitize::clean(&c.id, 128));
        let _ = writeln!(
            s,
            "Read from {}",
            sanitize::clean(&self.source.to_string(), 1024)
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::tests::alert;

    #[test]
    fn text_line_names_what_who_and_where() {
        let line = text_line(&alert("Root reboot"));
        assert!(
            line.contains("RebootInstance by arn:aws:iam::1:root"),
            "{line}"
        );
        assert!(line.contains("eventID e1"), "{line}");
    }
}
