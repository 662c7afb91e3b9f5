//! A digest in the forms its readers need: subject, email text, Chatbot card, one line, and
//! SNS attributes.

use std::fmt::Write;

use serde_json::{json, Value};

use super::attributes::Attribute;
use super::chatbot::{emoji, md_text, thread_id};
use super::facts::level_upper;
use super::{sanitize, subject};
use crate::alert::{Capped, Count, Counted, Digest, LIST_MAX};

impl Capped {
    pub(crate) fn line(&self) -> String {
        let mut s = self.items.join(", ");
        if self.omitted > 0 {
            let _ = write!(s, " (and {} more)", self.omitted);
        }
        s
    }
}

impl Counted {
    pub(crate) fn line(&self, n: usize) -> String {
        let mut s = self
            .items
            .iter()
            .take(n)
            .map(|c| format!("{} ({})", c.value, c.count))
            .collect::<Vec<_>>()
            .join(", ");
        let more = self.omitted + self.items.len().saturating_sub(n);
        if more > 0 {
            let _ = write!(s, " (and {more} more)");
        }
        s
    }
}

impl Digest {
    /// The same digest listing at most `n` of each kind, for when the full one is too big.
    pub fn shrunk(&self, n: usize) -> Digest {
        let cut = |c: &Capped| Capped {
            items: c
                .items
                .iter()
                .take(n)
                .map(|i| sanitize::truncate(i, 128))
                .collect(),
            omitted: c.omitted + c.items.len().saturating_sub(n),
        };
        let cut_counted = |c: &Counted| Counted {
            items: c
                .items
                .iter()
                .take(n)
                .map(|i| Count {
                    value: sanitize::truncate(&i.value, 128),
                    count: i.count,
                })
                .collect(),
            omitted: c.omitted + c.items.len().saturating_sub(n),
            others: c.others,
        };
        Digest {
            principals: cut_counted(&self.principals),
            source_ips: cut_counted(&self.source_ips),
            regions: cut_counted(&self.regions),
            event_ids: cut(&self.event_ids),
            ..self.clone()
        }
    }

    /// `{"digest": {...}}`: machine subscribers tell it from an alert by its top-level key.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&json!({ "digest": self })).unwrap_or_default()
    }

    /// (rule, object): one digest per rule per object, so a re-run's digest dedupes on FIFO
    /// topics and claims the same identity in the state table.
    pub fn identity(&self) -> String {
        format!("digest\u{0}{}\u{0}{}", self.rule.id, self.source)
    }

    fn tail(&self) -> String {
        let one = |v: &[String]| match v {
            [one] => one.clone(),
            [] => "?".into(),
            _ => "several".into(),
        };
        format!("{}/{}", one(&self.account_ids), one(&self.regions.values()))
    }

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

    /// `[LEVEL] N more: title - account/region`.
    pub fn subject(&self) -> String {
        subject::compose(
            &level_upper(self.rule.level),
            &format!("{} more: {}", self.count, self.rule.title),
            &self.tail(),
        )
    }

    fn span(&self) -> String {
        format!(
            "{} to {} (UTC)",
            self.first_event_time.as_deref().unwrap_or("?"),
            self.last_event_time.as_deref().unwrap_or("?")
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
        let _ = writeln!(s, "  Accounts:      {}", self.account_ids.join(", "));
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

    /// SNS message attributes: `kind` digest, level, rule, and single-valued event fields.
    pub fn attributes(&self) -> Vec<Attribute> {
        let level = serde_json::to_value(self.rule.level)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let single = |name, v: &[String]| match v {
            [one] => Attribute::string(name, one),
            _ => None,
        };
        [
            Attribute::string("kind", "digest"),
            Attribute::string("level", &level),
            Attribute::string("rule_id", &self.rule.id),
            single("event_name", &self.event_names),
            single("account_id", &self.account_ids),
            single("region", &self.regions.values()),
            Attribute::array("tags", &self.rule.tags),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}
