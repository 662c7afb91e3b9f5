//! Criterion benches for the CPU stages: decode, match, render. `cargo bench --bench pipeline`.
//!
//! The end-to-end targets (against zcat, Python, rule counts, RSS, cold start) are in
//! `bench/run.sh`; these isolate one stage each, for profiling and quick before/after checks.

use std::io::Write;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use flate2::write::GzEncoder;
use trailwatch::alert::Alert;
use trailwatch::decode;
use trailwatch::matching::{Checked, Matcher, Observed};
use trailwatch::plan::{Form, Message};
use trailwatch::rules::RuleSet;
use trailwatch::ObjectRef;

/// Record shapes in a trail's proportions: S3 log delivery, KMS, a person, a rare write.
const S3: &str = r#"{"eventVersion":"1.09","userIdentity":{"type":"AWSService","invokedBy":"delivery.logs.amazonaws.com"},"eventTime":"2024-06-01T00:00:01Z","eventSource":"s3.amazonaws.com","eventName":"PutObject","awsRegion":"us-east-1","sourceIPAddress":"delivery.logs.amazonaws.com","userAgent":"delivery.logs.amazonaws.com","requestParameters":{"bucketName":"acme-central-logs","Host":"acme-central-logs.s3.us-east-1.amazonaws.com","x-amz-acl":"bucket-owner-full-control","key":"AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/06/01/123456789012_vpcflowlogs_us-east-1_ABCDEFGHIJKLMNOP.log.gz"},"responseElements":null,"additionalEventData":{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":5123.0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"QLcn/+4K2xnYRvUCgv1+btreKCfNOjmgtXABA0KvC2JWVPt+9EOwOj35LY3e4x1G6gd1mkSgMgE=","bytesTransferredOut":0.0},"requestID":"B510PK4BKYA5YD2R","eventID":"a013be3d-0c46-4f70-9509-b13fd3c45469","readOnly":false,"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::acme-central-logs/AWSLogs/x.log.gz"},{"accountId":"123456789012","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::acme-central-logs"}],"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"123456789012","eventCategory":"Data"}"#;
const KMS: &str = r#"{"eventVersion":"1.09","userIdentity":{"type":"AWSService","invokedBy":"cloudtrail.amazonaws.com"},"eventTime":"2024-06-01T00:00:02Z","eventSource":"kms.amazonaws.com","eventName":"GenerateDataKey","awsRegion":"us-east-1","sourceIPAddress":"cloudtrail.amazonaws.com","userAgent":"cloudtrail.amazonaws.com","requestParameters":{"keyId":"arn:aws:kms:us-east-1:123456789012:key/85b4ab0e-eee7-4450-adba-82137e39764c","encryptionContext":{"aws:cloudtrail:arn":"arn:aws:cloudtrail:us-east-1:123456789012:trail/org","aws:s3:arn":"arn:aws:s3:::acme-central-logs/AWSLogs/123456789012/CloudTrail/"},"keySpec":"AES_256"},"responseElements":null,"requestID":"e194944f-3b58-41ab-a4b6-a7825cea4de9","eventID":"f233e19d-efc0-4642-84f7-191891aa42f0","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012","eventCategory":"Management"}"#;
const USER: &str = r#"{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::123456789012:user/alice","accountId":"123456789012","accessKeyId":"AKIAEXAMPLE","userName":"alice"},"eventTime":"2024-06-01T00:00:03Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userAgent":"aws-cli/2.15.30 Python/3.11.8","requestParameters":{"maxResults":1000,"filterSet":{"items":[{"name":"tag:team","valueSet":{"items":[{"value":"a"}]}}]}},"responseElements":null,"requestID":"561cebcb-874f-4d87-b816-5fe830ff0985","eventID":"0a000e5f-dd58-4124-81a6-38c8a242931b","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012","eventCategory":"Management"}"#;
const RARE: &str = r#"{"eventVersion":"1.09","userIdentity":{"type":"Root","principalId":"123456789012","arn":"arn:aws:iam::123456789012:root","accountId":"123456789012"},"eventTime":"2024-06-01T00:00:04Z","eventSource":"lightsail.amazonaws.com","eventName":"RebootInstance","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.24","userAgent":"aws-cli/2.15.30","requestParameters":{"instanceName":"web-1"},"responseElements":null,"requestID":"1","eventID":"2","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012","eventCategory":"Management"}"#;

const RULES: &str = r#"
title: Lightsail Instance Rebooted With Root Credentials
id: 18fbf2c1-1924-41e9-99da-7b544349aa37
status: test
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventSource: lightsail.amazonaws.com
    eventName: RebootInstance
    userIdentity.type: Root
  condition: selection
level: high
"#;

fn delivery(records: usize) -> Vec<u8> {
    let mut text = String::from("{\"Records\":[");
    for i in 0..records {
        if i > 0 {
            text.push(',');
        }
        text.push_str(match i % 100 {
            0..=65 => S3,
            66..=80 => KMS,
            99 => RARE,
            _ => USER,
        });
    }
    text.push_str("]}");
    text.into_bytes()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn rules() -> RuleSet {
    RuleSet::from_sources(&[("bench.yml".into(), RULES.into())]).expect("bench rule compiles")
}

fn bench_decode(c: &mut Criterion) {
    let plain = delivery(20_000);
    let packed = gzip(&plain);
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Bytes(plain.len() as u64));
    g.sample_size(10);
    g.bench_function("plain", |b| {
        b.iter(|| {
            let mut n = 0u64;
            decode::records(&plain[..], |_| n += 1).unwrap();
            n
        })
    });
    g.bench_function("gzip", |b| {
        b.iter(|| {
            let mut n = 0u64;
            decode::records(&packed[..], |_| n += 1).unwrap();
            n
        })
    });
    g.finish();
}

fn bench_match(c: &mut Criterion) {
    let rules = rules();
    let matcher = Matcher::new(&rules);
    let records = [S3, KMS, USER, RARE];
    let mut g = c.benchmark_group("match");
    for (name, raw) in ["s3_skipped", "kms_skipped", "user_skipped", "rare_admitted"]
        .iter()
        .zip(&records)
    {
        g.bench_function(*name, |b| {
            let mut hits = Vec::new();
            let mut seen = Observed::default();
            b.iter(|| {
                matches!(
                    matcher.check(raw, &mut hits, &mut seen),
                    Checked::Matched(_)
                )
            })
        });
    }
    g.finish();
}

fn bench_render(c: &mut Criterion) {
    let rules = rules();
    let Some(rule) = rules.rules().first() else {
        return; // The rule engine loaded nothing: no alert to render.
    };
    let event: serde_json::Value = serde_json::from_str(RARE).unwrap();
    let source = ObjectRef::S3 {
        bucket: "trail".into(),
        key: "AWSLogs/123456789012/CloudTrail/us-east-1/x.json.gz".into(),
    };
    let mut g = c.benchmark_group("render");
    g.bench_function("alert_sns_message", |b| {
        b.iter(|| {
            let alert = Alert::new(rule, event.clone(), source.clone());
            Message::alert(&alert, Form::Sns).size()
        })
    });
    g.finish();
}

criterion_group!(benches, bench_decode, bench_match, bench_render);
criterion_main!(benches);
