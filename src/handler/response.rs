//! Each trigger's answer to Lambda, built from the objects' outcomes.

use serde::ser::{Serialize, Serializer};
use serde_json::json;

use crate::pipeline::{Failed, Outcome, Summary};
use crate::trigger::{Kind, Trigger};

/// How one retry unit (SQS message, Batch task, direct event) fared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemStatus {
    /// Scanned in full.
    Succeeded,
    /// Could succeed on a retry.
    Temporary(String),
    /// Will fail the same way every time.
    Permanent(String),
}

/// What the handler returns: the trigger's contract on the wire, the summary for logs and tests.
#[derive(Debug, Clone)]
pub struct Response {
    /// How the payload arrived, which decides the shape on the wire.
    pub kind: Kind,
    /// What the invocation did.
    pub summary: Summary,
    /// Per retry unit: its id (SQS message, Batch task) and status.
    pub items: Vec<(Option<String>, ItemStatus)>,
}

impl Response {
    /// Pairs outcomes (in `trigger.objects()` order) back with the units that named them.
    pub fn build(trigger: Trigger, outcomes: Vec<Outcome>) -> Response {
        let mut summary = Summary::default();
        let mut outcomes = outcomes.into_iter();
        let mut items = Vec::with_capacity(trigger.items.len());
        for item in trigger.items {
            let mut status = ItemStatus::Succeeded;
            if let Some(reason) = item.invalid {
                let object = item.id.clone().unwrap_or_else(|| "payload".into());
                tracing::error!(%object, error = %reason, "unreadable trigger item");
                summary.failed.push(Failed {
                    object,
                    error: reason.clone(),
                    retryable: false,
                });
                status = ItemStatus::Permanent(reason);
            }
            for object in &item.objects {
                let outcome = outcomes.next().unwrap_or_default();
                if let Some(e) = &outcome.error {
                    let worse = if e.is_retryable() {
                        ItemStatus::Temporary(e.to_string())
                    } else {
                        ItemStatus::Permanent(e.to_string())
                    };
                    // A retryable failure outranks a permanent one: the retry may still help.
                    if !matches!(status, ItemStatus::Temporary(_)) {
                        status = worse;
                    }
                }
                summary.record(object, outcome);
            }
            summary.skipped.extend(item.skipped);
            items.push((item.id, status));
        }
        Response {
            kind: trigger.kind,
            summary,
            items,
        }
    }

    /// Direct invocations fail as a whole when any object could succeed on a retry.
    pub fn fails_invocation(&self) -> bool {
        self.kind == Kind::Direct
            && self
                .items
                .iter()
                .any(|(_, s)| matches!(s, ItemStatus::Temporary(_)))
    }

    /// The SQS message ids to hand back to the queue: every failed message, permanent ones too.
    /// The queue's redrive policy bounds the retries and parks the message in its dead-letter
    /// queue, where an operator finds every object that could not be scanned.
    ///
    /// A failed message without a `messageId` cannot be named, and leaving it out would have the
    /// queue delete it: it is reported as an empty id, which Lambda takes as the whole batch
    /// failing, so it is retried with the rest.
    pub fn batch_item_failures(&self) -> Vec<&str> {
        self.items
            .iter()
            .filter(|(_, s)| !matches!(s, ItemStatus::Succeeded))
            .map(|(id, _)| id.as_deref().unwrap_or(""))
            .collect()
    }
}

impl Serialize for Response {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.kind {
            Kind::Direct => self.summary.serialize(serializer),
            Kind::Sqs => {
                let failures: Vec<_> = self
                    .batch_item_failures()
                    .into_iter()
                    .map(|id| json!({"itemIdentifier": id}))
                    .collect();
                json!({ "batchItemFailures": failures }).serialize(serializer)
            }
            Kind::Batch {
                schema_version,
                invocation_id,
            } => {
                let results: Vec<_> = self
                    .items
                    .iter()
                    .map(|(id, status)| {
                        let (code, text) = match status {
                            ItemStatus::Succeeded => ("Succeeded", "scanned".to_string()),
                            ItemStatus::Temporary(e) => ("TemporaryFailure", e.clone()),
                            ItemStatus::Permanent(e) => ("PermanentFailure", e.clone()),
                        };
                        json!({"taskId": id, "resultCode": code, "resultString": text})
                    })
                    .collect();
                json!({
                    "invocationSchemaVersion": schema_version,
                    "treatMissingKeysAs": "PermanentFailure",
                    "invocationId": invocation_id,
                    "results": results,
                })
                .serialize(serializer)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::{FetchError, ObjectRef};
    use crate::pipeline::ObjectError;
    use crate::trigger::Item;

    fn item(id: &str, key: &str) -> Item {
        let object = ObjectRef::S3 {
            bucket: "b".into(),
            key: key.into(),
        };
        Item {
            id: Some(id.into()),
            objects: vec![object],
            ..Item::default()
        }
    }

    fn failed(retryable: bool) -> Outcome {
        let object = "s3://b/k".to_string();
        let error = if retryable {
            FetchError::Retryable {
                object,
                message: "SlowDown (HTTP 503)".into(),
            }
        } else {
            FetchError::NotFound { object }
        };
        Outcome {
            error: Some(ObjectError::Fetch(error)),
            ..Outcome::default()
        }
    }

    #[test]
    fn sqs_reports_exactly_the_failed_messages() {
        let trigger = Trigger {
            kind: Kind::Sqs,
            items: vec![item("m1", "a"), item("m2", "b"), item("m3", "c")],
        };
        let r = Response::build(
            trigger,
            vec![Outcome::default(), failed(true), failed(false)],
        );
        assert_eq!(r.batch_item_failures(), ["m2", "m3"]);
        assert!(!r.fails_invocation());
        let wire = serde_json::to_value(&r).unwrap();
        let expected =
            json!({"batchItemFailures": [{"itemIdentifier": "m2"}, {"itemIdentifier": "m3"}]});
        assert_eq!(wire, expected);
        assert_eq!(r.summary.failed.len(), 2);
    }

    #[test]
    fn a_failed_message_without_an_id_fails_the_whole_batch_rather_than_vanish() {
        let mut nameless = item("unused", "b");
        nameless.id = None;
        let trigger = Trigger {
            kind: Kind::Sqs,
            items: vec![item("m1", "a"), nameless, item("m3", "c")],
        };
        let r = Response::build(
            trigger,
            vec![Outcome::default(), failed(false), Outcome::default()],
        );
        let wire = serde_json::to_value(&r).unwrap();
        assert_eq!(wire, json!({"batchItemFailures": [{"itemIdentifier": ""}]}));
    }

    #[test]
    fn batch_tasks_get_their_own_result_codes() {
        let kind = Kind::Batch {
            schema_version: "2.0".into(),
            invocation_id: "inv".into(),
        };
        let trigger = Trigger {
            kind,
            items: vec![item("t1", "a"), item("t2", "b"), item("t3", "c")],
        };
        let r = Response::build(
            trigger,
            vec![Outcome::default(), failed(false), failed(true)],
        );
        let wire = serde_json::to_value(&r).unwrap();
        let codes: Vec<&str> = wire["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["resultCode"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["Succeeded", "PermanentFailure", "TemporaryFailure"]);
        assert_eq!(wire["invocationId"], "inv");
        assert!(wire["results"][1]["resultString"]
            .as_str()
            .unwrap()
            .contains("no such object"));
    }

    #[test]
    fn direct_invocations_fail_only_for_retryable_errors() {
        let direct = |outcome| {
            let trigger = Trigger {
                kind: Kind::Direct,
                items: vec![item("x", "a")],
            };
            Response::build(trigger, vec![outcome]).fails_invocation()
        };
        assert!(direct(failed(true)));
        assert!(!direct(failed(false)));
        assert!(!direct(Outcome::default()));
    }

    #[test]
    fn unreadable_items_are_permanent_and_counted() {
        let mut bad = Item {
            id: Some("m9".into()),
            ..Item::default()
        };
        bad.invalid = Some("message is not JSON".into());
        let r = Response::build(
            Trigger {
                kind: Kind::Sqs,
                items: vec![bad],
            },
            vec![],
        );
        assert_eq!(
            r.batch_item_failures(),
            ["m9"],
            "parked in the DLQ, not dropped"
        );
        assert_eq!(r.summary.failed[0].object, "m9");
    }
}
