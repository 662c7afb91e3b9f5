//! The rule pack under `rules/`, embedded at build time (`build.rs`) so the Lambda needs no rules
//! on disk. The rule language itself knows no pack: it is handed these files like any others.

use crate::rules::{RuleErrors, RuleSet, RuleSetBuilder};

mod files {
    include!(concat!(env!("OUT_DIR"), "/bundled_rules.rs"));
}

/// Names (relative to `rules/`) and contents of the bundled rule files.
pub static FILES: &[(&str, &str)] = files::BUNDLED;

/// A builder holding the bundled pack, with its `tests:` cases; add limits or more inputs.
pub fn builder() -> RuleSetBuilder {
    RuleSet::builder().embedded(FILES)
}

/// The bundled pack for matching: `tests:` cases are left unparsed. Default limits.
pub fn load() -> Result<RuleSet, RuleErrors> {
    builder().tests(false).build()
}
