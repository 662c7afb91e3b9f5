//! Correlation windows in the table.
//!
//! | item | `pk` | `sk` | other attributes |
//! |---|---|---|---|
//! | one object's slice of a group | `corr#<correlation id>#<group digest>` | `slice#<origin>#<part>` | `slice` (JSON), `max_at` (ms) |
//! | the group's firings | the same | `fired` | `fired` (JSON list of ms), `ver` |
//!
//! Requests per object: one `BatchWriteItem` per 25 slices, one `Query` per group (more only
//! past 1 MB), and for a group whose condition holds one `GetItem` and one conditional
//! `PutItem` on `ver` (retried when another invocation fired first). They grow with the groups
//! an object touches, not with its records.
//!
//! A group that many objects or events feed (a busy principal, read in real time) would have
//! its Query grow with them; past [`COMPACT_AT`] slices the reader writes one merged slice
//! (`slice#merged#<wall ms>#<tag>`, sorting after every object's) and then deletes those it
//! merged. Merging is safe under races: records count once by id, and an item is deleted only
//! after the merged slice holding it is written.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::SystemTime;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, PutRequest, WriteRequest};
use futures::stream::{self, StreamExt, TryStreamExt};

use super::{classify, get_n, get_s, n, s, DynamoStore, Item, TTL_ATTRIBUTE};
use crate::correlate::{compact, cover, prune, FireRequest, Fired, GroupId, Slice};
use crate::state::origin_tag;
use crate::state::{epoch_ms, StateError, CONCURRENCY};

/// A slice's JSON is cut into parts under DynamoDB's 400 KB item limit.
const PART_BYTES: usize = 300 * 1024;
/// Attempts at a group's firings that other invocations keep changing under us.
const FIRE_ATTEMPTS: usize = 8;
/// A group read with more slices than this is merged into one.
pub(super) const COMPACT_AT: usize = 32;

fn pk(g: &GroupId) -> AttributeValue {
    s(&format!("corr#{}#{}", g.correlation, g.group))
}

fn ms(t: SystemTime) -> i64 {
    i64::try_from(epoch_ms(t)).unwrap_or(i64::MAX)
}

/// TTL in epoch seconds: `keep_ms` past the later of `at` and the wall clock, so a backfill's
/// old windows are not deleted before the run is over.
fn expires(at_ms: i64, keep_ms: i64) -> AttributeValue {
    let base = at_ms.max(ms(SystemTime::now()));
    let secs = base.saturating_add(keep_ms).max(0) / 1000 + 1;
    n(u64::try_from(secs).unwrap_or(u64::MAX))
}

/// A slice cut into parts that each fit an item.
fn parts(slice: &Slice) -> Result<Vec<Slice>, StateError> {
    let whole =
        serde_json::to_string(slice).map_err(|e| StateError::other(e.to_string()).caused_by(e))?;
    let n = whole.len().div_ceil(PART_BYTES).max(1);
    if n == 1 {
        return Ok(vec![slice.clone()]);
    }
    let per = slice.contributions.len().div_ceil(n).max(1);
    Ok(slice
        .contributions
        .chunks(per)
        .enumerate()
        .map(|(i, c)| Slice {
            contributions: c.to_vec(),
            samples: if i == 0 {
                slice.samples.clone()
            } else {
                Vec::new()
            },
            origin: format!("{}#{i}", slice.origin),
            ..slice.clone()
        })
        .collect())
}

/// A group marked as being merged by this process, unmarked when dropped (also when the
/// read is cancelled at the deadline).
struct Merging<'a> {
    set: &'a Mutex<HashSet<String>>,
    name: String,
}

impl<'a> Merging<'a> {
    /// `None` when another task of this process is merging `group` already.
    fn start(set: &'a Mutex<HashSet<String>>, group: &GroupId) -> Option<Merging<'a>> {
        let name = format!("{}#{}", group.correlation, group.group);
        let first = set.lock().is_ok_and(|mut m| m.insert(name.clone()));
        first.then_some(Merging { set, name })
    }
}

impl Drop for Merging<'_> {
    fn drop(&mut self) {
        if let Ok(mut m) = self.set.lock() {
            m.remove(&self.name);
        }
    }
}

/// The `PutItem` requests that store `slice`, a part an item.
fn puts(slice: &Slice) -> Result<Vec<WriteRequest>, StateError> {
    parts(slice)?
        .into_iter()
        .map(|part| {
            let json = serde_json::to_string(&part)
                .map_err(|e| StateError::other(e.to_string()).caused_by(e))?;
            let item: Item = [
                ("pk".to_owned(), pk(&part.group)),
                ("sk".to_owned(), s(&format!("slice#{}", part.origin))),
                ("slice".to_owned(), s(&json)),
                (
                    "max_at".to_owned(),
                    AttributeValue::N(part.max_at().to_string()),
                ),
                (
                    TTL_ATTRIBUTE.to_owned(),
                    expires(part.max_at(), part.keep_ms),
                ),
            ]
            .into();
            let put = PutRequest::builder()
                .set_item(Some(item))
                .build()
                .map_err(|e| StateError::other(e.to_string()).caused_by(e))?;
            Ok(WriteRequest::builder().put_request(put).build())
        })
        .collect()
}

impl DynamoStore {
    pub(super) async fn gather_slices(
        &self,
        slices: &[Slice],
        now: SystemTime,
    ) -> Result<Vec<Vec<Slice>>, StateError> {
        let mut requests = Vec::new();
        for slice in slices {
            requests.extend(puts(slice)?);
        }
        self.write_all(requests).await?;
        let now_ms = ms(now);
        let reads: Vec<_> = slices
            .iter()
            .map(|sl| self.read_group(&sl.group, now_ms.saturating_sub(sl.keep_ms)))
            .collect();
        stream::iter(reads)
            .buffered(CONCURRENCY)
            .try_collect()
            .await
    }

    /// Replaces a group's `found` slices (with their sort keys) by one merged slice. It only
    /// saves reads, so a failure is logged and the slices stay as they are.
    async fn compact_group(&self, found: &[(String, Slice)], floor_ms: i64) {
        let slices: Vec<Slice> = found.iter().map(|(_, s)| s.clone()).collect();
        let keys: Vec<&str> = found.iter().map(|(k, _)| k.as_str()).collect();
        let origin = format!(
            "merged#{:013}#{}",
            ms(SystemTime::now()).max(0),
            origin_tag(&keys.join("\n"))
        );
        let Some(merged) = compact(&slices, origin, floor_ms) else {
            return;
        };
        let group = merged.group.correlation.clone();
        let written = match puts(&merged) {
            Ok(p) => self.write_all(p).await,
            Err(e) => Err(e),
        };
        if let Err(e) = written {
            tracing::warn!(correlation = %group, %e, "state table: merging a group's slices failed; left as they are");
            return;
        }
        let pk = pk(&merged.group);
        let deletes = keys
            .iter()
            .filter_map(|k| {
                DeleteRequest::builder()
                    .key("pk", pk.clone())
                    .key("sk", s(k))
                    .build()
                    .ok()
            })
            .map(|d| WriteRequest::builder().delete_request(d).build())
            .collect();
        if let Err(e) = self.write_all(deletes).await {
            tracing::warn!(correlation = %group, %e, "state table: merged slices not all deleted; their records still count once");
        }
    }

    /// Every slice of `group` whose newest record is at or after `floor_ms`.
    async fn read_group(&self, group: &GroupId, floor_ms: i64) -> Result<Vec<Slice>, StateError> {
        let mut out: Vec<(String, Slice)> = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .consistent_read(true)
                .key_condition_expression("pk = :pk AND begins_with(sk, :slice)")
                .filter_expression("max_at >= :floor")
                .expression_attribute_values(":pk", pk(group))
                .expression_attribute_values(":slice", s("slice#"))
                .expression_attribute_values(":floor", AttributeValue::N(floor_ms.to_string()))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| classify("Query", e))?;
            for item in page.items() {
                let (Some(sk), Some(json)) = (get_s(item, "sk"), get_s(item, "slice")) else {
                    continue;
                };
                match serde_json::from_str::<Slice>(json) {
                    Ok(slice) => out.push((sk.to_owned(), slice)),
                    Err(e) => {
                        tracing::warn!(%e, "state table: unreadable correlation slice skipped")
                    }
                }
            }
            match page.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => break,
            }
        }
        if out.len() > COMPACT_AT {
            if let Some(_merging) = Merging::start(&self.merging, group) {
                self.compact_group(&out, floor_ms).await;
            }
        }
        Ok(out.into_iter().map(|(_, slice)| slice).collect())
    }

    pub(super) async fn fire_groups(
        &self,
        requests: &[FireRequest],
        now: SystemTime,
    ) -> Result<Vec<Vec<Fired>>, StateError> {
        let calls: Vec<_> = requests.iter().map(|r| self.fire_one(r, ms(now))).collect();
        stream::iter(calls)
            .buffered(CONCURRENCY)
            .try_collect()
            .await
    }

    async fn fire_one(&self, r: &FireRequest, now_ms: i64) -> Result<Vec<Fired>, StateError> {
        let key: Item = [
            ("pk".to_owned(), pk(&r.group)),
            ("sk".to_owned(), s("fired")),
        ]
        .into();
        for _ in 0..FIRE_ATTEMPTS {
            let old = self
                .client
                .get_item()
                .table_name(&self.table)
                .set_key(Some(key.clone()))
                .consistent_read(true)
                .send()
                .await
                .map_err(|e| classify("GetItem", e))?
                .item;
            let ver = old.as_ref().and_then(|i| get_n(i, "ver"));
            let mut fired: Vec<i64> = old
                .as_ref()
                .and_then(|i| get_s(i, "fired"))
                .and_then(|j| serde_json::from_str(j).ok())
                .unwrap_or_default();
            prune(&mut fired, now_ms.saturating_sub(r.keep_ms + r.span_ms));
            let out = cover(&mut fired, &r.triggers, r.span_ms);
            if !out.iter().any(|f| f.new) {
                return Ok(out);
            }
            let mut item = key.clone();
            let latest = fired.iter().copied().max().unwrap_or(now_ms);
            item.insert(
                "fired".into(),
                s(&serde_json::to_string(&fired).unwrap_or_default()),
            );
            item.insert("ver".into(), n(ver.unwrap_or(0) + 1));
            item.insert(TTL_ATTRIBUTE.into(), expires(latest, r.keep_ms + r.span_ms));
            let put = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item));
            let put = match ver {
                None => put.condition_expression("attribute_not_exists(pk)"),
                Some(v) => put
                    .condition_expression("ver = :ver")
                    .expression_attribute_values(":ver", n(v)),
            };
            match put.send().await {
                Ok(_) => return Ok(out),
                Err(SdkError::ServiceError(ctx))
                    if ctx.err().is_conditional_check_failed_exception() => {}
                Err(e) => return Err(classify("PutItem", e)),
            }
        }
        Err(StateError::unavailable(format!(
            "correlation {}: firings changed under {FIRE_ATTEMPTS} attempts in a row",
            r.group.correlation
        )))
    }
}
