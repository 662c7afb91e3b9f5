//! The one way a [`RuleSet`] is built. Library code never reads the environment: the Lambda and
//! the CLI get their [`RuleLimits`] from `config` and pass them in.
use std::path::{Path, PathBuf};

use super::limits::RuleLimits;
use super::load;
use super::{RuleErrors, RuleSet};

/// Where rules come from; several may be given and are loaded as one set.
#[derive(Debug, Clone)]
enum Input {
    Embedded(&'static [(&'static str, &'static str)]),
    Sources(Vec<(String, String)>),
    Paths(Vec<PathBuf>),
}

/// `RuleSet::builder().limits(l).tests(false).paths(&dirs).build()`. Defaults: default limits,
/// `tests:` cases kept.
#[derive(Debug, Clone)]
pub struct RuleSetBuilder {
    limits: RuleLimits,
    tests: bool,
    inputs: Vec<Input>,
}

impl Default for RuleSetBuilder {
    fn default() -> Self {
        RuleSetBuilder {
            limits: RuleLimits::default(),
            tests: true,
            inputs: Vec::new(),
        }
    }
}

impl RuleSetBuilder {
    /// Sets the bounds on what the files may load (default: [`RuleLimits::default`]).
    pub fn limits(mut self, limits: RuleLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Whether `tests:` cases are parsed. A load that only matches says `false`: the cases are
    /// blanked line for line first (line numbers in errors stay true), and in the bundled rules
    /// they are four fifths of the YAML, most of the cold start.
    pub fn tests(mut self, keep: bool) -> Self {
        self.tests = keep;
        self
    }

    /// Files embedded in the binary as `(path relative to rules/, yaml)`, named `rules/<path>`
    /// in errors; a `placeholders.yml` among them supplies placeholders.
    pub fn embedded(mut self, files: &'static [(&'static str, &'static str)]) -> Self {
        self.inputs.push(Input::Embedded(files));
        self
    }

    /// In-memory `(name, yaml)` sources; one named `placeholders.yml` supplies placeholders.
    pub fn sources(mut self, sources: &[(String, String)]) -> Self {
        self.inputs.push(Input::Sources(sources.to_vec()));
        self
    }

    /// Rule files and directories (walked recursively for `*.yml`/`*.yaml`).
    pub fn paths<P: AsRef<Path>>(mut self, paths: &[P]) -> Self {
        let paths = paths.iter().map(|p| p.as_ref().to_path_buf()).collect();
        self.inputs.push(Input::Paths(paths));
        self
    }

    /// Reads, parses, compiles and indexes everything; every file is checked and all errors
    /// returned.
    pub fn build(self) -> Result<RuleSet, RuleErrors> {
        let mut errors = Vec::new();
        let mut groups = Vec::new();
        for input in self.inputs {
            match input {
                Input::Embedded(files) => groups.push(load::group_sources(&embedded_named(files))),
                Input::Sources(s) => groups.push(load::group_sources(&s)),
                Input::Paths(paths) => groups.extend(
                    paths
                        .iter()
                        .map(|p| load::read_path(p, &self.limits, &mut errors)),
                ),
            }
        }
        if !self.tests {
            groups.iter_mut().for_each(load::Group::skip_tests);
        }
        load::build(groups, errors, &self.limits)
    }
}

/// Embedded rule files as `(rules/<name>, yaml)`.
fn embedded_named(files: &[(&str, &str)]) -> Vec<(String, String)> {
    files
        .iter()
        .map(|(name, body)| (format!("rules/{name}"), (*body).to_owned()))
        .collect()
}

impl RuleSet {
    /// One way to build a set: which rules, which limits, whether `tests:` are kept.
    pub fn builder() -> RuleSetBuilder {
        RuleSetBuilder::default()
    }

    /// Loads rule files and directories, keeping `tests:`; every file is checked and all errors
    /// returned. Default limits.
    pub fn load_paths<P: AsRef<Path>>(paths: &[P]) -> Result<RuleSet, RuleErrors> {
        RuleSet::builder().paths(paths).build()
    }

    /// Loads in-memory `(name, yaml)` sources, keeping `tests:`; one named `placeholders.yml`
    /// supplies placeholders. Default limits.
    pub fn from_sources(sources: &[(String, String)]) -> Result<RuleSet, RuleErrors> {
        RuleSet::builder().sources(sources).build()
    }
}
