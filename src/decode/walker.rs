//! The second stage: the document's structure walked over a window of inflated text, each
//! record handed on as a validated raw slice.

use std::io;
use std::sync::mpsc;

use serde::de::{Error as _, IgnoredAny, Unexpected};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::depth::{cut_deep, MAX_KEPT_DEPTH};
use super::error::DecodeError;
use super::inflate::Inflater;
use super::limits::LimitExceeded;
use super::scan::Scan;

/// Where inflated chunks come from: the inflating thread, or an inflater driven in line (small
/// objects, where a thread costs more than it saves).
pub(super) enum Chunks<'r> {
    /// Chunks from the inflating thread; emptied ones go back through `spare`.
    Thread {
        /// Full chunks, or the error that ended the stream.
        full: mpsc::Receiver<io::Result<Vec<u8>>>,
        /// Emptied chunks, for reuse.
        spare: mpsc::Sender<Vec<u8>>,
    },
    /// Inflated on the walker's own thread, one chunk at a time.
    Inline(Inflater<'r>, Option<Vec<u8>>),
}

impl Chunks<'_> {
    fn next(&mut self) -> Option<io::Result<Vec<u8>>> {
        match self {
            Chunks::Thread { full, .. } => full.recv().ok(),
            Chunks::Inline(inflater, spare) => inflater.next(spare.take()),
        }
    }

    fn recycle(&mut self, chunk: Vec<u8>) {
        match self {
            Chunks::Thread { spare, .. } => {
                let _ = spare.send(chunk);
            }
            Chunks::Inline(_, spare) => *spare = Some(chunk),
        }
    }
}

/// The second stage: walks the document's structure over a window of inflated text.
pub(super) struct Walker<'r> {
    /// Unconsumed text from `pos`; earlier bytes are dropped when the next chunk arrives.
    buf: Vec<u8>,
    pos: usize,
    /// Stream offset of `buf[0]`, for error positions.
    offset: u64,
    chunks: Chunks<'r>,
    eof: bool,
    /// No single value may span more than this many bytes.
    max_record_bytes: u64,
}

impl<'r> Walker<'r> {
    /// A walker over the inflated text `chunks` brings.
    pub(super) fn new(chunks: Chunks<'r>, max_record_bytes: u64) -> Walker<'r> {
        Walker {
            buf: Vec::new(),
            pos: 0,
            offset: 0,
            chunks,
            eof: false,
            max_record_bytes,
        }
    }

    /// Appends the next chunk; `Ok(false)` at the end of the stream.
    fn more(&mut self) -> Result<bool, DecodeError> {
        if self.eof {
            return Ok(false);
        }
        match self.chunks.next() {
            Some(Ok(chunk)) => {
                if self.pos > 0 {
                    self.buf.drain(..self.pos);
                    self.offset += self.pos as u64;
                    self.pos = 0;
                }
                self.buf.extend_from_slice(&chunk);
                self.chunks.recycle(chunk);
                Ok(true)
            }
            Some(Err(e)) => Err(DecodeError::from_io(e)),
            None => {
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
    pub(super) fn document(
        &mut self,
        on_record: &mut dyn FnMut(&RawValue),
    ) -> Result<(), DecodeError> {
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
                        before_records.insert(key, member(text)?);
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

    /// An array of records, each split out and validated from its slice in one pass.
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
            self.record(on_record)?;
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

    /// One record from `pos`: serde_json finds where it ends while it validates it, so its
    /// bytes are read once. A record the window cuts off is tried again once the window holds
    /// at least twice as much of it, so a long record costs a bounded number of tries.
    fn record(&mut self, on_record: &mut dyn FnMut(&RawValue)) -> Result<(), DecodeError> {
        loop {
            // Reading more moves the window, so the record always starts at `pos`.
            let start = self.pos;
            let window_end = self.buf.len();
            let tried = {
                let text = &self.buf[start..];
                let mut stream =
                    serde_json::Deserializer::from_slice(text).into_iter::<&RawValue>();
                match stream.next() {
                    Some(Ok(raw)) => {
                        let end = stream.byte_offset();
                        // A number or literal that reaches the window's end may go on after it.
                        let open = !raw.get().ends_with(['}', ']', '"']);
                        if start + end == window_end && open && !self.eof {
                            None
                        } else {
                            on_record(raw);
                            Some(Ok(end))
                        }
                    }
                    Some(Err(e)) if e.is_eof() => None,
                    // A number cut at the window's end (`-`, `1.`) reads as invalid there.
                    Some(Err(e)) if !self.eof && near_end(text, &e) => None,
                    Some(Err(e)) => Some(Err(e)),
                    None => None,
                }
            };
            match tried {
                Some(Ok(end)) => {
                    self.pos = start + end;
                    return Ok(());
                }
                Some(Err(e)) => return Err(DecodeError::Json(e)),
                None => {}
            }
            let held = window_end - start;
            while self.buf.len() - self.pos < 2 * held.max(1) {
                if (self.buf.len() - self.pos) as u64 > self.max_record_bytes {
                    return Err(LimitExceeded::Record {
                        limit: self.max_record_bytes,
                    }
                    .into());
                }
                if !self.more()? {
                    break;
                }
            }
            if self.eof && self.buf.len() - self.pos == held {
                let error = self.error_at(self.pos);
                self.pos = self.buf.len();
                return Err(error);
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

/// A member of a top-level object, which may be a record: built, or, where only its depth stops
/// serde_json, built cut back so that the record (level 1) keeps [`MAX_KEPT_DEPTH`] levels.
fn member(text: &[u8]) -> Result<Value, DecodeError> {
    let error = match serde_json::from_slice(text) {
        Ok(value) => return Ok(value),
        Err(e) if e.to_string().starts_with("recursion limit exceeded") => e,
        Err(e) => return Err(DecodeError::Json(e)),
    };
    // Checked whole without recursion first: a cut must not hide broken text below it.
    serde_json::from_slice::<IgnoredAny>(text).map_err(DecodeError::Json)?;
    std::str::from_utf8(text)
        .ok()
        .and_then(|text| cut_deep(text, MAX_KEPT_DEPTH - 1))
        .ok_or(DecodeError::Json(error))
        .and_then(|(cut, _)| serde_json::from_str(&cut).map_err(DecodeError::Json))
}

/// Whether serde_json's error in `text` lies within its last few bytes: more text may mend it.
/// Trying again after reading more is always safe: an error that stays is reported then.
fn near_end(text: &[u8], e: &serde_json::Error) -> bool {
    let line_start = memchr::memchr_iter(b'\n', text)
        .nth(e.line().saturating_sub(2))
        .filter(|_| e.line() > 1)
        .map_or(0, |i| i + 1);
    line_start + e.column() + 2 >= text.len()
}
