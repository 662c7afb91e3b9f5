//! The head of a record: the fields the rule index is keyed on, read from its text without
//! building anything, and the member walker the projection shares.

use std::borrow::Cow;

use serde::Deserialize;

use crate::decode::Scan;

/// The two fields the rule index is keyed on; everything else is skipped unparsed.
#[derive(Deserialize)]
pub(super) struct Head<'a> {
    #[serde(rename = "eventSource", borrow, default)]
    pub(super) event_source: Option<Cow<'a, str>>,
    #[serde(rename = "eventName", borrow, default)]
    pub(super) event_name: Option<Cow<'a, str>>,
    #[serde(rename = "eventTime", borrow, default)]
    pub(super) event_time: Option<Cow<'a, str>>,
    /// Read so that a record that cannot be evaluated can still be named.
    #[serde(rename = "eventID", borrow, default)]
    pub(super) event_id: Option<Cow<'a, str>>,
    #[serde(rename = "userIdentity", borrow, default)]
    pub(super) user_identity: Option<IdentityHead<'a>>,
}

/// `userIdentity.type`, the third index key.
#[derive(Deserialize, Default)]
pub(super) struct IdentityHead<'a> {
    #[serde(rename = "type", borrow, default)]
    pub(super) kind: Option<Cow<'a, str>>,
}

/// Reads the head fields from a record's top-level keys without building anything: other values
/// are stepped over by the decoder's scanner. `None` (escapes, odd types, not an object) leaves the
/// record to serde. The text has already been validated as JSON by the decoder.
pub(super) fn fast_head(text: &str) -> Option<Head<'_>> {
    let mut head = Head {
        event_source: None,
        event_name: None,
        event_time: None,
        event_id: None,
        user_identity: None,
    };
    let start = skip_ws(text.as_bytes(), 0);
    members(text.as_bytes(), start, |key, at| {
        let slot = match key {
            b"eventSource" => &mut head.event_source,
            b"eventName" => &mut head.event_name,
            b"eventTime" => &mut head.event_time,
            b"eventID" => &mut head.event_id,
            b"userIdentity" => {
                return match fast_identity(text, at) {
                    Some((kind, len)) => {
                        head.user_identity = Some(IdentityHead { kind });
                        Step::Read(len)
                    }
                    None => Step::GiveUp,
                }
            }
            _ => return Step::Skip,
        };
        read_into(text, at, slot)
    })?;
    Some(head)
}

/// `type` inside the `userIdentity` value starting at `at`, and the bytes that value spans.
/// `None` when it is not a plain object (an array, escapes, a non-string type): serde decides.
fn fast_identity(text: &str, at: usize) -> Option<(Option<Cow<'_, str>>, usize)> {
    if text.as_bytes()[at..].starts_with(b"null") {
        return Some((None, 4));
    }
    let mut kind = None;
    let len = members(text.as_bytes(), at, |key, i| match key {
        b"type" => read_into(text, i, &mut kind),
        _ => Step::Skip,
    })?;
    Some((kind, len))
}

/// What a visitor of [`members`] did with one value.
pub(super) enum Step {
    /// Read it; it spans this many bytes.
    Read(usize),
    /// Not wanted: step over it.
    Skip,
    /// Not plain enough to read here: leave the whole record to serde.
    GiveUp,
}

/// Walks the members of the object at `at`, handing each key and its value's offset to
/// `visit`. Returns the object's length, or `None` where the text is not plain enough.
pub(super) fn members<'b>(
    bytes: &'b [u8],
    at: usize,
    mut visit: impl FnMut(&'b [u8], usize) -> Step,
) -> Option<usize> {
    if bytes.get(at) != Some(&b'{') {
        return None;
    }
    let mut i = skip_ws(bytes, at + 1);
    if bytes.get(i) == Some(&b'}') {
        return Some(i + 1 - at);
    }
    loop {
        let key = plain_string(bytes, i)?;
        i = skip_ws(bytes, i + key.len() + 2);
        if bytes.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(bytes, i + 1);
        i += match visit(key, i) {
            Step::Read(len) => len,
            Step::Skip => Scan::default().run(&bytes[i..])?,
            Step::GiveUp => return None,
        };
        i = skip_ws(bytes, i);
        match bytes.get(i)? {
            b',' => i = skip_ws(bytes, i + 1),
            b'}' => return Some(i + 1 - at),
            _ => return None,
        }
    }
}

/// Stores the plain string (or null) at `at` in `slot`; anything else gives up.
pub(super) fn read_into<'t>(text: &'t str, at: usize, slot: &mut Option<Cow<'t, str>>) -> Step {
    let bytes = text.as_bytes();
    match bytes.get(at) {
        Some(b'"') => match plain_string(bytes, at) {
            // Valid UTF-8: the slice lies between two ASCII quotes of a `str`.
            Some(value) => match text.get(at + 1..at + 1 + value.len()) {
                Some(v) => {
                    *slot = Some(Cow::Borrowed(v));
                    Step::Read(value.len() + 2)
                }
                None => Step::GiveUp,
            },
            None => Step::GiveUp,
        },
        Some(b'n') if bytes[at..].starts_with(b"null") => {
            *slot = None;
            Step::Read(4)
        }
        _ => Step::GiveUp,
    }
}

/// The body of the string starting at `at`, when it has no escapes.
pub(super) fn plain_string(bytes: &[u8], at: usize) -> Option<&[u8]> {
    if bytes.get(at) != Some(&b'"') {
        return None;
    }
    let body = &bytes[at + 1..];
    let end = memchr::memchr2(b'"', b'\\', body)?;
    (body[end] == b'"').then_some(&body[..end])
}

pub(super) fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while matches!(bytes.get(i), Some(b' ' | b'\n' | b'\r' | b'\t')) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> Option<(Option<String>, Option<String>, Option<String>)> {
        fast_head(text).map(|h| {
            let own = |c: Option<Cow<str>>| c.map(|c| c.into_owned());
            (own(h.event_source), own(h.event_name), own(h.event_time))
        })
    }

    #[test]
    fn fast_head_reads_the_key_fields_and_skips_the_rest() {
        let text = r#"{"userIdentity":{"type":"Root","x":[1,{"eventName":"no"}]},"eventTime":"2024-06-01T00:00:00Z",
            "eventSource" : "s3.amazonaws.com","requestParameters":{"a":"b\"}"},"eventName":"PutObject","n":1.5e3}"#;
        let (source, name, time) = head(text).unwrap();
        assert_eq!(source.as_deref(), Some("s3.amazonaws.com"));
        assert_eq!(name.as_deref(), Some("PutObject"));
        assert_eq!(time.as_deref(), Some("2024-06-01T00:00:00Z"));
    }

    #[test]
    fn fast_head_leaves_odd_records_to_serde() {
        assert!(head(r#"{"eventName":"Put\u004fbject"}"#).is_none());
        assert!(head(r#"{"eventName":5}"#).is_none());
        assert!(head("[1]").is_none());
        assert_eq!(head(r#"{"eventName":null}"#), Some((None, None, None)));
        assert_eq!(head("{}"), Some((None, None, None)));
    }

    fn identity(text: &str) -> Option<Option<String>> {
        fast_head(text).map(|h| h.user_identity.and_then(|u| u.kind).map(|c| c.into_owned()))
    }

    #[test]
    fn fast_head_reads_the_identity_type_and_leaves_odd_shapes_to_serde() {
        let text = r#"{"userIdentity":{"type":"Root","x":[1,{"type":"no"}]},"eventName":"A"}"#;
        assert_eq!(identity(text), Some(Some("Root".into())));
        assert_eq!(identity(r#"{"userIdentity":{"arn":"x"}}"#), Some(None));
        assert_eq!(identity(r#"{"userIdentity":null}"#), Some(None));
        assert_eq!(identity(r#"{"userIdentity":{}}"#), Some(None));
        assert_eq!(identity(r#"{"userIdentity":[{"type":"Root"}]}"#), None);
        assert_eq!(identity(r#"{"userIdentity":{"type":7}}"#), None);
    }
}
