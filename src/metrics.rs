//! CloudWatch Embedded Metric Format: one JSON line per invocation becomes metrics, with no API
//! call and no extra permission.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::pipeline::Summary;

/// The CloudWatch namespace of every metric.
pub const NAMESPACE: &str = "trailwatch";

/// The EMF document for one invocation.
pub fn emf(summary: &Summary, function: &str, now: DateTime<Utc>) -> Value {
    // From eventTime to delivery for the alerts delivered; with none, how far behind the
    // records read are.
    let lag = summary.delivery_lag_seconds.or_else(|| {
        summary
            .oldest_event_time
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| (now - t.with_timezone(&Utc)).num_seconds().max(0))
    });
    let mut metrics = vec![
        ("ObjectsProcessed", "Count", json!(summary.objects)),
        ("EventsEvaluated", "Count", json!(summary.events)),
        ("Alerts", "Count", json!(summary.alerts)),
        ("Digests", "Count", json!(summary.digests)),
        (
            "RecordsUnreadable",
            "Count",
            json!(summary.records_unreadable),
        ),
        ("ObjectsFailed", "Count", json!(summary.failed.len())),
        ("PublishFailures", "Count", json!(summary.publish_failures)),
        ("AlreadyAlerted", "Count", json!(summary.already_alerted)),
        ("Suppressed", "Count", json!(summary.suppressed)),
        (
            "CorrelationAlerts",
            "Count",
            json!(summary.correlation_alerts),
        ),
        ("CorrelationLate", "Count", json!(summary.correlation_late)),
        (
            "CorrelationDropped",
            "Count",
            json!(summary.correlation_dropped),
        ),
        (
            "StateUnavailable",
            "Count",
            json!(summary.state_unavailable),
        ),
    ];
    if let Some(lag) = lag {
        metrics.push(("DeliveryLagSeconds", "Seconds", json!(lag)));
    }
    let mut doc = json!({
        "_aws": {
            "Timestamp": now.timestamp_millis(),
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["FunctionName"]],
                "Metrics": metrics.iter().map(|(n, u, _)| json!({"Name": n, "Unit": u})).collect::<Vec<_>>(),
            }],
        },
        "FunctionName": function,
    });
    for (name, _, value) in metrics {
        doc[name] = value;
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_carries_every_metric_and_the_lag() {
        let summary = Summary {
            objects: 2,
            events: 10,
            alerts: 1,
            oldest_event_time: Some("2026-11-25T10:00:00Z".into()),
            ..Summary::default()
        };
        let now = DateTime::parse_from_rfc3339("2026-11-25T10:05:30Z")
            .unwrap()
            .with_timezone(&Utc);
        let doc = emf(&summary, "fn", now);
        assert_eq!(doc["DeliveryLagSeconds"], 330);
        assert_eq!(doc["ObjectsProcessed"], 2);
        assert_eq!(doc["ObjectsFailed"], 0);
        let names: Vec<&str> = doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "ObjectsProcessed",
                "EventsEvaluated",
                "Alerts",
                "Digests",
                "RecordsUnreadable",
                "ObjectsFailed",
                "PublishFailures",
                "AlreadyAlerted",
                "Suppressed",
                "CorrelationAlerts",
                "CorrelationLate",
                "CorrelationDropped",
                "StateUnavailable",
                "DeliveryLagSeconds"
            ]
        );
    }
}
