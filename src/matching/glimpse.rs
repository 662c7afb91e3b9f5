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
    /// `userIdentity.type`.
    pub identity_type: Option<Cow<'a, str>>,
    /// `userIdentity.invokedBy`.
    pub invoked_by: Option<Cow<'a, str>>,
    /// `userIdentity.sessionContext.sessionIssuer.arn`.
    pub issuer_arn: Option<Cow<'a, str>>,
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
            identity_type: get("userIdentity.type"),
            invoked_by: get("userIdentity.invokedBy"),
            issuer_arn: get("userIdentity.sessionContext.sessionIssuer.arn"),
        }
    }

    /// The principal a person would name (`enrichment.actor.name`), as far as these fields
    /// tell: a role rather than its sessions.
    pub fn actor_name(&self) -> Option<String> {
        let identity = crate::enrich::Identity {
            kind: self.identity_type.as_deref(),
            arn: self.arn.as_deref(),
            account_id: self.identity_account.as_deref(),
            user_name: self.user_name.as_deref(),
            invoked_by: self.invoked_by.as_deref(),
            issuer_arn: self.issuer_arn.as_deref(),
            ..Default::default()
        };
        identity.actor().name
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
            b"type" => &mut g.identity_type,
            b"invokedBy" => &mut g.invoked_by,
            b"sessionContext" => {
                return nested(text, i, &[b"sessionIssuer", b"arn"], &mut g.issuer_arn)
            }
            _ => return Step::Skip,
        };
        read_into(text, i, slot)
    });
    match len {
        Some(len) => Step::Read(len),
        None => Step::GiveUp,
    }
}

/// The string at `path` inside the object at `at` (the last of duplicate keys, as the parse
/// keeps), into `slot`; a `null` or any other value on the way reads as absent, as
/// `Glimpse::of` reads it.
fn nested<'a>(text: &'a str, at: usize, path: &[&[u8]], slot: &mut Option<Cow<'a, str>>) -> Step {
    let bytes = text.as_bytes();
    let Some((key, rest)) = path.split_first() else {
        return read_into(text, at, slot);
    };
    if bytes.get(at) != Some(&b'{') {
        // Not an object: the path is absent; its length is the scanner's to tell.
        let Some(len) = crate::decode::Scan::default().run(&bytes[at..]) else {
            return Step::GiveUp;
        };
        *slot = None;
        return Step::Read(len);
    }
    let mut found = false;
    let len = members(bytes, at, |k, i| {
        if k != *key {
            return Step::Skip;
        }
        found = true;
        nested(text, i, rest, slot)
    });
    if !found {
        *slot = None;
    }
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
        assert_eq!(g.issuer_arn.as_deref(), Some("x"));
        assert_eq!(
            g.actor_name().as_deref(),
            Some("x"),
            "the role that issued the session"
        );
        let bare = r#"{"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/r/s",
            "sessionContext":{"sessionIssuer":null}},"eventID":"e"}"#;
        let g = Glimpse::scan(bare).unwrap();
        assert_eq!(g, Glimpse::of(&serde_json::from_str(bare).unwrap()));
        assert_eq!(g.actor_name().as_deref(), Some("arn:aws:iam::1:role/r"));
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
