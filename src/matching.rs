//! Matching stage: a raw record meets the compiled rules.
//!
//! Most records in a trail cannot match any rule: rules name the `eventSource`/`eventName` they
//! need, and the rule set's index knows them. Reading those two fields costs a scan of the record's
//! text; building a full JSON tree costs far more, so it is done only for records the index admits.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::rules::{Rule, RuleSet};

/// The two fields the rule index is keyed on; everything else is skipped unparsed.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(rename = "eventSource", borrow, default)]
    event_source: Option<Cow<'a, str>>,
    #[serde(rename = "eventName", borrow, default)]
    event_name: Option<Cow<'a, str>>,
    #[serde(rename = "eventTime", borrow, default)]
    event_time: Option<Cow<'a, str>>,
}

/// What the matcher notices about every record on its way past, for metrics.
#[derive(Debug, Default)]
pub struct Observed {
    /// The earliest `eventTime` seen; ISO-8601 UTC text orders as time does.
    pub oldest_event_time: Option<String>,
}

impl Observed {
    fn see(&mut self, time: &str) {
        if self.oldest_event_time.as_deref().is_none_or(|t| time < t) {
            self.oldest_event_time = Some(time.to_string());
        }
    }
}

/// Checks records against a rule set.
#[derive(Debug)]
pub struct Matcher<'r> {
    rules: &'r RuleSet,
}

impl<'r> Matcher<'r> {
    pub fn new(rules: &'r RuleSet) -> Self {
        Matcher { rules }
    }

    /// Returns the parsed record when at least one rule matched, with the rules in `hits`.
    pub fn check(
        &self,
        raw: &RawValue,
        hits: &mut Vec<&'r Rule>,
        seen: &mut Observed,
    ) -> Option<Value> {
        hits.clear();
        let admitted = match serde_json::from_str::<Head>(raw.get()) {
            Ok(head) => {
                if let Some(time) = head.event_time.as_deref() {
                    seen.see(time);
                }
                self.rules
                    .may_match(head.event_source.as_deref(), head.event_name.as_deref())
            }
            // Not an object, or odd field types: let the rules decide on the full value.
            Err(_) => true,
        };
        if !admitted {
            return None;
        }
        let record: Value = serde_json::from_str(raw.get()).ok()?;
        self.rules.matches(&record, hits);
        (!hits.is_empty()).then_some(record)
    }
}
