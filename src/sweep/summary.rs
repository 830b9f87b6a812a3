//! A sweep's result: per cell, how many runs passed, broke or kept every invariant, each
//! claim's share of runs with its Wilson interval, and every metric summarized. It is a
//! function of the plan and the rows only, so one machine and merged shards give the
//! same bytes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::exec::{RunRow, RunStatus};
use super::plan::Resolved;
use super::stats::{round6, wilson, MetricSummary};
use crate::scenario::Expectation;

/// A claim checked over one cell's runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClaimSummary {
    /// `metric op value`.
    pub expect: String,
    /// The share of runs it must hold in (1 for a per-run expectation).
    pub at_least: f64,
    /// Runs it held in.
    pub held: u64,
    /// Runs.
    pub runs: u64,
    /// `held / runs`.
    pub share: f64,
    /// Wilson 95 % interval of the share.
    pub share_ci: [f64; 2],
    /// Seeds the claim is about (`over_seeds`), when it names them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub over_seeds: Option<u64>,
    /// Whether the share reached `at_least` over at least `over_seeds` runs.
    pub ok: bool,
}

/// One cell: a scenario with grid values, over every seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CellSummary {
    /// `scenario k=v ...`.
    pub label: String,
    /// The base scenario.
    pub scenario: String,
    /// Its mechanism.
    pub mechanism: String,
    /// Grid values.
    pub params: Map<String, Value>,
    /// Runs.
    pub runs: u64,
    /// Runs that passed (every invariant and per-run expectation).
    pub passed: u64,
    /// Runs that broke (defects of zkarena).
    pub broke: u64,
    /// Runs in which every invariant held.
    pub invariants_held: u64,
    /// Wilson 95 % interval of the share of runs that kept every invariant.
    pub invariants_held_ci: [f64; 2],
    /// Claims.
    pub claims: Vec<ClaimSummary>,
    /// Every metric the runs reported, summarized.
    pub metrics: BTreeMap<String, MetricSummary>,
}

impl CellSummary {
    /// Whether every run kept every invariant, none broke, and every claim held.
    pub fn ok(&self) -> bool {
        self.broke == 0 && self.invariants_held == self.runs && self.claims.iter().all(|c| c.ok)
    }
}

/// A sweep's result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepReport {
    /// The plan's name.
    pub plan: String,
    /// What it measures.
    pub description: String,
    /// Seeds of every cell.
    pub seeds: Vec<u64>,
    /// Proofs.
    pub proofs: String,
    /// Runs in all.
    pub runs: u64,
    /// Cells, in the plan's order.
    pub cells: Vec<CellSummary>,
}

impl SweepReport {
    /// Summarizes `rows` (every run of `plan`, by index).
    pub fn of(plan: &Resolved, rows: &[RunRow]) -> SweepReport {
        let per_cell = plan.seeds.len();
        let cells = plan
            .cells
            .iter()
            .enumerate()
            .map(|(k, cell)| {
                let runs = &rows[k * per_cell..(k + 1) * per_cell];
                summarize(plan.plan.seed, k, &cell.label(), cell, runs)
            })
            .collect();
        SweepReport {
            plan: plan.plan.name.clone(),
            description: plan.plan.description.clone(),
            seeds: plan.seeds.clone(),
            proofs: format!("{:?}", plan.plan.proofs).to_lowercase(),
            runs: rows.len() as u64,
            cells,
        }
    }

    /// Whether every cell is [`CellSummary::ok`].
    pub fn ok(&self) -> bool {
        self.cells.iter().all(CellSummary::ok)
    }

    /// Runs that broke.
    pub fn broke(&self) -> u64 {
        self.cells.iter().map(|c| c.broke).sum()
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a sweep report serializes") + "\n"
    }
}

fn summarize(
    seed: u64,
    k: usize,
    label: &str,
    cell: &super::plan::Cell,
    runs: &[RunRow],
) -> CellSummary {
    let n = runs.len() as u64;
    let count = |f: &dyn Fn(&RunRow) -> bool| runs.iter().filter(|r| f(r)).count() as u64;
    let invariants_held = count(&|r| r.invariants_held);
    let (lo, hi) = wilson(invariants_held, n);
    let mut metrics = BTreeMap::new();
    let names: Vec<&String> = runs.iter().flat_map(|r| r.metrics.keys()).collect();
    for name in names {
        if metrics.contains_key(name.as_str()) {
            continue;
        }
        let values: Vec<f64> = runs.iter().filter_map(|r| r.metric(name)).collect();
        let stream = format!("cell {k} {name}");
        metrics.insert(name.clone(), MetricSummary::of(&values, seed, &stream));
    }
    CellSummary {
        label: label.to_string(),
        scenario: cell.scenario.clone(),
        mechanism: cell.run.mechanism.name().to_string(),
        params: cell.params.clone(),
        runs: n,
        passed: count(&|r| r.status == RunStatus::Passed),
        broke: count(&|r| r.status == RunStatus::Broke),
        invariants_held,
        invariants_held_ci: [round6(lo), round6(hi)],
        claims: cell.claims.iter().map(|e| claim(e, runs)).collect(),
        metrics,
    }
}

/// A claim over runs: a run that broke, or lacks the metric, does not hold it.
fn claim(e: &Expectation, runs: &[RunRow]) -> ClaimSummary {
    let n = runs.len() as u64;
    let held = runs
        .iter()
        .filter(|r| r.metric(&e.metric).is_some_and(|v| e.op.holds(v, e.value)))
        .count() as u64;
    let share = if n == 0 { 0.0 } else { held as f64 / n as f64 };
    let (lo, hi) = wilson(held, n);
    let at_least = e.required_share();
    ClaimSummary {
        expect: e.text(),
        at_least,
        held,
        runs: n,
        share: round6(share),
        share_ci: [round6(lo), round6(hi)],
        over_seeds: e.over_seeds,
        // A claim about 100 seeds is not decided by 10.
        ok: n > 0 && n >= e.over_seeds.unwrap_or(0) && share >= at_least,
    }
}
