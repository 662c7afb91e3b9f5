//! YAML nodes → [`RuleAst`], with every problem reported at its `file:line:col`.
use super::ast::{FilterAst, Pos, RuleAst};
use super::correlation::parse::{parse_correlation, CorrelationAst};
use super::cases::doc_tests;
use super::detection::parse_detection;
use super::modifiers::Placeholders;
use super::yaml::{self, Node, NodeKind};
use super::ctx::{optional_str, required_str, str_list, Ctx};
use super::{logsource, Level, RuleError};

/// What one rule file yields: rules, filters, skipped documents, warnings and errors.
#[derive(Debug, Default)]
pub struct FileOutcome {
    pub rules: Vec<RuleAst>,
    pub filters: Vec<FilterAst>,
    pub correlations: Vec<CorrelationAst>,
    /// The ids and names of the documents left out, with why: a correlation that refers to
    /// one is left out too.
    pub skipped_refs: Vec<(String, String)>,
    /// Documents left out (another log source, deprecated, correlation...), with the reason.
    pub skipped: Vec<RuleError>,
    pub warnings: Vec<RuleError>,
    pub errors: Vec<RuleError>,
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
        skipped_refs: Vec::new(),
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
        if doc.get("correlation").is_some() {
            let status = doc.get("status").and_then(Node::as_str);
            if let Some(s @ ("deprecated" | "unsupported")) = status {
                ctx.skip(&doc, format!("correlation: status {s}; skipped"));
            } else {
                out.correlations.extend(parse_correlation(&mut ctx, &doc));
            }
        } else if doc.get("filter").is_some() && doc.get("detection").is_none() {
            out.filters
                .extend(super::filter::parse_filter(&mut ctx, &doc, placeholders));
        } else if let Some(rule) = parse_rule(&mut ctx, &doc, placeholders) {
            out.rules.push(rule);
        }
    }
    out.errors = ctx.errors;
    out.skipped = ctx.skipped;
    out.warnings = ctx.warnings;
    out.skipped_refs = ctx.skipped_refs;
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
    let suppress = doc
        .get("suppress")
        .and_then(|n| super::suppress::parse(n, &mut |at, m| ctx.err(at, m)));
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
        name_pos: doc.get("name").map(Pos::from).unwrap_or_default(),
        name,
        title: title?,
        level: level?,
        description,
        tags,
        falsepositives,
        notify,
        summary,
        logsource: logsource.unwrap_or_default(),
        scope,
        suppress,
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
