//! What the evaluator needs of a record, so it runs on a full `serde_json::Value` and on the
//! match stage's projection (only the paths the rules read, strings borrowed from the text)
//! alike.
use serde_json::Value;

/// A value found at the end of a path.
#[derive(Debug, Clone, Copy)]
pub enum Leaf<'a> {
    /// A string, borrowed from the record's text where it had no escapes.
    Str(&'a str),
    /// Any other value, or a string of a full `Value`.
    Value(&'a Value),
}

/// A value one step down a path, as the rule index sees it.
#[derive(Debug, Clone, Copy)]
pub enum Node<'a> {
    /// `null`.
    Null,
    /// A string.
    Str(&'a str),
    /// An object (possibly cut down to the paths the rules read).
    Object,
    /// A number, a boolean or an array.
    Other,
}

/// A record the compiled rules can evaluate.
pub trait Doc {
    /// Calls `f` on every value at `path` (arrays on the way flattened), stopping at the first
    /// `true`.
    fn any_leaf<'a>(&'a self, path: &[String], f: &mut dyn FnMut(Leaf<'a>) -> bool) -> bool;

    /// Calls `f` on every string anywhere in the record, stopping at the first `true`.
    fn any_string(&self, f: &mut dyn FnMut(&str) -> bool) -> bool;

    /// The value at `path` through objects only (arrays are not entered): the index's keys.
    fn at(&self, path: &[&str]) -> Option<Node<'_>>;
}

impl Doc for Value {
    fn any_leaf<'a>(&'a self, path: &[String], f: &mut dyn FnMut(Leaf<'a>) -> bool) -> bool {
        any_leaf(self, path, &mut |v| f(Leaf::Value(v)))
    }

    fn any_string(&self, f: &mut dyn FnMut(&str) -> bool) -> bool {
        any_string(self, f)
    }

    fn at(&self, path: &[&str]) -> Option<Node<'_>> {
        let mut v = self;
        for key in path {
            v = v.as_object()?.get(*key)?;
        }
        Some(Node::of(v))
    }
}

impl<'a> Node<'a> {
    /// How a full value looks to the index.
    pub fn of(v: &'a Value) -> Node<'a> {
        match v {
            Value::Null => Node::Null,
            Value::String(s) => Node::Str(s),
            Value::Object(_) => Node::Object,
            _ => Node::Other,
        }
    }
}

impl<'a> Leaf<'a> {
    /// The string, if this is one.
    pub fn as_str(self) -> Option<&'a str> {
        match self {
            Leaf::Str(s) => Some(s),
            Leaf::Value(v) => v.as_str(),
        }
    }

    /// Whether this is `null`.
    pub fn is_null(self) -> bool {
        matches!(self, Leaf::Value(Value::Null))
    }
}

/// Calls `f` on every value at `path` (arrays flattened), stopping at the first `true`.
pub fn any_leaf<'a>(v: &'a Value, path: &[String], f: &mut dyn FnMut(&'a Value) -> bool) -> bool {
    match v {
        Value::Array(items) => items.iter().any(|i| any_leaf(i, path, f)),
        _ => match path.split_first() {
            None => f(v),
            Some((head, rest)) => match v {
                Value::Object(map) => map.get(head).is_some_and(|c| any_leaf(c, rest, f)),
                _ => false,
            },
        },
    }
}

/// Calls `f` on every string anywhere in the record, stopping at the first `true`.
pub fn any_string<'a>(v: &'a Value, f: &mut dyn FnMut(&'a str) -> bool) -> bool {
    match v {
        Value::String(s) => f(s),
        Value::Array(items) => items.iter().any(|i| any_string(i, f)),
        Value::Object(map) => map.values().any(|i| any_string(i, f)),
        _ => false,
    }
}
