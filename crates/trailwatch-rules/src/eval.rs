//! Evaluating a compiled detection against one JSON record.
//!
//! Field paths walk nested objects; an array on the way (or at the end) matches when any
//! element does. Values are compared by their text, borrowed from the record where it is a
//! string and formatted on the stack where it is a number or boolean.
use std::fmt::Write as _;
use std::net::IpAddr;

use serde_json::Value;

use super::ast::{Anchor, CmpOp, Cond};
use super::compile::{CField, CSelection, CValue, CompiledDetection};
use super::doc::{Doc, Leaf};

/// A small stack buffer for number text.
struct StackText {
    buf: [u8; 48],
    len: usize,
}

impl std::fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Runs `f` on a scalar's text (JSON text for numbers and booleans); `false` for null,
/// objects and arrays.
pub fn with_text(leaf: Leaf<'_>, f: &mut dyn FnMut(&str) -> bool) -> bool {
    let v = match leaf {
        Leaf::Str(s) => return f(s),
        Leaf::Value(v) => v,
    };
    match v {
        Value::String(s) => f(s),
        Value::Bool(true) => f("true"),
        Value::Bool(false) => f("false"),
        Value::Number(n) => {
            let mut t = StackText {
                buf: [0; 48],
                len: 0,
            };
            if write!(t, "{n}").is_ok() {
                std::str::from_utf8(&t.buf[..t.len]).is_ok_and(f)
            } else {
                f(&n.to_string())
            }
        }
        _ => false,
    }
}

/// [`with_text`], except that an object met by a searching pattern (`contains`, `startswith`,
/// `endswith`, wildcards, `re`) is matched as its [`object_text`]: Sigma rules written for
/// backends that store `requestParameters` as text search it that way.
pub fn with_search_text(leaf: Leaf<'_>, search: bool, f: &mut dyn FnMut(&str) -> bool) -> bool {
    match leaf {
        Leaf::Value(v @ Value::Object(_)) if search => f(&object_text(v)),
        _ => with_text(leaf, f),
    }
}

/// Compact JSON text (no spaces, keys in the record's order) with strings written as they
/// are, unescaped: a policy document CloudTrail holds as a string (`policyDocument`) reads as
/// the policy, so `contains: '"Allow"'` finds it as it does in a text-storing backend.
pub fn object_text(v: &Value) -> String {
    fn write(v: &Value, out: &mut String) {
        match v {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => {
                let _ = write!(out, "{n}");
            }
            Value::String(s) => {
                out.push('"');
                out.push_str(s);
                out.push('"');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(item, out);
                }
                out.push(']');
            }
            Value::Object(map) => {
                out.push('{');
                for (i, (k, item)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push('"');
                    out.push_str(k);
                    out.push_str("\":");
                    write(item, out);
                }
                out.push('}');
            }
        }
    }
    let mut out = String::new();
    write(v, &mut out);
    out
}

/// A JSON number, or a string holding one.
pub fn as_number(leaf: Leaf<'_>) -> Option<f64> {
    match leaf {
        Leaf::Str(s) => s.trim().parse().ok(),
        Leaf::Value(Value::Number(n)) => n.as_f64(),
        Leaf::Value(Value::String(s)) => s.trim().parse().ok(),
        Leaf::Value(_) => None,
    }
}

pub fn cmp(op: CmpOp, a: f64, b: f64) -> bool {
    match op {
        CmpOp::Lt => a < b,
        CmpOp::Lte => a <= b,
        CmpOp::Gt => a > b,
        CmpOp::Gte => a >= b,
    }
}

/// Compares two record values for `fieldref`: both sides are only known at run time.
pub fn text_relation(hay: &str, needle: &str, anchor: Anchor, cased: bool) -> bool {
    fn rel(h: &str, n: &str, a: Anchor) -> bool {
        match a {
            Anchor::Whole => h == n,
            Anchor::Contains => h.contains(n),
            Anchor::StartsWith => h.starts_with(n),
            Anchor::EndsWith => h.ends_with(n),
        }
    }
    if cased {
        return rel(hay, needle, anchor);
    }
    if hay.is_ascii() && needle.is_ascii() {
        let (h, n) = (hay.as_bytes(), needle.as_bytes());
        return match anchor {
            Anchor::Whole => h.eq_ignore_ascii_case(n),
            Anchor::StartsWith => h.get(..n.len()).is_some_and(|w| w.eq_ignore_ascii_case(n)),
            Anchor::EndsWith => h
                .len()
                .checked_sub(n.len())
                .is_some_and(|s| h[s..].eq_ignore_ascii_case(n)),
            Anchor::Contains => {
                n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
            }
        };
    }
    rel(&hay.to_lowercase(), &needle.to_lowercase(), anchor)
}

impl CValue {
    /// Whether the record's values at `path` satisfy this value.
    pub fn matches<D: Doc + ?Sized>(&self, record: &D, path: &[String]) -> bool {
        if path.is_empty() {
            return self.matches_keyword(record);
        }
        match self {
            CValue::Null => {
                let mut seen = false;
                let hit = record.any_leaf(path, &mut |l| {
                    seen = true;
                    l.is_null()
                });
                hit || !seen
            }
            CValue::Exists(want) => record.any_leaf(path, &mut |l| !l.is_null()) == *want,
            CValue::Str(p) => record.any_leaf(path, &mut |l| {
                with_search_text(l, p.exact().is_none(), &mut |t| p.is_match(t))
            }),
            CValue::NotStr(p) => {
                record.any_leaf(path, &mut |l| with_text(l, &mut |t| !p.is_match(t)))
            }
            CValue::Regex(re) => record.any_leaf(path, &mut |l| {
                with_search_text(l, true, &mut |t| re.is_match(t))
            }),
            CValue::Cidr(net) => record.any_leaf(path, &mut |l| {
                l.as_str()
                    .and_then(|s| s.trim().parse::<IpAddr>().ok())
                    .is_some_and(|ip| net.contains(&ip))
            }),
            CValue::Cmp(op, b) => {
                record.any_leaf(path, &mut |l| as_number(l).is_some_and(|a| cmp(*op, a, *b)))
            }
            CValue::FieldRef {
                path: other,
                anchor,
                cased,
            } => record.any_leaf(path, &mut |l| {
                with_text(l, &mut |a| {
                    record.any_leaf(other, &mut |r| {
                        with_text(r, &mut |b| text_relation(a, b, *anchor, *cased))
                    })
                })
            }),
            CValue::Element(det) => record.any_leaf(path, &mut |l| match l {
                Leaf::Value(v) => det.matches(v),
                Leaf::Str(s) => det.matches(&Value::String(s.to_owned())),
            }),
        }
    }

    fn matches_keyword<D: Doc + ?Sized>(&self, record: &D) -> bool {
        match self {
            CValue::Str(p) => record.any_string(&mut |s| p.is_match(s)),
            CValue::Regex(re) => record.any_string(&mut |s| re.is_match(s)),
            _ => false,
        }
    }
}

impl CField {
    pub fn matches<D: Doc + ?Sized>(&self, record: &D) -> bool {
        if self.all {
            self.values.iter().all(|v| v.matches(record, &self.path))
        } else {
            self.values.iter().any(|v| v.matches(record, &self.path))
        }
    }
}

impl CSelection {
    pub fn matches<D: Doc + ?Sized>(&self, record: &D) -> bool {
        self.groups
            .iter()
            .any(|g| g.iter().all(|f| f.matches(record)))
    }
}

/// Evaluates a condition given a way to evaluate selection `i`.
pub fn eval_cond(c: &Cond, sel: &mut dyn FnMut(usize) -> bool) -> bool {
    match c {
        Cond::Sel(i) => sel(*i),
        Cond::Not(inner) => !eval_cond(inner, sel),
        Cond::And(items) => items.iter().all(|i| eval_cond(i, sel)),
        Cond::Or(items) => items.iter().any(|i| eval_cond(i, sel)),
    }
}

impl CompiledDetection {
    pub fn matches<D: Doc + ?Sized>(&self, record: &D) -> bool {
        eval_cond(&self.condition, &mut |i| {
            self.selections.get(i).is_some_and(|s| s.matches(record))
        })
    }
}
