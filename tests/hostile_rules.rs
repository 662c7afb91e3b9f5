//! Hostile rule files: each load limit refuses its file with a message naming the limit, alias
//! bombs are refused, and a pathological regex stays linear-time.

use std::time::Instant;

use trailwatch::rules::{RuleLimits, RuleSet};

fn rule(id: usize, detection: &str) -> String {
    format!(
        "title: Rule {id}\nid: 00000000-0000-4000-8000-{id:012}\nlevel: low\n\
         logsource: {{product: aws, service: cloudtrail}}\n\
         detection:\n{detection}\n  condition: selection\n"
    )
}

fn plain(id: usize) -> String {
    rule(id, "  selection:\n    eventName: X")
}

fn load(sources: Vec<(String, String)>, limits: &RuleLimits) -> Result<RuleSet, String> {
    RuleSet::builder()
        .limits(*limits)
        .sources(&sources)
        .build()
        .map_err(|e| e.to_string())
}

#[test]
fn a_rule_file_over_the_size_limit_is_refused_by_name() {
    let limits = RuleLimits {
        max_file_bytes: 64 * 1024,
        ..RuleLimits::default()
    };
    let padded = format!("{}description: {}\n", plain(1), "x".repeat(100 * 1024));
    let err = load(vec![("big.yml".into(), padded)], &limits).unwrap_err();
    assert!(
        err.contains("big.yml:1:1") && err.contains("65536 byte limit (MAX_RULE_FILE_BYTES)"),
        "{err}"
    );
    // The default admits ordinary rule files.
    assert!(load(vec![("ok.yml".into(), plain(1))], &RuleLimits::default()).is_ok());
}

#[test]
fn a_rule_file_on_disk_is_read_only_to_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.yml");
    std::fs::write(&path, format!("# {}\n{}", "x".repeat(4 << 20), plain(1))).unwrap();
    let err = RuleSet::load_paths(&[dir.path()]).unwrap_err().to_string();
    assert!(err.contains("MAX_RULE_FILE_BYTES"), "{err}");
}

#[test]
fn more_rules_than_the_limit_is_refused() {
    let limits = RuleLimits {
        max_rules: 50,
        ..RuleLimits::default()
    };
    let many: Vec<_> = (0..60).map(|i| (format!("r{i}.yml"), plain(i))).collect();
    let err = load(many.clone(), &limits).unwrap_err();
    assert!(err.contains("more than 50 rules (MAX_RULES)"), "{err}");
    // One file holding many documents counts each rule.
    let one = many
        .iter()
        .map(|(_, t)| t.as_str())
        .collect::<Vec<_>>()
        .join("---\n");
    let err = load(vec![("all.yml".into(), one)], &limits).unwrap_err();
    assert!(err.contains("MAX_RULES"), "{err}");
    assert_eq!(load(many[..50].to_vec(), &limits).unwrap().len(), 50);
}

#[test]
fn a_regex_over_the_compiled_size_limit_is_refused_at_its_position() {
    let huge = rule(1, "  selection:\n    userAgent|re: '(?:\\w{100}){100}'");
    let err = load(vec![("re.yml".into(), huge)], &RuleLimits::default()).unwrap_err();
    assert!(
        err.contains("re.yml:") && err.contains("bad regular expression"),
        "{err}"
    );
    // The same limit admits the regexes rules really use.
    let usual = rule(
        2,
        "  selection:\n    userAgent|re: '(?i)^aws-cli/[0-9.]+ .*$'",
    );
    assert!(load(vec![("ok.yml".into(), usual)], &RuleLimits::default()).is_ok());
}

#[test]
fn a_yaml_alias_bomb_is_refused() {
    // Nine levels of nine aliases each: 387 million nodes if expanded.
    let mut text = String::from(
        "title: lol\nid: x\nlevel: low\nl0: &l0 [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n",
    );
    for i in 1..10 {
        let refs = vec![format!("*l{}", i - 1); 9].join(",");
        text.push_str(&format!("l{i}: &l{i} [{refs}]\n"));
    }
    text.push_str("detection:\n  selection:\n    eventName: *l9\n  condition: selection\n");
    let started = Instant::now();
    let err = load(vec![("lol.yml".into(), text)], &RuleLimits::default()).unwrap_err();
    assert!(err.contains("lol.yml:"), "{err}");
    eprintln!("refused in {:?}: {err}", started.elapsed());
}

#[test]
fn a_pathological_regex_stays_linear_on_a_long_input() {
    // `(a+)+$` takes exponential time in backtracking engines on "aaaa...b"; the regex crate
    // is linear, so this completes (no timing threshold: the test finishing is the point).
    let text = rule(1, "  selection:\n    userAgent|re: '(a+)+$'");
    let rules = load(vec![("redos.yml".into(), text)], &RuleLimits::default()).unwrap();
    let record =
        serde_json::json!({"eventName": "X", "userAgent": format!("{}b", "a".repeat(100_000))});
    assert!(!rules.rules()[0].is_match(&record));
}
