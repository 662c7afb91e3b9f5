//! Correlation alerts do not depend on how records are split into files, the order the files
//! arrive in, or repeats: a generated correlation and records, split, shuffled and duplicated
//! across three scans sharing one in-memory store, alert as one sorted pass does and as the
//! bursts decide (the model in `tests/support/order_model.rs`).
#![no_main]

#[path = "../../tests/support/order_model.rs"]
mod order_model;

use std::collections::HashMap;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use order_model::{rules, Scenario, FILES, KINDS, NAMES, SPAN_S};
use trailwatch::rules::RuleSet;

thread_local! {
    static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    // Twelve (kind, threshold) rule sets, compiled once each.
    static RULES: std::cell::RefCell<HashMap<(usize, usize), Arc<RuleSet>>> = Default::default();
}

/// Layout: kind, threshold, groups, bursts, the repeated files (bits), 8 seed bytes, then
/// records of 4 bytes: group (low nibble) and file (high), burst (low) and name (high), and two
/// bytes of offset into the burst.
fn scenario(data: &[u8]) -> Option<Scenario> {
    let (head, rest) = data.split_at_checked(13)?;
    let (groups, bursts) = (1 + head[2] as usize % 3, 1 + head[3] as usize % 3);
    let mut recs = Vec::new();
    let mut file_of = Vec::new();
    for r in rest.chunks_exact(4).take(40) {
        let word = u16::from_le_bytes([r[2], r[3]]) as i64;
        recs.push((
            r[0] as usize % groups,
            r[1] as usize % bursts,
            word % (SPAN_S + 1),
            (r[1] as usize >> 4) % NAMES.len(),
        ));
        file_of.push((r[0] as usize >> 4) % FILES);
    }
    if recs.is_empty() {
        return None;
    }
    Some(Scenario {
        kind: head[0] as usize % KINDS,
        threshold: 2 + head[1] as usize % 4,
        recs,
        file_of,
        twice: (0..FILES).map(|i| head[4] >> i & 1 == 1).collect(),
        seed: u64::from_le_bytes(head[5..13].try_into().ok()?),
    })
}

fuzz_target!(|data: &[u8]| {
    let Some(scenario) = scenario(data) else {
        return;
    };
    let rules = RULES.with(|cache| {
        cache
            .borrow_mut()
            .entry((scenario.kind, scenario.threshold))
            .or_insert_with(|| Arc::new(rules(scenario.kind, scenario.threshold)))
            .clone()
    });
    RUNTIME.with(|runtime| {
        if let Err(why) = scenario.check(rules, runtime) {
            panic!("{why}\n{scenario:?}");
        }
    });
});
