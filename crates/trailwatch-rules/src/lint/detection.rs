//! Checks of a `detection` (or a filter's body), map by map: names against the catalog,
//! fields against CloudTrail's record, values that cannot hold, selections the condition
//! leaves out.
use super::{fields, Catalog, Sink};
use crate::ast::{Anchor, Cond, MatchKind, Mods};
use crate::yaml::{Node, NodeKind};

/// One `field|mods: values` entry of a selection map.
struct Spec<'a> {
    key: &'a Node,
    field: String,
    mods: Mods,
    expand: bool,
    values: Vec<&'a Node>,
}

impl Spec<'_> {
    /// Plain string matching that a record value must satisfy (no `neq`, no base64).
    fn positive_plain(&self) -> bool {
        self.mods.kind == MatchKind::Plain && !self.mods.neq && self.mods.base64.is_none()
    }

    /// The value texts with their nodes, placeholders left out.
    fn texts(&self) -> Vec<(&Node, String)> {
        self.values
            .iter()
            .filter_map(|n| Some((*n, n.scalar_text()?)))
            .filter(|(_, t)| !(self.expand && t.contains('%')))
            .collect()
    }
}

/// What a map's checks need from the rule around it.
struct Scope<'a> {
    service: Option<&'a str>,
    /// `eventSource` values the logsource service limits the rule to (empty: every record).
    sources: Vec<String>,
    catalog: Option<&'a Catalog>,
}

/// Every check of one detection map.
pub fn detection(
    sink: &mut Sink<'_>,
    det: &Node,
    service: Option<&str>,
    catalog: Option<&Catalog>,
) {
    let NodeKind::Map(entries) = &det.kind else {
        return;
    };
    let sources = match service {
        None | Some("cloudtrail") => Vec::new(),
        Some(s) => crate::logsource::event_sources(s),
    };
    let scope = Scope {
        service,
        sources,
        catalog,
    };
    let mut names = Vec::new();
    let mut keys = Vec::new();
    let mut condition = None;
    for (k, v) in entries {
        match k.as_str() {
            Some("condition") => condition = Some(v),
            Some("timeframe" | "rules") => {}
            Some(name) => {
                names.push(name.to_owned());
                keys.push(k);
                selection(sink, v, &scope);
            }
            None => {}
        }
    }
    let texts: Vec<&str> = match condition.map(|c| &c.kind) {
        Some(NodeKind::Str(s)) => vec![s.as_str()],
        Some(NodeKind::Seq(items)) => items.iter().filter_map(Node::as_str).collect(),
        _ => return,
    };
    let mut used = vec![false; names.len()];
    for t in texts {
        // A condition that does not parse is `validate`'s error, reported there.
        let Ok(cond) = crate::condition::parse(t, &names) else {
            return;
        };
        mark(&cond, &mut used);
    }
    for (i, u) in used.iter().enumerate() {
        if !u {
            sink.warn(
                keys[i],
                "unused-selection",
                format!(
                    "selection `{}` is not used by the condition, so it changes nothing",
                    names[i]
                ),
            );
        }
    }
}

fn mark(c: &Cond, used: &mut [bool]) {
    match c {
        Cond::Sel(i) => {
            if let Some(u) = used.get_mut(*i) {
                *u = true;
            }
        }
        Cond::Not(x) => mark(x, used),
        Cond::And(xs) | Cond::Or(xs) => xs.iter().for_each(|x| mark(x, used)),
    }
}

/// A map is one group; a list of maps, several; keyword lists have no fields to check.
fn selection(sink: &mut Sink<'_>, v: &Node, scope: &Scope<'_>) {
    match &v.kind {
        NodeKind::Map(_) => group(sink, v, scope),
        NodeKind::Seq(items) => items
            .iter()
            .filter(|i| matches!(i.kind, NodeKind::Map(_)))
            .for_each(|i| group(sink, i, scope)),
        _ => {}
    }
}

fn specs(map: &Node) -> Vec<Spec<'_>> {
    let NodeKind::Map(entries) = &map.kind else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|(k, v)| {
            let key = k.scalar_text()?;
            let (field, mods, expand) = crate::modifiers::parse_key(&key).ok()?;
            let values = match &v.kind {
                NodeKind::Seq(items) => items.iter().collect(),
                _ => vec![v],
            };
            Some(Spec {
                key: k,
                field,
                mods,
                expand,
                values,
            })
        })
        .collect()
}

/// The checks of one AND-group of field specs.
fn group(sink: &mut Sink<'_>, map: &Node, scope: &Scope<'_>) {
    let specs = specs(map);
    for s in &specs {
        field_checks(sink, s);
    }
    contradictions(sink, &specs);
    let Some(catalog) = scope.catalog else {
        return;
    };
    let mut group_sources: Vec<String> = Vec::new();
    for s in specs
        .iter()
        .filter(|s| s.field == "eventSource" && s.positive_plain())
    {
        for (node, text) in s.texts() {
            let pat = Pattern::new(&text, s.mods);
            let known: Vec<&str> = catalog.source_names().filter(|c| pat.matches(c)).collect();
            if known.is_empty() {
                let guess = fields::closest(&text, catalog.source_names())
                    .map(|g| format!("; did you mean `{g}`?"))
                    .unwrap_or_default();
                sink.error(
                    node,
                    "unknown-event-source",
                    format!("`eventSource` `{text}`: no AWS service has it{guess}"),
                );
            }
            if !scope.sources.is_empty() && !scope.sources.iter().any(|x| pat.matches(x)) {
                sink.error(
                    node,
                    "service-mismatch",
                    format!(
                        "`eventSource` `{text}` is outside logsource service `{}` ({}): this \
                         selection never matches",
                        scope.service.unwrap_or_default(),
                        scope.sources.join(", ")
                    ),
                );
            }
            if pat.exact() {
                group_sources.extend(known.into_iter().map(str::to_owned));
            }
        }
    }
    let from_logsource = group_sources.is_empty() && !scope.sources.is_empty();
    let candidates: Vec<String> = if group_sources.is_empty() {
        scope
            .sources
            .iter()
            .filter(|s| catalog.names(s).is_some())
            .cloned()
            .collect()
    } else {
        group_sources
    };
    for s in specs
        .iter()
        .filter(|s| s.field == "eventName" && s.positive_plain())
    {
        for (node, text) in s.texts() {
            event_name(
                sink,
                catalog,
                scope,
                &candidates,
                from_logsource,
                node,
                &text,
                s.mods,
            );
        }
    }
}

/// An `eventName` value against the sources it can come from.
#[allow(clippy::too_many_arguments)]
fn event_name(
    sink: &mut Sink<'_>,
    catalog: &Catalog,
    scope: &Scope<'_>,
    candidates: &[String],
    from_logsource: bool,
    node: &Node,
    text: &str,
    mods: Mods,
) {
    let pat = Pattern::new(text, mods);
    let names_of = |src: &String| catalog.names(src).unwrap_or_default().iter();
    if candidates.is_empty() {
        let all = catalog
            .source_names()
            .flat_map(|s| catalog.names(s).unwrap_or_default());
        if any_name(&pat, all) {
            return;
        }
        if let Some((src, logged)) = catalog.logged_anywhere(text) {
            sink.error(
                node,
                "unknown-event-name",
                format!("`eventName` `{text}`: CloudTrail writes this {src} call as `{logged}`"),
            );
            return;
        }
        let all = catalog
            .source_names()
            .flat_map(|s| catalog.names(s).unwrap_or_default())
            .map(String::as_str);
        let guess = pat
            .exact()
            .then(|| fields::closest(text, all))
            .flatten()
            .map(|g| format!("; did you mean `{g}`?"))
            .unwrap_or_default();
        sink.error(
            node,
            "unknown-event-name",
            format!("`eventName` `{text}`: no AWS service writes it{guess}"),
        );
        return;
    }
    if any_name(&pat, candidates.iter().flat_map(names_of)) {
        return;
    }
    let list = candidates.join(", ");
    if let Some(logged) = candidates.iter().find_map(|c| catalog.logged_as(c, text)) {
        sink.error(
            node,
            "unknown-event-name",
            format!("`eventName` `{text}`: CloudTrail writes this {list} call as `{logged}`"),
        );
        return;
    }
    let elsewhere = if pat.exact() {
        catalog.sources_of(pat.base()).to_vec()
    } else {
        Vec::new()
    };
    if from_logsource && !elsewhere.is_empty() {
        sink.error(
            node,
            "service-mismatch",
            format!(
                "`eventName` `{text}` is written by {}, but logsource service `{}` limits the \
                 rule to {list}",
                some(&elsewhere),
                scope.service.unwrap_or_default()
            ),
        );
        return;
    }
    let guess = pat
        .exact()
        .then(|| {
            fields::closest(
                text,
                candidates.iter().flat_map(names_of).map(String::as_str),
            )
        })
        .flatten()
        .map(|g| format!("; did you mean `{g}`?"))
        .unwrap_or_default();
    let also = if elsewhere.is_empty() {
        String::new()
    } else {
        format!(" ({} does)", some(&elsewhere))
    };
    let what = if pat.exact() {
        "writes it"
    } else {
        "writes a name like it"
    };
    sink.error(
        node,
        "unknown-event-name",
        format!("`eventName` `{text}`: {list} never {what}{also}{guess}"),
    );
}

/// The first few of a list of sources (the services rules name most, first), and how many more.
fn some(sources: &[String]) -> String {
    const SHOWN: usize = 3;
    const COMMON: &[&str] = &[
        "iam.amazonaws.com",
        "sts.amazonaws.com",
        "signin.amazonaws.com",
        "ec2.amazonaws.com",
        "s3.amazonaws.com",
        "kms.amazonaws.com",
        "lambda.amazonaws.com",
        "cloudtrail.amazonaws.com",
        "sso.amazonaws.com",
        "organizations.amazonaws.com",
    ];
    let mut sorted: Vec<&String> = sources.iter().collect();
    sorted.sort_by_key(|s| (!COMMON.contains(&s.as_str()), s.as_str()));
    let mut s = sorted
        .into_iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if sources.len() > SHOWN {
        s.push_str(&format!(" and {} more", sources.len() - SHOWN));
    }
    s
}

fn any_name<'a>(pat: &Pattern, mut names: impl Iterator<Item = &'a String>) -> bool {
    names.any(|n| pat.matches_name(n))
}

/// Fields CloudTrail never writes, comparisons that cannot hold on the field's values.
fn field_checks(sink: &mut Sink<'_>, s: &Spec<'_>) {
    if s.field.is_empty() {
        return;
    }
    if let Some((bad, guess)) = fields::unknown_field(&s.field) {
        let hint = guess
            .map(|g| format!("; did you mean `{g}`?"))
            .unwrap_or_default();
        sink.error(
            s.key,
            "unknown-field",
            format!("`{bad}` is not a field CloudTrail writes{hint}"),
        );
        return;
    }
    match s.mods.kind {
        MatchKind::Cmp(_) if fields::TEXT_ONLY.contains(&s.field.as_str()) => sink.error(
            s.key,
            "never-matches",
            format!(
                "`{}` holds text, never a number: a numeric comparison never matches",
                s.field
            ),
        ),
        MatchKind::Cidr if fields::never_address(&s.field) => sink.error(
            s.key,
            "never-matches",
            format!(
                "`{}` never holds an IP address: `cidr` never matches",
                s.field
            ),
        ),
        _ => {}
    }
}

/// Values in one map that cannot all hold for a single-valued field.
fn contradictions(sink: &mut Sink<'_>, specs: &[Spec<'_>]) {
    let single = |f: &str| fields::TEXT_ONLY.contains(&f);
    for s in specs
        .iter()
        .filter(|s| single(&s.field) && s.positive_plain())
    {
        let exact: Vec<String> = s
            .texts()
            .into_iter()
            .map(|(_, t)| t)
            .filter(|t| Pattern::new(t, s.mods).exact())
            .map(|t| t.to_lowercase())
            .collect();
        let mut distinct = exact.clone();
        distinct.sort();
        distinct.dedup();
        if s.mods.all && distinct.len() > 1 {
            sink.error(
                s.key,
                "never-matches",
                format!(
                    "`{}|all` asks one value to equal {} at once: it never matches",
                    s.field,
                    distinct.join(" and ")
                ),
            );
        }
    }
    // Two specs on the same field: the literal values of one must satisfy the other.
    for (i, a) in specs.iter().enumerate() {
        if !single(&a.field) || !a.positive_plain() || a.mods.all {
            continue;
        }
        let texts = a.texts();
        if texts.is_empty() || !texts.iter().all(|(_, t)| Pattern::new(t, a.mods).exact()) {
            continue;
        }
        for b in specs.iter().skip(i + 1) {
            if b.field != a.field || !b.positive_plain() {
                continue;
            }
            let b_pats: Vec<Pattern> = b
                .texts()
                .iter()
                .map(|(_, t)| Pattern::new(t, b.mods))
                .collect();
            if b_pats.is_empty() {
                continue;
            }
            let satisfied = texts.iter().any(|(_, t)| {
                if b.mods.all {
                    b_pats.iter().all(|p| p.matches(t))
                } else {
                    b_pats.iter().any(|p| p.matches(t))
                }
            });
            if !satisfied {
                sink.error(
                    b.key,
                    "never-matches",
                    format!(
                        "`{}` here and `{}` above in the same map cannot both hold: it never \
                         matches",
                        key_text(b),
                        key_text(a)
                    ),
                );
            }
        }
    }
}

fn key_text(s: &Spec<'_>) -> String {
    s.key.scalar_text().unwrap_or_default()
}

/// A Sigma string value with its anchor, compared without case (unless `cased`).
struct Pattern {
    glob: String,
    cased: bool,
    exact: bool,
    base: String,
}

impl Pattern {
    fn new(text: &str, mods: Mods) -> Pattern {
        let wild = text.contains('*') || text.contains('?');
        let glob = match mods.anchor {
            Anchor::Whole => text.to_owned(),
            Anchor::Contains => format!("*{text}*"),
            Anchor::StartsWith => format!("{text}*"),
            Anchor::EndsWith => format!("*{text}"),
        };
        Pattern {
            glob,
            cased: mods.cased,
            exact: mods.anchor == Anchor::Whole && !wild,
            base: text.to_owned(),
        }
    }

    fn exact(&self) -> bool {
        self.exact
    }

    /// The exact name without an API-version suffix (`CreateFunction20150331v2`).
    fn base(&self) -> &str {
        strip_version(&self.base)
    }

    fn matches(&self, value: &str) -> bool {
        if self.cased {
            glob(self.glob.as_bytes(), value.as_bytes())
        } else {
            glob(
                self.glob.to_ascii_lowercase().as_bytes(),
                value.to_ascii_lowercase().as_bytes(),
            )
        }
    }

    /// Like [`Pattern::matches`], also allowing the version suffix CloudTrail adds to some
    /// services' names (Lambda's `20150331`, CloudFront's `2020_05_31`).
    fn matches_name(&self, name: &str) -> bool {
        self.matches(name) || (self.exact && strip_version(&self.base).eq_ignore_ascii_case(name))
    }
}

/// `CreateFunction20150331v2` → `CreateFunction`; `CreateFunction2020_05_31` → `CreateFunction`.
fn strip_version(name: &str) -> &str {
    let b = name.as_bytes();
    let mut end = b.len();
    // `v2`
    let digits = b[..end]
        .iter()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .count();
    if digits > 0 && end > digits && b[end - digits - 1] == b'v' {
        end -= digits + 1;
    }
    let tail = &b[..end];
    let n = tail.len();
    let all_digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    if n > 8 && all_digits(&tail[n - 8..]) {
        return &name[..n - 8];
    }
    if n > 10 && tail[n - 3] == b'_' && tail[n - 6] == b'_' {
        let (y, m, d) = (&tail[n - 10..n - 6], &tail[n - 5..n - 3], &tail[n - 2..]);
        if all_digits(y) && all_digits(m) && all_digits(d) {
            return &name[..n - 10];
        }
    }
    if end < b.len() {
        // A bare `v2` without a date is not a version suffix.
        return name;
    }
    name
}

/// Sigma wildcards: `*` any run, `?` one character.
fn glob(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while si < s.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = si;
            pi += 1;
        } else if let Some(st) = star {
            pi = st + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_globs() {
        assert_eq!(strip_version("CreateFunction20150331"), "CreateFunction");
        assert_eq!(
            strip_version("UpdateFunctionCode20150331v2"),
            "UpdateFunctionCode"
        );
        assert_eq!(strip_version("CreateFunction2020_05_31"), "CreateFunction");
        assert_eq!(strip_version("GetObject"), "GetObject");
        assert_eq!(strip_version("ListObjectsV2"), "ListObjectsV2");
        assert!(glob(b"delete*", b"deletebucket"));
        assert!(glob(b"*bucket*", b"putbucketpolicy"));
        assert!(!glob(b"put*", b"getbucket"));
        assert!(glob(b"get?ucket", b"getbucket"));
    }
}
