//! The `field|modifier|...` chain: which modifiers exist, which combine, and the value
//! transforms (`base64`, `base64offset`, `expand`) applied before compilation.
use std::collections::BTreeMap;

use base64::Engine;

use super::ast::{Anchor, CmpOp, MatchKind, Mods};

/// Modifiers Sigma defines for Windows logs; they mean nothing for CloudTrail's JSON, so a
/// rule using them is almost certainly written for another log source.
const WINDOWS_ONLY: &[&str] = &["windash", "utf16", "utf16le", "utf16be", "wide"];

/// Splits `field|a|b` and validates the chain. `Err` is a message naming the bad modifier.
pub fn parse_key(key: &str) -> Result<(String, Mods, bool), String> {
    let mut parts = key.split('|');
    let field = parts.next().unwrap_or_default().to_owned();
    let mut mods = Mods::default();
    let mut expand = false;
    let mut kind_set: Option<&str> = None;
    let mut set_kind = |name: &'static str, kind: MatchKind, mods: &mut Mods| {
        if let Some(prev) = kind_set {
            return Err(format!(
                "modifier `{name}` cannot be combined with `{prev}`"
            ));
        }
        kind_set = Some(name);
        mods.kind = kind;
        Ok(())
    };
    let mut anchor_set: Option<&str> = None;
    for m in parts {
        let anchor = match m {
            "contains" => Some(Anchor::Contains),
            "startswith" => Some(Anchor::StartsWith),
            "endswith" => Some(Anchor::EndsWith),
            _ => None,
        };
        if let Some(a) = anchor {
            if let Some(prev) = anchor_set {
                return Err(format!("modifier `{m}` cannot be combined with `{prev}`"));
            }
            anchor_set = Some(match a {
                Anchor::Contains => "contains",
                Anchor::StartsWith => "startswith",
                _ => "endswith",
            });
            mods.anchor = a;
            continue;
        }
        match m {
            "all" => mods.all = true,
            "cased" => mods.cased = true,
            "neq" => mods.neq = true,
            "expand" => expand = true,
            "base64" | "base64offset" => {
                if mods.base64.is_some() {
                    return Err(format!("modifier `{m}` given twice"));
                }
                mods.base64 = Some(m == "base64offset");
            }
            "re" => set_kind(
                "re",
                MatchKind::Re {
                    i: false,
                    m: false,
                    s: false,
                },
                &mut mods,
            )?,
            "i" | "m" | "s" => match &mut mods.kind {
                MatchKind::Re { i, m: ml, s } => match m {
                    "i" => *i = true,
                    "m" => *ml = true,
                    _ => *s = true,
                },
                _ => return Err(format!("modifier `{m}` is only valid after `re`")),
            },
            "cidr" => set_kind("cidr", MatchKind::Cidr, &mut mods)?,
            "exists" => set_kind("exists", MatchKind::Exists, &mut mods)?,
            "fieldref" => set_kind("fieldref", MatchKind::FieldRef, &mut mods)?,
            "element" => set_kind("element", MatchKind::Element, &mut mods)?,
            "lt" => set_kind("lt", MatchKind::Cmp(CmpOp::Lt), &mut mods)?,
            "lte" => set_kind("lte", MatchKind::Cmp(CmpOp::Lte), &mut mods)?,
            "gt" => set_kind("gt", MatchKind::Cmp(CmpOp::Gt), &mut mods)?,
            "gte" => set_kind("gte", MatchKind::Cmp(CmpOp::Gte), &mut mods)?,
            w if WINDOWS_ONLY.contains(&w) => {
                return Err(format!(
                    "modifier `{w}` is for Windows command lines and means nothing for CloudTrail"
                ))
            }
            "" => return Err("empty modifier (`||` or trailing `|`)".to_owned()),
            other => return Err(format!("unknown modifier `{other}`")),
        }
    }
    check_combination(&mods, anchor_set)?;
    let plain = Mods {
        kind: MatchKind::Element,
        ..Mods::default()
    };
    if mods.kind == MatchKind::Element && (mods != plain || expand) {
        return Err("modifier `element` takes no other modifiers".to_owned());
    }
    Ok((field, mods, expand))
}

/// Rejects chains that pySigma rejects or that would be silently meaningless.
fn check_combination(mods: &Mods, anchor: Option<&str>) -> Result<(), String> {
    let kind = match mods.kind {
        MatchKind::Plain => None,
        MatchKind::Re { .. } => Some("re"),
        MatchKind::Cidr => Some("cidr"),
        MatchKind::Exists => Some("exists"),
        MatchKind::Cmp(_) => Some("lt/lte/gt/gte"),
        MatchKind::FieldRef => None,
        MatchKind::Element => Some("element"),
    };
    if let (Some(k), Some(a)) = (kind, anchor) {
        return Err(format!("modifier `{a}` cannot be combined with `{k}`"));
    }
    if mods.base64 == Some(true) && mods.anchor != Anchor::Contains {
        return Err("modifier `base64offset` needs `contains`".to_owned());
    }
    if mods.base64.is_some() && mods.kind != MatchKind::Plain {
        return Err("`base64`/`base64offset` only apply to plain string matching".to_owned());
    }
    if mods.neq && !matches!(mods.kind, MatchKind::Plain) {
        return Err("modifier `neq` only applies to plain string matching".to_owned());
    }
    Ok(())
}

/// The strings a `base64`/`base64offset` value stands for. `base64offset` gives the three
/// encodings of the value at each byte alignment, trimmed to the stable middle, as pySigma does.
pub fn base64_variants(value: &str, offset: bool) -> Vec<String> {
    let eng = base64::engine::general_purpose::STANDARD;
    if !offset {
        return vec![eng.encode(value.as_bytes())];
    }
    const START: [usize; 3] = [0, 2, 3];
    const END_TRIM: [usize; 3] = [0, 3, 2];
    let len = value.len();
    (0..3)
        .map(|i| {
            let mut bytes = vec![b' '; i];
            bytes.extend_from_slice(value.as_bytes());
            let enc = eng.encode(&bytes);
            let end = enc.len().saturating_sub(END_TRIM[(len + i) % 3]);
            enc.get(START[i]..end).unwrap_or_default().to_owned()
        })
        .collect()
}

/// Placeholder values by name, from `placeholders.yml`.
pub type Placeholders = BTreeMap<String, Vec<String>>;

/// Replaces every `%name%` in `value` by each of its values (all combinations).
/// `Err` names the first unknown placeholder.
pub fn expand(value: &str, placeholders: &Placeholders) -> Result<Vec<String>, String> {
    let Some(start) = value.find('%') else {
        return Ok(vec![value.to_owned()]);
    };
    let rest = &value[start + 1..];
    let Some(len) = rest.find('%') else {
        return Ok(vec![value.to_owned()]);
    };
    let name = &rest[..len];
    let after = &rest[len + 1..];
    let Some(values) = placeholders.get(name) else {
        return Err(format!("unknown placeholder `%{name}%`"));
    };
    let tails = expand(after, placeholders)?;
    let head = &value[..start];
    let mut out = Vec::with_capacity(values.len() * tails.len());
    for v in values {
        for t in &tails {
            out.push(format!("{head}{v}{t}"));
        }
    }
    Ok(out)
}
