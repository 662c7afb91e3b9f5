//! What every form of a digest says the same way: its lists, its span, its account and region.

use std::fmt::Write;

use crate::alert::{Capped, Counted, Digest};

impl Capped {
    pub(crate) fn line(&self) -> String {
        let mut s = self.items.join(", ");
        if self.omitted > 0 {
            let _ = write!(s, " (and {} more)", self.omitted);
        }
        s
    }
}

impl Counted {
    pub(crate) fn line(&self, n: usize) -> String {
        let mut s = self
            .items
            .iter()
            .take(n)
            .map(|c| format!("{} ({})", c.value, c.count))
            .collect::<Vec<_>>()
            .join(", ");
        let more = self.omitted + self.items.len().saturating_sub(n);
        if more > 0 {
            let _ = write!(s, " (and {more} more)");
        }
        s
    }
}

impl Digest {
    pub(crate) fn tail(&self) -> String {
        let one = |v: &[String]| match v {
            [one] => one.clone(),
            [] => "?".into(),
            _ => "several".into(),
        };
        format!("{}/{}", one(&self.account_ids), one(&self.regions.values()))
    }

    pub(crate) fn span(&self) -> String {
        format!(
            "{} to {} (UTC)",
            self.first_event_time.as_deref().unwrap_or("?"),
            self.last_event_time.as_deref().unwrap_or("?")
        )
    }
}
