//! The few fields a counted match needs (its identity, and what a storm digest tallies), read
//! from the record's text without building it: a storm's matches cost a scan, not a parse.

use std::borrow::Cow;

use serde_json::Value;

use super::head::{members, read_into, Step};
use crate::rules::field;

/// A match's identity and the fields a storm digest counts; every one a plain string, or absent.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Glimpse<'a> {
    /// `eventID`.
    pub event_id: Option<Cow<'a, str>>,
    /// `eventTime`.
    pub event_time: Option<Cow<'a, str>>,
    /// `eventName`.
    pub event_name: Option<Cow<'a, str>>,
    /// `sourceIPAddress`.
    pub source_ip: Option<Cow<'a, str>>,
    /// `awsRegion`.
    pub region: Option<Cow<'a, str>>,
    /// `recipientAccountId`.
    pub recipient_account: Option<Cow<'a, str>>,
    /// `userIdentity.arn`.
    pub arn: Option<Cow<'a, str>>,
    /// `userIdentity.userName`.
    pub user_name: Option<Cow<'a, str>>,
    /// `userIdentity.accountId`.
    pub identity_account: Option<Cow<'a, str>>,
}

impl<'a> Glimpse<'a> {
    /// Reads the fields from a record's text. `None` where the text is not plain enough (an
    /// escape, a number where a string belongs, not an object): the record is parsed instead.
    pub fn scan(text: &'a str) -> Option<Glimpse<'a>> {
        let mut g = Glimpse::default();
        let bytes = text.as_bytes();
        let start = super::head::skip_ws(bytes, 0);
        members(bytes, start, |key, at| {
            let slot = match key {
                b"eventID" => &mut g.event_id,
                b"eventTime" => &mut g.event_time,
                b"eventName" => &mut g.event_name,
                b"sourceIPAddress" => &mut g.source_ip,
                b"awsRegion" => &mut g.region,
                b"recipientAccountId" => &mut g.recipient_account,
                b"userIdentity" => return identity(text, at, &mut g),
                _ => return Step::Skip,
            };
            read_into(text, at, slot)
        })?;
        Some(g)
    }

    /// The same fields from a parsed record; a value that is not a string is absent.
    pub fn of(event: &'a Value) -> Glimpse<'a> {
        let get = |path: &str| match field::get(event, path) {
            Some(Value::String(s)) => Some(Cow::Borrowed(s.as_str())),
            _ => None,
        };
        Glimpse {
            event_id: event
                .get("eventID")
                .and_then(Value::as_str)
                .map(Cow::Borrowed),
            event_time: get("eventTime"),
            event_name: get("eventName"),
            source_ip: get("sourceIPAddress"),
            region: get("awsRegion"),
            recipient_account: get("recipientAccountId"),
            arn: get("userIdentity.arn"),
            user_name: get("userIdentity.userName"),
            identity_account: get("userIdentity.accountId"),
        }
    }
}

/// The identity's fields, from the `userIdentity` value at `at`.
fn identity<'a>(text: &'a str, at: usize, g: &mut Glimpse<'a>) -> Step {
    if text.as_bytes()[at..].starts_with(b"null") {
        return Step::Read(4);
    }
    let len = members(text.as_bytes(), at, |key, i| {
        let slot = match key {
            b"arn" => &mut g.arn,
            b"userName" => &mut g.user_name,
            b"accountId" => &mut g.identity_account,
            _ => return Step::Skip,
        };
        read_into(text, i, slot)
    });
    match len {
        Some(len) => Step::Read(len),
        None => Step::GiveUp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scan_reads_what_the_parse_reads() {
        let text = r#"{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/r/s",
            "accountId":"111","sessionContext":{"sessionIssuer":{"arn":"x","userName":"r"}}},
            "eventTime":"2026-11-25T03:05:00Z","eventName":"GetInstances","awsRegion":"eu-west-1",
            "sourceIPAddress":"198.51.100.7","requestParameters":{"eventID":"nested"},
            "eventID":"e-1","recipientAccountId":"222"}"#;
        let parsed: Value = serde_json::from_str(text).unwrap();
        let g = Glimpse::scan(text).unwrap();
        assert_eq!(g, Glimpse::of(&parsed));
        assert_eq!(g.event_id.as_deref(), Some("e-1"));
        assert_eq!(g.arn.as_deref(), Some("arn:aws:sts::1:assumed-role/r/s"));
        assert_eq!(
            g.user_name, None,
            "the issuer's userName is not the identity's"
        );
        assert_eq!(g.identity_account.as_deref(), Some("111"));
    }

    #[test]
    fn odd_records_are_left_to_the_parse() {
        assert!(Glimpse::scan(r#"{"eventID":"a\u0062"}"#).is_none());
        assert!(Glimpse::scan(r#"{"sourceIPAddress":5}"#).is_none());
        assert!(Glimpse::scan(r#"{"userIdentity":[1]}"#).is_none());
        assert!(Glimpse::scan("[1]").is_none());
        let g = Glimpse::scan(r#"{"userIdentity":null,"eventID":null}"#).unwrap();
        assert_eq!(g, Glimpse::default());
    }
}
