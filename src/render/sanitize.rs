//! Every CloudTrail field is attacker-controllable: a user agent, a bucket name or a session name
//! is whatever the caller sent. These helpers make such text inert and bounded before it reaches
//! a person's inbox or a Slack channel.

use serde_json::Value;

/// Longest event-derived value shown to a person (characters).
pub const FIELD_MAX: usize = 256;
/// Longest string kept inside the alert JSON's `event` (characters).
pub const JSON_STRING_MAX: usize = 4096;

/// Control characters and invisible formatting (bidi overrides, zero-width) that can hide or
/// reorder text in a reader: removed, with line breaks and tabs turned into spaces.
fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// One line of plain, visible text, at most `max` characters (the cut is marked).
pub fn clean(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max * 4));
    let mut count = 0usize;
    let mut last_space = false;
    let mut chars = s.chars();
    for c in chars.by_ref() {
        let c = if matches!(c, '\n' | '\r' | '\t') {
            ' '
        } else {
            c
        };
        if is_hidden(c) {
            continue;
        }
        if c == ' ' && last_space {
            continue;
        }
        last_space = c == ' ';
        if count == max {
            let rest = 1 + chars.count();
            return format!("{}... [+{rest} chars]", out.trim_end());
        }
        out.push(c);
        count += 1;
    }
    out.trim().to_string()
}

/// [`clean`], borrowing `s` where cleaning would change nothing (the usual case: a value
/// shorter than `max` of printable ASCII, without doubled or edge spaces), so a storm's
/// counting allocates only for values it has not seen.
pub fn clean_cow(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    let plain = s.len() <= max
        && !s.starts_with(' ')
        && !s.ends_with(' ')
        && !s.contains("  ")
        && s.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
    if plain {
        std::borrow::Cow::Borrowed(s)
    } else {
        std::borrow::Cow::Owned(clean(s, max))
    }
}

/// Cuts `s` to at most `max` characters on a character boundary, marking the cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let kept: String = s.chars().take(max.saturating_sub(3)).collect();
    format!("{}...", kept.trim_end())
}

/// Printable ASCII only: dashes become `-`, other non-ASCII `?`, whitespace runs one space.
/// SNS subjects and message attribute names must be plain ASCII.
pub fn ascii(s: &str) -> String {
    let mapped: String = s
        .chars()
        .map(|c| match c {
            '\u{2010}'..='\u{2015}' => '-',
            c if c.is_whitespace() || c.is_control() => ' ',
            c if c.is_ascii() => c,
            _ => '?',
        })
        .collect();
    mapped.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Text for AWS Chatbot's `client-markdown`, which Slack renders: `&`, `<` and `>` escaped so
/// `<!channel>` and `<url|label>` stay literal, every `@` made a look-alike so no `@here`,
/// `@channel` or `@user` pings anyone, and backticks dropped so a value cannot leave its code
/// span. Apply after [`clean`].
pub fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '@' => out.push('\u{FF20}'),
            '`' => out.push('\''),
            c => out.push(c),
        }
    }
    out
}

/// An event value shown inline in Chatbot markdown: cleaned, capped, escaped, in a code span.
pub fn md_code(s: &str) -> String {
    format!("`{}`", markdown(&clean(s, FIELD_MAX)))
}

/// The event with every long string cut to `max_string` characters and a visible marker, so
/// the JSON stays valid and small whatever the caller put in it.
pub fn cap_strings(value: &Value, max_string: usize) -> Value {
    match value {
        Value::String(s) if s.chars().count() > max_string => {
            let total = s.chars().count();
            let kept: String = s.chars().take(max_string).collect();
            Value::String(format!(
                "{kept}...[truncated by trailwatch: {} of {total} chars dropped]",
                total - max_string
            ))
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| cap_strings(v, max_string)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (clean(k, FIELD_MAX), cap_strings(v, max_string)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Fields that identify an event; kept whole when bulkier fields are cut to fit.
const CORE_FIELDS: &[&str] = &[
    "eventVersion",
    "eventTime",
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "userIdentity",
    "eventID",
    "eventType",
    "recipientAccountId",
    "errorCode",
    "errorMessage",
    "readOnly",
];

/// The event cut to at most about `max_bytes` of JSON: long strings first, then the bulkiest
/// non-identifying fields (usually `requestParameters`/`responseElements`) replaced by a marker
/// object with a preview, then everything but the identifying fields. Always valid JSON.
pub fn cap_event(event: &Value, max_string: usize, max_bytes: usize) -> Value {
    let mut v = cap_strings(event, max_string);
    if json_len(&v) <= max_bytes {
        return v;
    }
    if let Value::Object(map) = &mut v {
        let mut bulky: Vec<(String, usize)> = map
            .iter()
            .filter(|(k, _)| !CORE_FIELDS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), json_len(v)))
            .collect();
        bulky.sort_by_key(|b| std::cmp::Reverse(b.1));
        for (key, size) in bulky {
            if let Some(field) = map.get_mut(&key) {
                let text = serde_json::to_string(field).unwrap_or_default();
                *field = serde_json::json!({
                    "truncatedByTrailwatch": true,
                    "originalBytes": size,
                    "preview": truncate(&text, 512),
                });
            }
            if json_len(&Value::Object(map.clone())) <= max_bytes {
                return v;
            }
        }
        map.retain(|k, _| CORE_FIELDS.contains(&k.as_str()));
        map.insert("truncatedByTrailwatch".into(), Value::Bool(true));
    }
    if json_len(&v) <= max_bytes {
        return v;
    }
    // Even the identifying fields are huge: cut their strings hard.
    cap_strings(&v, FIELD_MAX)
}

/// The length of `v` serialised as compact JSON.
pub fn json_len(v: &Value) -> usize {
    serde_json::to_string(v).map(|s| s.len()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn clean_strips_controls_and_caps() {
        assert_eq!(clean("a\nb\u{7}c\u{202E}d", 50), "a bcd");
        let long = clean(&"x".repeat(1000), 10);
        assert!(long.starts_with("xxxxxxxxxx... [+990 chars]"), "{long}");
    }

    #[test]
    fn clean_cow_is_clean_and_borrows_only_what_clean_keeps() {
        for s in [
            "arn:aws:iam::1:user/a b",
            " edge",
            "edge ",
            "a  b",
            "a\tb",
            "caf\u{e9}",
            "\u{202E}x",
            "",
            &"y".repeat(300),
            &"z".repeat(256),
        ] {
            let cow = clean_cow(s, FIELD_MAX);
            assert_eq!(cow, clean(s, FIELD_MAX), "{s:?}");
            if matches!(cow, std::borrow::Cow::Borrowed(_)) {
                assert_eq!(cow, s);
            }
        }
        assert!(matches!(
            clean_cow("198.51.100.7", 256),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn markdown_is_inert() {
        let s = markdown("<!channel> @here & `code` <http://x|y>");
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('@') && !s.contains('`'));
        assert!(s.starts_with("&lt;!channel&gt; \u{FF20}here &amp;"), "{s}");
    }

    #[test]
    fn ascii_maps_dashes_and_drops_controls() {
        assert_eq!(ascii("a \u{2014} b\u{7}\tc é"), "a - b c ?");
    }

    #[test]
    fn cap_event_keeps_identity_and_marks_cuts() {
        let event = json!({"eventID": "e1", "eventName": "X",
            "requestParameters": {"blob": "y".repeat(100_000)}});
        let capped = cap_event(&event, 100_000, 2_000);
        assert!(json_len(&capped) <= 2_000);
        assert_eq!(capped["eventID"], "e1");
        assert_eq!(capped["requestParameters"]["truncatedByTrailwatch"], true);
        let strings = cap_strings(&event, 10);
        let blob = strings["requestParameters"]["blob"].as_str().unwrap();
        assert!(blob.contains("truncated by trailwatch"));
    }
}
