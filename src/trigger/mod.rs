//! Trigger stage: a Lambda payload becomes the list of objects to scan.
//!
//! Trail files reach the function in many envelopes: straight from S3, through SNS or SQS (or SNS
//! then SQS), as CloudTrail's own SNS notification, from EventBridge, or as S3 Batch Operations
//! tasks. The shape is detected from the payload, with no configuration, and every later stage
//! sees only [`ObjectRef`](crate::fetch::ObjectRef)s. Each retry unit (an SQS message, a Batch task, or the whole invocation)
//! is an [`Item`], so the handler can answer each trigger's failure contract.

mod item;
mod keys;
mod shapes;

pub use item::{Item, Kind, Options, Skipped, Trigger, TriggerError};
pub use keys::{decode_key, delivery_order, key_time_bound, skip_reason, TrailKey};
pub use shapes::{parse, CLOUDTRAIL_DETAIL_TYPES};
