//! The centralized baseline (`CentralizedRollup.sol`): one sequencer named at
//! deployment (the cast's first), anyone proves. Every decentralized mechanism is
//! compared with it. Rules and figures: docs/mechanisms/centralized.md.

use alloy_primitives::Address;
use alloy_sol_types::SolConstructor;
use serde::{Deserialize, Serialize};
use zkarena_harness::l1::contracts::bindings;

use super::{deploy_contract, to_the_sequencer, Deployed, Genesis, Mechanism, Refusal, Routing};
use crate::run::{cast_address, RunError};
use crate::scenario::{CastMember, Scenario, ScenarioError};

/// The centralized mechanism's parameters (none).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Centralized {}

impl Mechanism for Centralized {
    fn name(&self) -> &'static str {
        "centralized"
    }

    fn baseline_scenario(&self) -> &'static str {
        "baseline"
    }

    fn validate(&self, s: &Scenario, bad: &Refusal<'_>) -> Result<(), ScenarioError> {
        super::validate_sequencers(s, self.name(), bad)
    }

    fn deploy(&self, g: &mut Genesis<'_>) -> Result<Box<dyn Deployed>, RunError> {
        let sequencer = g
            .scenario
            .cast
            .iter()
            .find(|m| matches!(m, CastMember::Sequencer { .. }))
            .map(|m| cast_address(g.scenario, m))
            .expect("validated: there is a sequencer");
        let args = bindings::CentralizedRollup::constructorCall {
            bridge_: g.shared.bridge,
            genesisRoot: g.genesis_root,
            keys: g.keys.clone(),
            sequencer_: sequencer,
        };
        let rollup = deploy_contract(g, "CentralizedRollup", args.abi_encode())?;
        Ok(Box::new(CentralizedRollup { rollup }))
    }
}

/// The deployed baseline.
struct CentralizedRollup {
    rollup: Address,
}

impl Deployed for CentralizedRollup {
    fn rollup(&self) -> Address {
        self.rollup
    }

    fn routing(&self, s: &Scenario) -> Routing {
        to_the_sequencer(s, None)
    }
}
