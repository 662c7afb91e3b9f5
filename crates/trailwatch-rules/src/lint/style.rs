//! Document-level checks: Sigma's required keys and date format, the logsource category, the
//! condition against its selections, and correlations' `group-by` against their rules.
use super::{detection, fields, Catalog, Known, Sink};
use crate::yaml::{Node, NodeKind};

/// CloudTrail's `eventCategory` values, as a logsource `category` names them.
pub const CATEGORIES: &[&str] = &["management", "data", "insight", "networkactivity"];

const STATUSES: &[&str] = &[
    "stable",
    "test",
    "experimental",
    "deprecated",
    "unsupported",
];

/// Every check of one document (a rule, a filter or a correlation).
pub fn document(sink: &mut Sink<'_>, doc: &Node, catalog: Option<&Catalog>, known: &Known) {
    let correlation = doc.get("correlation");
    let filter = doc.get("filter").filter(|_| doc.get("detection").is_none());
    let required: &[&str] = if correlation.is_some() {
        &["title", "id", "level", "status"]
    } else if filter.is_some() {
        &["title", "id", "logsource"]
    } else {
        &["title", "id", "level", "status", "logsource"]
    };
    for key in required {
        if doc.get(key).is_none() {
            sink.warn(doc, "style", format!("missing `{key}`"));
        }
    }
    if let Some(s) = doc.get("status") {
        if !s.as_str().is_some_and(|s| STATUSES.contains(&s)) {
            sink.warn(
                s,
                "style",
                format!("`status` must be one of {}", STATUSES.join(", ")),
            );
        }
    }
    for key in ["date", "modified"] {
        if let Some(d) = doc.get(key) {
            if !d.scalar_text().is_some_and(|t| valid_date(&t)) {
                sink.warn(
                    d,
                    "style",
                    format!("`{key}` must be a date written YYYY-MM-DD"),
                );
            }
        }
    }
    let category = doc.get("logsource").and_then(|l| l.get("category"));
    if let Some(c) = category {
        let text = c.scalar_text().unwrap_or_default().to_lowercase();
        if !CATEGORIES.contains(&text.trim()) {
            sink.warn(
                c,
                "logsource",
                format!(
                    "logsource category `{text}` is not a CloudTrail event category ({}); the \
                     rule is skipped",
                    CATEGORIES.join(", ")
                ),
            );
        }
    }
    if let Some(corr) = correlation {
        group_by(sink, corr, known);
        return;
    }
    let det = match (filter, doc.get("detection")) {
        (_, Some(d)) => d,
        (Some(f), None) => f,
        (None, None) => return,
    };
    let service = doc
        .get("logsource")
        .and_then(|l| l.get("service"))
        .and_then(Node::scalar_text)
        .map(|s| s.trim().to_lowercase());
    detection::detection(sink, det, service.as_deref(), catalog);
}

/// `YYYY-MM-DD` naming a real day (Sigma's date format).
fn valid_date(t: &str) -> bool {
    let parts: Vec<&str> = t.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    let num = |s: &str, len: usize| {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    let (Some(y), Some(m), Some(d)) = (num(y, 4), num(m, 2), num(d, 2)) else {
        return false;
    };
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// A `group-by` field none of the correlation's rules can provide: not a field CloudTrail
/// writes (after the rule's alias), or every rule it names is missing from the linted set.
fn group_by(sink: &mut Sink<'_>, corr: &Node, known: &Known) {
    let Some(g) = corr.get("group-by") else {
        return;
    };
    let items: Vec<&Node> = match &g.kind {
        NodeKind::Seq(items) => items.iter().collect(),
        NodeKind::Str(_) => vec![g],
        _ => return,
    };
    let aliases = corr.get("aliases");
    let rules: Vec<String> = match corr.get("rules").map(|r| &r.kind) {
        Some(NodeKind::Seq(items)) => items.iter().filter_map(Node::scalar_text).collect(),
        Some(NodeKind::Str(s)) => vec![s.clone()],
        _ => Vec::new(),
    };
    for item in items {
        let Some(field) = item.as_str() else {
            continue;
        };
        // An alias stands for one field per rule; check each.
        let fields_for: Vec<String> = match aliases.and_then(|a| a.get(field)).map(|n| &n.kind) {
            Some(NodeKind::Map(m)) => m.iter().filter_map(|(_, v)| v.scalar_text()).collect(),
            _ => vec![field.to_owned()],
        };
        for f in fields_for {
            if let Some((bad, guess)) = fields::unknown_field(&f) {
                // A correlation over correlations groups by its inputs' group-by fields,
                // which are plain names; only rules' records are CloudTrail records.
                let over_rules = rules
                    .iter()
                    .all(|r| known.refs.get(r).copied().unwrap_or(true));
                if !over_rules {
                    continue;
                }
                let hint = guess
                    .map(|g| format!("; did you mean `{g}`?"))
                    .unwrap_or_default();
                sink.error(
                    item,
                    "group-by",
                    format!(
                        "group-by `{f}`: `{bad}` is not a field CloudTrail writes, so none of the \
                         rules can provide it and every match falls in one `(missing)` group{hint}"
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::valid_date;

    #[test]
    fn dates() {
        assert!(valid_date("2026-11-25"));
        assert!(valid_date("2024-02-29"));
        assert!(!valid_date("2023-02-29"));
        assert!(!valid_date("2026/11/25"));
        assert!(!valid_date("2026-13-01"));
        assert!(!valid_date("26-11-25"));
    }
}
