//! Scenarios: a JSON file (or a [`ScenarioBuilder`] in Rust) that says which mechanism
//! runs, with which cast, workload, faults and expectations. Parsing is strict: unknown
//! fields, roles and parameters are errors that name the file, the JSON path, the line
//! and column, and what was expected.

use std::collections::BTreeSet;
use std::path::Path;

use crate::mechanisms::pos::validator::{CartelStrategy, ValidatorParams};
pub use crate::mechanisms::MechanismConfig;
use crate::metric::Metric;
use serde::{Deserialize, Serialize};
use zkarena_actors::aggregator::AggregatorParams;
use zkarena_actors::attack::{CopierParams, FrontrunnerParams};
use zkarena_actors::msg::Msg;
use zkarena_actors::referee::REFEREE;
use zkarena_actors::runtime::DRIVER;
use zkarena_actors::sequencer::SequencerParams;
use zkarena_harness::l2::state::DEFAULT_DEPTH;
use zkarena_harness::l2::tx::MAX_AMOUNT;
use zkarena_harness::sim::Fault;
use zkarena_harness::zk::ProofMode;

/// The L2 at genesis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct L2Genesis {
    /// Account tree depth.
    #[serde(default = "default_depth")]
    pub depth: usize,
    /// Pool reserves (ETH, token) in L2 units.
    #[serde(default = "default_pool")]
    pub pool: [u64; 2],
    /// Each user's starting balance of each asset (L2 units).
    #[serde(default = "default_funds")]
    pub user_funds: u64,
}

impl Default for L2Genesis {
    fn default() -> Self {
        Self {
            depth: default_depth(),
            pool: default_pool(),
            user_funds: default_funds(),
        }
    }
}

/// The L1's settings a scenario may change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct L1Settings {
    /// Calldata bytes one block of the run may carry, all transactions together
    /// (default 131,072: 128 KiB; genesis blocks use the default). A proof in calldata
    /// is about 113 KB for a 4-slot batch, 121 KB for 16 and 140 KB for 64: at the
    /// default one fits per block, and a 64-slot one never does.
    #[serde(default = "default_calldata_budget")]
    pub calldata_bytes_per_block: u64,
}

impl Default for L1Settings {
    fn default() -> Self {
        Self {
            calldata_bytes_per_block: default_calldata_budget(),
        }
    }
}

fn default_calldata_budget() -> u64 {
    zkarena_harness::l1::chain::DaConfig::default().calldata_bytes_per_block
}

/// Bounds of `l1.calldata_bytes_per_block`: below 1 KiB not even a small batch fits;
/// above 64 MiB blocks would hold more data than memory should (a block's calldata is
/// kept).
pub const CALLDATA_BUDGET: std::ops::RangeInclusive<u64> = 1024..=64 * 1024 * 1024;

fn default_depth() -> usize {
    DEFAULT_DEPTH
}
fn default_pool() -> [u64; 2] {
    [10_000_000_000_000, 20_000_000_000_000]
}
fn default_funds() -> u64 {
    1_000_000_000_000
}
fn default_slots() -> u64 {
    20
}

/// One member of the cast: its role (`"role"`), its name, and the parameters of the
/// actor that plays it, which own their defaults (flattened: a file writes them beside
/// the name).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "role", rename_all = "snake_case", deny_unknown_fields)]
pub enum CastMember {
    /// A sequencer.
    Sequencer {
        /// Name.
        name: String,
        /// Users whose transactions it never includes (censorship).
        #[serde(default)]
        censor: Vec<String>,
        /// How it sequences.
        #[serde(flatten)]
        params: SequencerParams,
    },
    /// An inter-sequencer frontrunner (attacker): copies other sequencers' batches
    /// from the L1 mempool, optionally sandwiching a swap, and outbids them.
    Frontrunner {
        /// Name.
        name: String,
        /// How it attacks.
        #[serde(flatten)]
        params: FrontrunnerParams,
    },
    /// Posts malformed batch data every slot (attacker).
    Garbage {
        /// Name.
        name: String,
    },
    /// A PoS validator; with a strategy other than `honest`, a member of the stake
    /// cartel (the attacker).
    Validator {
        /// Name.
        name: String,
        /// Stake, in whole network tokens.
        stake: u64,
        /// How it validates.
        #[serde(flatten)]
        params: ValidatorParams,
    },
    /// An aggregator (prover).
    Aggregator {
        /// Name.
        name: String,
        /// How it proves.
        #[serde(flatten)]
        params: AggregatorParams,
    },
    /// Copies verifications with calldata proofs from the L1 mempool and sends them
    /// first from its own address (attacker).
    Copier {
        /// Name.
        name: String,
        /// How it copies.
        #[serde(flatten)]
        params: CopierParams,
    },
}

impl CastMember {
    /// Its name.
    pub fn name(&self) -> &str {
        match self {
            CastMember::Sequencer { name, .. }
            | CastMember::Validator { name, .. }
            | CastMember::Aggregator { name, .. }
            | CastMember::Frontrunner { name, .. }
            | CastMember::Copier { name, .. }
            | CastMember::Garbage { name } => name,
        }
    }

    /// Whether it builds batches (and so has an L2 fee account): sequencers,
    /// frontrunners, PoS validators.
    pub fn builds_batches(&self) -> bool {
        matches!(
            self,
            CastMember::Sequencer { .. }
                | CastMember::Frontrunner { .. }
                | CastMember::Validator { .. }
        )
    }

    /// Most transactions per batch it builds, if it builds batches of its own choosing.
    pub fn max_txs(&self) -> Option<usize> {
        match self {
            CastMember::Sequencer { params, .. } => Some(params.max_txs),
            CastMember::Validator { params, .. } => Some(params.max_txs),
            _ => None,
        }
    }

    /// The sequencer id it puts in batch headers (sequencers, frontrunners, PoS
    /// validators).
    pub fn sequencer_id(&self) -> Option<u64> {
        match self {
            CastMember::Sequencer { params, .. } => Some(params.id),
            CastMember::Frontrunner { params, .. } => Some(params.id),
            CastMember::Validator { params, .. } => Some(params.id),
            _ => None,
        }
    }

    /// Sequencer parameters, if it is one (its censored users as their L2 accounts).
    pub fn sequencer(&self) -> Option<SequencerParams> {
        let CastMember::Sequencer { censor, params, .. } = self else {
            return None;
        };
        let censor = censor
            .iter()
            .filter_map(|u| u.strip_prefix("user-")?.parse::<u64>().ok())
            .map(|i| i + 1)
            .collect();
        Some(SequencerParams {
            censor,
            ..params.clone()
        })
    }

    /// Validator parameters, if it is one.
    pub fn validator(&self) -> Option<ValidatorParams> {
        match self {
            CastMember::Validator { params, .. } => Some(params.clone()),
            _ => None,
        }
    }

    /// Frontrunner parameters, if it is one.
    pub fn frontrunner(&self) -> Option<FrontrunnerParams> {
        match self {
            CastMember::Frontrunner { params, .. } => Some(params.clone()),
            _ => None,
        }
    }

    /// Aggregator parameters, if it is one.
    pub fn aggregator(&self) -> Option<AggregatorParams> {
        match self {
            CastMember::Aggregator { params, .. } => Some(params.clone()),
            _ => None,
        }
    }
}

/// The users and their traffic.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    /// Number of users (named user-0, user-1, ...).
    pub users: usize,
    /// The sequencer they send to (absent for proof of stake: users send to every
    /// validator).
    #[serde(default)]
    pub sequencer: String,
    /// Expected transactions per user per slot.
    pub txs_per_slot: f64,
    /// Weights of transfer, swap, withdraw.
    #[serde(default = "default_mix")]
    pub mix: [u64; 3],
    /// Base fee and largest tip users offer (gwei).
    #[serde(default = "default_fee")]
    pub fee: [u64; 2],
    /// An ETH deposit each user makes on L1 in the first slot (gwei; 0: none).
    #[serde(default)]
    pub deposit_gwei: u64,
    /// Whether users put their sequencer's id in their transactions' chain id (the
    /// seed's mitigation of inter-sequencer frontrunning); else 0, any sequencer.
    #[serde(default)]
    pub chain_id_names_sequencer: bool,
    /// Slots a user waits for a transaction to appear in a batch before forcing it
    /// through L1 (`forceBatch` of PoE or the PoS rollup); absent: never.
    #[serde(default)]
    pub patience_slots: Option<u64>,
}

fn default_mix() -> [u64; 3] {
    [6, 3, 1]
}
fn default_fee() -> [u64; 2] {
    [10, 10]
}

/// A comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum Op {
    /// Equal.
    #[serde(rename = "==")]
    Eq,
    /// At least.
    #[serde(rename = ">=")]
    Ge,
    /// At most.
    #[serde(rename = "<=")]
    Le,
    /// Above.
    #[serde(rename = ">")]
    Gt,
    /// Below.
    #[serde(rename = "<")]
    Lt,
}

impl Op {
    /// Whether `a op b`.
    pub fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Op::Eq => a == b,
            Op::Ge => a >= b,
            Op::Le => a <= b,
            Op::Gt => a > b,
            Op::Lt => a < b,
        }
    }

    /// As written.
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ge => ">=",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Lt => "<",
        }
    }
}

/// An expectation the run checks: `metric op value`. The metrics are typed in
/// [`crate::metric`]: run-wide ([`crate::metric::RunMetric`]), `<actor>.<field>`
/// ([`crate::metric::ActorField`]), and the mechanism section's (e.g. proof of stake's
/// `slots_canonical`), refused at `check` under another mechanism.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// Metric.
    pub metric: String,
    /// Comparison.
    pub op: Op,
    /// Value.
    pub value: f64,
    /// A claim about a population of seeds, not about every run: the comparison holds
    /// in at least this fraction (0 < at_least <= 1) of the runs over `over_seeds`
    /// seeds. `zkarena sweep` checks it; a single run reports its one draw without
    /// failing on it. Absent: the comparison must hold in every run, whatever the seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<f64>,
    /// Seeds a population claim is about (with `at_least`; at most
    /// [`MAX_OVER_SEEDS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub over_seeds: Option<u64>,
}

/// Most seeds a population expectation may name.
pub const MAX_OVER_SEEDS: u64 = 10_000;

impl Expectation {
    /// `metric op value`, as written.
    pub fn text(&self) -> String {
        format!("{} {} {}", self.metric, self.op.symbol(), self.value)
    }

    /// The fraction of runs in which it must hold: 1 for a per-run expectation.
    pub fn required_share(&self) -> f64 {
        self.at_least.unwrap_or(1.0)
    }

    /// Whether it is a claim about a population of seeds rather than about each run.
    pub fn is_population(&self) -> bool {
        self.at_least.is_some()
    }
    /// A finite value; `at_least` in (0, 1], with `over_seeds` in 1..=[`MAX_OVER_SEEDS`]
    /// (which a scenario's claim must name; a plan's claims are about the plan's
    /// seeds): the error is (field, why).
    pub fn validate_population(&self, names_seeds: bool) -> Result<(), (&'static str, String)> {
        if !self.value.is_finite() {
            return Err(("value", format!("{} is not a finite number", self.value)));
        }
        match (self.at_least, self.over_seeds) {
            (None, None) => Ok(()),
            (Some(share), _) if !(share > 0.0 && share <= 1.0) => Err((
                "at_least",
                format!("{share} is not a share of the runs in (0, 1]"),
            )),
            (Some(_), Some(n)) if (1..=MAX_OVER_SEEDS).contains(&n) => Ok(()),
            (Some(_), Some(n)) => {
                Err(("over_seeds", format!("{n} is outside 1..={MAX_OVER_SEEDS}")))
            }
            (Some(_), None) if !names_seeds => Ok(()),
            (Some(_), None) => Err((
                "over_seeds",
                "a population claim (`at_least`) names the seeds it is about".into(),
            )),
            (None, Some(_)) => Err((
                "at_least",
                "`over_seeds` needs `at_least`, the share of runs the comparison holds in".into(),
            )),
        }
    }
}

/// A scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Name (defaults to the file's stem).
    #[serde(default)]
    pub name: String,
    /// One line: what it shows.
    pub description: String,
    /// Mechanism.
    pub mechanism: MechanismConfig,
    /// Seed of every random choice.
    #[serde(default)]
    pub seed: u64,
    /// Duration in L1 slots.
    #[serde(default = "default_slots")]
    pub slots: u64,
    /// Slot length (s).
    #[serde(default = "default_slot_seconds")]
    pub slot_seconds: u64,
    /// Real or dev proofs.
    #[serde(default)]
    pub proof_mode: ProofMode,
    /// L2 genesis.
    #[serde(default)]
    pub l2: L2Genesis,
    /// L1 settings.
    #[serde(default)]
    pub l1: L1Settings,
    /// Sequencers and aggregators.
    pub cast: Vec<CastMember>,
    /// Users.
    pub workload: Workload,
    /// Faults.
    #[serde(default)]
    pub faults: Vec<Fault>,
    /// Expectations.
    #[serde(default)]
    pub expect: Vec<Expectation>,
}

/// Most L1 blocks a run may last. Memory grows about 36 KB per slot with the shipped
/// workloads (the trace, the chain's history and receipts), so 20,000 slots stay under
/// a gigabyte; the longest shipped or benchmarked runs are 3,200 slots.
pub const MAX_SLOTS: u64 = 20_000;

/// Longest L1 slot, in seconds (a day; Ethereum's is 12). Simulated time is u64
/// milliseconds: a run ends at slots x slot_seconds x 1000 <= 1.7e12 ms, which leaves a
/// factor of five million below 2^63 for the delays, timeouts and windows added to it.
pub const MAX_SLOT_SECONDS: u64 = 86_400;

fn default_slot_seconds() -> u64 {
    12
}

/// Why a scenario was refused.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{file}: {source}")]
    Io {
        /// File.
        file: String,
        /// Cause.
        source: std::io::Error,
    },
    /// Not valid JSON, or not a valid scenario.
    #[error("{file}:{line}:{column}: at `{path}`: {message}")]
    Parse {
        /// File.
        file: String,
        /// JSON path of the problem.
        path: String,
        /// Line (1-based).
        line: usize,
        /// Column (1-based).
        column: usize,
        /// What was expected.
        message: String,
    },
    /// Not a shipped scenario's name (a file is named by a path with `/` or `.json`).
    #[error(
        "no shipped scenario is named `{name}`{}; `zkarena list` shows them, and a file is named by a path (with `/` or ending in `.json`)",
        match nearest.as_slice() {
            [] => String::new(),
            names => format!(" (did you mean {}?)", names.join(", ")),
        }
    )]
    UnknownScenario {
        /// The name asked for.
        name: String,
        /// Shipped names close to it.
        nearest: Vec<String>,
    },
    /// Parsed, but inconsistent.
    #[error("{file}: at `{path}`: {message}")]
    Invalid {
        /// File.
        file: String,
        /// Path of the offending field.
        path: String,
        /// What is wrong.
        message: String,
    },
}

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/shipped_scenarios.rs"));
}

/// The shipped scenarios (fixtures/scenarios, embedded in the binary at build time):
/// (name, JSON text), sorted by name.
pub fn shipped_sources() -> &'static [(&'static str, &'static str)] {
    embedded::SHIPPED
}

/// The shipped scenarios: (name, description), by name.
pub fn shipped() -> Vec<(String, String)> {
    shipped_sources()
        .iter()
        .filter_map(|(name, text)| Scenario::parse(text, &shipped_file(name), name).ok())
        .map(|s| (s.name, s.description))
        .collect()
}

/// How a shipped scenario is named in errors.
fn shipped_file(name: &str) -> String {
    format!("{name} (shipped)")
}

/// Whether `arg` names a file (it has a `/` or ends in `.json`) rather than a shipped
/// scenario or plan.
pub(crate) fn is_path(arg: &str) -> bool {
    arg.contains('/') || arg.contains(std::path::MAIN_SEPARATOR) || arg.ends_with(".json")
}

/// Shipped names close to `arg` (edit distance at most a third of its length, or a
/// name that contains it), closest first.
fn nearest(arg: &str) -> Vec<String> {
    let mut scored: Vec<(usize, &str)> = shipped_sources()
        .iter()
        .map(|(name, _)| (strsim::levenshtein(arg, name), *name))
        .filter(|(d, name)| *d <= arg.len().div_ceil(3).max(2) || name.contains(arg))
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(3)
        .map(|(_, n)| n.to_string())
        .collect()
}

/// Deserializes JSON text strictly (scenarios and sweep plans): the error names the
/// file, the JSON path, the line and the column, and what was expected.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    text: &str,
    file: &str,
) -> Result<T, ScenarioError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let (line, column) = (inner.line(), inner.column());
        let message = inner.to_string();
        let message = message
            .strip_suffix(&format!(" at line {line} column {column}"))
            .unwrap_or(&message)
            .to_string();
        ScenarioError::Parse {
            file: file.into(),
            path,
            line,
            column,
            message,
        }
    })
}

/// The JSON Schema of scenario files (`docs/scenario.schema.json`, `zkarena schema
/// scenario`), generated from the types: editors validate and complete scenarios with
/// it.
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Scenario)).expect("a schema serializes")
}

impl Scenario {
    /// Loads `arg`: a path, or the name of a shipped scenario.
    pub fn load(arg: impl AsRef<Path>) -> Result<Self, ScenarioError> {
        let path = arg.as_ref();
        let text = path.to_string_lossy();
        if !is_path(&text) {
            return match shipped_sources().iter().find(|(name, _)| *name == text) {
                Some((name, json)) => Self::parse(json, &shipped_file(name), name),
                None => Err(ScenarioError::UnknownScenario {
                    name: text.into_owned(),
                    nearest: nearest(&path.to_string_lossy()),
                }),
            };
        }
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
            file: file.clone(),
            source,
        })?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Self::parse(&text, &file, &stem)
    }

    /// Parses scenario JSON; `file` names it in errors, `stem` is the default name.
    pub fn parse(text: &str, file: &str, stem: &str) -> Result<Self, ScenarioError> {
        let s = parse_json::<Scenario>(text, file)?.named(stem);
        s.validate(file)?;
        Ok(s)
    }

    /// Builds a scenario from its JSON form (a sweep's grid point); `file` names it in
    /// errors, `stem` is the default name.
    pub fn from_value(
        json: serde_json::Value,
        file: &str,
        stem: &str,
    ) -> Result<Self, ScenarioError> {
        let s: Scenario =
            serde_path_to_error::deserialize(json).map_err(|e| ScenarioError::Invalid {
                file: file.into(),
                path: e.path().to_string(),
                message: e.into_inner().to_string(),
            })?;
        let s = s.named(stem);
        s.validate(file)?;
        Ok(s)
    }

    /// The scenario, named `stem` if it names itself nothing.
    fn named(mut self, stem: &str) -> Self {
        if self.name.is_empty() {
            self.name = stem.into();
        }
        self
    }

    /// Checks what the types cannot: names unique and known, bounds.
    pub fn validate(&self, file: &str) -> Result<(), ScenarioError> {
        let bad = |path: String, message: String| ScenarioError::Invalid {
            file: file.into(),
            path,
            message,
        };
        if !(1..=MAX_SLOTS).contains(&self.slots) {
            return Err(bad(
                "slots".into(),
                format!("{} is outside 1..={MAX_SLOTS}", self.slots),
            ));
        }
        if !(1..=MAX_SLOT_SECONDS).contains(&self.slot_seconds) {
            return Err(bad(
                "slot_seconds".into(),
                format!("{} is outside 1..={MAX_SLOT_SECONDS}", self.slot_seconds),
            ));
        }
        if !(1..=32).contains(&self.l2.depth) {
            return Err(bad(
                "l2.depth".into(),
                format!("{} is outside 1..=32", self.l2.depth),
            ));
        }
        if !CALLDATA_BUDGET.contains(&self.l1.calldata_bytes_per_block) {
            return Err(bad(
                "l1.calldata_bytes_per_block".into(),
                format!(
                    "{} is outside {}..={}",
                    self.l1.calldata_bytes_per_block,
                    CALLDATA_BUDGET.start(),
                    CALLDATA_BUDGET.end()
                ),
            ));
        }
        self.validate_genesis(file)?;
        let mut names = BTreeSet::new();
        for (i, m) in self.cast.iter().enumerate() {
            let name = m.name();
            if name.is_empty()
                || ["l1", "referee", "driver", "prover-pool"].contains(&name)
                || name.starts_with("user-")
            {
                return Err(bad(
                    format!("cast[{i}].name"),
                    format!("`{name}` is reserved or empty"),
                ));
            }
            if !names.insert(name.to_string()) {
                return Err(bad(
                    format!("cast[{i}].name"),
                    format!("`{name}` is used twice"),
                ));
            }
            if let CastMember::Sequencer { censor, .. } = m {
                for (k, u) in censor.iter().enumerate() {
                    let known = u
                        .strip_prefix("user-")
                        .and_then(|n| n.parse::<usize>().ok())
                        .is_some_and(|n| n < self.workload.users);
                    if !known {
                        return Err(bad(
                            format!("cast[{i}].censor[{k}]"),
                            format!("unknown user `{u}`"),
                        ));
                    }
                }
            }
            if let Some(max_txs) = m.max_txs() {
                if !(1..=64).contains(&max_txs) {
                    return Err(bad(
                        format!("cast[{i}].max_txs"),
                        format!("{max_txs} is outside 1..=64"),
                    ));
                }
            }
            if let CastMember::Aggregator { params, .. } = m {
                if params.hardware.rows_per_sec == 0 {
                    return Err(bad(
                        format!("cast[{i}].hardware.rows_per_sec"),
                        "must be positive".into(),
                    ));
                }
            }
        }
        if !self
            .cast
            .iter()
            .any(|m| matches!(m, CastMember::Aggregator { .. }))
        {
            return Err(bad("cast".into(), "needs an aggregator".into()));
        }
        let rules = self.mechanism.rules();
        rules.validate(self, &|path: &str, message: String| {
            bad(path.into(), message)
        })?;
        let w = &self.workload;
        if !(w.txs_per_slot.is_finite() && (0.0..=1000.0).contains(&w.txs_per_slot)) {
            return Err(bad(
                "workload.txs_per_slot".into(),
                "must be a number in 0..=1000".into(),
            ));
        }
        if w.users == 0 || w.users > 10_000 {
            return Err(bad("workload.users".into(), "must be in 1..=10000".into()));
        }
        // Accounts: index 0, the users, a fee account per cast member, a trading
        // account per cast member.
        let needed = 1 + w.users as u128 + 2 * self.cast.len() as u128;
        if needed > 1u128 << self.l2.depth {
            return Err(bad(
                "l2.depth".into(),
                format!(
                    "a tree of depth {} holds {} accounts, the cast and workload need {needed}",
                    self.l2.depth,
                    1u128 << self.l2.depth
                ),
            ));
        }
        // A fee above the codec's bound makes every batch carrying the transaction
        // malformed: it would silently never be sequenced.
        for (k, &f) in w.fee.iter().enumerate() {
            if f > MAX_AMOUNT {
                return Err(bad(
                    format!("workload.fee[{k}]"),
                    format!("{f} is above the codec's bound {MAX_AMOUNT}"),
                ));
            }
        }
        if w.mix.iter().all(|&x| x == 0) {
            return Err(bad("workload.mix".into(), "needs a non-zero weight".into()));
        }
        for (i, f) in self.faults.iter().enumerate() {
            for a in f.actors() {
                if a == REFEREE || a == DRIVER {
                    return Err(bad(
                        format!("faults[{i}]"),
                        format!(
                            "`{a}` is the test's instrument, not part of the system under test: faults cannot target it"
                        ),
                    ));
                }
                let known = names.contains(a)
                    || a == "l1"
                    || a == "prover-pool"
                    || a.strip_prefix("user-")
                        .and_then(|n| n.parse::<usize>().ok())
                        .is_some_and(|n| n < w.users);
                if !known {
                    return Err(bad(format!("faults[{i}]"), format!("unknown actor `{a}`")));
                }
            }
            // An empty window, or a restart before the crash, would silently do nothing.
            if let Some((from, until)) = f.window() {
                if from >= until {
                    return Err(bad(
                        format!("faults[{i}]"),
                        format!("its window [{from}, {until}) ms is empty: it would do nothing"),
                    ));
                }
            }
            // A kind no message has would silently do nothing.
            let kinds: Vec<&str> = Msg::KINDS
                .iter()
                .chain(rules.message_kinds())
                .copied()
                .collect();
            for k in f.kinds() {
                if !kinds.contains(&k) {
                    return Err(bad(
                        format!("faults[{i}]"),
                        format!("unknown message kind `{k}` (one of {})", kinds.join(", ")),
                    ));
                }
            }
        }
        for (i, e) in self.expect.iter().enumerate() {
            Metric::parse(&e.metric, rules, &names, w.users)
                .map_err(|why| bad(format!("expect[{i}].metric"), why))?;
            e.validate_population(true)
                .map_err(|(field, why)| bad(format!("expect[{i}].{field}"), why))?;
        }
        Ok(())
    }
}

impl Scenario {
    /// The L2 genesis and the ids the batch codec carries: what would otherwise fail at
    /// set-up, or run and silently do nothing.
    fn validate_genesis(&self, file: &str) -> Result<(), ScenarioError> {
        let bad = |path: String, message: String| ScenarioError::Invalid {
            file: file.into(),
            path,
            message,
        };
        for (k, &r) in self.l2.pool.iter().enumerate() {
            if r == 0 || r > MAX_AMOUNT {
                return Err(bad(
                    format!("l2.pool[{k}]"),
                    format!("{r} is outside 1..={MAX_AMOUNT}: an empty reserve quotes nothing (every swap would be skipped)"),
                ));
            }
        }
        // Every L2 balance is backed by the bridge's escrow, capped at 2^62 - 1 units
        // per asset: users and each cast member's accounts at `user_funds` (a bound),
        // the pool, and (ETH) every user's first deposit.
        let accounts = (self.workload.users + self.cast.len()) as u128;
        for (k, asset) in ["ETH", "token"].into_iter().enumerate() {
            let deposits = if k == 0 {
                self.workload.users as u128 * self.workload.deposit_gwei as u128
            } else {
                0
            };
            let supply = accounts * self.l2.user_funds as u128 + self.l2.pool[k] as u128 + deposits;
            if supply > MAX_AMOUNT as u128 {
                return Err(bad(
                    "l2.user_funds".into(),
                    format!("the genesis {asset} supply would be up to {supply} L2 units, above the bridge's escrow cap {MAX_AMOUNT}"),
                ));
            }
        }
        for (i, m) in self.cast.iter().enumerate() {
            if let Some(id @ 0x1_0000_0000..) = m.sequencer_id() {
                return Err(bad(
                    format!("cast[{i}].id"),
                    format!("{id} does not fit the batch header's 32 bits"),
                ));
            }
        }
        Ok(())
    }
}

/// Builds a scenario in Rust (tests), with the JSON's defaults: every member and
/// mechanism is built through the same deserializer as a scenario file, so a field the
/// builder does not set takes the value a file that leaves it out gets (proof mode
/// included: real proofs unless [`ScenarioBuilder::proofs`] says otherwise).
///
/// ```
/// use zkarena::scenario::{Op, ScenarioBuilder};
/// use zkarena::harness::zk::ProofMode;
///
/// let s = ScenarioBuilder::proof_of_efficiency("race", 4, 1.0)
///     .aggregator("fast", 16_384)
///     .proofs(ProofMode::Dev)
///     .slots(10)
///     .expect("fast.proofs_accepted", Op::Ge, 1.0)
///     .build()
///     .unwrap();
/// assert_eq!(s.cast.len(), 3);
/// ```
#[derive(Clone, Debug)]
pub struct ScenarioBuilder(Scenario);

/// A value built from JSON by the scenario's own deserializer (the builder's defaults
/// are the file format's).
fn from_json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).expect("the builder writes valid scenario JSON")
}

impl ScenarioBuilder {
    /// A scenario under `mechanism` with no cast yet, `users` users sending
    /// `txs_per_slot` each to `sequencer` (empty under proof of stake).
    fn empty(
        name: &str,
        mechanism: serde_json::Value,
        users: usize,
        txs_per_slot: f64,
        sequencer: &str,
    ) -> Self {
        let mut s: Scenario = from_json(serde_json::json!({
            "description": format!("{name} (built in Rust)"),
            "mechanism": mechanism,
            "cast": [],
            "workload": {"users": users, "sequencer": sequencer, "txs_per_slot": txs_per_slot},
        }));
        s.name = name.into();
        Self(s)
    }

    /// The centralized baseline with one sequencer `seq` (id 1) and one aggregator
    /// `agg`, `users` users sending `txs_per_slot` each.
    pub fn centralized(name: &str, users: usize, txs_per_slot: f64) -> Self {
        Self::empty(
            name,
            serde_json::json!({"kind": "centralized"}),
            users,
            txs_per_slot,
            "seq",
        )
        .sequencer("seq", 1)
        .aggregator("agg", 4096)
    }

    /// Proof of Efficiency (default parameters) with one sequencer `seq` (id 1) and one
    /// aggregator `agg`.
    pub fn proof_of_efficiency(name: &str, users: usize, txs_per_slot: f64) -> Self {
        Self::empty(
            name,
            serde_json::json!({"kind": "proof_of_efficiency"}),
            users,
            txs_per_slot,
            "seq",
        )
        .sequencer("seq", 1)
        .aggregator("agg", 4096)
    }

    /// PoS leader election (default parameters) with honest validators `v-0`, `v-1`,
    /// ... staking `stakes` (whole tokens; ids from 1) and one aggregator `agg`.
    pub fn proof_of_stake(name: &str, users: usize, txs_per_slot: f64, stakes: &[u64]) -> Self {
        let mut b = Self::empty(
            name,
            serde_json::json!({"kind": "proof_of_stake"}),
            users,
            txs_per_slot,
            "",
        );
        for (i, &stake) in stakes.iter().enumerate() {
            b = b.validator(
                &format!("v-{i}"),
                i as u64 + 1,
                stake,
                CartelStrategy::Honest,
            );
        }
        b.aggregator("agg", 4096)
    }

    /// Replaces the mechanism (e.g. other parameters of the same one).
    pub fn mechanism(mut self, mechanism: MechanismConfig) -> Self {
        self.0.mechanism = mechanism;
        self
    }

    /// Adds cast member `m`.
    pub fn member(mut self, m: CastMember) -> Self {
        self.0.cast.push(m);
        self
    }

    /// Adds a sequencer with the JSON defaults.
    pub fn sequencer(self, name: &str, id: u64) -> Self {
        self.member(from_json(
            serde_json::json!({"role": "sequencer", "name": name, "id": id}),
        ))
    }

    /// Adds an honest aggregator proving `rows_per_sec` circuit rows per second (500 ms
    /// overhead per proof), with the JSON defaults.
    pub fn aggregator(self, name: &str, rows_per_sec: u64) -> Self {
        self.member(from_json(serde_json::json!({
            "role": "aggregator",
            "name": name,
            "hardware": {"rows_per_sec": rows_per_sec, "overhead_ms": 500},
        })))
    }

    /// Adds a PoS validator with the JSON defaults.
    pub fn validator(self, name: &str, id: u64, stake: u64, strategy: CartelStrategy) -> Self {
        self.member(from_json(serde_json::json!({
            "role": "validator",
            "name": name,
            "id": id,
            "stake": stake,
            "strategy": strategy,
        })))
    }

    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.0.seed = seed;
        self
    }

    /// Sets the duration in slots.
    pub fn slots(mut self, slots: u64) -> Self {
        self.0.slots = slots;
        self
    }

    /// Sets the proof mode (real by default, as in a file).
    pub fn proofs(mut self, mode: ProofMode) -> Self {
        self.0.proof_mode = mode;
        self
    }

    /// Adds a fault.
    pub fn fault(mut self, f: Fault) -> Self {
        self.0.faults.push(f);
        self
    }

    /// Makes each user deposit `gwei` on L1 in the first slot.
    pub fn deposits(mut self, gwei: u64) -> Self {
        self.0.workload.deposit_gwei = gwei;
        self
    }

    /// Makes users force a transaction through L1 after waiting `slots` slots for it.
    pub fn patience(mut self, slots: u64) -> Self {
        self.0.workload.patience_slots = Some(slots);
        self
    }

    /// Adds an expectation.
    pub fn expect(mut self, metric: &str, op: Op, value: f64) -> Self {
        self.0.expect.push(Expectation {
            at_least: None,
            over_seeds: None,
            metric: metric.into(),
            op,
            value,
        });
        self
    }

    /// Edits the scenario directly.
    pub fn edit(mut self, f: impl FnOnce(&mut Scenario)) -> Self {
        f(&mut self.0);
        self
    }

    /// The scenario (validated).
    pub fn build(self) -> Result<Scenario, ScenarioError> {
        self.0.validate("<builder>")?;
        Ok(self.0)
    }
}
