//! One message per alert or digest, rendered once in the form its destination reads: the SNS
//! `MessageStructure=json` document (a form per protocol), or one line for stdout.
//!
//! Everything is sized to fit SNS's limit here, so `deliver` only sends.

use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

use crate::alert::{Alert, CorrelationAlert, Digest, RuleRef};
use crate::render::attributes::{self, Attribute};
use crate::render::{self, chatbot, csv, facts, sanitize, text, Facts};
use crate::rules::Level;

/// SNS's limit for one message: the whole `MessageStructure=json` payload plus attributes.
pub const SNS_MESSAGE_MAX: usize = 256 * 1024;
/// What we aim under it, leaving room for the subject and request overhead.
pub const MESSAGE_BUDGET: usize = SNS_MESSAGE_MAX - 2048;

/// Which form messages are rendered in, chosen by the destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Form {
    /// The SNS document: email text, Chatbot card, alert JSON for SQS and Lambda.
    #[default]
    Sns,
    /// The alert JSON alone, one per line: what SQS and Lambda subscribers receive.
    Json,
    /// One readable line.
    Text,
    /// One CSV row (see [`csv::HEADER`]).
    Csv,
}

/// Whether a message is one match or a digest of many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One match, sent on its own.
    Alert,
    /// The matches of one rule in one object past the storm limit.
    Digest,
    /// A correlation rule's window over several records.
    Correlation,
}

/// One rendered message, ready for any delivery seam.
#[derive(Debug, Clone)]
pub struct Message {
    /// Alert or digest.
    pub kind: Kind,
    /// The rule that raised it.
    pub rule_id: String,
    /// The rule's level, for `--min-level` and summaries.
    pub level: Level,
    /// What makes it unique: (eventID, rule) or (digest, rule, object). The state table
    /// claims it; its SHA-256 is the FIFO deduplication id.
    pub identity: String,
    /// SHA-256 (hex) of `identity`.
    pub key: String,
    /// The `MessageGroupId` on FIFO topics: the rule id.
    pub group: String,
    /// The SNS subject (empty in the local forms, which print only the body).
    pub subject: String,
    /// The body in the chosen [`Form`].
    pub body: String,
    /// SNS message attributes (empty for the local forms).
    pub attributes: Vec<Attribute>,
    /// The event's `eventID` (none for a digest).
    pub event_id: Option<String>,
    /// The event's `eventTime` (a digest's first), for delivery-lag metrics.
    pub event_time: Option<String>,
}

impl Message {
    /// Size as SNS counts it against the 256 KB message and batch limits.
    pub fn size(&self) -> usize {
        self.body.len()
            + self.subject.len()
            + self.attributes.iter().map(Attribute::size).sum::<usize>()
    }

    /// Deterministic, so a retried batch names the same entries.
    pub fn entry_id(&self) -> String {
        format!("m{}", &self.key[..40.min(self.key.len())])
    }

    /// Renders one correlation alert. Its `event_id` is the firing's subject in the state
    /// table, so it is claimed and delivered once like a single-record alert.
    pub fn correlation(alert: &CorrelationAlert, form: Form) -> Message {
        let c = &alert.correlation;
        let identity = alert.identity();
        let mut out = Message {
            kind: Kind::Correlation,
            rule_id: c.id.clone(),
            level: c.level,
            key: hash(&identity),
            identity,
            group: group_id(&c.id),
            subject: alert.subject(),
            body: String::new(),
            attributes: Vec::new(),
            event_id: Some(alert.subject_key()),
            event_time: Some(alert.last_event_time.clone()),
        };
        out.body = match form {
            Form::Json => alert.to_json(),
            Form::Text => alert.line(),
            Form::Csv => alert.csv_row(),
            Form::Sns => {
                out.attributes = alert.attributes();
                let full = structure(&alert.text(), &alert.chatbot(), &alert.to_json());
                if full.len() + out.size() <= MESSAGE_BUDGET {
                    full
                } else {
                    let mut small = alert.clone();
                    small.sample.truncate(2);
                    small.values.truncate(3);
                    small.group.iter_mut().for_each(|(_, v)| {
                        *v = v.as_deref().map(|s| sanitize::truncate(s, 256));
                    });
                    structure(&small.text(), &small.chatbot(), &small.to_json())
                }
            }
        };
        out
    }

    /// A message with no body yet, for `rule`'s alert or digest known by `identity`.
    fn new(kind: Kind, rule: &RuleRef, identity: String, subject: String) -> Message {
        Message {
            kind,
            rule_id: rule.id.clone(),
            level: rule.level,
            key: hash(&identity),
            identity,
            group: group_id(&rule.id),
            subject,
            body: String::new(),
            attributes: Vec::new(),
            event_id: None,
            event_time: None,
        }
    }

    /// Renders one alert. Its facts are read once, and only for the forms that show them: a
    /// backfill printing every match as JSON or text pays for no subject, card or links.
    pub fn alert(alert: &Alert, form: Form) -> Message {
        let mut out = Message::new(Kind::Alert, &alert.rule, alert.identity(), String::new());
        out.event_id = alert.field("eventID").map(str::to_string);
        match form {
            Form::Json | Form::Text => {
                // What `Facts::event_time` holds, without reading every other fact.
                out.event_time = facts::text(&alert.event, "eventTime");
                out.body = match form {
                    Form::Json => alert.to_json(),
                    _ => render::text_line(alert),
                };
            }
            Form::Csv | Form::Sns => {
                let facts = Facts::of(alert);
                out.event_time.clone_from(&facts.event_time);
                if form == Form::Csv {
                    out.body = csv::alert_row(alert, &facts);
                } else {
                    out.subject = render::subject(alert, &facts);
                    out.attributes = attributes::attributes(alert, &facts);
                    let size = out.size();
                    out.body = sns_alert_body(alert, &facts, size);
                }
            }
        }
        out
    }

    /// Renders one digest.
    pub fn digest(digest: &Digest, form: Form) -> Message {
        let subject = digest.subject();
        let mut out = Message::new(Kind::Digest, &digest.rule, digest.identity(), subject);
        out.event_time.clone_from(&digest.first_event_time);
        out.body = match form {
            Form::Json => digest.to_json(),
            Form::Text => digest.line(),
            Form::Csv => csv::digest_row(digest),
            Form::Sns => {
                out.attributes = digest.attributes();
                let full = structure(&digest.text(), &digest.chatbot(), &digest.to_json());
                if full.len() + out.size() <= MESSAGE_BUDGET {
                    full
                } else {
                    let small = digest.shrunk(5);
                    structure(&small.text(), &small.chatbot(), &small.to_json())
                }
            }
        };
        out
    }
}

/// The SNS document for an alert, shrinking the event inside the alert JSON until the whole
/// message (with `overhead`: subject and attributes) fits.
fn sns_alert_body(alert: &Alert, facts: &Facts, overhead: usize) -> String {
    let body = text::text(alert, facts);
    let card = chatbot::chatbot(alert, facts);
    let mut event_budget = 64 * 1024;
    loop {
        let message = structure(&body, &card, &alert.to_json_capped(event_budget));
        if message.len() + overhead <= MESSAGE_BUDGET {
            return message;
        }
        if event_budget <= 1024 {
            // Only reachable with pathological rule text: cut the human forms too.
            let body = sanitize::truncate(&body, 8000);
            let card = json!({"version": "1.0", "source": "custom", "content": {
                "textType": "client-markdown",
                "title": card["content"]["title"],
                "description": "The alert was too large for chat; see the email or the SQS copy."}});
            return structure(&body, &card, &alert.to_json_capped(event_budget));
        }
        event_budget /= 2;
    }
}

/// The per-protocol document: text for people on email, the Chatbot card for `https` (and
/// `http`, so a loopback listener sees what Chatbot would), the alert JSON for machines.
fn structure(text: &str, card: &Value, json: &str) -> String {
    let card = card.to_string();
    json!({
        "default": text,
        "email": text,
        "email-json": json,
        "https": card,
        "http": card,
        "sqs": json,
        "lambda": json,
    })
    .to_string()
}

/// SHA-256 of `s`, in hex.
pub fn hash(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// FIFO group ids allow printable ASCII up to 128 characters.
fn group_id(rule_id: &str) -> String {
    let g: String = rule_id
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(128)
        .collect();
    if g.is_empty() {
        "trailwatch".into()
    } else {
        g
    }
}
