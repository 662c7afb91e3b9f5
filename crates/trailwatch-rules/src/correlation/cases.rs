//! The `tests:` cases of a correlation document: a list of records (each with its
//! `eventTime`) and the alerts they must raise.
use serde_json::{Map, Value};

use crate::cases::to_json;
use crate::ctx::Ctx;
use crate::yaml::{Node, NodeKind};

/// One `tests:` case of a correlation.
#[derive(Debug, Clone)]
pub struct CorrelationCase {
    /// The case's `name`.
    pub name: String,
    /// The records, `base` merged under each, in the order written.
    pub records: Vec<Value>,
    /// The alerts expected, in any order; empty means none.
    pub expect: Vec<ExpectedAlert>,
}

/// One alert a case expects.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedAlert {
    /// `group`: the group-by values (as text; `None` for a missing field).
    pub group: Vec<(String, Option<String>)>,
    /// `count`: the measure when it fired.
    pub count: Option<f64>,
    /// `values`: for value_count, the distinct values (any order).
    pub values: Option<Vec<String>>,
}

/// The cases of `doc` (none without `tests:`).
pub(crate) fn parse_cases(ctx: &mut Ctx<'_>, doc: &Node) -> Vec<CorrelationCase> {
    let Some(t) = doc.get("tests") else {
        return Vec::new();
    };
    let NodeKind::Seq(items) = &t.kind else {
        ctx.err(t, "`tests` must be a list of cases");
        return Vec::new();
    };
    items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| case(ctx, i, item))
        .collect()
}

fn case(ctx: &mut Ctx<'_>, i: usize, item: &Node) -> Option<CorrelationCase> {
    let name = item
        .get("name")
        .and_then(Node::scalar_text)
        .unwrap_or_else(|| format!("case {}", i + 1));
    let base = match item.get("base") {
        None => Value::Object(Map::new()),
        Some(b) if matches!(b.kind, NodeKind::Map(_)) => to_json(b),
        Some(b) => {
            ctx.err(b, "`base` must be a map (fields every record shares)");
            return None;
        }
    };
    let Some(NodeKind::Seq(records)) = item.get("records").map(|r| &r.kind) else {
        ctx.err(
            item,
            "a correlation test case needs `records`: a list of CloudTrail records",
        );
        return None;
    };
    let mut out = Vec::new();
    for (n, r) in records.iter().enumerate() {
        if !matches!(r.kind, NodeKind::Map(_)) {
            ctx.err(r, "each test record must be a map (a CloudTrail record)");
            return None;
        }
        let mut record = base.clone();
        merge(&mut record, to_json(r));
        if record.get("eventTime").and_then(Value::as_str).is_none() {
            ctx.err(r, "each test record needs an `eventTime`");
            return None;
        }
        if let Value::Object(m) = &mut record {
            m.entry("eventID")
                .or_insert_with(|| Value::String(format!("test-{}-{}", i + 1, n + 1)));
        }
        out.push(record);
    }
    let expect = match item.get("expect").map(|e| (e, &e.kind)) {
        Some((_, NodeKind::Seq(alerts))) => {
            let mut v = Vec::new();
            for a in alerts {
                v.push(expected(ctx, a)?);
            }
            v
        }
        Some((_, NodeKind::Null)) => Vec::new(),
        Some((e, _)) => {
            ctx.err(e, "`expect` must be a list of alerts (`[]` for none)");
            return None;
        }
        None => {
            ctx.err(
                item,
                "a correlation test case needs `expect`: the alerts, or `[]`",
            );
            return None;
        }
    };
    Some(CorrelationCase {
        name,
        records: out,
        expect,
    })
}

fn expected(ctx: &mut Ctx<'_>, a: &Node) -> Option<ExpectedAlert> {
    if !matches!(a.kind, NodeKind::Map(_)) {
        ctx.err(a, "an expected alert is a map: `group`, `count`, `values`");
        return None;
    }
    let group = match a.get("group").map(|g| (g, &g.kind)) {
        None | Some((_, NodeKind::Null)) => Vec::new(),
        Some((_, NodeKind::Map(entries))) => entries
            .iter()
            .map(|(k, v)| (k.scalar_text().unwrap_or_default(), v.scalar_text()))
            .collect(),
        Some((g, _)) => {
            ctx.err(g, "`group` must map each group-by field to its value");
            return None;
        }
    };
    let count = match a.get("count").map(|c| &c.kind) {
        None => None,
        Some(NodeKind::Int(i)) => Some(*i as f64),
        Some(NodeKind::Float(f)) => Some(*f),
        Some(_) => {
            ctx.err(a, "`count` must be a number");
            return None;
        }
    };
    let values = match a.get("values").map(|v| &v.kind) {
        None => None,
        Some(NodeKind::Seq(items)) => Some(items.iter().filter_map(Node::scalar_text).collect()),
        Some(_) => {
            ctx.err(a, "`values` must be a list");
            return None;
        }
    };
    Some(ExpectedAlert {
        group,
        count,
        values,
    })
}

/// Deep merge: `over` wins, maps merge.
fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}
