use serde_json::{json, Value};

use super::*;
use crate::plan::{Form, Kind, Routes, BATCH_BYTES, BATCH_ENTRIES};
use crate::rules::RuleSet;

fn rules() -> RuleSet {
    let rule = |id: &str, name: &str, level: &str, notify: &str| {
        format!(
            "title: {name} rule\nid: 00000000-0000-4000-8000-00000000000{id}\nlevel: {level}\n{notify}\
             logsource: {{product: aws, service: cloudtrail}}\n\
             detection:\n  sel:\n    eventName: {name}\n  condition: sel\n"
        )
    };
    RuleSet::from_sources(&[
        ("a.yml".into(), rule("1", "Storm", "high", "")),
        (
            "b.yml".into(),
            rule("2", "Calm", "low", "notify: [pager]\n"),
        ),
    ])
    .unwrap_or_else(|e| panic!("{e}"))
}

fn event(name: &str, i: usize) -> std::sync::Arc<Value> {
    std::sync::Arc::new(
        json!({"eventName": name, "eventID": format!("ev-{name}-{i:03}"),
           "eventTime": format!("2026-11-25T03:{:02}:{:02}Z", i / 60, i % 60),
           "sourceIPAddress": format!("10.0.0.{}", i % 3), "awsRegion": "us-east-1",
           "userIdentity": {"arn": format!("arn:aws:iam::123456789012:user/u{}", i % 2)}}),
    )
}

fn source() -> ObjectRef {
    ObjectRef::S3 {
        bucket: "b".into(),
        key: "k.json.gz".into(),
    }
}

fn settings() -> PlanSettings {
    PlanSettings {
        routes: Routes::from_vars("arn:default", [("TOPIC_PAGER".into(), "arn:pager".into())]),
        ..PlanSettings::default()
    }
}

/// Feeds 100 Storm matches, a repeat, and 3 Calm ones; returns every batch and the stats.
fn plan(settings: &PlanSettings) -> (Vec<Batch>, PlanStats, usize) {
    let rules = rules();
    let (storm, calm) = (&rules.rules()[0], &rules.rules()[1]);
    let mut planner = Planner::new(settings, source());
    let mut out = Vec::new();
    for i in 0..100 {
        planner.add(storm, &event("Storm", i), &mut out);
    }
    planner.add(storm, &event("Storm", 0), &mut out);
    for i in 0..3 {
        planner.add(calm, &event("Calm", i), &mut out);
    }
    let before_finish = out.len();
    let stats = planner.finish(&mut out).stats;
    (out, stats, before_finish)
}

fn messages(batches: &[Batch]) -> Vec<&Message> {
    batches.iter().flat_map(|b| &b.messages).collect()
}

#[test]
fn storm_control_sends_the_first_alerts_then_one_digest_that_counts_the_rest() {
    let (batches, stats, _) = plan(&settings());
    assert_eq!(stats.duplicates, 1);
    assert_eq!((stats.alerts, stats.digests), (23, 1));
    let storm = &stats.rules["00000000-0000-4000-8000-000000000001"];
    assert_eq!(
        (storm.matches, storm.alerted, storm.digested),
        (100, 20, 80)
    );
    let all = messages(&batches);
    let digest = all.iter().find(|m| m.kind == Kind::Digest).expect("digest");
    let doc: Value = serde_json::from_str(&digest.body).unwrap();
    let json: Value = serde_json::from_str(doc["sqs"].as_str().unwrap()).unwrap();
    let d = &json["digest"];
    assert_eq!(
        (d["matches"].as_u64(), d["count"].as_u64()),
        (Some(100), Some(80))
    );
    assert_eq!(d["first_event_time"], "2026-11-25T03:00:20Z");
    assert_eq!(d["last_event_time"], "2026-11-25T03:01:39Z");
    assert_eq!(d["principals"]["items"][0]["count"], 40);
    assert_eq!(d["source_ips"]["items"].as_array().map(Vec::len), Some(3));
    assert_eq!(d["event_ids"]["items"].as_array().map(Vec::len), Some(50));
    assert_eq!(d["event_ids"]["omitted"], 30);
    assert_eq!(d["event_ids"]["items"][0], "ev-Storm-020");
}

#[test]
fn batches_respect_sns_limits_and_leave_before_the_object_ends() {
    let (batches, _, before_finish) = plan(&settings());
    assert!(
        before_finish >= 2,
        "full batches left early: {before_finish}"
    );
    for b in &batches {
        assert!(b.messages.len() <= BATCH_ENTRIES);
        assert!(b.size() <= BATCH_BYTES);
    }
    let pager: Vec<_> = batches.iter().filter(|b| b.topic == "arn:pager").collect();
    assert_eq!(pager.iter().map(|b| b.messages.len()).sum::<usize>(), 3);
    assert!(pager
        .iter()
        .flat_map(|b| &b.messages)
        .all(|m| m.rule_id.ends_with('2')));
}

#[test]
fn every_match_turns_storm_control_off_and_min_level_filters() {
    let every = PlanSettings {
        every_match: true,
        form: Form::Json,
        ..settings()
    };
    let (batches, stats, _) = plan(&every);
    assert_eq!((stats.alerts, stats.digests), (103, 0));
    let first: Value = serde_json::from_str(&messages(&batches)[0].body).unwrap();
    assert_eq!(first["event"]["eventID"], "ev-Storm-000");

    let high = PlanSettings {
        min_level: Some(Level::High),
        ..every
    };
    let (_, stats, _) = plan(&high);
    assert_eq!((stats.alerts, stats.below_min_level), (100, 3));
}

#[test]
fn repeats_past_the_dedup_cap_are_counted_as_new() {
    let rules = rules();
    let settings = PlanSettings {
        every_match: true,
        ..settings()
    };
    let mut planner = Planner::new(&settings, source());
    planner.seen.extend(0..DEDUP_MAX as u64);
    let mut out = Vec::new();
    planner.add(&rules.rules()[0], &event("Storm", 1), &mut out);
    planner.add(&rules.rules()[0], &event("Storm", 1), &mut out);
    let stats = planner.finish(&mut out).stats;
    assert!(stats.dedup_saturated);
    assert_eq!((stats.alerts, stats.duplicates), (2, 0));
}

/// A digest names its accounts as the accounts file does, in its JSON and the email text, and
/// counts principals by actor: one role, whatever its sessions.
#[test]
fn digests_name_accounts_and_count_roles_not_sessions() {
    let dir = std::env::temp_dir().join(format!("trailwatch-digest-names-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let accounts = dir.join("accounts.csv");
    std::fs::write(&accounts, "123456789012,prod-web\n").unwrap();
    let enricher = crate::enrich::Enricher::load(&crate::enrich::EnrichSources {
        accounts: Some(accounts),
        ..Default::default()
    })
    .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let rules = rules();
    let storm = &rules.rules()[0];
    let settings = settings();
    let mut planner = Planner::new(&settings, source()).enriched_by(&enricher);
    let mut out = Vec::new();
    for i in 0..30 {
        let event = json!({"eventName": "Storm", "eventID": format!("r-{i}"),
            "recipientAccountId": "123456789012",
            "userIdentity": {"type": "AssumedRole",
                "arn": format!("arn:aws:sts::123456789012:assumed-role/deploy/s-{i}")}});
        planner.add(storm, &std::sync::Arc::new(event), &mut out);
    }
    planner.finish(&mut out);
    let all = messages(&out);
    let digest = all.iter().find(|m| m.kind == Kind::Digest).expect("digest");
    let doc: Value = serde_json::from_str(&digest.body).unwrap();
    let email = doc["default"].as_str().unwrap();
    assert!(
        email.contains("Accounts:      prod-web (123456789012)"),
        "{email}"
    );
    let json: Value = serde_json::from_str(doc["sqs"].as_str().unwrap()).unwrap();
    assert_eq!(
        json["digest"]["account_names"][0],
        "prod-web (123456789012)"
    );
    assert_eq!(json["digest"]["account_ids"][0], "123456789012");
    let principals = &json["digest"]["principals"]["items"];
    assert_eq!(
        (&principals[0]["value"], principals.as_array().map(Vec::len)),
        (&json!("arn:aws:iam::123456789012:role/deploy"), Some(1)),
        "ten sessions of one role, one principal"
    );
}
