//! Enrich stage: who acted, from where, in which account, as a record's `enrichment` object.
//!
//! CloudTrail never writes a top-level `enrichment` field, so rules read the stage's output
//! like any other field (`enrichment.actor.name`, `enrichment.source.country`), for matching,
//! `group-by`, `suppress: by` and correlations. The stage costs nothing for records no rule
//! reads it on: the matcher asks for it ([`Enriched`]) only when a rule reads an `enrichment`
//! path, and only once a record reaches that rule; a record that becomes an alert gets it
//! added to its tree ([`Enricher::add_to`]). Lookups never leave the process: every source is
//! loaded at start.
//!
//! | field | from |
//! |---|---|
//! | `actor.name`, `actor.kind`, `actor.session` | `userIdentity` ([`actor`]) |
//! | `actor.account_name`, `account.name` | the accounts file ([`Accounts`]) |
//! | `source.kind`, `source.aws_service`, `source.aws_region` | `sourceIPAddress`, AWS's `ip-ranges.json` ([`IpRanges`]) |
//! | `source.asn`, `source.as_org` | an ASN database ([`Geo`]) |
//! | `source.country` | a country or city database ([`Geo`]) |
//!
//! A field whose source is not configured, or that the source does not know, is absent.

use std::cell::OnceCell;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::rules::{Doc, Leaf, Node};

mod accounts;
mod actor;
mod geo;
mod ranges;
mod store;

pub use accounts::Accounts;
pub use actor::{actor, Actor, ActorKind};
pub use geo::{Asn, Geo, Layout};
pub use ranges::{AwsRange, IpRanges};
pub use store::{any_in_s3, load_once, Downloaded, EnrichStore};

/// The record's top-level key the stage fills.
pub const FIELD: &str = "enrichment";

/// The record's own paths the stage reads: a projection for rules on `enrichment.*` takes
/// these too.
pub const INPUTS: &[&[&str]] = &[
    &["userIdentity"],
    &["sourceIPAddress"],
    &["recipientAccountId"],
];

/// A data file that cannot be used, named.
#[derive(Debug, thiserror::Error)]
pub enum EnrichError {
    /// The file could not be read.
    #[error("{file}: {source}")]
    Read {
        /// The file.
        file: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file's content is not what the setting expects.
    #[error("{file}: {why}")]
    Invalid {
        /// The file.
        file: String,
        /// What is wrong, with the line where there is one.
        why: String,
    },
}

/// Where each source of data is (`ENRICH_*`, or `scan`'s flags): a local path, or an
/// `s3://bucket/key` object ([`EnrichStore`]); `None` leaves its fields out.
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
        let mut out = Map::new();
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
        out.insert("actor".into(), Value::Object(a));
        let recipient = actor::text(record, &["recipientAccountId"]);
        if let Some(name) = recipient.and_then(|id| self.account_name(id)) {
            let mut account = Map::new();
            account.insert("name".into(), name.into());
            out.insert("account".into(), Value::Object(account));
        }
        if let Some(address) = actor::text(record, &["sourceIPAddress"]) {
            out.insert("source".into(), Value::Object(self.source(address)));
        }
        Value::Object(out)
    }

    fn account_name(&self, id: &str) -> Option<&str> {
        self.accounts.as_ref()?.name(id)
    }

    /// `enrichment.source` for a `sourceIPAddress`.
    fn source(&self, address: &str) -> Map<String, Value> {
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
        match self.ranges.as_ref().and_then(|r| r.find(ip)) {
            Some(range) => {
                s.insert("kind".into(), "aws".into());
                s.insert("aws_service".into(), range.service.clone().into());
                s.insert("aws_region".into(), range.region.clone().into());
            }
            None => {
                s.insert("kind".into(), "public".into());
            }
        }
        if let Some(asn) = self.asn.as_ref().and_then(|g| g.asn(ip)) {
            s.insert("asn".into(), asn.number.into());
            if let Some(org) = asn.org {
                s.insert("as_org".into(), org.into());
            }
        }
        if let Some(country) = self.country.as_ref().and_then(|g| g.country(ip)) {
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

/// A record as the rules see it with the stage's output: `enrichment.*` paths read the
/// enrichment, made the first time a rule asks; every other path reads the record.
pub struct Enriched<'d, D: Doc + ?Sized> {
    record: &'d D,
    enricher: &'d Enricher,
    made: OnceCell<Value>,
}

impl<'d, D: Doc + ?Sized> Enriched<'d, D> {
    /// `record` with `enricher`'s output, not made yet.
    pub fn new(record: &'d D, enricher: &'d Enricher) -> Self {
        Enriched {
            record,
            enricher,
            made: OnceCell::new(),
        }
    }

    fn enrichment(&self) -> &Value {
        self.made.get_or_init(|| {
            let record: &dyn Doc = &Erased(self.record);
            self.enricher.enrich(record)
        })
    }
}

/// A `?Sized` document behind a sized handle, so it can be passed as `&dyn Doc`.
struct Erased<'d, D: Doc + ?Sized>(&'d D);

impl<D: Doc + ?Sized> Doc for Erased<'_, D> {
    fn any_leaf<'a>(&'a self, path: &[String], f: &mut dyn FnMut(Leaf<'a>) -> bool) -> bool {
        self.0.any_leaf(path, f)
    }
    fn any_string(&self, f: &mut dyn FnMut(&str) -> bool) -> bool {
        self.0.any_string(f)
    }
    fn at(&self, path: &[&str]) -> Option<Node<'_>> {
        self.0.at(path)
    }
}

impl<D: Doc + ?Sized> Doc for Enriched<'_, D> {
    fn any_leaf<'a>(&'a self, path: &[String], f: &mut dyn FnMut(Leaf<'a>) -> bool) -> bool {
        match path.split_first() {
            Some((head, rest)) if head == FIELD => self.enrichment().any_leaf(rest, f),
            _ => self.record.any_leaf(path, f),
        }
    }

    /// A keyword search reads the record's own strings, as CloudTrail wrote them.
    fn any_string(&self, f: &mut dyn FnMut(&str) -> bool) -> bool {
        self.record.any_string(f)
    }

    fn at(&self, path: &[&str]) -> Option<Node<'_>> {
        match path.split_first() {
            Some((&FIELD, rest)) => self.enrichment().at(rest),
            _ => self.record.at(path),
        }
    }
}

#[cfg(test)]
mod tests;
