//! A day of trail history in CloudTrail's own layout, for the backfill tests
//! (`tests/backfill_day.rs` through `trailwatch scan`, `tests/e2e_backfill.rs` through the
//! function as S3 Batch Operations tasks), with the rules of `tests/fixtures/backfill/`.
//!
//! Two regions, 2026-11-25, a file per region every 30 minutes of quiet calls (`ops`: one of
//! them denied, too few to alert) plus the files the story below needs; each file holds the 5 minutes before its key time. Listed as S3 lists
//! (by key), eu-west-1's whole day comes before us-east-1's. The story:
//!
//! | principal | what | alerts |
//! |---|---|---|
//! | `burst-east` | 6 denied calls, us-east-1, 10:00-10:04, one file | yes |
//! | `straddle` | 6 denied calls, eu-west-1, 14:02-14:08, two files; the second delivered 40 minutes late | yes |
//! | `pair` | port opened in us-east-1 at 12:01, login details fetched in eu-west-1 at 12:11 | yes |
//! | `quiet` | 4 denied calls, us-east-1, 16:00 | no |
//! | `dup` | 3 denied calls, us-east-1, 18:01; its file delivered twice under two keys | no |
//! | `reversed` | login details fetched at 13:01 (us-east-1), port opened at 13:11 (eu-west-1) | no |
//! | `ops` | a denied call every 30 minutes in each region, all day | no |
//! | `slow` | port opened at 08:01 (eu-west-1), login details fetched at 10:01 (us-east-1) | no |
#![allow(dead_code)]

use std::collections::BTreeMap;

use serde_json::{json, Value};

pub const ACCOUNT: &str = "111122223333";
pub const REGIONS: [&str; 2] = ["eu-west-1", "us-east-1"];
pub const RULES: &str = "tests/fixtures/backfill";
pub const BURST_ID: &str = "7b2e0c41-3f5a-4d6e-8a10-bf11a0000010";
pub const ORDERED_ID: &str = "7b2e0c41-3f5a-4d6e-8a10-bf11a0000011";

/// (correlation id, principal) of every alert the day must raise, in event-time order.
pub fn expected() -> Vec<(String, String)> {
    [
        (BURST_ID, "burst-east"),
        (ORDERED_ID, "pair"),
        (BURST_ID, "straddle"),
    ]
    .iter()
    .map(|(c, p)| (c.to_string(), arn(p)))
    .collect()
}

pub fn arn(principal: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:user/{principal}")
}

/// Seconds into the day of `hh:mm:ss`.
fn at(h: i64, m: i64, s: i64) -> i64 {
    h * 3600 + m * 60 + s
}

fn time(secs: i64) -> String {
    format!(
        "2026-11-25T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// One record: `who` calls `name` in `region` at `secs` into the day; `denied` sets errorCode.
fn call(id: &str, who: &str, name: &str, region: &str, secs: i64, denied: bool) -> Value {
    let mut r = json!({
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLE", "arn": arn(who),
                         "accountId": ACCOUNT, "userName": who},
        "eventTime": time(secs),
        "eventSource": if name.starts_with("Describe") { "ec2.amazonaws.com" } else { "lightsail.amazonaws.com" },
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": "198.51.100.23",
        "userAgent": "aws-cli/2.22.4",
        "requestParameters": null,
        "responseElements": null,
        "eventID": id,
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management"
    });
    if denied {
        r["errorCode"] = json!("AccessDenied");
    }
    r
}

/// Every distinct record of the day (region, seconds, record).
fn records() -> Vec<(&'static str, i64, Value)> {
    let mut out = Vec::new();
    let (eu, us) = (REGIONS[0], REGIONS[1]);
    let mut push = |who: &str, name: &str, region: &'static str, secs: i64, denied: bool| {
        let id = format!("{who}-{:05}-{}", secs, out.len());
        out.push((region, secs, call(&id, who, name, region, secs, denied)));
    };
    // All day in both regions, every half hour: a quiet call and a denied one (a quiet group
    // of the burst correlation, whose records move each region's clock through the day).
    for region in REGIONS {
        for slot in 0..48 {
            push("ops", "DescribeInstances", region, slot * 1800 + 60, false);
            push("ops", "GetBundles", region, slot * 1800 + 90, true);
        }
    }
    for i in 0..6 {
        push(
            "burst-east",
            "GetInstances",
            us,
            at(10, 0, 10) + 45 * i,
            true,
        );
    }
    for i in 0..6 {
        // 14:02..14:04 and 14:06..14:08: the 14:05 and 14:10 files.
        let s = if i < 3 {
            at(14, 2, 0) + 60 * i
        } else {
            at(14, 3, 0) + 60 * i
        };
        push("straddle", "GetBuckets", eu, s, true);
    }
    push("pair", "OpenInstancePublicPorts", us, at(12, 1, 0), false);
    push("pair", "GetInstanceAccessDetails", eu, at(12, 11, 0), false);
    for i in 0..4 {
        push("quiet", "GetDomains", us, at(16, 0, 5) + 30 * i, true);
    }
    for i in 0..3 {
        push("dup", "GetKeyPairs", us, at(18, 1, 0) + 20 * i, true);
    }
    push(
        "reversed",
        "GetInstanceAccessDetails",
        us,
        at(13, 1, 0),
        false,
    );
    push(
        "reversed",
        "OpenInstancePublicPorts",
        eu,
        at(13, 11, 0),
        false,
    );
    push("slow", "OpenInstancePublicPorts", eu, at(8, 1, 0), false);
    push("slow", "GetInstanceAccessDetails", us, at(10, 1, 0), false);
    out
}

/// A trail key for `region` delivered at `secs` into the day.
pub fn key(region: &str, secs: i64, suffix: &str) -> String {
    let stamp = format!("20261125T{:02}{:02}Z", secs / 3600, secs / 60 % 60);
    format!(
        "AWSLogs/{ACCOUNT}/CloudTrail/{region}/2026/11/25/{ACCOUNT}_CloudTrail_{region}_{stamp}_{suffix}.json.gz"
    )
}

/// The files of the day, in listing order (by key: region-major), each with its records.
pub fn files() -> Vec<(String, Vec<Value>)> {
    let mut by_file: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (region, secs, record) in records() {
        // A file holds the 5 minutes before its key time.
        let mut slot = (secs + 299) / 300 * 300;
        if region == REGIONS[0] && slot == at(14, 10, 0) {
            slot += 40 * 60; // the straddling burst's second file, 40 minutes late
        }
        let name = format!("{region}-{slot}");
        by_file
            .entry(key(region, slot, &name))
            .or_default()
            .push(record);
    }
    // The `dup` file again, under another key (a re-delivery, a copy between buckets).
    let dup: Vec<Value> = by_file
        .iter()
        .find(|(k, _)| k.contains("us-east-1_20261125T1805Z_"))
        .map(|(_, v)| v.clone())
        .expect("the 18:05 file");
    by_file.insert(key(REGIONS[1], at(18, 5, 0), "copy"), dup);
    by_file.into_iter().collect()
}

/// Every distinct record in eventTime order: one pass over the day.
pub fn one_pass() -> Vec<Value> {
    let mut all: Vec<(i64, Value)> = records().into_iter().map(|(_, s, r)| (s, r)).collect();
    all.sort_by_key(|(s, _)| *s);
    all.into_iter().map(|(_, r)| r).collect()
}

/// A trail file's body, gzipped.
pub fn gz(records: &[Value]) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(json!({ "Records": records }).to_string().as_bytes())
        .expect("gzip");
    gz.finish().expect("gzip")
}

/// (correlation id, principal, first, last, measure) of each correlation alert in `lines`
/// (JSON alerts, one per line or per message body), in their order.
pub fn alerts<'a>(
    bodies: impl IntoIterator<Item = &'a Value>,
) -> Vec<(String, String, String, String, f64)> {
    bodies
        .into_iter()
        .filter_map(|v| {
            let c = v.get("correlation")?;
            Some((
                c["rule"]["id"].as_str()?.to_owned(),
                c["group"]["userIdentity.arn"].as_str()?.to_owned(),
                c["first_event_time"].as_str()?.to_owned(),
                c["last_event_time"].as_str()?.to_owned(),
                c["measure"].as_f64()?,
            ))
        })
        .collect()
}
