//! Proof of Efficiency (`ProofOfEfficiency.sol`, after Polygon zkEVM's first design):
//! anyone sequences by paying the batch fee in the network token; the first valid
//! proof of a range takes its batch fees; users may force transactions through L1.
//! Rules, parameters and figures: docs/mechanisms/poe.md.

use alloy_primitives::{Address, U256};
use alloy_sol_types::{SolCall, SolConstructor};
use serde::{Deserialize, Serialize};
use zkarena_harness::l1::contracts::bindings;
use zkarena_harness::l1::tx::TxRequest;

use super::{deploy_contract, to_the_sequencer, Deployed, Genesis, Mechanism, Refusal, Routing};
use crate::run::{cast_address, RunError};
use crate::scenario::{Scenario, ScenarioError};

/// Proof of Efficiency's parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProofOfEfficiency {
    /// Initial batch fee, in 1e-9 network token (like gwei).
    #[serde(default = "default_batch_fee")]
    pub batch_fee_gwei: u64,
    /// Verification time target of the fee adaptation (s).
    #[serde(default = "default_verify_target")]
    pub verify_time_target_s: u64,
    /// Forced-batch timeout (s): after it a forced batch goes before any other, and
    /// anyone may sequence it.
    #[serde(default = "default_force_timeout")]
    pub force_timeout_s: u64,
    /// Bind each proof to its submitter (and the rollup): a proof copied from the L1
    /// mempool is refused. Turn it off only to show the proof-copying attack.
    #[serde(default = "default_true")]
    pub bind_proofs: bool,
}

impl Default for ProofOfEfficiency {
    fn default() -> Self {
        Self {
            batch_fee_gwei: default_batch_fee(),
            verify_time_target_s: default_verify_target(),
            force_timeout_s: default_force_timeout(),
            bind_proofs: true,
        }
    }
}

/// 1e-3 network token: the default batch fee (and PoS forcing fee), in 1e-9 token.
pub(crate) fn default_batch_fee() -> u64 {
    1_000_000
}
fn default_verify_target() -> u64 {
    60
}
/// Default forced-batch timeout (s).
pub(crate) fn default_force_timeout() -> u64 {
    48
}
fn default_true() -> bool {
    true
}

impl Mechanism for ProofOfEfficiency {
    fn name(&self) -> &'static str {
        "proof_of_efficiency"
    }

    fn baseline_scenario(&self) -> &'static str {
        "poe-baseline"
    }

    fn validate(&self, s: &Scenario, bad: &Refusal<'_>) -> Result<(), ScenarioError> {
        super::validate_sequencers(s, self.name(), bad)
    }

    fn deploy(&self, g: &mut Genesis<'_>) -> Result<Box<dyn Deployed>, RunError> {
        let args = bindings::ProofOfEfficiency::constructorCall {
            bridge_: g.shared.bridge,
            genesisRoot: g.genesis_root,
            keys: g.keys.clone(),
            initialBatchFee: U256::from(self.batch_fee_gwei) * U256::from(1_000_000_000u64),
            verifyTimeTarget_: U256::from(self.verify_time_target_s),
            forceTimeout_: U256::from(self.force_timeout_s),
            bindProofs_: self.bind_proofs,
        };
        let rollup = deploy_contract(g, "ProofOfEfficiency", args.abi_encode())?;
        Ok(Box::new(PoeRollup {
            rollup,
            force_timeout_s: self.force_timeout_s,
        }))
    }
}

/// The deployed Proof of Efficiency rollup.
struct PoeRollup {
    rollup: Address,
    force_timeout_s: u64,
}

impl Deployed for PoeRollup {
    fn rollup(&self) -> Address {
        self.rollup
    }

    /// Each sequencer (and frontrunner) claims its sequencer id, which binds the id to
    /// its address (nobody posts under another's id).
    fn after_cast_funded(&self, g: &mut Genesis<'_>) -> Result<(), RunError> {
        for m in &g.scenario.cast {
            if let Some(id @ 1..) = m.sequencer_id() {
                g.chain.transact(TxRequest::call(
                    cast_address(g.scenario, m),
                    self.rollup,
                    bindings::ProofOfEfficiency::claimSequencerIdCall { id }.abi_encode(),
                ))?;
            }
        }
        Ok(())
    }

    fn routing(&self, s: &Scenario) -> Routing {
        to_the_sequencer(s, Some(self.force_timeout_s))
    }
}
