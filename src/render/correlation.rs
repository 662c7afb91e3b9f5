//! A correlation alert in the forms its readers need (email text, Chatbot card, alert JSON, one line, a CSV row, SNS
//! attributes).

use std::fmt::Write;

use serde_json::{json, Value};

use super::attributes::Attribute;
use super::chatbot::{emoji, md_text, thread_id};
use super::facts::level_upper;
use super::{csv, sanitize, subject};
use crate::alert::CorrelationAlert;

// Older paths of the model, still named by the correlation stage.
pub use crate::alert::{CorrelationRef, SampleRecord, VALUES_MAX};

impl CorrelationAlert {
    fn measure_text(&self) -> String {
        if self.measure.fract() == 0.0 && self.measure.abs() < 1e15 {
            format!("{} {}", self.measure as i64, self.measure_label)
        } else {
            format!("{:.2} ({})", self.measure, self.measure_label)
        }
    }

    fn group_text(&self) -> String {
        if self.group.is_empty() {
            return "all records".into();
        }
        self.group
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    sanitize::clean(k, 128),
                    sanitize::clean(v.as_deref().unwrap_or("(missing)"), sanitize::FIELD_MAX)
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn values_text(&self) -> Option<String> {
        if self.values.is_empty() {
            return None;
        }
        let listed: Vec<String> = self
            .values
            .iter()
            .map(|v| sanitize::clean(v, 256))
            .collect();
        let more = self
            .values_total
            .unwrap_or(self.values.len())
            .saturating_sub(self.values.len());
        let tail = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        Some(format!("{}{tail}", listed.join(", ")))
    }

    fn span(&self) -> String {
        format!(
            "{} to {} (UTC)",
            self.first_event_time, self.last_event_time
        )
    }

    /// `[LEVEL] title: measure - group`.
    pub fn subject(&self) -> String {
        subject::compose(
            &level_upper(self.correlation.level),
            &format!("{}: {}", self.correlation.title, self.measure_text()),
            &self.group_text(),
        )
    }

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
        csv::row(&[
            &self.last_event_time,
            &level_upper(self.correlation.level),
            &self.correlation.id,
            &self.group_text(),
            &value("sourceIPAddress"),
            &format!("{} (correlation)", self.measure_text()),
            &value("awsRegion"),
            &value("ccountId"),
            "",
        ])
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

    /// SNS message attributes: `kind` correlation, level, `rule_id` (the correlation's id),
    /// tags.
    pub fn attributes(&self) -> Vec<Attribute> {
        let level = serde_json::to_value(self.correlation.level)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        [
            Attribute::string("kind", "correlation"),
            Attribute::string("level", &level),
            Attribute::string("rule_id", &self.correlation.id),
            Attribute::array("tags", &self.correlation.tags),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}
