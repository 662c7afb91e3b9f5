//! Bounds on what hand-edited rules may cost when they load: a file's size, the number of rules
//! and each compiled regex's size. Rules are edited by people and hot-swapped from S3, so a typo
//! or a hostile pull request must fail validation rather than exhaust the function's memory.
//!
//! `config::rule_limits` reads them from the environment (`MAX_RULE_FILE_BYTES`, `MAX_RULES`,
//! `MAX_REGEX_BYTES`) for both the Lambda and the CLI, so `rules validate` and the function
//! enforce the same numbers; the library itself only takes them as a parameter.

/// Default for `MAX_RULE_FILE_BYTES`: far above any real Sigma file (a few KB).
pub const DEFAULT_MAX_FILE_BYTES: usize = 1024 * 1024;
/// Default for `MAX_RULES`: the whole public Sigma repository is about 3,000 rules.
pub const DEFAULT_MAX_RULES: usize = 10_000;
/// Default for `MAX_REGEX_BYTES`: the compiled size of one `|re` pattern (the regex crate's own
/// default is 10 MiB per regex; a rule set has many).
pub const DEFAULT_MAX_REGEX_BYTES: usize = 2 * 1024 * 1024;

/// Bounds on what rule files may load, so a hostile or broken rule source ends in an error
/// naming the bound instead of exhausting memory at cold start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleLimits {
    /// Bytes per rule file (`MAX_RULE_FILE_BYTES`).
    pub max_file_bytes: usize,
    /// Rules in one set (`MAX_RULES`).
    pub max_rules: usize,
    /// Bytes of one compiled regex (`MAX_REGEX_BYTES`).
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
