//! Decode stage: a byte stream becomes CloudTrail records, one at a time.
//!
//! A delivery can be a gigabyte once inflated, so nothing here holds the whole text or a `Vec` of
//! records: a serde visitor walks the `Records` array and hands each element to a callback as raw
//! JSON, which the matcher parses only if some rule could care about it.
//!
//! Accepted shapes, sniffed rather than trusted from the key's suffix:
//! - gzip (one or more members) or plain bytes;
//! - `{"Records": [...]}`, the CloudTrail delivery;
//! - a top-level array of records, as event-history exports write them;
//! - one or more record objects in a row (NDJSON), as log shippers write them.

use std::cell::Cell;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;

use flate2::bufread::MultiGzDecoder;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const READ_BUFFER: usize = 256 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The bytes could not be read or inflated: corrupt or truncated gzip, or a failed read.
    #[error("cannot read the content: {0}")]
    Read(#[source] io::Error),
    /// The inflated text is not JSON, or not JSON shaped like CloudTrail.
    #[error("not a CloudTrail file: {0}")]
    Json(#[source] serde_json::Error),
    /// The content went past a configured bound; the records before it were delivered.
    #[error(transparent)]
    Limit(#[from] LimitExceeded),
}

/// Bounds on one object, so a gzip bomb or one giant record ends in an error naming the limit
/// instead of exhausting the function's memory or time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Decompressed bytes per object (`MAX_OBJECT_BYTES`). Real deliveries reach about 1 GB.
    pub max_object_bytes: u64,
    /// Bytes per record (`MAX_RECORD_BYTES`), counted as the stream advances between records,
    /// so it holds to within one read buffer (256 KiB). A record is buffered whole before it
    /// is matched: this is what bounds that buffer.
    pub max_record_bytes: u64,
}

pub const DEFAULT_MAX_OBJECT_BYTES: u64 = 4 * 1024 * 1024 * 1024;
pub const DEFAULT_MAX_RECORD_BYTES: u64 = 16 * 1024 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_object_bytes: DEFAULT_MAX_OBJECT_BYTES,
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitExceeded {
    #[error("content is over the {limit} byte limit once decompressed (MAX_OBJECT_BYTES)")]
    Object { limit: u64 },
    #[error("a record is over the {limit} byte limit (MAX_RECORD_BYTES)")]
    Record { limit: u64 },
}

impl DecodeError {
    fn from_json(e: serde_json::Error) -> Self {
        if e.is_io() {
            DecodeError::from_io(e.into())
        } else {
            DecodeError::Json(e)
        }
    }

    /// A limit travels through the JSON reader as an I/O error; this takes it back out.
    fn from_io(e: io::Error) -> Self {
        match e.get_ref().and_then(|i| i.downcast_ref::<LimitExceeded>()) {
            Some(limit) => DecodeError::Limit(limit.clone()),
            None => DecodeError::Read(e),
        }
    }
}

/// Calls `on_record` for every record in `reader`, in order.
///
/// Records seen before an error have been delivered: a truncated file still yields what it held.
pub fn records<R: Read>(reader: R, on_record: impl FnMut(&RawValue)) -> Result<(), DecodeError> {
    records_with(reader, Limits::default(), on_record)
}

/// [`records`] within `limits`.
pub fn records_with<R: Read>(
    reader: R,
    limits: Limits,
    mut on_record: impl FnMut(&RawValue),
) -> Result<(), DecodeError> {
    let mut raw = BufReader::with_capacity(READ_BUFFER, reader);
    let head = raw.fill_buf().map_err(DecodeError::Read)?;
    if head.is_empty() {
        return Ok(());
    }
    let consumed = Rc::new(Cell::new(0u64));
    let last_record_end = Rc::new(Cell::new(0u64));
    let mut on_record = |record: &RawValue| {
        last_record_end.set(consumed.get());
        on_record(record);
    };
    let capped = |inner| Capped {
        inner,
        limits,
        consumed: Rc::clone(&consumed),
        last_record_end: Rc::clone(&last_record_end),
    };
    if head.starts_with(&GZIP_MAGIC) {
        let inflated: Box<dyn Read> = Box::new(MultiGzDecoder::new(raw));
        walk(
            BufReader::with_capacity(READ_BUFFER, capped(inflated)),
            &mut on_record,
        )
    } else {
        let plain: Box<dyn Read> = Box::new(raw);
        walk(
            BufReader::with_capacity(READ_BUFFER, capped(plain)),
            &mut on_record,
        )
    }
}

/// Counts the bytes the JSON reader takes and fails a read once either limit is passed.
struct Capped<'r> {
    inner: Box<dyn Read + 'r>,
    limits: Limits,
    consumed: Rc<Cell<u64>>,
    last_record_end: Rc<Cell<u64>>,
}

impl Read for Capped<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let total = self.consumed.get().saturating_add(n as u64);
        self.consumed.set(total);
        let exceeded = if total > self.limits.max_object_bytes {
            LimitExceeded::Object {
                limit: self.limits.max_object_bytes,
            }
        } else if total - self.last_record_end.get() > self.limits.max_record_bytes {
            LimitExceeded::Record {
                limit: self.limits.max_record_bytes,
            }
        } else {
            return Ok(n);
        };
        Err(io::Error::other(exceeded))
    }
}

fn walk<R: Read>(reader: R, on_record: &mut dyn FnMut(&RawValue)) -> Result<(), DecodeError> {
    let mut de = serde_json::Deserializer::from_reader(reader);
    loop {
        TopLevel {
            on_record: &mut *on_record,
        }
        .deserialize(&mut de)
        .map_err(DecodeError::from_json)?;
        match de.end() {
            Ok(()) => return Ok(()),
            // Another value follows: newline-delimited records.
            Err(e) if e.is_syntax() && e.to_string().starts_with("trailing characters") => continue,
            Err(e) => return Err(DecodeError::from_json(e)),
        }
    }
}

/// One top-level JSON value: a delivery, an array of records, or a lone record.
struct TopLevel<'f> {
    on_record: &'f mut dyn FnMut(&RawValue),
}

impl<'de> DeserializeSeed<'de> for TopLevel<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopLevel<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(r#"a CloudTrail delivery {"Records": [...]}, an array of records, or a record"#)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut before_records = Map::new();
        let mut saw_records = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "Records" && !saw_records {
                map.next_value_seed(RecordArray {
                    on_record: &mut *self.on_record,
                })?;
                saw_records = true;
            } else if saw_records {
                map.next_value::<IgnoredAny>()?;
            } else {
                before_records.insert(key, map.next_value::<Value>()?);
            }
        }
        if !saw_records {
            // No Records key: the object is itself a record.
            let text = serde_json::to_string(&before_records).map_err(de::Error::custom)?;
            let record = RawValue::from_string(text).map_err(de::Error::custom)?;
            (self.on_record)(&record);
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        RecordArray {
            on_record: self.on_record,
        }
        .visit_seq(seq)
    }
}

/// The `Records` array, streamed element by element.
struct RecordArray<'f> {
    on_record: &'f mut dyn FnMut(&RawValue),
}

impl<'de> DeserializeSeed<'de> for RecordArray<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RecordArray<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("Records to be an array of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(record) = seq.next_element::<Box<RawValue>>()? {
            (self.on_record)(&record);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn collect(bytes: &[u8]) -> Result<Vec<Value>, DecodeError> {
        let mut out = Vec::new();
        records(bytes, |r| out.push(serde_json::from_str(r.get()).unwrap()))?;
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
}
