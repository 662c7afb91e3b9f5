//! The rule as written, after YAML and before compilation. Both the compiled evaluator and
//! the reference interpreter start from this, which is what lets them be compared.
use super::Level;

pub use super::yaml::Pos;

/// One Sigma rule with its detection still in source form.
#[derive(Debug, Clone)]
pub struct RuleAst {
    pub source: String,
    pub id: String,
    pub id_pos: Pos,
    /// Sigma 2's optional `name`, which filters may refer to instead of the id.
    pub name: Option<String>,
    pub name_pos: Pos,
    pub title: String,
    pub level: Level,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub falsepositives: Vec<String>,
    pub notify: Vec<String>,
    pub summary: Option<String>,
    pub logsource: LogSource,
    /// `eventSource` values the logsource limits the rule to (an implied condition ANDed with
    /// the detection); empty for every record.
    pub scope: Vec<String>,
    /// `suppress:`, validated.
    pub suppress: Option<super::suppress::Suppress>,
    pub detection: Detection,
    pub tests: Vec<TestCase>,
}

/// A `logsource` as written, lowercased; absent keys are `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogSource {
    pub product: Option<String>,
    pub service: Option<String>,
    pub category: Option<String>,
}

/// A Sigma filter document: selections and a condition ANDed into the rules it names.
#[derive(Debug, Clone)]
pub struct FilterAst {
    pub source: String,
    pub id: Option<String>,
    pub title: String,
    pub pos: Pos,
    pub logsource: LogSource,
    pub rules: FilterTargets,
    pub detection: Detection,
    pub tests: Vec<TestCase>,
}

/// The rules a filter names.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterTargets {
    /// `any`, `all` or an empty list: every rule whose logsource falls within the filter's.
    Any,
    /// Rule ids or names, each with its position for warnings.
    Listed(Vec<(String, Pos)>),
}

/// Named selections and the condition over them.
#[derive(Debug, Clone)]
pub struct Detection {
    pub selections: Vec<Selection>,
    /// The condition text(s) as written, for explanations.
    pub condition_text: Vec<String>,
    pub condition: Cond,
}

/// A named selection: OR over groups, each group an AND over field specs.
/// A map is one group; a list of maps is several; a keyword list is one group with one
/// field spec whose `field` is empty.
#[derive(Debug, Clone)]
pub struct Selection {
    pub name: String,
    // Where the selection is written; read only by tests with the `testing` feature.
    #[cfg_attr(not(feature = "testing"), allow(dead_code))]
    pub pos: Pos,
    pub groups: Vec<Vec<FieldSpec>>,
}

/// `field|mod|mod: values`. An empty `field` searches every string value of the record.
#[derive(Debug, Clone)]
pub struct FieldSpec {
    /// The key as written, `field|mod|...`, for explanations.
    pub key: String,
    pub field: String,
    pub mods: Mods,
    pub values: Vec<Value>,
    /// `field|element`: the detection one element of the list at `field` must satisfy.
    pub element: Option<Box<Detection>>,
    pub pos: Pos,
}

/// A value as written in YAML; numbers and booleans keep their text for comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Str(String),
    Number(String, f64),
    Bool(bool),
}

impl Value {
    /// The text compared against record values, `None` for null.
    pub fn text(&self) -> Option<&str> {
        match self {
            Value::Null => None,
            Value::Str(s) | Value::Number(s, _) => Some(s),
            Value::Bool(true) => Some("true"),
            Value::Bool(false) => Some("false"),
        }
    }
}

/// Where a string pattern is anchored in the field value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Anchor {
    #[default]
    Whole,
    Contains,
    StartsWith,
    EndsWith,
}

/// Numeric comparison modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Lt,
    Lte,
    Gt,
    Gte,
}

/// How the values of a field spec are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MatchKind {
    /// Sigma string matching with wildcards.
    #[default]
    Plain,
    Re {
        i: bool,
        m: bool,
        s: bool,
    },
    Cidr,
    Exists,
    Cmp(CmpOp),
    FieldRef,
    /// Our extension: the value is a detection over one element of the list.
    Element,
}

/// The modifier chain of a field spec, validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Mods {
    pub kind: MatchKind,
    pub anchor: Anchor,
    pub all: bool,
    pub cased: bool,
    pub neq: bool,
    /// `base64` (false) or `base64offset` (true).
    pub base64: Option<bool>,
}

/// A condition with selection names resolved to indices.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    Sel(usize),
    Not(Box<Cond>),
    And(Vec<Cond>),
    Or(Vec<Cond>),
}

/// Whether a test case expects the rule to fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// The rule must fire on the event.
    Match,
    /// The rule must not fire on the event.
    NoMatch,
}

/// A `tests:` entry of a rule file.
#[derive(Debug, Clone)]
pub struct TestCase {
    /// The case's `name`.
    pub name: String,
    /// `match` or `no-match`.
    pub expect: Expect,
    /// The record the case runs the rule on.
    pub event: serde_json::Value,
}
