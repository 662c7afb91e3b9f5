//! Representative alerts for the render and plan tests (`alerts_render.rs`, `alerts_plan.rs`):
//! a root reboot with a summary template, a database password read, and an access-denied bucket
//! change, all from one S3 trail object.

use serde_json::{json, Value};
use trailwatch::alert::{Alert, RuleRef};
use trailwatch::fetch::ObjectRef;
use trailwatch::render::summary_template;
use trailwatch::rules::Level;

pub fn source() -> ObjectRef {
    ObjectRef::S3 {
        bucket: "org-trail".into(),
        key: "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/25/trail.json.gz".into(),
    }
}

pub fn rule(id: &str, title: &str, level: Level) -> RuleRef {
    RuleRef {
        id: id.into(),
        title: title.into(),
        level,
        tags: vec!["attack.impact".into(), "attack.t1529".into()],
        description: Some(format!("Detects: {title}.")),
        falsepositives: vec!["Planned maintenance by the account owner".into()],
        notify: vec![],
    }
}

pub fn alert(rule: RuleRef, event: Value, summary: Option<&str>) -> Alert {
    let summary = summary.map(|t| summary_template::render(t, &event));
    Alert {
        rule,
        event: event.into(),
        source: source(),
        summary,
        suppressed: None,
    }
}

pub fn root_reboot() -> Alert {
    alert(
        rule(
            "5f0c9a52-1d7e-4a55-9a51-6d3f0b7a7a01",
            "Root user rebooted a Lightsail instance",
            Level::High,
        ),
        json!({
            "eventVersion": "1.08",
            "userIdentity": {"type": "Root", "principalId": "123456789012",
                "arn": "arn:aws:iam::123456789012:root", "accountId": "123456789012",
                "accessKeyId": "ASIAEXAMPLEROOT00001",
                "sessionContext": {"attributes": {"creationDate": "2026-11-25T03:10:00Z",
                    "mfaAuthenticated": "false"}}},
            "eventTime": "2026-11-25T03:12:45Z",
            "eventSource": "lightsail.amazonaws.com",
            "eventName": "RebootInstance",
            "awsRegion": "eu-west-2",
            "sourceIPAddress": "203.0.113.7",
            "userAgent": "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64",
            "requestParameters": {"instanceName": "web-1"},
            "responseElements": null,
            "eventID": "b0070000-0000-4000-8000-000000000007",
            "readOnly": false,
            "eventType": "AwsApiCall",
            "recipientAccountId": "123456789012"
        }),
        Some("{userIdentity.arn} rebooted {requestParameters.instanceName}"),
    )
}

pub fn database_password() -> Alert {
    alert(
        rule(
            "8a1e2f33-7b6c-4d2e-9f10-0c1d2e3f4a02",
            "Lightsail database master password read",
            Level::Critical,
        ),
        json!({
            "userIdentity": {"type": "AssumedRole",
                "arn": "arn:aws:sts::123456789012:assumed-role/Admin/alice",
                "accountId": "123456789012", "accessKeyId": "ASIAEXAMPLEALICE0002",
                "sessionContext": {"attributes": {"mfaAuthenticated": "true"}}},
            "eventTime": "2026-11-25T03:20:01Z",
            "eventSource": "lightsail.amazonaws.com",
            "eventName": "GetRelationalDatabaseMasterUserPassword",
            "awsRegion": "us-east-1",
            "sourceIPAddress": "198.51.100.23",
            "userAgent": "Mozilla/5.0 (Macintosh) console.lightsail.aws",
            "requestParameters": {"relationalDatabaseName": "orders-db", "passwordVersion": "CURRENT"},
            "eventID": "c1a00000-0000-4000-8000-000000000042",
            "recipientAccountId": "123456789012"
        }),
        None,
    )
}

pub fn bucket_access_denied() -> Alert {
    alert(
        rule(
            "0d9e8f7a-6b5c-4d3e-8f2a-1b0c9d8e7f03",
            "Lightsail bucket made public",
            Level::Medium,
        ),
        json!({
            "userIdentity": {"type": "IAMUser",
                "arn": "arn:aws:iam::123456789012:user/deploy",
                "userName": "deploy", "accountId": "123456789012",
                "accessKeyId": "AKIAEXAMPLEDEPLOY003"},
            "eventTime": "2026-11-25T03:31:59Z",
            "eventSource": "lightsail.amazonaws.com",
            "eventName": "UpdateBucket",
            "awsRegion": "ap-southeast-2",
            "sourceIPAddress": "192.0.2.99",
            "userAgent": "Boto3/1.34.0 Python/3.12.0",
            "errorCode": "AccessDeniedException",
            "errorMessage": "User is not authorized to perform lightsail:UpdateBucket",
            "requestParameters": {"bucketName": "media-assets",
                "accessRules": {"getObject": "public", "allowPublicOverrides": true}},
            "eventID": "d2b00000-0000-4000-8000-000000000099",
            "recipientAccountId": "123456789012"
        }),
        None,
    )
}
