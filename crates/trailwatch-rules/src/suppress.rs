//! `suppress: { by: [userIdentity.arn, sourceIPAddress], for: 1h }`: a rule's repeats for one
//! combination of those fields' values are counted rather than sent for the window after an
//! alert (`state::StateStore::suppress` keeps the count across files and invocations).
use std::time::Duration;

use super::duration::{self, Syntax};
use super::field;
use super::yaml::{Node, NodeKind, Pos};

/// The longest window accepted: a year, beyond any retention worth paying for.
const MAX_WINDOW: Duration = Duration::from_secs(365 * 24 * 3600);

/// A rule's `suppress` attribute, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppress {
    /// Dotted field paths whose values make a combination, as written.
    pub by: Vec<String>,
    /// How long after a delivered alert the combination's repeats are counted, not sent.
    pub window: Duration,
}

impl Suppress {
    /// The combination `record` belongs to, one value per `by` field: text for scalars,
    /// compact JSON for objects and arrays, `None` where the field is missing or null.
    pub fn values(&self, record: &serde_json::Value) -> Vec<Option<String>> {
        self.by.iter().map(|f| field::text(record, f)).collect()
    }
}

/// Parses the attribute, handing each problem to `err`; `None` when absent (null) or invalid.
pub fn parse(node: &Node, err: &mut dyn FnMut(Pos, String)) -> Option<Suppress> {
    let entries = match &node.kind {
        NodeKind::Null => return None,
        NodeKind::Map(entries) => entries,
        _ => {
            err(
                node.into(),
                format!(
                    "`suppress` must be a map like {{ by: [userIdentity.arn], for: 1h }}, found {}",
                    node.shape()
                ),
            );
            return None;
        }
    };
    let (mut by, mut window, mut ok) = (None, None, true);
    for (k, v) in entries {
        match k.as_str() {
            Some("by") => by = parse_by(v, err),
            Some("for") => window = parse_for(v, err),
            _ => {
                let name = k.scalar_text().unwrap_or_else(|| k.shape().to_owned());
                err(
                    k.into(),
                    format!("unknown key `{name}` in `suppress`: expected `by` and `for`"),
                );
                ok = false;
            }
        }
    }
    for (key, missing) in [("by", by.is_none()), ("for", window.is_none())] {
        if missing && node.get(key).is_none() {
            err(node.into(), format!("`suppress` needs `{key}`"));
        }
    }
    let (by, window) = (by?, window?);
    ok.then_some(Suppress { by, window })
}

fn parse_by(v: &Node, err: &mut dyn FnMut(Pos, String)) -> Option<Vec<String>> {
    let NodeKind::Seq(items) = &v.kind else {
        err(
            v.into(),
            format!(
                "`suppress.by` must be a list of field paths, found {}",
                v.shape()
            ),
        );
        return None;
    };
    if items.is_empty() {
        err(v.into(), "`suppress.by` names no field".to_owned());
        return None;
    }
    let mut fields: Vec<String> = Vec::new();
    for item in items {
        match item.as_str().filter(|f| is_field_path(f)) {
            Some(f) if fields.iter().any(|seen| seen == f) => {
                err(item.into(), format!("`suppress.by` names `{f}` twice"));
                return None;
            }
            Some(f) => fields.push(f.to_owned()),
            None => {
                err(
                    item.into(),
                    "`suppress.by` entries must be field paths such as userIdentity.arn".to_owned(),
                );
                return None;
            }
        }
    }
    Some(fields)
}

fn parse_for(v: &Node, err: &mut dyn FnMut(Pos, String)) -> Option<Duration> {
    let window = v.as_str().and_then(parse_duration);
    if window.is_none() {
        err(
            v.into(),
            "`suppress.for` must be a duration such as 30s, 10m, 1h or 2d (at most 365d)"
                .to_owned(),
        );
    }
    window
}

/// `30s`, `10m`, `1h`, `2d`: a whole number above 0 and one unit, up to a year.
pub fn parse_duration(text: &str) -> Option<Duration> {
    duration::parse_within(text, Syntax::Rule, MAX_WINDOW).ok()
}

/// Dotted segments, none empty, without spaces, wildcards or a modifier bar.
fn is_field_path(f: &str) -> bool {
    f.split('.').all(|seg| {
        !seg.is_empty()
            && !seg
                .chars()
                .any(|c| c.is_whitespace() || matches!(c, '|' | '*' | '?'))
    })
}

#[cfg(test)]
#[path = "suppress_tests.rs"]
mod tests;
