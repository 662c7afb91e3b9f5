//! The S3 seam.

use async_trait::async_trait;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::get_object::GetObjectError;

use super::object::ObjectRef;
use super::seam::{Fetch, FetchError, ObjectReader};

/// Streams objects from S3; the body is read as it arrives, never buffered whole, except for
/// a small object (most deliveries), which is read whole before decoding: the decoder then reads
/// memory, not a bridge that blocks on the async body for every chunk.
#[derive(Debug, Clone)]
pub struct S3Fetch {
    client: aws_sdk_s3::Client,
}

impl S3Fetch {
    /// Reads objects with `client`.
    pub fn new(client: aws_sdk_s3::Client) -> Self {
        S3Fetch { client }
    }

    /// The S3 client, for listings.
    pub fn client(&self) -> &aws_sdk_s3::Client {
        &self.client
    }
}

#[async_trait]
impl Fetch for S3Fetch {
    async fn open(&self, object: &ObjectRef) -> Result<ObjectReader, FetchError> {
        let ObjectRef::S3 { bucket, key } = object else {
            return Err(FetchError::Permanent {
                object: object.to_string(),
                message: "the S3 fetcher reads only s3:// objects".into(),
            });
        };
        let output = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| classify(object, e))?;
        let small = output
            .content_length()
            .is_some_and(|n| (0..=READ_WHOLE).contains(&n));
        if !small {
            return Ok(Box::new(output.body.into_async_read()));
        }
        match output.body.collect().await {
            Ok(body) => Ok(Box::new(std::io::Cursor::new(body.into_bytes()))),
            Err(e) => Err(FetchError::Retryable {
                object: object.to_string(),
                message: format!("reading the body: {e}"),
            }),
        }
    }
}

/// Objects up to this size (bytes, as S3 reports it) are read whole.
const READ_WHOLE: i64 = 1024 * 1024;

/// Sorts S3's answer into what a retry could fix and what it could not.
fn classify(object: &ObjectRef, err: SdkError<GetObjectError>) -> FetchError {
    let object = object.to_string();
    match &err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let status = service.raw().status().as_u16();
            let code = e.code().unwrap_or("");
            if e.is_no_such_key() || code == "NoSuchBucket" || status == 404 {
                FetchError::NotFound { object }
            } else if status >= 500
                || status == 429
                || code.contains("Throttl")
                || code == "SlowDown"
            {
                FetchError::Retryable {
                    object,
                    message: format!("{code} (HTTP {status})"),
                }
            } else {
                let message = format!("{} (HTTP {status})", e.message().unwrap_or(code));
                FetchError::Permanent { object, message }
            }
        }
        _ => FetchError::Retryable {
            object,
            message: aws_sdk_s3::error::DisplayErrorContext(&err).to_string(),
        },
    }
}

/// Lists the keys under `prefix`, in S3's (lexicographic, so chronological for trail keys) order.
pub async fn list_keys(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
) -> Result<Vec<String>, FetchError> {
    let mut pages = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    let mut keys = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| FetchError::Retryable {
            object: format!("s3://{bucket}/{prefix}"),
            message: aws_sdk_s3::error::DisplayErrorContext(e).to_string(),
        })?;
        keys.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_string)),
        );
    }
    Ok(keys)
}
