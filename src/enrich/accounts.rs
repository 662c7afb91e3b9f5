//! Account names: a file of `id,name` lines, so an alert says `prod-web (123456789012)`.
//!
//! One account per line, the 12-digit id, a comma, and the name (which may hold commas); blank
//! lines and lines starting with `#` are skipped. A CSV export of AWS Organizations'
//! `ListAccounts` (`aws organizations list-accounts --query 'Accounts[].[Id,Name]' --output
//! text | tr '\t' ,`) reads as is.

use std::collections::HashMap;

use super::error::EnrichError;

/// Account id → name.
#[derive(Debug, Clone, Default)]
pub struct Accounts {
    names: HashMap<String, String>,
}

impl Accounts {
    /// Parses `text`, read from `file` (named in errors with the line).
    pub fn parse(file: &str, text: &str) -> Result<Accounts, EnrichError> {
        let mut names = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |why: &str| EnrichError::Invalid {
                file: file.to_string(),
                why: format!("line {}: {why}: {line:?}", n + 1),
            };
            let (id, name) = line
                .split_once(',')
                .ok_or_else(|| bad("expected `account id,name`"))?;
            let (id, name) = (id.trim(), name.trim().trim_matches('"'));
            if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("the account id is not 12 digits"));
            }
            if name.is_empty() {
                return Err(bad("the name is empty"));
            }
            names.insert(id.to_string(), name.to_string());
        }
        Ok(Accounts { names })
    }

    /// The name of account `id`, if the file has it.
    pub fn name(&self, id: &str) -> Option<&str> {
        self.names.get(id).map(String::as_str)
    }

    /// How many accounts are named.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether no account is named.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_by_id_and_errors_name_the_file_and_line() {
        let a = Accounts::parse(
            "accounts.csv",
            "# id,name\n123456789012,prod-web\n\n210987654321, \"billing, eu\"\n",
        )
        .unwrap();
        assert_eq!(a.name("123456789012"), Some("prod-web"));
        assert_eq!(a.name("210987654321"), Some("billing, eu"));
        assert_eq!(a.name("000000000000"), None);
        let e = Accounts::parse("accounts.csv", "123456789012,ok\n12345,short\n").unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("accounts.csv") && text.contains("line 2"),
            "{text}"
        );
    }
}
