//! Deliver stage: planned batches leave the process, each alert once.
//!
//! Two seams. [`Deliver`] only sends, and says what it could not send: SNS for the Lambda,
//! stdout for the CLI, and an in-memory recorder for tests. [`ClaimStore`] remembers which
//! alerts were claimed and delivered (the state table, or memory). [`Delivery`] runs the
//! exactly-once protocol over both for one object: claim, send, mark delivered, or release
//! (see [`crate::state`] for the protocol and its one crash window); the claims are kept
//! alive while their batch is sent (the fence).

mod ahead;
mod claims;
mod exactly_once;
mod fence;
mod memory;
mod seam;
mod sns;
mod stdout;

pub use ahead::{send_all, AHEAD};
pub use claims::{AlertKey, Claim, ClaimStore};
pub use exactly_once::{Claimed, Claimer, Delivery};
pub use fence::{Flight, PUBLISH_GRACE};
pub use memory::{MemoryDeliver, Received};
pub use seam::{Deliver, DeliverError};
pub use sns::{RetryPolicy, SnsDeliver};
pub use stdout::StdoutDeliver;
