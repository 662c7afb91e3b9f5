//! The projection's differential oracle (with the `testing` feature, for `fuzz/` and the
//! tests): at every path asked for, what the projection of a record's text finds equals what
//! serde_json's full parse of that text holds. On text serde_json rejects, the projection may
//! give up or read anything, but it must not panic.

use serde_json::Value;

use super::project::project;
use crate::rules::{Doc, FieldPaths, Leaf, Node};

/// Where the projection of `text` onto `paths` disagrees with the full parse, described; `None`
/// where they agree, the projection gave up (an escaped key: the matcher then parses in full),
/// or serde_json rejects the text.
pub fn projection_disagrees(text: &str, paths: &[Vec<String>]) -> Option<String> {
    let trie = FieldPaths::from_paths(paths);
    let projected = project(text, trie.root()).ok()?;
    let asked = paths.iter().filter(|p| !p.is_empty());
    let Ok(full) = serde_json::from_str::<Value>(text) else {
        // Not JSON: only reading it must be safe.
        for path in asked {
            leaves(&projected, path);
            node(&projected, path);
        }
        return None;
    };
    for path in asked {
        let (got, want) = (leaves(&projected, path), leaves(&full, path));
        if got != want {
            return Some(format!(
                "values at {path:?}: projection {got:?}, full parse {want:?}"
            ));
        }
        let (got, want) = (node(&projected, path), node(&full, path));
        if got != want {
            return Some(format!(
                "node at {path:?}: projection {got:?}, full parse {want:?}"
            ));
        }
    }
    None
}

/// Every value `any_leaf` visits at `path`, as full values.
fn leaves(doc: &impl Doc, path: &[String]) -> Vec<Value> {
    let mut out = Vec::new();
    doc.any_leaf(path, &mut |leaf| {
        out.push(match leaf {
            Leaf::Str(s) => Value::String(s.to_string()),
            Leaf::Value(v) => v.clone(),
        });
        false
    });
    out
}

/// What the index would see at `path`, comparably.
fn node(doc: &impl Doc, path: &[String]) -> Option<(u8, Option<String>)> {
    let keys: Vec<&str> = path.iter().map(String::as_str).collect();
    Some(match doc.at(&keys)? {
        Node::Null => (0, None),
        Node::Str(s) => (1, Some(s.to_string())),
        Node::Object => (2, None),
        Node::Other => (3, None),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(dotted: &[&str]) -> Vec<Vec<String>> {
        dotted
            .iter()
            .map(|p| p.split('.').map(str::to_string).collect())
            .collect()
    }

    #[test]
    fn agrees_through_arrays_duplicates_and_escapes_and_survives_broken_text() {
        let asked = paths(&["a.b", "a", "c.d.e", "r.ARN", "s"]);
        for text in [
            r#"{"a":{"b":1},"a":{"b":"x\u0041","c":[2]},"s":"\"q\""}"#,
            r#"{"r":[{"ARN":"x"},[{"ARN":["y",null]}],3],"c":{"d":{"e":{"f":1}}}}"#,
            r#" {"s":7 , "c" : null}"#,
            r#"{"a":{"b":[1,{"b":2}]}}"#,
        ] {
            assert_eq!(projection_disagrees(text, &asked), None, "{text}");
        }
        for broken in [
            r#"{"a":{"b":"#,
            r#"{"a":]"#,
            r#"{"s":"\ud800"}"#,
            "{\"a\":1}}",
        ] {
            let _ = projection_disagrees(broken, &asked);
        }
    }
}
