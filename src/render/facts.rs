//! The facts a person needs from one event, pulled out once (cleaned and capped) and shared by
//! the email text and the Chatbot card so both say the same thing.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;

use super::sanitize;
use crate::alert::Alert;
use crate::rules::{field, Level};

/// `HIGH`, `CRITICAL`, ...: the level as people scan for it.
pub fn level_upper(level: Level) -> String {
    format!("{level:?}").to_uppercase()
}

/// Who, what, where and when of one event; every value is cleaned, capped event text.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// `eventName`.
    pub event_name: Option<String>,
    /// `eventSource`.
    pub event_source: Option<String>,
    /// The resource acted on: a kind (`instance`, `bucket`, `database`, ...) and its name.
    pub resource: Option<(&'static str, String)>,
    /// `userIdentity.type`.
    pub identity_type: Option<String>,
    /// The ARN, else the user name.
    pub principal: Option<String>,
    /// `userIdentity.accessKeyId`.
    pub access_key: Option<String>,
    /// Whether MFA was used, where CloudTrail says.
    pub mfa: Option<bool>,
    /// `sourceIPAddress`.
    pub source_ip: Option<String>,
    /// `userAgent`.
    pub user_agent: Option<String>,
    /// `eventTime`.
    pub event_time: Option<String>,
    /// `recipientAccountId`, else `userIdentity.accountId`.
    pub account: Option<String>,
    /// `awsRegion`.
    pub region: Option<String>,
    /// `eventID`.
    pub event_id: Option<String>,
    /// `enrichment.actor.name` and `.kind`: the principal a person would name (the role, not
    /// the session).
    pub actor: Option<(String, String)>,
    /// `enrichment.account.name`: the account's name, where the accounts file has it.
    pub account_name: Option<String>,
    /// Whose network `sourceIPAddress` is in: `AS64500 ExampleNet, NL`, or `AWS EC2 us-east-1`.
    pub network: Option<String>,
    /// `enrichment.source.asn` and `.country`, for the CSV's columns.
    pub asn: Option<String>,
    /// `enrichment.source.country`.
    pub country: Option<String>,
    /// `errorCode: errorMessage`, when the call failed.
    pub error: Option<String>,
    /// Console links: the CloudTrail event, and the Lightsail resource where there is one.
    pub links: Vec<Link>,
}

/// A console link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// What the link opens.
    pub label: String,
    /// The URL; every event value in it is percent-encoded.
    pub url: String,
}

/// `requestParameters` keys that name a resource, with the kind a person calls it and the
/// Lightsail console section it lives in (if any).
const RESOURCE_KEYS: &[(&str, &str, Option<&str>)] = &[
    ("instanceName", "instance", Some("instances/{}/connect")),
    ("bucketName", "bucket", Some("buckets/{}/objects")),
    (
        "relationalDatabaseName",
        "database",
        Some("databases/{}/connect"),
    ),
    ("diskName", "disk", Some("disks/{}/details")),
    (
        "loadBalancerName",
        "load balancer",
        Some("networking/loadbalancers/{}"),
    ),
    ("containerServiceName", "container service", None),
    ("distributionName", "distribution", None),
    ("keyPairName", "key pair", None),
    ("dBInstanceIdentifier", "database", None),
    ("instanceId", "instance", None),
    ("userName", "user", None),
    ("roleName", "role", None),
    ("name", "resource", None),
];

/// A field of `event` as a person reads it: a string, boolean or number, cleaned and capped;
/// `None` when absent, empty or structured.
pub fn text(event: &Value, path: &str) -> Option<String> {
    let s = match field::get(event, path)? {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let s = sanitize::clean(&s, sanitize::FIELD_MAX);
    (!s.is_empty()).then_some(s)
}

/// Regions go into hostnames: anything but `[a-z0-9-]` means no link at all.
fn safe_region(region: &str) -> Option<&str> {
    let ok = !region.is_empty()
        && region.len() <= 32
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    ok.then_some(region)
}

/// RFC 3986 unreserved characters stay; everything else in event text is encoded.
const URL_PART: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn enc(s: &str) -> String {
    utf8_percent_encode(s, URL_PART).to_string()
}

/// Lightsail resource names are `[A-Za-z0-9._-]`; anything else (a failed call can name
/// anything, `..` included) gets no console link.
fn lightsail_name(name: &str) -> bool {
    name.len() <= 255
        && name.bytes().any(|b| b.is_ascii_alphanumeric())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The CloudTrail console's page for one event, where the region is a plain region name.
pub fn cloudtrail_link(region: &str, event_id: &str) -> Option<String> {
    let region = safe_region(region)?;
    (!event_id.is_empty()).then(|| {
        format!(
            "https://{region}.console.aws.amazon.com/cloudtrailv2/home?region={region}#/events/{}",
            enc(event_id)
        )
    })
}

/// Whose network the source address is in, from `enrichment.source`: the AS and country, or
/// AWS's service and region; `None` when nothing is known beyond the address.
fn network(e: &Value) -> Option<String> {
    let source = |key: &str| text(e, &format!("enrichment.source.{key}"));
    let asn = source("asn").map(|n| match source("as_org") {
        Some(org) => format!("AS{n} {org}"),
        None => format!("AS{n}"),
    });
    let aws = match (source("aws_service"), source("aws_region")) {
        (Some(service), Some(region)) => Some(format!("AWS {service} {region}")),
        (Some(service), None) => Some(format!("AWS {service}")),
        _ => None,
    };
    let parts: Vec<String> = [aws.or(asn), source("country")]
        .into_iter()
        .flatten()
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

impl Facts {
    /// Reads the facts of `alert`'s event, once per alert.
    pub fn of(alert: &Alert) -> Facts {
        let e = &alert.event;
        let raw = |path: &str| field::get(e, path).and_then(Value::as_str);
        let event_source = text(e, "eventSource");
        let mut resource = None;
        let mut resource_link = None;
        for (key, kind, section) in RESOURCE_KEYS {
            let path = format!("requestParameters.{key}");
            if let (Some(name), Some(raw_name)) = (text(e, &path), raw(&path)) {
                resource = Some((*kind, name));
                resource_link = section
                    .filter(|_| lightsail_name(raw_name))
                    .map(|s| (*kind, s, raw_name.to_string()));
                break;
            }
        }
        let mfa = match raw("userIdentity.sessionContext.attributes.mfaAuthenticated")
            .or_else(|| raw("additionalEventData.MFAUsed"))
        {
            Some("true" | "Yes") => Some(true),
            Some("false" | "No") => Some(false),
            _ => None,
        };
        let error = match (text(e, "errorCode"), text(e, "errorMessage")) {
            (Some(c), Some(m)) => Some(format!("{c}: {m}")),
            (c, m) => c.or(m),
        };
        let mut links = Vec::new();
        let region = raw("awsRegion").and_then(safe_region);
        if let (Some(region), Some(id)) = (region, raw("eventID").filter(|s| !s.is_empty())) {
            links.push(Link {
                label: "CloudTrail event".into(),
                url: format!(
                    "https://{region}.console.aws.amazon.com/cloudtrailv2/home?region={region}#/events/{}",
                    enc(id)
                ),
            });
        }
        let is_lightsail = raw("eventSource") == Some("lightsail.amazonaws.com");
        if let (true, Some(region), Some((kind, section, name))) =
            (is_lightsail, region, resource_link)
        {
            links.push(Link {
                label: format!("Lightsail {kind}"),
                url: format!(
                    "https://lightsail.aws.amazon.com/ls/webapp/{region}/{}",
                    section.replace("{}", &enc(&name))
                ),
            });
        }
        Facts {
            event_name: text(e, "eventName"),
            event_source,
            resource,
            identity_type: text(e, "userIdentity.type"),
            principal: text(e, "userIdentity.arn").or_else(|| text(e, "userIdentity.userName")),
            access_key: text(e, "userIdentity.accessKeyId"),
            mfa,
            source_ip: text(e, "sourceIPAddress"),
            user_agent: text(e, "userAgent"),
            event_time: text(e, "eventTime"),
            account: text(e, "recipientAccountId").or_else(|| text(e, "userIdentity.accountId")),
            region: text(e, "awsRegion"),
            event_id: text(e, "eventID"),
            actor: text(e, "enrichment.actor.name")
                .map(|name| (name, text(e, "enrichment.actor.kind").unwrap_or_default())),
            account_name: text(e, "enrichment.account.name"),
            network: network(e),
            asn: text(e, "enrichment.source.asn"),
            country: text(e, "enrichment.source.country"),
            error,
            links,
        }
    }

    /// The account as a person reads it: `prod-web (123456789012)`, or the id alone.
    pub fn account_line(&self) -> Option<String> {
        match (&self.account_name, &self.account) {
            (Some(name), Some(id)) => Some(format!("{name} ({id})")),
            (name, id) => id.clone().or_else(|| name.clone()),
        }
    }

    /// The source as a person reads it: `203.0.113.7 (AS64500 ExampleNet, NL)`.
    pub fn source_line(&self) -> Option<String> {
        match (&self.source_ip, &self.network) {
            (Some(ip), Some(network)) => Some(format!("{ip} ({network})")),
            (ip, _) => ip.clone(),
        }
    }

    /// `yes`, `no` or `unknown`.
    pub fn mfa_text(&self) -> &'static str {
        match self.mfa {
            Some(true) => "yes",
            Some(false) => "no",
            None => "unknown",
        }
    }
}
