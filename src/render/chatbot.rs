//! The AWS Chatbot custom notification that Slack shows for an alert, a digest or a
//! correlation alert.
//!
//! Chatbot renders `client-markdown` in Slack, where `<!channel>` pings a channel and `<url|x>`
//! disguises a link, so every event value goes through [`sanitize::md_code`]. `threadId` is the
//! rule and account, so a burst of one rule's alerts lands in one Slack thread.

use serde_json::{json, Value};

use super::facts::{level_upper, Facts};
use super::sanitize;
use crate::alert::{Alert, Capped, CorrelationAlert, Counted, Digest};

/// Chatbot's limits, kept well inside.
const TITLE_MAX: usize = 250;
const DESCRIPTION_MAX: usize = 7000;

/// The custom notification JSON (`version` 1.0, `source` custom).
pub fn chatbot(alert: &Alert, f: &Facts) -> Value {
    let code = |v: &Option<String>| v.as_deref().map_or("unknown".into(), sanitize::md_code);
    let mut lines = Vec::new();
    let what = match &f.resource {
        Some((kind, name)) => format!(
            "{} on {kind} {}",
            code(&f.event_name),
            sanitize::md_code(name)
        ),
        None => code(&f.event_name),
    };
    lines.push(format!("*What:* {what}"));
    if let Some(error) = &f.error {
        lines.push(format!("*Failed:* {}", sanitize::md_code(error)));
    }
    lines.push(format!(
        "*Who:* {} {} (access key {}, MFA: {})",
        code(&f.identity_type),
        code(&f.principal),
        code(&f.access_key),
        f.mfa_text()
    ));
    if let Some((actor, kind)) = f
        .actor
        .as_ref()
        .filter(|(a, _)| f.principal.as_ref() != Some(a))
    {
        lines.push(format!(
            "*Actor:* {} ({})",
            sanitize::md_code(actor),
            sanitize::markdown(kind)
        ));
    }
    lines.push(format!(
        "*From:* {} using {}",
        code(&f.source_line()),
        code(&f.user_agent)
    ));
    lines.push(format!("*When:* {} (UTC)", code(&f.event_time)));
    lines.push(format!(
        "*Where:* account {}, region {}, eventID {}",
        code(&f.account_line()),
        code(&f.region),
        code(&f.event_id)
    ));
    if let Some(d) = &alert.rule.description {
        lines.push(format!("*Rule:* {}", md_text(d, 1000)));
    }
    if !alert.rule.falsepositives.is_empty() {
        let fps: Vec<String> = alert
            .rule
            .falsepositives
            .iter()
            .take(5)
            .map(|fp| md_text(fp, 300))
            .collect();
        lines.push(format!("*False positives:* {}", fps.join("; ")));
    }
    let description = sanitize::truncate(&lines.join("\n"), DESCRIPTION_MAX);

    let mut next_steps: Vec<String> = f
        .links
        .iter()
        .map(|l| format!("<{}|Open the {} in the console>", l.url, l.label))
        .collect();
    next_steps.push(format!(
        "Rule {} (read from {})",
        sanitize::md_code(&alert.rule.id),
        sanitize::md_code(&alert.source.to_string())
    ));

    let level = level_upper(alert.rule.level);
    let keywords: Vec<String> = [
        Some(level.clone()),
        f.event_name.clone(),
        f.account.clone(),
        f.region.clone(),
    ]
    .into_iter()
    .flatten()
    .map(|k| sanitize::markdown(&sanitize::clean(&k, 64)))
    .collect();
    let related: Vec<String> = f
        .resource
        .iter()
        .map(|(_, name)| sanitize::markdown(name))
        .collect();
    json!({
        "version": "1.0",
        "source": "custom",
        "content": {
            "textType": "client-markdown",
            "title": sanitize::truncate(
                &format!("{} [{level}] {}", emoji(&level), md_text(&alert.headline(), TITLE_MAX)),
                TITLE_MAX,
            ),
            "description": description,
            "nextSteps": next_steps,
            "keywords": keywords,
        },
        "metadata": {
            "threadId": thread_id(&alert.rule.id, f.account.as_deref().unwrap_or("unknown")),
            "summary": sanitize::truncate(&format!("[{level}] {}", md_text(&alert.rule.title, 200)), 250),
            "eventType": "trailwatch.alert",
            "relatedResources": related,
            "additionalContext": {
                "ruleId": sanitize::markdown(&sanitize::clean(&alert.rule.id, 128)),
                "eventId": f.event_id.as_deref().map(sanitize::markdown),
            },
        },
    })
}

/// Free text (rule prose, a summary filled from the event) made inert for markdown.
pub fn md_text(s: &str, max: usize) -> String {
    sanitize::markdown(&sanitize::clean(s, max))
}

/// The emoji Slack shows before a level.
pub fn emoji(level: &str) -> &'static str {
    match level {
        "CRITICAL" => ":rotating_light:",
        "HIGH" => ":red_circle:",
        "MEDIUM" => ":large_orange_circle:",
        _ => ":large_blue_circle:",
    }
}

/// `trailwatch-<rule>-<account>`, restricted to characters any thread key accepts.
pub fn thread_id(rule_id: &str, account: &str) -> String {
    let raw = format!("trailwatch-{rule_id}-{account}");
    raw.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(128)
        .collect()
}

impl Digest {
    /// The Chatbot card of the digest.
    pub fn chatbot(&self) -> Value {
        let level = level_upper(self.rule.level);
        let md_list = |c: &Capped| {
            let mut items: Vec<String> = c
                .items
                .iter()
                .take(10)
                .map(|i| sanitize::md_code(i))
                .collect();
            let more = c.omitted + c.items.len().saturating_sub(10);
            if more > 0 {
                items.push(format!("and {more} more"));
            }
            items.join(", ")
        };
        let md_counted = |c: &Counted| {
            let mut items: Vec<String> = c
                .items
                .iter()
                .take(10)
                .map(|i| format!("{} ({})", sanitize::md_code(&i.value), i.count))
                .collect();
            let more = c.omitted + c.items.len().saturating_sub(10);
            if more > 0 {
                items.push(format!("and {more} more"));
            }
            items.join(", ")
        };
        let description = [
            format!(
                "This rule matched {} records in one CloudTrail file; {} were sent as alerts, {} are summarised here.",
                self.matches, self.alerted, self.count
            ),
            format!("*When:* {}", sanitize::md_code(&self.span())),
            format!("*Who:* {}", md_counted(&self.principals)),
            format!("*From:* {}", md_counted(&self.source_ips)),
            format!(
                "*Accounts:* {}",
                sanitize::md_code(&self.accounts_text().join(", "))
            ),
            format!("*Event IDs:* {}", md_list(&self.event_ids)),
        ]
        .join("\n");
        json!({
            "version": "1.0",
            "source": "custom",
            "content": {
                "textType": "client-markdown",
                "title": sanitize::truncate(&format!(
                    "{} [{level}] {}: {} more matches",
                    emoji(&level), md_text(&self.rule.title, 200), self.count
                ), 250),
                "description": description,
                "nextSteps": [format!("See the email digest or the SQS copy for all {} event IDs", self.count)],
                "keywords": [level, "digest"],
            },
            "metadata": {
                "threadId": thread_id(&self.rule.id, self.account_ids.first().map_or("unknown", String::as_str)),
                "summary": format!("[{level}] {} more matches", self.count),
                "eventType": "trailwatch.digest",
            },
        })
    }
}

impl CorrelationAlert {
    /// The Chatbot card.
    pub fn chatbot(&self) -> Value {
        let c = &self.correlation;
        let level = level_upper(c.level);
        let mut lines = vec![
            format!("*Group:* {}", sanitize::md_code(&self.group_text())),
            format!(
                "*Measure:* {} ({} {} within {}s)",
                self.measure_text(),
                c.kind,
                c.condition,
                c.timespan_seconds
            ),
            format!("*When:* {}", sanitize::md_code(&self.span())),
        ];
        if let Some(v) = self.values_text() {
            lines.push(format!("*Values:* {}", sanitize::md_code(&v)));
        }
        for r in self.sample.iter().take(5) {
            let name = sanitize::md_code(r.event_name.as_deref().unwrap_or("?"));
            let when = sanitize::md_code(r.event_time.as_deref().unwrap_or("?"));
            match &r.link {
                Some(link) => lines.push(format!("• {name} at {when} <{link}|event>")),
                None => lines.push(format!("• {name} at {when}")),
            }
        }
        let account = self
            .group
            .iter()
            .find(|(k, _)| k.contains("ccountId"))
            .and_then(|(_, v)| v.clone())
            .unwrap_or_else(|| "unknown".into());
        json!({
            "version": "1.0",
            "source": "custom",
            "content": {
                "textType": "client-markdown",
                "title": sanitize::truncate(&format!(
                    "{} [{level}] {}: {}", emoji(&level), md_text(&c.title, 200), self.measure_text()
                ), 250),
                "description": lines.join("\n"),
                "keywords": [level, "correlation"],
            },
            "metadata": {
                "threadId": thread_id(&c.id, &account),
                "summary": format!("[{level}] {}", md_text(&c.title, 200)),
                "eventType": "trailwatch.correlation",
            },
        })
    }
}
