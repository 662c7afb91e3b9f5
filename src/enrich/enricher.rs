//! The loaded sources and what they make of a record: the `enrichment` object.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::accounts::Accounts;
use super::actor::{self, actor};
use super::error::EnrichError;
use super::geo::{Geo, Layout};
use super::ranges::IpRanges;
use crate::rules::{Doc, PathNode};

/// The record's top-level key the stage fills.
pub const FIELD: &str = "enrichment";

/// The record's own paths the stage reads: a projection for rules on `enrichment.*` takes
/// these too.
pub const INPUTS: &[&[&str]] = &[
    &["userIdentity"],
    &["sourceIPAddress"],
    &["recipientAccountId"],
];

/// Where each source of data is (`ENRICH_*`, or `scan`'s flags): a local path, or an
/// `s3://bucket/key` object ([`super::EnrichStore`]); `None` leaves its fields out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnrichSources {
    /// `ENRICH_ACCOUNTS`, `--accounts`: `id,name` lines.
    pub accounts: Option<PathBuf>,
    /// `ENRICH_IP_RANGES`, `--ip-ranges`: AWS's `ip-ranges.json`.
    pub ip_ranges: Option<PathBuf>,
    /// `ENRICH_ASN_DB`, `--asn-db`: a MaxMind DB in the GeoLite2-ASN layout.
    pub asn_db: Option<PathBuf>,
    /// `ENRICH_COUNTRY_DB`, `--country-db`: a MaxMind DB with `country.iso_code`.
    pub country_db: Option<PathBuf>,
}

/// Which parts of the enrichment are made: what the rules read, so a rule on the actor costs
/// no database lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wanted {
    /// `actor.*` (`account_name` too).
    pub actor: bool,
    /// `account.name`.
    pub account: bool,
    /// `source.kind`, `aws_service`, `aws_region`: the private ranges and AWS's.
    pub ranges: bool,
    /// `source.asn`, `as_org`.
    pub asn: bool,
    /// `source.country`.
    pub country: bool,
}

impl Wanted {
    /// Everything: what an alert carries.
    pub const ALL: Wanted = Wanted {
        actor: true,
        account: true,
        ranges: true,
        asn: true,
        country: true,
    };

    /// What the paths under `enrichment` (the rules' trie node for it) read.
    pub fn of(node: &PathNode) -> Wanted {
        if node.take() {
            return Wanted::ALL;
        }
        let reads = |key: &str| node.child(key.as_bytes()).is_some();
        let source = node.child(b"source");
        let under = |keys: &[&str]| {
            source.is_some_and(|s| s.take() || keys.iter().any(|k| s.child(k.as_bytes()).is_some()))
        };
        Wanted {
            actor: reads("actor"),
            account: reads("account"),
            ranges: under(&["kind", "aws_service", "aws_region"]),
            asn: under(&["asn", "as_org"]),
            country: under(&["country"]),
        }
    }
}

/// The loaded sources. With none, the stage still names the actor and the source's kind.
#[derive(Debug, Default)]
pub struct Enricher {
    accounts: Option<Accounts>,
    ranges: Option<IpRanges>,
    asn: Option<Geo>,
    country: Option<Geo>,
}

fn read(path: &Path) -> Result<String, EnrichError> {
    std::fs::read_to_string(path).map_err(|source| EnrichError::Read {
        file: path.display().to_string(),
        source,
    })
}

impl Enricher {
    /// Loads every configured source; the first that cannot be used stops the start.
    pub fn load(sources: &EnrichSources) -> Result<Enricher, EnrichError> {
        let name = |p: &Path| p.display().to_string();
        Ok(Enricher {
            accounts: match &sources.accounts {
                Some(p) => Some(Accounts::parse(&name(p), &read(p)?)?),
                None => None,
            },
            ranges: match &sources.ip_ranges {
                Some(p) => Some(IpRanges::parse(&name(p), &read(p)?)?),
                None => None,
            },
            asn: match &sources.asn_db {
                Some(p) => Some(Geo::open(p, Layout::Asn)?),
                None => None,
            },
            country: match &sources.country_db {
                Some(p) => Some(Geo::open(p, Layout::Country)?),
                None => None,
            },
        })
    }

    /// The enrichment of `record`, as the object rules and alerts read.
    pub fn enrich(&self, record: &dyn Doc) -> Value {
        self.enrich_parts(record, Wanted::ALL)
    }

    /// The `wanted` parts of the enrichment of `record`.
    pub fn enrich_parts(&self, record: &dyn Doc, wanted: Wanted) -> Value {
        let mut out = Map::new();
        if wanted.actor {
            out.insert("actor".into(), Value::Object(self.actor(record)));
        }
        let recipient = actor::text(record, &["recipientAccountId"]);
        let name = recipient.and_then(|id| self.account_name(id));
        if let Some(name) = name.filter(|_| wanted.account) {
            let mut account = Map::new();
            account.insert("name".into(), name.into());
            out.insert("account".into(), Value::Object(account));
        }
        let address = actor::text(record, &["sourceIPAddress"]);
        if let Some(address) = address.filter(|_| wanted.ranges || wanted.asn || wanted.country) {
            out.insert("source".into(), Value::Object(self.source(address, wanted)));
        }
        Value::Object(out)
    }

    /// `enrichment.actor`.
    fn actor(&self, record: &dyn Doc) -> Map<String, Value> {
        let who = actor(record);
        let mut a = Map::new();
        if let Some(name) = who.name {
            a.insert("name".into(), name.into());
        }
        a.insert("kind".into(), who.kind.as_str().into());
        if let Some(session) = who.session {
            a.insert("session".into(), session.into());
        }
        if let Some(name) = who.account.as_deref().and_then(|id| self.account_name(id)) {
            a.insert("account_name".into(), name.into());
        }
        a
    }

    /// The name of account `id`, where the accounts file has it.
    pub fn account_name(&self, id: &str) -> Option<&str> {
        self.accounts.as_ref()?.name(id)
    }

    /// `enrichment.source` for a `sourceIPAddress`, the `wanted` lookups only.
    fn source(&self, address: &str, wanted: Wanted) -> Map<String, Value> {
        let mut s = Map::new();
        let Ok(ip) = address.parse::<IpAddr>() else {
            // `lightsail.amazonaws.com`, `AWS Internal`: a service acted, not an address.
            s.insert("kind".into(), "aws-service".into());
            return s;
        };
        if is_private(ip) {
            s.insert("kind".into(), "private".into());
            return s;
        }
        match self
            .ranges
            .as_ref()
            .filter(|_| wanted.ranges)
            .and_then(|r| r.find(ip))
        {
            Some(range) => {
                s.insert("kind".into(), "aws".into());
                s.insert("aws_service".into(), range.service.to_string().into());
                s.insert("aws_region".into(), range.region.to_string().into());
            }
            None => {
                s.insert("kind".into(), "public".into());
            }
        }
        if let Some(asn) = self
            .asn
            .as_ref()
            .filter(|_| wanted.asn)
            .and_then(|g| g.asn(ip))
        {
            s.insert("asn".into(), asn.number.into());
            if let Some(org) = asn.org {
                s.insert("as_org".into(), org.into());
            }
        }
        let country = self.country.as_ref().filter(|_| wanted.country);
        if let Some(country) = country.and_then(|g| g.country(ip)) {
            s.insert("country".into(), country.into());
        }
        s
    }

    /// Adds the enrichment to a record's tree, as its top-level `enrichment` member, so that
    /// the plan, the correlate stage and the alert read it like any field.
    pub fn add_to(&self, record: &mut Value) {
        let enrichment = self.enrich(record);
        if let Value::Object(map) = record {
            map.insert(FIELD.into(), enrichment);
        }
    }
}

/// Addresses that are nobody's on the internet: RFC 1918, shared (CGNAT), loopback,
/// link-local and IPv6 unique-local.
fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => {
            let [first, second, ..] = a.octets();
            a.is_private()
                || a.is_loopback()
                || a.is_link_local()
                || (first == 100 && (64..128).contains(&second))
        }
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) => is_private(IpAddr::V4(v4)),
            None => a.is_loopback() || a.is_unique_local() || a.is_unicast_link_local(),
        },
    }
}
