//! Records that arrived inside their trigger (EventBridge CloudTrail events) need no fetching:
//! they are read from the event itself, and every other object goes to the wrapped seam.

use async_trait::async_trait;

use super::object::ObjectRef;
use super::seam::{Fetch, FetchError, ObjectReader};

/// Serves [`ObjectRef::Event`] from the event's own `detail`, and the rest from `F`.
#[derive(Debug, Default)]
pub struct WithEvents<F>(pub F);

#[async_trait]
impl<F: Fetch> Fetch for WithEvents<F> {
    async fn open(&self, object: &ObjectRef) -> Result<ObjectReader, FetchError> {
        match object {
            ObjectRef::Event { detail, .. } => {
                Ok(Box::new(std::io::Cursor::new(detail.as_bytes().to_vec())))
            }
            _ => self.0.open(object).await,
        }
    }
}
