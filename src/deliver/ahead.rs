//! Claims ahead: while one batch is sent and marked, the next few are already being claimed,
//! so the table's round trips overlap the sends and the decoding instead of adding to them.
//! Batches are still sent in the order they were planned.

use std::collections::VecDeque;

use futures::stream::{FuturesOrdered, StreamExt};
use tokio::sync::mpsc;

use super::exactly_once::Delivery;
use crate::plan::Batch;

/// Batches claimed ahead of the one being sent.
pub const AHEAD: usize = 3;

/// Delivers every batch `rx` hands over, in order, claiming up to [`AHEAD`] ahead.
pub async fn send_all(delivery: &mut Delivery<'_>, rx: &mut mpsc::Receiver<Batch>) {
    let claimer = delivery.claimer();
    let mut claiming = FuturesOrdered::new();
    let mut ready = VecDeque::new();
    let mut open = true;
    loop {
        let next = match ready.pop_front() {
            Some(claimed) => claimed,
            None => tokio::select! {
                Some(claimed) = claiming.next(), if !claiming.is_empty() => claimed,
                batch = rx.recv(), if open && claiming.len() < AHEAD => {
                    match batch {
                        Some(batch) => claiming.push_back(claimer.claim(batch)),
                        None => open = false,
                    }
                    continue;
                }
                else => return,
            },
        };
        let finishing = delivery.finish(next);
        tokio::pin!(finishing);
        loop {
            let room = claiming.len() + ready.len() < AHEAD;
            tokio::select! {
                () = &mut finishing => break,
                Some(claimed) = claiming.next(), if !claiming.is_empty() => ready.push_back(claimed),
                batch = rx.recv(), if open && room => match batch {
                    Some(batch) => claiming.push_back(claimer.claim(batch)),
                    None => open = false,
                },
            }
        }
    }
}
