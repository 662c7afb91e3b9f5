//! `template.yaml` against the code and the operator docs:
//! - every environment variable the code reads is set on the function, or listed (with its
//!   default) in docs/operations.md, and every variable the template sets is listed there too;
//! - no policy statement grants S3, SNS or DynamoDB actions on `Resource: "*"` (or every
//!   bucket), and the function's DynamoDB statement names the state table.
//!
//! The variable list is read from the source tree, so a new setting fails here until it is
//! wired into the template or documented as deliberately defaulted.
//!
//! serde-saphyr drops tags it does not know, so CloudFormation short forms parse as their
//! payload: `!Ref X` reads as `"X"`, `!If [c, a, b]` as `["c", a, b]`. That is all these checks
//! need: names of variables, and the literal strings a Resource can hold.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use regex::Regex;
use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn read(rel: &str) -> String {
    let path = Path::new(ROOT).join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn parse_template(text: &str) -> Value {
    serde_saphyr::from_str(text).expect("template.yaml parses as YAML")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Names passed as a literal to anything called like `var("X")`, `env::var("X")`,
/// `std::env::var_os("X")` or a helper whose name contains `var`/`env` (`env_u64("X")`).
fn env_vars_read(sources: &[(String, String)]) -> BTreeSet<String> {
    let call = Regex::new(r#"\b[A-Za-z_:]*(?:var|env)[A-Za-z_0-9]*\(\s*"([A-Z][A-Z0-9_]*)""#)
        .expect("regex");
    let mut names = BTreeSet::new();
    for (_, text) in sources {
        for cap in call.captures_iter(text) {
            names.insert(cap[1].to_string());
        }
    }
    // Routing reads every `TOPIC_*` variable (src/publish/routing.rs): one documented pattern.
    if sources.iter().any(|(_, t)| t.contains(r#""TOPIC_""#)) {
        names.insert("TOPIC_<ALIAS>".to_string());
    }
    names
}

fn lambda_sources() -> Vec<(String, String)> {
    let mut files = Vec::new();
    rust_files(&Path::new(ROOT).join("src"), &mut files);
    files
        .into_iter()
        // The CLI's own flags are not the function's environment.
        .filter(|p| !p.starts_with(Path::new(ROOT).join("src/bin/trailwatch")))
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("source file");
            (p.display().to_string(), text)
        })
        .collect()
}

/// The function's `Environment.Variables` (plus `Globals.Function`'s).
fn template_env(template: &Value) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut add = |props: &Value| {
        if let Some(vars) = props
            .pointer("/Environment/Variables")
            .and_then(Value::as_object)
        {
            names.extend(vars.keys().cloned());
        }
    };
    if let Some(globals) = template.pointer("/Globals/Function") {
        add(globals);
    }
    let resources = template["Resources"].as_object().expect("Resources");
    for resource in resources.values() {
        let ty = resource["Type"].as_str().unwrap_or_default();
        if ty == "AWS::Serverless::Function" || ty == "AWS::Lambda::Function" {
            add(&resource["Properties"]);
        }
    }
    names
}

/// First-column names of the environment table in docs/operations.md: rows like
/// "| `NAME` | default | meaning |".
fn documented_vars(doc: &str) -> BTreeSet<String> {
    let row = Regex::new(r"(?m)^\|\s*`([A-Z][A-Z0-9_<>]*)`\s*\|").expect("regex");
    row.captures_iter(doc).map(|c| c[1].to_string()).collect()
}

/// Problems with environment variables: read but neither set nor documented, or set but
/// not documented.
fn env_problems(
    read_by_code: &BTreeSet<String>,
    set: &BTreeSet<String>,
    documented: &BTreeSet<String>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for name in read_by_code {
        if !set.contains(name) && !documented.contains(name) {
            problems.push(format!(
                "{name} is read by the code but neither set in template.yaml nor listed in docs/operations.md"
            ));
        }
    }
    for name in set {
        if !documented.contains(name) {
            problems.push(format!(
                "{name} is set in template.yaml but not listed in docs/operations.md"
            ));
        }
    }
    problems
}

fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
        Value::Object(map) => map.values().for_each(|i| strings(i, out)),
        _ => {}
    }
}

fn statements<'a>(v: &'a Value, path: &str, out: &mut Vec<(String, &'a Value)>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let here = format!("{path}/{k}");
                if k == "Statement" {
                    match child {
                        Value::Array(items) => {
                            for (i, s) in items.iter().enumerate() {
                                out.push((format!("{here}/{i}"), s));
                            }
                        }
                        other => out.push((here.clone(), other)),
                    }
                } else {
                    statements(child, &here, out);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                statements(child, &format!("{path}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Statements anywhere in the template (roles, bucket, queue and key policies) that allow or
/// deny S3, SNS or DynamoDB actions on `*` or on every bucket.
fn wildcard_problems(template: &Value) -> Vec<String> {
    let mut found = Vec::new();
    statements(template, "", &mut found);
    let mut problems = Vec::new();
    for (path, statement) in found {
        let mut actions = Vec::new();
        strings(&statement["Action"], &mut actions);
        let s3_or_sns = actions.iter().any(|a| {
            let a = a.to_ascii_lowercase();
            a == "*"
                || ["s3:", "sns:", "dynamodb:"]
                    .iter()
                    .any(|p| a.starts_with(p))
        });
        if !s3_or_sns {
            continue;
        }
        let mut resources = Vec::new();
        strings(&statement["Resource"], &mut resources);
        if statement.get("Resource").is_none() {
            problems.push(format!(
                "{path}: S3/SNS/DynamoDB statement without a Resource"
            ));
        }
        for r in resources {
            let all_buckets = r.contains(":s3:::*");
            if r.trim() == "*" || all_buckets {
                problems.push(format!(
                    "{path}: {actions:?} on Resource {r:?}: name the bucket, prefix or topic"
                ));
            }
        }
    }
    problems
}

#[test]
fn every_env_var_the_code_reads_is_set_or_documented() {
    let template = parse_template(&read("template.yaml"));
    let read_by_code = env_vars_read(&lambda_sources());
    // Sanity: the scan sees the settings we know about.
    for known in [
        "ALERT_TOPIC_ARN",
        "RULES_S3_URI",
        "RUST_LOG",
        "TOPIC_<ALIAS>",
    ] {
        assert!(
            read_by_code.contains(known),
            "scan missed {known}: {read_by_code:?}"
        );
    }
    let set = template_env(&template);
    assert!(
        set.contains("ALERT_TOPIC_ARN"),
        "function environment: {set:?}"
    );
    let documented = documented_vars(&read("docs/operations.md"));
    let problems = env_problems(&read_by_code, &set, &documented);
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn no_s3_or_sns_statement_has_a_wildcard_resource() {
    let template = parse_template(&read("template.yaml"));
    let problems = wildcard_problems(&template);
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
    // The checks did look at the function's role.
    let mut found = Vec::new();
    statements(&template, "", &mut found);
    assert!(
        found.iter().any(|(_, s)| s["Sid"] == "PublishAlerts"),
        "the function role's statements were not found"
    );
}

/// The function role's DynamoDB statements: (actions, resources).
fn dynamodb_grants(template: &Value) -> Vec<(Vec<String>, Vec<String>)> {
    let role = &template["Resources"]["FunctionRole"];
    let mut found = Vec::new();
    statements(role, "", &mut found);
    found
        .into_iter()
        .filter_map(|(_, s)| {
            let mut actions = Vec::new();
            strings(&s["Action"], &mut actions);
            if !actions.iter().any(|a| a.starts_with("dynamodb:")) {
                return None;
            }
            let mut resources = Vec::new();
            strings(&s["Resource"], &mut resources);
            Some((actions, resources))
        })
        .collect()
}

#[test]
fn the_role_grants_the_state_table_by_its_arn_not_a_wildcard() {
    let template = parse_template(&read("template.yaml"));
    assert_eq!(
        template["Resources"]["StateTable"]["Type"], "AWS::DynamoDB::Table",
        "the state table resource"
    );
    let grants = dynamodb_grants(&template);
    assert_eq!(grants.len(), 1, "{grants:?}");
    let (actions, resources) = &grants[0];
    // `!GetAtt StateTable.Arn` parses as its payload.
    assert_eq!(resources, &["StateTable.Arn"], "{grants:?}");
    // Only the calls src/state/dynamodb.rs (and its submodules) make.
    let mut files = Vec::new();
    rust_files(&Path::new(ROOT).join("src/state/dynamodb"), &mut files);
    let mut state_code = read("src/state/dynamodb.rs");
    for f in files {
        state_code.push_str(&std::fs::read_to_string(f).expect("source file"));
    }
    for action in actions {
        let call = action.trim_start_matches("dynamodb:");
        let snake: String = call
            .chars()
            .enumerate()
            .flat_map(|(i, c)| {
                let sep = (i > 0 && c.is_ascii_uppercase()).then_some('_');
                sep.into_iter()
                    .chain(std::iter::once(c.to_ascii_lowercase()))
            })
            .collect();
        assert!(
            state_code.contains(&format!(".{snake}()")),
            "{action} is granted but src/state/dynamodb.rs never calls {snake}"
        );
    }
    assert!(!resources.iter().any(|r| r.trim() == "*"));
}

#[test]
fn short_form_tags_parse_as_their_payload() {
    let v = parse_template("A: !Ref Topic\nB: !If [Cond, !Sub \"x-${Y}\", !Ref AWS::NoValue]\n");
    assert_eq!(v["A"], "Topic");
    assert_eq!(v["B"][0], "Cond");
    assert_eq!(v["B"][1], "x-${Y}");
}

// The checks themselves fail on what they exist to catch.

const BAD_TEMPLATE: &str = r#"
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          ALERT_TOPIC_ARN: !Ref Topic
  Role:
    Type: AWS::IAM::Role
    Properties:
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: [s3:GetObject]
                Resource: "*"
              - Effect: Allow
                Action: sns:Publish
                Resource: !If [C, "*", !Ref Topic]
              - Effect: Allow
                Action: s3:ListBucket
                Resource: !Sub "arn:${AWS::Partition}:s3:::*"
              - Effect: Allow
                Action: kms:Decrypt
                Resource: "*"
"#;

#[test]
fn wildcard_s3_and_sns_resources_are_reported() {
    let problems = wildcard_problems(&parse_template(BAD_TEMPLATE));
    assert_eq!(problems.len(), 3, "{problems:#?}");
    assert!(problems[0].contains("s3:GetObject"));
    assert!(problems[1].contains("sns:Publish"));
    assert!(problems[2].contains("s3:ListBucket"));
}

#[test]
fn an_env_var_neither_set_nor_documented_is_reported() {
    let sources = vec![(
        "src/limits.rs".to_string(),
        r#"let a = std::env::var("ALERT_TOPIC_ARN"); let b = env_u64("MAX_DECOMPRESSED_BYTES");"#
            .to_string(),
    )];
    let read_by_code = env_vars_read(&sources);
    let set = template_env(&parse_template(BAD_TEMPLATE));
    let documented = documented_vars("| `ALERT_TOPIC_ARN` | required | topic |\n");
    let problems = env_problems(&read_by_code, &set, &documented);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(problems[0].starts_with("MAX_DECOMPRESSED_BYTES is read by the code"));
    // Documented as deliberately defaulted: fine.
    let documented = documented_vars(
        "| `ALERT_TOPIC_ARN` | required | topic |\n| `MAX_DECOMPRESSED_BYTES` | 4 GiB | cap |\n",
    );
    assert!(env_problems(&read_by_code, &set, &documented).is_empty());
}
