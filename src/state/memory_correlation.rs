//! Correlation windows in memory, evicted by event time: what is kept is bounded by the groups
//! active within one timespan plus lateness of the newest record seen.
use std::collections::HashMap;

use crate::correlate::{cover, prune, FireRequest, Fired, GroupId, Slice};

/// How many calls between eviction sweeps.
const SWEEP_EVERY: u64 = 64;

#[derive(Debug, Default)]
pub(super) struct Windows {
    groups: HashMap<GroupId, Group>,
    /// The newest correlation clock seen, epoch ms.
    watermark: i64,
    calls: u64,
}

#[derive(Debug, Default)]
struct Group {
    /// By origin.
    slices: HashMap<String, Slice>,
    fired: Vec<i64>,
    keep_ms: i64,
    span_ms: i64,
}

impl Windows {
    pub(super) fn gather(&mut self, slices: &[Slice], now_ms: i64) -> Vec<Vec<Slice>> {
        self.tick(now_ms);
        for s in slices {
            let g = self.groups.entry(s.group.clone()).or_default();
            g.keep_ms = s.keep_ms;
            g.span_ms = s.span_ms;
            g.slices.insert(s.origin.clone(), s.clone());
        }
        slices
            .iter()
            .map(|s| {
                let floor = now_ms.saturating_sub(s.keep_ms);
                self.groups.get(&s.group).map_or_else(Vec::new, |g| {
                    let mut v: Vec<Slice> = g
                        .slices
                        .values()
                        .filter(|x| x.max_at() >= floor)
                        .cloned()
                        .collect();
                    v.sort_by(|a, b| a.origin.cmp(&b.origin));
                    v
                })
            })
            .collect()
    }

    pub(super) fn fire(&mut self, requests: &[FireRequest], now_ms: i64) -> Vec<Vec<Fired>> {
        self.tick(now_ms);
        requests
            .iter()
            .map(|r| {
                let g = self.groups.entry(r.group.clone()).or_default();
                g.keep_ms = g.keep_ms.max(r.keep_ms);
                g.span_ms = r.span_ms;
                prune(&mut g.fired, now_ms.saturating_sub(r.keep_ms + r.span_ms));
                cover(&mut g.fired, &r.triggers, r.span_ms)
            })
            .collect()
    }

    /// Groups and slices held, for tests of the memory bound.
    pub(super) fn len(&self) -> (usize, usize) {
        let slices = self.groups.values().map(|g| g.slices.len()).sum();
        (self.groups.len(), slices)
    }

    fn tick(&mut self, now_ms: i64) {
        self.watermark = self.watermark.max(now_ms);
        self.calls += 1;
        if self.calls % SWEEP_EVERY != 0 {
            return;
        }
        let w = self.watermark;
        self.groups.retain(|_, g| {
            let floor = w.saturating_sub(g.keep_ms);
            g.slices.retain(|_, s| s.max_at() >= floor);
            prune(&mut g.fired, floor.saturating_sub(g.span_ms));
            !g.slices.is_empty() || !g.fired.is_empty()
        });
    }
}
