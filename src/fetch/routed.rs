//! One fetcher for a CLI run that mixes local paths and `s3://` objects.

use async_trait::async_trait;

use super::event::WithEvents;
use super::local::LocalFetch;
use super::object::ObjectRef;
use super::s3::S3Fetch;
use super::seam::{Fetch, FetchError, ObjectReader};

/// Sends each object to the seam that can read it.
#[derive(Debug, Default)]
pub struct RoutedFetch {
    /// Reads local paths.
    pub local: LocalFetch,
    /// Reads `s3://` objects, when the run names any.
    pub s3: Option<S3Fetch>,
}

#[async_trait]
impl Fetch for RoutedFetch {
    async fn open(&self, object: &ObjectRef) -> Result<ObjectReader, FetchError> {
        match (object, &self.s3) {
            (ObjectRef::S3 { .. }, Some(s3)) => s3.open(object).await,
            (ObjectRef::S3 { .. }, None) => Err(FetchError::Permanent {
                object: object.to_string(),
                message: "no S3 client configured".into(),
            }),
            (ObjectRef::Path { .. }, _) => self.local.open(object).await,
            (ObjectRef::Event { .. }, _) => WithEvents(LocalFetch).open(object).await,
        }
    }
}
