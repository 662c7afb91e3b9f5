//! Decode stage: a byte stream becomes CloudTrail records, one at a time.
//!
//! A delivery can be a gigabyte once inflated, so nothing here holds the whole text or a `Vec` of
//! records: the `Records` array is walked element by element and each is handed to a callback as
//! raw JSON, which the matcher parses only if some rule could care about it.
//!
//! Two stages, because inflating and walking each cost about as much as the other and a Lambda
//! above 1,769 MB has two cores: a thread inflates into 256 KiB chunks, and the caller's thread
//! splits records out of them with a byte scanner that only tracks strings and nesting. Records
//! are then validated from a slice, which serde_json does several times faster than through
//! `io::Read` (its reader path handles one byte per call).
//!
//! Accepted shapes, sniffed rather than trusted from the key's suffix:
//! - gzip (one or more members) or plain bytes;
//! - `{"Records": [...]}`, the CloudTrail delivery;
//! - a top-level array of records, as event-history exports write them;
//! - one or more record objects in a row (NDJSON), as log shippers write them.

use std::io::{self, BufRead, BufReader, Read};
use std::sync::mpsc;

use flate2::bufread::MultiGzDecoder;
use serde::de::{Error as _, IgnoredAny, Unexpected};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// Compressed bytes read from the source at a time.
const READ_BUFFER: usize = 256 * 1024;
/// Inflated bytes per chunk handed from the inflating thread to the walker.
const CHUNK: usize = 256 * 1024;
/// Chunks in flight between the two threads; with the one being walked, memory stays ~1 MiB.
const IN_FLIGHT: usize = 2;

/// Why an object's records could not all be read.
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
    /// Bytes per record (`MAX_RECORD_BYTES`). A record is buffered whole before it is matched:
    /// this is what bounds that buffer.
    pub max_record_bytes: u64,
}

/// Default for `MAX_OBJECT_BYTES`: 4 GiB.
pub const DEFAULT_MAX_OBJECT_BYTES: u64 = 4 * 1024 * 1024 * 1024;
/// Default for `MAX_RECORD_BYTES`: 16 MiB.
pub const DEFAULT_MAX_RECORD_BYTES: u64 = 16 * 1024 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_object_bytes: DEFAULT_MAX_OBJECT_BYTES,
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
        }
    }
}

/// Which bound an object went past.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitExceeded {
    /// The object, decompressed, is larger than `MAX_OBJECT_BYTES`.
    #[error("content is over the {limit} byte limit once decompressed (MAX_OBJECT_BYTES)")]
    Object {
        /// `MAX_OBJECT_BYTES`.
        limit: u64,
    },
    /// One record is larger than `MAX_RECORD_BYTES`.
    #[error("a record is over the {limit} byte limit (MAX_RECORD_BYTES)")]
    Record {
        /// `MAX_RECORD_BYTES`.
        limit: u64,
    },
}

impl DecodeError {
    /// A limit travels from the inflating thread as an I/O error; this takes it back out.
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
pub fn records<R: Read + Send>(
    reader: R,
    on_record: impl FnMut(&RawValue),
) -> Result<(), DecodeError> {
    records_with(reader, Limits::default(), on_record)
}

/// [`records`] within `limits`.
pub fn records_with<R: Read + Send>(
    reader: R,
    limits: Limits,
    mut on_record: impl FnMut(&RawValue),
) -> Result<(), DecodeError> {
    let (full_tx, full_rx) = mpsc::sync_channel::<io::Result<Vec<u8>>>(IN_FLIGHT);
    let (empty_tx, empty_rx) = mpsc::channel::<Vec<u8>>();
    std::thread::scope(|scope| {
        scope.spawn(move || inflate(reader, limits.max_object_bytes, &full_tx, &empty_rx));
        let mut walker = Walker {
            buf: Vec::with_capacity(CHUNK),
            pos: 0,
            offset: 0,
            chunks: full_rx,
            spare: empty_tx,
            eof: false,
            max_record_bytes: limits.max_record_bytes,
        };
        let result = walker.document(&mut on_record);
        // Dropping the receiver stops the inflating thread at its next send.
        drop(walker);
        result
    })
}

/// The first stage: reads, sniffs gzip, inflates, and sends full chunks.
fn inflate<R: Read>(
    reader: R,
    max_bytes: u64,
    out: &mpsc::SyncSender<io::Result<Vec<u8>>>,
    spare: &mpsc::Receiver<Vec<u8>>,
) {
    let mut raw = BufReader::with_capacity(READ_BUFFER, reader);
    let gzip = match raw.fill_buf() {
        Ok(head) => head.starts_with(&GZIP_MAGIC),
        Err(e) => {
            let _ = out.send(Err(e));
            return;
        }
    };
    let mut source: Box<dyn Read> = if gzip {
        Box::new(MultiGzDecoder::new(raw))
    } else {
        Box::new(raw)
    };
    let mut total = 0u64;
    loop {
        let mut chunk = spare
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(CHUNK));
        chunk.clear();
        chunk.resize(CHUNK, 0);
        let mut filled = 0;
        let read = loop {
            match source.read(&mut chunk[filled..]) {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    filled += n;
                    if filled == CHUNK {
                        break Ok(());
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        chunk.truncate(filled);
        total = total.saturating_add(filled as u64);
        if total > max_bytes {
            let _ = out.send(Err(io::Error::other(LimitExceeded::Object {
                limit: max_bytes,
            })));
            return;
        }
        let done = filled < CHUNK;
        if filled > 0 && out.send(Ok(chunk)).is_err() {
            return;
        }
        if let Err(e) = read {
            let _ = out.send(Err(e));
            return;
        }
        if done {
            return;
        }
    }
}

/// The second stage: walks the document's structure over a window of inflated text.
struct Walker {
    /// Unconsumed text from `pos`; earlier bytes are dropped when the next chunk arrives.
    buf: Vec<u8>,
    pos: usize,
    /// Stream offset of `buf[0]`, for error positions.
    offset: u64,
    chunks: mpsc::Receiver<io::Result<Vec<u8>>>,
    spare: mpsc::Sender<Vec<u8>>,
    eof: bool,
    /// No single value may span more than this many bytes.
    max_record_bytes: u64,
}

impl Walker {
    /// Appends the next chunk; `Ok(false)` at the end of the stream.
    fn more(&mut self) -> Result<bool, DecodeError> {
        if self.eof {
            return Ok(false);
        }
        match self.chunks.recv() {
            Ok(Ok(chunk)) => {
                if self.pos > 0 {
                    self.buf.drain(..self.pos);
                    self.offset += self.pos as u64;
                    self.pos = 0;
                }
                self.buf.extend_from_slice(&chunk);
                let _ = self.spare.send(chunk);
                Ok(true)
            }
            Ok(Err(e)) => Err(DecodeError::from_io(e)),
            Err(_) => {
                self.eof = true;
                Ok(false)
            }
        }
    }

    /// The next byte that is not JSON whitespace, without consuming it; `None` at the end.
    fn peek(&mut self) -> Result<Option<u8>, DecodeError> {
        loop {
            while let Some(&b) = self.buf.get(self.pos) {
                if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                    return Ok(Some(b));
                }
                self.pos += 1;
            }
            if !self.more()? {
                return Ok(None);
            }
        }
    }

    /// Every top-level value in the stream: one delivery, or NDJSON records.
    fn document(&mut self, on_record: &mut dyn FnMut(&RawValue)) -> Result<(), DecodeError> {
        while let Some(b) = self.peek()? {
            match b {
                b'{' => self.object(on_record)?,
                b'[' => self.array(on_record)?,
                _ => return Err(self.syntax_error()),
            }
        }
        Ok(())
    }

    /// A top-level object: a delivery with `Records`, or else itself a record.
    fn object(&mut self, on_record: &mut dyn FnMut(&RawValue)) -> Result<(), DecodeError> {
        self.pos += 1;
        let mut before_records = Map::new();
        let mut saw_records = false;
        if self.peek()? == Some(b'}') {
            self.pos += 1;
        } else {
            loop {
                if self.peek()? != Some(b'"') {
                    return Err(self.syntax_error());
                }
                let key_text = self.value()?;
                let key: String = serde_json::from_slice(key_text).map_err(DecodeError::Json)?;
                if self.peek()? != Some(b':') {
                    return Err(self.syntax_error());
                }
                self.pos += 1;
                if key == "Records" && !saw_records {
                    match self.peek()? {
                        Some(b'[') => self.array(on_record)?,
                        Some(b'{') => {
                            return Err(DecodeError::Json(serde_json::Error::invalid_type(
                                Unexpected::Map,
                                &"Records to be an array of records",
                            )))
                        }
                        _ => {
                            let text = self.value()?;
                            let e = match serde_json::from_slice::<Value>(text) {
                                Ok(_) => serde_json::Error::invalid_type(
                                    Unexpected::Other("a scalar"),
                                    &"Records to be an array of records",
                                ),
                                Err(e) => e,
                            };
                            return Err(DecodeError::Json(e));
                        }
                    }
                    saw_records = true;
                } else {
                    self.peek()?;
                    let text = self.value()?;
                    if !saw_records {
                        let value = serde_json::from_slice(text).map_err(DecodeError::Json)?;
                        before_records.insert(key, value);
                    } else {
                        serde_json::from_slice::<IgnoredAny>(text).map_err(DecodeError::Json)?;
                    }
                }
                match self.peek()? {
                    Some(b',') => self.pos += 1,
                    Some(b'}') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.syntax_error()),
                }
            }
        }
        if !saw_records {
            // No Records key: the object is itself a record.
            let text = serde_json::to_string(&before_records).map_err(DecodeError::Json)?;
            let record = RawValue::from_string(text).map_err(DecodeError::Json)?;
            on_record(&record);
        }
        Ok(())
    }

    /// An array of records, each split out by the scanner and checked from its slice.
    fn array(&mut self, on_record: &mut dyn FnMut(&RawValue)) -> Result<(), DecodeError> {
        self.pos += 1;
        if self.peek()? == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            if self.peek()?.is_none() {
                return Err(self.syntax_error());
            }
            let text = self.value()?;
            let record = std::str::from_utf8(text)
                .map_err(|_| {
                    DecodeError::Json(serde_json::Error::custom("invalid UTF-8 in a record"))
                })
                .and_then(|t| serde_json::from_str::<&RawValue>(t).map_err(DecodeError::Json))?;
            on_record(record);
            match self.peek()? {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.syntax_error()),
            }
        }
    }

    /// Consumes one JSON value starting at `pos` and returns its text, reading more as needed.
    /// Reading more moves the window, so the value always starts at `pos`.
    fn value(&mut self) -> Result<&[u8], DecodeError> {
        let mut scan = Scan::default();
        loop {
            let start = self.pos;
            let end = match scan.run(&self.buf[start..]) {
                Some(end) => Some(end),
                None if !self.more()? => {
                    if !scan.scalar_open() {
                        let error = self.error_at(start);
                        self.pos = self.buf.len();
                        return Err(error);
                    }
                    Some(self.buf.len() - start)
                }
                None if (self.buf.len() - self.pos) as u64 > self.max_record_bytes => {
                    return Err(LimitExceeded::Record {
                        limit: self.max_record_bytes,
                    }
                    .into());
                }
                None => None,
            };
            if let Some(end) = end {
                self.pos = start + end;
                return Ok(&self.buf[start..start + end]);
            }
        }
    }

    /// The error serde_json reports for the text from `at`, positioned in the whole stream.
    fn error_at(&self, at: usize) -> DecodeError {
        let text = &self.buf[at..];
        let e = match serde_json::from_slice::<IgnoredAny>(text) {
            Err(e) => e,
            Ok(_) => return DecodeError::Json(serde_json::Error::custom("unexpected text")),
        };
        let start = self.offset + at as u64;
        if start == 0 || e.is_eof() {
            DecodeError::Json(e)
        } else {
            let message = e.to_string();
            let message = message.split(" at line ").next().unwrap_or(&message);
            let at = start + e.column().saturating_sub(1) as u64;
            DecodeError::Json(serde_json::Error::custom(format!("{message} at byte {at}")))
        }
    }

    fn syntax_error(&self) -> DecodeError {
        if self.pos >= self.buf.len() {
            // serde_json's own wording for a cut-off document.
            return DecodeError::Json(
                serde_json::from_slice::<IgnoredAny>(b"[")
                    .expect_err("an open array is incomplete"),
            );
        }
        if self.offset == 0 && self.pos == 0 {
            return self.error_at(0);
        }
        let found = self.buf[self.pos] as char;
        DecodeError::Json(serde_json::Error::custom(format!(
            "unexpected {found:?} at byte {}",
            self.offset + self.pos as u64
        )))
    }
}

/// Finds where a JSON value ends, tracking only strings and nesting; resumable across chunks.
///
/// It does not validate: each record's slice is checked by serde_json afterwards.
#[derive(Default, Clone, Copy)]
pub(crate) struct Scan {
    /// Bytes of the value already scanned.
    done: usize,
    depth: u32,
    in_string: bool,
    escaped: bool,
    started: bool,
}

impl Scan {
    /// The value's length in `text` (which starts at the value), or `None` if it runs past it.
    pub(crate) fn run(&mut self, text: &[u8]) -> Option<usize> {
        let mut i = self.done;
        while i < text.len() {
            if self.in_string {
                // Strings are most of the bytes: jump to the next quote or backslash.
                if self.escaped {
                    self.escaped = false;
                    i += 1;
                    continue;
                }
                match memchr::memchr2(b'"', b'\\', &text[i..]) {
                    None => {
                        i = text.len();
                        break;
                    }
                    Some(k) => {
                        i += k;
                        if text[i] == b'\\' {
                            self.escaped = true;
                        } else {
                            self.in_string = false;
                            if self.depth == 0 {
                                self.done = i + 1;
                                return Some(i + 1);
                            }
                        }
                        i += 1;
                    }
                }
                continue;
            }
            let b = text[i];
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    if self.depth == 0 {
                        // A scalar ended at a closing bracket of the enclosing value.
                        self.done = i;
                        return Some(i);
                    }
                    self.depth -= 1;
                    if self.depth == 0 {
                        self.done = i + 1;
                        return Some(i + 1);
                    }
                }
                b',' | b' ' | b'\n' | b'\r' | b'\t' | b':' if self.depth == 0 && self.started => {
                    self.done = i;
                    return Some(i);
                }
                _ => {}
            }
            self.started = true;
            i += 1;
        }
        self.done = i;
        None
    }

    /// Whether the text so far is a number or literal that the end of input completes.
    fn scalar_open(&self) -> bool {
        self.started && self.depth == 0 && !self.in_string
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
