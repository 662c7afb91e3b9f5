//! Reading one field of a record by its dotted Sigma path (`userIdentity.arn`,
//! `requestParameters.items.0.name`), for everything that shows or keys on a value: alert text,
//! summaries, digests, suppression combinations and correlation groups.
//!
//! Each segment is an object key, or, on an array, an index written as RFC 6901 writes one
//! (`0`, `12`; not `01` or `+1`). A key holding a `.` cannot be named. Rule evaluation walks
//! paths differently on purpose: it tries every element of an array on the way
//! ([`Doc::any_leaf`](crate::Doc::any_leaf)), since a condition holds if any value matches,
//! while a reader here wants the one value a path names.
use serde_json::Value;

/// The value at `path`, if every segment leads somewhere.
pub fn get<'v>(record: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(record, |v, segment| match v {
        Value::Array(items) => items.get(index(segment)?),
        Value::Object(map) => map.get(segment),
        _ => None,
    })
}

/// The value at `path` as text: strings as they are, numbers and booleans as written, objects
/// and arrays as compact JSON, `None` where the field is missing or null.
pub fn text(record: &Value, path: &str) -> Option<String> {
    match get(record, path)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// An array index as RFC 6901 spells it: digits, no sign, no leading zero.
fn index(segment: &str) -> Option<usize> {
    let canonical = !segment.is_empty()
        && segment.bytes().all(|b| b.is_ascii_digit())
        && (segment == "0" || !segment.starts_with('0'));
    canonical.then(|| segment.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn walks_objects_and_indexes_arrays() {
        let v = json!({"a": [{"b": "x"}], "n": {"m": 3}});
        assert_eq!(get(&v, "a.0.b"), Some(&json!("x")));
        assert_eq!(get(&v, "a.1.b"), None);
        assert_eq!(get(&v, "n.m"), Some(&json!(3)));
        assert_eq!(get(&v, "n.m.k"), None);
    }

    #[test]
    fn text_writes_scalars_as_written_and_containers_as_json() {
        let v = json!({"s": "x", "n": 1.5, "b": true, "z": null, "o": {"k": [1, "2"]}});
        assert_eq!(text(&v, "s").as_deref(), Some("x"));
        assert_eq!(text(&v, "n").as_deref(), Some("1.5"));
        assert_eq!(text(&v, "b").as_deref(), Some("true"));
        assert_eq!(text(&v, "z"), None);
        assert_eq!(text(&v, "missing"), None);
        assert_eq!(text(&v, "o").as_deref(), Some(r#"{"k":[1,"2"]}"#));
    }

    /// The alert text's old reader took any `usize` (`01`, `+1`); suppression's JSON pointer
    /// took only canonical indexes, and its keys are stored, so canonical it is.
    #[test]
    fn only_canonical_indexes_enter_arrays() {
        let v = json!({"a": ["zero", "one"]});
        assert_eq!(get(&v, "a.1"), Some(&json!("one")));
        for odd in ["a.01", "a.+1", "a.-1", "a.", "a.1.", "a.00"] {
            assert_eq!(get(&v, odd), None, "{odd}");
        }
    }

    /// A numeric key of an object is a key, as in a JSON pointer.
    #[test]
    fn numeric_segments_on_objects_are_keys() {
        let v = json!({"a": {"0": "key", "01": "other"}});
        assert_eq!(get(&v, "a.0"), Some(&json!("key")));
        assert_eq!(get(&v, "a.01"), Some(&json!("other")));
    }

    /// The old pointer escaped `~` and `/`; a plain key lookup needs no escape.
    #[test]
    fn keys_with_pointer_syntax_are_read_plainly() {
        let v = json!({"a/b": {"c~d": 1}});
        assert_eq!(text(&v, "a/b.c~d").as_deref(), Some("1"));
    }

    /// Evaluation tries every element of an array on the way; this reader names one value, so
    /// a path through an array without an index finds nothing.
    #[test]
    fn arrays_are_not_flattened_as_evaluation_does() {
        let v = json!({"items": [{"name": "a"}, {"name": "b"}]});
        assert_eq!(get(&v, "items.name"), None);
        let mut seen = Vec::new();
        crate::doc::any_leaf(&v, &["items".into(), "name".into()], &mut |x| {
            seen.push(x.clone());
            false
        });
        assert_eq!(seen, [json!("a"), json!("b")]);
    }
}
