//! Hand-edited rule YAML becomes a rule set or errors with positions, never a panic; whatever
//! compiles is then evaluated against a few records.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trailwatch::rules::RuleSet;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let sources = [("rule.yml".to_string(), text.to_string())];
    let rules = match RuleSet::from_sources(&sources) {
        Ok(rules) => rules,
        Err(errors) => {
            for e in &errors.0 {
                assert!(e.line >= 1 && e.col >= 1, "position is 1-based: {e}");
            }
            return;
        }
    };
    let records = [
        serde_json::json!({"eventSource": "lightsail.amazonaws.com", "eventName": "RebootInstance",
            "sourceIPAddress": "10.0.0.1", "userIdentity": {"type": "Root", "arn": "arn:aws:iam::1:root"},
            "requestParameters": {"a": [1, "x", null, true]}}),
        serde_json::json!({"eventName": null, "n": 3.5, "s": "\u{0}\u{ffff}"}),
        serde_json::json!([]),
    ];
    let mut hits = Vec::new();
    for record in &records {
        hits.clear();
        rules.matches(record, &mut hits);
        for rule in rules.rules() {
            let _ = rule.is_match(record);
            let _ = rule.explain(record);
            let _ = rule.run_tests();
        }
    }
});
