//! The first stage: bytes read, gzip sniffed and inflated, handed out in chunks.

use std::io::{self, BufRead, BufReader, Read};
use std::sync::mpsc;

use flate2::bufread::MultiGzDecoder;

use super::limits::LimitExceeded;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// Compressed bytes read from the source at a time.
const READ_BUFFER: usize = 256 * 1024;
/// Inflated bytes per chunk handed from the inflating thread to the walker.
pub(super) const CHUNK: usize = 256 * 1024;

/// The first stage on its own thread: inflates and sends full chunks until the end or an error.
pub(super) fn inflate<R: Read + Send>(
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
    pub(super) fn new<R: Read + Send + 'r>(
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
    pub(super) fn next(&mut self, spare: Option<Vec<u8>>) -> Option<io::Result<Vec<u8>>> {
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
