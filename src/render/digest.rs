//! Storm control's summary: when one rule matches many records in one object (a script
//! rebooting every instance, a misconfigured job), people get the first alerts and then one
//! digest of the rest instead of hundreds of messages.

use std::collections::BTreeSet;
use std::fmt::Write;

use serde::Serialize;
use serde_json::{json, Value};

use super::attributes::Attribute;
use super::chatbot::{emoji, md_text, thread_id};
use super::facts::Facts;
use super::{level_upper, sanitize, subject, Alert, RuleRef};
use crate::fetch::ObjectRef;

/// How many eventIDs, principals or IPs a digest lists before saying how many more.
pub const LIST_MAX: usize = 50;

/// A list capped at [`LIST_MAX`], with the count of what was left out.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Capped {
    pub items: Vec<String>,
    pub omitted: usize,
}

impl Capped {
    fn of(values: impl IntoIterator<Item = String>, distinct: bool) -> Capped {
        let all: Vec<String> = if distinct {
            values
                .into_iter()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect()
        } else {
            values.into_iter().collect()
        };
        let omitted = all.len().saturating_sub(LIST_MAX);
        Capped {
            items: all.into_iter().take(LIST_MAX).collect(),
            omitted,
        }
    }

    fn line(&self) -> String {
        let mut s = self.items.join(", ");
        if self.omitted > 0 {
            let _ = write!(s, " (and {} more)", self.omitted);
        }
        s
    }
}

/// The matches of one rule in one object that were not sent one by one.
#[derive(Debug, Clone, Serialize)]
pub struct Digest {
    pub rule: RuleRef,
    pub source: ObjectRef,
    /// Matches of this rule in the object, alerts sent included.
    pub matches: usize,
    /// Sent individually before this digest.
    pub alerted: usize,
    /// Summarised here.
    pub count: usize,
    pub first_event_time: Option<String>,
    pub last_event_time: Option<String>,
    pub principals: Capped,
    pub source_ips: Capped,
    pub event_ids: Capped,
    pub account_ids: Vec<String>,
    pub regions: Vec<String>,
    pub event_names: Vec<String>,
}

impl Digest {
    /// Summarises `rest`, the matches after the `alerted` ones; `None` when there are none.
    pub fn of(alerted: usize, rest: &[&Alert]) -> Option<Digest> {
        let first = rest.first()?;
        let facts: Vec<Facts> = rest.iter().map(|a| Facts::of(a)).collect();
        let times: BTreeSet<String> = facts.iter().filter_map(|f| f.event_time.clone()).collect();
        let few = |pick: fn(&Facts) -> Option<String>| -> Vec<String> {
            Capped::of(facts.iter().filter_map(pick), true)
                .items
                .into_iter()
                .take(10)
                .collect()
        };
        Some(Digest {
            rule: first.rule.clone(),
            source: first.source.clone(),
            matches: alerted + rest.len(),
            alerted,
            count: rest.len(),
            first_event_time: times.first().cloned(),
            last_event_time: times.last().cloned(),
            principals: Capped::of(facts.iter().filter_map(|f| f.principal.clone()), true),
            source_ips: Capped::of(facts.iter().filter_map(|f| f.source_ip.clone()), true),
            event_ids: Capped::of(facts.iter().filter_map(|f| f.event_id.clone()), false),
            account_ids: few(|f| f.account.clone()),
            regions: few(|f| f.region.clone()),
            event_names: few(|f| f.event_name.clone()),
        })
    }

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
        Digest {
            principals: cut(&self.principals),
            source_ips: cut(&self.source_ips),
            event_ids: cut(&self.event_ids),
            ..self.clone()
        }
    }

    /// `{"digest": {...}}`: machine subscribers tell it from an alert by its top-level key.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&json!({ "digest": self })).unwrap_or_default()
    }

    /// Stable for the same object and rule, so a re-run's digest dedupes on FIFO topics.
    pub fn identity(&self) -> String {
        format!(
            "digest\u{0}{}\u{0}{}\u{0}{}\u{0}{}",
            self.rule.id,
            self.source,
            self.count,
            self.event_ids.items.first().map_or("", String::as_str)
        )
    }

    fn tail(&self) -> String {
        let one = |v: &[String]| match v {
            [one] => one.clone(),
            [] => "?".into(),
            _ => "several".into(),
        };
        format!("{}/{}", one(&self.account_ids), one(&self.regions))
    }

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
        let _ = writeln!(s, "  Principals:    {}", self.principals.line());
        let _ = writeln!(s, "  Source IPs:    {}", self.source_ips.line());
        let _ = writeln!(s, "  Accounts:      {}", self.account_ids.join(", "));
        let _ = writeln!(s, "  Regions:       {}", self.regions.join(", "));
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
        let description = [
            format!(
                "This rule matched {} records in one CloudTrail file; {} were sent as alerts, {} are summarised here.",
                self.matches, self.alerted, self.count
            ),
            format!("*When:* {}", sanitize::md_code(&self.span())),
            format!("*Who:* {}", md_list(&self.principals)),
            format!("*From:* {}", md_list(&self.source_ips)),
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
            single("region", &self.regions),
            Attribute::array("tags", &self.rule.tags),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}
