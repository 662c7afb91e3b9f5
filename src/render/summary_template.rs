//! A rule's `summary:` line, e.g. `"{userIdentity.arn} rebooted {requestParameters.instanceName}"`,
//! filled with the event's values so the alert's title says what happened in the rule author's
//! words. Placeholders are dotted paths (array items by index); a missing field renders as `?`,
//! `{{` and `}}` are literal braces.

use serde_json::Value;

use super::sanitize;
use crate::rules::field;

/// The template with each `{path}` replaced by the event's value, cleaned and capped.
pub fn render(template: &str, event: &Value) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if rest[i..].starts_with("{{") || rest[i..].starts_with("}}") {
            out.push_str(&rest[i..i + 1]);
            rest = &rest[i + 2..];
        } else if rest[i..].starts_with('{') {
            match after.find('}') {
                Some(end) => {
                    out.push_str(&value_text(field::get(event, after[..end].trim())));
                    rest = &after[end + 1..];
                }
                None => {
                    out.push_str(&rest[i..]);
                    rest = "";
                }
            }
        } else {
            out.push('}');
            rest = after;
        }
    }
    out.push_str(rest);
    sanitize::clean(&out, sanitize::FIELD_MAX * 2)
}

fn value_text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "?".into(),
        Some(Value::String(s)) if s.is_empty() => "?".into(),
        Some(Value::String(s)) => sanitize::clean(s, sanitize::FIELD_MAX),
        Some(other) => sanitize::clean(&other.to_string(), sanitize::FIELD_MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fills_paths_and_marks_missing() {
        let event = json!({"userIdentity": {"arn": "arn:aws:iam::1:root"},
                           "requestParameters": {"instanceName": "web-1"},
                           "resources": [{"ARN": "a1"}], "n": 3});
        let t = "{userIdentity.arn} rebooted {requestParameters.instanceName} ({nope.x}) \
                 {resources.0.ARN} {n} {{lit}}";
        assert_eq!(
            render(t, &event),
            "arn:aws:iam::1:root rebooted web-1 (?) a1 3 {lit}"
        );
    }

    #[test]
    fn values_are_cleaned_and_unterminated_braces_kept() {
        let event = json!({"a": "x\ny\u{7}"});
        assert_eq!(render("{a} {b", &event), "x y {b");
    }
}
