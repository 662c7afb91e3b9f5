//! YAML nodes → [`RuleAst`], with every problem reported at its `file:line:col`.
use super::ast::{
    Anchor, Cond, Detection, FieldSpec, FilterAst, MatchKind, Pos, RuleAst, Selection, Value,
};
use super::cases::doc_tests;
use super::modifiers::{self, Placeholders};
use super::yaml::{self, Node, NodeKind};
use super::{condition, logsource, Level, RuleError};

/// What one rule file yields: rules, filters, skipped documents, warnings and errors.
#[derive(Debug, Default)]
pub struct FileOutcome {
    pub rules: Vec<RuleAst>,
    pub filters: Vec<FilterAst>,
    /// Documents left out (another log source, deprecated, correlation...), with the reason.
    pub skipped: Vec<RuleError>,
    pub warnings: Vec<RuleError>,
    pub errors: Vec<RuleError>,
}

/// Collects errors for one file so parsing can continue past the first problem.
pub(super) struct Ctx<'a> {
    pub file: &'a str,
    pub errors: Vec<RuleError>,
    pub skipped: Vec<RuleError>,
    pub warnings: Vec<RuleError>,
}

impl Ctx<'_> {
    fn at(&self, at: impl Into<Pos>, message: impl Into<String>) -> RuleError {
        let p = at.into();
        RuleError {
            file: self.file.to_owned(),
            line: p.line,
            col: p.col,
            message: message.into(),
        }
    }

    pub fn err(&mut self, at: impl Into<Pos>, message: impl Into<String>) {
        let e = self.at(at, message);
        self.errors.push(e);
    }

    pub fn warn(&mut self, at: impl Into<Pos>, message: impl Into<String>) {
        let e = self.at(at, message);
        self.warnings.push(e);
    }

    fn skip(&mut self, at: impl Into<Pos>, message: impl Into<String>) {
        let e = self.at(at, message);
        self.skipped.push(e);
    }
}

impl From<&Node> for Pos {
    fn from(n: &Node) -> Pos {
        Pos {
            line: n.line.max(1),
            col: n.col.max(1),
        }
    }
}

/// Parses a rule file: every YAML document is a rule, except that a leading
/// `action: global` document is merged into the documents after it (Sigma rule collections).
pub fn parse_source(file: &str, text: &str, placeholders: &Placeholders) -> FileOutcome {
    let mut out = FileOutcome::default();
    let docs = match yaml::parse_documents(text) {
        Ok(d) => d,
        Err(e) => {
            out.errors.push(RuleError {
                file: file.to_owned(),
                line: e.line,
                col: e.col,
                message: format!("YAML syntax: {}", e.message),
            });
            return out;
        }
    };
    let mut ctx = Ctx {
        file,
        errors: Vec::new(),
        skipped: Vec::new(),
        warnings: Vec::new(),
    };
    if docs.is_empty() {
        ctx.err(Pos { line: 1, col: 1 }, "empty rule file");
    }
    let mut global: Option<Node> = None;
    for doc in docs {
        match doc.get("action").and_then(Node::as_str) {
            Some("global") => {
                global = Some(without_key(&doc, "action"));
                continue;
            }
            Some("reset") => {
                global = None;
                continue;
            }
            Some(other) => {
                ctx.err(
                    &doc,
                    format!("unsupported rule collection action `{other}`"),
                );
                continue;
            }
            None => {}
        }
        let doc = match &global {
            Some(g) => merge(g, &doc),
            None => doc,
        };
        if doc.get("filter").is_some() && doc.get("detection").is_none() {
            out.filters
                .extend(super::filter::parse_filter(&mut ctx, &doc, placeholders));
        } else if let Some(rule) = parse_rule(&mut ctx, &doc, placeholders) {
            out.rules.push(rule);
        }
    }
    out.errors = ctx.errors;
    out.skipped = ctx.skipped;
    out.warnings = ctx.warnings;
    out
}

fn without_key(doc: &Node, key: &str) -> Node {
    let mut d = doc.clone();
    if let NodeKind::Map(entries) = &mut d.kind {
        entries.retain(|(k, _)| k.as_str() != Some(key));
    }
    d
}

/// Deep-merges two maps; `over` wins for scalars and lists.
fn merge(base: &Node, over: &Node) -> Node {
    let (NodeKind::Map(b), NodeKind::Map(o)) = (&base.kind, &over.kind) else {
        return over.clone();
    };
    let mut entries = b.clone();
    for (k, v) in o {
        match entries.iter_mut().find(|(bk, _)| bk.kind == k.kind) {
            Some((_, bv)) => *bv = merge(bv, v),
            None => entries.push((k.clone(), v.clone())),
        }
    }
    Node {
        kind: NodeKind::Map(entries),
        line: over.line,
        col: over.col,
    }
}

fn parse_rule(ctx: &mut Ctx<'_>, doc: &Node, placeholders: &Placeholders) -> Option<RuleAst> {
    if !matches!(doc.kind, NodeKind::Map(_)) {
        ctx.err(doc, format!("a rule must be a map, found {}", doc.shape()));
        return None;
    }
    let label = doc
        .get("title")
        .and_then(Node::as_str)
        .map(|t| format!("`{t}`: "))
        .unwrap_or_default();
    if doc.get("correlation").is_some() {
        ctx.skip(
            doc,
            format!("{label}correlation rules are not supported yet; skipped"),
        );
        return None;
    }
    let status = doc.get("status").and_then(Node::as_str).map(str::to_owned);
    if let Some(s @ ("deprecated" | "unsupported")) = status.as_deref() {
        ctx.skip(doc, format!("{label}status {s}; skipped"));
        return None;
    }
    let logsource = logsource::read(doc);
    let scope = match logsource::scope(logsource.as_ref()) {
        Ok(scope) => scope,
        Err(why) => {
            ctx.skip(doc, format!("{label}{why}; skipped"));
            return None;
        }
    };
    if has_aggregation(doc) {
        ctx.skip(
            doc,
            format!(
                "{label}aggregation condition (`| count() ...`) is Sigma 1 syntax, not supported \
                 yet (a correlation rule expresses it); skipped"
            ),
        );
        return None;
    }
    let before = ctx.errors.len();
    let title = required_str(ctx, doc, "title");
    let id = required_str(ctx, doc, "id");
    if let (Some(id), Some(at)) = (&id, doc.get("id")) {
        if !is_uuid(id) {
            ctx.warn(
                at,
                format!(
                    "`id` `{id}` is not a UUID (Sigma rule ids are UUIDs; use a fresh UUID v4)"
                ),
            );
        }
    }
    let name = optional_str(ctx, doc, "name");
    let level = match doc.get("level") {
        None => {
            ctx.err(doc, "missing `level`");
            None
        }
        Some(n) => match n.as_str().map(str::parse::<Level>) {
            Some(Ok(l)) => Some(l),
            _ => {
                ctx.err(
                    n,
                    "invalid `level`: expected informational, low, medium, high or critical",
                );
                None
            }
        },
    };
    let description = optional_str(ctx, doc, "description");
    let summary = optional_str(ctx, doc, "summary");
    let tags = str_list(ctx, doc, "tags");
    let falsepositives = str_list(ctx, doc, "falsepositives");
    let notify = str_list(ctx, doc, "notify");
    let detection = match doc.get("detection") {
        None => {
            ctx.err(doc, "missing `detection`");
            None
        }
        Some(d) => parse_detection(ctx, d, placeholders, &[]),
    };
    let tests = doc_tests(ctx, doc);
    if ctx.errors.len() > before {
        return None;
    }
    Some(RuleAst {
        source: ctx.file.to_owned(),
        id: id?,
        id_pos: doc.get("id").map(Pos::from).unwrap_or_default(),
        name,
        title: title?,
        level: level?,
        status,
        description,
        tags,
        falsepositives,
        notify,
        summary,
        logsource: logsource.unwrap_or_default(),
        scope,
        detection: detection?,
        tests,
    })
}

/// `8-4-4-4-12` hexadecimal digits, as Sigma writes rule ids.
pub fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

pub(super) fn required_str(ctx: &mut Ctx<'_>, doc: &Node, key: &str) -> Option<String> {
    match doc.get(key) {
        None => {
            ctx.err(doc, format!("missing `{key}`"));
            None
        }
        Some(n) => match n.as_str() {
            Some(s) if !s.trim().is_empty() => Some(s.to_owned()),
            _ => {
                ctx.err(n, format!("`{key}` must be a non-empty string"));
                None
            }
        },
    }
}

pub(super) fn optional_str(ctx: &mut Ctx<'_>, doc: &Node, key: &str) -> Option<String> {
    let n = doc.get(key)?;
    match &n.kind {
        NodeKind::Null => None,
        NodeKind::Str(s) => Some(s.clone()),
        _ => {
            ctx.err(n, format!("`{key}` must be a string"));
            None
        }
    }
}

fn str_list(ctx: &mut Ctx<'_>, doc: &Node, key: &str) -> Vec<String> {
    let Some(n) = doc.get(key) else {
        return Vec::new();
    };
    match &n.kind {
        NodeKind::Null => Vec::new(),
        NodeKind::Str(s) => vec![s.clone()],
        NodeKind::Seq(items) => items
            .iter()
            .filter_map(|i| match i.scalar_text() {
                Some(s) => Some(s),
                None => {
                    ctx.err(i, format!("`{key}` entries must be strings"));
                    None
                }
            })
            .collect(),
        _ => {
            ctx.err(n, format!("`{key}` must be a list of strings"));
            Vec::new()
        }
    }
}

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
        super::ast::Cond::Or(conds)
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
        mods: super::ast::Mods {
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
    mods: super::ast::Mods,
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
fn check_value(mods: &super::ast::Mods, v: &Value) -> Option<String> {
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

/// Sigma 1 aggregations (`selection | count() by x > 5`) need state across records; the rule is
/// skipped with a note, as correlation rules are, rather than failing the whole load.
fn has_aggregation(doc: &Node) -> bool {
    let Some(condition) = doc.get("detection").and_then(|d| d.get("condition")) else {
        return false;
    };
    let text = |n: &Node| n.as_str().is_some_and(|c| c.contains('|'));
    match &condition.kind {
        NodeKind::Seq(items) => items.iter().any(text),
        _ => text(condition),
    }
}
