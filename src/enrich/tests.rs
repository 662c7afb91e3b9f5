use std::path::PathBuf;

use serde_json::json;

use std::path::Path;

use super::*;
use crate::rules::{Doc, Node};

#[path = "../../tests/support/mmdb.rs"]
#[allow(dead_code)]
mod mmdb;

fn file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trailwatch-enrich-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn sources(dir: &Path) -> EnrichSources {
    EnrichSources {
        accounts: Some(file(dir, "accounts.csv", b"123456789012,prod-web\n444455556666,partner\n")),
        ip_ranges: Some(file(
            dir,
            "ip-ranges.json",
            br#"{"prefixes":[{"ip_prefix":"3.5.140.0/22","region":"ap-northeast-2","service":"S3"}]}"#,
        )),
        asn_db: Some(file(
            dir,
            "asn.mmdb",
            &mmdb::asn_db(&[("203.0.113.0/24", 64500, "ExampleNet"), ("3.5.140.0/22", 16509, "AMAZON-02")]),
        )),
        country_db: Some(file(
            dir,
            "country.mmdb",
            &mmdb::country_db(&[("203.0.113.0/24", "NL"), ("3.5.140.0/22", "KR")]),
        )),
    }
}

#[test]
fn every_source_fills_its_fields() {
    let d = dir("all");
    let e = Enricher::load(&sources(&d)).unwrap();
    let record = json!({
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::444455556666:user/alice",
            "accountId": "444455556666"},
        "sourceIPAddress": "203.0.113.7",
        "recipientAccountId": "123456789012"
    });
    assert_eq!(
        e.enrich(&record),
        json!({
            "actor": {"name": "arn:aws:iam::444455556666:user/alice", "kind": "iam-user",
                "account_name": "partner"},
            "account": {"name": "prod-web"},
            "source": {"kind": "public", "asn": 64500, "as_org": "ExampleNet", "country": "NL"}
        })
    );
    let aws = e.enrich(&json!({"sourceIPAddress": "3.5.141.9"}));
    assert_eq!(
        aws["source"],
        json!({"kind": "aws", "aws_service": "S3", "aws_region": "ap-northeast-2",
            "asn": 16509, "as_org": "AMAZON-02", "country": "KR"})
    );
    std::fs::remove_dir_all(d).unwrap();
}

#[test]
fn without_sources_only_the_actor_and_the_kind_of_source_are_known() {
    let e = Enricher::default();
    let kind = |ip: &str| e.enrich(&json!({"sourceIPAddress": ip}))["source"]["kind"].clone();
    assert_eq!(kind("lightsail.amazonaws.com"), "aws-service");
    assert_eq!(kind("AWS Internal"), "aws-service");
    assert_eq!(kind("10.1.2.3"), "private");
    assert_eq!(kind("100.64.0.9"), "private");
    assert_eq!(kind("fd00::1"), "private");
    assert_eq!(kind("203.0.113.7"), "public");
    let got =
        e.enrich(&json!({"sourceIPAddress": "203.0.113.7", "recipientAccountId": "123456789012"}));
    assert!(got.get("account").is_none(), "no accounts file: no name");
    assert!(got["source"].get("country").is_none());
}

#[test]
fn a_bad_file_is_named_with_what_is_wrong() {
    let d = dir("bad");
    let good = mmdb::country_db(&[("203.0.113.0/24", "NL")]);
    let cases = [
        (
            EnrichSources {
                country_db: Some(file(&d, "truncated.mmdb", &good[..good.len() / 2])),
                ..Default::default()
            },
            "truncated.mmdb",
        ),
        (
            EnrichSources {
                asn_db: Some(file(&d, "country-as-asn.mmdb", &good)),
                ..Default::default()
            },
            "ASN database",
        ),
        (
            EnrichSources {
                accounts: Some(d.join("missing.csv")),
                ..Default::default()
            },
            "missing.csv",
        ),
    ];
    for (sources, expect) in cases {
        let err = Enricher::load(&sources).unwrap_err().to_string();
        assert!(err.contains(expect), "{err}");
    }
    std::fs::remove_dir_all(d).unwrap();
}

#[test]
fn rules_read_the_enrichment_and_the_record_alike() {
    let d = dir("doc");
    let e = Enricher::load(&sources(&d)).unwrap();
    let record = json!({"eventName": "X", "sourceIPAddress": "203.0.113.7",
        "userIdentity": {"type": "Root", "arn": "arn:aws:iam::123456789012:root"}});
    let doc = Enriched::new(&record, &e, Wanted::ALL);
    assert!(matches!(
        doc.at(&["enrichment", "source", "country"]),
        Some(Node::Str("NL"))
    ));
    assert!(matches!(doc.at(&["eventName"]), Some(Node::Str("X"))));
    let mut kinds = Vec::new();
    doc.any_leaf(
        &["enrichment".into(), "actor".into(), "kind".into()],
        &mut |l| {
            kinds.extend(l.as_str().map(str::to_string));
            false
        },
    );
    assert_eq!(kinds, ["root"]);
    let mut added = record.clone();
    e.add_to(&mut added);
    assert_eq!(added["enrichment"], e.enrich(&record));
    std::fs::remove_dir_all(d).unwrap();
}

#[test]
fn only_the_parts_the_rules_read_are_made() {
    let d = dir("parts");
    let e = Enricher::load(&sources(&d)).unwrap();
    let record = json!({"sourceIPAddress": "203.0.113.7", "recipientAccountId": "123456789012",
        "userIdentity": {"type": "Root", "arn": "arn:aws:iam::123456789012:root"}});
    let paths = crate::rules::FieldPaths::from_paths(&[
        vec!["enrichment", "source", "country"],
        vec!["enrichment", "actor", "kind"],
    ]);
    let node = paths.root().child(b"enrichment").unwrap();
    let wanted = Wanted::of(node);
    assert_eq!(
        wanted,
        Wanted {
            actor: true,
            account: false,
            ranges: false,
            asn: false,
            country: true
        }
    );
    let got = e.enrich_parts(&record, wanted);
    assert_eq!(
        got["source"],
        json!({"kind": "public", "country": "NL"}),
        "no ASN lookup"
    );
    assert!(got.get("account").is_none());
    assert_eq!(got["actor"]["kind"], "root");
    std::fs::remove_dir_all(d).unwrap();
}
