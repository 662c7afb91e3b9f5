//! A `detection` map → selections of field specs and a parsed condition, every problem at its
//! `file:line:col`. Also the `|element` extension, whose value is itself a detection.
use super::ast::{Anchor, Cond, Detection, FieldSpec, MatchKind, Mods, Pos, Selection, Value};
use super::condition;
use super::ctx::Ctx;
use super::modifiers::{self, Placeholders};
use super::yaml::{Node, NodeKind};

/// Selections and condition of a `detection` map; keys in `skip` are neither (a filter's `rules`).
pub(super) fn parse_detection(
    ctx: &mut Ctx<'_>,
    det: &Node,
    ph: &Placeholders,
    skip: &[&str],
) -> Option<Detection> {
    let NodeKind::Map(entries) = &det.kind else {
        ctx.err(
            det,
            format!("`detection` must be a map, found {}", det.shape()),
        );
        return None;
    };
    let before = ctx.errors.len();
    let mut selections = Vec::new();
    let mut condition_node = None;
    for (k, v) in entries {
        match k.as_str() {
            Some("condition") => condition_node = Some(v),
            Some("timeframe") => {}
            Some(k) if skip.contains(&k) => {}
            Some(name) => {
                if let Some(groups) = parse_selection(ctx, v, ph) {
                    selections.push(Selection {
                        name: name.to_owned(),
                        pos: k.into(),
                        groups,
                    });
                }
            }
            None => ctx.err(k, "selection names must be strings"),
        }
    }
    let Some(cnode) = condition_node else {
        ctx.err(det, "missing `condition` in `detection`");
        return None;
    };
    let texts: Vec<(String, Pos)> = match &cnode.kind {
        NodeKind::Str(s) => vec![(s.clone(), cnode.into())],
        NodeKind::Seq(items) if !items.is_empty() => items
            .iter()
            .filter_map(|i| match i.as_str() {
                Some(s) => Some((s.to_owned(), i.into())),
                None => {
                    ctx.err(i, "each condition must be a string");
                    None
                }
            })
            .collect(),
        _ => {
            ctx.err(cnode, "`condition` must be a string or a list of strings");
            return None;
        }
    };
    if ctx.errors.len() > before {
        return None;
    }
    let names: Vec<String> = selections.iter().map(|s| s.name.clone()).collect();
    let mut conds = Vec::new();
    for (text, pos) in &texts {
        match condition::parse(text, &names) {
            Ok(c) => conds.push(c),
            Err(e) => ctx.err(*pos, e),
        }
    }
    if conds.len() != texts.len() {
        return None;
    }
    let condition = if conds.len() == 1 {
        conds.remove(0)
    } else {
        Cond::Or(conds)
    };
    Some(Detection {
        selections,
        condition_text: texts.into_iter().map(|(t, _)| t).collect(),
        condition,
    })
}

/// A map is AND, a list of maps is OR, a list of scalars is a keyword search.
fn parse_selection(ctx: &mut Ctx<'_>, v: &Node, ph: &Placeholders) -> Option<Vec<Vec<FieldSpec>>> {
    match &v.kind {
        NodeKind::Map(_) => Some(vec![parse_map(ctx, v, ph)?]),
        NodeKind::Seq(items) if items.is_empty() => {
            ctx.err(v, "empty selection");
            None
        }
        NodeKind::Seq(items) if items.iter().all(|i| matches!(i.kind, NodeKind::Map(_))) => {
            let groups: Vec<_> = items.iter().map(|i| parse_map(ctx, i, ph)).collect();
            groups.into_iter().collect()
        }
        NodeKind::Seq(items) => {
            if let Some(bad) = items.iter().find(|i| i.scalar_text().is_none()) {
                ctx.err(
                    bad,
                    format!(
                        "a selection list holds either maps or keyword values, found {}",
                        bad.shape()
                    ),
                );
                return None;
            }
            Some(vec![vec![keywords(v, items)]])
        }
        NodeKind::Str(_) => Some(vec![vec![keywords(v, std::slice::from_ref(v))]]),
        _ => {
            ctx.err(
                v,
                format!("a selection must be a map or a list, found {}", v.shape()),
            );
            None
        }
    }
}

fn keywords(at: &Node, items: &[Node]) -> FieldSpec {
    FieldSpec {
        key: String::new(),
        field: String::new(),
        mods: Mods {
            anchor: Anchor::Contains,
            ..Default::default()
        },
        values: items.iter().map(to_value).collect(),
        element: None,
        pos: at.into(),
    }
}

fn to_value(n: &Node) -> Value {
    match &n.kind {
        NodeKind::Null => Value::Null,
        NodeKind::Bool(b) => Value::Bool(*b),
        NodeKind::Int(i) => Value::Number(i.to_string(), *i as f64),
        NodeKind::Float(f) => Value::Number(f.to_string(), *f),
        NodeKind::Str(s) => Value::Str(s.clone()),
        NodeKind::Seq(_) | NodeKind::Map(_) => Value::Null,
    }
}

fn parse_map(ctx: &mut Ctx<'_>, m: &Node, ph: &Placeholders) -> Option<Vec<FieldSpec>> {
    let NodeKind::Map(entries) = &m.kind else {
        return None;
    };
    if entries.is_empty() {
        ctx.err(m, "empty selection map");
        return None;
    }
    let before = ctx.errors.len();
    let specs: Vec<FieldSpec> = entries
        .iter()
        .filter_map(|(k, v)| parse_field(ctx, k, v, ph))
        .collect();
    (ctx.errors.len() == before).then_some(specs)
}

fn parse_field(ctx: &mut Ctx<'_>, k: &Node, v: &Node, ph: &Placeholders) -> Option<FieldSpec> {
    let Some(key) = k.scalar_text() else {
        ctx.err(k, "field names must be strings");
        return None;
    };
    let (field, mut mods, expand) = match modifiers::parse_key(&key) {
        Ok(x) => x,
        Err(e) => {
            ctx.err(k, e);
            return None;
        }
    };
    if mods.kind == MatchKind::Element {
        return parse_element(ctx, k, v, ph, key, field, mods);
    }
    let nodes: Vec<&Node> = match &v.kind {
        NodeKind::Seq(items) if items.is_empty() => {
            ctx.err(v, format!("`{key}` has an empty list of values"));
            return None;
        }
        NodeKind::Seq(items) => items.iter().collect(),
        _ => vec![v],
    };
    if let Some(bad) = nodes
        .iter()
        .find(|n| matches!(n.kind, NodeKind::Seq(_) | NodeKind::Map(_)))
    {
        ctx.err(
            *bad,
            format!(
                "`{key}` values must be scalars, found {} (to match several fields of one list \
                 element, write `{field}|element:`)",
                bad.shape()
            ),
        );
        return None;
    }
    if field.is_empty() {
        if !matches!(mods.kind, MatchKind::Plain | MatchKind::Re { .. }) || mods.neq {
            ctx.err(k, "keyword searches take only string modifiers");
            return None;
        }
        if mods.anchor == Anchor::Whole && mods.kind == MatchKind::Plain {
            mods.anchor = Anchor::Contains;
        }
    }
    let mut values = Vec::new();
    for n in nodes {
        let val = to_value(n);
        if let Some(msg) = check_value(&mods, &val) {
            ctx.err(n, format!("`{key}`: {msg}"));
            return None;
        }
        match (&val, expand) {
            (Value::Str(s), true) => match modifiers::expand(s, ph) {
                Ok(vs) => values.extend(vs.into_iter().map(Value::Str)),
                Err(e) => {
                    ctx.err(n, e);
                    return None;
                }
            },
            _ => values.push(val),
        }
    }
    if let Some(offset) = mods.base64 {
        if offset && mods.all && values.len() > 1 {
            ctx.err(k, "`base64offset` cannot be combined with `all`");
            return None;
        }
        values = values
            .iter()
            .flat_map(|v| modifiers::base64_variants(v.text().unwrap_or_default(), offset))
            .map(Value::Str)
            .collect();
        // Base64 text is case-sensitive: a case-folded comparison would match other bytes.
        mods.cased = true;
    }
    Some(FieldSpec {
        key,
        field,
        mods,
        values,
        element: None,
        pos: k.into(),
    })
}

/// `field|element:` a selection map, a list of maps (any of them), or a map of selections with
/// its own `condition`, evaluated against each element of the list at `field`.
fn parse_element(
    ctx: &mut Ctx<'_>,
    k: &Node,
    v: &Node,
    ph: &Placeholders,
    key: String,
    field: String,
    mods: Mods,
) -> Option<FieldSpec> {
    if field.is_empty() {
        ctx.err(
            k,
            "`element` needs a field: the list whose elements are matched",
        );
        return None;
    }
    let detection = match &v.kind {
        NodeKind::Map(_) if v.get("condition").is_some() => parse_detection(ctx, v, ph, &[])?,
        NodeKind::Map(_) | NodeKind::Seq(_) => Detection {
            selections: vec![Selection {
                name: "element".to_owned(),
                pos: v.into(),
                groups: parse_selection(ctx, v, ph)?,
            }],
            condition_text: vec!["element".to_owned()],
            condition: Cond::Sel(0),
        },
        _ => {
            ctx.err(
                v,
                format!(
                    "`{key}` takes a selection map (or a map of selections with a `condition`), \
                     found {}",
                    v.shape()
                ),
            );
            return None;
        }
    };
    Some(FieldSpec {
        key,
        field,
        mods,
        values: Vec::new(),
        element: Some(Box::new(detection)),
        pos: k.into(),
    })
}

/// Per-value checks that depend on the modifier chain.
fn check_value(mods: &Mods, v: &Value) -> Option<String> {
    let is_null = matches!(v, Value::Null);
    match mods.kind {
        MatchKind::Plain if is_null => {
            (mods.anchor != Anchor::Whole || mods.base64.is_some() || mods.neq)
                .then(|| "null cannot be used with string modifiers".to_owned())
        }
        MatchKind::Plain if mods.base64.is_some() => {
            let t = v.text().unwrap_or_default();
            (t.contains('*') || t.contains('?'))
                .then(|| "wildcards cannot be base64-encoded".to_owned())
        }
        MatchKind::Plain => None,
        MatchKind::Re { .. } | MatchKind::Cidr => {
            (!matches!(v, Value::Str(_))).then(|| "expected a string value".to_owned())
        }
        MatchKind::Exists => {
            (!matches!(v, Value::Bool(_))).then(|| "`exists` takes true or false".to_owned())
        }
        MatchKind::Cmp(_) => match v {
            Value::Number(..) => None,
            Value::Str(s) if s.trim().parse::<f64>().is_ok() => None,
            _ => Some("numeric comparison needs a number".to_owned()),
        },
        MatchKind::Element => None,
        MatchKind::FieldRef => match v {
            Value::Str(s) if !s.is_empty() => None,
            _ => Some("`fieldref` needs a non-empty field name".to_owned()),
        },
    }
}
