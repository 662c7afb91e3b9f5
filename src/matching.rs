//! Matching stage: a raw record meets the compiled rules.
//!
//! Most records in a trail cannot match any rule: rules name the `eventSource`/`eventName` they
//! need, and the rule set's index knows them. Reading those two fields costs a scan of the record's
//! text; building a full JSON tree costs far more, so it is done only for records the index admits.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::decode::Scan;
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
    /// Read so that a record that cannot be evaluated can still be named.
    #[serde(rename = "eventID", borrow, default)]
    event_id: Option<Cow<'a, str>>,
    #[serde(rename = "userIdentity", borrow, default)]
    user_identity: Option<IdentityHead<'a>>,
}

/// `userIdentity.type`, the third index key.
#[derive(Deserialize, Default)]
struct IdentityHead<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
}

/// Reads the head fields from a record's top-level keys without building anything: other values
/// are stepped over by the decoder's scanner. `None` (escapes, odd types, not an object) leaves the
/// record to serde. The text has already been validated as JSON by the decoder.
fn fast_head(text: &str) -> Option<Head<'_>> {
    let mut head = Head {
        event_source: None,
        event_name: None,
        event_time: None,
        event_id: None,
        user_identity: None,
    };
    let start = skip_ws(text.as_bytes(), 0);
    members(text.as_bytes(), start, |key, at| {
        let slot = match key {
            b"eventSource" => &mut head.event_source,
            b"eventName" => &mut head.event_name,
            b"eventTime" => &mut head.event_time,
            b"eventID" => &mut head.event_id,
            b"userIdentity" => {
                return match fast_identity(text, at) {
                    Some((kind, len)) => {
                        head.user_identity = Some(IdentityHead { kind });
                        Step::Read(len)
                    }
                    None => Step::GiveUp,
                }
            }
            _ => return Step::Skip,
        };
        read_into(text, at, slot)
    })?;
    Some(head)
}

/// `type` inside the `userIdentity` value starting at `at`, and the bytes that value spans.
/// `None` when it is not a plain object (an array, escapes, a non-string type): serde decides.
fn fast_identity(text: &str, at: usize) -> Option<(Option<Cow<'_, str>>, usize)> {
    if text.as_bytes()[at..].starts_with(b"null") {
        return Some((None, 4));
    }
    let mut kind = None;
    let len = members(text.as_bytes(), at, |key, i| match key {
        b"type" => read_into(text, i, &mut kind),
        _ => Step::Skip,
    })?;
    Some((kind, len))
}

/// What a visitor of [`members`] did with one value.
enum Step {
    /// Read it; it spans this many bytes.
    Read(usize),
    /// Not wanted: step over it.
    Skip,
    /// Not plain enough to read here: leave the whole record to serde.
    GiveUp,
}

/// Walks the members of the object at `at`, handing each key and its value's offset to
/// `visit`. Returns the object's length, or `None` where the text is not plain enough.
fn members(bytes: &[u8], at: usize, mut visit: impl FnMut(&[u8], usize) -> Step) -> Option<usize> {
    if bytes.get(at) != Some(&b'{') {
        return None;
    }
    let mut i = skip_ws(bytes, at + 1);
    if bytes.get(i) == Some(&b'}') {
        return Some(i + 1 - at);
    }
    loop {
        let key = plain_string(bytes, i)?;
        i = skip_ws(bytes, i + key.len() + 2);
        if bytes.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(bytes, i + 1);
        i += match visit(key, i) {
            Step::Read(len) => len,
            Step::Skip => Scan::default().run(&bytes[i..])?,
            Step::GiveUp => return None,
        };
        i = skip_ws(bytes, i);
        match bytes.get(i)? {
            b',' => i = skip_ws(bytes, i + 1),
            b'}' => return Some(i + 1 - at),
            _ => return None,
        }
    }
}

/// Stores the plain string (or null) at `at` in `slot`; anything else gives up.
fn read_into<'t>(text: &'t str, at: usize, slot: &mut Option<Cow<'t, str>>) -> Step {
    let bytes = text.as_bytes();
    match bytes.get(at) {
        Some(b'"') => match plain_string(bytes, at) {
            // Valid UTF-8: the slice lies between two ASCII quotes of a `str`.
            Some(value) => match text.get(at + 1..at + 1 + value.len()) {
                Some(v) => {
                    *slot = Some(Cow::Borrowed(v));
                    Step::Read(value.len() + 2)
                }
                None => Step::GiveUp,
            },
            None => Step::GiveUp,
        },
        Some(b'n') if bytes[at..].starts_with(b"null") => {
            *slot = None;
            Step::Read(4)
        }
        _ => Step::GiveUp,
    }
}

/// The body of the string starting at `at`, when it has no escapes.
fn plain_string(bytes: &[u8], at: usize) -> Option<&[u8]> {
    if bytes.get(at) != Some(&b'"') {
        return None;
    }
    let body = &bytes[at + 1..];
    let end = memchr::memchr2(b'"', b'\\', body)?;
    (body[end] == b'"').then_some(&body[..end])
}

fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while matches!(bytes.get(i), Some(b' ' | b'\n' | b'\r' | b'\t')) {
        i += 1;
    }
    i
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

/// What checking one record found.
#[derive(Debug)]
pub enum Checked {
    /// No rule matched (or none could, by the index).
    NoMatch,
    /// At least one rule matched: the parsed record (the rules are in `hits`).
    Matched(Value),
    /// The record passed the splitter but could not be evaluated, e.g. nested deeper than the
    /// JSON parser allows. Counted and logged, never silently dropped.
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
}

impl<'r> Matcher<'r> {
    /// A matcher over `rules`.
    pub fn new(rules: &'r RuleSet) -> Self {
        Matcher { rules }
    }

    /// Checks one record; the rules that matched are left in `hits`.
    pub fn check(&self, raw: &RawValue, hits: &mut Vec<&'r Rule>, seen: &mut Observed) -> Checked {
        hits.clear();
        let head = match fast_head(raw.get()) {
            Some(head) => Ok(head),
            None => serde_json::from_str::<Head>(raw.get()),
        };
        let mut event_id = None;
        let admitted = match head {
            Ok(head) => {
                event_id = head.event_id.as_deref().map(str::to_string);
                if let Some(time) = head.event_time.as_deref() {
                    seen.see(time);
                }
                let identity = head.user_identity.as_ref().and_then(|u| u.kind.as_deref());
                self.rules.may_match_identity(
                    head.event_source.as_deref(),
                    head.event_name.as_deref(),
                    identity,
                )
            }
            // Not an object, or odd field types: let the rules decide on the full value.
            Err(_) => true,
        };
        if !admitted {
            return Checked::NoMatch;
        }
        let record: Value = match serde_json::from_str(raw.get()) {
            Ok(record) => record,
            Err(e) => {
                return Checked::Unreadable {
                    event_id: event_id.or_else(|| find_event_id(raw.get())),
                    error: e.to_string(),
                }
            }
        };
        self.rules.matches(&record, hits);
        if hits.is_empty() {
            Checked::NoMatch
        } else {
            Checked::Matched(record)
        }
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

    fn head(text: &str) -> Option<(Option<String>, Option<String>, Option<String>)> {
        fast_head(text).map(|h| {
            let own = |c: Option<Cow<str>>| c.map(|c| c.into_owned());
            (own(h.event_source), own(h.event_name), own(h.event_time))
        })
    }

    #[test]
    fn fast_head_reads_the_key_fields_and_skips_the_rest() {
        let text = r#"{"userIdentity":{"type":"Root","x":[1,{"eventName":"no"}]},"eventTime":"2024-06-01T00:00:00Z",
            "eventSource" : "s3.amazonaws.com","requestParameters":{"a":"b\"}"},"eventName":"PutObject","n":1.5e3}"#;
        let (source, name, time) = head(text).unwrap();
        assert_eq!(source.as_deref(), Some("s3.amazonaws.com"));
        assert_eq!(name.as_deref(), Some("PutObject"));
        assert_eq!(time.as_deref(), Some("2024-06-01T00:00:00Z"));
    }

    #[test]
    fn fast_head_leaves_odd_records_to_serde() {
        assert!(head(r#"{"eventName":"Put\u004fbject"}"#).is_none());
        assert!(head(r#"{"eventName":5}"#).is_none());
        assert!(head("[1]").is_none());
        assert_eq!(head(r#"{"eventName":null}"#), Some((None, None, None)));
        assert_eq!(head("{}"), Some((None, None, None)));
    }

    fn identity(text: &str) -> Option<Option<String>> {
        fast_head(text).map(|h| h.user_identity.and_then(|u| u.kind).map(|c| c.into_owned()))
    }

    #[test]
    fn fast_head_reads_the_identity_type_and_leaves_odd_shapes_to_serde() {
        let text = r#"{"userIdentity":{"type":"Root","x":[1,{"type":"no"}]},"eventName":"A"}"#;
        assert_eq!(identity(text), Some(Some("Root".into())));
        assert_eq!(identity(r#"{"userIdentity":{"arn":"x"}}"#), Some(None));
        assert_eq!(identity(r#"{"userIdentity":null}"#), Some(None));
        assert_eq!(identity(r#"{"userIdentity":{}}"#), Some(None));
        assert_eq!(identity(r#"{"userIdentity":[{"type":"Root"}]}"#), None);
        assert_eq!(identity(r#"{"userIdentity":{"type":7}}"#), None);
    }

    #[test]
    fn root_rules_skip_other_identities_unparsed_but_still_match_root() {
        let rule = "title: Root\nid: 00000000-0000-4000-8000-0000000000aa\nlevel: high\n\
                    logsource: {product: aws, service: cloudtrail}\n\
                    detection:\n  sel:\n    userIdentity.type: Root\n  condition: sel\n";
        let rules = RuleSet::from_sources(&[("root.yml".into(), rule.into())]).unwrap();
        let matcher = Matcher::new(&rules);
        let check = |text: &str| {
            let raw = RawValue::from_string(text.to_string()).unwrap();
            matches!(
                matcher.check(&raw, &mut Vec::new(), &mut Observed::default()),
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
