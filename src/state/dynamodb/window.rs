//! Suppression windows in the state table: one `UpdateItem` opens a window (or finds one
//! open, and returns it from the failed condition), one more adds a sighting to its count.

use std::time::SystemTime;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};

use super::{
    classify, get_n, get_s, n, s, suppress_key, DynamoStore, Item, COMBINATION_MAX,
    SUPPRESS_ATTEMPTS, TTL_ATTRIBUTE,
};
use crate::plan::{Sighting, Suppression};
use crate::state::{epoch_ms, epoch_secs_ceil, from_epoch_ms, origin_tag, StateError};

impl DynamoStore {
    pub(super) async fn suppress_one(
        &self,
        sg: &Sighting,
        now: SystemTime,
    ) -> Result<Suppression, StateError> {
        let tag = origin_tag(&sg.origin);
        for _ in 0..SUPPRESS_ATTEMPTS {
            let old = match self.open_window(sg, &tag, now).await? {
                Ok(before) => return Ok(Suppression::Deliver { suppressed: before }),
                Err(old) => old,
            };
            if get_s(&old, "owner") == Some(tag.as_str()) {
                let suppressed = get_n(&old, "suppressed_before").unwrap_or(0);
                return Ok(Suppression::Deliver { suppressed });
            }
            if old
                .get("counted")
                .and_then(|c| c.as_ss().ok())
                .is_some_and(|c| c.contains(&tag))
            {
                return Ok(Suppression::Suppressed);
            }
            if self.count_in(sg, &tag, &old).await? {
                return Ok(Suppression::Suppressed);
            }
        }
        Err(StateError::other(format!(
            "suppression window of rule {} changed under {SUPPRESS_ATTEMPTS} attempts",
            sg.key.rule_id
        )))
    }

    /// Opens a window unless one is open at the sighting's time: `Ok(count before)` when it
    /// opened, `Err(the open window's item)` when not.
    async fn open_window(
        &self,
        sg: &Sighting,
        tag: &str,
        now: SystemTime,
    ) -> Result<Result<u64, Item>, StateError> {
        let (floor, ends) = sg.window_bounds();
        let expires = epoch_secs_ceil(from_epoch_ms(ends).max(now) + self.retention);
        let combination = serde_json::to_string(&sg.key.values).unwrap_or_default();
        let mut set = "SET #owner = :tag, window_floor = :floor, window_ends = :ends, \
                       suppressed_before = if_not_exists(suppressed, :zero), suppressed = :rest, \
                       counted = :tags, #exp = :exp"
            .to_owned();
        let mut req = self.client.update_item();
        if combination.len() <= COMBINATION_MAX {
            set.push_str(", combination = :combination");
            req = req.expression_attribute_values(":combination", s(&combination));
        }
        let sent = req
            .table_name(&self.table)
            .set_key(Some(suppress_key(sg)))
            .update_expression(set)
            .condition_expression(
                "attribute_not_exists(pk) OR #exp <= :now_s OR window_ends <= :at OR window_floor > :at",
            )
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_names("#exp", TTL_ATTRIBUTE)
            .expression_attribute_values(":tag", s(tag))
            .expression_attribute_values(":floor", n(floor))
            .expression_attribute_values(":ends", n(ends))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":rest", n(sg.repeats.saturating_sub(1)))
            .expression_attribute_values(":tags", AttributeValue::Ss(vec![tag.to_owned()]))
            .expression_attribute_values(":exp", n(expires))
            .expression_attribute_values(":now_s", n(epoch_ms(now) / 1000))
            .expression_attribute_values(":at", n(epoch_ms(sg.at)))
            .return_values(ReturnValue::UpdatedNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match sent {
            Ok(out) => {
                let before = out
                    .attributes
                    .as_ref()
                    .and_then(|a| get_n(a, "suppressed_before"))
                    .unwrap_or(0);
                Ok(Ok(before))
            }
            Err(SdkError::ServiceError(ctx)) => match ctx.err() {
                UpdateItemError::ConditionalCheckFailedException(e) => match e.item() {
                    Some(old) => Ok(Err(old.clone())),
                    None => Err(StateError::other(
                        "window refused without the item that refused it",
                    )),
                },
                _ => Err(classify("UpdateItem", SdkError::ServiceError(ctx))),
            },
            Err(e) => Err(classify("UpdateItem", e)),
        }
    }

    /// Adds the sighting to the open window `old`; `false` when the window changed meanwhile.
    async fn count_in(&self, sg: &Sighting, tag: &str, old: &Item) -> Result<bool, StateError> {
        let (Some(owner), Some(ends)) = (get_s(old, "owner"), old.get("window_ends")) else {
            return Err(StateError::other("suppression item lacks owner or window"));
        };
        let sent = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(suppress_key(sg)))
            .update_expression("ADD suppressed :n, counted :tags")
            .condition_expression(
                "#owner = :owner AND window_ends = :ends AND NOT contains(counted, :tag)",
            )
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":owner", s(owner))
            .expression_attribute_values(":ends", ends.clone())
            .expression_attribute_values(":tag", s(tag))
            .expression_attribute_values(":n", n(sg.repeats))
            .expression_attribute_values(":tags", AttributeValue::Ss(vec![tag.to_owned()]))
            .send()
            .await;
        match sent {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(ctx))
                if ctx.err().is_conditional_check_failed_exception() =>
            {
                Ok(false)
            }
            Err(e) => Err(classify("UpdateItem", e)),
        }
    }
}
