//! Which rules can match a record, from the `eventName`/`eventSource` values their
//! conditions require. A rule whose condition forces `eventName` into a set of exact values
//! is filed under those values; failing that, under its `eventSource` values; failing that,
//! under its `userIdentity.type` values (root-usage rules name no API); otherwise it is
//! checked against every record. One such unfiled rule makes every record a candidate, which
//! costs a full parse of each: the identity key keeps the common root rules out of that bucket.
use std::collections::{BTreeSet, HashMap};

use super::ast::Cond;
use super::compile::{CSelection, CValue, CompiledDetection};
use super::doc::{Doc, Node};

type Req = Option<BTreeSet<String>>;

/// The exact (lowercased) values `field` must take for `det` to match, if the condition
/// forces them. `None` means "no constraint we can use".
pub fn requirement(det: &CompiledDetection, field: &[&str]) -> Req {
    cond_req(&det.condition, &det.selections, field)
}

fn cond_req(c: &Cond, sels: &[CSelection], field: &[&str]) -> Req {
    match c {
        Cond::Sel(i) => sels.get(*i).and_then(|s| selection_req(s, field)),
        Cond::Not(_) => None,
        Cond::And(items) => items
            .iter()
            .filter_map(|i| cond_req(i, sels, field))
            .reduce(|a, b| a.intersection(&b).cloned().collect()),
        Cond::Or(items) => union_all(items.iter().map(|i| cond_req(i, sels, field))),
    }
}

fn union_all(reqs: impl Iterator<Item = Req>) -> Req {
    let mut acc = BTreeSet::new();
    for r in reqs {
        acc.extend(r?);
    }
    Some(acc)
}

fn selection_req(s: &CSelection, field: &[&str]) -> Req {
    union_all(s.groups.iter().map(|g| {
        g.iter()
            .filter(|f| {
                f.path.iter().map(String::as_str).eq(field.iter().copied()) && !f.values.is_empty()
            })
            .filter_map(|f| {
                f.values
                    .iter()
                    .map(|v| match v {
                        CValue::Str(p) => p.exact().map(str::to_lowercase),
                        _ => None,
                    })
                    .collect::<Option<BTreeSet<String>>>()
            })
            .reduce(|a, b| a.intersection(&b).cloned().collect())
    }))
}

/// Rule indices filed by required `eventName`, else `eventSource`, else always checked.
#[derive(Debug, Default, Clone)]
pub struct RuleIndex {
    by_name: HashMap<String, Vec<usize>>,
    by_source: HashMap<String, Vec<usize>>,
    by_identity: HashMap<String, Vec<usize>>,
    always: Vec<usize>,
}

/// What the caller knows of a record's `userIdentity.type`.
#[derive(Debug, Clone, Copy)]
pub enum Identity<'a> {
    /// Read from the record: a string, or `None` when absent or null.
    Known(Option<&'a str>),
    /// Not read (or not a plain string): every identity-filed rule stays a candidate.
    Unknown,
}

/// How a record's key field looks for lookup purposes.
enum Key {
    Absent,
    Text(String),
    /// Not a string: the index cannot say, so every rule is a candidate.
    Unknown,
}

fn key_of<D: Doc + ?Sized>(record: &D, path: &[&str]) -> Key {
    match record.at(path) {
        None | Some(Node::Null) => Key::Absent,
        Some(Node::Str(s)) => Key::Text(s.to_lowercase()),
        Some(_) => Key::Unknown,
    }
}

impl RuleIndex {
    pub fn build(dets: &[&CompiledDetection]) -> RuleIndex {
        let mut idx = RuleIndex::default();
        for (i, d) in dets.iter().enumerate() {
            if let Some(names) = requirement(d, &["eventName"]) {
                for n in names {
                    idx.by_name.entry(n).or_default().push(i);
                }
            } else if let Some(sources) = requirement(d, &["eventSource"]) {
                for s in sources {
                    idx.by_source.entry(s).or_default().push(i);
                }
            } else if let Some(types) = requirement(d, &["userIdentity", "type"]) {
                for t in types {
                    idx.by_identity.entry(t).or_default().push(i);
                }
            } else {
                idx.always.push(i);
            }
        }
        idx
    }

    /// Whether some rule is checked against every record (the index cannot narrow it).
    pub fn admits_all(&self) -> bool {
        !self.always.is_empty()
    }

    /// Whether any rule could match a record whose `eventSource`/`eventName` are these
    /// strings (`None`: absent or null).
    pub fn may_match(
        &self,
        source: Option<&str>,
        name: Option<&str>,
        identity: Identity<'_>,
    ) -> bool {
        let identity_admits = match identity {
            Identity::Unknown => !self.by_identity.is_empty(),
            Identity::Known(t) => {
                t.is_some_and(|t| self.by_identity.contains_key(&t.to_lowercase()))
            }
        };
        !self.always.is_empty()
            || identity_admits
            || name.is_some_and(|n| self.by_name.contains_key(&n.to_lowercase()))
            || source.is_some_and(|s| self.by_source.contains_key(&s.to_lowercase()))
    }

    /// Appends candidate rule indices for `record`, ascending. `total` is the rule count,
    /// used when the record's keys are not plain strings.
    pub fn candidates<D: Doc + ?Sized>(&self, record: &D, total: usize, out: &mut Vec<usize>) {
        let name = key_of(record, &["eventName"]);
        let source = key_of(record, &["eventSource"]);
        // A userIdentity that is not an object has no `type` to read: treat it as unknown.
        let identity = match record.at(&["userIdentity"]) {
            None | Some(Node::Null) | Some(Node::Object) => {
                key_of(record, &["userIdentity", "type"])
            }
            Some(_) => Key::Unknown,
        };
        if [&name, &source, &identity]
            .iter()
            .any(|k| matches!(k, Key::Unknown))
        {
            out.extend(0..total);
            return;
        }
        let start = out.len();
        out.extend_from_slice(&self.always);
        if let Key::Text(n) = &name {
            out.extend(self.by_name.get(n).into_iter().flatten());
        }
        if let Key::Text(s) = &source {
            out.extend(self.by_source.get(s).into_iter().flatten());
        }
        if let Key::Text(t) = &identity {
            out.extend(self.by_identity.get(t).into_iter().flatten());
        }
        out[start..].sort_unstable();
    }
}
