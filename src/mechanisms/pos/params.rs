//! PoS parameters (the scenario's `mechanism` object), their checks, and the metrics
//! of the PoS report section.

use alloy_primitives::U256;
use serde::{Deserialize, Serialize};

use super::report::PosReport;
use super::validator::{rules, CartelStrategy};
use crate::mechanisms::poe::{default_batch_fee, default_force_timeout};
use crate::mechanisms::{Deployed, Genesis, Knob, Mechanism, Refusal};
use crate::run::{RunError, ETH};
use crate::scenario::{CastMember, Scenario, ScenarioError};
use zkarena_actors::msg::SentTx;
use zkarena_harness::l2::tx::{deterministic_key, key_address};
use zkarena_harness::report::Report;

/// PoS leader election's parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProofOfStake {
    /// L1 blocks per L2 slot.
    #[serde(default = "default_blocks_per_slot")]
    pub blocks_per_slot: u64,
    /// Slots after a slot before its leader can be slashed for it.
    #[serde(default = "default_timeout_slots")]
    pub timeout_slots: u64,
    /// Share of the leader's stake slashed (basis points).
    #[serde(default = "default_slash_bps")]
    pub slash_bps: u16,
    /// Burn the slash (else `reporter_bps` of it pays the reporter, the rest is burnt).
    #[serde(default)]
    pub burn_slash: bool,
    /// Share of a slash paid to its reporter when not burnt (basis points, at most the
    /// StakeManager's 1/8). Default 1/16, the share of the initial slashing penalty
    /// Ethereum pays its whistleblower (1/512 of the balance against 1/32).
    #[serde(default = "default_reporter_bps")]
    pub reporter_bps: u16,
    /// Smallest stake, in whole network tokens. Default 10: 1% of the shipped
    /// scenarios' 1000 tokens (Polygon PoS asks 10,000 POL of ~10 billion, with 105
    /// seats; Ethereum 32 ETH).
    #[serde(default = "default_min_stake")]
    pub min_stake: u64,
    /// Most validators that may ever stake (at most the StakeManager's ceiling, 100:
    /// `attest` with everyone signing takes about 4.6 M gas). Default 100: Polygon PoS
    /// has 105 seats, the Cosmos Hub launched with 100.
    #[serde(default = "default_max_validators")]
    pub max_validators: u64,
    /// L1 blocks an exit waits before the stake can be withdrawn.
    #[serde(default = "default_exit_delay")]
    pub exit_delay_blocks: u64,
    /// Fee to force a transaction through L1, in 1e-9 network token.
    #[serde(default = "default_batch_fee")]
    pub force_fee_gwei: u64,
    /// Forced-batch timeout (s): after it no block is canonical until the forced batch
    /// is sequenced, and anyone may sequence it.
    #[serde(default = "default_force_timeout")]
    pub force_timeout_s: u64,
    /// How long a leader collects attestations before posting them (ms).
    #[serde(default = "default_collect_ms")]
    pub collect_ms: u64,
    /// Gossip latency between validators (ms).
    #[serde(default = "default_gossip_ms")]
    pub gossip_ms: u64,
}

impl Default for ProofOfStake {
    fn default() -> Self {
        Self {
            blocks_per_slot: default_blocks_per_slot(),
            timeout_slots: default_timeout_slots(),
            slash_bps: default_slash_bps(),
            burn_slash: false,
            reporter_bps: default_reporter_bps(),
            min_stake: default_min_stake(),
            max_validators: default_max_validators(),
            exit_delay_blocks: default_exit_delay(),
            force_fee_gwei: default_batch_fee(),
            force_timeout_s: default_force_timeout(),
            collect_ms: default_collect_ms(),
            gossip_ms: default_gossip_ms(),
        }
    }
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
fn default_collect_ms() -> u64 {
    2_000
}
fn default_gossip_ms() -> u64 {
    100
}

/// Shortest interval between a PoS leader's reposts of its attestations (ms).
pub const MIN_COLLECT_MS: u64 = 100;

/// The metrics of the PoS section.
pub const METRICS: &[&str] = &[
    "slots_canonical",
    "slots_uncled",
    "honest_slashed",
    "cartel_slashed",
    "honest_stake_slashed_pct",
    "liveness_gap_slots",
];

impl Mechanism for ProofOfStake {
    fn name(&self) -> &'static str {
        "proof_of_stake"
    }

    fn baseline_scenario(&self) -> &'static str {
        "pos-baseline"
    }

    fn validate(&self, s: &Scenario, bad: &Refusal<'_>) -> Result<(), ScenarioError> {
        self.validate_cast(s, bad)?;
        self.validate_rules(s, bad)
    }

    fn knobs(&self) -> &'static [Knob] {
        super::sweep::KNOBS
    }

    fn section_metrics(&self) -> &'static [&'static str] {
        METRICS
    }

    fn section_metric(&self, report: &Report, metric: &str) -> Option<f64> {
        let p = PosReport::of(report)?;
        Some(match metric {
            "slots_canonical" => p.canonical as f64,
            "slots_uncled" => p.uncled as f64,
            "honest_slashed" => p.honest_slashed as f64,
            "cartel_slashed" => p.cartel_slashed as f64,
            "honest_stake_slashed_pct" => p.honest_stake_slashed_pct,
            "liveness_gap_slots" => p.liveness_gap_slots as f64,
            _ => return None,
        })
    }

    fn message_kinds(&self) -> &'static [&'static str] {
        super::messages::MESSAGE_KINDS
    }

    /// The cartel's targets: everyone's transactions for empty blocks, those tipping
    /// below its floor for gouging, the token's for a lock-up. Uncling targets honest
    /// validators, not transactions.
    fn targets(&self, s: &Scenario, tx: &SentTx) -> bool {
        s.cast
            .iter()
            .filter_map(CastMember::validator)
            .any(|p| match p.strategy {
                CartelStrategy::Empty => true,
                CartelStrategy::Gouge => tx.tip < p.min_tip,
                CartelStrategy::Lockup => tx.action.moves_token(),
                CartelStrategy::Uncle | CartelStrategy::Honest => false,
            })
    }

    /// A validator's address is its signing key's: attestations recover to it.
    fn member_address(&self, seed: u64, m: &CastMember) -> Option<alloy_primitives::Address> {
        match m {
            CastMember::Validator { name, .. } => Some(key_address(&deterministic_key(seed, name))),
            _ => None,
        }
    }

    fn genesis_stake(&self, m: &CastMember) -> U256 {
        match m {
            CastMember::Validator { stake, .. } => U256::from(*stake) * U256::from(ETH),
            _ => U256::ZERO,
        }
    }

    fn deploy(&self, g: &mut Genesis<'_>) -> Result<Box<dyn Deployed>, RunError> {
        self.deploy_contracts(g)
    }
}

impl ProofOfStake {
    /// Blocks come from validators: no sequencers, and users send to all of them.
    fn validate_cast(&self, s: &Scenario, bad: &Refusal<'_>) -> Result<(), ScenarioError> {
        let mut validators = 0u64;
        for (i, m) in s.cast.iter().enumerate() {
            match m {
                CastMember::Sequencer { .. }
                | CastMember::Frontrunner { .. }
                | CastMember::Garbage { .. } => {
                    return Err(bad(
                        &format!("cast[{i}].role"),
                        "under proof_of_stake blocks come from validators: no sequencers or sequencing attackers".into(),
                    ));
                }
                CastMember::Validator { stake, .. } => {
                    validators += 1;
                    if *stake == 0 || *stake > 1_000_000_000 {
                        return Err(bad(
                            &format!("cast[{i}].stake"),
                            format!("{stake} is outside 1..=1000000000 tokens"),
                        ));
                    }
                    if *stake < self.min_stake {
                        return Err(bad(
                            &format!("cast[{i}].stake"),
                            format!(
                                "{stake} is below mechanism.min_stake ({} tokens)",
                                self.min_stake
                            ),
                        ));
                    }
                }
                _ => {}
            }
        }
        if validators == 0 {
            return Err(bad("cast", "needs a validator".into()));
        }
        if validators > self.max_validators {
            return Err(bad(
                "cast",
                format!(
                    "{validators} validators, above mechanism.max_validators ({})",
                    self.max_validators
                ),
            ));
        }
        if !s.workload.sequencer.is_empty() {
            return Err(bad(
                "workload.sequencer",
                "under proof_of_stake users send to every validator: leave it out".into(),
            ));
        }
        Ok(())
    }

    /// The StakeManager's bounds, and timings that must fit an L1 slot.
    fn validate_rules(&self, s: &Scenario, bad: &Refusal<'_>) -> Result<(), ScenarioError> {
        let (blocks_per_slot, timeout_slots) = (self.blocks_per_slot, self.timeout_slots);
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
        if timeout_blocks > rules::MAX_TIMEOUT_BLOCKS as u128 {
            return Err(bad(
                "mechanism.timeout_slots",
                format!(
                    "{timeout_slots}: (1 + timeout_slots) x blocks_per_slot = {timeout_blocks} L1 blocks, above {} (BLOCKHASH's {} blocks less a {}-block margin for reports)",
                    rules::MAX_TIMEOUT_BLOCKS,
                    rules::BLOCKHASH_WINDOW,
                    rules::REPORT_MARGIN_BLOCKS
                ),
            ));
        }
        if self.reporter_bps > rules::MAX_REPORTER_BPS {
            return Err(bad(
                "mechanism.reporter_bps",
                format!(
                    "{} is above {} (1/8 of the slash)",
                    self.reporter_bps,
                    rules::MAX_REPORTER_BPS
                ),
            ));
        }
        if !(1..=rules::MAX_VALIDATORS_CEILING).contains(&self.max_validators) {
            return Err(bad(
                "mechanism.max_validators",
                format!(
                    "{} is outside 1..={}",
                    self.max_validators,
                    rules::MAX_VALIDATORS_CEILING
                ),
            ));
        }
        if self.min_stake == 0 {
            return Err(bad(
                "mechanism.min_stake",
                "must be at least 1 token".into(),
            ));
        }
        if self.slash_bps > 10_000 {
            return Err(bad(
                "mechanism.slash_bps",
                format!("{} is above 10000 (all of the stake)", self.slash_bps),
            ));
        }
        let slot_ms = s.slot_seconds * 1000;
        // A leader reposts its block's attestations every collect_ms while it is not
        // canonical: at 0 ms the reposts never let time advance (the run filled memory),
        // and at MIN_COLLECT_MS a 12 s slot holds at most 120 of them.
        if self.collect_ms < MIN_COLLECT_MS {
            return Err(bad(
                "mechanism.collect_ms",
                format!(
                    "{} ms is below {MIN_COLLECT_MS} ms: the leader's reposts would flood the run",
                    self.collect_ms
                ),
            ));
        }
        if self.collect_ms >= slot_ms {
            return Err(bad(
                "mechanism.collect_ms",
                format!(
                    "{} ms does not fit in an L1 slot of {slot_ms} ms",
                    self.collect_ms
                ),
            ));
        }
        Ok(())
    }
}
