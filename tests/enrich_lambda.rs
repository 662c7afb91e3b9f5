//! The enrich stage in the Lambda, against moto: a rule on `enrichment.source.country` alerts
//! and a correlation grouped by `enrichment.actor.name` fires once for one role's three
//! sessions, with the SNS alert carrying the enrichment next to the event; and a bad database
//! stops the cold start, naming the file.
#[path = "support/enrich_trail.rs"]
mod enrich_trail;
#[path = "support/mmdb.rs"]
#[allow(dead_code)]
mod mmdb;
mod support;

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{json, Value};
use support::{Aws, Moto, DEMO_BUCKET};
use trailwatch::config::Settings;
use trailwatch::handler::Handler;

fn data_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "trailwatch-enrich-lambda-{tag}-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn the_function_matches_groups_and_alerts_with_the_enrichment() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.sdk_config().await);
    let world = support::demo_world(&aws).await;
    // A minute ago: the function judges correlation windows on the wall clock.
    let time = chrono::Utc::now() - chrono::Duration::minutes(1);
    let trail = enrich_trail::trail(&time.format("%Y-%m-%dT%H:%M:%SZ").to_string());
    aws.put_object(DEMO_BUCKET, &world.key, trail.to_string().into_bytes())
        .await;

    let dir = data_dir("ok");
    let country = dir.join("country.mmdb");
    std::fs::write(
        &country,
        mmdb::country_db(&[("203.0.113.0/24", "NL"), ("198.51.100.0/24", "BR")]),
    )
    .unwrap();
    let accounts = dir.join("accounts.csv");
    std::fs::write(&accounts, "123456789012,prod-web\n").unwrap();
    let rules = trailwatch::config::local_rules(
        &[support::repo_path("tests/fixtures/enrich-rules.yml")],
        false,
    )
    .expect("the enrichment rules load");
    let mut settings = Settings::new(&world.topic_arn, Arc::new(rules));
    settings.enrich_sources.country_db = Some(country);
    settings.enrich_sources.accounts = Some(accounts);
    settings.enrich_sources.ip_ranges = Some(support::repo_path("tests/fixtures/ip-ranges.json"));
    settings
        .load_enrichment()
        .await
        .expect("the data files load");
    let handler = Handler::aws(&moto.sdk_config().await, settings);

    handler
        .handle(support::s3_put_event())
        .await
        .expect("handler succeeds");
    let alerts = aws.receive_json(&world.queue_url).await;
    let titled = |t: &str| -> Vec<&Value> {
        alerts
            .iter()
            .filter(|a| a["rule"]["title"] == t || a["correlation"]["rule"]["title"] == t)
            .collect()
    };
    let outside = titled("Lightsail write from outside the Netherlands");
    assert_eq!(outside.len(), 1, "{alerts:#?}");
    assert_eq!(outside[0]["event"]["eventID"], "e2");
    assert_eq!(outside[0]["enrichment"]["source"]["country"], "BR");
    assert_eq!(outside[0]["enrichment"]["account"]["name"], "prod-web");
    assert_eq!(
        outside[0]["enrichment"]["actor"]["name"],
        "arn:aws:iam::123456789012:role/deploy"
    );
    assert_eq!(
        titled("Three Lightsail calls by one role, whatever the session").len(),
        1,
        "{alerts:#?}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_bad_database_stops_the_cold_start_naming_the_file() {
    let dir = data_dir("bad");
    let bad = dir.join("truncated-country.mmdb");
    let good = mmdb::country_db(&[("203.0.113.0/24", "NL")]);
    std::fs::write(&bad, &good[..good.len() - 20]).unwrap();
    let mut settings = Settings::new("arn:aws:sns:us-east-1:123456789012:t", Arc::default());
    settings.enrich_sources.country_db = Some(bad);
    let err = settings.load_enrichment().await.unwrap_err().to_string();
    assert!(err.contains("truncated-country.mmdb"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// Data kept in S3 is downloaded at cold start and, once an object changes, re-read while
/// warm; a replacement that does not load leaves the working data in force.
#[tokio::test]
async fn s3_sources_load_at_cold_start_and_refresh_when_they_change() {
    use trailwatch::enrich::EnrichStore;
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    let aws = Aws::new(&sdk);
    aws.create_bucket("trailwatch-data").await;
    let put = |bytes: Vec<u8>| aws.put_object("trailwatch-data", "geo/country.mmdb", bytes);
    put(mmdb::country_db(&[("203.0.113.0/24", "NL")])).await;
    let mut settings = Settings::new("arn:aws:sns:us-east-1:123456789012:t", Arc::default());
    settings.enrich_sources.country_db = Some("s3://trailwatch-data/geo/country.mmdb".into());
    let s3 = aws_sdk_s3::Client::new(&sdk);
    settings
        .load_enrichment_with(Some(&s3))
        .await
        .expect("the database downloads and loads");
    let country = |e: &trailwatch::enrich::Enricher| {
        e.enrich(&json!({"sourceIPAddress": "203.0.113.7"}))["source"]["country"].clone()
    };
    assert_eq!(country(&settings.enricher), "NL");
    let store = EnrichStore::s3(
        (
            Arc::clone(&settings.enricher),
            settings.enrich_downloaded.clone(),
        ),
        s3,
        settings.enrich_sources.clone(),
        std::time::Duration::ZERO,
    );
    assert_eq!(country(&*store.current().await), "NL", "unchanged: kept");
    put(b"not a database".to_vec()).await;
    assert_eq!(
        country(&*store.current().await),
        "NL",
        "a bad replacement is refused"
    );
    put(mmdb::country_db(&[("203.0.113.0/24", "BE")])).await;
    assert_eq!(
        country(&*store.current().await),
        "BE",
        "a good one replaces it"
    );
}
