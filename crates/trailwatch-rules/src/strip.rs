//! Serving copies of rule files, without their `tests:` cases.
//!
//! A function that only matches never runs a rule's test cases, yet in the bundled rules they
//! are four fifths of the YAML (whole sample records), and parsing them was most of the cold
//! start. Test lines become empty lines, so every line number stays as on disk and an error
//! still points at the right place in the file.

/// `text` with each top-level `tests:` block blanked out, line for line.
pub fn without_tests(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tests = false;
    for line in text.split_inclusive('\n') {
        in_tests = if in_tests && continues_block(line) {
            true
        } else {
            is_tests_key(line)
        };
        if in_tests {
            // Keep the line break (and a `\r` before it) so positions after it do not move.
            out.push_str(&line[line.trim_end_matches(['\r', '\n']).len()..]);
        } else {
            out.push_str(line);
        }
    }
    out
}

/// `tests:` as a top-level key, with its value on the same line or below.
fn is_tests_key(line: &str) -> bool {
    line.strip_prefix("tests:")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']))
}

/// Lines that belong to the value of the top-level key above them: indented, blank, a comment,
/// or a `- ` sequence entry, which YAML allows at the key's own indentation.
fn continues_block(line: &str) -> bool {
    if line.starts_with("---") || line.starts_with("...") {
        return false;
    }
    line.trim().is_empty()
        || line.starts_with([' ', '\t', '#'])
        || line.starts_with("- ")
        || line.trim_end() == "-"
}

#[cfg(test)]
mod tests {
    use super::without_tests;

    const RULE: &str = "title: t\ntests:\n- name: a\n  expect: match\n  event:\n    eventName: X\n\n# note\n-\n  name: b\ndetection:\n  sel:\n    eventName: X\n";

    #[test]
    fn blanks_the_block_and_keeps_every_line() {
        let out = without_tests(RULE);
        assert_eq!(out.lines().count(), RULE.lines().count());
        assert_eq!(
            out,
            "title: t\n\n\n\n\n\n\n\n\n\ndetection:\n  sel:\n    eventName: X\n"
        );
    }

    #[test]
    fn indented_cases_and_crlf() {
        let text = "tests:\r\n  - name: a\r\n    expect: match\r\nlevel: high\r\n";
        assert_eq!(without_tests(text), "\r\n\r\n\r\nlevel: high\r\n");
    }

    #[test]
    fn a_document_marker_ends_the_block() {
        let text = "tests: []\n---\ntitle: second\ntests:\n- name: x\n";
        assert_eq!(without_tests(text), "\n---\ntitle: second\n\n\n");
    }

    #[test]
    fn other_keys_are_untouched() {
        let text = "testsuite: 1\ntests_extra: 2\ndetection:\n  tests: keep\n";
        assert_eq!(without_tests(text), text);
    }
}
