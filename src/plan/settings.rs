//! How matches become messages: the plan's settings, read by `crate::config`.

use super::message::Form;
use super::routing::Routes;
use crate::rules::Level;

/// Default for `MAX_ALERTS_PER_RULE_PER_OBJECT`.
pub const DEFAULT_MAX_ALERTS_PER_RULE: usize = 20;

/// How matches become messages.
#[derive(Debug, Clone)]
pub struct PlanSettings {
    /// Alerts per rule per object before the rest go into one digest.
    pub max_alerts_per_rule: usize,
    /// Every match as its own message: no storm control (the CLI's `--every-match`).
    pub every_match: bool,
    /// Matches of rules below this level are left out.
    pub min_level: Option<Level>,
    /// The form messages are rendered in.
    pub form: Form,
    /// Which topic each rule's messages go to.
    pub routes: Routes,
}

impl Default for PlanSettings {
    fn default() -> Self {
        PlanSettings {
            max_alerts_per_rule: DEFAULT_MAX_ALERTS_PER_RULE,
            every_match: false,
            min_level: None,
            form: Form::Sns,
            routes: Routes::single("-"),
        }
    }
}
