//! `trailwatch rules validate` on every correlation example of the Sigma correlation
//! specification v2.1 (`tests/fixtures/correlation-spec/`, one example per file, see its
//! README) and on one file per mistake a correlation author can make
//! (`tests/fixtures/correlation-errors/`). Both directories are walked, so a new fixture is
//! covered without touching this file; every fixture is checked before the test fails, and
//! the failure lists them all.
#[path = "support/cli.rs"]
mod cli;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SPEC: &str = "tests/fixtures/correlation-spec";
const ERRORS: &str = "tests/fixtures/correlation-errors";

/// The spec examples trailwatch refuses, each for a reason the specification lets a backend
/// refuse: (file, texts one of which every error line must contain, why).
const REFUSED: &[(&str, &[&str], &str)] = &[
    (
        "01-related-rules.yml",
        &["missing correlation `type`", "missing `timespan`"],
        "the spec's \"Related rules\" snippet shows only `rules`: `type` and `timespan` are \
         mandatory (spec \"Components\"; the JSON schema's `required`)",
    ),
    (
        "07-temporal-ordered.yml",
        &["groups by `User`, but the correlation `Many failed logins` it refers to does not"],
        "the outer correlation groups by `User`, but many_failed_logins groups by \
         `ComputerName`, and a correlation's alerts carry only its group-by fields: trailwatch \
         cannot group them by `User`. The spec's \"Compatibility\" section has a backend raise \
         an error when it cannot aggregate by the given grouping",
    ),
    (
        "10-value-percentile.yml",
        &["correlation type `value_percentile` is not supported"],
        "trailwatch does not evaluate percentiles (every value of a window would have to be \
         kept); \"Compatibility\" has a backend raise an error for a feature it cannot support",
    ),
];

fn validate(path: &Path) -> Output {
    Command::new(cli::bin())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["rules", "validate"])
        .arg(path)
        .env_remove("MAX_RULES")
        .env_remove("MAX_RULE_FILE_BYTES")
        .env_remove("MAX_REGEX_BYTES")
        .output()
        .expect("trailwatch runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The `*.yml` files of `dir` (relative to the package), sorted; fails when there are none.
fn fixtures(dir: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .map(|p| Path::new(dir).join(p.file_name().expect("file name")))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{dir} holds no *.yml fixture");
    files
}

fn name(path: &Path) -> String {
    path.file_name()
        .expect("file name")
        .to_string_lossy()
        .into_owned()
}

/// The `line:col: message` after `path:` on an output line, when the line is an error there.
fn located<'a>(line: &'a str, path: &Path) -> Option<(u64, u64, &'a str)> {
    let rest = line.strip_prefix(&format!("{}:", path.display()))?;
    let mut parts = rest.splitn(3, ':');
    let l = parts.next()?.parse().ok()?;
    let c = parts.next()?.parse().ok()?;
    let message = parts.next()?.strip_prefix(' ')?;
    Some((l, c, message))
}

fn show(out: &Output) -> String {
    format!(
        "exit {:?}\n  stdout: {}\n  stderr: {}",
        out.status.code(),
        text(&out.stdout).trim_end().replace('\n', "\n          "),
        text(&out.stderr).trim_end().replace('\n', "\n          ")
    )
}

/// How many YAML documents of `path` are correlations (a top-level `correlation:` key).
fn correlation_documents(path: &Path) -> usize {
    let source = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .expect("fixture readable");
    source
        .lines()
        .filter(|l| l.starts_with("correlation:"))
        .count()
}

#[test]
fn every_spec_example_loads_or_is_refused_for_a_reason_the_spec_allows() {
    let files = fixtures(SPEC);
    let names: Vec<String> = files.iter().map(|f| name(f)).collect();
    for (file, _, _) in REFUSED {
        assert!(
            names.iter().any(|n| n == file),
            "REFUSED lists {file}, which is not in {SPEC}"
        );
    }
    let mut wrong = Vec::new();
    for f in &files {
        let out = validate(f);
        let stderr = text(&out.stderr);
        match REFUSED.iter().find(|(file, _, _)| *file == name(f)) {
            Some((_, allowed, why)) => {
                let errors: Vec<&str> = stderr
                    .lines()
                    .filter(|l| !l.ends_with(" errors") && !l.ends_with(" error"))
                    .collect();
                let explained = |l: &&str| {
                    located(l, f).is_some_and(|(_, _, m)| allowed.iter().any(|a| m.contains(a)))
                };
                if out.status.code() != Some(1)
                    || errors.is_empty()
                    || !errors.iter().all(explained)
                {
                    wrong.push(format!(
                        "{}: must be refused, every error `file:line:col: ` and one of {allowed:?} \
                         ({why}); got {}",
                        f.display(),
                        show(&out)
                    ));
                }
            }
            None => {
                let want = correlation_documents(f);
                let summary = text(&out.stdout);
                let counts = format!(" {want} correlations, 0 filters, 0 skipped, ");
                if !out.status.success() || !summary.contains(&counts) {
                    wrong.push(format!(
                        "{}: must load with{counts}...; got {}",
                        f.display(),
                        show(&out)
                    ));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} spec examples:\n{}",
        wrong.len(),
        files.len(),
        wrong.join("\n")
    );
}

/// The `# expect:` text and `# at: FILE:LINE:COL` position of an error fixture.
fn expectation(path: &Path) -> (String, String, u64, u64) {
    let source = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .expect("fixture readable");
    let header = || source.lines().take_while(|l| l.starts_with('#'));
    let expect = header()
        .find_map(|l| l.strip_prefix("# expect: "))
        .unwrap_or_else(|| panic!("{} lacks `# expect: `", path.display()));
    let at = header()
        .find_map(|l| l.strip_prefix("# at: "))
        .unwrap_or_else(|| panic!("{} lacks `# at: FILE:LINE:COL`", path.display()));
    let mut parts = at.rsplitn(3, ':');
    let (c, l, file) = (parts.next(), parts.next(), parts.next());
    let (Some(c), Some(l), Some(file)) = (c, l, file) else {
        panic!("{}: `# at: {at}` is not FILE:LINE:COL", path.display());
    };
    let parse = |n: &str| {
        n.parse::<u64>()
            .unwrap_or_else(|_| panic!("{}: `# at: {at}` is not FILE:LINE:COL", path.display()))
    };
    (expect.to_owned(), file.to_owned(), parse(l), parse(c))
}

#[test]
fn every_error_fixture_fails_with_its_message_at_its_position() {
    let files = fixtures(ERRORS);
    let mut wrong = Vec::new();
    for f in &files {
        let (expect, file, line, col) = expectation(f);
        assert_eq!(file, name(f), "{}: `# at:` names another file", f.display());
        let out = validate(f);
        let output = format!("{}{}", text(&out.stderr), text(&out.stdout));
        let found = output.lines().any(|l| {
            located(l, f).is_some_and(|(l, c, m)| (l, c) == (line, col) && m.contains(&expect))
        });
        if out.status.code() != Some(1) || !found {
            wrong.push(format!(
                "{}: must fail with `{file}:{line}:{col}: ...{expect}...`; got {}",
                f.display(),
                show(&out)
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} error fixtures:\n{}",
        wrong.len(),
        files.len(),
        wrong.join("\n")
    );
}
