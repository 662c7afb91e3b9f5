//! An object's records, handed one at a time to a callback, on one thread or three.

use std::io::{self, Read};
use std::sync::mpsc;

use super::error::DecodeError;
use super::inflate::{inflate, Inflater};
use super::limits::Limits;
use super::walker::{Chunks, Walker};

/// Compressed objects up to this size are inflated in line, without a second thread.
pub(super) const SMALL_OBJECT: usize = 512 * 1024;
/// Buffers of an object inflated in line: small enough that the allocator reuses them from one
/// small object to the next instead of mapping and zeroing fresh pages for each.
pub(super) const INLINE_BUFFER: usize = 64 * 1024;
/// Chunks in flight between the inflating and the splitting thread, and batches between the
/// splitting and the caller's: with the ones being worked on, memory stays ~2 MiB.
const IN_FLIGHT: usize = 2;
/// Record text per batch handed from the splitting thread to the caller's.
const BATCH: usize = 256 * 1024;

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
