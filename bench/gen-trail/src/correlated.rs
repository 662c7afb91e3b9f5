//! Records for the correlation row of `make bench`: Lightsail read calls by many principals,
//! each principal's calls close together, so a correlation over them has many groups to keep.

use std::io::Write;

use crate::record::Gen;
use crate::tables::ACCOUNT;

/// `GEN_CORRELATED=N:P`: N records over P principals, spread evenly through the file.
pub struct Plan {
    pub records: u64,
    pub principals: u64,
}

impl Plan {
    /// The plan from `GEN_CORRELATED`, if set and well formed.
    pub fn from_env() -> Option<Plan> {
        let v = std::env::var("GEN_CORRELATED").ok()?;
        let (n, p) = v.split_once(':')?;
        let plan = Plan {
            records: n.parse().ok()?,
            principals: p.parse().ok()?,
        };
        (plan.records > 0 && plan.principals > 0).then_some(plan)
    }

    /// The principal of correlated record `i`: runs of records/principals in a row, so each
    /// principal's calls fall within minutes of each other.
    fn principal(&self, i: u64) -> u64 {
        let run = (self.records / self.principals).max(1);
        (i / run) % self.principals
    }
}

impl Gen {
    /// Correlated record `i` of `plan`: `BenchCorrelated`, by `bench-corr-<principal>`.
    pub fn correlated(&mut self, out: &mut Vec<u8>, plan: &Plan, i: u64) {
        let user = format!("bench-corr-{:05}", plan.principal(i));
        let identity = format!(
            "{{\"type\":\"IAMUser\",\"principalId\":\"AIDABENCH{i:011}\",\"arn\":\"arn:aws:iam::{ACCOUNT}:user/{user}\",\"accountId\":\"{ACCOUNT}\",\"userName\":\"{user}\"}}"
        );
        self.head(
            out,
            identity.as_bytes(),
            "lightsail.amazonaws.com",
            "BenchCorrelated",
        );
        out.extend_from_slice(b",\"sourceIPAddress\":\"");
        self.ip(out);
        write!(
            out,
            "\",\"userAgent\":\"aws-cli/2.15.0\",\"requestParameters\":null,\"responseElements\":null"
        )
        .ok();
        self.tail(out, true, "Management");
        out.push(b'}');
    }
}
