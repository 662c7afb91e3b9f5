//! A reader that gives up when its scan is abandoned.
//!
//! Decoding runs on a blocking thread that reads the async body through a bridge. When the async
//! side stops waiting (deadline, per-object timeout), that thread would otherwise sit on a stalled
//! body forever; this reader turns the cancellation into an I/O error so the thread ends.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, ReadBuf};
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use super::seam::ObjectReader;

/// An object reader that fails with `TimedOut` once its token is cancelled, so an abandoned
/// blocking decoder stops instead of waiting on a stalled body.
pub struct Cancellable {
    inner: ObjectReader,
    cancelled: Pin<Box<WaitForCancellationFutureOwned>>,
}

impl Cancellable {
    /// Wraps `inner`; cancelling `token` ends it.
    pub fn new(inner: ObjectReader, token: CancellationToken) -> Self {
        Cancellable {
            inner,
            cancelled: Box::pin(token.cancelled_owned()),
        }
    }
}

impl AsyncRead for Cancellable {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.cancelled.as_mut().poll(cx).is_ready() {
            // Not `Interrupted`: std readers (`Bytes`, `read_exact`) retry that kind forever, which
            // would leave the decoding thread spinning on a body that will never arrive.
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "scan abandoned",
            )));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}
