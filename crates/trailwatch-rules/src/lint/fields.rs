//! What CloudTrail writes at the top of a record and under `userIdentity`, which of those
//! fields only ever hold text, and "did you mean" over names.
//!
//! Source: the CloudTrail record contents reference,
//! <https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html>
//! and its `userIdentity` element page.

/// Top-level fields of a CloudTrail record.
pub const TOP: &[&str] = &[
    "eventVersion",
    "userIdentity",
    "eventTime",
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "errorCode",
    "errorMessage",
    "requestParameters",
    "responseElements",
    "additionalEventData",
    "requestID",
    "eventID",
    "readOnly",
    "resources",
    "eventType",
    "apiVersion",
    "managementEvent",
    "recipientAccountId",
    "serviceEventDetails",
    "sharedEventID",
    "vpcEndpointId",
    "vpcEndpointAccountId",
    "eventCategory",
    "addendum",
    "sessionCredentialFromConsole",
    "edgeDeviceDetails",
    "tlsDetails",
    "insightDetails",
];

/// Fields directly under `userIdentity`.
pub const USER_IDENTITY: &[&str] = &[
    "type",
    "principalId",
    "arn",
    "accountId",
    "accessKeyId",
    "userName",
    "sessionContext",
    "invokedBy",
    "identityProvider",
    "credentialId",
    "onBehalfOf",
    "inScopeOf",
    "identityStoreArn",
];

/// What trailwatch's enrich stage adds under the record's `enrichment` (see RULES.md).
pub const ENRICHMENT: &[&str] = &[
    "enrichment.actor.name",
    "enrichment.actor.kind",
    "enrichment.actor.session",
    "enrichment.actor.account_name",
    "enrichment.account.name",
    "enrichment.source.kind",
    "enrichment.source.aws_service",
    "enrichment.source.aws_region",
    "enrichment.source.asn",
    "enrichment.source.as_org",
    "enrichment.source.country",
];

/// Fields that CloudTrail writes as text that is never a number, so `lt`/`gt` never hold.
pub const TEXT_ONLY: &[&str] = &[
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "errorCode",
    "errorMessage",
    "eventType",
    "eventCategory",
    "eventID",
    "requestID",
    "eventTime",
    "userIdentity.type",
    "userIdentity.arn",
    "userIdentity.principalId",
    "userIdentity.userName",
    "userIdentity.accessKeyId",
    "userIdentity.invokedBy",
];

/// Known fields that never hold an IP address: a `|cidr` on them never matches.
/// (`sourceIPAddress` does, and so may anything under the request, response and details.)
pub fn never_address(field: &str) -> bool {
    let top = field.split('.').next().unwrap_or(field);
    let free = [
        "sourceIPAddress",
        "requestParameters",
        "responseElements",
        "additionalEventData",
        "serviceEventDetails",
        "edgeDeviceDetails",
        "insightDetails",
        "addendum",
    ];
    !free.contains(&top) && (TOP.contains(&top))
}

/// Why `field` is not a field CloudTrail writes, with the closest known one; `None` when it
/// is (or when it lies below a free-form element such as `requestParameters`).
pub fn unknown_field(field: &str) -> Option<(String, Option<String>)> {
    let mut parts = field.split('.');
    let top = parts.next().unwrap_or_default();
    if top == "enrichment" {
        // The stage's fields, or an object on their way (`enrichment.source`).
        let known = ENRICHMENT
            .iter()
            .any(|f| *f == field || f.starts_with(&format!("{field}.")));
        let guess = closest(field, ENRICHMENT.iter().copied()).map(str::to_owned);
        return (!known).then(|| (field.to_owned(), guess));
    }
    if !TOP.contains(&top) {
        let lower = top.to_ascii_lowercase();
        let alias = ALIASES.iter().find(|(a, _)| *a == lower).map(|(_, f)| *f);
        let guess = alias
            .or_else(|| closest(top, TOP.iter().copied()))
            .or_else(|| prefix_guess(top, TOP))
            .map(str::to_owned);
        return Some((top.to_owned(), guess));
    }
    if top == "userIdentity" {
        if let Some(second) = parts.next() {
            if !USER_IDENTITY.contains(&second) {
                let guess = closest(second, USER_IDENTITY.iter().copied())
                    .map(|g| format!("userIdentity.{g}"));
                return Some((format!("userIdentity.{second}"), guess));
            }
        }
    }
    None
}

/// Names other log sources (and Sigma's generic taxonomy) use for what CloudTrail writes as.
const ALIASES: &[(&str, &str)] = &[
    ("user", "userIdentity.userName"),
    ("username", "userIdentity.userName"),
    ("user_name", "userIdentity.userName"),
    ("principal", "userIdentity.arn"),
    ("arn", "userIdentity.arn"),
    ("sourceip", "sourceIPAddress"),
    ("src_ip", "sourceIPAddress"),
    ("ip", "sourceIPAddress"),
    ("ipaddress", "sourceIPAddress"),
    ("region", "awsRegion"),
    ("account", "recipientAccountId"),
    ("accountid", "recipientAccountId"),
];

/// A known field starting like `word` (`user` → `userIdentity`, `source` → `sourceIPAddress`).
fn prefix_guess(word: &str, known: &[&'static str]) -> Option<&'static str> {
    let w = word.to_ascii_lowercase();
    if w.len() < 3 {
        return None;
    }
    known
        .iter()
        .copied()
        .find(|k| k.to_ascii_lowercase().starts_with(&w))
}

/// The candidate nearest to `word`: the same name in another case first, then one within a
/// small edit distance, then the one sharing the most distinctive CamelCase words with the same
/// verb (`PutEncryptionConfiguration` → `PutBucketEncryption`: "encryption" is rarer among the
/// candidates than "configuration").
pub fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    let cands: Vec<&str> = candidates.collect();
    if let Some(same) = cands.iter().find(|c| c.to_ascii_lowercase() == lower) {
        return Some(same);
    }
    let near_limit = (lower.len() / 8).max(2);
    let near = cands
        .iter()
        .map(|c| (edit_distance(&lower, &c.to_ascii_lowercase()), *c))
        .filter(|(d, _)| *d <= near_limit)
        .min();
    if let Some((_, c)) = near {
        return Some(c);
    }
    let words = camel_words(word);
    let split: Vec<Vec<String>> = cands.iter().map(|c| camel_words(c)).collect();
    let mut df: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for ws in &split {
        for w in ws {
            *df.entry(w.as_str()).or_default() += 1;
        }
    }
    let n = cands.len() as f64 + 1.0;
    let weight = |w: &str| (n / (*df.get(w).unwrap_or(&0) as f64 + 1.0)).ln().max(0.01);
    let mut best: Option<(f64, &str)> = None;
    for (c, cw) in cands.iter().zip(&split) {
        if words.is_empty() || words.first() != cw.first() {
            continue;
        }
        let shared: f64 = words
            .iter()
            .filter(|w| cw.contains(w))
            .map(|w| weight(w))
            .sum();
        let total: f64 = words
            .iter()
            .chain(cw.iter().filter(|w| !words.contains(w)))
            .map(|w| weight(w))
            .sum();
        let score = shared / total.max(f64::EPSILON);
        // The verb alone is no likeness.
        if words.iter().skip(1).any(|w| cw.contains(w))
            && score >= 0.3
            && best.is_none_or(|(b, _)| score > b)
        {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

/// `PutBucketLifecycle` → `["put", "bucket", "lifecycle"]`.
fn camel_words(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for ch in s.chars() {
        if !ch.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if ch.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
        cur.push(ch.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Levenshtein distance over bytes (names are ASCII).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let ops = [
            "AuthorizeCacheSecurityGroupIngress",
            "DeleteCacheSecurityGroup",
        ];
        assert_eq!(
            closest("AuthorizeCacheSecurityGroupEgress", ops.into_iter()),
            Some("AuthorizeCacheSecurityGroupIngress")
        );
        let s3 = [
            "PutBucketEncryption",
            "PutBucketLifecycle",
            "PutBucketAnalyticsConfiguration",
        ];
        assert_eq!(
            closest("PutEncryptionConfiguration", s3.into_iter()),
            Some("PutBucketEncryption")
        );
        assert_eq!(closest("Zebra", s3.into_iter()), None);
        assert_eq!(
            unknown_field("eventname"),
            Some(("eventname".into(), Some("eventName".into())))
        );
        assert_eq!(
            unknown_field("user"),
            Some(("user".into(), Some("userIdentity.userName".into())))
        );
        assert_eq!(unknown_field("requestParameters.anything.at.all"), None);
        assert_eq!(
            unknown_field("userIdentity.username"),
            Some((
                "userIdentity.username".into(),
                Some("userIdentity.userName".into())
            ))
        );
        assert!(never_address("userAgent"));
        assert!(!never_address("sourceIPAddress"));
        assert!(!never_address("requestParameters.cidrIp"));
    }
}

#[cfg(test)]
mod enrichment_tests {
    use super::unknown_field;

    #[test]
    fn the_enrich_stage_fields_are_known_and_a_typo_gets_the_closest() {
        assert_eq!(unknown_field("enrichment.source.country"), None);
        assert_eq!(unknown_field("enrichment.actor"), None);
        let (bad, guess) = unknown_field("enrichment.actor.nmae").unwrap();
        assert_eq!(bad, "enrichment.actor.nmae");
        assert_eq!(guess.as_deref(), Some("enrichment.actor.name"));
    }
}
