//! The parsers' shared context: one file's errors, warnings and skipped documents, so parsing
//! goes on past the first problem, and the attribute readers every parser uses.
use crate::error::RuleError;
use crate::yaml::{Node, NodeKind, Pos};

/// Collects errors for one file so parsing can continue past the first problem.
pub(crate) struct Ctx<'a> {
    pub file: &'a str,
    pub errors: Vec<RuleError>,
    pub skipped: Vec<RuleError>,
    pub warnings: Vec<RuleError>,
    pub skipped_refs: Vec<(String, String)>,
}

impl Ctx<'_> {
    fn at(&self, at: impl Into<Pos>, message: impl Into<String>) -> RuleError {
        let p = at.into();
        RuleError {
            file: self.file.to_owned(),
            line: p.line,
            col: p.col,
            message: message.into(),
        }
    }

    pub fn err(&mut self, at: impl Into<Pos>, message: impl Into<String>) {
        let e = self.at(at, message);
        self.errors.push(e);
    }

    pub fn warn(&mut self, at: impl Into<Pos>, message: impl Into<String>) {
        let e = self.at(at, message);
        self.warnings.push(e);
    }

    /// Leaves out the document `doc`, remembering its id and name for correlations.
    pub fn skip(&mut self, doc: &Node, message: impl Into<String>) {
        let e = self.at(doc, message);
        for key in ["id", "name"] {
            if let Some(r) = doc.get(key).and_then(Node::as_str) {
                self.skipped_refs.push((r.to_owned(), e.message.clone()));
            }
        }
        self.skipped.push(e);
    }
}

impl From<&Node> for Pos {
    fn from(n: &Node) -> Pos {
        Pos {
            line: n.line.max(1),
            col: n.col.max(1),
        }
    }
}

/// A required, non-empty string attribute.
pub(crate) fn required_str(ctx: &mut Ctx<'_>, doc: &Node, key: &str) -> Option<String> {
    match doc.get(key) {
        None => {
            ctx.err(doc, format!("missing `{key}`"));
            None
        }
        Some(n) => match n.as_str() {
            Some(s) if !s.trim().is_empty() => Some(s.to_owned()),
            _ => {
                ctx.err(n, format!("`{key}` must be a non-empty string"));
                None
            }
        },
    }
}

/// An optional string attribute (null counts as absent).
pub(crate) fn optional_str(ctx: &mut Ctx<'_>, doc: &Node, key: &str) -> Option<String> {
    let n = doc.get(key)?;
    match &n.kind {
        NodeKind::Null => None,
        NodeKind::Str(s) => Some(s.clone()),
        _ => {
            ctx.err(n, format!("`{key}` must be a string"));
            None
        }
    }
}

/// A string or a list of strings (absent or null: empty).
pub(crate) fn str_list(ctx: &mut Ctx<'_>, doc: &Node, key: &str) -> Vec<String> {
    let Some(n) = doc.get(key) else {
        return Vec::new();
    };
    match &n.kind {
        NodeKind::Null => Vec::new(),
        NodeKind::Str(s) => vec![s.clone()],
        NodeKind::Seq(items) => items
            .iter()
            .filter_map(|i| match i.scalar_text() {
                Some(s) => Some(s),
                None => {
                    ctx.err(i, format!("`{key}` entries must be strings"));
                    None
                }
            })
            .collect(),
        _ => {
            ctx.err(n, format!("`{key}` must be a list of strings"));
            Vec::new()
        }
    }
}
