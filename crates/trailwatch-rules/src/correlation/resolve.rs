//! Correlation references resolved against every loaded rule and correlation: ids and names,
//! chains in dependency order, cycles, aliases, `generate`.
use std::collections::HashMap;

use super::parse::CorrelationAst;
use super::{Correlation, Input};
use crate::ast::Pos;
use crate::{Level, Rule, RuleError};

/// The correlations of a set, and who feeds whom.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    /// The correlations, in load order.
    pub list: Vec<Correlation>,
    /// Per rule: the (correlation, input position) pairs its matches feed.
    pub rule_feeds: Vec<Vec<(usize, usize)>>,
    /// Per correlation: the (correlation, input position) pairs its alerts feed.
    pub corr_feeds: Vec<Vec<(usize, usize)>>,
    /// Correlation indices with every correlation after those it refers to.
    pub order: Vec<usize>,
}

fn error(source: &str, at: Pos, message: String) -> RuleError {
    RuleError {
        file: source.to_owned(),
        line: at.line.max(1),
        col: at.col.max(1),
        message,
    }
}

/// Resolves `asts` against `rules` (whose `alerts` it sets from `generate`). Correlations that
/// refer to a document left out (`skipped_refs`: id or name → why) are left out too, with a
/// note in `skipped`.
pub fn resolve(
    asts: Vec<CorrelationAst>,
    rules: &mut [Rule],
    skipped_refs: &HashMap<String, String>,
    errors: &mut Vec<RuleError>,
    skipped: &mut Vec<RuleError>,
) -> Resolved {
    let mut names: HashMap<&str, Input> = HashMap::new();
    for (i, r) in rules.iter().enumerate() {
        names.insert(&r.id, Input::Rule(i));
        if let Some(n) = &r.name {
            names.entry(n).or_insert(Input::Rule(i));
        }
    }
    for (j, c) in asts.iter().enumerate() {
        names.insert(&c.id, Input::Correlation(j));
        if let Some(n) = &c.name {
            names.entry(n).or_insert(Input::Correlation(j));
        }
    }
    // Resolve references; `None` marks a correlation left out.
    let mut inputs: Vec<Option<Vec<Input>>> = Vec::with_capacity(asts.len());
    for c in &asts {
        let mut resolved = Some(Vec::new());
        for (r, at) in &c.rules {
            match (names.get(r.as_str()), skipped_refs.get(r)) {
                (Some(&input), _) => resolved.iter_mut().for_each(|v| v.push(input)),
                (None, Some(why)) => {
                    let m = format!(
                        "correlation `{}` refers to `{r}`, which was left out ({why}): skipped",
                        c.title
                    );
                    skipped.push(error(&c.source, c.pos, m));
                    resolved = None;
                    break;
                }
                (None, None) => {
                    let m = format!(
                        "unknown rule `{r}`: no loaded rule or correlation has this id or name"
                    );
                    errors.push(error(&c.source, *at, m));
                    resolved = None;
                }
            }
        }
        inputs.push(resolved);
    }
    // A correlation that refers to one left out is left out too.
    loop {
        let mut changed = false;
        for j in 0..asts.len() {
            let gone = inputs[j].as_ref().is_some_and(|ins| {
                ins.iter()
                    .any(|i| matches!(i, Input::Correlation(k) if inputs[*k].is_none()))
            });
            if gone {
                let c = &asts[j];
                let m = format!(
                    "correlation `{}` refers to a correlation that was left out: skipped",
                    c.title
                );
                skipped.push(error(&c.source, c.pos, m));
                inputs[j] = None;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let Some(order) = topological(&asts, &inputs, errors) else {
        return Resolved::default();
    };
    // Keep the survivors, renumbered.
    let mut new_index = vec![usize::MAX; asts.len()];
    let kept: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&j| inputs[j].is_some())
        .collect();
    let mut by_load: Vec<usize> = kept.clone();
    by_load.sort_unstable();
    for (n, &j) in by_load.iter().enumerate() {
        new_index[j] = n;
    }
    let mut out = Resolved {
        rule_feeds: vec![Vec::new(); rules.len()],
        corr_feeds: vec![Vec::new(); by_load.len()],
        order: kept.iter().map(|&j| new_index[j]).collect(),
        list: Vec::new(),
    };
    // Built in dependency order (a chain may be written outer first), kept in load order.
    let mut asts: Vec<Option<CorrelationAst>> = asts.into_iter().map(Some).collect();
    let mut built: Vec<Option<Correlation>> = vec![None; by_load.len()];
    for &j in &kept {
        let (Some(ast), Some(ins)) = (asts[j].take(), inputs[j].take()) else {
            continue;
        };
        let ins: Vec<Input> = ins
            .into_iter()
            .map(|i| match i {
                Input::Correlation(k) => Input::Correlation(new_index[k]),
                rule => rule,
            })
            .collect();
        match build(ast, ins, rules, &built, errors) {
            Some(c) => built[new_index[j]] = Some(c),
            // A correlation with errors fails the load.
            None => return Resolved::default(),
        }
    }
    out.list = built.into_iter().flatten().collect();
    for (me, c) in out.list.iter().enumerate() {
        for (pos, input) in c.inputs.iter().enumerate() {
            match *input {
                Input::Rule(r) => out.rule_feeds[r].push((me, pos)),
                Input::Correlation(k) => out.corr_feeds[k].push((me, pos)),
            }
        }
    }
    for (r, rule) in rules.iter_mut().enumerate() {
        let feeds = &out.rule_feeds[r];
        rule.alerts = feeds.is_empty() || feeds.iter().any(|&(c, _)| out.list[c].generate);
    }
    for k in 0..out.list.len() {
        let feeds = &out.corr_feeds[k];
        out.list[k].alerts = feeds.is_empty() || feeds.iter().any(|&(c, _)| out.list[c].generate);
    }
    out
}

/// Dependency order (inner correlations first); `None` after reporting a cycle.
fn topological(
    asts: &[CorrelationAst],
    inputs: &[Option<Vec<Input>>],
    errors: &mut Vec<RuleError>,
) -> Option<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        j: usize,
        inputs: &[Option<Vec<Input>>],
        marks: &mut [Mark],
        path: &mut Vec<usize>,
        order: &mut Vec<usize>,
    ) -> Result<(), Vec<usize>> {
        match marks[j] {
            Mark::Done => return Ok(()),
            Mark::Open => {
                let from = path.iter().position(|&p| p == j).unwrap_or(0);
                let mut cycle = path[from..].to_vec();
                cycle.push(j);
                return Err(cycle);
            }
            Mark::New => {}
        }
        marks[j] = Mark::Open;
        path.push(j);
        for input in inputs[j].iter().flatten() {
            if let Input::Correlation(k) = *input {
                visit(k, inputs, marks, path, order)?;
            }
        }
        path.pop();
        marks[j] = Mark::Done;
        order.push(j);
        Ok(())
    }
    let mut marks = vec![Mark::New; asts.len()];
    let mut order = Vec::new();
    for j in 0..asts.len() {
        let mut path = Vec::new();
        if let Err(cycle) = visit(j, inputs, &mut marks, &mut path, &mut order) {
            let names: Vec<String> = cycle.iter().map(|&k| format!("`{}`", asts[k].id)).collect();
            let first = &asts[cycle[0]];
            let next = cycle.get(1).map(|&k| &asts[k]);
            let at = next
                .and_then(|n| {
                    first
                        .rules
                        .iter()
                        .find(|(r, _)| *r == n.id || n.name.as_deref() == Some(r.as_str()))
                })
                .map(|(_, p)| *p)
                .unwrap_or(first.pos);
            let m = format!("correlation cycle: {}", names.join(" → "));
            errors.push(error(&first.source, at, m));
            return None;
        }
    }
    Some(order)
}

/// One correlation with its inputs resolved: aliases, group paths, level.
fn build(
    ast: CorrelationAst,
    inputs: Vec<Input>,
    rules: &[Rule],
    done: &[Option<Correlation>],
    errors: &mut Vec<RuleError>,
) -> Option<Correlation> {
    let before = errors.len();
    let ident = |i: &Input| -> (String, Option<String>, String, Level) {
        match *i {
            Input::Rule(r) => {
                let r = &rules[r];
                (r.id.clone(), r.name.clone(), r.title.clone(), r.level)
            }
            Input::Correlation(k) => match &done[k] {
                Some(c) => (c.id.clone(), c.name.clone(), c.title.clone(), c.level),
                None => (String::new(), None, String::new(), Level::Informational),
            },
        }
    };
    let idents: Vec<_> = inputs.iter().map(ident).collect();
    for (alias, per_rule) in &ast.aliases {
        for (rule, _, at) in per_rule {
            let known = idents
                .iter()
                .any(|(id, name, _, _)| id == rule || name.as_deref() == Some(rule.as_str()));
            if !known {
                let m = format!(
                    "alias `{alias}` names `{rule}`, which is not one of this correlation's rules \
                     (aliases refer to the rules' `name`)"
                );
                errors.push(error(&ast.source, *at, m));
            }
        }
    }
    let mut group_paths = Vec::with_capacity(inputs.len());
    for (input, (id, name, title, _)) in inputs.iter().zip(&idents) {
        let paths: Vec<String> = ast
            .group_by
            .iter()
            .map(|g| {
                ast.aliases
                    .iter()
                    .find(|(a, _)| a == g)
                    .and_then(|(_, per)| {
                        per.iter()
                            .find(|(r, _, _)| r == id || name.as_deref() == Some(r.as_str()))
                    })
                    .map_or_else(|| g.clone(), |(_, f, _)| f.clone())
            })
            .collect();
        if let Some(inner) = match *input {
            Input::Correlation(k) => done[k].as_ref(),
            Input::Rule(_) => None,
        } {
            for (i, p) in paths.iter().enumerate() {
                if !inner.group_by.contains(p) {
                    let m = format!(
                        "groups by `{p}`, but the correlation `{title}` it refers to does not \
                         (its alerts carry only {})",
                        if inner.group_by.is_empty() {
                            "no group-by fields".to_owned()
                        } else {
                            inner.group_by.join(", ")
                        }
                    );
                    let at = ast.group_by_pos.get(i).copied().unwrap_or(ast.pos);
                    errors.push(error(&ast.source, at, m));
                }
            }
            if ast.kind.needs_field() {
                let m = "a value correlation over another correlation's alerts is not supported: \
                         they carry only their group-by fields";
                errors.push(error(&ast.source, ast.condition_pos, m.to_owned()));
            }
        }
        group_paths.push(paths);
    }
    if errors.len() > before {
        return None;
    }
    let level = ast
        .level
        .or_else(|| idents.iter().map(|(_, _, _, l)| *l).max())
        .unwrap_or(Level::Medium);
    Some(Correlation {
        id: ast.id,
        name: ast.name,
        title: ast.title,
        level,
        tags: ast.tags,
        description: ast.description,
        falsepositives: ast.falsepositives,
        notify: ast.notify,
        source: ast.source,
        kind: ast.kind,
        input_titles: idents.into_iter().map(|(_, _, t, _)| t).collect(),
        inputs,
        group_by: ast.group_by,
        group_paths,
        field: ast.field,
        timespan: ast.timespan,
        condition: ast.condition,
        generate: ast.generate,
        alerts: true,
        tests: ast.tests,
    })
}
