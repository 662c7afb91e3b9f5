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

mod accounts;
mod actor;
mod doc;
mod enricher;
mod error;
mod geo;
mod ranges;
mod store;

pub use accounts::Accounts;
pub use actor::{actor, Actor, ActorKind, Identity};
pub use doc::Enriched;
pub use enricher::{EnrichSources, Enricher, Wanted, FIELD, INPUTS};
pub use error::EnrichError;
pub use geo::{Asn, Geo, Layout};
pub use ranges::{AwsRange, IpRanges};
pub use store::{any_in_s3, load_once, Downloaded, EnrichStore};

#[cfg(test)]
mod tests;
