//! The CLI's seam: each message's body on its own line of stdout.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;

use super::seam::{Deliver, DeliverError};
use crate::plan::{Batch, Form};
use crate::render::csv;

/// Prints message bodies (rendered in a local [`Form`]) one per line.
#[derive(Debug, Default)]
pub struct StdoutDeliver {
    form: Form,
    header_written: AtomicBool,
}

impl StdoutDeliver {
    /// A printer for bodies rendered in `form`; CSV gets its header before the first row.
    pub fn new(form: Form) -> Self {
        StdoutDeliver {
            form,
            header_written: AtomicBool::new(false),
        }
    }

    /// Writes the CSV header now if it has not been (so an empty scan still prints it).
    pub fn header(&self) -> std::io::Result<()> {
        if self.form == Form::Csv && !self.header_written.swap(true, Ordering::SeqCst) {
            writeln!(std::io::stdout().lock(), "{}", csv::HEADER)?;
        }
        Ok(())
    }
}

#[async_trait]
impl Deliver for StdoutDeliver {
    async fn send(&self, batch: &Batch) -> Result<(), DeliverError> {
        let failed = |written: usize, e: std::io::Error| DeliverError {
            failed: batch.messages.len() - written,
            total: batch.messages.len(),
            message: e.to_string(),
        };
        self.header().map_err(|e| failed(0, e))?;
        // One write per batch, not one per line: stdout is line-buffered, and a backfill's
        // `--every-match | jq` prints thousands of lines.
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        for (i, m) in batch.messages.iter().enumerate() {
            writeln!(out, "{}", m.body).map_err(|e| failed(i, e))?;
        }
        out.flush().map_err(|e| failed(0, e))
    }
}
