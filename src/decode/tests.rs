use super::inflate::CHUNK;
use super::records::{INLINE_BUFFER, SMALL_OBJECT};
use super::*;
use flate2::write::GzEncoder;
use serde_json::Value;
use std::io::Write;

fn collect(bytes: &[u8]) -> Result<Vec<Value>, DecodeError> {
    let mut out = Vec::new();
    records(bytes, |r| out.push(serde_json::from_str(r).unwrap()))?;
    Ok(out)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

const DELIVERY: &str = r#"{"Records":[
    {"eventName":"A","userIdentity":null,"requestParameters":null},
    {"eventName":"B","unknownField":{"x":[1,2]}},
    {"eventName":"C","userIdentity":{"arn":"x"}}]}"#;

#[test]
fn plain_and_gzip_deliveries_yield_every_record_in_order() {
    for bytes in [DELIVERY.as_bytes().to_vec(), gzip(DELIVERY.as_bytes())] {
        let got = collect(&bytes).unwrap();
        let names: Vec<_> = got
            .iter()
            .map(|r| r["eventName"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["A", "B", "C"]);
    }
}

#[test]
fn concatenated_gzip_members_are_one_stream() {
    let mut bytes = gzip(br#"{"Records":[{"eventName":"A"}]}"#);
    bytes.extend(gzip(b"\n"));
    assert_eq!(collect(&bytes).unwrap().len(), 1);
}

#[test]
fn other_top_level_keys_are_ignored_wherever_they_stand() {
    let got = collect(br#"{"Records":[{"a":1}],"extra":{"b":2}}"#).unwrap();
    assert_eq!(got, vec![serde_json::json!({"a":1})]);
}

#[test]
fn arrays_and_ndjson_are_records_too() {
    assert_eq!(collect(br#"[{"a":1},{"a":2}]"#).unwrap().len(), 2);
    assert_eq!(collect(b"{\"a\":1}\n{\"a\":2}\n\n").unwrap().len(), 2);
}

#[test]
fn empty_input_has_no_records() {
    assert!(collect(b"").unwrap().is_empty());
    assert!(collect(br#"{"Records":[]}"#).unwrap().is_empty());
}

#[test]
fn records_that_is_not_an_array_is_an_error() {
    let err = collect(br#"{"Records":{"a":1}}"#).unwrap_err();
    assert!(matches!(err, DecodeError::Json(_)), "{err}");
    assert!(err.to_string().contains("Records to be an array"), "{err}");
}

#[test]
fn corrupt_gzip_is_a_read_error() {
    let mut bytes = gzip(DELIVERY.as_bytes());
    let mid = bytes.len() / 2;
    bytes[mid..mid + 8].copy_from_slice(b"garbage!");
    assert!(matches!(collect(&bytes), Err(DecodeError::Read(_))));
}

#[test]
fn truncated_file_keeps_the_records_before_the_cut() {
    let text = DELIVERY.as_bytes();
    let cut = &text[..text.len() - 40];
    let mut seen = 0;
    let result = records(cut, |_| seen += 1);
    assert!(result.is_err());
    assert_eq!(seen, 2);
}

#[test]
fn not_json_names_the_position() {
    let err = collect(b"hello").unwrap_err();
    assert!(err.to_string().contains("line 1 column 1"), "{err}");
}

#[test]
fn small_objects_inflated_in_line_and_big_ones_on_a_thread_read_the_same() {
    let record = |i: usize| format!(r#"{{"eventName":"E{i}","pad":"{}"}}"#, "x".repeat(200));
    for n in [
        100,
        SMALL_OBJECT / 220 - 10,
        SMALL_OBJECT / 220 + 10,
        20_000,
    ] {
        let text = format!(
            r#"{{"Records":[{}]}}"#,
            (0..n).map(record).collect::<Vec<_>>().join(",")
        );
        let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::none());
        gz.write_all(text.as_bytes()).unwrap();
        for bytes in [text.clone().into_bytes(), gz.finish().unwrap()] {
            let got = collect(&bytes).unwrap();
            assert_eq!(got.len(), n, "{} bytes", bytes.len());
            assert_eq!(got[n - 1]["eventName"], format!("E{}", n - 1));
        }
    }
}

#[test]
fn a_record_cut_anywhere_by_the_window_reads_whole() {
    // Values whose end is only known from the next byte (numbers, literals) or whose prefix
    // is not yet valid (`-`, `1.`, `1e`) land on the window's edge at every offset.
    let tail = r#"{"n":-1.5e3,"m":0.25,"t":true,"f":false,"z":null,"s":"a\"b","a":[1,-2]}"#;
    for shift in 0..tail.len() + 2 {
        for (window, bytes) in [(INLINE_BUFFER, 0), (CHUNK, SMALL_OBJECT)] {
            let pad = "x".repeat(window - 21 - shift);
            let mut text = format!(r#"{{"Records":[{{"p":"{pad}"}},{tail},{tail}"#);
            // Big enough to take the threaded path where `bytes` says so.
            while text.len() < bytes + 1024 {
                text.push_str(&format!(",{tail}"));
            }
            text.push_str("]}");
            let data = if bytes > 0 {
                gzip_incompressible(&text)
            } else {
                text.clone().into_bytes()
            };
            let got = collect(&data).unwrap_or_else(|e| panic!("shift {shift}: {e}"));
            let want: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(Value::from(got), want["Records"], "shift {shift}");
        }
    }
}

/// Gzip that does not shrink much, so the compressed object is as large as the text.
fn gzip_incompressible(text: &str) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::none());
    enc.write_all(text.as_bytes()).unwrap();
    enc.finish().unwrap()
}
