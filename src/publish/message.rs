//! One SNS message per alert with a form per protocol (`MessageStructure=json`), its subject,
//! its attributes and the ids that make redelivery harmless, all sized to fit SNS's limit.

use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

use crate::render::attributes::{self, Attribute};
use crate::render::{self, chatbot, sanitize, text, Alert, Digest};

/// SNS's limit for one message: the whole `MessageStructure=json` payload plus attributes.
pub const SNS_MESSAGE_MAX: usize = 256 * 1024;
/// What we aim under it, leaving room for the subject and request overhead.
pub const MESSAGE_BUDGET: usize = SNS_MESSAGE_MAX - 2048;

/// One message ready for a `PublishBatch` entry.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// SHA-256 (hex) of what makes the alert unique: the FIFO deduplication id, and the
    /// batch entry id's source.
    pub key: String,
    /// The `MessageGroupId` on FIFO topics: the rule id.
    pub group: String,
    pub subject: String,
    /// The `MessageStructure=json` document.
    pub message: String,
    pub attributes: Vec<Attribute>,
}

impl Outgoing {
    /// Size as SNS counts it against the 256 KB message and batch limits.
    pub fn size(&self) -> usize {
        self.message.len()
            + self.subject.len()
            + self.attributes.iter().map(Attribute::size).sum::<usize>()
    }

    /// Deterministic, so a retried batch names the same entries.
    pub fn entry_id(&self) -> String {
        format!("m{}", &self.key[..40.min(self.key.len())])
    }

    pub fn alert(alert: &Alert) -> Outgoing {
        let subject = render::subject(alert);
        let attributes = attributes::attributes(alert);
        let key = hash(&alert.identity());
        let group = group_id(&alert.rule.id);
        let body = text::text(alert);
        let card = chatbot::chatbot(alert);
        // Shrink the event inside the alert JSON until the whole message fits.
        let mut event_budget = 64 * 1024;
        loop {
            let out = Outgoing {
                key: key.clone(),
                group: group.clone(),
                subject: subject.clone(),
                message: structure(&body, &card, &alert.to_json_capped(event_budget)),
                attributes: attributes.clone(),
            };
            if out.size() <= MESSAGE_BUDGET {
                return out;
            }
            if event_budget <= 1024 {
                // Only reachable with pathological rule text: cut the human forms too.
                let body = sanitize::truncate(&body, 8000);
                let card = json!({"version": "1.0", "source": "custom", "content": {
                    "textType": "client-markdown",
                    "title": card["content"]["title"],
                    "description": "The alert was too large for chat; see the email or the SQS copy."}});
                return Outgoing {
                    message: structure(&body, &card, &alert.to_json_capped(event_budget)),
                    ..out
                };
            }
            event_budget /= 2;
        }
    }

    pub fn digest(digest: &Digest) -> Outgoing {
        let out = Outgoing {
            key: hash(&digest.identity()),
            group: group_id(&digest.rule.id),
            subject: digest.subject(),
            message: structure(&digest.text(), &digest.chatbot(), &digest.to_json()),
            attributes: digest.attributes(),
        };
        if out.size() <= MESSAGE_BUDGET {
            return out;
        }
        let small = digest.shrunk(5);
        Outgoing {
            message: structure(&small.text(), &small.chatbot(), &small.to_json()),
            ..out
        }
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
