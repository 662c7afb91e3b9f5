//! Matching stage: a raw record meets the compiled rules.
//!
//! Most records in a trail cannot match any rule: rules name the `eventSource`/`eventName` they
//! need, and the rule set's index knows them. Reading those fields costs a scan of the record's
//! text (`head`). A record the index admits is then projected (`project`) onto the few paths the
//! rules read, and evaluated on that; the full JSON tree is built only for records that match and
//! that the plan may send, hold or correlate. A storm's further matches, which only add to a
//! digest, are counted from the few fields a [`Glimpse`] reads off the text.

use serde_json::Value;

use crate::enrich::{Enriched, Enricher, Wanted};
use crate::rules::{Doc, FieldPaths, Node, Rule, RuleSet};

mod deep;
mod glimpse;
mod head;
#[cfg(any(test, feature = "testing"))]
pub mod oracle;
mod project;

pub use glimpse::Glimpse;
use head::{fast_head, plain_string, Head};

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

/// What checking one record found.
// A `Counted` glimpse is a dozen borrowed fields: returned once per record and taken apart at
// once, it is cheaper moved than boxed (an allocation per counted match).
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Checked<'t> {
    /// No rule matched (or none could, by the index).
    NoMatch,
    /// At least one rule matched: the parsed record (the rules are in `hits`).
    Matched(Value),
    /// Rules matched, and the caller said none of them needs the record built: only the
    /// fields a counted match needs, read from the text.
    Counted(Glimpse<'t>),
    /// The record passed the splitter but the rules could not judge it: not a JSON object, or
    /// a field they read is nested deeper than the JSON parser builds (a deep member they do
    /// not read is cut, and the record judged). Counted and named, never silently dropped.
    Unreadable {
        /// Its `eventID`, where it could be read.
        event_id: Option<String>,
        /// Why it could not be evaluated.
        error: String,
    },
}

/// Checks records against a rule set.
#[derive(Debug)]
pub struct Matcher<'r> {
    rules: &'r RuleSet,
    /// Where some rule reads `enrichment.*`: the enrich stage, the parts the rules read, and
    /// the paths the stage reads besides the rules' own.
    enrich: Option<(&'r Enricher, Wanted, FieldPaths)>,
}

impl<'r> Matcher<'r> {
    /// A matcher over `rules`.
    pub fn new(rules: &'r RuleSet) -> Self {
        Matcher {
            rules,
            enrich: None,
        }
    }

    /// A matcher over `rules` whose `enrichment.*` paths `enricher` answers.
    pub fn enriched(rules: &'r RuleSet, enricher: &'r Enricher) -> Self {
        let paths = rules.field_paths();
        let read = paths.root().child(crate::enrich::FIELD.as_bytes());
        // A keyword selection searches the record as alerts carry it, enrichment included.
        let wanted = match paths.whole() {
            true => Some(Wanted::ALL),
            false => read.map(Wanted::of),
        };
        Matcher {
            rules,
            enrich: wanted.map(|wanted| {
                let with_inputs = paths.with_paths(crate::enrich::INPUTS);
                (enricher, wanted, with_inputs)
            }),
        }
    }

    /// Runs the rules on `doc`, with the enrichment where a rule reads it.
    fn judge<D: Doc + ?Sized>(&self, doc: &D, hits: &mut Vec<&'r Rule>) {
        match &self.enrich {
            Some((enricher, wanted, _)) => self
                .rules
                .matches(&Enriched::new(doc, enricher, *wanted), hits),
            None => self.rules.matches(doc, hits),
        }
    }

    /// Checks one record's text (valid JSON, as the decoder hands it over); the rules that
    /// matched are left in `hits`.
    pub fn check<'t>(
        &self,
        text: &'t str,
        hits: &mut Vec<&'r Rule>,
        seen: &mut Observed,
    ) -> Checked<'t> {
        self.check_for(text, hits, seen, |_| true)
    }

    /// [`Matcher::check`], where `build` says whether the rules that matched need the record
    /// built. Where they do not (a storm's matches, counted into a digest), the record is not
    /// parsed: its [`Glimpse`] is read from the text, unless the text is too odd for that.
    pub fn check_for<'t>(
        &self,
        text: &'t str,
        hits: &mut Vec<&'r Rule>,
        seen: &mut Observed,
        build: impl FnOnce(&[&'r Rule]) -> bool,
    ) -> Checked<'t> {
        hits.clear();
        let paths = match &self.enrich {
            Some((_, _, paths)) => paths,
            None => self.rules.field_paths(),
        };
        if paths.whole() {
            return self.check_whole(text, hits, seen);
        }
        // Where the index turns most records away, its head fields are read first, and only
        // admitted records are projected.
        if !self.rules.admits_all() {
            match fast_head(text) {
                Some(head) => {
                    if let Some(time) = head.event_time.as_deref() {
                        seen.see(time);
                    }
                    if !self.admits(&head) {
                        return Checked::NoMatch;
                    }
                }
                None => return self.check_whole(text, hits, seen),
            }
        }
        let Ok(projected) = project::project(text, paths.root()) else {
            return self.check_whole(text, hits, seen);
        };
        if self.rules.admits_all() {
            if let Some(Node::Str(time)) = projected.at(&["eventTime"]) {
                seen.see(time);
            }
        }
        self.judge(&projected, hits);
        let event_id = || match projected.at(&["eventID"]) {
            Some(Node::Str(id)) => Some(id.to_string()),
            _ => None,
        };
        if hits.is_empty() && projected.read_cut() {
            // A value a rule read is too deep to build: judge the record cut back instead.
            return self.judge_cut(text, hits, event_id());
        }
        if !hits.is_empty() && !build(hits) {
            // Without an eventID the match is known by its whole text: leave it to the parse.
            let glimpse = Glimpse::scan(text)
                .filter(|g| g.event_id.as_deref().is_some_and(|id| !id.is_empty()));
            if let Some(glimpse) = glimpse {
                return Checked::Counted(glimpse);
            }
        }
        self.full_record(text, hits, event_id)
    }

    /// Whether the index admits a record with this head.
    fn admits(&self, head: &Head) -> bool {
        let identity = head.user_identity.as_ref().and_then(|u| u.kind.as_deref());
        self.rules.may_match_identity(
            head.event_source.as_deref(),
            head.event_name.as_deref(),
            identity,
        )
    }

    /// A record that cannot be projected (or a rule set that reads every string): its head
    /// decides whether it is parsed in full for the rules.
    fn check_whole<'t>(
        &self,
        text: &str,
        hits: &mut Vec<&'r Rule>,
        seen: &mut Observed,
    ) -> Checked<'t> {
        let head = match fast_head(text) {
            Some(head) => Ok(head),
            None => serde_json::from_str::<Head>(text),
        };
        let mut event_id = None;
        let admitted = match head {
            Ok(head) => {
                event_id = head.event_id.as_deref().map(str::to_string);
                if let Some(time) = head.event_time.as_deref() {
                    seen.see(time);
                }
                self.admits(&head)
            }
            // Not an object, or odd field types: let the rules decide on the full value.
            Err(_) => true,
        };
        if !admitted {
            return Checked::NoMatch;
        }
        match serde_json::from_str::<Value>(text) {
            Ok(record) => {
                self.judge(&record, hits);
                if !hits.is_empty() {
                    Checked::Matched(record)
                } else if !record.is_object() {
                    unreadable(text, event_id, deep::NOT_AN_OBJECT.into())
                } else {
                    Checked::NoMatch
                }
            }
            Err(e) => self.failed(text, hits, event_id, e),
        }
    }

    /// The full record for the rules in `hits`, which rendering and correlation read: the one
    /// full parse, made only for a match.
    fn full_record<'t>(
        &self,
        text: &str,
        hits: &mut Vec<&'r Rule>,
        event_id: impl FnOnce() -> Option<String>,
    ) -> Checked<'t> {
        if hits.is_empty() {
            return Checked::NoMatch;
        }
        match serde_json::from_str(text) {
            Ok(record) => Checked::Matched(record),
            Err(e) => self.failed(text, hits, event_id(), e),
        }
    }
}

/// A record the rules could not be evaluated on (or rendered from), named where it can be.
fn unreadable<'t>(text: &str, event_id: Option<String>, error: String) -> Checked<'t> {
    Checked::Unreadable {
        event_id: event_id.or_else(|| find_event_id(text)),
        error,
    }
}

/// The first `"eventID":"..."` in the text, for naming a record whose head could not be read.
fn find_event_id(text: &str) -> Option<String> {
    let at = memchr::memmem::find(text.as_bytes(), b"\"eventID\"")? + 9;
    let rest = text.get(at..)?.trim_start().strip_prefix(':')?.trim_start();
    let body = plain_string(rest.as_bytes(), 0)?;
    std::str::from_utf8(body).ok().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_rules_skip_other_identities_unparsed_but_still_match_root() {
        let rule = "title: Root\nid: 00000000-0000-4000-8000-0000000000aa\nlevel: high\n\
                    logsource: {product: aws, service: cloudtrail}\n\
                    detection:\n  sel:\n    userIdentity.type: Root\n  condition: sel\n";
        let rules = RuleSet::from_sources(&[("root.yml".into(), rule.into())]).unwrap();
        let matcher = Matcher::new(&rules);
        let check = |text: &str| {
            matches!(
                matcher.check(text, &mut Vec::new(), &mut Observed::default()),
                Checked::Matched(_)
            )
        };
        assert!(!rules.may_match_identity(None, Some("GetObject"), Some("AWSService")));
        assert!(rules.may_match_identity(None, Some("GetObject"), Some("root")));
        assert!(
            rules.may_match(None, Some("GetObject")),
            "unknown identity stays a candidate"
        );
        assert!(check(r#"{"eventName":"X","userIdentity":{"type":"Root"}}"#));
        assert!(!check(
            r#"{"eventName":"X","userIdentity":{"type":"IAMUser"}}"#
        ));
        assert!(check(
            r#"{"eventName":"X","userIdentity":[{"type":"Root"}]}"#
        ));
    }
}
