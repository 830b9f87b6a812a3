//! Running a plan's runs on the local cores: worker threads take run indices in
//! order from a shared counter, and every result lands in its index's slot, so the rows
//! are the same whatever the number of workers or the order in which runs finish.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::plan::Resolved;
use super::shard::Shard;
use crate::metric::{ActorField, Metric, RunMetric};
use crate::run::{run, RunError, RunOptions};
use crate::scenario::Scenario;
use zkarena_harness::report::Report;

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Every invariant held and every per-run expectation was met.
    Passed,
    /// An invariant or a per-run expectation failed.
    Failed,
    /// The run broke (a defect of zkarena): no metrics.
    Broke,
}

impl RunStatus {
    /// As written in tables.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Passed => "passed",
            RunStatus::Failed => "failed",
            RunStatus::Broke => "broke",
        }
    }
}

/// One run of a sweep: where it sits in the plan, how it ended, and every metric.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRow {
    /// Index in the plan (cell by cell, seed by seed).
    pub run: usize,
    /// Its cell.
    pub cell: usize,
    /// Seed.
    pub seed: u64,
    /// How it ended.
    pub status: RunStatus,
    /// Whether every invariant held (false when it broke).
    pub invariants_held: bool,
    /// What broke, for a run that broke.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Run-wide metrics, the mechanism section's, each cast member's fields, and
    /// whatever the claims name (a user's), by name.
    pub metrics: Map<String, Value>,
}

impl RunRow {
    /// The value of metric `name` (None when the run broke or did not report it).
    pub fn metric(&self, name: &str) -> Option<f64> {
        self.metrics.get(name).and_then(Value::as_f64)
    }
}

/// Most worker threads: each holds a whole testnet, and more threads than cores only
/// adds memory.
pub const MAX_JOBS: usize = 256;

/// Runs the shard's part of the plan on `jobs` worker threads (at most [`MAX_JOBS`]); `done` is called after
/// each run with (runs done, runs in the shard). Rows come back by run index.
pub fn execute(
    plan: &Resolved,
    shard: Shard,
    jobs: usize,
    opts: &RunOptions,
    done: &(dyn Fn(usize, usize) + Sync),
) -> Vec<RunRow> {
    let indices: Vec<usize> = shard.indices(plan.total()).collect();
    let next = AtomicUsize::new(0);
    let rows: Mutex<Vec<RunRow>> = Mutex::new(Vec::with_capacity(indices.len()));
    let opts = RunOptions {
        progress: None,
        ..opts.clone()
    };
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, MAX_JOBS).min(indices.len().max(1)) {
            scope.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(&index) = indices.get(k) else { break };
                let row = one_run(plan, index, &opts);
                let mut rows = rows.lock().unwrap_or_else(|e| e.into_inner());
                rows.push(row);
                done(rows.len(), indices.len());
            });
        }
    });
    let mut rows = rows.into_inner().unwrap_or_else(|e| e.into_inner());
    rows.sort_by_key(|r| r.run);
    rows
}

/// Runs plan run `index` into its row.
fn one_run(plan: &Resolved, index: usize, opts: &RunOptions) -> RunRow {
    let (cell, seed) = plan.run(index);
    let scenario = plan.scenario(index);
    let mut row = RunRow {
        run: index,
        cell,
        seed,
        status: RunStatus::Broke,
        invariants_held: false,
        error: None,
        metrics: Map::new(),
    };
    match run(&scenario, opts) {
        Ok(outcome) => {
            let report = outcome.report;
            row.invariants_held = report.invariants.iter().all(|i| i.violation.is_none());
            row.status = if report.passed() {
                RunStatus::Passed
            } else {
                RunStatus::Failed
            };
            row.metrics = metrics(&scenario, &plan.cells[cell].claims, &report);
        }
        Err(e @ RunError::Panicked { .. }) => {
            row.error = Some(format!("{e} (rerun it: zkarena run with --seed {seed})"));
        }
        Err(e) => row.error = Some(e.to_string()),
    }
    row
}

/// Every metric of a run, in a fixed order: run-wide, the mechanism's section, each
/// cast member's fields, then the ones the claims name that are not among them.
fn metrics(
    s: &Scenario,
    claims: &[crate::scenario::Expectation],
    report: &Report,
) -> Map<String, Value> {
    let rules = s.mechanism.rules();
    let mut names: Vec<(String, Metric)> = RunMetric::ALL
        .iter()
        .map(|m| (m.as_str().to_string(), Metric::Run(*m)))
        .collect();
    names.extend(
        rules
            .section_metrics()
            .iter()
            .map(|m| (m.to_string(), Metric::Section(m))),
    );
    for member in &s.cast {
        for field in ActorField::ALL {
            let metric = Metric::Actor {
                actor: member.name().to_string(),
                field: *field,
            };
            names.push((format!("{}.{}", member.name(), field.as_str()), metric));
        }
    }
    let cast = s.cast.iter().map(|m| m.name().to_string()).collect();
    for claim in claims {
        if !names.iter().any(|(n, _)| *n == claim.metric) {
            if let Ok(m) = Metric::parse(&claim.metric, rules, &cast, s.workload.users) {
                names.push((claim.metric.clone(), m));
            }
        }
    }
    names
        .into_iter()
        .filter_map(|(name, m)| {
            let v = m.value(report, rules);
            serde_json::Number::from_f64(v).map(|n| (name, Value::Number(n)))
        })
        .collect()
}
