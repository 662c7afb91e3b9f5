//! The `tests:` cases rule and filter files carry: each a CloudTrail record written as YAML and
//! whether it should match.
use super::ast::{Expect, TestCase};
use super::ctx::Ctx;
use super::yaml::{Node, NodeKind};

/// The `tests:` cases of a rule or filter document (none when it has no `tests:`).
pub(super) fn doc_tests(ctx: &mut Ctx<'_>, doc: &Node) -> Vec<TestCase> {
    doc.get("tests")
        .map(|t| parse_tests(ctx, t))
        .unwrap_or_default()
}

fn parse_tests(ctx: &mut Ctx<'_>, t: &Node) -> Vec<TestCase> {
    let NodeKind::Seq(items) = &t.kind else {
        ctx.err(t, "`tests` must be a list of cases");
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let name = item
            .get("name")
            .and_then(Node::scalar_text)
            .unwrap_or_else(|| format!("case {}", i + 1));
        let expect = match item.get("expect").and_then(Node::as_str) {
            Some("match") => Expect::Match,
            Some("no-match" | "no_match" | "nomatch") => Expect::NoMatch,
            _ => {
                ctx.err(
                    item,
                    "test case needs `expect: match` or `expect: no-match`",
                );
                continue;
            }
        };
        let event = match item.get("event") {
            Some(e) if matches!(e.kind, NodeKind::Map(_)) => to_json(e),
            Some(e) => {
                ctx.err(e, "test `event` must be a map (a CloudTrail record)");
                continue;
            }
            None => {
                ctx.err(item, "test case needs an `event`");
                continue;
            }
        };
        out.push(TestCase {
            name,
            expect,
            event,
        });
    }
    out
}

/// A YAML node as the JSON record CloudTrail would have delivered.
pub fn to_json(n: &Node) -> serde_json::Value {
    use serde_json::Value as J;
    match &n.kind {
        NodeKind::Null => J::Null,
        NodeKind::Bool(b) => J::Bool(*b),
        NodeKind::Int(i) => i64::try_from(*i)
            .map(J::from)
            .unwrap_or_else(|_| J::String(i.to_string())),
        NodeKind::Float(f) => serde_json::Number::from_f64(*f)
            .map(J::Number)
            .unwrap_or(J::Null),
        NodeKind::Str(s) => J::String(s.clone()),
        NodeKind::Seq(items) => J::Array(items.iter().map(to_json).collect()),
        NodeKind::Map(entries) => J::Object(
            entries
                .iter()
                .map(|(k, v)| (k.scalar_text().unwrap_or_default(), to_json(v)))
                .collect(),
        ),
    }
}
