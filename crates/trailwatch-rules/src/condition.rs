//! The condition grammar: `and`, `or`, `not`, parentheses, `1 of x*`, `all of x*`,
//! `1 of them`, `all of them`, with Sigma's precedence (not > and > or).
use super::ast::Cond;

#[derive(Debug, Clone, PartialEq)]
enum Tok<'a> {
    Open,
    Close,
    Word(&'a str),
}

fn tokenize(text: &str) -> Result<Vec<Tok<'_>>, String> {
    let mut out = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        let Some(c) = rest.chars().next() else {
            return Ok(out);
        };
        match c {
            '(' => {
                out.push(Tok::Open);
                rest = &rest[1..];
            }
            ')' => {
                out.push(Tok::Close);
                rest = &rest[1..];
            }
            '|' => {
                return Err(
                    "aggregations after `|` are not supported; write a correlation rule".to_owned(),
                )
            }
            _ => {
                let end = rest
                    .find(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == '|')
                    .unwrap_or(rest.len());
                out.push(Tok::Word(&rest[..end]));
                rest = &rest[end..];
            }
        }
    }
}

/// Parses a condition against the selection names; `Err` is a message.
pub fn parse(text: &str, names: &[String]) -> Result<Cond, String> {
    let toks = tokenize(text)?;
    if toks.is_empty() {
        return Err("empty condition".to_owned());
    }
    let mut p = Parser {
        toks,
        pos: 0,
        names,
    };
    let cond = p.or_expr()?;
    match p.toks.get(p.pos) {
        None => Ok(cond),
        Some(t) => Err(format!("unexpected {} in condition", describe(t))),
    }
}

fn describe(t: &Tok<'_>) -> String {
    match t {
        Tok::Open => "`(`".to_owned(),
        Tok::Close => "`)`".to_owned(),
        Tok::Word(w) => format!("`{w}`"),
    }
}

struct Parser<'a, 'n> {
    toks: Vec<Tok<'a>>,
    pos: usize,
    names: &'n [String],
}

impl<'a> Parser<'a, '_> {
    fn peek_word(&self, kw: &str) -> bool {
        matches!(self.toks.get(self.pos), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
    }

    fn or_expr(&mut self) -> Result<Cond, String> {
        let mut items = vec![self.and_expr()?];
        while self.peek_word("or") {
            self.pos += 1;
            items.push(self.and_expr()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Cond::Or(items)
        })
    }

    fn and_expr(&mut self) -> Result<Cond, String> {
        let mut items = vec![self.not_expr()?];
        while self.peek_word("and") {
            self.pos += 1;
            items.push(self.not_expr()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Cond::And(items)
        })
    }

    fn not_expr(&mut self) -> Result<Cond, String> {
        if self.peek_word("not") {
            self.pos += 1;
            return Ok(Cond::Not(Box::new(self.not_expr()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Cond, String> {
        let tok = self.toks.get(self.pos).cloned();
        self.pos += 1;
        match tok {
            None => Err("condition ends where a selection was expected".to_owned()),
            Some(Tok::Open) => {
                let inner = self.or_expr()?;
                match self.toks.get(self.pos) {
                    Some(Tok::Close) => {
                        self.pos += 1;
                        Ok(inner)
                    }
                    _ => Err("missing `)` in condition".to_owned()),
                }
            }
            Some(Tok::Close) => Err("unexpected `)` in condition".to_owned()),
            Some(Tok::Word(w)) if w == "1" || w.eq_ignore_ascii_case("all") || w == "any" => {
                if !self.peek_word("of") {
                    return Err(format!("expected `of` after `{w}` in condition"));
                }
                self.pos += 1;
                let target = match self.toks.get(self.pos) {
                    Some(Tok::Word(t)) => *t,
                    _ => return Err(format!("expected a selection pattern after `{w} of`")),
                };
                self.pos += 1;
                let picked = self.pick(target)?;
                let items: Vec<Cond> = picked.into_iter().map(Cond::Sel).collect();
                Ok(if w == "1" || w == "any" {
                    Cond::Or(items)
                } else {
                    Cond::And(items)
                })
            }
            Some(Tok::Word(w)) => {
                if ["and", "or", "not", "of"]
                    .iter()
                    .any(|k| w.eq_ignore_ascii_case(k))
                {
                    return Err(format!("unexpected `{w}` in condition"));
                }
                match self.names.iter().position(|n| n == w) {
                    Some(i) => Ok(Cond::Sel(i)),
                    None => Err(format!("condition names unknown selection `{w}`")),
                }
            }
        }
    }

    /// Selections named by `them` or a `*` pattern; `_`-prefixed names are left out of `them`.
    fn pick(&self, target: &str) -> Result<Vec<usize>, String> {
        let picked: Vec<usize> = if target == "them" {
            (0..self.names.len())
                .filter(|&i| !self.names[i].starts_with('_'))
                .collect()
        } else {
            (0..self.names.len())
                .filter(|&i| name_glob(target.as_bytes(), self.names[i].as_bytes()))
                .collect()
        };
        if picked.is_empty() {
            return Err(format!("`{target}` in condition matches no selection"));
        }
        Ok(picked)
    }
}

/// Matches a selection name against a pattern where `*` is any run of characters.
fn name_glob(pat: &[u8], name: &[u8]) -> bool {
    match pat.split_first() {
        None => name.is_empty(),
        Some((b'*', rest)) => (0..=name.len()).any(|k| name_glob(rest, &name[k..])),
        Some((c, rest)) => name.first() == Some(c) && name_glob(rest, &name[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn precedence_not_and_or() {
        let n = names(&["a", "b", "c"]);
        let c = parse("a or not b and c", &n).unwrap();
        assert_eq!(
            c,
            Cond::Or(vec![
                Cond::Sel(0),
                Cond::And(vec![Cond::Not(Box::new(Cond::Sel(1))), Cond::Sel(2)])
            ])
        );
    }

    #[test]
    fn of_patterns_and_them() {
        let n = names(&["sel_a", "sel_b", "_hidden", "filter"]);
        assert_eq!(
            parse("1 of sel_*", &n).unwrap(),
            Cond::Or(vec![Cond::Sel(0), Cond::Sel(1)])
        );
        assert_eq!(
            parse("all of them", &n).unwrap(),
            Cond::And(vec![Cond::Sel(0), Cond::Sel(1), Cond::Sel(3)])
        );
        assert!(parse("1 of nope*", &n).is_err());
        assert!(parse("sel_a and (filter", &n).is_err());
        assert!(parse("sel_a | count() > 5", &n).is_err());
    }
}
