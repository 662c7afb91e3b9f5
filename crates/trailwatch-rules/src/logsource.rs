//! `logsource` → which CloudTrail records a rule applies to.
//!
//! CloudTrail records every service's calls, so published rules for one AWS service say
//! `product: aws, service: iam` (or `ec2`, `s3`, ...). Such a rule applies to the records whose
//! `eventSource` is that service's: the scope becomes an implied `eventSource` condition, which
//! the index files the rule under like any other. A `category` that names a CloudTrail event
//! category (`management`, `data`, `insight`, `networkactivity`, as rules written for other
//! CloudTrail tools say) scopes the rule to records with that `eventCategory` the same way. A
//! logsource that cannot be CloudTrail (another product, or another category) is skipped with a
//! reason.
use super::ast::LogSource;
use super::yaml::Node;

/// Services whose `eventSource` is not `<service>.amazonaws.com`, or that have several.
/// `cloudtrail` (and no service at all) means every record.
const SERVICES: &[(&str, &[&str])] = &[
    ("cloudwatch", &["monitoring.amazonaws.com"]),
    ("cloudwatchlogs", &["logs.amazonaws.com"]),
    (
        "cognito",
        &[
            "cognito-idp.amazonaws.com",
            "cognito-identity.amazonaws.com",
        ],
    ),
    ("elb", &["elasticloadbalancing.amazonaws.com"]),
    (
        "identitycenter",
        &["sso.amazonaws.com", "sso-directory.amazonaws.com"],
    ),
    ("sso", &["sso.amazonaws.com", "sso-directory.amazonaws.com"]),
    ("vpc", &["ec2.amazonaws.com"]),
];

/// Logsource categories that are CloudTrail's `eventCategory` values, as records spell them.
const CATEGORIES: &[(&str, &str)] = &[
    ("management", "Management"),
    ("data", "Data"),
    ("insight", "Insight"),
    ("networkactivity", "NetworkActivity"),
];

/// The `eventCategory` a logsource `category` limits a rule to, `None` without a category or
/// for one that is not CloudTrail's.
pub fn event_category(ls: &LogSource) -> Option<&'static str> {
    let c = ls.category.as_deref()?;
    CATEGORIES
        .iter()
        .find(|(name, _)| *name == c)
        .map(|(_, value)| *value)
}

/// Reads a document's `logsource` map (values lowercased); `None` when it has none.
pub fn read(doc: &Node) -> Option<LogSource> {
    let ls = doc.get("logsource")?;
    let key = |k: &str| {
        ls.get(k)
            .and_then(Node::scalar_text)
            .map(|v| v.trim().to_lowercase())
    };
    Some(LogSource {
        product: key("product"),
        service: key("service"),
        category: key("category"),
    })
}

/// The `eventSource` values a CloudTrail rule with this logsource applies to (empty: every
/// record), or why the rule is not for CloudTrail.
pub fn scope(ls: Option<&LogSource>) -> Result<Vec<String>, String> {
    let Some(ls) = ls else {
        return Err("no `logsource`".to_owned());
    };
    match ls.product.as_deref() {
        Some("aws") => {}
        Some(other) => return Err(format!("logsource product `{other}` is not aws")),
        None => return Err("logsource has no `product: aws`".to_owned()),
    }
    if let Some(c) = ls
        .category
        .as_deref()
        .filter(|_| event_category(ls).is_none())
    {
        return Err(format!(
            "logsource category `{c}` is not a CloudTrail log source (CloudTrail's are \
             management, data, insight and networkactivity)"
        ));
    }
    Ok(match ls.service.as_deref() {
        None | Some("cloudtrail") => Vec::new(),
        Some(s) if !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => {
            return Err(format!(
                "logsource service `{s}` is not an AWS service name"
            ))
        }
        Some(s) => event_sources(s),
    })
}

/// The table above, or the default `<service>.amazonaws.com`.
pub fn event_sources(service: &str) -> Vec<String> {
    match SERVICES.iter().find(|(name, _)| *name == service) {
        Some((_, sources)) => sources.iter().map(|s| (*s).to_owned()).collect(),
        None => vec![format!("{service}.amazonaws.com")],
    }
}

/// Whether a rule's logsource falls within a filter's: every key the filter sets, the rule
/// sets to the same value (as pySigma decides).
pub fn within(rule: &LogSource, filter: &LogSource) -> bool {
    let ok = |f: &Option<String>, r: &Option<String>| f.is_none() || f == r;
    ok(&filter.product, &rule.product)
        && ok(&filter.service, &rule.service)
        && ok(&filter.category, &rule.category)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ls(product: Option<&str>, service: Option<&str>) -> LogSource {
        LogSource {
            product: product.map(str::to_owned),
            service: service.map(str::to_owned),
            category: None,
        }
    }

    #[test]
    fn services_map_to_event_sources() {
        assert_eq!(
            scope(Some(&ls(Some("aws"), Some("cloudtrail")))),
            Ok(vec![])
        );
        assert_eq!(scope(Some(&ls(Some("aws"), None))), Ok(vec![]));
        assert_eq!(
            scope(Some(&ls(Some("aws"), Some("iam")))),
            Ok(vec!["iam.amazonaws.com".to_owned()])
        );
        assert_eq!(
            event_sources("cloudwatch"),
            vec!["monitoring.amazonaws.com".to_owned()]
        );
        assert!(scope(Some(&ls(Some("windows"), None)))
            .unwrap_err()
            .contains("`windows`"));
        assert!(scope(None).is_err());
    }

    #[test]
    fn cloudtrail_categories_scope_by_event_category() {
        let mut mgmt = ls(Some("aws"), Some("ec2"));
        mgmt.category = Some("management".to_owned());
        assert_eq!(scope(Some(&mgmt)), Ok(vec!["ec2.amazonaws.com".to_owned()]));
        assert_eq!(event_category(&mgmt), Some("Management"));
        let mut other = ls(Some("aws"), None);
        other.category = Some("process_creation".to_owned());
        assert!(scope(Some(&other))
            .unwrap_err()
            .contains("process_creation"));
        assert_eq!(event_category(&other), None);
    }

    #[test]
    fn filter_logsource_containment() {
        let iam = ls(Some("aws"), Some("iam"));
        assert!(within(&iam, &ls(Some("aws"), None)));
        assert!(within(&iam, &ls(Some("aws"), Some("iam"))));
        assert!(!within(&iam, &ls(Some("aws"), Some("cloudtrail"))));
        assert!(!within(&ls(Some("aws"), None), &iam));
    }
}
