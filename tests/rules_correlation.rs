//! Correlation rules as the loader reads them: references by id and name, chains written in
//! any order, `generate`, and one `file:line:col` error per mistake an author can make.
use trailwatch::rules::{CorrelationType, Input, RuleSet};

const BASE: &str = "title: Lightsail read
id: 11111111-1111-4111-8111-111111111111
name: ls_read
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    eventSource: lightsail.amazonaws.com
  condition: sel
level: low
";

fn load(corr: &str) -> Result<RuleSet, String> {
    let text = format!("{BASE}---\n{corr}");
    RuleSet::from_sources(&[("c.yml".into(), text)]).map_err(|e| e.to_string())
}

/// The error of loading `corr` after the base rule (10 lines, then `---`: `corr` starts on
/// line 11).
fn error(corr: &str) -> String {
    match load(corr) {
        Ok(_) => panic!("loaded:\n{corr}"),
        Err(e) => e,
    }
}

const EVENT_COUNT: &str = "title: burst
id: 22222222-2222-4222-8222-222222222222
correlation:
  type: event_count
  rules: [ls_read]
  group-by: [userIdentity.arn]
  timespan: 10m
  condition:
    gte: 5
";

#[test]
fn a_correlation_refers_to_rules_by_name_or_id_and_silences_them() {
    let set = load(EVENT_COUNT).unwrap();
    assert_eq!(set.correlations().len(), 1);
    let c = &set.correlations()[0];
    assert_eq!(c.kind, CorrelationType::EventCount);
    assert_eq!(c.inputs, vec![Input::Rule(0)]);
    assert_eq!(c.timespan.as_secs(), 600);
    // generate defaults to false: the rule alerts only through the correlation.
    assert!(!set.rules()[0].alerts);
    assert_eq!(
        c.level,
        trailwatch::rules::Level::Low,
        "level defaults to the rules' highest"
    );
    let by_id = EVENT_COUNT.replace("[ls_read]", "[11111111-1111-4111-8111-111111111111]")
        + "  generate: true\n";
    let set = load(&by_id).unwrap();
    assert!(
        set.rules()[0].alerts,
        "generate: true keeps the rule's own alerts"
    );
}

#[test]
fn a_chain_loads_written_outer_first() {
    let outer = "title: outer
id: 33333333-3333-4333-8333-333333333333
correlation:
  type: temporal_ordered
  rules: [inner, ls_read]
  group-by: [userIdentity.arn]
  timespan: 1h
---
";
    let inner = EVENT_COUNT.replace("title: burst", "title: burst\nname: inner");
    let set = load(&format!("{outer}{inner}")).unwrap();
    assert_eq!(set.correlations().len(), 2);
    let order: Vec<&str> = set
        .correlation_order()
        .iter()
        .map(|&i| set.correlations()[i].title.as_str())
        .collect();
    assert_eq!(order, vec!["burst", "outer"]);
    assert!(
        !set.correlations()[1].alerts,
        "the inner one feeds the outer one only"
    );
}

#[test]
fn an_unknown_rule_reference_points_at_the_entry() {
    let e = error(&EVENT_COUNT.replace("[ls_read]", "[ls_read, nope]"));
    assert!(e.contains("c.yml:15:20: unknown rule `nope`"), "{e}");
}

#[test]
fn a_cycle_is_an_error_naming_it() {
    let a = "title: a\nid: a\nname: a\ncorrelation:\n  type: temporal\n  rules: [b, ls_read]\n  timespan: 1h\n";
    let b = "title: b\nid: b\nname: b\ncorrelation:\n  type: temporal\n  rules: [a, ls_read]\n  timespan: 1h\n";
    let e = error(&format!("{a}---\n{b}"));
    assert!(e.contains("correlation cycle: `a` → `b` → `a`"), "{e}");
    assert!(e.contains("c.yml:16:11:"), "{e}");
}

#[test]
fn a_bad_timespan_points_at_it() {
    for bad in ["5 minutes", "10x", "0m", "m", "1.5h", "31d"] {
        let e = error(&EVENT_COUNT.replace("timespan: 10m", &format!("timespan: {bad}")));
        assert!(e.contains("c.yml:17:13:"), "{bad}: {e}");
        assert!(e.contains("timespan"), "{bad}: {e}");
    }
}

#[test]
fn a_value_count_without_a_field_is_an_error() {
    let e = error(&EVENT_COUNT.replace("event_count", "value_count"));
    assert!(
        e.contains("c.yml:19:5: missing `field` in `condition`"),
        "{e}"
    );
}

#[test]
fn an_alias_naming_an_unknown_rule_is_an_error() {
    let aliased = EVENT_COUNT.replace(
        "  group-by: [userIdentity.arn]\n",
        "  group-by: [who]\n  aliases:\n    who:\n      ls_read: userIdentity.arn\n      other_rule: userIdentity.principalId\n",
    );
    let e = error(&aliased);
    assert!(
        e.contains("c.yml:20:7: alias `who` names `other_rule`"),
        "{e}"
    );
    let ok = load(&aliased.replace("      other_rule: userIdentity.principalId\n", "")).unwrap();
    assert_eq!(
        ok.correlations()[0].group_paths,
        vec![vec!["userIdentity.arn".to_owned()]]
    );
}

#[test]
fn percentiles_and_medians_are_refused_as_unsupported() {
    for t in ["value_percentile", "value_median"] {
        let e = error(
            &EVENT_COUNT
                .replace("event_count", t)
                .replace("gte: 5", "field: x\n    lte: 1"),
        );
        assert!(
            e.contains(&format!(
                "c.yml:14:9: correlation type `{t}` is not supported"
            )),
            "{e}"
        );
    }
}

#[test]
fn a_condition_without_lower_bound_loads_with_a_warning() {
    let set = load(&EVENT_COUNT.replace("gte: 5", "lt: 5")).unwrap();
    assert!(set
        .warnings()
        .iter()
        .any(|w| w.message.contains("no lower bound")));
}

/// A chain whose inner records and outer record share one object: the outer correlation
/// fires once, not once for its own slice and once for the inner firings.
#[test]
fn a_chain_inside_one_object_fires_the_outer_correlation_once() {
    let text = "title: outer
id: 44444444-4444-4444-8444-444444444444
correlation:
  type: temporal_ordered
  rules: [inner, ls_write]
  group-by: [userIdentity.arn]
  timespan: 1h
tests:
  - name: inner burst then a write, one file
    base: {eventSource: lightsail.amazonaws.com, userIdentity: {arn: 'arn:aws:iam::1:user/a'}}
    records:
      - {eventName: GetInstances, eventTime: '2026-01-01T00:00:00Z', eventID: r1}
      - {eventName: GetInstances, eventTime: '2026-01-01T00:01:00Z', eventID: r2}
      - {eventName: DeleteInstance, eventTime: '2026-01-01T00:05:00Z', eventID: w1}
    expect:
      - {group: {userIdentity.arn: 'arn:aws:iam::1:user/a'}, count: 2}
---
title: Lightsail write
id: 55555555-5555-4555-8555-555555555555
name: ls_write
level: low
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    eventSource: lightsail.amazonaws.com
    eventName|startswith: Delete
  condition: sel
---
";
    let inner = EVENT_COUNT
        .replace("title: burst", "title: burst\nname: inner")
        .replace("gte: 5", "gte: 2");
    let set = load(&format!("{text}{inner}")).unwrap();
    let outer = set
        .correlations()
        .iter()
        .position(|c| c.title == "outer")
        .unwrap();
    let case = &set.correlations()[outer].tests()[0];
    let got = trailwatch::correlate::run_case(&set, outer, case);
    assert!(got.passed, "{:?}: {:?}", got.problem, got.got);
    assert_eq!(got.got.len(), 1, "{:?}", got.got);
}

/// A temporal_ordered correlation over (any read, GetInstanceAccessDetails), with the
/// documents in `order`: its one case must pass whichever rule loads first.
fn overlapping_inputs(
    reads_first: bool,
    same_second: bool,
) -> trailwatch::correlate::CorrelationCaseOutcome {
    let reads = "title: any read
id: 66666666-6666-4666-8666-666666666661
name: any_read
level: low
logsource: {product: aws, service: cloudtrail}
detection: {sel: {eventName|startswith: Get}, condition: sel}
---
";
    let details = "title: access details
id: 66666666-6666-4666-8666-666666666662
name: access_details
level: low
logsource: {product: aws, service: cloudtrail}
detection: {sel: {eventName: GetInstanceAccessDetails}, condition: sel}
---
";
    let second = if same_second { "00:00:00" } else { "00:01:00" };
    let corr = format!(
        "title: read then access details
id: 66666666-6666-4666-8666-666666666663
correlation: {{type: temporal_ordered, rules: [any_read, access_details], group-by: [userIdentity.arn], timespan: 10m}}
tests:
  - name: a read, then the access details (which is also a read)
    records:
      - {{eventName: GetInstances, eventTime: '2026-01-01T00:00:00Z', eventID: r1, userIdentity: {{arn: a}}}}
      - {{eventName: GetInstanceAccessDetails, eventTime: '2026-01-01T{second}Z', eventID: zz, userIdentity: {{arn: a}}}}
    expect: [{{group: {{userIdentity.arn: a}}, count: 2}}]
"
    );
    let text = if reads_first {
        format!("{reads}{details}{corr}")
    } else {
        format!("{details}{reads}{corr}")
    };
    let set = RuleSet::from_sources(&[("o.yml".into(), text)]).unwrap();
    let c = set.correlations().len() - 1;
    trailwatch::correlate::run_case(&set, c, &set.correlations()[c].tests()[0])
}

#[test]
fn a_record_matching_two_inputs_is_a_step_of_each_whatever_the_load_order() {
    for reads_first in [true, false] {
        let got = overlapping_inputs(reads_first, false);
        assert!(
            got.passed,
            "reads first: {reads_first}: {:?} {:?}",
            got.problem, got.got
        );
    }
}

#[test]
fn steps_in_the_same_second_count_in_the_order_the_rules_are_listed() {
    // `zz` sorts after `r1` by id hash or not: the listed order decides, not the eventID.
    for reads_first in [true, false] {
        let got = overlapping_inputs(reads_first, true);
        assert!(
            got.passed,
            "reads first: {reads_first}: {:?} {:?}",
            got.problem, got.got
        );
    }
}
