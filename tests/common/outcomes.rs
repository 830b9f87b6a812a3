//! Helpers for the tests that run shipped scenarios: load one (as shipped, or with dev
//! proofs for tests of mechanism logic, whose simulated proving time is the same), run
//! it expecting a pass, and snapshot its outcome apart from its costs, so that a
//! contract's gas change is one reviewable costs diff and never hides an outcome change.
//!
//! Included at a test file's root with
//! `#[macro_use] #[path = "common/outcomes.rs"] mod outcomes;`.

#![allow(dead_code)]

use serde_json::{json, Value};
use zkarena::harness::report::Report;
use zkarena::harness::zk::ProofMode;
use zkarena::run::{run, RunOptions};
use zkarena::scenario::Scenario;

/// A shipped scenario as it ships.
pub fn shipped(name: &str) -> Scenario {
    Scenario::load(name).unwrap()
}

/// A shipped scenario with dev proofs: the same run but for the proofs' bytes (and so
/// the provers' L1 gas), for tests of what the mechanism does.
pub fn dev(name: &str) -> Scenario {
    variant(name, |_| {})
}

/// A shipped scenario with dev proofs and `edit` applied (the variants a test
/// compares with).
pub fn variant(name: &str, edit: impl FnOnce(&mut Scenario)) -> Scenario {
    let mut s = shipped(name);
    s.proof_mode = ProofMode::Dev;
    edit(&mut s);
    s.validate("<variant>").unwrap();
    s
}

/// Runs `s`, which must finish without a violation and meet its expectations.
pub fn passing(s: &Scenario) -> Report {
    let out = run(s, &RunOptions::default()).unwrap();
    assert!(out.violation.is_none(), "{:?}", out.violation);
    assert!(out.report.passed(), "{}", out.report.table());
    out.report
}

/// Checks that `real`, the report of shipped scenario `name` run with real proofs, is
/// what the same run with dev proofs reports but for `proof_mode`: a dev proof has the
/// real proof's key, blob count and verification gas. Where an aggregator posts proofs
/// in calldata, whose compressed length varies by about 2 % from proof to proof, the
/// outcome must be the same and every actor's L1 gas within 3 %.
pub fn assert_dev_matches_real(name: &str, real: &Report) {
    assert_eq!(
        real.proof_mode,
        ProofMode::Real,
        "{name}: not a real-proof report"
    );
    let mut s = shipped(name);
    s.proof_mode = ProofMode::Dev;
    let dev = run(&s, &RunOptions::default()).unwrap().report;
    let calldata_proofs = serde_json::to_string(&s.cast)
        .unwrap()
        .contains(r#""proof_da":"calldata""#);
    let mut dev_value = serde_json::to_value(&dev).unwrap();
    dev_value["proof_mode"] = json!("real");
    if !calldata_proofs {
        assert_eq!(
            dev_value,
            serde_json::to_value(real).unwrap(),
            "{name}: the dev run differs from the real one"
        );
        return;
    }
    let mut dev_outcome = outcome(&dev);
    dev_outcome["proof_mode"] = json!("real");
    assert_eq!(dev_outcome, outcome(real), "{name}: outcomes differ");
    for (d, r) in dev.actors.iter().zip(&real.actors) {
        let (d, r) = (d.l1_gas as f64, r.l1_gas as f64);
        assert!(
            (d - r).abs() <= 0.03 * r.max(1.0),
            "{name}: L1 gas {d} against {r}"
        );
    }
}

/// The report without its L1 costs: who sequenced, proved, earned and was slashed,
/// every batch and transaction, the scorecard, the invariants, faults and the
/// mechanism's section; expectations as met or not.
pub fn outcome(r: &Report) -> Value {
    let mut v = serde_json::to_value(r).unwrap();
    for a in v["actors"].as_array_mut().unwrap() {
        let a = a.as_object_mut().unwrap();
        for cost in COST_FIELDS {
            a.shift_remove(*cost);
        }
    }
    for e in v["expectations"].as_array_mut().unwrap() {
        e.as_object_mut().unwrap().shift_remove("actual");
    }
    v
}

/// An actor's L1 costs and what follows from them.
const COST_FIELDS: &[&str] = &["l1_gas", "l1_fees_wei", "profit_gwei"];

/// The L1 costs: each actor's gas, fees and profit, and every expectation's actual
/// value (some are costs).
pub fn costs(r: &Report) -> Value {
    let actors: Vec<Value> = r
        .actors
        .iter()
        .map(|a| {
            json!({
                "name": a.name,
                "l1_gas": a.l1_gas,
                "l1_fees_wei": a.l1_fees_wei.to_string(),
                "profit_gwei": a.profit_gwei,
            })
        })
        .collect();
    let expectations: Vec<Value> = r
        .expectations
        .iter()
        .map(|e| json!({"expect": e.expect, "actual": e.actual}))
        .collect();
    json!({"actors": actors, "expectations": expectations})
}

/// Snapshots `report` as `<name>_outcome` and `<name>_costs`.
macro_rules! snapshot_report {
    ($name:expr, $report:expr) => {{
        let (name, report) = (&$name, &$report);
        insta::assert_yaml_snapshot!(format!("{name}_outcome"), crate::outcomes::outcome(report));
        insta::assert_yaml_snapshot!(format!("{name}_costs"), crate::outcomes::costs(report));
    }};
}
