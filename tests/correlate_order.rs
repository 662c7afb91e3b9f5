//! The order-independence guarantee of correlation rules, as a property over the model in
//! `support/order_model.rs` (which `fuzz/fuzz_targets/correlation.rs` drives too): records split
//! into files, delivered in any order, some twice, through concurrent scans sharing one store,
//! alert like one sorted pass.
#[path = "support/order_model.rs"]
mod order_model;

use std::sync::Arc;

use order_model::{rules, Scenario, FILES, KINDS, NAMES, SPAN_S};
use proptest::prelude::*;

fn scenario() -> impl Strategy<Value = Scenario> {
    (0..KINDS, 2usize..6, 1usize..4, 1usize..4).prop_flat_map(
        |(kind, threshold, groups, bursts)| {
            let rec = (0..groups, 0..bursts, 0..=SPAN_S, 0..NAMES.len());
            (
                prop::collection::vec(rec, 1..40),
                prop::collection::vec(0..FILES, 40),
                prop::collection::vec(any::<bool>(), FILES),
                any::<u64>(),
            )
                .prop_map(move |(recs, file_of, twice, seed)| Scenario {
                    kind,
                    threshold,
                    recs,
                    file_of,
                    twice,
                    seed,
                })
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("CORRELATION_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(48),
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_order_split_and_repeat_alerts_like_one_sorted_pass(scenario in scenario()) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let rules = Arc::new(rules(scenario.kind, scenario.threshold));
        if let Err(why) = scenario.check(rules, &runtime) {
            return Err(TestCaseError::fail(why));
        }
    }
}
