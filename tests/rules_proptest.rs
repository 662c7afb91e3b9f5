//! The compiled, indexed evaluator agrees with the direct reference interpreter of the same
//! rule AST on generated rules and records: with logsource scopes, a filter that may or may not
//! apply, `|element` entries, and string modifiers over whole objects.
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use trailwatch::enrich::Enricher;
use trailwatch::matching::{Checked, Glimpse, Matcher, Observed};
use trailwatch::rules::ast::FilterAst;
use trailwatch::rules::modifiers::Placeholders;
use trailwatch::rules::parse::FileOutcome;
use trailwatch::rules::{parse, reference, RuleSet};

const FIELDS: &[&str] = &[
    "eventName",
    "eventSource",
    "userIdentity.type",
    "a.b",
    "arr.x",
    "n",
    // Objects and arrays of objects: string modifiers search their JSON text.
    "a",
    "arr",
    "userIdentity",
    // What the enrich stage makes of `userIdentity` and `sourceIPAddress`.
    "enrichment.actor.kind",
    "enrichment.actor.name",
    "enrichment.source.kind",
];
/// Fields inside one element of `arr` (each element is `{"x": ...}` or `{}`).
const ELEMENT_FIELDS: &[&str] = &["x", "eventName"];
const SERVICES: &[&str] = &["", "cloudtrail", "iam", "cloudwatch"];
const TEXT: &str = "[aAbBé*?\\\\ .]{0,4}";

fn scalar_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => TEXT.prop_map(|s| format!("'{s}'")),
        1 => (0i64..4).prop_map(|n| n.to_string()),
        1 => any::<bool>().prop_map(|b| b.to_string()),
        1 => Just("null".to_owned()),
    ]
}

fn quoted_list(items: Vec<String>) -> String {
    format!("[{}]", items.join(", "))
}

/// Pieces of JSON text, so searches over objects hit keys, quotes and braces.
const JSON_BITS: &[&str] = &["'\"b\":'", "'{\"x\"'", "'}'", "'\"type\":\"a'", "'*\"b\"*'"];

/// One `key: value` line of a selection map, or an `arr|element:` entry.
fn entry() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => field_entry(FIELDS),
        1 => prop::collection::vec(field_entry(ELEMENT_FIELDS), 1..3)
            .prop_map(|es| format!("arr|element: {{{}}}", dedup(es).join(", "))),
    ]
}

/// Keeps the first entry of each key (YAML maps take a key once).
fn dedup(mut es: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    es.retain(|e| seen.insert(e.split(": ").next().unwrap_or_default().to_owned()));
    es
}

fn field_entry(fields: &'static [&'static str]) -> impl Strategy<Value = String> {
    let field = prop::sample::select(fields);
    let strings = prop::collection::vec(TEXT.prop_map(|s| format!("'{s}'")), 1..3);
    prop_oneof![
        2 => (field.clone(), prop::sample::select(vec!["contains", "startswith|cased", "endswith", "contains|all", "re"]),
              prop::collection::vec(prop::sample::select(JSON_BITS), 1..3))
            .prop_map(|(f, m, v)| {
                let v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
                if m == "re" { format!("{f}|re: '\"'") } else { format!("{f}|{m}: {}", quoted_list(v)) }
            }),
        4 => (field.clone(), prop::collection::vec(scalar_text(), 1..3))
            .prop_map(|(f, v)| format!("{f}: {}", quoted_list(v))),
        3 => (
            field.clone(),
            prop::sample::select(vec!["contains", "startswith", "endswith", "cased", "contains|all", "neq", "contains|cased"]),
            strings.clone()
        )
            .prop_map(|(f, m, v)| format!("{f}|{m}: {}", quoted_list(v))),
        1 => (field.clone(), prop::sample::select(vec!["'^a'", "'b$'", "'a.b'", "'(?i)é'", "'\\d'"]), any::<bool>())
            .prop_map(|(f, r, i)| format!("{f}|re{}: {r}", if i { "|i" } else { "" })),
        1 => (field.clone(), any::<bool>()).prop_map(|(f, b)| format!("{f}|exists: {b}")),
        1 => (field.clone(), prop::sample::select(vec!["lt", "lte", "gt", "gte"]), 0i64..4)
            .prop_map(|(f, op, n)| format!("{f}|{op}: {n}")),
        1 => (field.clone(), prop::sample::select(vec!["'10.0.0.0/8'", "'2001:db8::/32'"]))
            .prop_map(|(f, c)| format!("{f}|cidr: {c}")),
        1 => (field.clone(), prop::sample::select(FIELDS), prop::sample::select(vec!["", "|contains", "|startswith"]))
            .prop_map(|(f, o, m)| format!("{f}|fieldref{m}: {o}")),
    ]
}

fn selection() -> impl Strategy<Value = String> {
    let map = || prop::collection::vec(entry(), 1..4).prop_map(dedup);
    prop_oneof![
        4 => map().prop_map(|es| es.iter().map(|e| format!("    {e}\n")).collect()),
        1 => prop::collection::vec(map(), 2..3).prop_map(|maps| {
            maps.iter()
                .map(|es| {
                    es.iter()
                        .enumerate()
                        .map(|(i, e)| format!("    {} {e}\n", if i == 0 { "-" } else { " " }))
                        .collect::<String>()
                })
                .collect()
        }),
        1 => prop::collection::vec(TEXT.prop_map(|s| format!("'{s}'")), 1..3)
            .prop_map(|ks| ks.iter().map(|k| format!("    - {k}\n")).collect()),
    ]
}

fn condition(n: usize) -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        4 => (0..n).prop_map(|i| format!("s{i}")),
        1 => Just("1 of s*".to_owned()),
        1 => Just("all of them".to_owned()),
    ];
    leaf.prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} and {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} or {b}")),
            inner.prop_map(|a| format!("not ({a})")),
        ]
    })
}

fn logsource(service: &str) -> String {
    match service {
        "" => "logsource:\n  product: aws\n".to_owned(),
        s => format!("logsource:\n  product: aws\n  service: {s}\n"),
    }
}

/// A rule (id `g1`, name `gen`) scoped by one of [`SERVICES`].
fn rule_yaml() -> impl Strategy<Value = (String, &'static str)> {
    let service = prop::sample::select(SERVICES);
    (1usize..4, service).prop_flat_map(|(n, service)| {
        (prop::collection::vec(selection(), n), condition(n)).prop_map(move |(sels, cond)| {
            let mut y = format!(
                "title: generated\nid: g1\nname: gen\nlevel: low\n{}detection:\n",
                logsource(service)
            );
            for (i, s) in sels.iter().enumerate() {
                y.push_str(&format!("  s{i}:\n{s}"));
            }
            y.push_str(&format!("  condition: {cond}\n"));
            (y, service)
        })
    })
}

/// A filter document naming the rule (or not), with a logsource that may not contain the
/// rule's; also whether it names the rule, and its service.
fn filter_yaml() -> impl Strategy<Value = (String, bool, &'static str)> {
    let rules = prop::sample::select(vec!["any", "[]", "g1", "[gen]", "[other-id]"]);
    let service = prop::sample::select(SERVICES);
    let cond = prop::sample::select(vec!["not f0", "f0", "f0 or not f1", "not 1 of f*"]);
    (rules, service, selection(), selection(), cond).prop_map(|(rules, service, f0, f1, cond)| {
        let y = format!(
            "title: gen filter\n{}filter:\n  rules: {rules}\n  f0:\n{}  f1:\n{}  condition: {cond}\n",
            logsource(service),
            f0,
            f1
        );
        (y, rules != "[other-id]", service)
    })
}

fn event_source() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => json_scalar(),
        2 => prop::sample::select(vec!["iam.amazonaws.com", "IAM.amazonaws.com", "monitoring.amazonaws.com", "s3.amazonaws.com"])
            .prop_map(Value::from),
    ]
}

fn json_scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => "[aAbBé*?\\\\ .]{0,4}".prop_map(Value::from),
        1 => prop::sample::select(vec!["10.1.2.3", "2001:db8::5", "192.0.2.1", "1.5"]).prop_map(Value::from),
        1 => (0i64..4).prop_map(Value::from),
        1 => any::<bool>().prop_map(Value::from),
        1 => Just(Value::Null),
    ]
}

fn maybe(v: impl Strategy<Value = Value>) -> impl Strategy<Value = Option<Value>> {
    prop::option::weighted(0.8, v)
}

fn record() -> impl Strategy<Value = Value> {
    (
        maybe(json_scalar()),
        maybe(event_source()),
        maybe(json_scalar()),
        maybe(json_scalar()),
        prop::collection::vec(maybe(json_scalar()), 0..3),
        maybe(prop_oneof![
            json_scalar(),
            prop::collection::vec(json_scalar(), 0..3).prop_map(Value::from)
        ]),
    )
        .prop_map(|(name, source, utype, ab, arr, n)| {
            let mut m = Map::new();
            if let Some(v) = name {
                m.insert("eventName".into(), v);
            }
            if let Some(v) = source {
                m.insert("eventSource".into(), v);
            }
            if let Some(v) = utype {
                m.insert("userIdentity".into(), json!({ "type": v }));
            }
            if let Some(v) = ab {
                m.insert("a".into(), json!({ "b": v }));
            }
            let items: Vec<Value> = arr
                .into_iter()
                .map(|x| x.map(|v| json!({ "x": v })).unwrap_or(json!({})))
                .collect();
            m.insert("arr".into(), Value::Array(items));
            if let Some(v) = n {
                m.insert("n".into(), v);
            }
            Value::Object(m)
        })
}

/// [`record`] with the fields a storm digest counts, of any type, where `Glimpse` reads them.
fn counted_record() -> impl Strategy<Value = Value> {
    (
        record(),
        prop::option::weighted(0.9, "[a-f0-9-]{0,8}".prop_map(Value::from)),
        maybe(json_scalar()),
        maybe(json_scalar()),
        maybe(json_scalar()),
        (maybe(json_scalar()), any::<bool>()),
    )
        .prop_map(|(mut rec, id, ip, arn, account, (issuer, nest))| {
            let m = rec.as_object_mut().expect("record() makes objects");
            if let Some(v) = id {
                m.insert("eventID".into(), v);
            }
            if let Some(v) = ip {
                m.insert("sourceIPAddress".into(), v);
            }
            if let Some(Value::Object(identity)) = m.get_mut("userIdentity") {
                if let Some(v) = arn {
                    identity.insert("arn".into(), v);
                }
                if let Some(v) = account {
                    identity.insert("accountId".into(), v);
                }
                // The issuing role, where `Glimpse` names the actor by it: nested as
                // CloudTrail writes it, or a scalar where an object belongs.
                if let Some(v) = issuer {
                    let context = if nest {
                        json!({"sessionIssuer": {"arn": v}})
                    } else {
                        v
                    };
                    identity.insert("sessionContext".into(), context);
                }
            }
            rec
        })
}

fn key(record: &Value, field: &str) -> Option<Option<String>> {
    match record.get(field) {
        None | Some(Value::Null) => Some(None),
        Some(Value::String(s)) => Some(Some(s.clone())),
        Some(_) => None,
    }
}

type Filter = Option<(String, bool, &'static str)>;

/// The generated rule and filter as one source: the text, the compiled set and the parse.
fn load(rule: &str, filter: &Filter) -> Result<(String, RuleSet, FileOutcome), TestCaseError> {
    let yaml = match filter {
        Some((f, _, _)) => format!("{rule}---\n{f}"),
        None => rule.to_owned(),
    };
    let set = RuleSet::from_sources(&[("g.yml".into(), yaml.clone())])
        .map_err(|e| TestCaseError::fail(format!("{e}\n{yaml}")))?;
    let outcome = parse::parse_source("g.yml", &yaml, &Placeholders::new());
    Ok((yaml, set, outcome))
}

/// The filters that apply: one applies when it names the rule and its logsource holds the
/// rule's.
fn applying<'a>(outcome: &'a FileOutcome, filter: &Filter, service: &str) -> Vec<&'a FilterAst> {
    match filter {
        Some((_, named, fs)) if *named && (fs.is_empty() || *fs == service) => {
            outcome.filters.iter().collect()
        }
        _ => Vec::new(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 768, ..ProptestConfig::default() })]

    #[test]
    fn compiled_evaluator_agrees_with_reference(
        (rule, service) in rule_yaml(),
        filter in prop::option::weighted(0.5, filter_yaml()),
        records in prop::collection::vec(record(), 1..6),
    ) {
        let (yaml, set, outcome) = load(&rule, &filter)?;
        prop_assert!(outcome.errors.is_empty());
        let ast = &outcome.rules[0];
        let applying = applying(&outcome, &filter, service);
        prop_assert_eq!(set.rules()[0].filters.len(), applying.len(), "filter applicability:\n{}", yaml);
        for rec in &records {
            let mut out = Vec::new();
            set.matches(rec, &mut out);
            let compiled = !out.is_empty();
            let direct = reference::filtered_matches(ast, &applying, rec);
            prop_assert_eq!(compiled, direct, "rule:\n{}\nrecord: {}", yaml, rec);
            if let (Some(src), Some(name)) = (key(rec, "eventSource"), key(rec, "eventName")) {
                if direct {
                    prop_assert!(set.may_match(src.as_deref(), name.as_deref()), "may_match said no:\n{}\n{}", yaml, rec);
                    if let Some(identity) = rec.pointer("/userIdentity/type").map(|t| t.as_str()) {
                        if let Some(identity) = identity {
                            prop_assert!(set.may_match_identity(src.as_deref(), name.as_deref(), Some(identity)), "identity index said no:\n{}\n{}", yaml, rec);
                        }
                    } else if rec.get("userIdentity").is_none_or(|u| u.is_object() || u.is_null()) {
                        prop_assert!(set.may_match_identity(src.as_deref(), name.as_deref(), None), "identity index said no:\n{}\n{}", yaml, rec);
                    }
                }
            }
        }
    }
}

fn roll(noise: &mut dyn Iterator<Item = u8>, n: u8) -> u8 {
    noise.next().unwrap_or(0) % n
}

/// Writes `v` as JSON text the way hostile or unusual producers might: escaped characters in
/// strings (and now and then in a key), whitespace, a decoy duplicate before a key (serde_json
/// keeps the last), unread members nested deep, and paths that run through arrays.
fn hostile_text(v: &Value, noise: &mut dyn Iterator<Item = u8>, depth: usize, out: &mut String) {
    match v {
        Value::String(s) => {
            out.push('"');
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    c if roll(noise, 4) == 0 => out.push_str(&format!("\\u{:04x}", c as u32)),
                    c => out.push(c),
                }
            }
            out.push('"');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                hostile_text(item, noise, depth + 1, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            let mut first = true;
            let mut sep = |out: &mut String, noise: &mut dyn Iterator<Item = u8>| {
                if !std::mem::take(&mut first) {
                    out.push_str(if roll(noise, 3) == 0 { " ,\n\t" } else { "," });
                }
            };
            for (k, item) in map {
                if roll(noise, 5) == 0 {
                    sep(out, noise);
                    out.push_str(&format!(
                        "\"{k}\":{{\"eventName\":\"decoy\",\"type\":[null]}}"
                    ));
                }
                if roll(noise, 6) == 0 {
                    sep(out, noise);
                    let deep = roll(noise, 20) as usize + 100;
                    out.push_str(&format!(
                        "\"zz{k}\":{}\"Root\"{}",
                        "[".repeat(deep),
                        "]".repeat(deep)
                    ));
                }
                sep(out, noise);
                if roll(noise, 20) == 0 && !k.is_empty() {
                    out.push_str(&format!("\"\\u{:04x}{}\" : ", k.as_bytes()[0], &k[1..]));
                } else {
                    out.push_str(&format!("\"{k}\" : "));
                }
                if depth < 3 && roll(noise, 8) == 0 {
                    // The same value one array deeper: a path now runs through an array.
                    out.push('[');
                    hostile_text(item, noise, depth + 1, out);
                    out.push(']');
                } else {
                    hostile_text(item, noise, depth + 1, out);
                }
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// The match stage reads records through a projection onto the rules' paths; on any text,
    /// what it finds equals the reference interpreter on serde_json's full parse of that text.
    #[test]
    fn projection_path_agrees_with_reference(
        (rule, service) in rule_yaml(),
        filter in prop::option::weighted(0.5, filter_yaml()),
        records in prop::collection::vec(counted_record(), 1..6),
        noise in prop::collection::vec(any::<u8>(), 64..512),
    ) {
        let (yaml, set, outcome) = load(&rule, &filter)?;
        let ast = &outcome.rules[0];
        let applying = applying(&outcome, &filter, service);
        let enricher = Enricher::default();
        let matcher = Matcher::enriched(&set, &enricher);
        let mut noise = noise.into_iter().cycle();
        for rec in &records {
            let mut text = String::new();
            hostile_text(rec, &mut noise, 0, &mut text);
            let parsed: Value = serde_json::from_str(&text)
                .map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
            // The reference reads the enrichment from the full record, as alerts carry it.
            let mut enriched = parsed.clone();
            enricher.add_to(&mut enriched);
            let direct = reference::filtered_matches(ast, &applying, &enriched);
            let mut hits = Vec::new();
            let checked = matcher.check(&text, &mut hits, &mut Observed::default());
            let projected = match checked {
                Checked::Matched(full) => {
                    prop_assert_eq!(&full, &parsed, "a match carries the full record");
                    true
                }
                Checked::NoMatch => false,
                Checked::Counted(_) => {
                    return Err(TestCaseError::fail("counted though the record was wanted"))
                }
                Checked::Unreadable { error, .. } => {
                    return Err(TestCaseError::fail(format!("unreadable: {error}: {text}")))
                }
            };
            prop_assert_eq!(projected, direct, "rule:\n{}\nrecord text: {}\npaths: {:?}", yaml, text, set.field_paths().dotted());
            // A match nobody needs built is glimpsed from the text: the same verdict, and the
            // same fields the parse would give.
            let glimpsed = match matcher.check_for(&text, &mut hits, &mut Observed::default(), |_| false) {
                Checked::Counted(g) => {
                    prop_assert_eq!(&g, &Glimpse::of(&parsed), "record text: {}", text);
                    prop_assert!(g.event_id.as_deref().is_some_and(|id| !id.is_empty()));
                    true
                }
                Checked::Matched(full) => {
                    prop_assert_eq!(&full, &parsed);
                    true
                }
                Checked::NoMatch => false,
                Checked::Unreadable { error, .. } => {
                    return Err(TestCaseError::fail(format!("unreadable: {error}: {text}")))
                }
            };
            prop_assert_eq!(glimpsed, direct, "record text: {}", text);
        }
    }
}
