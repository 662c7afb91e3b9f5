//! Records too deep to build: judged cut back to [`MAX_KEPT_DEPTH`] levels, so a deep member
//! the rules do not read hides nothing. Only records whose full parse failed come here.

use std::cell::Cell;

use serde_json::Value;

use super::{unreadable, Checked, Matcher};
use crate::decode::{cut_deep, DEEP_MARKER, MAX_KEPT_DEPTH};
use crate::rules::{Doc, Leaf, Node, Rule};

/// Why a record that is valid JSON but not an object is unreadable.
pub(super) const NOT_AN_OBJECT: &str = "the record is not a JSON object";

impl<'r> Matcher<'r> {
    /// A record whose tree serde_json could not build: cut back and judged where only depth
    /// stopped it, unreadable otherwise.
    pub(super) fn failed<'t>(
        &self,
        text: &str,
        hits: &mut Vec<&'r Rule>,
        event_id: Option<String>,
        error: serde_json::Error,
    ) -> Checked<'t> {
        hits.clear();
        // serde_json has no error category for depth; its message is stable.
        if error.to_string().starts_with("recursion limit exceeded") {
            self.judge_cut(text, hits, event_id)
        } else {
            unreadable(text, event_id, error.to_string())
        }
    }

    /// Judges the record with every value below [`MAX_KEPT_DEPTH`] levels replaced by
    /// [`DEEP_MARKER`]. A match alerts with the cut record; no match is unreadable only if a
    /// rule read a cut value, since that value might have matched.
    pub(super) fn judge_cut<'t>(
        &self,
        text: &str,
        hits: &mut Vec<&'r Rule>,
        event_id: Option<String>,
    ) -> Checked<'t> {
        hits.clear();
        let Some((cut, cuts)) = cut_deep(text, MAX_KEPT_DEPTH) else {
            return unreadable(text, event_id, "the record is not valid JSON".into());
        };
        let record = match serde_json::from_str::<Value>(&cut) {
            Ok(record) if record.is_object() => record,
            Ok(_) => return unreadable(text, event_id, NOT_AN_OBJECT.into()),
            Err(e) => return unreadable(text, event_id, e.to_string()),
        };
        let watched = Watched {
            doc: &record,
            read_cut: Cell::new(false),
        };
        self.judge(&watched, hits);
        if !hits.is_empty() {
            Checked::Matched(record)
        } else if cuts > 0 && watched.read_cut.get() {
            unreadable(
                text,
                event_id,
                format!("a field the rules read is nested deeper than {MAX_KEPT_DEPTH} levels"),
            )
        } else {
            Checked::NoMatch
        }
    }
}

/// A record that notes whether the rules read a [`DEEP_MARKER`] in it.
struct Watched<'d> {
    doc: &'d Value,
    read_cut: Cell<bool>,
}

impl Watched<'_> {
    fn saw(&self, s: &str) {
        if s == DEEP_MARKER {
            self.read_cut.set(true);
        }
    }
}

impl Doc for Watched<'_> {
    fn any_leaf<'a>(&'a self, path: &[String], f: &mut dyn FnMut(Leaf<'a>) -> bool) -> bool {
        self.doc.any_leaf(path, &mut |leaf| {
            match leaf {
                Leaf::Str(s) => self.saw(s),
                Leaf::Value(Value::String(s)) => self.saw(s),
                // A rule may read an object or array whole, as its text.
                Leaf::Value(v @ (Value::Array(_) | Value::Object(_))) => {
                    if v.any_string(&mut |s| s == DEEP_MARKER) {
                        self.read_cut.set(true);
                    }
                }
                Leaf::Value(_) => {}
            }
            f(leaf)
        })
    }

    fn any_string(&self, f: &mut dyn FnMut(&str) -> bool) -> bool {
        self.doc.any_string(&mut |s| {
            self.saw(s);
            f(s)
        })
    }

    fn at(&self, path: &[&str]) -> Option<Node<'_>> {
        let node = self.doc.at(path);
        if let Some(Node::Str(s)) = node {
            self.saw(s);
        }
        node
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::Observed;
    use crate::rules::RuleSet;

    fn rules(detection: &str) -> RuleSet {
        let rule = format!(
            "title: T\nid: 00000000-0000-4000-8000-0000000000ac\nlevel: low\n\
             logsource: {{product: aws, service: cloudtrail}}\ndetection:\n{detection}"
        );
        RuleSet::from_sources(&[("t.yml".into(), rule)]).unwrap()
    }

    fn deep(levels: usize) -> String {
        format!("{}1{}", r#"{"a":"#.repeat(levels), "}".repeat(levels))
    }

    fn check<'t>(set: &RuleSet, text: &'t str) -> Checked<'t> {
        Matcher::new(set).check(text, &mut Vec::new(), &mut Observed::default())
    }

    #[test]
    fn a_deep_member_the_rules_do_not_read_is_cut_and_the_record_matches() {
        let set = rules("  sel:\n    eventName: Hit\n  condition: sel\n");
        let text = format!(
            r#"{{"eventName":"Hit","eventID":"e1","requestParameters":{}}}"#,
            deep(100_000)
        );
        let Checked::Matched(record) = check(&set, &text) else {
            panic!("no match");
        };
        assert_eq!(record["eventID"], "e1");
        assert!(serde_json::to_string(&record)
            .unwrap()
            .contains(DEEP_MARKER));
        let other = text.replace("\"Hit\"", "\"Miss\"");
        assert!(matches!(check(&set, &other), Checked::NoMatch));
    }

    #[test]
    fn a_rule_that_reads_a_cut_value_makes_a_miss_unreadable() {
        // The rule reads the deep member itself: no match on the cut record proves nothing.
        let set = rules("  sel:\n    requestParameters|contains: secret\n  condition: sel\n");
        let text = format!(
            r#"{{"eventID":"e2","requestParameters":{}}}"#,
            deep(100_000)
        );
        let Checked::Unreadable { event_id, error } = check(&set, &text) else {
            panic!("judged");
        };
        assert_eq!(event_id.as_deref(), Some("e2"));
        assert!(error.contains("deeper than 100 levels"), "{error}");
        // Keyword rules read every string, cut ones included.
        let set = rules("  keywords:\n    - secret\n  condition: keywords\n");
        assert!(matches!(check(&set, &text), Checked::Unreadable { .. }));
        // The same marker text in a record that was not cut is only text.
        let plain = format!(r#"{{"eventID":"e3","requestParameters":"{DEEP_MARKER}"}}"#);
        assert!(matches!(check(&set, &plain), Checked::NoMatch));
    }

    #[test]
    fn a_record_that_is_not_an_object_is_unreadable() {
        let set = rules("  sel:\n    eventName: Hit\n  condition: sel\n");
        for text in ["[1,2]", "\"Hit\"", &format!("[{}]", deep(100_000))] {
            let Checked::Unreadable { error, .. } = check(&set, text) else {
                panic!("judged {text:.40}");
            };
            assert_eq!(error, NOT_AN_OBJECT);
        }
    }
}
