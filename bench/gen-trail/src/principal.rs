//! Records made by people and workloads: IAM users, assumed roles and root, with their
//! request parameters (a few large: policy documents, user data, filters).

use std::io::Write;

use crate::record::Gen;
use crate::tables::{ACCOUNT, AGENTS, CALLS, RARE_CALLS, ROLES, USERS};

impl Gen {
    /// A person or a workload: IAM user, assumed role or (rarely) root.
    pub fn principal(&mut self, out: &mut Vec<u8>) {
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
