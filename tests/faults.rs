//! The shipped fault scenarios, run end to end (dev proofs): what a partition of the
//! aggregators and a crashed sequencer cost, and that nothing is lost. The assertions
//! derive from each scenario's fault window; outcomes and costs are separate
//! snapshots.

#[macro_use]
#[path = "common/outcomes.rs"]
mod outcomes;

use zkarena::harness::report::{Fate, Report};
use zkarena::harness::sim::Fault;
use zkarena::scenario::Scenario;

fn shipped(name: &str) -> (Scenario, Report) {
    let s = outcomes::shipped(name);
    let r = outcomes::passing(&s);
    (s, r)
}

/// The fault's window `[from_ms, until_ms)`.
fn window(s: &Scenario) -> (u64, u64) {
    match s.faults[0] {
        Fault::Partition {
            from_ms, until_ms, ..
        } => (from_ms, until_ms),
        Fault::Crash {
            at_ms,
            restart_ms: Some(r),
            ..
        } => (at_ms, r),
        ref other => panic!("not a windowed fault: {other:?}"),
    }
}

#[test]
fn aggregators_cut_off_from_the_l1_verify_the_backlog_once_it_heals() {
    let (s, r) = shipped("fault-partition-aggregators");
    let (from, until) = window(&s);
    // Nothing was verified for at least the partition's length...
    assert!(r.scorecard.longest_finalization_gap_ms >= until - from);
    // ...while the sequencer kept sequencing through it: consecutive batches landed at
    // most two blocks apart.
    for pair in r.batches.windows(2) {
        assert!(pair[1].l1_block - pair[0].l1_block <= 2, "{}", r.table());
    }
    // Once healed, the backlog was verified: every batch but the last one or two, the
    // fast aggregator's proofs first.
    let verified = r.batches.iter().filter(|b| b.prover.is_some()).count();
    assert!(verified + 2 >= r.batches.len(), "{}", r.table());
    assert!(r
        .batches
        .iter()
        .any(|b| b.prover.as_deref() == Some("agg-a")));
    // No transaction was lost.
    assert!(r.transactions.iter().all(|t| t.fate != Fate::Lost));
    snapshot_report!("fault_partition_aggregators", r);
}

#[test]
fn a_crashed_sequencer_resumes_and_no_transaction_is_lost_or_skipped() {
    let (s, r) = shipped("fault-sequencer-crash");
    let (at, restart) = window(&s);
    let slot_ms = s.slot_seconds * 1000;
    // No batch while it was down: somewhere two consecutive batches are at least the
    // downtime's blocks apart.
    let widest = r
        .batches
        .windows(2)
        .map(|p| p[1].l1_block - p[0].l1_block)
        .max()
        .unwrap_or(0);
    assert!(widest >= (restart - at) / slot_ms, "{}", r.table());
    // It sequenced again after the restart, and held back each user's later nonces
    // until the ones lost in flight were resent: nothing skipped, nothing lost.
    assert!(r.batches.len() >= 4);
    assert!(r
        .transactions
        .iter()
        .all(|t| t.fate == Fate::Applied || t.fate == Fate::Pending));
    // Some transactions waited out the crash.
    assert!(r.scorecard.worst_inclusion_delay_ms >= restart - at);
    snapshot_report!("fault_sequencer_crash", r);
}

#[test]
fn every_fault_kind_is_documented_with_an_example_that_parses() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/scenarios.md")).unwrap();
    let examples: Vec<Fault> = doc
        .split("```json\n")
        .skip(1)
        .filter_map(|block| block.split("\n```").next())
        .map(|json| serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}")))
        .collect();
    let kinds: std::collections::BTreeSet<&str> = examples
        .iter()
        .map(|f| match f {
            Fault::Delay { .. } => "delay",
            Fault::Drop { .. } => "drop",
            Fault::Duplicate { .. } => "duplicate",
            Fault::Reorder { .. } => "reorder",
            Fault::Partition { .. } => "partition",
            Fault::Crash { .. } => "crash",
            Fault::Withhold { .. } => "withhold",
        })
        .collect();
    assert_eq!(kinds.len(), 7, "every kind has an example: {kinds:?}");
    for f in &examples {
        for k in f.kinds() {
            assert!(
                zkarena::actors::msg::Msg::KINDS.contains(&k),
                "{k} is a message kind"
            );
        }
    }
}
