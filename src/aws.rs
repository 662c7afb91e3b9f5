//! The AWS SDK configuration every AWS seam (S3 fetch, SNS publish, rules in S3) is built from.
//!
//! One place chooses the HTTPS client: rustls on ring with the system's root certificates. The
//! SDK's default client would compile a second TLS stack on aws-lc, which is slower to build and
//! no faster for a function whose requests are a handful of S3 reads and SNS batches.

use aws_config::{BehaviorVersion, ConfigLoader, SdkConfig};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_http_client::Builder;

/// The standard configuration chain (environment, profile, the Lambda's role) with
/// trailwatch's HTTPS client; callers may override endpoint, region or credentials.
pub fn loader() -> ConfigLoader {
    let https = Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https();
    aws_config::defaults(BehaviorVersion::latest()).http_client(https)
}

/// [`loader`], loaded.
pub async fn sdk_config() -> SdkConfig {
    loader().load().await
}
