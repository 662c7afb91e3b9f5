//! The SNS subject of an alert, a digest or a correlation alert, which email shows as the
//! subject line.
//!
//! SNS requires ASCII without line breaks or control characters, under 100 characters. The
//! separator is therefore an ASCII ` - `, not an em dash. When the whole does not fit, the rule
//! title is cut (at a word, marked `...`) so the level and the account/region always show.

use super::facts::{level_upper, Facts};
use super::sanitize;
use crate::alert::{Alert, CorrelationAlert, Digest};

/// SNS's limit is 100 characters; one less leaves no doubt.
pub const SUBJECT_MAX: usize = 99;

/// `[LEVEL] title - account/region`, the account by its name where it has one.
pub fn subject(alert: &Alert, facts: &Facts) -> String {
    compose(
        &level_upper(alert.rule.level),
        &alert.rule.title,
        &format!(
            "{}/{}",
            facts
                .account_name
                .as_deref()
                .or(facts.account.as_deref())
                .unwrap_or("?"),
            facts.region.as_deref().unwrap_or("?")
        ),
    )
}

/// `[LEVEL] title - tail`, ASCII and cut to [`SUBJECT_MAX`], the title giving way first.
pub fn compose(level: &str, title: &str, tail: &str) -> String {
    let head = format!("[{}]", sanitize::ascii(level));
    let tail = sanitize::truncate(&sanitize::ascii(tail), 40);
    let title = sanitize::ascii(title);
    let room = SUBJECT_MAX.saturating_sub(head.len() + tail.len() + 4);
    let title = if title.len() <= room {
        title
    } else {
        let cut = &title[..room.saturating_sub(3)];
        let cut = cut.rsplit_once(' ').map_or(cut, |(a, _)| a);
        format!("{}...", cut.trim_end())
    };
    let s = format!("{head} {title} - {tail}");
    sanitize::truncate(&s, SUBJECT_MAX)
}

impl Alert {
    /// The title line: the rule's title, then its summary when it has one.
    pub fn headline(&self) -> String {
        let title = sanitize::clean(&self.rule.title, sanitize::FIELD_MAX);
        let line = match &self.summary {
            Some(s) if !s.is_empty() => format!("{title}: {s}"),
            _ => title,
        };
        match self.suppressed {
            Some(n) if n > 0 => format!("{line} ({n} suppressed since the last alert)"),
            _ => line,
        }
    }
}

impl Digest {
    /// `[LEVEL] N more: title - account/region`.
    pub fn subject(&self) -> String {
        compose(
            &level_upper(self.rule.level),
            &format!("{} more: {}", self.count, self.rule.title),
            &self.tail(),
        )
    }
}

impl CorrelationAlert {
    /// `[LEVEL] title: measure - group`.
    pub fn subject(&self) -> String {
        compose(
            &level_upper(self.correlation.level),
            &format!("{}: {}", self.correlation.title, self.measure_text()),
            &self.group_text(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::tests::alert;

    #[test]
    fn subject_is_short_ascii_and_clean() {
        let a = alert(&format!("Root reboot\u{7} — {}", "x ".repeat(200)));
        let s = subject(&a, &Facts::of(&a));
        assert!(s.len() < 100, "{s}");
        assert!(s.starts_with("[HIGH] Root reboot - "), "{s}");
        assert!(s.ends_with("... - ?/?"), "{s}");
        assert!(s.chars().all(|c| c.is_ascii() && !c.is_ascii_control()));
    }

    #[test]
    fn subject_names_account_and_region() {
        let mut a = alert("Root reboot");
        std::sync::Arc::make_mut(&mut a.event)["recipientAccountId"] = "123456789012".into();
        std::sync::Arc::make_mut(&mut a.event)["awsRegion"] = "eu-west-1".into();
        assert_eq!(
            subject(&a, &Facts::of(&a)),
            "[HIGH] Root reboot - 123456789012/eu-west-1"
        );
    }
}
