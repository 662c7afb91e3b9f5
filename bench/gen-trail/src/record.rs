//! The record generator's state and the parts every record shares (time, source IP, head and
//! tail), with the AWS-service records: S3 log delivery and KMS data keys.

use std::io::Write;

use crate::rng::Rng;
use crate::tables::{ACCOUNT, REGIONS};

pub struct Gen {
    pub rng: Rng,
    /// Seconds since 2024-06-01T00:00:00Z, advancing a little per record.
    pub clock: u64,
}

impl Gen {
    fn time(&mut self, out: &mut Vec<u8>) {
        self.clock += self.rng.below(2);
        let s = self.clock;
        let (day, rem) = (s / 86_400, s % 86_400);
        write!(
            out,
            "2024-06-{:02}T{:02}:{:02}:{:02}Z",
            1 + day % 28,
            rem / 3600,
            rem / 60 % 60,
            rem % 60
        )
        .ok();
    }

    pub fn ip(&mut self, out: &mut Vec<u8>) {
        let v = self.rng.next();
        write!(
            out,
            "{}.{}.{}.{}",
            [3, 18, 34, 52, 54, 203, 198][(v % 7) as usize],
            (v >> 8) & 0xff,
            (v >> 16) & 0xff,
            1 + (v >> 24) % 254
        )
        .ok();
    }

    pub fn tail(&mut self, out: &mut Vec<u8>, read_only: bool, category: &str) {
        out.extend_from_slice(b",\"requestID\":\"");
        self.rng.uuid(out);
        out.extend_from_slice(b"\",\"eventID\":\"");
        self.rng.uuid(out);
        write!(
            out,
            "\",\"readOnly\":{read_only},\"eventType\":\"AwsApiCall\",\"managementEvent\":{},\"recipientAccountId\":\"{ACCOUNT}\",\"eventCategory\":\"{category}\"",
            category == "Management"
        )
        .ok();
    }

    pub fn head(
        &mut self,
        out: &mut Vec<u8>,
        identity: &[u8],
        source: &str,
        name: &str,
    ) -> &'static str {
        out.extend_from_slice(b"{\"eventVersion\":\"1.09\",\"userIdentity\":");
        out.extend_from_slice(identity);
        out.extend_from_slice(b",\"eventTime\":\"");
        self.time(out);
        let region = self.rng.pick(REGIONS);
        write!(
            out,
            "\",\"eventSource\":\"{source}\",\"eventName\":\"{name}\",\"awsRegion\":\"{region}\""
        )
        .ok();
        region
    }

    /// S3 log delivery writing objects, or checking the bucket ACL: most of a real trail.
    pub fn service_s3(&mut self, out: &mut Vec<u8>) {
        let (invoker, put) = match self.rng.below(10) {
            0..=5 => ("delivery.logs.amazonaws.com", true),
            6..=7 => ("cloudtrail.amazonaws.com", false),
            _ => ("cloudtrail.amazonaws.com", true),
        };
        let identity = format!("{{\"type\":\"AWSService\",\"invokedBy\":\"{invoker}\"}}");
        let name = if put { "PutObject" } else { "GetBucketAcl" };
        let region = self.head(out, identity.as_bytes(), "s3.amazonaws.com", name);
        write!(
            out,
            ",\"sourceIPAddress\":\"{invoker}\",\"userAgent\":\"{invoker}\""
        )
        .ok();
        let bucket = "acme-central-logs";
        if put {
            let kind = if invoker.starts_with("delivery") {
                "vpcflowlogs"
            } else {
                "CloudTrail"
            };
            let mut key = Vec::new();
            write!(
                key,
                "AWSLogs/{ACCOUNT}/{kind}/{region}/2024/06/{:02}/{ACCOUNT}_{kind}_{region}_",
                1 + self.rng.below(28)
            )
            .ok();
            self.rng.upper(&mut key, 16);
            key.extend_from_slice(b".json.gz");
            let key = String::from_utf8(key).unwrap_or_default();
            write!(out, ",\"requestParameters\":{{\"bucketName\":\"{bucket}\",\"Host\":\"{bucket}.s3.{region}.amazonaws.com\",\"x-amz-acl\":\"bucket-owner-full-control\",\"x-amz-server-side-encryption\":\"aws:kms\",\"key\":\"{key}\"}},\"responseElements\":{{\"x-amz-server-side-encryption\":\"aws:kms\",\"x-amz-server-side-encryption-aws-kms-key-id\":\"arn:aws:kms:{region}:{ACCOUNT}:key/").ok();
            self.rng.uuid(out);
            write!(out, "\"}},\"additionalEventData\":{{\"SignatureVersion\":\"SigV4\",\"CipherSuite\":\"TLS_AES_128_GCM_SHA256\",\"bytesTransferredIn\":{}.0,\"AuthenticationMethod\":\"AuthHeader\",\"x-amz-id-2\":\"", self.rng.below(200_000)).ok();
            self.rng.b64(out, 76);
            write!(out, "\",\"bytesTransferredOut\":0.0}},\"resources\":[{{\"type\":\"AWS::S3::Object\",\"ARN\":\"arn:aws:s3:::{bucket}/{key}\"}},{{\"accountId\":\"{ACCOUNT}\",\"type\":\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::{bucket}\"}}]").ok();
        } else {
            write!(out, ",\"requestParameters\":{{\"bucketName\":\"{bucket}\",\"Host\":\"{bucket}.s3.{region}.amazonaws.com\",\"acl\":\"\"}},\"responseElements\":null,\"additionalEventData\":{{\"SignatureVersion\":\"SigV4\",\"CipherSuite\":\"ECDHE-RSA-AES128-GCM-SHA256\",\"bytesTransferredIn\":0,\"AuthenticationMethod\":\"AuthHeader\",\"x-amz-id-2\":\"").ok();
            self.rng.b64(out, 76);
            write!(out, "\",\"bytesTransferredOut\":550}},\"resources\":[{{\"accountId\":\"{ACCOUNT}\",\"type\":\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::{bucket}\"}}]").ok();
        }
        let read_only = !put;
        self.tail(out, read_only, "Data");
        out.extend_from_slice(b",\"sharedEventID\":\"");
        self.rng.uuid(out);
        out.extend_from_slice(b"\"}");
    }

    /// KMS data keys for encrypted log delivery.
    pub fn service_kms(&mut self, out: &mut Vec<u8>) {
        let name = if self.rng.below(5) == 0 {
            "Decrypt"
        } else {
            "GenerateDataKey"
        };
        let identity = b"{\"type\":\"AWSService\",\"invokedBy\":\"cloudtrail.amazonaws.com\"}";
        let region = self.head(out, identity, "kms.amazonaws.com", name);
        let mut key = Vec::new();
        write!(key, "arn:aws:kms:{region}:{ACCOUNT}:key/").ok();
        self.rng.uuid(&mut key);
        let key = String::from_utf8(key).unwrap_or_default();
        write!(out, ",\"sourceIPAddress\":\"cloudtrail.amazonaws.com\",\"userAgent\":\"cloudtrail.amazonaws.com\",\"requestParameters\":{{\"keyId\":\"{key}\",\"encryptionContext\":{{\"aws:cloudtrail:arn\":\"arn:aws:cloudtrail:{region}:{ACCOUNT}:trail/org-trail\",\"aws:s3:arn\":\"arn:aws:s3:::acme-central-logs/AWSLogs/{ACCOUNT}/CloudTrail/{region}/2024/06/01/{ACCOUNT}_CloudTrail_{region}_20240601T0000Z_").ok();
        self.rng.upper(out, 16);
        write!(
            out,
            ".json.gz\"}},\"keySpec\":\"AES_256\"}},\"responseElements\":null"
        )
        .ok();
        self.tail(out, true, "Management");
        write!(out, ",\"resources\":[{{\"accountId\":\"{ACCOUNT}\",\"type\":\"AWS::KMS::Key\",\"ARN\":\"{key}\"}}],\"sharedEventID\":\"").ok();
        self.rng.uuid(out);
        out.extend_from_slice(b"\"}");
    }
}
