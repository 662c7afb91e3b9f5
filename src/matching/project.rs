//! A record projected onto the paths the rules read: one walk over its text that steps over
//! every other value with the decoder's scanner.
//!
//! On a path, objects are walked and strings borrowed from the text (unescaped only where they
//! hold escapes); anything else (a number, an array, an object a path ends at) is kept as its
//! text and parsed the first time a rule reads it. So a record the index turns away, or that no
//! candidate rule reads deeply, costs one walk and a few small vectors. At every path the rules
//! read, the projection holds what a full parse would (the last of duplicate keys, as
//! serde_json keeps), so the compiled evaluator runs on it unchanged through [`Doc`]. Where the
//! text is not plain enough to walk here (a key with an escape), the record is parsed in full.

use std::borrow::Cow;
use std::cell::OnceCell;

use serde_json::Value;

use super::head::{members, Step};
use crate::decode::{Scan, DEEP_MARKER};
use crate::rules::{Doc, Leaf, Node, PathNode};

/// The text is not plain enough to walk (an escaped key, not an object): parse it whole.
#[derive(Debug)]
pub(super) struct NotPlain;

/// One value of the projection.
#[derive(Debug)]
pub(super) enum Projected<'t> {
    /// A string.
    Str(Cow<'t, str>),
    /// An object a path goes through: only the members some path reads, in the text's order.
    Object(Vec<(&'t str, Projected<'t>)>),
    /// Anything else, as its text: parsed when first read.
    Raw(&'t str, OnceCell<Value>),
}

/// The record `text` (valid JSON, checked by the decoder) cut down to the paths under `root`.
pub(super) fn project<'t>(text: &'t str, root: &PathNode) -> Result<Projected<'t>, NotPlain> {
    let start = text.len() - text.trim_start().len();
    let (value, _) = object(text, start, root)?;
    Ok(value)
}

/// Walks the object at `at`, keeping the members that a path goes through; returns it and its
/// length.
fn object<'t>(
    text: &'t str,
    at: usize,
    node: &PathNode,
) -> Result<(Projected<'t>, usize), NotPlain> {
    let mut kept = Vec::new();
    let mut failed = false;
    let len = members(text.as_bytes(), at, |key, i| {
        let Some(child) = node.child(key) else {
            return Step::Skip;
        };
        // The key is plain (no escapes) and lies between two ASCII quotes of a `str`.
        let (Ok(key), Ok((value, len))) = (std::str::from_utf8(key), member(text, i, child)) else {
            failed = true;
            return Step::GiveUp;
        };
        kept.push((key, value));
        Step::Read(len)
    });
    match len {
        Some(len) if !failed => Ok((Projected::Object(kept), len)),
        _ => Err(NotPlain),
    }
}

/// The value at `at` as the path below `node` needs it, and its length.
fn member<'t>(
    text: &'t str,
    at: usize,
    node: &PathNode,
) -> Result<(Projected<'t>, usize), NotPlain> {
    let bytes = text.as_bytes();
    if !node.take() && bytes.get(at) == Some(&b'{') {
        return object(text, at, node);
    }
    let len = Scan::default().run(&bytes[at..]).ok_or(NotPlain)?;
    let slice = text.get(at..at + len).ok_or(NotPlain)?;
    let value = match slice.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(body) if !body.contains('\\') => Projected::Str(Cow::Borrowed(body)),
        Some(_) => Projected::Str(Cow::Owned(
            serde_json::from_str(slice).map_err(|_| NotPlain)?,
        )),
        None => Projected::Raw(slice, OnceCell::new()),
    };
    Ok((value, len))
}

impl Projected<'_> {
    /// The member `key` of an object; the last one where the text repeats it.
    fn get(&self, key: &str) -> Option<&Self> {
        match self {
            Projected::Object(members) => members
                .iter()
                .rev()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// A raw value, parsed once. A value serde_json cannot build (nested past its limit) reads
    /// as [`DEEP_MARKER`], which [`Projected::read_cut`] notices: the matcher then judges the
    /// record cut back to a depth it can build.
    fn parsed<'a>(text: &str, cell: &'a OnceCell<Value>) -> &'a Value {
        cell.get_or_init(|| {
            serde_json::from_str(text).unwrap_or_else(|_| Value::String(DEEP_MARKER.into()))
        })
    }

    /// Whether a rule read a raw value that could not be built.
    pub(super) fn read_cut(&self) -> bool {
        match self {
            // A raw value is never a string, so a string here is the marker.
            Projected::Raw(_, cell) => matches!(cell.get(), Some(Value::String(_))),
            Projected::Str(_) => false,
            Projected::Object(members) => members.iter().any(|(_, v)| v.read_cut()),
        }
    }
}

impl Doc for Projected<'_> {
    fn any_leaf<'a>(&'a self, path: &[String], f: &mut dyn FnMut(Leaf<'a>) -> bool) -> bool {
        match self {
            Projected::Raw(text, cell) => Projected::parsed(text, cell).any_leaf(path, f),
            Projected::Str(s) => path.is_empty() && f(Leaf::Str(s)),
            Projected::Object(_) => match path.split_first() {
                Some((head, rest)) => self.get(head).is_some_and(|c| c.any_leaf(rest, f)),
                // Every path the rules read ends at a string or a raw value.
                None => false,
            },
        }
    }

    fn any_string(&self, f: &mut dyn FnMut(&str) -> bool) -> bool {
        match self {
            Projected::Raw(text, cell) => Projected::parsed(text, cell).any_string(f),
            Projected::Str(s) => f(s),
            Projected::Object(members) => members.iter().any(|(_, v)| v.any_string(f)),
        }
    }

    fn at(&self, path: &[&str]) -> Option<Node<'_>> {
        match (self, path.split_first()) {
            (Projected::Raw(text, cell), _) => Projected::parsed(text, cell).at(path),
            (Projected::Str(s), None) => Some(Node::Str(s)),
            (Projected::Object(_), None) => Some(Node::Object),
            (Projected::Object(_), Some((head, rest))) => self.get(head)?.at(rest),
            (Projected::Str(_), Some(_)) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;
    use serde_json::json;

    fn rules(detection: &str) -> RuleSet {
        let rule = format!(
            "title: T\nid: 00000000-0000-4000-8000-0000000000ab\nlevel: low\n\
             logsource: {{product: aws, service: cloudtrail}}\ndetection:\n{detection}"
        );
        RuleSet::from_sources(&[("t.yml".into(), rule)]).unwrap()
    }

    /// The projection as a full value, for comparing (duplicates keep the last, as serde does).
    fn to_value(p: &Projected) -> Value {
        match p {
            Projected::Str(s) => Value::String(s.to_string()),
            Projected::Raw(text, _) => serde_json::from_str(text).unwrap(),
            Projected::Object(members) => {
                let mut map = serde_json::Map::new();
                for (k, v) in members {
                    map.insert(k.to_string(), to_value(v));
                }
                Value::Object(map)
            }
        }
    }

    #[test]
    fn only_the_read_paths_are_kept_and_the_last_duplicate_wins() {
        let set = rules(
            "  sel:\n    requestParameters.bucketName: b\n    userAgent|contains: x\n  condition: sel\n",
        );
        let text = r#" {"eventName":"A","userAgent":"old","requestParameters":{"bucketName":"b",
            "other":[1,{"x":"y"}],"bucketName":"c\u0041"},"big":{"a":[1,2,3]},"userAgent":"new"}"#;
        let got = project(text, set.field_paths().root()).unwrap();
        assert_eq!(
            to_value(&got),
            json!({"eventName":"A","userAgent":"new","requestParameters":{"bucketName":"cA"}})
        );
        assert!(matches!(got.at(&["userAgent"]), Some(Node::Str("new"))));
    }

    #[test]
    fn a_path_through_an_array_or_a_scalar_keeps_that_value_whole() {
        let set = rules("  sel:\n    resources.ARN|endswith: x\n  condition: sel\n");
        let text = r#"{"resources":[{"ARN":"a","type":"t"}],"userIdentity":7}"#;
        let got = project(text, set.field_paths().root()).unwrap();
        assert_eq!(
            to_value(&got),
            json!({"resources":[{"ARN":"a","type":"t"}],"userIdentity":7})
        );
        assert!(matches!(got.at(&["userIdentity"]), Some(Node::Other)));
        let mut arns = Vec::new();
        got.any_leaf(&["resources".into(), "ARN".into()], &mut |l| {
            arns.extend(l.as_str().map(str::to_owned));
            false
        });
        assert_eq!(arns, ["a"]);
    }

    #[test]
    fn an_escaped_key_is_not_projected_and_a_value_too_deep_reads_as_the_marker() {
        let set = rules("  sel:\n    a: x\n  condition: sel\n");
        let root = set.field_paths().root();
        assert!(project(r#"{"\u0061":"x"}"#, root).is_err());
        let deep = format!(r#"{{"a":{}1{}}}"#, "[".repeat(200), "]".repeat(200));
        let got = project(&deep, root).unwrap();
        assert!(!got.read_cut(), "nothing read yet");
        assert!(matches!(got.at(&["a"]), Some(Node::Str(DEEP_MARKER))));
        assert!(got.read_cut());
        let elsewhere = format!(r#"{{"b":{}1{},"a":"x"}}"#, "[".repeat(200), "]".repeat(200));
        assert_eq!(
            to_value(&project(&elsewhere, root).unwrap()),
            json!({"a":"x"})
        );
    }
}
