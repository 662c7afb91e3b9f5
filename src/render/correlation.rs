//! What every form of a correlation alert says the same way: its measure, its group, its
//! values and its span.

use super::sanitize;
use crate::alert::CorrelationAlert;

impl CorrelationAlert {
    pub(crate) fn measure_text(&self) -> String {
        if self.measure.fract() == 0.0 && self.measure.abs() < 1e15 {
            format!("{} {}", self.measure as i64, self.measure_label)
        } else {
            format!("{:.2} ({})", self.measure, self.measure_label)
        }
    }

    pub(crate) fn group_text(&self) -> String {
        if self.group.is_empty() {
            return "all records".into();
        }
        self.group
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    sanitize::clean(k, 128),
                    sanitize::clean(v.as_deref().unwrap_or("(missing)"), sanitize::FIELD_MAX)
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub(crate) fn values_text(&self) -> Option<String> {
        if self.values.is_empty() {
            return None;
        }
        let listed: Vec<String> = self
            .values
            .iter()
            .map(|v| sanitize::clean(v, 256))
            .collect();
        let more = self
            .values_total
            .unwrap_or(self.values.len())
            .saturating_sub(self.values.len());
        let tail = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        Some(format!("{}{tail}", listed.join(", ")))
    }

    pub(crate) fn span(&self) -> String {
        format!(
            "{} to {} (UTC)",
            self.first_event_time, self.last_event_time
        )
    }
}
