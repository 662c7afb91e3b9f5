//! Decode stage: a byte stream becomes CloudTrail records, one at a time.
//!
//! A delivery can be a gigabyte once inflated, so nothing here holds the whole text or a `Vec` of
//! records: the `Records` array is walked element by element and each is handed to a callback as
//! raw JSON, which the matcher parses only if some rule could care about it.
//!
//! A large object goes through three threads, because inflating, splitting and matching each
//! cost a share of the work and a Lambda above 1,769 MB has two cores: one inflates into
//! 256 KiB chunks; one splits records out of them with a byte scanner that only tracks strings
//! and nesting, validates each from its slice (which serde_json does several times faster than
//! through `io::Read`) and packs them into batches; the caller's thread takes the batches and
//! hands each record on. A small object is all done on the caller's thread.
//!
//! Accepted shapes, sniffed rather than trusted from the key's suffix:
//! - gzip (one or more members) or plain bytes;
//! - `{"Records": [...]}`, the CloudTrail delivery;
//! - a top-level array of records, as event-history exports write them;
//! - one or more record objects in a row (NDJSON), as log shippers write them.

use std::io::{self, BufRead, BufReader, Read};
use std::sync::mpsc;

use flate2::bufread::MultiGzDecoder;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// Compressed bytes read from the source at a time.
const READ_BUFFER: usize = 256 * 1024;
/// Compressed objects up to this size are inflated in line, without a second thread.
const SMALL_OBJECT: usize = 512 * 1024;
/// Inflated bytes per chunk handed from the inflating thread to the walker.
const CHUNK: usize = 256 * 1024;
/// Buffers of an object inflated in line: small enough that the allocator reuses them from one
/// small object to the next instead of mapping and zeroing fresh pages for each.
const INLINE_BUFFER: usize = 64 * 1024;
/// Chunks in flight between the inflating and the splitting thread, and batches between the
/// splitting and the caller's: with the ones being worked on, memory stays ~2 MiB.
const IN_FLIGHT: usize = 2;
/// Record text per batch handed from the splitting thread to the caller's.
const BATCH: usize = 256 * 1024;

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

/// Calls `on_record` with the text of every record in `reader`, in order; each is valid JSON.
///
/// Records seen before an error have been delivered: a truncated file still yields what it held.
pub fn records<R: Read + Send>(reader: R, on_record: impl FnMut(&str)) -> Result<(), DecodeError> {
    records_with(reader, Limits::default(), on_record)
}

/// [`records`] within `limits`.
pub fn records_with<R: Read + Send>(
    mut reader: R,
    limits: Limits,
    mut on_record: impl FnMut(&str),
) -> Result<(), DecodeError> {
    // Most deliveries are small: read up to SMALL_OBJECT bytes first, and if that is the whole
    // object, inflate it on this thread. Starting a thread per small file costs more than the
    // two stages save, and a backfill reads millions of them.
    let mut head = Vec::new();
    let failed = (&mut reader)
        .take(SMALL_OBJECT as u64 + 1)
        .read_to_end(&mut head)
        .err();
    if failed.is_some() || head.len() <= SMALL_OBJECT {
        // A read that failed early still yields the records before the failure.
        let source = io::Cursor::new(head).chain(FailsWith(failed));
        let inflater = Inflater::new(source, limits.max_object_bytes, INLINE_BUFFER)
            .map_err(DecodeError::Read)?;
        let mut walker = Walker::new(Chunks::Inline(inflater, None), limits.max_record_bytes);
        return walker.document(&mut |raw| on_record(raw.get()));
    }
    let reader = io::Cursor::new(head).chain(reader);
    let (full_tx, full_rx) = mpsc::sync_channel::<io::Result<Vec<u8>>>(IN_FLIGHT);
    let (empty_tx, empty_rx) = mpsc::channel::<Vec<u8>>();
    let (batch_tx, batch_rx) = mpsc::sync_channel::<Batch>(IN_FLIGHT);
    let (spent_tx, spent_rx) = mpsc::channel::<Batch>();
    std::thread::scope(|scope| {
        scope.spawn(move || inflate(reader, limits.max_object_bytes, &full_tx, &empty_rx));
        let splitting = scope.spawn(move || {
            let chunks = Chunks::Thread {
                full: full_rx,
                spare: empty_tx,
            };
            let mut walker = Walker::new(chunks, limits.max_record_bytes);
            let mut batch = Batch::default();
            let result = walker.document(&mut |raw| {
                batch.push(raw.get());
                if batch.text.len() >= BATCH {
                    let next = spent_rx.try_recv().unwrap_or_default();
                    // A closed channel means the caller is gone; its records no longer matter.
                    let _ = batch_tx.send(std::mem::replace(&mut batch, next.cleared()));
                }
            });
            // Dropping the walker's receiver stops the inflating thread at its next send.
            drop(walker);
            let _ = batch_tx.send(batch);
            result
        });
        for batch in batch_rx {
            batch.records().for_each(&mut on_record);
            let _ = spent_tx.send(batch);
        }
        splitting.join().unwrap_or_else(|_| {
            Err(DecodeError::Read(io::Error::other(
                "the splitting thread stopped unexpectedly",
            )))
        })
    })
}

/// Validated records packed end to end, handed from the splitting thread to the caller's.
#[derive(Default)]
struct Batch {
    text: String,
    ends: Vec<usize>,
}

impl Batch {
    fn push(&mut self, record: &str) {
        self.text.push_str(record);
        self.ends.push(self.text.len());
    }

    fn cleared(mut self) -> Batch {
        self.text.clear();
        self.ends.clear();
        self
    }

    fn records(&self) -> impl Iterator<Item = &str> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter().copied())
            .filter_map(|(start, end)| self.text.get(start..end))
    }
}

/// A reader that fails once with the error it holds, then ends.
struct FailsWith(Option<io::Error>);

impl Read for FailsWith {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        self.0.take().map_or(Ok(0), Err)
    }
}

/// The first stage on its own thread: inflates and sends full chunks until the end or an error.
fn inflate<R: Read + Send>(
    reader: R,
    max_bytes: u64,
    out: &mpsc::SyncSender<io::Result<Vec<u8>>>,
    spare: &mpsc::Receiver<Vec<u8>>,
) {
    let mut inflater = match Inflater::new(reader, max_bytes, CHUNK) {
        Ok(inflater) => inflater,
        Err(e) => {
            let _ = out.send(Err(e));
            return;
        }
    };
    while let Some(chunk) = inflater.next(spare.try_recv().ok()) {
        let failed = chunk.is_err();
        if out.send(chunk).is_err() || failed {
            return;
        }
    }
}

/// The first stage: reads, sniffs gzip, inflates, and hands out full chunks, within the
/// decompressed-size limit.
pub(super) struct Inflater<'r> {
    source: Box<dyn Read + Send + 'r>,
    total: u64,
    max_bytes: u64,
    done: bool,
    /// A read error met after some bytes of the last chunk, handed out after that chunk.
    pending: Option<io::Error>,
    /// Bytes per chunk handed out (and of the read buffer).
    chunk: usize,
}

impl<'r> Inflater<'r> {
    fn new<R: Read + Send + 'r>(
        reader: R,
        max_bytes: u64,
        chunk: usize,
    ) -> io::Result<Inflater<'r>> {
        let mut raw = BufReader::with_capacity(READ_BUFFER.min(chunk), reader);
        let gzip = raw.fill_buf()?.starts_with(&GZIP_MAGIC);
        let source: Box<dyn Read + Send + 'r> = if gzip {
            Box::new(MultiGzDecoder::new(raw))
        } else {
            Box::new(raw)
        };
        Ok(Inflater {
            source,
            total: 0,
            max_bytes,
            done: false,
            pending: None,
            chunk,
        })
    }

    /// The next chunk of up to `chunk` bytes (filled into `spare` when given); `None` after
    /// the last one or an error.
    fn next(&mut self, spare: Option<Vec<u8>>) -> Option<io::Result<Vec<u8>>> {
        if let Some(e) = self.pending.take() {
            return Some(Err(e));
        }
        if self.done {
            return None;
        }
        let size = self.chunk;
        let mut chunk = spare.unwrap_or_else(|| Vec::with_capacity(size));
        chunk.clear();
        chunk.resize(size, 0);
        let mut filled = 0;
        let read = loop {
            match self.source.read(&mut chunk[filled..]) {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    filled += n;
                    if filled == size {
                        break Ok(());
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        chunk.truncate(filled);
        self.total = self.total.saturating_add(filled as u64);
        if self.total > self.max_bytes {
            self.done = true;
            return Some(Err(io::Error::other(LimitExceeded::Object {
                limit: self.max_bytes,
            })));
        }
        self.done = filled < size || read.is_err();
        match read {
            Err(e) if filled == 0 => Some(Err(e)),
            // The records before a read error still count: hand out what was read first.
            Err(e) => {
                self.pending = Some(e);
                Some(Ok(chunk))
            }
            Ok(()) if filled == 0 => None,
            Ok(()) => Some(Ok(chunk)),
        }
    }
}

mod depth;
mod scan;
mod walker;

pub use depth::{cut_deep, DEEP_MARKER, MAX_KEPT_DEPTH};
pub(crate) use scan::Scan;
use walker::{Chunks, Walker};

#[cfg(test)]
mod tests;
