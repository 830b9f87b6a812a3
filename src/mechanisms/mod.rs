//! Mechanisms: each decentralization mechanism is one folder here, behind the
//! [`Mechanism`] trait (its scenario parameters and their checks, its contracts and
//! genesis, the roles it casts, where users send to, the L1 events it reads, its report
//! section and metrics). Everything else a run needs is shared (`crate::run`,
//! `crate::scenario`). Adding a mechanism: a folder, its contracts and scenarios, and a
//! variant plus a match arm in [`MechanismConfig`]; see docs/ARCHITECTURE.md.
//!
//! The shape follows revm's `Handler`: hooks with defaults that a mechanism overrides.
//! [`Mechanism`] holds what a scenario's parameters alone decide (checks, metrics);
//! [`Mechanism::deploy`] returns a [`Deployed`] mechanism that knows its contracts'
//! addresses and takes part in genesis, casting and reporting.

pub mod centralized;
pub mod poe;
pub mod pos;

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, U256};
use serde::{Deserialize, Serialize};
use zkarena_actors::l1node::L1Node;
use zkarena_actors::msg::SentTx;
use zkarena_actors::node::Role;
use zkarena_actors::runtime::Testnet;
use zkarena_harness::l1::chain::Chain;
use zkarena_harness::l1::deploy::Deployment;
use zkarena_harness::l2::state::L2State;
use zkarena_harness::report::Report;

use crate::run::RunError;
use crate::scenario::{CastMember, Scenario, ScenarioError};

/// The mechanism under test, as a scenario names it (`"mechanism": {"kind": ...}`).
/// Registering a mechanism = a variant here, its arm in [`MechanismConfig::rules`] and
/// its default in [`MechanismConfig::registered`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MechanismConfig {
    /// One sequencer named at deployment; anyone proves (the baseline).
    Centralized(centralized::Centralized),
    /// Proof of Efficiency: anyone sequences for a batch fee; the first valid proof of
    /// a range takes its fees.
    ProofOfEfficiency(poe::ProofOfEfficiency),
    /// PoS leader election with attestations and slashing.
    ProofOfStake(pos::ProofOfStake),
}

impl MechanismConfig {
    /// Its implementation: the one place the enum is matched.
    pub fn rules(&self) -> &dyn Mechanism {
        match self {
            MechanismConfig::Centralized(m) => m,
            MechanismConfig::ProofOfEfficiency(m) => m,
            MechanismConfig::ProofOfStake(m) => m,
        }
    }

    /// Its name in reports.
    pub fn name(&self) -> &'static str {
        self.rules().name()
    }

    /// One of each registered mechanism, with default parameters.
    pub fn registered() -> Vec<MechanismConfig> {
        vec![
            MechanismConfig::Centralized(Default::default()),
            MechanismConfig::ProofOfEfficiency(Default::default()),
            MechanismConfig::ProofOfStake(Default::default()),
        ]
    }
}

/// What a mechanism's parameters decide before anything is deployed.
pub trait Mechanism {
    /// Its name in reports (`report.mechanism`).
    fn name(&self) -> &'static str;

    /// Checks the scenario against the mechanism's rules: its parameters, the roles of
    /// the cast it admits, the workload's routing. `bad(path, why)` builds the error.
    fn validate(&self, s: &Scenario, bad: &Refusal<'_>) -> Result<(), ScenarioError>;

    /// Metrics of its report section that expectations may name.
    fn section_metrics(&self) -> &'static [&'static str] {
        &[]
    }

    /// The value of one of [`Mechanism::section_metrics`] in `report`.
    fn section_metric(&self, _report: &Report, _metric: &str) -> Option<f64> {
        None
    }

    /// Whether an attacker of the mechanism's own roles in `s` targets the user
    /// transaction `tx` (censorship resistance is measured on those).
    fn targets(&self, _s: &Scenario, _tx: &SentTx) -> bool {
        false
    }

    /// Kinds of the messages its own roles exchange (what a fault's link may select).
    fn message_kinds(&self) -> &'static [&'static str] {
        &[]
    }

    /// The L1 address of cast member `m` if the mechanism decides it (default: none,
    /// the address derived from its name).
    fn member_address(&self, _seed: u64, _m: &CastMember) -> Option<Address> {
        None
    }

    /// Network tokens cast member `m` stakes at genesis, minted on top of its
    /// allowance (token wei).
    fn genesis_stake(&self, _m: &CastMember) -> U256 {
        U256::ZERO
    }

    /// The shipped scenario of its honest baseline: the scorecard's first row for it.
    fn baseline_scenario(&self) -> &'static str;

    /// Sweep knobs: changes of a scenario that a sweep plan's grid may name and that no
    /// single JSON path expresses (proof of stake's `cartel_pct`).
    fn knobs(&self) -> &'static [Knob] {
        &[]
    }

    /// Deploys its contracts (the rollup last), after the shared bridge and token.
    fn deploy(&self, g: &mut Genesis<'_>) -> Result<Box<dyn Deployed>, RunError>;
}

/// A sweep knob: a named change of a scenario, applied before it is checked again.
pub struct Knob {
    /// Its name in a plan's grid.
    pub name: &'static str,
    /// What it sets (the values it takes).
    pub about: &'static str,
    /// Applies one value; the error says why the value does not fit the scenario.
    pub apply: fn(&mut Scenario, &serde_json::Value) -> Result<(), String>,
}

/// Builds a scenario error at a JSON path.
pub type Refusal<'a> = dyn Fn(&str, String) -> ScenarioError + 'a;

/// The L1 being set up, and what the mechanism's contracts are built from.
pub struct Genesis<'a> {
    /// The scenario.
    pub scenario: &'a Scenario,
    /// The L1.
    pub chain: &'a mut Chain,
    /// The shared contracts (bridge, token) and the deployer.
    pub shared: &'a Deployment,
    /// The L2 genesis state root.
    pub genesis_root: B256,
    /// The batch verifier keys the rollup accepts, by shape.
    pub keys: Vec<B256>,
}

/// What a cast member's role is built from.
pub struct CastContext<'a> {
    /// The scenario.
    pub scenario: &'a Scenario,
    /// The member's L1 address.
    pub address: Address,
    /// Its L2 fee account, if it builds batches.
    pub fee_account: Option<u64>,
    /// The L2 genesis.
    pub l2: &'a L2State,
    /// The run's first L1 block.
    pub first_block: u64,
}

/// Where users send their L2 transactions, and whether they can force them.
pub struct Routing {
    /// The actors users send to.
    pub to: Vec<String>,
    /// The forced-inclusion timeout (s), if the rollup has a forced path.
    pub force_timeout_s: Option<u64>,
}

/// A mechanism's own part of the report.
pub struct Section {
    /// Its key in `report.json`.
    pub name: &'static str,
    /// Its content.
    pub data: serde_json::Value,
    /// Its lines of the terminal summary.
    pub summary: String,
}

/// A deployed mechanism: its hooks into genesis, the cast and the report.
pub trait Deployed {
    /// The rollup contract.
    fn rollup(&self) -> Address;

    /// After cast member `m` (at `address`) is funded and has approved the rollup.
    fn fund_member(
        &self,
        _g: &mut Genesis<'_>,
        _m: &CastMember,
        _address: Address,
    ) -> Result<(), RunError> {
        Ok(())
    }

    /// After the whole cast is funded.
    fn after_cast_funded(&self, _g: &mut Genesis<'_>) -> Result<(), RunError> {
        Ok(())
    }

    /// After the users are funded, before their first deposits.
    fn after_users_funded(&self, _g: &mut Genesis<'_>) -> Result<(), RunError> {
        Ok(())
    }

    /// Genesis is over: the run starts at L1 block `first_block`.
    fn start(&mut self, _s: &Scenario, _first_block: u64) {}

    /// The L1 node, told which of the mechanism's contracts' logs to read.
    fn watch(&self, l1: L1Node) -> L1Node {
        l1
    }

    /// The role playing `m`, if the mechanism casts it (else a shared role does).
    fn cast(&self, _m: &CastMember, _c: &CastContext<'_>) -> Option<Box<dyn Role>> {
        None
    }

    /// Where users send to.
    fn routing(&self, s: &Scenario) -> Routing;

    /// Its report section, read at the end of the run (the shared report is done).
    fn section(&mut self, _net: &mut Testnet, _s: &Scenario, _report: &Report) -> Option<Section> {
        None
    }
}

/// Deploys contract `artifact` with constructor `args` from the deployer.
pub(crate) fn deploy_contract(
    g: &mut Genesis<'_>,
    artifact: &str,
    args: Vec<u8>,
) -> Result<Address, RunError> {
    let code = zkarena_harness::l1::contracts::Artifact::get(artifact)
        .expect("shipped")
        .init_code(&args);
    Ok(g.chain.deploy(g.shared.deployer, code)?)
}

/// The checks every sequencer-based mechanism (users send to one named sequencer)
/// shares: a sequencer in the cast, the workload's sequencer among them, no
/// validators.
pub(crate) fn validate_sequencers(
    s: &Scenario,
    mechanism: &str,
    bad: &Refusal<'_>,
) -> Result<(), ScenarioError> {
    for (i, m) in s.cast.iter().enumerate() {
        if matches!(m, CastMember::Validator { .. }) {
            return Err(bad(
                &format!("cast[{i}].role"),
                format!("a validator needs the proof_of_stake mechanism, not {mechanism}"),
            ));
        }
    }
    // An id names one sequencer: in batch headers, in chain ids, and in the claim that
    // binds it to its owner's address (a second claim of an id reverts at genesis).
    let mut owners: BTreeMap<u64, &str> = BTreeMap::new();
    for (i, m) in s.cast.iter().enumerate() {
        if let Some(id) = m.sequencer_id() {
            if let Some(owner) = owners.insert(id, m.name()) {
                return Err(bad(
                    &format!("cast[{i}].id"),
                    format!("sequencer id {id} is `{owner}`'s already"),
                ));
            }
        }
    }
    let sequencers: Vec<&str> = s
        .cast
        .iter()
        .filter(|m| matches!(m, CastMember::Sequencer { .. }))
        .map(CastMember::name)
        .collect();
    if sequencers.is_empty() {
        return Err(bad("cast", "needs a sequencer".into()));
    }
    if !sequencers.contains(&s.workload.sequencer.as_str()) {
        return Err(bad(
            "workload.sequencer",
            format!("`{}` is not a sequencer of the cast", s.workload.sequencer),
        ));
    }
    Ok(())
}

/// Users of a sequencer-based mechanism send to the workload's sequencer.
pub(crate) fn to_the_sequencer(s: &Scenario, force_timeout_s: Option<u64>) -> Routing {
    Routing {
        to: vec![s.workload.sequencer.clone()],
        force_timeout_s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::ScenarioBuilder;
    use zkarena_harness::zk::ProofMode;

    #[test]
    fn every_registered_mechanism_defaults_to_what_a_file_that_names_only_its_kind_gets() {
        for config in MechanismConfig::registered() {
            let text = format!(r#"{{"kind": "{}"}}"#, config.name());
            let parsed: MechanismConfig = serde_json::from_str(&text).unwrap();
            assert_eq!(parsed, config, "{}", config.name());
        }
    }

    #[test]
    fn the_builder_makes_a_valid_scenario_for_every_mechanism() {
        let built = [
            ScenarioBuilder::centralized("c", 2, 1.0),
            ScenarioBuilder::proof_of_efficiency("e", 2, 1.0),
            ScenarioBuilder::proof_of_stake("s", 2, 1.0, &[30, 30, 40]),
        ];
        let names: Vec<&str> = MechanismConfig::registered()
            .iter()
            .map(MechanismConfig::name)
            .collect();
        for (b, name) in built.into_iter().zip(names) {
            let s = b.build().unwrap();
            assert_eq!(s.mechanism.name(), name);
            // The JSON default, not the tests' habit.
            assert_eq!(s.proof_mode, ProofMode::Real);
        }
    }

    #[test]
    fn a_pos_message_kind_is_a_fault_target_only_under_pos() {
        let drop_attestations = |b: ScenarioBuilder| {
            b.fault(zkarena_harness::sim::Fault::Drop {
                from_ms: 0,
                until_ms: 1_000,
                link: zkarena_harness::sim::Link {
                    from: None,
                    to: None,
                    kind: Some("attestation".into()),
                },
            })
            .build()
        };
        assert!(drop_attestations(ScenarioBuilder::proof_of_stake("s", 2, 1.0, &[50, 50])).is_ok());
        let err = drop_attestations(ScenarioBuilder::proof_of_efficiency("e", 2, 1.0))
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown message kind `attestation`"), "{err}");
    }
}
