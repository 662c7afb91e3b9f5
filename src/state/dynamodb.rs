//! The state seam on one DynamoDB table: string partition key `pk`, string sort key `sk`, and
//! `expires_at` (epoch seconds) as its TTL attribute on every item.
//!
//! | item | `pk` | `sk` | other attributes |
//! |---|---|---|---|
//! | an alert's claim | `alert#<rule id>` | eventID, or `digest#<object>` | `owner`, `state` (`claimed`/`delivered`), `lease_until` (ms) |
//! | correlation windows | `corr#<correlation id>#<group>` | see `src/state/dynamodb/correlation.rs` | |
//! | a suppression window | `suppress#<rule id>` | digest of the combination | `owner`, `window_floor`/`window_ends` (ms), `suppressed`, `suppressed_before`, `counted` (objects), `combination` |
//!
//! Requests per call, each one round trip, at most [`CONCURRENCY`] in flight:
//! - `claim`: one conditional `PutItem` per key. The condition's failure returns the old item
//!   (`ReturnValuesOnConditionCheckFailure`), which says delivered or held, and until when.
//!   (A transaction would fail every claim when one is already delivered.)
//! - `delivered`: one `BatchWriteItem` per 25 keys, unconditional: the alert was sent, whoever
//!   held the claim by then.
//! - `release`: one `DeleteItem` per key, conditional on still being this owner's claim.
//! - `suppress`: one `UpdateItem` per sighting that opens a window; one more (`ADD` to the count)
//!   when a window was already open.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, PutRequest, ReturnValuesOnConditionCheckFailure, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use futures::stream::{self, StreamExt, TryStreamExt};

use super::{epoch_ms, epoch_secs_ceil, from_epoch_ms, StateError, CONCURRENCY};
use crate::correlate::{CorrelationStore, FireRequest, Fired, Slice};
use crate::deliver::{AlertKey, Claim, ClaimStore};
use crate::plan::{Sighting, Suppression};
use crate::verdict::SuppressionStore;

/// The TTL attribute every item carries (the table's `TimeToLiveSpecification`).
pub const TTL_ATTRIBUTE: &str = "expires_at";
/// Items per `BatchWriteItem`, DynamoDB's limit.
const BATCH: usize = 25;
/// A `combination` longer than this is left out of the item (it is only for people reading it).
const COMBINATION_MAX: usize = 1024;
/// Attempts at a suppression window that other writers keep changing under us.
const SUPPRESS_ATTEMPTS: usize = 4;

type Item = HashMap<String, AttributeValue>;

mod correlation;
mod window;

/// The function's state store: one DynamoDB table.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    retention: Duration,
    /// Groups this process is merging now: concurrent reads of one busy group (an SQS batch's
    /// events) merge it once, not once each.
    merging: Arc<Mutex<HashSet<String>>>,
}

impl DynamoStore {
    /// `retention`: how long delivered identities and suppression counts are kept.
    pub fn new(client: Client, table: impl Into<String>, retention: Duration) -> DynamoStore {
        DynamoStore {
            client,
            table: table.into(),
            retention,
            merging: Arc::default(),
        }
    }

    async fn claim_one(
        &self,
        key: &AlertKey,
        owner: &str,
        now: SystemTime,
        until: SystemTime,
    ) -> Result<Claim, StateError> {
        let mut item = alert_key(key);
        item.insert("owner".into(), s(owner));
        item.insert("state".into(), s("claimed"));
        item.insert("lease_until".into(), n(epoch_ms(until)));
        item.insert(TTL_ATTRIBUTE.into(), n(epoch_secs_ceil(until)));
        let sent = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(
                "attribute_not_exists(pk) OR #exp <= :now_s \
                 OR (#state = :claimed AND (#lease <= :now_ms OR #owner = :owner))",
            )
            .expression_attribute_names("#exp", TTL_ATTRIBUTE)
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#lease", "lease_until")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":now_s", n(epoch_ms(now) / 1000))
            .expression_attribute_values(":now_ms", n(epoch_ms(now)))
            .expression_attribute_values(":claimed", s("claimed"))
            .expression_attribute_values(":owner", s(owner))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match sent {
            Ok(_) => Ok(Claim::Won),
            Err(SdkError::ServiceError(ctx)) => match ctx.err() {
                PutItemError::ConditionalCheckFailedException(e) => {
                    let old = e.item().ok_or_else(|| {
                        StateError::other("claim refused without the item that refused it")
                    })?;
                    Ok(match get_s(old, "state") {
                        Some("delivered") => Claim::AlreadyDelivered,
                        _ => Claim::HeldByOther {
                            until: from_epoch_ms(get_n(old, "lease_until").unwrap_or(0)),
                        },
                    })
                }
                _ => Err(classify("PutItem", SdkError::ServiceError(ctx))),
            },
            Err(e) => Err(classify("PutItem", e)),
        }
    }

    /// Writes `requests` in batches of [`BATCH`], several in flight at once.
    async fn write_all(&self, requests: Vec<WriteRequest>) -> Result<(), StateError> {
        let batches: Vec<_> = requests
            .chunks(BATCH)
            .map(|c| self.write_batch(c.to_vec()))
            .collect();
        stream::iter(batches)
            .buffer_unordered(CONCURRENCY)
            .try_collect::<()>()
            .await
    }

    async fn write_batch(&self, mut requests: Vec<WriteRequest>) -> Result<(), StateError> {
        // DynamoDB may leave items unprocessed under load; the SDK does not retry those.
        for attempt in 0..5u32 {
            let out = self
                .client
                .batch_write_item()
                .request_items(&self.table, requests)
                .send()
                .await
                .map_err(|e| classify("BatchWriteItem", e))?;
            requests = out
                .unprocessed_items
                .and_then(|mut m| m.remove(&self.table))
                .unwrap_or_default();
            if requests.is_empty() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50 << attempt)).await;
        }
        Err(StateError::unavailable(format!(
            "BatchWriteItem left {} item(s) unprocessed after 5 attempts",
            requests.len()
        )))
    }

    async fn release_one(&self, key: &AlertKey, owner: &str) -> Result<(), StateError> {
        let sent = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(alert_key(key)))
            .condition_expression("#owner = :owner AND #state = :claimed")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":owner", s(owner))
            .expression_attribute_values(":claimed", s("claimed"))
            .send()
            .await;
        match sent {
            Err(SdkError::ServiceError(ctx))
                if ctx.err().is_conditional_check_failed_exception() =>
            {
                Ok(()) // delivered, taken over, or gone: not ours to give back
            }
            Err(e) => Err(classify("DeleteItem", e)),
            Ok(_) => Ok(()),
        }
    }
}

#[async_trait]
impl ClaimStore for DynamoStore {
    async fn claim(
        &self,
        keys: &[AlertKey],
        owner: &str,
        now: SystemTime,
        lease: Duration,
    ) -> Result<Vec<Claim>, StateError> {
        let until = now + lease;
        let claims: Vec<_> = keys
            .iter()
            .map(|k| self.claim_one(k, owner, now, until))
            .collect();
        stream::iter(claims)
            .buffered(CONCURRENCY)
            .try_collect()
            .await
    }

    async fn delivered(
        &self,
        keys: &[AlertKey],
        owner: &str,
        now: SystemTime,
    ) -> Result<(), StateError> {
        let expires = n(epoch_secs_ceil(now + self.retention));
        // One BatchWriteItem refuses the same key twice.
        let mut seen = HashSet::new();
        let requests: Vec<WriteRequest> = keys
            .iter()
            .filter(|k| seen.insert(*k))
            .map(|k| {
                let mut item = alert_key(k);
                item.insert("owner".into(), s(owner));
                item.insert("state".into(), s("delivered"));
                item.insert(TTL_ATTRIBUTE.into(), expires.clone());
                let put = PutRequest::builder().set_item(Some(item)).build();
                put.map(|p| WriteRequest::builder().put_request(p).build())
                    .map_err(|e| StateError::other(e.to_string()).caused_by(e))
            })
            .collect::<Result<_, _>>()?;
        self.write_all(requests).await
    }

    async fn release(&self, keys: &[AlertKey], owner: &str) -> Result<(), StateError> {
        let releases: Vec<_> = keys.iter().map(|k| self.release_one(k, owner)).collect();
        stream::iter(releases)
            .buffer_unordered(CONCURRENCY)
            .try_collect::<()>()
            .await
    }
}

#[async_trait]
impl SuppressionStore for DynamoStore {
    async fn suppress(
        &self,
        sightings: &[Sighting],
        now: SystemTime,
    ) -> Result<Vec<Suppression>, StateError> {
        let decisions: Vec<_> = sightings
            .iter()
            .map(|sg| self.suppress_one(sg, now))
            .collect();
        stream::iter(decisions)
            .buffered(CONCURRENCY)
            .try_collect()
            .await
    }
}

#[async_trait]
impl CorrelationStore for DynamoStore {
    async fn gather(
        &self,
        slices: &[Slice],
        now: SystemTime,
    ) -> Result<Vec<Vec<Slice>>, StateError> {
        self.gather_slices(slices, now).await
    }

    async fn fire(
        &self,
        requests: &[FireRequest],
        now: SystemTime,
    ) -> Result<Vec<Vec<Fired>>, StateError> {
        self.fire_groups(requests, now).await
    }
}

/// Unavailable: what the SDK's retries could not get past (timeouts, connections, throttling,
/// 5xx). Everything else (no table, no permission, a malformed request) is not.
fn classify<E, R>(op: &str, err: SdkError<E, R>) -> StateError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + HasStatus + Send + Sync + 'static,
{
    let message = format!("{op} failed: {}", DisplayErrorContext(&err));
    let unavailable = match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(ctx) => {
            ctx.raw().status() >= 500
                || matches!(
                    ctx.err().code(),
                    Some(
                        "ThrottlingException"
                            | "ProvisionedThroughputExceededException"
                            | "RequestLimitExceeded"
                            | "InternalServerError"
                            | "ServiceUnavailable"
                    )
                )
        }
        _ => false,
    };
    let error = if unavailable {
        StateError::unavailable(message)
    } else {
        StateError::other(message)
    };
    error.caused_by(err)
}

/// The HTTP status of a raw response, so [`classify`] stays generic over operations.
trait HasStatus {
    fn status(&self) -> u16;
}

impl HasStatus for aws_sdk_dynamodb::config::http::HttpResponse {
    fn status(&self) -> u16 {
        self.status().as_u16()
    }
}

fn alert_key(key: &AlertKey) -> Item {
    HashMap::from([
        ("pk".to_owned(), s(&format!("alert#{}", key.rule_id))),
        ("sk".to_owned(), s(&key.subject)),
    ])
}

fn suppress_key(sg: &Sighting) -> Item {
    HashMap::from([
        ("pk".to_owned(), s(&format!("suppress#{}", sg.key.rule_id))),
        ("sk".to_owned(), s(&sg.key.digest())),
    ])
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

fn n(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn get_s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)?.as_s().ok().map(String::as_str)
}

fn get_n(item: &Item, name: &str) -> Option<u64> {
    item.get(name)?.as_n().ok()?.parse().ok()
}
