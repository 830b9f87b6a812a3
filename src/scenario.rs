//! Scenarios: a JSON file (or a [`ScenarioBuilder`] in Rust) that says which mechanism
//! runs, with which cast, workload, faults and expectations. Parsing is strict: unknown
//! fields, roles and parameters are errors that name the file, the JSON path, the line
//! and column, and what was expected.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};
use zkarena_actors::aggregator::{AggregatorParams, Hardware, ProofDa, Strategy};
use zkarena_actors::msg::Msg;
use zkarena_actors::referee::REFEREE;
use zkarena_actors::runtime::DRIVER;
use zkarena_actors::sequencer::{Da, Policy, SequencerParams};
use zkarena_actors::validator::{rules as pos, CartelStrategy, ValidatorParams};
use zkarena_harness::l2::state::DEFAULT_DEPTH;
use zkarena_harness::l2::tx::MAX_AMOUNT;
use zkarena_harness::l2::Format;
use zkarena_harness::sim::Fault;
use zkarena_harness::zk::ProofMode;

/// The mechanism under test.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Mechanism {
    /// One sequencer named at deployment (the first in the cast); anyone proves. The
    /// baseline the decentralized mechanisms are compared with.
    Centralized,
    /// Proof of Efficiency: anyone sequences for a batch fee in the network token; the
    /// first valid proof of a range takes its batch fees.
    ProofOfEfficiency {
        /// Initial batch fee, in 1e-9 network token (like gwei).
        #[serde(default = "default_batch_fee")]
        batch_fee_gwei: u64,
        /// Verification time target of the fee adaptation (s).
        #[serde(default = "default_verify_target")]
        verify_time_target_s: u64,
        /// Forced-batch timeout (s): after it a forced batch goes before any other,
        /// and anyone may sequence it.
        #[serde(default = "default_force_timeout")]
        force_timeout_s: u64,
        /// Bind each proof to its submitter (and the rollup): a proof copied from the
        /// L1 mempool is refused. Turn it off only to show the proof-copying attack.
        #[serde(default = "default_true")]
        bind_proofs: bool,
    },
    /// PoS leader election (`StakeManager` + `PosRollup`): validators stake; each L2
    /// slot's leader is drawn by stake from an L1 block hash; a block is canonical at
    /// 2/3 of the stake and its batch is sequenced; an empty slot's leader is slashed.
    ProofOfStake {
        /// L1 blocks per L2 slot.
        #[serde(default = "default_blocks_per_slot")]
        blocks_per_slot: u64,
        /// Slots after a slot before its leader can be slashed for it.
        #[serde(default = "default_timeout_slots")]
        timeout_slots: u64,
        /// Share of the leader's stake slashed (basis points).
        #[serde(default = "default_slash_bps")]
        slash_bps: u16,
        /// Burn the slash (else `reporter_bps` of it pays the reporter, the rest is
        /// burnt).
        #[serde(default)]
        burn_slash: bool,
        /// Share of a slash paid to its reporter when not burnt (basis points, at most
        /// the StakeManager's 1/8). Default 1/16, the share of the initial slashing
        /// penalty Ethereum pays its whistleblower (1/512 of the balance against 1/32).
        #[serde(default = "default_reporter_bps")]
        reporter_bps: u16,
        /// Smallest stake, in whole network tokens. Default 10: 1% of the shipped
        /// scenarios' 1000 tokens (Polygon PoS asks 10,000 POL of ~10 billion, with
        /// 105 seats; Ethereum 32 ETH).
        #[serde(default = "default_min_stake")]
        min_stake: u64,
        /// Most validators that may ever stake (at most the StakeManager's ceiling, 100:
        /// `attest` with everyone signing takes about 4.6 M gas). Default 100:
        /// Polygon PoS has 105 seats, the Cosmos Hub launched with 100.
        #[serde(default = "default_max_validators")]
        max_validators: u64,
        /// L1 blocks an exit waits before the stake can be withdrawn.
        #[serde(default = "default_exit_delay")]
        exit_delay_blocks: u64,
        /// Fee to force a transaction through L1, in 1e-9 network token.
        #[serde(default = "default_batch_fee")]
        force_fee_gwei: u64,
        /// Forced-batch timeout (s): after it no block is canonical until the forced
        /// batch is sequenced, and anyone may sequence it.
        #[serde(default = "default_force_timeout")]
        force_timeout_s: u64,
        /// How long a leader collects attestations before posting them (ms).
        #[serde(default = "default_collect_ms")]
        collect_ms: u64,
        /// Gossip latency between validators (ms).
        #[serde(default = "default_gossip_ms")]
        gossip_ms: u64,
    },
}

fn default_blocks_per_slot() -> u64 {
    2
}
fn default_timeout_slots() -> u64 {
    2
}
fn default_slash_bps() -> u16 {
    1_000
}
fn default_reporter_bps() -> u16 {
    625
}
fn default_min_stake() -> u64 {
    10
}
fn default_max_validators() -> u64 {
    100
}
fn default_exit_delay() -> u64 {
    64
}
/// Shortest interval between a PoS leader's reposts of its attestations (ms).
pub const MIN_COLLECT_MS: u64 = 100;

fn default_collect_ms() -> u64 {
    2_000
}
fn default_gossip_ms() -> u64 {
    100
}

fn default_true() -> bool {
    true
}

fn default_batch_fee() -> u64 {
    1_000_000
}
fn default_verify_target() -> u64 {
    60
}
fn default_force_timeout() -> u64 {
    48
}

impl Mechanism {
    /// Its name in reports.
    pub fn name(&self) -> &'static str {
        match self {
            Mechanism::Centralized => "centralized",
            Mechanism::ProofOfEfficiency { .. } => "proof_of_efficiency",
            Mechanism::ProofOfStake { .. } => "proof_of_stake",
        }
    }
}

/// The L2 at genesis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

/// One member of the cast.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case", deny_unknown_fields)]
pub enum CastMember {
    /// A sequencer.
    Sequencer {
        /// Name.
        name: String,
        /// Sequencer id (what chain ids name).
        id: u64,
        /// Most transactions per batch (1..=64).
        #[serde(default = "default_max_txs")]
        max_txs: usize,
        /// L1 priority fee (gwei per gas).
        #[serde(default = "default_tip")]
        l1_tip_gwei: u64,
        /// Batch encoding.
        #[serde(default = "default_format")]
        format: Format,
        /// Users whose transactions it never includes (censorship).
        #[serde(default)]
        censor: Vec<String>,
        /// Where it posts batch data: `calldata` or `blob`.
        #[serde(default)]
        da: Da,
        /// Ordering policy: `tip` or `gas`.
        #[serde(default)]
        policy: Policy,
    },
    /// An inter-sequencer frontrunner (attacker): copies other sequencers' batches
    /// from the L1 mempool, optionally sandwiching a swap, and outbids them.
    Frontrunner {
        /// Name.
        name: String,
        /// Its sequencer id.
        id: u64,
        /// Size of its front-running swap (L2 units; 0: copy only).
        #[serde(default)]
        sandwich_amount: u64,
        /// Its L1 tip as a multiple of the victim's.
        #[serde(default = "default_tip_factor")]
        tip_factor: u64,
        /// Post under the victim's sequencer id instead of its own (refused by a
        /// rollup that binds ids to their owners, as Proof of Efficiency does).
        #[serde(default)]
        impersonate: bool,
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
        /// Its sequencer id in the blocks it builds.
        id: u64,
        /// Stake, in whole network tokens.
        stake: u64,
        /// `honest`, or the cartel's `uncle`, `empty`, `gouge` or `lockup`.
        #[serde(default)]
        strategy: CartelStrategy,
        /// Most transactions per block (1..=64).
        #[serde(default = "default_max_txs")]
        max_txs: usize,
        /// L1 priority fee (gwei per gas).
        #[serde(default = "default_tip")]
        l1_tip_gwei: u64,
        /// Smallest tip a gouging leader includes (gwei).
        #[serde(default)]
        min_tip: u64,
    },
    /// An aggregator (prover).
    Aggregator {
        /// Name.
        name: String,
        /// Hardware profile.
        hardware: Hardware,
        /// L1 priority fee (gwei per gas).
        #[serde(default = "default_tip")]
        l1_tip_gwei: u64,
        /// What it does with its proofs.
        #[serde(default)]
        strategy: Strategy,
        /// Where its proofs go on L1: `blobs` (default) or `calldata`.
        #[serde(default)]
        proof_da: ProofDa,
    },
    /// Copies verifications with calldata proofs from the L1 mempool and sends them
    /// first from its own address (attacker).
    Copier {
        /// Name.
        name: String,
        /// Its L1 tip as a multiple of the victim's.
        #[serde(default = "default_tip_factor")]
        tip_factor: u64,
    },
}

fn default_tip_factor() -> u64 {
    2
}

fn default_max_txs() -> usize {
    16
}
fn default_tip() -> u64 {
    2
}
fn default_format() -> Format {
    Format::Compact
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

    /// The sequencer id it puts in batch headers (sequencers, frontrunners, PoS
    /// validators).
    pub fn sequencer_id(&self) -> Option<u64> {
        match self {
            CastMember::Sequencer { id, .. }
            | CastMember::Frontrunner { id, .. }
            | CastMember::Validator { id, .. } => Some(*id),
            _ => None,
        }
    }

    /// Sequencer parameters, if it is one.
    pub fn sequencer(&self) -> Option<SequencerParams> {
        match self {
            CastMember::Sequencer {
                id,
                max_txs,
                l1_tip_gwei,
                format,
                censor,
                da,
                policy,
                ..
            } => Some(SequencerParams {
                da: *da,
                policy: *policy,
                id: *id,
                max_txs: *max_txs,
                l1_tip_gwei: *l1_tip_gwei,
                format: *format,
                censor: censor
                    .iter()
                    .filter_map(|u| u.strip_prefix("user-")?.parse::<u64>().ok())
                    .map(|i| i + 1)
                    .collect(),
            }),
            _ => None,
        }
    }

    /// Validator parameters, if it is one.
    pub fn validator(&self) -> Option<ValidatorParams> {
        match self {
            CastMember::Validator {
                id,
                strategy,
                max_txs,
                l1_tip_gwei,
                min_tip,
                ..
            } => Some(ValidatorParams {
                id: *id,
                max_txs: *max_txs,
                l1_tip_gwei: *l1_tip_gwei,
                strategy: *strategy,
                min_tip: *min_tip,
            }),
            _ => None,
        }
    }

    /// Frontrunner parameters, if it is one.
    pub fn frontrunner(&self) -> Option<zkarena_actors::attack::FrontrunnerParams> {
        match self {
            CastMember::Frontrunner {
                id,
                sandwich_amount,
                tip_factor,
                impersonate,
                ..
            } => Some(zkarena_actors::attack::FrontrunnerParams {
                id: *id,
                sandwich_amount: *sandwich_amount,
                tip_factor: *tip_factor,
                impersonate: *impersonate,
            }),
            _ => None,
        }
    }

    /// Aggregator parameters, if it is one.
    pub fn aggregator(&self) -> Option<AggregatorParams> {
        match self {
            CastMember::Aggregator {
                hardware,
                l1_tip_gwei,
                strategy,
                proof_da,
                ..
            } => Some(AggregatorParams {
                hardware: *hardware,
                l1_tip_gwei: *l1_tip_gwei,
                strategy: *strategy,
                proof_da: *proof_da,
            }),
            _ => None,
        }
    }
}

/// The users and their traffic.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

/// An expectation the run checks: `metric op value`. Metrics: `batches_sequenced`,
/// `batches_verified`, `txs_applied`, `txs_skipped`, `txs_pending`, `txs_lost`,
/// `finalized_invalid_roots`, `worst_inclusion_delay_ms`,
/// `longest_finalization_gap_ms`, `nakamoto_sequencers`, `nakamoto_provers`, under
/// proof of stake `slots_canonical`, `slots_uncled`, `honest_slashed`,
/// `cartel_slashed` (1e-9 token), `honest_stake_slashed_pct`, `liveness_gap_slots`, and
/// `<actor>.<field>` with field one of `l1_gas`, `l2_fees_earned`, `batches_sequenced`,
/// `proofs_submitted`, `proofs_accepted`, `l2_txs_sent`, `mev_profit`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// Metric.
    pub metric: String,
    /// Comparison.
    pub op: Op,
    /// Value.
    pub value: f64,
}

/// A scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Name (defaults to the file's stem).
    #[serde(default)]
    pub name: String,
    /// One line: what it shows.
    pub description: String,
    /// Mechanism.
    pub mechanism: Mechanism,
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
    /// Proof of stake: run the scenario once per cartel share and seed, and report
    /// slashing as a function of the cartel's stake.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<Sweep>,
}

/// A sweep over the stake cartel's share.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sweep {
    /// Cartel shares of the total stake (percent, each in 0..=95).
    pub cartel_pct: Vec<u64>,
    /// Seeds to run each share with.
    pub seeds: Vec<u64>,
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
/// scenario.
fn is_path(arg: &str) -> bool {
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
        let de = &mut serde_json::Deserializer::from_str(text);
        let mut s: Scenario = serde_path_to_error::deserialize(de).map_err(|e| {
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
        })?;
        if s.name.is_empty() {
            s.name = stem.into();
        }
        s.validate(file)?;
        Ok(s)
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
        self.validate_genesis(file)?;
        let pos = matches!(self.mechanism, Mechanism::ProofOfStake { .. });
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
            if let CastMember::Sequencer { max_txs, .. } = m {
                if !(1..=64).contains(max_txs) {
                    return Err(bad(
                        format!("cast[{i}].max_txs"),
                        format!("{max_txs} is outside 1..=64"),
                    ));
                }
            }
            if let CastMember::Aggregator { hardware, .. } = m {
                if hardware.rows_per_sec == 0 {
                    return Err(bad(
                        format!("cast[{i}].hardware.rows_per_sec"),
                        "must be positive".into(),
                    ));
                }
            }
            if let CastMember::Validator { max_txs, stake, .. } = m {
                if !pos {
                    return Err(bad(
                        format!("cast[{i}].role"),
                        "a validator needs the proof_of_stake mechanism".into(),
                    ));
                }
                if !(1..=64).contains(max_txs) {
                    return Err(bad(
                        format!("cast[{i}].max_txs"),
                        format!("{max_txs} is outside 1..=64"),
                    ));
                }
                if *stake == 0 || *stake > 1_000_000_000 {
                    return Err(bad(
                        format!("cast[{i}].stake"),
                        format!("{stake} is outside 1..=1000000000 tokens"),
                    ));
                }
            }
            if pos
                && matches!(
                    m,
                    CastMember::Sequencer { .. }
                        | CastMember::Frontrunner { .. }
                        | CastMember::Garbage { .. }
                )
            {
                return Err(bad(
                    format!("cast[{i}].role"),
                    "under proof_of_stake blocks come from validators: no sequencers or sequencing attackers".into(),
                ));
            }
        }
        if !self
            .cast
            .iter()
            .any(|m| matches!(m, CastMember::Aggregator { .. }))
        {
            return Err(bad("cast".into(), "needs an aggregator".into()));
        }
        if let Mechanism::ProofOfStake { .. } = self.mechanism {
            self.validate_pos(file)?;
        } else {
            let sequencers: Vec<&str> = self
                .cast
                .iter()
                .filter(|m| matches!(m, CastMember::Sequencer { .. }))
                .map(CastMember::name)
                .collect();
            if sequencers.is_empty() {
                return Err(bad("cast".into(), "needs a sequencer".into()));
            }
            if !sequencers.contains(&self.workload.sequencer.as_str()) {
                return Err(bad(
                    "workload.sequencer".into(),
                    format!(
                        "`{}` is not a sequencer of the cast",
                        self.workload.sequencer
                    ),
                ));
            }
            if self.sweep.is_some() {
                return Err(bad(
                    "sweep".into(),
                    "a sweep over cartel stake needs the proof_of_stake mechanism".into(),
                ));
            }
        }
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
            for k in f.kinds() {
                if !Msg::KINDS.contains(&k) {
                    return Err(bad(
                        format!("faults[{i}]"),
                        format!(
                            "unknown message kind `{k}` (one of {})",
                            Msg::KINDS.join(", ")
                        ),
                    ));
                }
            }
        }
        for (i, e) in self.expect.iter().enumerate() {
            if !metric_known(&e.metric, &names, w.users) {
                return Err(bad(
                    format!("expect[{i}].metric"),
                    format!("unknown metric `{}`", e.metric),
                ));
            }
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

    fn validate_pos(&self, file: &str) -> Result<(), ScenarioError> {
        let Mechanism::ProofOfStake {
            blocks_per_slot,
            timeout_slots,
            slash_bps,
            collect_ms,
            reporter_bps,
            min_stake,
            max_validators,
            ..
        } = self.mechanism
        else {
            return Ok(());
        };
        let bad = |path: &str, message: String| ScenarioError::Invalid {
            file: file.into(),
            path: path.into(),
            message,
        };
        if !(1..=64).contains(&blocks_per_slot) {
            return Err(bad(
                "mechanism.blocks_per_slot",
                format!("{blocks_per_slot} is outside 1..=64"),
            ));
        }
        // The slot's start hash (its leader's seed) must still be readable when the
        // timeout passes, with a margin for the reports (StakeManager
        // MAX_TIMEOUT_BLOCKS).
        let timeout_blocks = (timeout_slots as u128 + 1) * blocks_per_slot as u128;
        if timeout_blocks > pos::MAX_TIMEOUT_BLOCKS as u128 {
            return Err(bad(
                "mechanism.timeout_slots",
                format!(
                    "{timeout_slots}: (1 + timeout_slots) x blocks_per_slot = {timeout_blocks} L1 blocks, above {} (BLOCKHASH's {} blocks less a {}-block margin for reports)",
                    pos::MAX_TIMEOUT_BLOCKS,
                    pos::BLOCKHASH_WINDOW,
                    pos::REPORT_MARGIN_BLOCKS
                ),
            ));
        }
        if reporter_bps > pos::MAX_REPORTER_BPS {
            return Err(bad(
                "mechanism.reporter_bps",
                format!(
                    "{reporter_bps} is above {} (1/8 of the slash)",
                    pos::MAX_REPORTER_BPS
                ),
            ));
        }
        if !(1..=pos::MAX_VALIDATORS_CEILING).contains(&max_validators) {
            return Err(bad(
                "mechanism.max_validators",
                format!(
                    "{max_validators} is outside 1..={}",
                    pos::MAX_VALIDATORS_CEILING
                ),
            ));
        }
        if min_stake == 0 {
            return Err(bad(
                "mechanism.min_stake",
                "must be at least 1 token".into(),
            ));
        }
        for (i, m) in self.cast.iter().enumerate() {
            if let CastMember::Validator { stake, .. } = m {
                if *stake < min_stake {
                    return Err(bad(
                        &format!("cast[{i}].stake"),
                        format!("{stake} is below mechanism.min_stake ({min_stake} tokens)"),
                    ));
                }
            }
        }
        if slash_bps > 10_000 {
            return Err(bad(
                "mechanism.slash_bps",
                format!("{slash_bps} is above 10000 (all of the stake)"),
            ));
        }
        let slot_ms = self.slot_seconds * 1000;
        // A leader reposts its block's attestations every collect_ms while it is not
        // canonical: at 0 ms the reposts never let time advance (the run filled memory),
        // and at MIN_COLLECT_MS a 12 s slot holds at most 120 of them.
        if collect_ms < MIN_COLLECT_MS {
            return Err(bad(
                "mechanism.collect_ms",
                format!("{collect_ms} ms is below {MIN_COLLECT_MS} ms: the leader's reposts would flood the run"),
            ));
        }
        if collect_ms >= slot_ms {
            return Err(bad(
                "mechanism.collect_ms",
                format!("{collect_ms} ms does not fit in an L1 slot of {slot_ms} ms"),
            ));
        }
        let validators: Vec<&CastMember> = self
            .cast
            .iter()
            .filter(|m| matches!(m, CastMember::Validator { .. }))
            .collect();
        if validators.is_empty() {
            return Err(bad("cast", "needs a validator".into()));
        }
        if validators.len() as u64 > max_validators {
            return Err(bad(
                "cast",
                format!(
                    "{} validators, above mechanism.max_validators ({max_validators})",
                    validators.len()
                ),
            ));
        }
        if !self.workload.sequencer.is_empty() {
            return Err(bad(
                "workload.sequencer",
                "under proof_of_stake users send to every validator: leave it out".into(),
            ));
        }
        if let Some(sweep) = &self.sweep {
            let cartel = validators
                .iter()
                .filter(|m| m.validator().is_some_and(|p| p.strategy.is_cartel()))
                .count();
            if cartel == 0 || cartel == validators.len() {
                return Err(bad(
                    "sweep",
                    "needs both cartel validators (a strategy other than honest) and honest ones"
                        .into(),
                ));
            }
            if sweep.cartel_pct.is_empty() || sweep.seeds.is_empty() {
                return Err(bad("sweep", "needs cartel shares and seeds".into()));
            }
            if let Some((k, p)) = sweep.cartel_pct.iter().enumerate().find(|(_, p)| **p > 95) {
                return Err(bad(
                    &format!("sweep.cartel_pct[{k}]"),
                    format!("{p} is outside 0..=95"),
                ));
            }
            // Every run's stakes must reach the minimum (a member left without stake
            // leaves the cast).
            for (k, &p) in sweep.cartel_pct.iter().enumerate() {
                let small = self
                    .with_cartel_share(p, self.seed)
                    .cast
                    .iter()
                    .filter_map(|m| match m {
                        CastMember::Validator { stake, .. } => Some(*stake),
                        _ => None,
                    })
                    .min();
                if let Some(s) = small.filter(|s| *s < min_stake) {
                    return Err(bad(
                        &format!("sweep.cartel_pct[{k}]"),
                        format!(
                            "at {p}% a validator stakes {s} tokens, below mechanism.min_stake ({min_stake})"
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The scenario with the cartel holding `pct` percent of the total stake (split
    /// evenly among its members, the rest evenly among the honest validators; members
    /// left without stake leave the cast) and seed `seed`.
    pub fn with_cartel_share(&self, pct: u64, seed: u64) -> Scenario {
        let mut s = self.clone();
        s.seed = seed;
        s.sweep = None;
        s.name = format!("{}@{pct}%/seed{seed}", self.name);
        let is_cartel = |m: &CastMember| m.validator().is_some_and(|p| p.strategy.is_cartel());
        let total: u64 = s
            .cast
            .iter()
            .map(|m| match m {
                CastMember::Validator { stake, .. } => *stake,
                _ => 0,
            })
            .sum();
        let cartel = s.cast.iter().filter(|m| is_cartel(m)).count() as u64;
        let honest = s
            .cast
            .iter()
            .filter(|m| matches!(m, CastMember::Validator { .. }) && !is_cartel(m))
            .count() as u64;
        let cartel_total = total * pct / 100;
        let flags: Vec<bool> = s.cast.iter().map(is_cartel).collect();
        for (m, cartel_member) in s.cast.iter_mut().zip(flags) {
            if let CastMember::Validator { stake, .. } = m {
                *stake = if cartel_member {
                    cartel_total / cartel.max(1)
                } else {
                    (total - cartel_total) / honest.max(1)
                };
            }
        }
        s.cast
            .retain(|m| !matches!(m, CastMember::Validator { stake: 0, .. }));
        s
    }
}

/// Run-wide metrics an expectation may name.
pub const METRICS: &[&str] = &[
    "batches_sequenced",
    "batches_verified",
    "txs_applied",
    "txs_skipped",
    "txs_pending",
    "txs_lost",
    "finalized_invalid_roots",
    "worst_inclusion_delay_ms",
    "longest_finalization_gap_ms",
    "nakamoto_sequencers",
    "nakamoto_provers",
    "slots_canonical",
    "slots_uncled",
    "honest_slashed",
    "cartel_slashed",
    "honest_stake_slashed_pct",
    "liveness_gap_slots",
];

/// Per-actor fields an expectation may name as `<actor>.<field>`.
pub const ACTOR_FIELDS: &[&str] = &[
    "l1_gas",
    "l2_fees_earned",
    "batches_sequenced",
    "proofs_submitted",
    "proofs_accepted",
    "l2_txs_sent",
    "mev_profit",
    "profit_gwei",
    "proving_wasted_ms",
    "l1_token_delta",
    "fines",
    "rewards",
];

fn metric_known(m: &str, names: &BTreeSet<String>, users: usize) -> bool {
    if METRICS.contains(&m) {
        return true;
    }
    let Some((actor, field)) = m.rsplit_once('.') else {
        return false;
    };
    let actor_ok = names.contains(actor)
        || actor
            .strip_prefix("user-")
            .and_then(|n| n.parse::<usize>().ok())
            .is_some_and(|n| n < users);
    actor_ok && ACTOR_FIELDS.contains(&field)
}

/// Builds a scenario in Rust (tests), with the same defaults as the JSON.
#[derive(Clone, Debug)]
pub struct ScenarioBuilder(Scenario);

impl ScenarioBuilder {
    /// A centralized-mechanism scenario with one sequencer `seq` and one aggregator
    /// `agg`, `users` users sending `txs_per_slot` each.
    pub fn centralized(name: &str, users: usize, txs_per_slot: f64) -> Self {
        Self(Scenario {
            name: name.into(),
            description: format!("{name} (built in Rust)"),
            mechanism: Mechanism::Centralized,
            seed: 0,
            slots: default_slots(),
            slot_seconds: default_slot_seconds(),
            proof_mode: ProofMode::Dev,
            l2: L2Genesis::default(),
            cast: vec![
                CastMember::Sequencer {
                    name: "seq".into(),
                    id: 1,
                    max_txs: default_max_txs(),
                    l1_tip_gwei: default_tip(),
                    format: default_format(),
                    censor: Vec::new(),
                    da: Da::Calldata,
                    policy: Policy::Tip,
                },
                CastMember::Aggregator {
                    name: "agg".into(),
                    hardware: Hardware {
                        rows_per_sec: 4096,
                        overhead_ms: 500,
                    },
                    l1_tip_gwei: default_tip(),
                    strategy: Strategy::Honest,
                    proof_da: ProofDa::Blobs,
                },
            ],
            workload: Workload {
                users,
                sequencer: "seq".into(),
                txs_per_slot,
                mix: default_mix(),
                fee: default_fee(),
                deposit_gwei: 0,
                chain_id_names_sequencer: false,
                patience_slots: None,
            },
            faults: Vec::new(),
            expect: Vec::new(),
            sweep: None,
        })
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

    /// Sets the proof mode.
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

    /// Adds an expectation.
    pub fn expect(mut self, metric: &str, op: Op, value: f64) -> Self {
        self.0.expect.push(Expectation {
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
