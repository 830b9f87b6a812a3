//! Sweep plans: which scenarios, which grid of parameter values (a JSON path of the
//! scenario, or a knob of its mechanism), which seeds, and which claims over the
//! population of runs. A plan is checked whole before anything runs: every grid point
//! of every scenario is built and validated, so a bad path, an empty grid or a plan of
//! 10^9 runs is exit 2 at once with the reason.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::path::JsonPath;
use crate::metric::Metric;
use crate::scenario::{is_path, parse_json, shipped_sources, Expectation, Scenario, ScenarioError};
use zkarena_harness::zk::ProofMode;

/// Most runs a plan may ask for. A run's row is about 2 KB and a summary holds every
/// row's metrics while it is computed, so 100,000 runs stay near 200 MB; at 0.02-0.4 s
/// a dev run of the shipped scenarios that is up to 11 CPU-hours, the most a sharded
/// sweep is meant for.
pub const MAX_RUNS: u64 = 100_000;

/// Seeds a plan runs when it names none, and a scenario swept with no population
/// claim.
pub const DEFAULT_SEEDS: u64 = 20;

/// A sweep plan, as written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Name (defaults to the file's stem).
    #[serde(default)]
    pub name: String,
    /// One line: what it measures.
    #[serde(default)]
    pub description: String,
    /// Base scenarios: shipped names, `*` patterns over them (`poe-*`), paths (relative
    /// to the plan's file), or scenario objects written in place.
    pub scenarios: Vec<Value>,
    /// Parameter grid: a JSON path of the scenario (`workload.txs_per_slot`,
    /// `cast[seq].max_txs`) or a knob of its mechanism (`cartel_pct`), each with the
    /// values to take. Every combination runs (the first key varies slowest).
    #[serde(default)]
    pub grid: Map<String, Value>,
    /// Seeds: a count (`seed`, `seed + 1`, ...) or a list.
    #[serde(default = "default_seeds")]
    pub seeds: Seeds,
    /// The first seed of a count, and the seed of the summary's bootstrap.
    #[serde(default = "default_first_seed")]
    pub seed: u64,
    /// Proofs: `dev` (the default: a sweep's runs are many) or `real`.
    #[serde(default = "default_proofs")]
    pub proofs: ProofMode,
    /// Claims over each cell's runs, beside each scenario's own expectations.
    #[serde(default)]
    pub expect: Vec<Expectation>,
    /// Metrics charted against the first grid parameter in `sweep.html`.
    #[serde(default)]
    pub chart: Vec<String>,
    /// Reference lines on the charts' x axis (the 1/3 of a stake threshold).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub marks: Vec<Mark>,
}

/// A reference line on the charts' x axis.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Mark {
    /// Where, in the first grid parameter's unit.
    pub at: f64,
    /// What it marks.
    pub label: String,
}

fn default_seeds() -> Seeds {
    Seeds::Count(DEFAULT_SEEDS)
}
fn default_first_seed() -> u64 {
    1
}
fn default_proofs() -> ProofMode {
    ProofMode::Dev
}

/// A plan's seeds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Seeds {
    /// This many, counting up from the plan's `seed`.
    Count(u64),
    /// These.
    List(Vec<u64>),
}

/// Why a plan was refused.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The file could not be read, or is not a plan.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// Parsed, but cannot run.
    #[error("{file}: at `{path}`: {message}")]
    Invalid {
        /// File.
        file: String,
        /// Path of the offending field.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// Not a shipped plan or scenario's name.
    #[error("no shipped plan or scenario is named `{0}`; `zkarena list` shows them, and a file is named by a path (with `/` or ending in `.json`)")]
    Unknown(String),
}

/// One combination of a scenario and grid values: the scenario to run with each seed.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    /// The base scenario's name.
    pub scenario: String,
    /// Grid values, by key, in the grid's order.
    pub params: Map<String, Value>,
    /// The scenario with the values applied (its seed is replaced per run).
    pub run: Scenario,
    /// The claims checked over its runs: the scenario's own, then the plan's.
    pub claims: Vec<Expectation>,
}

impl Cell {
    /// `poe-frontrun` or `pos-uncle-40 cartel_pct=35`.
    pub fn label(&self) -> String {
        let mut s = self.scenario.clone();
        for (k, v) in &self.params {
            s.push_str(&format!(" {k}={v}"));
        }
        s
    }
}

/// A checked plan: every run it makes, in order (cell by cell, seed by seed).
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The plan, self-contained: every scenario written in place, so that shards and
    /// merges need nothing but it.
    pub plan: Plan,
    /// Cells.
    pub cells: Vec<Cell>,
    /// Seeds, in order.
    pub seeds: Vec<u64>,
}

impl Resolved {
    /// Runs in all.
    pub fn total(&self) -> usize {
        self.cells.len() * self.seeds.len()
    }

    /// Run `index`: its cell and seed.
    pub fn run(&self, index: usize) -> (usize, u64) {
        (
            index / self.seeds.len(),
            self.seeds[index % self.seeds.len()],
        )
    }

    /// The scenario of run `index`.
    pub fn scenario(&self, index: usize) -> Scenario {
        let (cell, seed) = self.run(index);
        let mut s = self.cells[cell].run.clone();
        s.seed = seed;
        s
    }
}

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/shipped_plans.rs"));
}

/// The shipped plans (fixtures/plans, embedded at build time): (name, JSON text).
pub fn shipped_plans() -> &'static [(&'static str, &'static str)] {
    embedded::SHIPPED
}

/// What `zkarena sweep` was given: a plan, or a scenario to sweep over seeds.
pub enum Target {
    /// A plan, its file's name, and the folder its relative paths start from.
    Plan(Box<Plan>, String, Option<PathBuf>),
    /// A scenario.
    Scenario(Box<Scenario>),
}

/// Loads `arg`: a shipped plan's or scenario's name, or a file holding either (a file
/// with a `mechanism` is a scenario).
pub fn load(arg: &str) -> Result<Target, PlanError> {
    if !is_path(arg) {
        if let Some((name, text)) = shipped_plans().iter().find(|(n, _)| *n == arg) {
            let file = format!("{name} (shipped plan)");
            return Ok(Target::Plan(
                Box::new(parse(text, &file, name)?),
                file,
                None,
            ));
        }
        return match Scenario::load(arg) {
            Ok(s) => Ok(Target::Scenario(Box::new(s))),
            Err(ScenarioError::UnknownScenario { .. }) => Err(PlanError::Unknown(arg.into())),
            Err(e) => Err(e.into()),
        };
    }
    let text = std::fs::read_to_string(arg).map_err(|source| ScenarioError::Io {
        file: arg.into(),
        source,
    })?;
    let is_scenario = serde_json::from_str::<Value>(&text)
        .ok()
        .is_some_and(|v| v.get("mechanism").is_some());
    if is_scenario {
        return Ok(Target::Scenario(Box::new(Scenario::load(arg)?)));
    }
    let stem = Path::new(arg)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dir = Path::new(arg).parent().map(Path::to_path_buf);
    Ok(Target::Plan(
        Box::new(parse(&text, arg, &stem)?),
        arg.into(),
        dir,
    ))
}

/// Parses plan JSON; `file` names it in errors, `stem` is the default name.
pub fn parse(text: &str, file: &str, stem: &str) -> Result<Plan, PlanError> {
    let mut plan: Plan = parse_json(text, file)?;
    if plan.name.is_empty() {
        plan.name = stem.into();
    }
    Ok(plan)
}

/// The JSON Schema of sweep plans (`docs/plan.schema.json`, `zkarena schema plan`).
pub fn json_schema() -> Value {
    serde_json::to_value(schemars::schema_for!(Plan)).expect("a schema serializes")
}

/// The plan that sweeps one scenario over `seeds` seeds from `first` (by default the
/// most seeds its population claims name, or [`DEFAULT_SEEDS`]).
pub fn of_scenario(s: &Scenario, seeds: Option<u64>, first: Option<u64>) -> Plan {
    let claimed = s.expect.iter().filter_map(|e| e.over_seeds).max();
    Plan {
        name: s.name.clone(),
        description: s.description.clone(),
        scenarios: vec![serde_json::to_value(s).expect("a scenario serializes")],
        grid: Map::new(),
        seeds: Seeds::Count(seeds.or(claimed).unwrap_or(DEFAULT_SEEDS)),
        seed: first.unwrap_or(1),
        proofs: ProofMode::Dev,
        expect: Vec::new(),
        chart: Vec::new(),
        marks: Vec::new(),
    }
}

impl Plan {
    /// Checks the plan and builds every cell; `file` names it in errors, relative
    /// scenario paths start at `dir`.
    pub fn resolve(&self, file: &str, dir: Option<&Path>) -> Result<Resolved, PlanError> {
        let bad = |path: String, message: String| PlanError::Invalid {
            file: file.into(),
            path,
            message,
        };
        let seeds = self.seed_list().map_err(|m| bad("seeds".into(), m))?;
        let mut bases = Vec::new();
        for (i, r) in self.scenarios.iter().enumerate() {
            bases.extend(base_scenarios(r, dir).map_err(|m| bad(format!("scenarios[{i}]"), m))?);
        }
        if bases.is_empty() {
            return Err(bad("scenarios".into(), "names no scenario".into()));
        }
        let mut names: Vec<&str> = bases.iter().map(|b| b.name.as_str()).collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(bad(
                "scenarios".into(),
                format!(
                    "scenario `{}` comes twice (give inline scenarios a `name`)",
                    w[0]
                ),
            ));
        }
        let axes = self.axes().map_err(|(k, m)| bad(format!("grid.{k}"), m))?;
        let points = axes.iter().try_fold(bases.len() as u64, |n, (_, v)| {
            n.checked_mul(v.len() as u64)
        });
        let runs = points.and_then(|p| p.checked_mul(seeds.len() as u64));
        match runs {
            Some(n) if n <= MAX_RUNS => {}
            _ => {
                return Err(bad(
                    "grid".into(),
                    format!(
                        "{} scenarios x {} grid points x {} seeds is more than {MAX_RUNS} runs",
                        bases.len(),
                        axes.iter()
                            .map(|(_, v)| v.len().to_string())
                            .collect::<Vec<_>>()
                            .join(" x "),
                        seeds.len()
                    ),
                ))
            }
        }
        let mut cells = Vec::new();
        let mut written = Vec::new();
        for base in &bases {
            written.push(serde_json::to_value(base).expect("a scenario serializes"));
            for params in grid_points(&axes) {
                cells.push(self.cell(base, params, file)?);
            }
        }
        let mut plan = self.clone();
        plan.scenarios = written;
        plan.seeds = Seeds::List(seeds.clone());
        Ok(Resolved { plan, cells, seeds })
    }

    fn seed_list(&self) -> Result<Vec<u64>, String> {
        let seeds = match &self.seeds {
            Seeds::Count(0) => return Err("a sweep needs at least one seed".into()),
            Seeds::Count(n) if *n > MAX_RUNS => {
                return Err(format!("{n} seeds is more than {MAX_RUNS} runs"))
            }
            Seeds::Count(n) => (0..*n)
                .map(|k| self.seed.checked_add(k))
                .collect::<Option<Vec<u64>>>()
                .ok_or_else(|| format!("{n} seeds from {} pass 2^64", self.seed))?,
            Seeds::List(list) if list.is_empty() => {
                return Err("a sweep needs at least one seed".into())
            }
            Seeds::List(list) => list.clone(),
        };
        let mut sorted = seeds.clone();
        sorted.sort_unstable();
        if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!("seed {} is listed twice", w[0]));
        }
        Ok(seeds)
    }

    /// The grid's keys and their values (each a non-empty array); the error is (key,
    /// why).
    fn axes(&self) -> Result<Vec<Axis>, (String, String)> {
        self.grid
            .iter()
            .map(|(k, v)| match v {
                _ if k == "seed" => Err((
                    k.clone(),
                    "a run's seed comes from the plan's `seeds`".into(),
                )),
                _ if k == "proof_mode" => {
                    Err((k.clone(), "proofs come from the plan's `proofs`".into()))
                }
                Value::Array(values) if !values.is_empty() => Ok((k.clone(), values.clone())),
                Value::Array(_) => Err((k.clone(), "an empty list of values".into())),
                other => Err((k.clone(), format!("{other} is not a list of values"))),
            })
            .collect()
    }

    /// `base` with grid values `params` applied, checked again as a scenario.
    fn cell(
        &self,
        base: &Scenario,
        params: Map<String, Value>,
        file: &str,
    ) -> Result<Cell, PlanError> {
        let bad = |key: &str, message: String| PlanError::Invalid {
            file: file.into(),
            path: format!("grid.{key}"),
            message: format!("in scenario `{}`: {message}", base.name),
        };
        let rules = base.mechanism.rules();
        let mut json = serde_json::to_value(base).expect("a scenario serializes");
        let mut knobs = Vec::new();
        for (key, value) in &params {
            if let Some(knob) = rules.knobs().iter().find(|k| k.name == key) {
                knobs.push((knob, key, value));
                continue;
            }
            let path = JsonPath::parse(key).map_err(|m| bad(key, m))?;
            path.set(&mut json, value.clone())
                .map_err(|m| bad(key, m))?;
        }
        let label = format!("{file}: {} at {}", base.name, Value::Object(params.clone()));
        // Checked before the knobs too: their arithmetic (sums of stakes) relies on the
        // scenario's bounds.
        let mut run = Scenario::from_value(json, &label, &base.name).map_err(|e| {
            bad(
                params.keys().next().map_or("", String::as_str),
                e.to_string(),
            )
        })?;
        for (knob, key, value) in knobs {
            (knob.apply)(&mut run, value)
                .map_err(|m| bad(key, format!("knob {}: {m}", knob.name)))?;
        }
        run.validate(&label).map_err(|e| bad("", e.to_string()))?;
        run.proof_mode = self.proofs;
        let names = run.cast.iter().map(|m| m.name().to_string()).collect();
        let mut claims = run.expect.clone();
        for (i, e) in self.expect.iter().enumerate() {
            Metric::parse(&e.metric, run.mechanism.rules(), &names, run.workload.users).map_err(
                |m| PlanError::Invalid {
                    file: file.into(),
                    path: format!("expect[{i}].metric"),
                    message: format!("in scenario `{}`: {m}", base.name),
                },
            )?;
            e.validate_population(false)
                .map_err(|(field, m)| PlanError::Invalid {
                    file: file.into(),
                    path: format!("expect[{i}].{field}"),
                    message: m,
                })?;
            claims.push(e.clone());
        }
        Ok(Cell {
            scenario: base.name.clone(),
            params,
            run,
            claims,
        })
    }
}

/// The scenarios one entry of `scenarios` names.
fn base_scenarios(r: &Value, dir: Option<&Path>) -> Result<Vec<Scenario>, String> {
    match r {
        Value::String(name) if name.contains('*') => {
            let pattern = glob::Pattern::new(name).map_err(|e| format!("`{name}`: {e}"))?;
            let found: Vec<Scenario> = shipped_sources()
                .iter()
                .filter(|(n, _)| pattern.matches(n))
                .map(|(n, _)| Scenario::load(n).map_err(|e| e.to_string()))
                .collect::<Result<_, _>>()?;
            if found.is_empty() {
                return Err(format!("`{name}` matches no shipped scenario"));
            }
            Ok(found)
        }
        Value::String(name) => {
            let arg = match dir {
                Some(d) if is_path(name) && Path::new(name).is_relative() => d.join(name),
                _ => PathBuf::from(name),
            };
            Scenario::load(&arg)
                .map(|s| vec![s])
                .map_err(|e| e.to_string())
        }
        Value::Object(_) => {
            let name = r.get("name").and_then(Value::as_str).unwrap_or("inline");
            Scenario::from_value(r.clone(), "the plan", name)
                .map(|s| vec![s])
                .map_err(|e| e.to_string())
        }
        other => Err(format!("{other} is not a scenario's name, path or object")),
    }
}

/// A grid key and its values.
type Axis = (String, Vec<Value>);

/// Every combination of the axes' values, the first axis varying slowest.
fn grid_points(axes: &[Axis]) -> Vec<Map<String, Value>> {
    axes.iter().fold(vec![Map::new()], |points, (key, values)| {
        points
            .iter()
            .flat_map(|p| {
                values.iter().map(move |v| {
                    let mut p = p.clone();
                    p.insert(key.clone(), v.clone());
                    p
                })
            })
            .collect()
    })
}
