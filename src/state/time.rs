//! Times and names as the state table stores them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

/// How many requests one batched call keeps in flight.
pub const CONCURRENCY: usize = 16;

/// How long delivered identities and suppression counts are kept by default: longer than any
/// redelivery (Lambda retries 6 h, SQS 14 days) short of a backfill of older files.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(30 * 24 * 3600);

/// Milliseconds since the epoch (0 before it), the unit leases and windows are stored in.
pub fn epoch_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The TTL attribute's value: whole seconds, rounded up so an item never expires early.
pub fn epoch_secs_ceil(t: SystemTime) -> u64 {
    epoch_ms(t).div_ceil(1000)
}

/// The inverse of [`epoch_ms`].
pub fn from_epoch_ms(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

/// A short stable name for an object, so a window's list of counted objects stays small, and
/// a correlation slice's key is short.
pub fn origin_tag(origin: &str) -> String {
    Sha256::digest(origin.as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_seconds_round_up() {
        assert_eq!(epoch_secs_ceil(from_epoch_ms(1_000)), 1);
        assert_eq!(epoch_secs_ceil(from_epoch_ms(1_001)), 2);
    }
}
