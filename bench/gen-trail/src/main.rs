//! Seeded synthetic CloudTrail delivery for `make bench`: `{"Records":[...]}`, gzipped.
//!
//! The mix follows real trails (see `bench/README.md`): mostly AWSService S3 and KMS records
//! written by log delivery, then IAM users and assumed roles across EC2/SSM/IAM/Secrets
//! Manager/STS, some root and Lightsail calls, and a few records with large `requestParameters`
//! (policies, user data). The same seed and size give the same bytes.
//!
//! `cargo run --release --manifest-path bench/gen-trail/Cargo.toml -- OUT.json.gz MEGABYTES [SEED]`

use std::fs::File;
use std::io::{BufWriter, Write};

use flate2::write::GzEncoder;
use flate2::Compression;

/// splitmix64: tiny, fast, and stable across versions, unlike a crate's default generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
    fn uuid(&mut self, out: &mut Vec<u8>) {
        let (a, b) = (self.next(), self.next());
        write!(
            out,
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | (b >> 48) & 0x3fff,
            b & 0xffff_ffff_ffff
        )
        .ok();
    }
    fn upper(&mut self, out: &mut Vec<u8>, n: usize) {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        for _ in 0..n {
            out.push(A[self.below(32) as usize]);
        }
    }
    fn b64(&mut self, out: &mut Vec<u8>, n: usize) {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for _ in 0..n {
            out.push(A[self.below(64) as usize]);
        }
    }
}

const ACCOUNT: &str = "123456789012";
const REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-1",
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-northeast-1",
    "ap-southeast-2",
];
const USERS: &[&str] = &[
    "alice",
    "bob",
    "ci-deploy",
    "terraform",
    "jmartin",
    "ops-admin",
];
const ROLES: &[&str] = &[
    "OrganizationAccountAccessRole",
    "AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b",
    "github-actions-deploy",
    "lambda-ingest-role",
    "eks-node-group-role",
];
const AGENTS: &[&str] = &[
    "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.79-99.164.amzn2023.x86_64 exe/x86_64.amzn.2023 prompt/off command/ec2.describe-instances",
    "APN/1.0 HashiCorp/1.0 Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/5.42.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.25.3 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64",
    "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#6.1.79 md/arch#x86_64 lang/python#3.12.2 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69",
    "console.amazonaws.com",
    "AWS Internal",
    "aws-sdk-java/1.12.680 Linux/5.10.210-201.852.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS java/17.0.10 vendor/Amazon.com_Inc.",
];
/// (eventSource, eventNames, readOnly) for human and role callers: the everyday calls.
const CALLS: &[(&str, &[&str], bool)] = &[
    (
        "s3.amazonaws.com",
        &["GetObject", "HeadBucket", "ListBuckets", "GetBucketPolicy"],
        true,
    ),
    (
        "ec2.amazonaws.com",
        &[
            "DescribeInstances",
            "DescribeRouteTables",
            "DescribeVpcs",
            "DescribeSubnets",
            "DescribeSecurityGroups",
            "DescribeAddresses",
        ],
        true,
    ),
    (
        "ec2.amazonaws.com",
        &["CreateTags", "StartInstances"],
        false,
    ),
    (
        "ssm.amazonaws.com",
        &["GetParameter", "DescribeParameters", "GetParametersByPath"],
        true,
    ),
    ("ssm.amazonaws.com", &["PutParameter"], false),
    (
        "iam.amazonaws.com",
        &[
            "GetUser",
            "ListRoles",
            "ListAttachedRolePolicies",
            "GetRole",
        ],
        true,
    ),
    (
        "secretsmanager.amazonaws.com",
        &["DescribeSecret", "ListSecrets"],
        true,
    ),
    (
        "sts.amazonaws.com",
        &["GetCallerIdentity", "AssumeRole"],
        true,
    ),
    (
        "kms.amazonaws.com",
        &["Decrypt", "DescribeKey", "ListAliases"],
        true,
    ),
    (
        "rds.amazonaws.com",
        &["DescribeDBInstances", "DescribeDBSnapshots"],
        true,
    ),
    (
        "cloudtrail.amazonaws.com",
        &["LookupEvents", "DescribeTrails", "GetTrailStatus"],
        true,
    ),
    (
        "lambda.amazonaws.com",
        &["ListFunctions20150331", "GetFunction20150331v2"],
        true,
    ),
    (
        "lightsail.amazonaws.com",
        &["GetInstances", "GetRegions", "GetInstance", "GetBundles"],
        true,
    ),
];
/// Calls detection rules look for; rare in real traffic (about 1 principal record in 200).
const RARE_CALLS: &[(&str, &[&str], bool)] = &[
    (
        "ec2.amazonaws.com",
        &[
            "RunInstances",
            "AuthorizeSecurityGroupIngress",
            "ModifyInstanceAttribute",
            "CreateKeyPair",
        ],
        false,
    ),
    (
        "iam.amazonaws.com",
        &[
            "PutRolePolicy",
            "CreateAccessKey",
            "AttachUserPolicy",
            "CreateUser",
            "CreateLoginProfile",
        ],
        false,
    ),
    ("ssm.amazonaws.com", &["SendCommand", "StartSession"], false),
    ("secretsmanager.amazonaws.com", &["GetSecretValue"], true),
    (
        "cloudtrail.amazonaws.com",
        &["StopLogging", "UpdateTrail"],
        false,
    ),
    (
        "lightsail.amazonaws.com",
        &[
            "CreateInstances",
            "RebootInstance",
            "OpenInstancePublicPorts",
            "GetInstanceAccessDetails",
        ],
        false,
    ),
];

struct Gen {
    rng: Rng,
    /// Seconds since 2024-06-01T00:00:00Z, advancing a little per record.
    clock: u64,
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

    fn ip(&mut self, out: &mut Vec<u8>) {
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

    fn tail(&mut self, out: &mut Vec<u8>, read_only: bool, category: &str) {
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

    fn head(
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
    fn service_s3(&mut self, out: &mut Vec<u8>) {
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
    fn service_kms(&mut self, out: &mut Vec<u8>) {
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

    /// A person or a workload: IAM user, assumed role or (rarely) root.
    fn principal(&mut self, out: &mut Vec<u8>) {
        let mut identity = Vec::new();
        let kind = self.rng.below(100);
        if kind < 55 {
            let user = self.rng.pick(USERS);
            write!(identity, "{{\"type\":\"IAMUser\",\"principalId\":\"AIDA").ok();
            self.rng.upper(&mut identity, 16);
            write!(identity, "\",\"arn\":\"arn:aws:iam::{ACCOUNT}:user/{user}\",\"accountId\":\"{ACCOUNT}\",\"accessKeyId\":\"AKIA").ok();
            self.rng.upper(&mut identity, 16);
            write!(identity, "\",\"userName\":\"{user}\"}}").ok();
        } else if kind < 95 {
            let role = self.rng.pick(ROLES);
            let session = self.rng.pick(USERS);
            write!(
                identity,
                "{{\"type\":\"AssumedRole\",\"principalId\":\"AROA"
            )
            .ok();
            self.rng.upper(&mut identity, 16);
            write!(identity, ":{session}\",\"arn\":\"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}\",\"accountId\":\"{ACCOUNT}\",\"accessKeyId\":\"ASIA").ok();
            self.rng.upper(&mut identity, 16);
            write!(identity, "\",\"sessionContext\":{{\"sessionIssuer\":{{\"type\":\"Role\",\"principalId\":\"AROA").ok();
            self.rng.upper(&mut identity, 16);
            write!(identity, "\",\"arn\":\"arn:aws:iam::{ACCOUNT}:role/{role}\",\"accountId\":\"{ACCOUNT}\",\"userName\":\"{role}\"}},\"webIdFederationData\":{{}},\"attributes\":{{\"creationDate\":\"2024-06-01T00:00:00Z\",\"mfaAuthenticated\":\"false\"}}}}}}").ok();
        } else {
            write!(identity, "{{\"type\":\"Root\",\"principalId\":\"{ACCOUNT}\",\"arn\":\"arn:aws:iam::{ACCOUNT}:root\",\"accountId\":\"{ACCOUNT}\",\"accessKeyId\":\"ASIA").ok();
            self.rng.upper(&mut identity, 16);
            write!(identity, "\",\"sessionContext\":{{\"sessionIssuer\":{{}},\"webIdFederationData\":{{}},\"attributes\":{{\"creationDate\":\"2024-06-01T00:00:00Z\",\"mfaAuthenticated\":\"true\"}}}}}}").ok();
        }
        let table = if self.rng.below(200) == 0 {
            RARE_CALLS
        } else {
            CALLS
        };
        let (source, names, read_only) = table[self.rng.below(table.len() as u64) as usize];
        let name = self.rng.pick(names);
        let region = self.head(out, &identity, source, name);
        out.extend_from_slice(b",\"sourceIPAddress\":\"");
        self.ip(out);
        let agent = self.rng.pick(AGENTS);
        write!(out, "\",\"userAgent\":\"{agent}\"").ok();
        if self.rng.below(20) == 0 {
            out.extend_from_slice(b",\"errorCode\":\"AccessDenied\",\"errorMessage\":\"User is not authorized to perform this operation\"");
        }
        out.extend_from_slice(b",\"requestParameters\":");
        self.parameters(out, source, name, region);
        out.extend_from_slice(b",\"responseElements\":null");
        self.tail(out, read_only, "Management");
        out.extend_from_slice(b",\"tlsDetails\":{\"tlsVersion\":\"TLSv1.3\",\"cipherSuite\":\"TLS_AES_128_GCM_SHA256\",\"clientProvidedHostHeader\":\"");
        write!(
            out,
            "{}.{region}.amazonaws.com\"}}}}",
            source.trim_end_matches(".amazonaws.com")
        )
        .ok();
    }

    /// Request parameters, a few of them large (policy documents, user data, filters).
    fn parameters(&mut self, out: &mut Vec<u8>, source: &str, name: &str, region: &str) {
        match (source, name) {
            ("iam.amazonaws.com", "PutRolePolicy") => {
                out.extend_from_slice(b"{\"roleName\":\"lambda-ingest-role\",\"policyName\":\"inline\",\"policyDocument\":\"{\\n  \\\"Version\\\": \\\"2012-10-17\\\",\\n  \\\"Statement\\\": [");
                for i in 0..40 {
                    if i > 0 {
                        out.push(b',');
                    }
                    write!(out, "\\n    {{\\\"Effect\\\": \\\"Allow\\\", \\\"Action\\\": [\\\"s3:GetObject\\\", \\\"s3:PutObject\\\"], \\\"Resource\\\": \\\"arn:aws:s3:::bucket-{i}/*\\\"}}").ok();
                }
                out.extend_from_slice(b"\\n  ]\\n}\"}");
            }
            ("ec2.amazonaws.com", "RunInstances") => {
                write!(out, "{{\"instancesSet\":{{\"items\":[{{\"imageId\":\"ami-0abcdef1234567890\",\"minCount\":1,\"maxCount\":1}}]}},\"instanceType\":\"m7g.large\",\"blockDeviceMapping\":{{}},\"availabilityZone\":\"{region}a\",\"monitoring\":{{\"enabled\":false}},\"disableApiTermination\":false,\"disableApiStop\":false,\"clientToken\":\"").ok();
                self.rng.uuid(out);
                out.extend_from_slice(b"\",\"userData\":\"");
                self.rng.b64(out, 8_000);
                out.extend_from_slice(b"\"}");
            }
            ("ec2.amazonaws.com", n) if n.starts_with("Describe") => {
                out.extend_from_slice(b"{\"maxResults\":1000,\"filterSet\":{\"items\":[");
                for i in 0..self.rng.below(12) {
                    if i > 0 {
                        out.push(b',');
                    }
                    write!(out, "{{\"name\":\"tag:team\",\"valueSet\":{{\"items\":[{{\"value\":\"team-{i}\"}}]}}}}").ok();
                }
                out.extend_from_slice(b"]}}");
            }
            ("s3.amazonaws.com", _) => {
                write!(out, "{{\"bucketName\":\"acme-data-{}\",\"Host\":\"acme-data.s3.{region}.amazonaws.com\",\"key\":\"exports/2024/06/part-{:05}.parquet\"}}", self.rng.below(9), self.rng.below(99_999)).ok();
            }
            ("lightsail.amazonaws.com", "CreateInstances") => {
                write!(out, "{{\"instanceNames\":[\"web-{}\"],\"availabilityZone\":\"{region}a\",\"blueprintId\":\"wordpress\",\"bundleId\":\"medium_3_0\",\"userData\":\"", self.rng.below(50)).ok();
                self.rng.b64(out, 2_000);
                out.extend_from_slice(b"\"}");
            }
            ("lightsail.amazonaws.com", _) => {
                write!(out, "{{\"instanceName\":\"web-{}\"}}", self.rng.below(50)).ok();
            }
            ("ssm.amazonaws.com", _) | ("secretsmanager.amazonaws.com", _) => {
                write!(
                    out,
                    "{{\"name\":\"/prod/app-{}/database-password\",\"withDecryption\":true}}",
                    self.rng.below(20)
                )
                .ok();
            }
            _ => out.extend_from_slice(b"null"),
        }
    }
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(path), Some(mb)) = (args.get(1), args.get(2).and_then(|m| m.parse::<u64>().ok()))
    else {
        eprintln!("usage: gen_trail OUT.json.gz MEGABYTES [SEED]");
        std::process::exit(2);
    };
    let seed = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(42);
    let level = std::env::var("GEN_LEVEL")
        .ok()
        .and_then(|l| l.parse().ok())
        .unwrap_or(6);
    let mut gz = GzEncoder::new(
        BufWriter::with_capacity(1 << 20, File::create(path)?),
        Compression::new(level),
    );
    let mut g = Gen {
        rng: Rng(seed),
        clock: 0,
    };
    let target = mb * 1_000_000;
    let mut written = 0u64;
    let mut records = 0u64;
    let mut buf = Vec::with_capacity(1 << 20);
    buf.extend_from_slice(b"{\"Records\":[");
    while written + (buf.len() as u64) < target {
        if records > 0 {
            buf.push(b',');
        }
        match g.rng.below(100) {
            0..=65 => g.service_s3(&mut buf),
            66..=80 => g.service_kms(&mut buf),
            _ => g.principal(&mut buf),
        }
        records += 1;
        if buf.len() > 1 << 20 {
            gz.write_all(&buf)?;
            written += buf.len() as u64;
            buf.clear();
        }
    }
    buf.extend_from_slice(b"]}\n");
    gz.write_all(&buf)?;
    written += buf.len() as u64;
    gz.finish()?.flush()?;
    eprintln!("gen_trail: {path}: {records} records, {written} bytes decompressed");
    Ok(())
}
