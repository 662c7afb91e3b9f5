//! Every kind of rule error has a fixture under `tests/fixtures/rules/broken/`, one per file,
//! whose first lines say which message and position the loader must report.
use std::path::{Path, PathBuf};

use trailwatch::rules::RuleSet;

const DIR: &str = "tests/fixtures/rules/broken";

struct Expectation {
    message: String,
    at: Option<(u64, u64)>,
}

fn expectation(path: &Path) -> Expectation {
    let text = std::fs::read_to_string(path).expect("fixture readable");
    let mut message = None;
    let mut at = None;
    for line in text.lines().take(2) {
        if let Some(m) = line.strip_prefix("# expect: ") {
            message = Some(m.to_owned());
        }
        if let Some(a) = line.strip_prefix("# at: ") {
            let (l, c) = a.split_once(':').expect("line:col");
            let pos = (l.parse().expect("line"), c.parse().expect("col"));
            at = (pos != (0, 0)).then_some(pos);
        }
    }
    Expectation {
        message: message.unwrap_or_else(|| panic!("{} lacks `# expect:`", path.display())),
        at,
    }
}

fn fixtures() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(DIR)
        .expect("broken fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.file_name().is_some_and(|n| n != "placeholders.yml"))
        .collect();
    files.sort();
    files
}

#[test]
fn each_broken_file_reports_one_error_at_its_position() {
    let files = fixtures();
    assert!(files.len() >= 19, "expected a fixture per error kind");
    let mut wrong = Vec::new();
    for f in files {
        let want = expectation(&f);
        // Load through the directory's placeholders, as `rules validate DIR` would, by
        // loading the single file with the placeholders file alongside.
        let ph = std::fs::read_to_string(Path::new(DIR).join("placeholders.yml")).unwrap();
        let text = std::fs::read_to_string(&f).unwrap();
        let name = f.display().to_string();
        let errs =
            RuleSet::from_sources(&[(name.clone(), text), ("placeholders.yml".to_owned(), ph)])
                .expect_err(&format!("{name} must fail to load"));
        assert_eq!(errs.0.len(), 1, "{name}: expected one error, got:\n{errs}");
        let e = &errs.0[0];
        assert_eq!(e.file, name);
        assert!(
            e.message.contains(&want.message),
            "{name}: message `{}` lacks `{}`",
            e.message,
            want.message
        );
        if let Some((line, col)) = want.at {
            if (e.line, e.col) != (line, col) {
                wrong.push(format!("{e} (expected at {line}:{col})"));
            }
        }
        assert!(e
            .to_string()
            .starts_with(&format!("{name}:{}:{}: ", e.line, e.col)));
    }
    assert!(wrong.is_empty(), "wrong positions:\n{}", wrong.join("\n"));
}

#[test]
fn loading_the_directory_reports_every_file() {
    let errs = RuleSet::load_paths(&[DIR]).expect_err("broken rules");
    for f in fixtures() {
        let name = f.display().to_string();
        assert!(
            errs.0.iter().any(|e| e.file == name),
            "no error reported for {name}:\n{errs}"
        );
    }
    assert_eq!(errs.0.len(), fixtures().len(), "{errs}");
}
