//! A correlation document → [`CorrelationAst`], every problem at its `file:line:col`.
use std::time::Duration;

use super::cases::parse_cases;
use super::{Condition, CorrelationCase, CorrelationType, Op};
use crate::ast::Pos;
use crate::ctx::{optional_str, required_str, str_list, Ctx};
use crate::duration::{self, DurationError, Syntax};
use crate::yaml::{Node, NodeKind};
use crate::Level;

/// The longest `timespan` accepted: windows are kept this long (plus lateness) in the table.
pub const MAX_TIMESPAN: Duration = Duration::from_secs(30 * 24 * 3600);

/// One `aliases` entry: the alias, and per rule name the field it stands for (with the rule
/// name's position).
pub type Alias = (String, Vec<(String, String, Pos)>);

/// A correlation as written, its references not yet resolved.
#[derive(Debug, Clone)]
pub struct CorrelationAst {
    pub source: String,
    pub pos: Pos,
    pub id: String,
    pub id_pos: Pos,
    pub name: Option<String>,
    pub name_pos: Pos,
    pub title: String,
    pub level: Option<Level>,
    pub tags: Vec<String>,
    pub description: Option<String>,
    pub falsepositives: Vec<String>,
    pub notify: Vec<String>,
    pub kind: CorrelationType,
    /// `rules`, each with its position.
    pub rules: Vec<(String, Pos)>,
    pub group_by: Vec<String>,
    /// Where each `group-by` entry is written.
    pub group_by_pos: Vec<Pos>,
    /// `aliases`: alias → [(rule name, field, position of the rule name)].
    pub aliases: Vec<Alias>,
    pub field: Vec<String>,
    pub timespan: Duration,
    pub condition: Condition,
    pub condition_pos: Pos,
    pub generate: bool,
    pub tests: Vec<CorrelationCase>,
}

/// Parses a document that has a `correlation` key; `None` after reporting its errors.
pub fn parse_correlation(ctx: &mut Ctx<'_>, doc: &Node) -> Option<CorrelationAst> {
    let before = ctx.errors.len();
    let title = required_str(ctx, doc, "title");
    let name = optional_str(ctx, doc, "name");
    // The spec makes `id` optional; alerts, claims and windows need a stable key, so one is
    // made from the name or the title, and the author is told.
    let id = match (optional_str(ctx, doc, "id"), &name, &title) {
        (Some(id), _, _) => Some(id),
        (None, Some(name), _) => Some(name.clone()),
        (None, None, Some(title)) => {
            let id = derived_id(title);
            ctx.warn(
                doc,
                format!(
                    "no `id` or `name`: alerts carry `{id}`, made from the title; give the \
                     correlation an `id` so that a new title keeps its windows and alerts"
                ),
            );
            Some(id)
        }
        (None, None, None) => None,
    };
    let level = doc
        .get("level")
        .and_then(|n| match n.as_str().map(str::parse::<Level>) {
            Some(Ok(l)) => Some(l),
            _ => {
                ctx.err(
                    n,
                    "invalid `level`: expected informational, low, medium, high or critical",
                );
                None
            }
        });
    let tags = str_list(ctx, doc, "tags");
    let falsepositives = str_list(ctx, doc, "falsepositives");
    let notify = str_list(ctx, doc, "notify");
    let description = optional_str(ctx, doc, "description");
    let corr = doc.get("correlation")?;
    if !matches!(corr.kind, NodeKind::Map(_)) {
        ctx.err(
            corr,
            format!("`correlation` must be a map, found {}", corr.shape()),
        );
        return None;
    }
    unknown_keys(ctx, corr);
    let kind = kind(ctx, corr);
    let rules = references(ctx, corr);
    let (group_by, group_by_pos) = group_by(ctx, corr).into_iter().unzip();
    let timespan = corr
        .get("timespan")
        .map(|n| timespan(ctx, n))
        .unwrap_or_else(|| {
            let hint = if corr.get("timeframe").is_some() {
                ": `timeframe` is Sigma 1's name, correlation rules write `timespan: 10m`"
            } else {
                " (for example `timespan: 10m`)"
            };
            ctx.err(corr, format!("missing `timespan`{hint}"));
            None
        });
    let (condition, field, field_pos) = match corr.get("condition") {
        Some(c) => condition(ctx, c),
        None => (Some(Condition(Vec::new())), Vec::new(), None),
    };
    if let Some(f) = key_node(corr, "field") {
        ctx.err(
            f,
            "`field` belongs inside `condition` (`condition: {field: ..., gte: 3}`)",
        );
    }
    let condition_pos = corr
        .get("condition")
        .map(Pos::from)
        .unwrap_or_else(|| corr.into());
    let aliases = corr
        .get("aliases")
        .map(|a| aliases(ctx, a))
        .unwrap_or_default();
    let generate = match corr.get("generate").or_else(|| doc.get("generate")) {
        None => false,
        Some(Node {
            kind: NodeKind::Bool(b),
            ..
        }) => *b,
        Some(n) => {
            ctx.err(n, "`generate` must be true or false");
            false
        }
    };
    if let (Some(kind), Some(cond)) = (kind, &condition) {
        let field_at = field_pos.unwrap_or(condition_pos);
        check_condition(ctx, kind, cond, &field, corr, condition_pos, field_at);
    }
    let tests = parse_cases(ctx, doc);
    if ctx.errors.len() > before {
        return None;
    }
    let mut condition = condition?;
    let kind = kind?;
    if condition.0.is_empty() {
        // temporal types: every referenced rule, as the spec's examples mean it.
        condition.0.push((Op::Gte, rules.len() as f64));
    }
    Some(CorrelationAst {
        source: ctx.file.to_owned(),
        pos: doc.into(),
        id_pos: doc
            .get("id")
            .or(doc.get("name"))
            .map_or_else(|| Pos::from(doc), Pos::from),
        id: id?,
        name_pos: doc.get("name").map(Pos::from).unwrap_or_default(),
        name,
        title: title?,
        level,
        tags,
        description,
        falsepositives,
        notify,
        kind,
        rules,
        group_by,
        group_by_pos,
        aliases,
        field,
        timespan: timespan?,
        condition,
        condition_pos,
        generate,
        tests,
    })
}

fn kind(ctx: &mut Ctx<'_>, corr: &Node) -> Option<CorrelationType> {
    let Some(n) = corr.get("type") else {
        ctx.err(corr, "missing correlation `type`");
        return None;
    };
    let t = match n.as_str() {
        Some("event_count") => CorrelationType::EventCount,
        Some("value_count") => CorrelationType::ValueCount,
        Some("temporal") => CorrelationType::Temporal,
        Some("temporal_ordered") => CorrelationType::TemporalOrdered,
        Some("value_sum") => CorrelationType::ValueSum,
        Some("value_avg") => CorrelationType::ValueAvg,
        Some(t @ ("value_percentile" | "value_median")) => {
            ctx.err(
                n,
                format!(
                    "correlation type `{t}` is not supported: a percentile needs every value of \
                     the window kept; use value_avg, or value_count with a threshold"
                ),
            );
            return None;
        }
        _ => {
            ctx.err(
                n,
                "unknown correlation `type`: expected event_count, value_count, temporal, \
                 temporal_ordered, value_sum or value_avg",
            );
            return None;
        }
    };
    Some(t)
}

fn references(ctx: &mut Ctx<'_>, corr: &Node) -> Vec<(String, Pos)> {
    let Some(n) = corr.get("rules") else {
        ctx.err(
            corr,
            "missing `rules`: the ids or names of the rules to correlate",
        );
        return Vec::new();
    };
    let items: Vec<&Node> = match &n.kind {
        NodeKind::Seq(items) => items.iter().collect(),
        NodeKind::Str(_) => vec![n],
        _ => {
            ctx.err(n, "`rules` must be a list of rule ids or names");
            return Vec::new();
        }
    };
    if items.is_empty() {
        ctx.err(n, "`rules` is empty");
    }
    let mut out: Vec<(String, Pos)> = Vec::new();
    for item in items {
        match item.scalar_text() {
            Some(s) if out.iter().any(|(r, _)| *r == s) => ctx.err(
                item,
                format!("`{s}` is listed twice in `rules`: each rule counts once"),
            ),
            Some(s) if !s.trim().is_empty() => out.push((s, item.into())),
            _ => ctx.err(item, "a `rules` entry must be a rule id or name"),
        }
    }
    out
}

/// The keys `correlation:` may hold; any other is most likely a typo (`group_by`).
const KEYS: &[&str] = &[
    "type",
    "rules",
    "group-by",
    "timespan",
    "condition",
    "aliases",
    "generate",
];

fn unknown_keys(ctx: &mut Ctx<'_>, corr: &Node) {
    let NodeKind::Map(entries) = &corr.kind else {
        return;
    };
    for (k, _) in entries {
        match k.as_str() {
            Some(key) if KEYS.contains(&key) || key == "field" || key == "timeframe" => {}
            Some(key) => ctx.warn(
                k,
                format!(
                    "unknown key `{key}` in `correlation`, ignored: expected {}",
                    KEYS.join(", ")
                ),
            ),
            None => ctx.warn(k, "a `correlation` key must be a name"),
        }
    }
}

/// The key node (not the value) of `key` in map `node`, for errors about the key itself.
fn key_node<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    match &node.kind {
        NodeKind::Map(entries) => entries
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(k, _)| k),
        _ => None,
    }
}

/// `corr-` and 16 hex digits of the title's SHA-256: stable while the title is.
fn derived_id(title: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(title.as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("corr-{hex}")
}

fn group_by(ctx: &mut Ctx<'_>, corr: &Node) -> Vec<(String, Pos)> {
    match corr.get("group-by").map(|n| (n, &n.kind)) {
        None | Some((_, NodeKind::Null)) => Vec::new(),
        Some((n, NodeKind::Str(s))) => vec![(s.clone(), n.into())],
        Some((_, NodeKind::Seq(items))) => items
            .iter()
            .filter_map(|i| match i.as_str() {
                Some(s) if !s.is_empty() => Some((s.to_owned(), i.into())),
                _ => {
                    ctx.err(i, "a `group-by` entry must be a field name");
                    None
                }
            })
            .collect(),
        Some((n, _)) => {
            ctx.err(n, "`group-by` must be a list of field names");
            Vec::new()
        }
    }
}

/// `Ns`, `Nm`, `Nh` or `Nd`, as the specification writes it.
fn timespan(ctx: &mut Ctx<'_>, n: &Node) -> Option<Duration> {
    let bad = "invalid `timespan`: expected a number and a unit s, m, h or d (for example `90m`)";
    let Some(text) = n.as_str() else {
        ctx.err(n, bad);
        return None;
    };
    match duration::parse_within(text, Syntax::Rule, MAX_TIMESPAN) {
        Ok(span) => Some(span),
        Err(DurationError::Malformed) => {
            ctx.err(n, bad);
            None
        }
        Err(range @ DurationError::OutOfRange { .. }) => {
            ctx.err(n, format!("`timespan` {range}"));
            None
        }
    }
}

/// The condition's operators, its `field` and where the `field` key is written.
fn condition(ctx: &mut Ctx<'_>, c: &Node) -> (Option<Condition>, Vec<String>, Option<Pos>) {
    let NodeKind::Map(entries) = &c.kind else {
        ctx.err(c, "`condition` must be a map such as `gte: 10`");
        return (None, Vec::new(), None);
    };
    let before = ctx.errors.len();
    let (mut ops, mut field, mut field_pos) = (Vec::new(), Vec::new(), None);
    for (k, v) in entries {
        let op = match k.as_str() {
            Some("gt") => Op::Gt,
            Some("gte") => Op::Gte,
            Some("lt") => Op::Lt,
            Some("lte") => Op::Lte,
            Some("eq") => Op::Eq,
            Some("neq") => Op::Neq,
            Some("field") => {
                field_pos = Some(Pos::from(k));
                field = fields(ctx, v);
                continue;
            }
            other => {
                let named = other.map(|o| format!(" `{o}`")).unwrap_or_default();
                ctx.err(
                    k,
                    format!(
                        "unknown condition{named}: expected gt, gte, lt, lte, eq, neq or field"
                    ),
                );
                continue;
            }
        };
        let n = match &v.kind {
            NodeKind::Int(i) => *i as f64,
            NodeKind::Float(f) if f.is_finite() => *f,
            _ => {
                ctx.err(v, "a condition's value must be a number");
                continue;
            }
        };
        ops.push((op, n));
    }
    if ctx.errors.len() > before {
        return (None, field, field_pos);
    }
    if ops.is_empty() {
        ctx.err(
            c,
            "`condition` needs a criterion: gt, gte, lt, lte, eq or neq",
        );
        return (None, field, field_pos);
    }
    let condition = Condition(ops);
    if condition.never_holds() {
        ctx.err(
            c,
            "the condition can never hold: its lower bound is above its upper bound",
        );
        return (None, field, field_pos);
    }
    (Some(condition), field, field_pos)
}

/// `field: name` or `field: [name, ...]`, each a non-empty string.
fn fields(ctx: &mut Ctx<'_>, v: &Node) -> Vec<String> {
    let bad = "`field` must be a field name (or a list of them)";
    match &v.kind {
        NodeKind::Str(s) if !s.is_empty() => vec![s.clone()],
        NodeKind::Seq(items) if !items.is_empty() => items
            .iter()
            .filter_map(|i| match i.as_str() {
                Some(s) if !s.is_empty() => Some(s.to_owned()),
                _ => {
                    ctx.err(i, bad);
                    None
                }
            })
            .collect(),
        _ => {
            ctx.err(v, bad);
            Vec::new()
        }
    }
}

/// What the type requires of `field` and `condition`.
fn check_condition(
    ctx: &mut Ctx<'_>,
    kind: CorrelationType,
    cond: &Condition,
    field: &[String],
    corr: &Node,
    at: Pos,
    field_at: Pos,
) {
    let temporal = matches!(
        kind,
        CorrelationType::Temporal | CorrelationType::TemporalOrdered
    );
    if cond.0.is_empty() && !temporal {
        ctx.err(
            corr,
            format!(
                "missing `condition`: {} needs one (for example `gte: 10`)",
                kind.as_str()
            ),
        );
    }
    if kind.needs_field() && field.is_empty() && field_at == at {
        ctx.err(
            at,
            format!(
                "missing `field` in `condition`: {} counts or adds up a field's values",
                kind.as_str()
            ),
        );
    }
    if !kind.needs_field() && !field.is_empty() {
        ctx.err(
            field_at,
            format!("`field` has no meaning for {}", kind.as_str()),
        );
    }
    if field.len() > 1 && kind != CorrelationType::ValueCount {
        ctx.err(field_at, "only value_count takes a list of fields");
    }
    if !cond.0.is_empty() && !cond.has_lower_bound() {
        ctx.warn(
            at,
            "the condition has no lower bound (gt, gte or eq): it holds on a group's first \
             record, so every group alerts once per timespan",
        );
    }
}

fn aliases(ctx: &mut Ctx<'_>, a: &Node) -> Vec<Alias> {
    let NodeKind::Map(entries) = &a.kind else {
        ctx.err(a, "`aliases` must map each alias to {rule name: field}");
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in entries {
        let Some(alias) = k.as_str() else {
            ctx.err(k, "an alias must be a name");
            continue;
        };
        let NodeKind::Map(per_rule) = &v.kind else {
            ctx.err(v, format!("alias `{alias}` must map rule names to fields"));
            continue;
        };
        let mut fields = Vec::new();
        for (rule, field) in per_rule {
            match (rule.scalar_text(), field.as_str()) {
                (Some(r), Some(f)) => fields.push((r, f.to_owned(), Pos::from(rule))),
                _ => ctx.err(
                    rule,
                    format!("alias `{alias}`: expected `rule_name: field.path`"),
                ),
            }
        }
        out.push((alias.to_owned(), fields));
    }
    out
}
