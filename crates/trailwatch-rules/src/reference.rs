//! A direct, unoptimised interpreter of [`RuleAst`]: no index, no precompiled matchers,
//! lowercased copies everywhere. It is the executable statement of the semantics that the
//! property tests hold the compiled evaluator to; never use it on the hot path.
use std::net::IpAddr;

use serde_json::Value as J;

use super::ast::{Anchor, Cond, Detection, FieldSpec, FilterAst, MatchKind, RuleAst, Value};
use super::pattern::{lower_tokens, tokenize, GTok};

/// Whether `rule` matches `record`, by the book: within its logsource scope, and its detection.
pub fn rule_matches(rule: &RuleAst, record: &J) -> bool {
    let category = super::logsource::event_category(&rule.logsource);
    in_scope(&rule.scope, "eventSource", record)
        && category.is_none_or(|c| in_scope(&[c.to_owned()], "eventCategory", record))
        && detection(&rule.detection, record)
}

/// [`rule_matches`] with `filters` (those that apply to the rule) ANDed in.
pub fn filtered_matches(rule: &RuleAst, filters: &[&FilterAst], record: &J) -> bool {
    rule_matches(rule, record) && filters.iter().all(|f| detection(&f.detection, record))
}

/// No scope, or some `field` (`eventSource`, `eventCategory`) of the record equals one of its
/// values, ignoring case.
fn in_scope(scope: &[String], field: &str, record: &J) -> bool {
    let mut ls = Vec::new();
    leaves(record, &[field], &mut ls);
    scope.is_empty()
        || ls
            .iter()
            .filter_map(|l| text(l))
            .any(|t| scope.iter().any(|s| s.to_lowercase() == t.to_lowercase()))
}

fn detection(det: &Detection, record: &J) -> bool {
    cond(&det.condition, det, record)
}

fn cond(c: &Cond, det: &Detection, record: &J) -> bool {
    match c {
        Cond::Sel(i) => det.selections[*i]
            .groups
            .iter()
            .any(|g| g.iter().all(|f| field(f, record))),
        Cond::Not(x) => !cond(x, det, record),
        Cond::And(xs) => xs.iter().all(|x| cond(x, det, record)),
        Cond::Or(xs) => xs.iter().any(|x| cond(x, det, record)),
    }
}

/// Every value at a dotted path, arrays flattened.
fn leaves<'a>(v: &'a J, path: &[&str], out: &mut Vec<&'a J>) {
    if let J::Array(items) = v {
        for i in items {
            leaves(i, path, out);
        }
        return;
    }
    match path.split_first() {
        None => out.push(v),
        Some((h, rest)) => {
            if let Some(c) = v.as_object().and_then(|m| m.get(*h)) {
                leaves(c, rest, out);
            }
        }
    }
}

fn strings<'a>(v: &'a J, out: &mut Vec<&'a str>) {
    match v {
        J::String(s) => out.push(s),
        J::Array(a) => a.iter().for_each(|i| strings(i, out)),
        J::Object(m) => m.values().for_each(|i| strings(i, out)),
        _ => {}
    }
}

fn text(v: &J) -> Option<String> {
    match v {
        J::String(s) => Some(s.clone()),
        J::Bool(b) => Some(b.to_string()),
        J::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A scalar's text; an object's text too when `search` (a non-exact pattern).
fn search_text(v: &J, search: bool) -> Option<String> {
    match v {
        J::Object(_) if search => Some(super::eval::object_text(v)),
        _ => text(v),
    }
}

/// A pattern without wildcards or anchors: plain equality, which never looks inside objects.
fn is_exact(pat: &str, anchor: Anchor) -> bool {
    tokenize(pat, anchor)
        .iter()
        .all(|t| matches!(t, GTok::Char(_)))
}

fn field(f: &FieldSpec, record: &J) -> bool {
    if let Some(det) = &f.element {
        let path: Vec<&str> = f.field.split('.').collect();
        let mut ls = Vec::new();
        leaves(record, &path, &mut ls);
        return ls.iter().any(|l| detection(det, l));
    }
    let results = f.values.iter().map(|v| value(f, v, record));
    let r: Vec<bool> = results.collect();
    if f.mods.all {
        r.iter().all(|b| *b)
    } else {
        r.iter().any(|b| *b)
    }
}

fn value(f: &FieldSpec, v: &Value, record: &J) -> bool {
    let m = &f.mods;
    if f.field.is_empty() {
        let mut all = Vec::new();
        strings(record, &mut all);
        return match (m.kind, v) {
            (_, Value::Null) => false,
            (MatchKind::Re { i, m: ml, s }, _) => all
                .iter()
                .any(|h| regex_match(v.text().unwrap_or_default(), i, ml, s, h)),
            _ => all
                .iter()
                .any(|h| wildcard(v.text().unwrap_or_default(), m.anchor, m.cased, h)),
        };
    }
    let path: Vec<&str> = f.field.split('.').collect();
    let mut ls = Vec::new();
    leaves(record, &path, &mut ls);
    let texts: Vec<String> = ls.iter().filter_map(|l| text(l)).collect();
    let want = v.text().unwrap_or_default();
    let searched = |search: bool| ls.iter().filter_map(move |l| search_text(l, search));
    match m.kind {
        MatchKind::Plain => match v {
            Value::Null => ls.is_empty() || ls.iter().any(|l| l.is_null()),
            _ if m.neq => texts.iter().any(|t| !wildcard(want, m.anchor, m.cased, t)),
            _ => searched(!is_exact(want, m.anchor)).any(|t| wildcard(want, m.anchor, m.cased, &t)),
        },
        MatchKind::Re { i, m: ml, s } => searched(true).any(|t| regex_match(want, i, ml, s, &t)),
        MatchKind::Cidr => {
            let net = super::compile::parse_cidr(want);
            ls.iter().any(|l| {
                l.as_str()
                    .and_then(|s| s.trim().parse::<IpAddr>().ok())
                    .zip(net)
                    .is_some_and(|(ip, n)| n.contains(&ip))
            })
        }
        MatchKind::Exists => ls.iter().any(|l| !l.is_null()) == matches!(v, Value::Bool(true)),
        MatchKind::Cmp(op) => {
            let b = match v {
                Value::Number(_, f) => *f,
                _ => want.trim().parse().unwrap_or(f64::NAN),
            };
            ls.iter().any(|l| {
                let a = match l {
                    J::Number(n) => n.as_f64(),
                    J::String(s) => s.trim().parse().ok(),
                    _ => None,
                };
                a.is_some_and(|a| super::eval::cmp(op, a, b))
            })
        }
        MatchKind::Element => false,
        MatchKind::FieldRef => {
            let other: Vec<&str> = want.split('.').collect();
            let mut ols = Vec::new();
            leaves(record, &other, &mut ols);
            let others: Vec<String> = ols.iter().filter_map(|l| text(l)).collect();
            texts.iter().any(|a| {
                others.iter().any(|b| {
                    let (a, b) = if m.cased {
                        (a.clone(), b.clone())
                    } else {
                        (a.to_lowercase(), b.to_lowercase())
                    };
                    match m.anchor {
                        Anchor::Whole => a == b,
                        Anchor::Contains => a.contains(&b),
                        Anchor::StartsWith => a.starts_with(&b),
                        Anchor::EndsWith => a.ends_with(&b),
                    }
                })
            })
        }
    }
}

fn regex_match(pat: &str, i: bool, m: bool, s: bool, hay: &str) -> bool {
    regex::RegexBuilder::new(pat)
        .case_insensitive(i)
        .multi_line(m)
        .dot_matches_new_line(s)
        .build()
        .is_ok_and(|re| re.is_match(hay))
}

/// Sigma wildcard matching by plain recursion over lowercased characters.
fn wildcard(pat: &str, anchor: Anchor, cased: bool, hay: &str) -> bool {
    let mut toks = tokenize(pat, anchor);
    let hay: Vec<char> = if cased {
        hay.chars().collect()
    } else {
        toks = lower_tokens(&toks);
        hay.to_lowercase().chars().collect()
    };
    rec(&toks, &hay)
}

fn rec(p: &[GTok], h: &[char]) -> bool {
    match p.split_first() {
        None => h.is_empty(),
        Some((GTok::Star, rest)) => (0..=h.len()).any(|k| rec(rest, &h[k..])),
        Some((GTok::One, rest)) => !h.is_empty() && rec(rest, &h[1..]),
        Some((GTok::Char(c), rest)) => h.first() == Some(c) && rec(rest, &h[1..]),
    }
}
