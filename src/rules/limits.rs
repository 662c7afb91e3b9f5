//! Bounds on what hand-edited rules may cost when they load: a file's size, the number of rules
//! and each compiled regex's size. Rules are edited by people and hot-swapped from S3, so a typo
//! or a hostile pull request must fail validation rather than exhaust the function's memory.
//!
//! Read from the environment on every load (loads are rare), so the CLI's `rules validate` and
//! the Lambda enforce the same numbers.

use super::RuleError;

/// Default for `MAX_RULE_FILE_BYTES`: far above any real Sigma file (a few KB).
pub const DEFAULT_MAX_FILE_BYTES: usize = 1024 * 1024;
/// Default for `MAX_RULES`: the whole public Sigma repository is about 3,000 rules.
pub const DEFAULT_MAX_RULES: usize = 10_000;
/// Default for `MAX_REGEX_BYTES`: the compiled size of one `|re` pattern (the regex crate's own
/// default is 10 MiB per regex; a rule set has many).
pub const DEFAULT_MAX_REGEX_BYTES: usize = 2 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleLimits {
    pub max_file_bytes: usize,
    pub max_rules: usize,
    pub max_regex_bytes: usize,
}

impl Default for RuleLimits {
    fn default() -> Self {
        RuleLimits {
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            max_rules: DEFAULT_MAX_RULES,
            max_regex_bytes: DEFAULT_MAX_REGEX_BYTES,
        }
    }
}

impl RuleLimits {
    /// `MAX_RULE_FILE_BYTES`, `MAX_RULES` and `MAX_REGEX_BYTES`, each defaulting when unset or
    /// empty; a value that is not a whole number above 0 is an error, not a silent default.
    pub fn from_env() -> Result<RuleLimits, RuleError> {
        let mut limits = RuleLimits::default();
        for (name, slot) in [
            ("MAX_RULE_FILE_BYTES", &mut limits.max_file_bytes),
            ("MAX_RULES", &mut limits.max_rules),
            ("MAX_REGEX_BYTES", &mut limits.max_regex_bytes),
        ] {
            let Some(value) = std::env::var(name).ok().filter(|v| !v.trim().is_empty()) else {
                continue;
            };
            *slot = value
                .trim()
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| RuleError {
                    file: format!("environment variable {name}"),
                    line: 1,
                    col: 1,
                    message: format!("{value:?}: expected a whole number above 0"),
                })?;
        }
        Ok(limits)
    }
}
