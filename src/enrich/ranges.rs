//! AWS's published address ranges (`ip-ranges.json`): whether an address is AWS's, and which
//! service and region AWS says it belongs to.
//!
//! Lookups go from the longest prefix down, one hash probe per length, so a rule that reads
//! `enrichment.source.kind` on every record costs well under a microsecond each. Where several
//! entries cover an address, the longest prefix wins, and at one length a named service wins
//! over the `AMAZON` superset.

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use serde::Deserialize;

use super::error::EnrichError;

/// The service and region of an AWS range; a handful of distinct values shared by thousands
/// of prefixes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsRange {
    /// `service` as published (`EC2`, `S3`, `AMAZON`, ...).
    pub service: Arc<str>,
    /// `region` as published (`us-east-1`, `GLOBAL`, ...).
    pub region: Arc<str>,
}

/// The ranges, by prefix length and masked address.
#[derive(Debug, Clone, Default)]
pub struct IpRanges {
    v4: HashMap<(u8, u32), AwsRange>,
    v6: HashMap<(u8, u128), AwsRange>,
    lengths_v4: Vec<u8>,
    lengths_v6: Vec<u8>,
}

// Borrowed from the text: the file is read at every cold start, and its 12,000 entries
// allocate nothing but the tables.
#[derive(Deserialize)]
struct File<'a> {
    #[serde(borrow, default)]
    prefixes: Vec<Prefix<'a>>,
    #[serde(borrow, default)]
    ipv6_prefixes: Vec<Prefix<'a>>,
}

#[derive(Deserialize)]
struct Prefix<'a> {
    #[serde(borrow, alias = "ipv6_prefix")]
    ip_prefix: Cow<'a, str>,
    #[serde(borrow)]
    region: Cow<'a, str>,
    #[serde(borrow)]
    service: Cow<'a, str>,
}

fn mask_v4(addr: u32, len: u8) -> u32 {
    match len {
        0 => 0,
        len => addr & (u32::MAX << (32 - u32::from(len))),
    }
}

fn mask_v6(addr: u128, len: u8) -> u128 {
    match len {
        0 => 0,
        len => addr & (u128::MAX << (128 - u32::from(len))),
    }
}

/// Keeps `range` at `key` unless a named service is there already: `AMAZON` is the superset.
fn keep<K: std::hash::Hash + Eq>(map: &mut HashMap<K, AwsRange>, key: K, range: AwsRange) {
    match map.entry(key) {
        Entry::Occupied(mut o) if &*o.get().service == "AMAZON" => {
            o.insert(range);
        }
        Entry::Occupied(_) => {}
        Entry::Vacant(v) => {
            v.insert(range);
        }
    }
}

impl IpRanges {
    /// Parses AWS's `ip-ranges.json` as published, read from `file` (named in errors).
    pub fn parse(file: &str, text: &str) -> Result<IpRanges, EnrichError> {
        let parsed: File = serde_json::from_str(text).map_err(|e| EnrichError::Invalid {
            file: file.to_string(),
            why: format!("not AWS's ip-ranges.json layout: {e}"),
        })?;
        if parsed.prefixes.is_empty() && parsed.ipv6_prefixes.is_empty() {
            return Err(EnrichError::Invalid {
                file: file.to_string(),
                why: "no `prefixes` or `ipv6_prefixes` entries".into(),
            });
        }
        let mut ranges = IpRanges::default();
        let mut names: HashMap<Cow<str>, Arc<str>> = HashMap::new();
        let mut intern = |s: Cow<'_, str>| -> Arc<str> {
            if let Some(a) = names.get(&s) {
                return Arc::clone(a);
            }
            let a: Arc<str> = Arc::from(&*s);
            names.insert(Cow::Owned(s.into_owned()), Arc::clone(&a));
            a
        };
        for entry in parsed.prefixes.into_iter().chain(parsed.ipv6_prefixes) {
            let net: ipnet::IpNet = entry.ip_prefix.parse().map_err(|_| EnrichError::Invalid {
                file: file.to_string(),
                why: format!("{:?} is not an address prefix", entry.ip_prefix),
            })?;
            let range = AwsRange {
                service: intern(entry.service),
                region: intern(entry.region),
            };
            let len = net.prefix_len();
            match net {
                ipnet::IpNet::V4(n) => keep(
                    &mut ranges.v4,
                    (len, mask_v4(n.network().into(), len)),
                    range,
                ),
                ipnet::IpNet::V6(n) => keep(
                    &mut ranges.v6,
                    (len, mask_v6(n.network().into(), len)),
                    range,
                ),
            }
        }
        let mut v4: Vec<u8> = ranges.v4.keys().map(|(l, _)| *l).collect();
        let mut v6: Vec<u8> = ranges.v6.keys().map(|(l, _)| *l).collect();
        for lengths in [&mut v4, &mut v6] {
            lengths.sort_unstable_by(|a, b| b.cmp(a));
            lengths.dedup();
        }
        ranges.lengths_v4 = v4;
        ranges.lengths_v6 = v6;
        Ok(ranges)
    }

    /// The most specific range holding `addr`, if AWS publishes one.
    pub fn find(&self, addr: IpAddr) -> Option<&AwsRange> {
        match addr {
            IpAddr::V4(a) => {
                let a = u32::from(a);
                self.lengths_v4
                    .iter()
                    .find_map(|&len| self.v4.get(&(len, mask_v4(a, len))))
            }
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(v4) => self.find(IpAddr::V4(v4)),
                None => {
                    let a = u128::from(a);
                    self.lengths_v6
                        .iter()
                        .find_map(|&len| self.v6.get(&(len, mask_v6(a, len))))
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_prefix_and_a_named_service_win() {
        let text = r#"{"syncToken":"1","createDate":"2026-12-01-00-00-00","prefixes":[
            {"ip_prefix":"3.0.0.0/9","region":"GLOBAL","service":"AMAZON","network_border_group":"GLOBAL"},
            {"ip_prefix":"3.5.140.0/22","region":"ap-northeast-2","service":"AMAZON","network_border_group":"ap-northeast-2"},
            {"ip_prefix":"3.5.140.0/22","region":"ap-northeast-2","service":"S3","network_border_group":"ap-northeast-2"}],
            "ipv6_prefixes":[{"ipv6_prefix":"2600:1f14::/35","region":"us-west-2","service":"EC2","network_border_group":"us-west-2"}]}"#;
        let r = IpRanges::parse("ip-ranges.json", text).unwrap();
        let s3 = r.find("3.5.141.9".parse().unwrap()).unwrap();
        assert_eq!((&*s3.service, &*s3.region), ("S3", "ap-northeast-2"));
        assert_eq!(
            &*r.find("3.100.0.1".parse().unwrap()).unwrap().region,
            "GLOBAL"
        );
        assert!(r.find("203.0.113.7".parse().unwrap()).is_none());
        assert_eq!(
            &*r.find("2600:1f14::1".parse().unwrap()).unwrap().service,
            "EC2"
        );
        assert_eq!(
            &*r.find("::ffff:3.5.140.1".parse().unwrap()).unwrap().service,
            "S3"
        );
        let e = IpRanges::parse("ranges.json", "{\"prefixes\": 3}").unwrap_err();
        assert!(e.to_string().contains("ranges.json"), "{e}");
    }
}
