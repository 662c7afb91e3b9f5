//! [`Detection`] → matchers built once at load: patterns lowercased, regexes and CIDRs parsed.
use ipnet::IpNet;
use regex::{Regex, RegexBuilder};

use super::ast::{Anchor, CmpOp, Cond, Detection, FieldSpec, MatchKind, Pos, Value};
use super::pattern::StrPattern;

/// A detection ready to evaluate.
#[derive(Debug, Clone)]
pub struct CompiledDetection {
    pub selections: Vec<CSelection>,
    pub condition: Cond,
    pub condition_text: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct CSelection {
    pub name: String,
    /// OR over groups; each group is an AND over fields.
    pub groups: Vec<Vec<CField>>,
}

/// One `field|mods: values` entry.
#[derive(Debug, Clone)]
pub struct CField {
    /// The key as written, for explanations.
    pub key: String,
    /// Dotted path split once; empty means "every string value" (keywords).
    pub path: Vec<String>,
    pub all: bool,
    pub values: Vec<CValue>,
}

/// One value of a field entry, compiled for its modifier chain.
#[derive(Debug, Clone)]
pub enum CValue {
    /// `null`: the field is missing or null.
    Null,
    Str(StrPattern),
    /// `neq`: a present value that does not match.
    NotStr(StrPattern),
    Regex(Regex),
    Cidr(IpNet),
    Exists(bool),
    Cmp(CmpOp, f64),
    FieldRef {
        path: Vec<String>,
        anchor: Anchor,
        cased: bool,
    },
    /// `|element`: some element of the list satisfies this detection.
    Element(Box<CompiledDetection>),
}

/// Splits a dotted field name into path segments.
pub fn split_path(field: &str) -> Vec<String> {
    if field.is_empty() {
        return Vec::new();
    }
    field.split('.').map(str::to_owned).collect()
}

/// `max_regex_bytes` bounds each compiled `|re` pattern (`RegexBuilder::size_limit`).
pub fn compile(
    det: &Detection,
    max_regex_bytes: usize,
) -> Result<CompiledDetection, Vec<(Pos, String)>> {
    let mut errors = Vec::new();
    let mut selections = Vec::with_capacity(det.selections.len());
    for sel in &det.selections {
        let mut groups = Vec::with_capacity(sel.groups.len());
        for g in &sel.groups {
            let mut fields = Vec::with_capacity(g.len());
            for spec in g {
                match compile_field(spec, max_regex_bytes) {
                    Ok(f) => fields.push(f),
                    Err(e) => errors.extend(e),
                }
            }
            groups.push(fields);
        }
        selections.push(CSelection {
            name: sel.name.clone(),
            groups,
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(CompiledDetection {
        selections,
        condition: det.condition.clone(),
        condition_text: det.condition_text.clone(),
    })
}

fn compile_field(spec: &FieldSpec, max_regex_bytes: usize) -> Result<CField, Vec<(Pos, String)>> {
    let m = &spec.mods;
    let mut values = Vec::with_capacity(spec.values.len());
    if let Some(det) = &spec.element {
        values.push(CValue::Element(Box::new(compile(det, max_regex_bytes)?)));
    }
    for v in &spec.values {
        values.push(compile_value(spec, v, max_regex_bytes).map_err(|e| vec![e])?);
    }
    Ok(CField {
        key: spec.key.clone(),
        path: split_path(&spec.field),
        all: m.all,
        values,
    })
}

fn compile_value(
    spec: &FieldSpec,
    v: &Value,
    max_regex_bytes: usize,
) -> Result<CValue, (Pos, String)> {
    let m = &spec.mods;
    let err = |msg: String| (spec.pos, format!("`{}`: {msg}", spec.key));
    let text = v.text().unwrap_or_default();
    Ok(match m.kind {
        MatchKind::Plain if *v == Value::Null => CValue::Null,
        MatchKind::Plain if m.neq => CValue::NotStr(StrPattern::new(text, m.anchor, m.cased)),
        MatchKind::Plain => CValue::Str(StrPattern::new(text, m.anchor, m.cased)),
        MatchKind::Re { i, m: ml, s } => RegexBuilder::new(text)
            .case_insensitive(i)
            .multi_line(ml)
            .dot_matches_new_line(s)
            .size_limit(max_regex_bytes)
            .build()
            .map(CValue::Regex)
            .map_err(|e| {
                err(format!(
                    "bad regular expression: {}",
                    one_line(&e.to_string())
                ))
            })?,
        MatchKind::Cidr => parse_cidr(text)
            .map(CValue::Cidr)
            .ok_or_else(|| err(format!("bad CIDR `{text}`")))?,
        MatchKind::Exists => CValue::Exists(matches!(v, Value::Bool(true))),
        MatchKind::Cmp(op) => match v {
            Value::Number(_, f) => CValue::Cmp(op, *f),
            _ => CValue::Cmp(
                op,
                text.trim()
                    .parse()
                    .map_err(|_| err("numeric comparison needs a number".to_owned()))?,
            ),
        },
        MatchKind::FieldRef if text.is_empty() => {
            return Err(err("`fieldref` needs a non-empty field name".to_owned()))
        }
        MatchKind::FieldRef => CValue::FieldRef {
            path: split_path(text),
            anchor: m.anchor,
            cased: m.cased,
        },
        MatchKind::Element => return Err(err("`element` takes a map, not values".to_owned())),
    })
}

/// A CIDR, or a bare address taken as a single-host network.
pub fn parse_cidr(text: &str) -> Option<IpNet> {
    let t = text.trim();
    t.parse::<IpNet>()
        .ok()
        .or_else(|| t.parse::<std::net::IpAddr>().ok().map(IpNet::from))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
