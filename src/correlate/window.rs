//! Sliding windows over event time, pure: given a group's records (merged from every slice,
//! each eventID once), the moments at which a correlation's condition holds.
//!
//! The window ending at a record holds the group's records with eventTime in
//! `[its time - timespan, its time]`. Only windows that hold a record of the current object
//! are reported: the others were judged when their own records arrived.
use std::collections::{HashMap, HashSet};

use super::slice::{Contribution, Slice};
use crate::rules::{Correlation, CorrelationType};

/// One record in a group's merged window.
#[derive(Debug, Clone, Copy)]
pub struct Point<'a> {
    /// eventTime, epoch ms.
    pub at: i64,
    /// The record's digest.
    pub id: u64,
    /// Which of the correlation's rules it matched.
    pub input: u16,
    /// `field`'s value.
    pub value: Option<&'a str>,
    /// Whether the current object holds it.
    pub new: bool,
}

/// A moment at which the condition holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trigger {
    /// The eventTime of the record that made it hold.
    pub at: i64,
    /// The window's first record (an index into the points).
    pub start: usize,
    /// The record that made it hold (an index into the points).
    pub end: usize,
    /// The measure over the window.
    pub measure: f64,
}

/// The records of `all` slices in (time, input, id) order; those of `current` are marked new.
/// A record counts once, however often delivered; for the temporal types, a record that
/// matches two of the referenced rules is a step of each. Records of one second are taken in
/// the order the rules are listed, so `A then B` holds when both land in the same second
/// (CloudTrail's eventTime has whole seconds).
pub fn merge<'a>(all: &'a [Slice], current: &Slice, kind: CorrelationType) -> Vec<Point<'a>> {
    let per_input = matches!(
        kind,
        CorrelationType::Temporal | CorrelationType::TemporalOrdered
    );
    let new: HashSet<u64> = current.contributions.iter().map(|c| c.id).collect();
    let mut seen = HashSet::new();
    let mut points: Vec<Point<'a>> = all
        .iter()
        .flat_map(|s| s.contributions.iter())
        .filter(|c| seen.insert((c.id, if per_input { c.input } else { 0 })))
        .map(|c: &'a Contribution| Point {
            at: c.at,
            id: c.id,
            input: c.input,
            value: c.value.as_deref(),
            new: new.contains(&c.id),
        })
        .collect();
    points.sort_by_key(|p| (p.at, p.input, p.id));
    points
}

/// Running state of one window as it slides.
#[derive(Default)]
struct Running<'a> {
    per_input: Vec<usize>,
    inputs_seen: usize,
    values: HashMap<&'a str, usize>,
    sum: f64,
    numbers: usize,
    new: usize,
}

impl<'a> Running<'a> {
    fn step(&mut self, p: &Point<'a>, sign: i64) {
        let i = usize::from(p.input);
        if self.per_input.len() <= i {
            self.per_input.resize(i + 1, 0);
        }
        if sign > 0 {
            self.per_input[i] += 1;
            if self.per_input[i] == 1 {
                self.inputs_seen += 1;
            }
        } else {
            self.per_input[i] -= 1;
            if self.per_input[i] == 0 {
                self.inputs_seen -= 1;
            }
        }
        if p.new {
            self.new = if sign > 0 { self.new + 1 } else { self.new - 1 };
        }
        if let Some(v) = p.value {
            if sign > 0 {
                *self.values.entry(v).or_default() += 1;
            } else if let Some(n) = self.values.get_mut(v) {
                *n -= 1;
                if *n == 0 {
                    self.values.remove(v);
                }
            }
            if let Ok(x) = v.trim().parse::<f64>() {
                if x.is_finite() {
                    self.sum += if sign > 0 { x } else { -x };
                    self.numbers = if sign > 0 {
                        self.numbers + 1
                    } else {
                        self.numbers - 1
                    };
                }
            }
        }
    }
}

/// How many of the rules, in their listed order, appear one after another in `window`.
fn in_order(window: &[Point<'_>], inputs: usize) -> usize {
    let mut next = 0;
    for p in window {
        if usize::from(p.input) == next {
            next += 1;
            if next == inputs {
                break;
            }
        }
    }
    next
}

/// Every window (ending at a record) that holds a new record and satisfies `c`'s condition.
pub fn triggers(c: &Correlation, points: &[Point<'_>]) -> Vec<Trigger> {
    let span = c.timespan_ms();
    let mut out = Vec::new();
    let mut run = Running::default();
    let mut start = 0;
    for end in 0..points.len() {
        run.step(&points[end], 1);
        while points[start].at < points[end].at.saturating_sub(span) {
            run.step(&points[start], -1);
            start += 1;
        }
        if run.new == 0 {
            continue;
        }
        let measure = match c.kind {
            CorrelationType::EventCount => (end - start + 1) as f64,
            CorrelationType::ValueCount => run.values.len() as f64,
            CorrelationType::Temporal => run.inputs_seen as f64,
            CorrelationType::TemporalOrdered => {
                in_order(&points[start..=end], c.inputs.len()) as f64
            }
            CorrelationType::ValueSum => run.sum,
            CorrelationType::ValueAvg if run.numbers == 0 => continue,
            CorrelationType::ValueAvg => run.sum / run.numbers as f64,
        };
        if c.condition.holds(measure) {
            out.push(Trigger {
                at: points[end].at,
                start,
                end,
                measure,
            });
        }
    }
    out
}

/// The distinct `field` values of a window, sorted.
pub fn distinct_values(window: &[Point<'_>]) -> Vec<String> {
    let mut v: Vec<String> = window
        .iter()
        .filter_map(|p| p.value)
        .collect::<HashSet<_>>()
        .into_iter()
        .map(|s| s.replace('\u{1f}', " | "))
        .collect();
    v.sort();
    v
}
