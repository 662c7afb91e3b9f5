//! Sigma string patterns compiled once: wildcards parsed, needles lowercased, and the common
//! shapes (exact, prefix, suffix, contains) matched without allocating. Case-insensitive
//! means "equal after Unicode lowercasing"; ASCII values take a byte-wise fast path that
//! gives the same answer, and only non-ASCII values pay for a lowercased copy.
use super::ast::Anchor;

/// One token of a wildcard pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GTok {
    Char(char),
    /// `?`: exactly one character.
    One,
    /// `*`: any run of characters.
    Star,
}

/// Splits Sigma's value syntax into tokens: `*` and `?` are wildcards, `\*`, `\?` and `\\`
/// are the literal characters, and any other backslash is itself.
pub fn tokenize(text: &str, anchor: Anchor) -> Vec<GTok> {
    let mut out = Vec::with_capacity(text.len() + 2);
    if matches!(anchor, Anchor::Contains | Anchor::EndsWith) {
        out.push(GTok::Star);
    }
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&n @ ('*' | '?' | '\\')) => {
                    chars.next();
                    out.push(GTok::Char(n));
                }
                _ => out.push(GTok::Char('\\')),
            },
            '*' => out.push(GTok::Star),
            '?' => out.push(GTok::One),
            c => out.push(GTok::Char(c)),
        }
    }
    if matches!(anchor, Anchor::Contains | Anchor::StartsWith) {
        out.push(GTok::Star);
    }
    out.dedup_by(|a, b| *a == GTok::Star && *b == GTok::Star);
    out
}

/// Lowercases the literal characters of a token list.
pub fn lower_tokens(toks: &[GTok]) -> Vec<GTok> {
    let mut out = Vec::with_capacity(toks.len());
    for t in toks {
        match t {
            GTok::Char(c) => out.extend(c.to_lowercase().map(GTok::Char)),
            other => out.push(*other),
        }
    }
    out
}

#[derive(Debug, Clone)]
enum Shape {
    Exact(String),
    Prefix(String),
    Suffix(String),
    Contains(String),
    Glob(Vec<GTok>),
}

/// A compiled string pattern.
#[derive(Debug, Clone)]
pub struct StrPattern {
    shape: Shape,
    cased: bool,
}

impl StrPattern {
    pub fn new(text: &str, anchor: Anchor, cased: bool) -> StrPattern {
        let mut toks = tokenize(text, anchor);
        if !cased {
            toks = lower_tokens(&toks);
        }
        StrPattern {
            shape: classify(toks),
            cased,
        }
    }

    /// The literal this pattern equals, when it is an exact (wildcard-free) match; the
    /// rule index keys on it.
    pub fn exact(&self) -> Option<&str> {
        match &self.shape {
            Shape::Exact(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_match(&self, hay: &str) -> bool {
        if self.cased {
            return match &self.shape {
                Shape::Exact(n) => hay == n,
                Shape::Prefix(n) => hay.starts_with(n.as_str()),
                Shape::Suffix(n) => hay.ends_with(n.as_str()),
                Shape::Contains(n) => hay.contains(n.as_str()),
                Shape::Glob(p) if hay.is_ascii() => glob(p, hay.as_bytes(), |c, b| c == b as char),
                Shape::Glob(p) => glob(p, &hay.chars().collect::<Vec<_>>(), |c, h| c == h),
            };
        }
        if !hay.is_ascii() {
            let lower = hay.to_lowercase();
            return match &self.shape {
                Shape::Exact(n) => lower == *n,
                Shape::Prefix(n) => lower.starts_with(n.as_str()),
                Shape::Suffix(n) => lower.ends_with(n.as_str()),
                Shape::Contains(n) => lower.contains(n.as_str()),
                Shape::Glob(p) => glob(p, &lower.chars().collect::<Vec<_>>(), |c, h| c == h),
            };
        }
        let h = hay.as_bytes();
        match &self.shape {
            Shape::Exact(n) => h.eq_ignore_ascii_case(n.as_bytes()),
            Shape::Prefix(n) => h
                .get(..n.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(n.as_bytes())),
            Shape::Suffix(n) => h
                .len()
                .checked_sub(n.len())
                .is_some_and(|start| h[start..].eq_ignore_ascii_case(n.as_bytes())),
            Shape::Contains(n) => ci_contains(h, n.as_bytes()),
            Shape::Glob(p) => glob(p, h, |c, b| c == b.to_ascii_lowercase() as char),
        }
    }
}

/// Windowed ASCII case-insensitive search; `needle` is already lowercase.
pub fn ci_contains(hay: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    if hay.len() < needle.len() {
        return false;
    }
    (0..=hay.len() - needle.len()).any(|i| {
        hay[i].to_ascii_lowercase() == first
            && hay[i + 1..i + needle.len()].eq_ignore_ascii_case(rest)
    })
}

fn classify(toks: Vec<GTok>) -> Shape {
    let lead = toks.first() == Some(&GTok::Star);
    let trail = toks.len() > 1 && toks.last() == Some(&GTok::Star);
    let inner = &toks[usize::from(lead)..toks.len() - usize::from(trail)];
    let literal: Option<String> = inner
        .iter()
        .map(|t| match t {
            GTok::Char(c) => Some(*c),
            _ => None,
        })
        .collect();
    match (literal, lead, trail) {
        (Some(l), false, false) => Shape::Exact(l),
        (Some(l), false, true) => Shape::Prefix(l),
        (Some(l), true, false) => Shape::Suffix(l),
        (Some(l), true, true) => Shape::Contains(l),
        (None, _, _) => Shape::Glob(toks),
    }
}

/// Wildcard match with single-star backtracking: linear in practice, no recursion.
fn glob<T: Copy>(p: &[GTok], h: &[T], eq: impl Fn(char, T) -> bool) -> bool {
    let (mut pi, mut hi) = (0usize, 0usize);
    let mut star: Option<usize> = None;
    let mut mark = 0usize;
    while hi < h.len() {
        match p.get(pi) {
            Some(GTok::Star) => {
                star = Some(pi);
                mark = hi;
                pi += 1;
            }
            Some(GTok::One) => {
                pi += 1;
                hi += 1;
            }
            Some(GTok::Char(c)) if eq(*c, h[hi]) => {
                pi += 1;
                hi += 1;
            }
            _ => match star {
                Some(s) => {
                    pi = s + 1;
                    mark += 1;
                    hi = mark;
                }
                None => return false,
            },
        }
    }
    while p.get(pi) == Some(&GTok::Star) {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pat: &str, anchor: Anchor, cased: bool, hay: &str) -> bool {
        StrPattern::new(pat, anchor, cased).is_match(hay)
    }

    #[test]
    fn shapes_and_wildcards() {
        assert!(m("RebootInstance", Anchor::Whole, false, "rebootinstance"));
        assert!(!m("RebootInstance", Anchor::Whole, true, "rebootinstance"));
        assert!(m("Get*", Anchor::Whole, false, "getObject"));
        assert!(m("*Object", Anchor::Whole, false, "GETOBJECT"));
        assert!(m("a?c*e", Anchor::Whole, false, "abcde"));
        assert!(!m("a?c*e", Anchor::Whole, false, "acde"));
        assert!(m("x", Anchor::Contains, false, "aXb"));
        assert!(m(r"a\*b", Anchor::Whole, false, "a*b"));
        assert!(!m(r"a\*b", Anchor::Whole, false, "axb"));
        assert!(m(r"c:\dir", Anchor::Whole, false, r"C:\DIR"));
        assert!(m("", Anchor::Contains, false, "anything"));
        assert!(m("ÄRGER", Anchor::Whole, false, "ärger"));
        assert!(m("ä", Anchor::Contains, false, "XÄY"));
    }
}
