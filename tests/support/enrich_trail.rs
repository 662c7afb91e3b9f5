//! The trail the enrichment tests read: one role's Lightsail calls in three sessions, from
//! two networks (tests/fixtures/enrich-rules.yml alerts on one and groups all three).

use serde_json::{json, Value};

/// A Lightsail call by the role `deploy`, session `session`, from `ip`, at `time`.
pub fn record(id: &str, name: &str, ip: &str, session: &str, time: &str) -> Value {
    json!({"eventVersion": "1.09", "eventSource": "lightsail.amazonaws.com",
        "eventName": name, "eventID": id, "eventTime": time,
        "awsRegion": "eu-central-1", "recipientAccountId": "123456789012",
        "sourceIPAddress": ip,
        "userIdentity": {"type": "AssumedRole", "accountId": "123456789012",
            "arn": format!("arn:aws:sts::123456789012:assumed-role/deploy/{session}"),
            "sessionContext": {"sessionIssuer": {"type": "Role",
                "arn": "arn:aws:iam::123456789012:role/deploy"}}}})
}

/// The three calls, at `time`: a reboot from the Netherlands, a delete from Brazil, a read.
pub fn trail(time: &str) -> Value {
    json!({"Records": [
        record("e1", "RebootInstance", "203.0.113.7", "s-1", time),
        record("e2", "DeleteInstance", "198.51.100.9", "s-2", time),
        record("e3", "GetInstances", "203.0.113.7", "s-3", time),
    ]})
}
