//! Finding rule files, reading placeholders, and turning sources into a [`RuleSet`].
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::ast::{FilterAst, Pos, RuleAst};
use super::compile::compile;
use super::correlation::resolve::resolve;
use super::filter;
use super::index::RuleIndex;
use super::limits::RuleLimits;
use super::modifiers::Placeholders;
use super::parse::{parse_source, FileOutcome};
use super::paths::FieldPaths;
use super::strip;
use super::yaml::{self, NodeKind};
use super::{LoadedFilter, Rule, RuleError, RuleErrors, RuleSet};

pub const PLACEHOLDERS_FILE: &str = "placeholders.yml";

fn io_error(file: &Path, e: std::io::Error) -> RuleError {
    RuleError {
        file: file.display().to_string(),
        line: 1,
        col: 1,
        message: format!("cannot read: {e}"),
    }
}

/// One group of sources sharing a placeholders file.
pub struct Group {
    pub sources: Vec<(String, String)>,
    pub placeholders: Option<(String, String)>,
}

impl Group {
    /// For a load that only matches: each rule file's `tests:` cases are blanked
    /// ([`strip::without_tests`]) so they are never parsed.
    pub fn skip_tests(&mut self) {
        for (_, text) in &mut self.sources {
            *text = strip::without_tests(text);
        }
    }
}

/// Reads a rules path: a file, or a directory walked recursively for `*.yml`/`*.yaml`
/// (its root `placeholders.yml` supplies placeholders and is not a rule).
pub fn read_path(path: &Path, limits: &RuleLimits, errors: &mut Vec<RuleError>) -> Group {
    let mut group = Group {
        sources: Vec::new(),
        placeholders: None,
    };
    if path.is_dir() {
        let ph = path.join(PLACEHOLDERS_FILE);
        if ph.is_file() {
            match read_capped(&ph, limits) {
                Ok(t) => group.placeholders = Some((ph.display().to_string(), t)),
                Err(e) => errors.push(io_error(&ph, e)),
            }
        }
        let mut files = Vec::new();
        walk(path, &mut files, errors);
        files.sort();
        for f in files {
            match read_capped(&f, limits) {
                Ok(t) => group.sources.push((f.display().to_string(), t)),
                Err(e) => errors.push(io_error(&f, e)),
            }
        }
    } else {
        match read_capped(path, limits) {
            Ok(t) => group.sources.push((path.display().to_string(), t)),
            Err(e) => errors.push(io_error(path, e)),
        }
    }
    group
}

/// Reads at most one byte past the file-size limit, so a huge file costs no more than that and
/// [`build`] still reports it as over the limit.
fn read_capped(path: &Path, limits: &RuleLimits) -> std::io::Result<String> {
    use std::io::Read;
    let cap = u64::try_from(limits.max_file_bytes).unwrap_or(u64::MAX);
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(cap.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() > limits.max_file_bytes {
        // Cut mid-character perhaps; only its length matters now.
        return Ok(String::from_utf8_lossy(&bytes).into_owned());
    }
    String::from_utf8(bytes).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<RuleError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => return errors.push(io_error(dir, e)),
    };
    for entry in entries.flatten() {
        let p = entry.path();
        if p.is_dir() {
            walk(&p, out, errors);
        } else if is_rule_file(&p) {
            out.push(p);
        }
    }
}

fn is_rule_file(p: &Path) -> bool {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    (name.ends_with(".yml") || name.ends_with(".yaml")) && name != PLACEHOLDERS_FILE
}

/// Parses a placeholders file: a map of name → list of values.
pub fn parse_placeholders(file: &str, text: &str, errors: &mut Vec<RuleError>) -> Placeholders {
    let mut out = Placeholders::new();
    let err = |line, col, message: String| RuleError {
        file: file.to_owned(),
        line,
        col,
        message,
    };
    let docs = match yaml::parse_documents(text) {
        Ok(d) => d,
        Err(e) => {
            errors.push(err(e.line, e.col, format!("YAML syntax: {}", e.message)));
            return out;
        }
    };
    let Some(doc) = docs.first() else {
        return out;
    };
    let entries = match &doc.kind {
        NodeKind::Map(m) => m,
        NodeKind::Null => return out,
        _ => {
            errors.push(err(
                doc.line,
                doc.col,
                "placeholders must be a map".to_owned(),
            ));
            return out;
        }
    };
    for (k, v) in entries {
        let Some(name) = k.scalar_text() else {
            errors.push(err(
                k.line,
                k.col,
                "placeholder names must be strings".to_owned(),
            ));
            continue;
        };
        let values = match &v.kind {
            NodeKind::Seq(items) => items.iter().filter_map(|i| i.scalar_text()).collect(),
            NodeKind::Null => Vec::new(),
            _ => v.scalar_text().into_iter().collect(),
        };
        out.insert(name, values);
    }
    out
}

/// Parses, compiles and indexes groups of sources, collecting every error. Filters are
/// applied once every file is read, since a filter and its rules may sit in any files.
pub fn build(
    groups: Vec<Group>,
    mut errors: Vec<RuleError>,
    limits: &RuleLimits,
) -> Result<RuleSet, RuleErrors> {
    let mut asts: Vec<RuleAst> = Vec::new();
    let mut filters: Vec<FilterAst> = Vec::new();
    let (mut skipped, mut warnings) = (Vec::new(), Vec::new());
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut correlations = Vec::new();
    let mut skipped_refs: HashMap<String, String> = HashMap::new();
    'groups: for g in groups {
        let placeholders = g
            .placeholders
            .map(|(f, t)| parse_placeholders(&f, &t, &mut errors))
            .unwrap_or_default();
        for (file, text) in &g.sources {
            let at = |line: u64, col: u64, message: String| RuleError {
                file: file.clone(),
                line,
                col,
                message,
            };
            if text.len() > limits.max_file_bytes {
                errors.push(at(
                    1,
                    1,
                    format!(
                        "rule file is over the {} byte limit (MAX_RULE_FILE_BYTES)",
                        limits.max_file_bytes
                    ),
                ));
                continue;
            }
            if asts.len() + filters.len() + correlations.len() >= limits.max_rules {
                errors.push(at(
                    1,
                    1,
                    format!(
                        "more than {} rules (MAX_RULES): this file and any after it were not loaded",
                        limits.max_rules
                    ),
                ));
                break 'groups;
            }
            let mut out = parse_source(file, text, &placeholders);
            skipped.extend(std::mem::take(&mut out.skipped));
            warnings.extend(std::mem::take(&mut out.warnings));
            errors.extend(std::mem::take(&mut out.errors));
            skipped_refs.extend(std::mem::take(&mut out.skipped_refs));
            for (pos, key, what) in references(&out) {
                let here = format!("{file}:{}:{}", pos.line, pos.col);
                if let Some(prev) = seen.get(key) {
                    let message = match what {
                        "id" => format!("duplicate rule id `{key}` (first at {prev})"),
                        _ => format!(
                            "duplicate name `{key}` (first at {prev}): correlations refer to \
                             rules by id or name, so each must name one document"
                        ),
                    };
                    errors.push(at(pos.line, pos.col, message));
                } else {
                    seen.insert(key.to_owned(), here);
                }
            }
            for ast in out.rules {
                if asts.len() + filters.len() >= limits.max_rules {
                    let message = format!("more than {} rules (MAX_RULES)", limits.max_rules);
                    errors.push(at(ast.id_pos.line, ast.id_pos.col, message));
                    break 'groups;
                }
                asts.push(ast);
            }
            correlations.extend(out.correlations);
            for f in out.filters {
                // Compiled alone once, so that its errors name the filter's own file.
                match compile(&f.detection, limits.max_regex_bytes) {
                    Ok(_) => filters.push(f),
                    Err(errs) => errors.extend(errs.into_iter().map(|(p, m)| at(p.line, p.col, m))),
                }
            }
        }
    }
    let mut rules: Vec<Rule> = Vec::with_capacity(asts.len());
    let mut targets = vec![Vec::new(); filters.len()];
    for f in &filters {
        warnings.extend(filter::unused(f, &asts));
    }
    for ast in asts {
        let applying: Vec<usize> = (0..filters.len())
            .filter(|&i| filter::applies(&filters[i], &ast))
            .collect();
        let fs: Vec<&FilterAst> = applying.iter().map(|&i| &filters[i]).collect();
        let labels = fs.iter().map(|f| filter::label(f)).collect();
        let file = ast.source.clone();
        match compile(&filter::effective(&ast, &fs), limits.max_regex_bytes) {
            Ok(det) => {
                for i in applying {
                    targets[i].push(rules.len());
                }
                rules.push(Rule::new(ast, Arc::new(det), labels));
            }
            Err(errs) => errors.extend(errs.into_iter().map(|(p, m)| RuleError {
                file: file.clone(),
                line: p.line,
                col: p.col,
                message: m,
            })),
        }
    }
    if !errors.is_empty() {
        return Err(RuleErrors(errors));
    }
    let correlations = resolve(
        correlations,
        &mut rules,
        &skipped_refs,
        &mut errors,
        &mut skipped,
    );
    if !errors.is_empty() {
        return Err(RuleErrors(errors));
    }
    for (r, rule) in rules.iter_mut().enumerate() {
        rule.feeds = correlations.rule_feeds.get(r).cloned().unwrap_or_default();
    }
    let dets: Vec<_> = rules.iter().map(|r| r.detection.as_ref()).collect();
    let index = RuleIndex::build(&dets);
    let paths = FieldPaths::collect(dets.iter().copied());
    let filters = filters
        .into_iter()
        .zip(targets)
        .map(|(f, targets)| LoadedFilter {
            label: filter::label(&f),
            source: f.source,
            targets,
            tests: f.tests,
        })
        .collect();
    Ok(RuleSet {
        rules,
        index,
        paths,
        filters,
        skipped,
        warnings,
        correlations,
        limits: *limits,
    })
}

/// Splits in-memory sources into rule files and placeholders files (by file name).
pub fn group_sources(sources: &[(String, String)]) -> Group {
    let mut g = Group {
        sources: Vec::new(),
        placeholders: None,
    };
    for (name, text) in sources {
        let file = name.rsplit('/').next().unwrap_or(name);
        if file == PLACEHOLDERS_FILE {
            g.placeholders = Some((name.clone(), text.clone()));
        } else {
            g.sources.push((name.clone(), text.clone()));
        }
    }
    g
}

/// The ids and names a file's documents declare, in the order written: (where, which,
/// `id` or `name`). A document's name equal to its own id is listed once.
fn references(out: &FileOutcome) -> Vec<(Pos, &str, &'static str)> {
    let mut keys = Vec::new();
    for r in &out.rules {
        keys.push((r.id_pos, r.id.as_str(), "id"));
        if let Some(n) = r.name.as_deref().filter(|n| *n != r.id) {
            keys.push((r.name_pos, n, "name"));
        }
    }
    for f in &out.filters {
        if let Some(id) = &f.id {
            keys.push((f.pos, id.as_str(), "id"));
        }
    }
    for c in &out.correlations {
        keys.push((c.id_pos, c.id.as_str(), "id"));
        if let Some(n) = c.name.as_deref().filter(|n| *n != c.id) {
            keys.push((c.name_pos, n, "name"));
        }
    }
    keys.sort_by_key(|(pos, _, _)| (pos.line, pos.col));
    keys
}
