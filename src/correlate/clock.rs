//! The correlation clock of [`Clock::EventTime`](crate::correlate::Clock): one watermark per
//! stream of history.
//!
//! A trail delivers each account and region on its own, and a listing is region-major: a scan
//! reads one region's whole day before the next region's. Were lateness judged against the
//! newest record of any region, the second region's records would all be late. Each stream
//! (account, region) therefore keeps its own newest eventTime, and an object is judged by its
//! own stream's progress before it.
//!
//! A trail file's key says when it was delivered (`..._20261125T1005Z_...`): such an object is
//! judged at that time, as live delivery judges it on the wall clock when it lands. That holds
//! whatever order concurrent objects finish in, so `scan --concurrency 4` counts what one file
//! at a time counts; a file delivered late is late by its own delay, not by how far its
//! neighbours in the listing ran ahead.
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use crate::fetch::ObjectRef;
use crate::state::from_epoch_ms;
use crate::trigger::TrailKey;

/// Default for `CORRELATION_LATENESS`.
pub const DEFAULT_LATENESS: Duration = Duration::from_secs(3600);

/// Which clock decides that a record is too late.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Clock {
    /// The wall clock: the function, reading deliveries as they land.
    #[default]
    Wall,
    /// The newest eventTime read so far in the object's stream (its account and region, from
    /// the key): the CLI, which may read last year's files, several regions in one listing.
    EventTime,
    /// No clock: nothing is late and the store forgets nothing by event time, only by the wall
    /// clock (the lateness is then how long state is kept). S3 Batch Operations invoke the
    /// function for old objects concurrently and in no order, so there is no progress to
    /// judge a record against; a record counts with every other record of its group.
    Backfill,
}

/// How correlations are kept.
#[derive(Debug, Clone, Copy)]
pub struct CorrelationSettings {
    /// `CORRELATION_LATENESS`: how long after its window a record still counts.
    pub lateness: Duration,
    /// Which clock judges lateness.
    pub clock: Clock,
}

impl Default for CorrelationSettings {
    fn default() -> Self {
        CorrelationSettings {
            lateness: DEFAULT_LATENESS,
            clock: Clock::Wall,
        }
    }
}

/// The clock one run's objects are correlated on: the settings' [`Clock`], with the
/// per-stream watermarks [`Clock::EventTime`] advances.
#[derive(Debug, Default)]
pub struct CorrelationClock {
    settings: CorrelationSettings,
    watermarks: Watermarks,
}

impl CorrelationClock {
    /// A clock for a run with `settings`.
    pub fn new(settings: CorrelationSettings) -> Self {
        CorrelationClock {
            settings,
            watermarks: Watermarks::default(),
        }
    }

    /// How long after its window a record still counts.
    pub fn lateness(&self) -> Duration {
        self.settings.lateness
    }

    /// The time `object`, whose correlated records span `oldest_ms` to `newest_ms`, is
    /// judged at. On event time, an object is judged by what its stream (account, region)
    /// read before it: its records arrive together, so none is late for another, a file
    /// spanning days (an export, a merged backfill) is not cut to its last hour, and one
    /// region's day read before another's does not make the other's late.
    pub fn now(&self, object: &ObjectRef, oldest_ms: i64, newest_ms: i64) -> SystemTime {
        match self.settings.clock {
            Clock::Wall => SystemTime::now(),
            Clock::EventTime => {
                let ms = self.watermarks.advance(object, oldest_ms, newest_ms);
                from_epoch_ms(u64::try_from(ms.max(0)).unwrap_or(0))
            }
            // The epoch: with a lateness of the state's retention, no record is before the
            // floor and the store keeps every slice and firing until their wall-clock expiry.
            Clock::Backfill => std::time::UNIX_EPOCH,
        }
    }

    /// Objects whose stream found the clock's table full ([`MAX_STREAMS`]): judged on one
    /// shared clock.
    pub fn overflow(&self) -> u64 {
        self.watermarks.overflow()
    }
}

/// Streams with a watermark of their own. A trail has at most accounts × regions streams
/// (an organisation of 100 accounts in 35 regions: 3,500); objects of further streams share
/// one overflow watermark, counted, as objects whose key names no stream do.
pub const MAX_STREAMS: usize = 4096;

/// A stream: (account, region) from a trail key; the empty pair for other objects.
type Stream = (String, String);

/// Per-stream newest eventTime, epoch ms.
#[derive(Debug, Default)]
struct Watermarks {
    streams: Mutex<Table>,
}

#[derive(Debug, Default)]
struct Table {
    newest: HashMap<Stream, i64>,
    /// Objects judged on the shared watermark because the table was full.
    overflow: u64,
}

/// The stream an object belongs to (its key's account and region), and when its key says it
/// was delivered, epoch ms.
fn stream_of(object: &ObjectRef) -> (Stream, Option<i64>) {
    let text = match object {
        ObjectRef::S3 { key, .. } => key.clone(),
        ObjectRef::Path { path } => path.to_string_lossy().into_owned(),
        ObjectRef::Event { .. } => return (Stream::default(), None),
    };
    TrailKey::parse(&text).map_or((Stream::default(), None), |k| {
        let delivered = chrono::NaiveDateTime::parse_from_str(k.timestamp, "%Y%m%dT%H%MZ")
            .ok()
            .map(|t| t.and_utc().timestamp_millis());
        ((k.account.to_owned(), k.region.to_owned()), delivered)
    })
}

impl Watermarks {
    /// The clock for `object`, whose records span `oldest_ms` to `newest_ms`: the delivery time
    /// its trail key names; for other objects, its stream's newest eventTime read before it
    /// (its own oldest record for a stream's first object), so the records of one object are
    /// never late for each other. Advances the stream to `newest_ms`.
    fn advance(&self, object: &ObjectRef, oldest_ms: i64, newest_ms: i64) -> i64 {
        let (mut stream, delivered) = stream_of(object);
        let Ok(mut table) = self.streams.lock() else {
            return oldest_ms;
        };
        if !table.newest.contains_key(&stream) && table.newest.len() >= MAX_STREAMS {
            table.overflow += 1;
            if table.overflow == 1 {
                tracing::warn!(
                    streams = MAX_STREAMS,
                    "more (account, region) streams than the correlation clock keeps: the rest share one clock"
                );
            }
            stream = Stream::default();
        }
        let slot = table.newest.entry(stream).or_insert(i64::MIN);
        let before = *slot;
        *slot = before.max(newest_ms);
        if let Some(delivered) = delivered {
            return delivered;
        }
        if before == i64::MIN {
            oldest_ms
        } else {
            before
        }
    }

    /// Objects judged on the shared clock because [`MAX_STREAMS`] streams were taken.
    fn overflow(&self) -> u64 {
        self.streams.lock().map_or(0, |t| t.overflow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(region: &str, stamp: &str) -> ObjectRef {
        ObjectRef::S3 {
            bucket: "b".into(),
            key: format!(
                "AWSLogs/111122223333/CloudTrail/{region}/2026/11/25/111122223333_CloudTrail_{region}_{stamp}_x.json.gz"
            ),
        }
    }

    /// Epoch ms of 2026-11-25 at `hh:mm` UTC.
    fn at(hh: i64, mm: i64) -> i64 {
        1_795_564_800_000 + (hh * 60 + mm) * 60_000
    }

    #[test]
    fn a_trail_file_is_judged_at_its_delivery_whatever_finished_before_it() {
        let w = Watermarks::default();
        // eu-west-1's whole day first, then us-east-1's morning: each at its own delivery.
        assert_eq!(
            w.advance(&key("eu-west-1", "20261125T0005Z"), at(0, 0), at(0, 5)),
            at(0, 5)
        );
        assert_eq!(
            w.advance(&key("eu-west-1", "20261125T2355Z"), at(23, 50), at(23, 55)),
            at(23, 55)
        );
        assert_eq!(
            w.advance(&key("us-east-1", "20261125T1005Z"), at(10, 0), at(10, 5)),
            at(10, 5)
        );
        // A file delivered 40 minutes late, finishing after a later neighbour: its own delay.
        assert_eq!(
            w.advance(&key("us-east-1", "20261125T1100Z"), at(10, 55), at(11, 0)),
            at(11, 0)
        );
        assert_eq!(
            w.advance(&key("us-east-1", "20261125T1050Z"), at(10, 5), at(10, 10)),
            at(10, 50)
        );
        // An object without a trail key is judged by its stream's progress before it.
        let other = ObjectRef::S3 {
            bucket: "b".into(),
            key: "export.json".into(),
        };
        assert_eq!(w.advance(&other, 5, 9), 5);
        assert_eq!(w.advance(&other, 3, 4), 9);
        assert_eq!(w.overflow(), 0);
    }

    #[test]
    fn streams_past_the_cap_share_one_clock_and_are_counted() {
        let w = Watermarks::default();
        for i in 0..MAX_STREAMS {
            w.advance(&key(&format!("r{i}"), "20261125T0005Z"), 100, 200);
        }
        assert_eq!(
            w.advance(&key("one-more", "20261125T0005Z"), 10, 20),
            at(0, 5)
        );
        assert_eq!(
            w.advance(&key("and-another", "20261125T0010Z"), 10, 20),
            at(0, 10)
        );
        assert_eq!(w.overflow(), 2);
    }
}
