//! Records nested deeper than the JSON parser builds, cut back to a depth it does.
//!
//! serde_json validates a raw record without recursion, so a record 100,000 levels deep reaches
//! the matcher; building its tree stops at 128 levels. Rather than leave such a record unjudged,
//! the matcher reads it again through [`cut_deep`], which keeps every value down to
//! [`MAX_KEPT_DEPTH`] levels and puts [`DEEP_MARKER`] in place of each container below. Only a
//! record that fails to build pays for this; the text is already capped by `MAX_RECORD_BYTES`,
//! and the copy is never longer than the record plus one marker per cut.

use super::scan::Scan;

/// Levels of objects and arrays kept when a record is cut, the record itself being level 1.
/// Below serde_json's 128 with room for the alert JSON that wraps the record, so an alert's
/// reader parses it with the same limit.
pub const MAX_KEPT_DEPTH: usize = 100;

/// What stands in for a value nested deeper than [`MAX_KEPT_DEPTH`] levels: a JSON string, so
/// the record keeps its shape and a reader of the alert sees where the cut was.
pub const DEEP_MARKER: &str = "[trailwatch: nested deeper than 100 levels, not kept]";

/// `text` (one valid JSON value) with every object or array that opens below `max_depth` levels
/// replaced by the string [`DEEP_MARKER`], and how many were replaced. Strings, scalars and
/// everything down to `max_depth` are copied byte for byte. `None` only if `text` was not
/// valid UTF-8 JSON to begin with.
pub fn cut_deep(text: &str, max_depth: usize) -> Option<(String, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len().min(1 << 20));
    let (mut depth, mut cuts) = (0usize, 0usize);
    // `bytes[..copied]` is in `out` (or replaced); `i` is the next byte to look at.
    let (mut copied, mut i) = (0usize, 0usize);
    while let Some(&b) = bytes.get(i) {
        match b {
            // A string (or a key) is stepped over whole, brackets and escapes in it untouched.
            b'"' => i += Scan::default().run(&bytes[i..])?,
            b'{' | b'[' if depth >= max_depth => {
                let len = Scan::default().run(&bytes[i..])?;
                out.extend_from_slice(&bytes[copied..i]);
                out.push(b'"');
                out.extend_from_slice(DEEP_MARKER.as_bytes());
                out.push(b'"');
                cuts += 1;
                i += len;
                copied = i;
            }
            b'{' | b'[' => {
                depth += 1;
                i += 1;
            }
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                i += 1;
            }
            _ => i += 1,
        }
    }
    out.extend_from_slice(&bytes[copied..]);
    // Cuts fall only on ASCII brackets and quotes, so the copy stays UTF-8.
    String::from_utf8(out).ok().map(|text| (text, cuts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn nested(depth: usize, open: &str, inner: &str, close: &str) -> String {
        format!("{}{inner}{}", open.repeat(depth), close.repeat(depth))
    }

    /// Levels of objects and arrays in `v`.
    fn depth_of(v: &Value) -> usize {
        match v {
            Value::Array(items) => 1 + items.iter().map(depth_of).max().unwrap_or(0),
            Value::Object(map) => 1 + map.values().map(depth_of).max().unwrap_or(0),
            _ => 0,
        }
    }

    #[test]
    fn the_marker_names_the_depth_kept() {
        assert!(DEEP_MARKER.contains(&format!(" {MAX_KEPT_DEPTH} levels")));
        const { assert!(MAX_KEPT_DEPTH < 128) };
    }

    #[test]
    fn depth_at_the_limit_is_kept_and_beyond_is_replaced() {
        // Three levels: kept whole at a limit of 3.
        let text = r#"{"a":[{"b":1}],"c":[2]}"#;
        assert_eq!(cut_deep(text, 3), Some((text.to_string(), 0)));
        // At 2, the innermost object is the one cut; its siblings stay.
        let (cut, n) = cut_deep(text, 2).unwrap();
        assert_eq!(n, 1);
        let want = json!({"a": [DEEP_MARKER], "c": [2]});
        assert_eq!(serde_json::from_str::<Value>(&cut).unwrap(), want);
        // At 1, both arrays go; at 0, the whole value is the marker.
        let (cut, n) = cut_deep(text, 1).unwrap();
        assert_eq!(n, 2);
        let want = json!({"a": DEEP_MARKER, "c": DEEP_MARKER});
        assert_eq!(serde_json::from_str::<Value>(&cut).unwrap(), want);
        assert_eq!(cut_deep(text, 0).unwrap().0, format!("\"{DEEP_MARKER}\""));
    }

    #[test]
    fn strings_holding_brackets_quotes_and_escapes_are_copied_untouched() {
        let text = r#" { "k[{" : "]}\"[{\\" , "e\u005b" : [ "\"]" , { "x" : "}" } ] } "#;
        assert_eq!(cut_deep(text, 3), Some((text.to_string(), 0)));
        let (cut, n) = cut_deep(text, 1).unwrap();
        assert_eq!(n, 1);
        let got: Value = serde_json::from_str(&cut).unwrap();
        assert_eq!(got, json!({"k[{": "]}\"[{\\", "e[": DEEP_MARKER}));
        assert!(
            cut.starts_with(r#" { "k[{" : "]}\"[{\\" , "e\u005b" : "#),
            "{cut}"
        );
    }

    #[test]
    fn a_record_100000_levels_deep_builds_after_the_cut() {
        let deep = nested(100_000, r#"{"a":"#, r#""x""#, "}");
        let text = format!(r#"{{"eventName":"E","requestParameters":{deep},"z":[1,"é"]}}"#);
        assert!(serde_json::from_str::<Value>(&text).is_err());
        let (cut, n) = cut_deep(&text, MAX_KEPT_DEPTH).unwrap();
        assert_eq!(n, 1);
        assert!(
            cut.len() < 2 * MAX_KEPT_DEPTH * 5 + 200,
            "{} bytes",
            cut.len()
        );
        let record: Value = serde_json::from_str(&cut).unwrap();
        assert_eq!(depth_of(&record), MAX_KEPT_DEPTH);
        assert_eq!(record["eventName"], "E");
        assert_eq!(record["z"], json!([1, "é"]));
        let mut v = &record["requestParameters"];
        for _ in 2..MAX_KEPT_DEPTH {
            v = &v["a"];
        }
        assert_eq!(v["a"], DEEP_MARKER);
        // Arrays are cut the same way, and a scalar at the deepest kept level stays.
        let arrays = nested(MAX_KEPT_DEPTH, "[", "7", "]");
        assert_eq!(cut_deep(&arrays, MAX_KEPT_DEPTH), Some((arrays.clone(), 0)));
        let (cut, n) = cut_deep(&format!("[{arrays}]"), MAX_KEPT_DEPTH).unwrap();
        assert_eq!(
            (n, cut),
            (
                1,
                format!("{}\"{DEEP_MARKER}\"{}", "[".repeat(100), "]".repeat(100))
            )
        );
    }
}
