//! Sigma filters (`sigma-filters-specification.md`): a document with `filter: {rules, <selections>,
//! condition}` whose condition is ANDed, as written, into each rule it names, so operators can
//! tune vendor rules without forking them. Also where a rule's logsource scope joins its
//! detection: both are conditions the rule did not write, ANDed in the same way.
use super::ast::{Cond, Detection, FieldSpec, FilterAst, FilterTargets, Mods, Pos, RuleAst};
use super::ast::{Selection, Value};
use super::cases::doc_tests;
use super::ctx::{optional_str, required_str, Ctx};
use super::detection::parse_detection;
use super::modifiers::Placeholders;
use super::yaml::{Node, NodeKind};
use super::{logsource, RuleError};

/// Parses a filter document; `None` after reporting its errors.
pub(super) fn parse_filter(ctx: &mut Ctx<'_>, doc: &Node, ph: &Placeholders) -> Option<FilterAst> {
    let before = ctx.errors.len();
    let title = required_str(ctx, doc, "title");
    let id = optional_str(ctx, doc, "id");
    let logsource = logsource::read(doc);
    if logsource.is_none() {
        ctx.err(doc, "a filter needs a `logsource`");
    }
    let body = doc.get("filter")?;
    if !matches!(body.kind, NodeKind::Map(_)) {
        ctx.err(
            body,
            format!("`filter` must be a map, found {}", body.shape()),
        );
        return None;
    }
    let rules = match body.get("rules") {
        None => {
            ctx.err(
                body,
                "a filter needs `rules`: rule ids or names, or `any` for every rule of its logsource",
            );
            None
        }
        Some(r) => targets(ctx, r),
    };
    if let Some(c) = body.get("condition") {
        if c.as_str().is_none() {
            ctx.err(c, "a filter's `condition` must be one string");
        }
    }
    let detection = parse_detection(ctx, body, ph, &["rules"]);
    let tests = doc_tests(ctx, doc);
    if ctx.errors.len() > before {
        return None;
    }
    Some(FilterAst {
        source: ctx.file.to_owned(),
        id,
        title: title?,
        pos: doc.into(),
        logsource: logsource?,
        rules: rules?,
        detection: detection?,
        tests,
    })
}

fn targets(ctx: &mut Ctx<'_>, r: &Node) -> Option<FilterTargets> {
    let listed = |n: &Node| n.scalar_text().map(|t| (t, Pos::from(n)));
    match &r.kind {
        NodeKind::Str(s) if matches!(s.to_lowercase().as_str(), "any" | "all") => {
            Some(FilterTargets::Any)
        }
        NodeKind::Seq(items) if items.is_empty() => Some(FilterTargets::Any),
        NodeKind::Seq(items) => match items.iter().map(listed).collect::<Option<Vec<_>>>() {
            Some(refs) => Some(FilterTargets::Listed(refs)),
            None => {
                ctx.err(r, "`rules` entries must be rule ids or names");
                None
            }
        },
        _ => match listed(r) {
            Some(one) => Some(FilterTargets::Listed(vec![one])),
            None => {
                ctx.err(
                    r,
                    "`rules` must be `any`, a rule id or name, or a list of them",
                );
                None
            }
        },
    }
}

/// Whether `filter` applies to `rule`: named by id or `name` (or `any`), and the rule's
/// logsource falls within the filter's.
pub fn applies(filter: &FilterAst, rule: &RuleAst) -> bool {
    logsource::within(&rule.logsource, &filter.logsource)
        && match &filter.rules {
            FilterTargets::Any => true,
            FilterTargets::Listed(refs) => refs
                .iter()
                .any(|(r, _)| *r == rule.id || rule.name.as_deref() == Some(r.as_str())),
        }
}

/// How a filter is named in listings and explanations.
pub fn label(filter: &FilterAst) -> String {
    format!("filter \"{}\"", filter.title)
}

/// Warnings for references that name no loaded rule, and for filters that apply to none.
pub fn unused(filter: &FilterAst, rules: &[RuleAst]) -> Vec<RuleError> {
    let at = |pos: Pos, message: String| RuleError {
        file: filter.source.clone(),
        line: pos.line,
        col: pos.col,
        message,
    };
    let mut out = Vec::new();
    if let FilterTargets::Listed(refs) = &filter.rules {
        for (r, pos) in refs {
            if !rules
                .iter()
                .any(|x| x.id == *r || x.name.as_deref() == Some(r))
            {
                let msg = format!("{}: `{r}` names no loaded rule", label(filter));
                out.push(at(*pos, msg));
            }
        }
    }
    if out.is_empty() && !rules.iter().any(|r| applies(filter, r)) {
        let msg = format!(
            "{} applies to no loaded rule (check its logsource)",
            label(filter)
        );
        out.push(at(filter.pos, msg));
    }
    out
}

/// The detection a rule is evaluated with: its logsource scope, then its own detection, then
/// each applying filter's, ANDed (`logsource and (condition) and (filter condition)`).
pub fn effective(rule: &RuleAst, filters: &[&FilterAst]) -> Detection {
    let category = logsource::event_category(&rule.logsource);
    if rule.scope.is_empty() && category.is_none() && filters.is_empty() {
        return rule.detection.clone();
    }
    let mut selections = Vec::new();
    let mut conds = Vec::new();
    let mut text = Vec::new();
    if !rule.scope.is_empty() {
        let name = format!(
            "logsource service {}",
            rule.logsource.service.as_deref().unwrap_or_default()
        );
        selections.push(scope_selection(&name, "eventSource", &rule.scope));
        conds.push(Cond::Sel(selections.len() - 1));
        text.push(name);
    }
    if let Some(c) = category {
        let name = format!("logsource category {}", c.to_lowercase());
        selections.push(scope_selection(&name, "eventCategory", &[c.to_owned()]));
        conds.push(Cond::Sel(selections.len() - 1));
        text.push(name);
    }
    let mut append = |det: &Detection, rename: &dyn Fn(&str) -> String| {
        let base = selections.len();
        selections.extend(det.selections.iter().map(|s| Selection {
            name: rename(&s.name),
            ..s.clone()
        }));
        conds.push(offset(&det.condition, base));
    };
    append(&rule.detection, &|n| n.to_owned());
    text.push(format!(
        "({})",
        rule.detection.condition_text.join(") or (")
    ));
    for f in filters {
        let l = label(f);
        append(&f.detection, &|n| format!("{n} [{l}]"));
        text.push(format!(
            "{l}: ({})",
            f.detection.condition_text.join(" or ")
        ));
    }
    Detection {
        selections,
        condition_text: vec![text.join(" and ")],
        condition: Cond::And(conds),
    }
}

fn scope_selection(name: &str, field: &str, sources: &[String]) -> Selection {
    Selection {
        name: name.to_owned(),
        pos: Pos::default(),
        groups: vec![vec![FieldSpec {
            key: field.to_owned(),
            field: field.to_owned(),
            mods: Mods::default(),
            values: sources.iter().map(|s| Value::Str(s.clone())).collect(),
            element: None,
            pos: Pos::default(),
        }]],
    }
}

/// `c` with every selection index moved up by `base`.
fn offset(c: &Cond, base: usize) -> Cond {
    match c {
        Cond::Sel(i) => Cond::Sel(i + base),
        Cond::Not(x) => Cond::Not(Box::new(offset(x, base))),
        Cond::And(xs) => Cond::And(xs.iter().map(|x| offset(x, base)).collect()),
        Cond::Or(xs) => Cond::Or(xs.iter().map(|x| offset(x, base)).collect()),
    }
}
