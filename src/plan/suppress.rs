//! Suppression's questions and answers: which combination of a rule's `suppress: by` values a
//! match is, the sighting of one combination in one object, and the verdict that says whether
//! to send it. The verdict comes from the state table (`crate::verdict`); the plan only reads it.

use std::time::{Duration, SystemTime};

use sha2::{Digest as _, Sha256};

/// A rule's `suppress: by` values for one record; `None` where the field is missing or null.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SuppressKey {
    /// The rule with `suppress:`.
    pub rule_id: String,
    /// One value per `by` field, in the rule's order.
    pub values: Vec<Option<String>>,
}

impl SuppressKey {
    /// A fixed-size name for the combination (values can be long, and are not all we key on).
    pub fn digest(&self) -> String {
        let mut h = Sha256::new();
        for v in &self.values {
            match v {
                // A length prefix keeps ("ab","c") and ("a","bc") apart.
                Some(s) => h.update(format!("s{}:{s}", s.len())),
                None => h.update("n"),
            }
        }
        h.finalize()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// One combination seen in one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    /// The rule and combination.
    pub key: SuppressKey,
    /// The object it was seen in (bucket/key or path): a retry of it is recognised.
    pub origin: String,
    /// The event time of its first occurrence in the object.
    pub at: SystemTime,
    /// The rule's `suppress: for`.
    pub window: Duration,
    /// How many matches of the combination the object holds (at least 1).
    pub repeats: u64,
}

impl Sighting {
    /// The window it opens: `[at - window, at + window)`, in epoch milliseconds, so a
    /// backfill of older files is judged the way live delivery was.
    pub fn window_bounds(&self) -> (u64, u64) {
        let at = self
            .at
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let w = u64::try_from(self.window.as_millis()).unwrap_or(u64::MAX);
        (at.saturating_sub(w), at.saturating_add(w))
    }
}

/// The verdict on one [`Sighting`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suppression {
    /// Send one alert, saying `suppressed` repeats were counted since the last one sent.
    Deliver {
        /// Repeats counted since the last alert sent for the combination.
        suppressed: u64,
    },
    /// Counted, not sent.
    Suppressed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combination_digests_keep_values_apart() {
        let key = |values: &[Option<&str>]| SuppressKey {
            rule_id: "r".into(),
            values: values.iter().map(|v| v.map(str::to_owned)).collect(),
        };
        let ab_c = key(&[Some("ab"), Some("c")]).digest();
        assert_ne!(ab_c, key(&[Some("a"), Some("bc")]).digest());
        assert_ne!(key(&[None]).digest(), key(&[Some("")]).digest());
        assert_eq!(ab_c, key(&[Some("ab"), Some("c")]).digest());
        assert_eq!(ab_c.len(), 32);
    }
}
