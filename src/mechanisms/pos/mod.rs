//! PoS leader election (`StakeManager.sol` + `PosRollup.sol`, the seed's "Why Proof of
//! Stake might not work"): validators stake the network token; each L2 slot's leader
//! is drawn by stake from an L1 block hash; a block is canonical at 2/3 of the stake
//! and its batch is sequenced; a slot left without a canonical block gets its leader
//! slashed. Rules, parameters, attacks and figures: docs/mechanisms/pos.md.

pub mod messages;
pub mod params;
pub mod report;
pub mod sweep;
pub mod validator;

use alloy_primitives::{Address, U256};
use alloy_sol_types::{SolCall, SolConstructor};
use zkarena_actors::l1node::L1Node;
use zkarena_actors::node::Role;
use zkarena_actors::runtime::Testnet;
use zkarena_harness::l1::contracts::bindings;
use zkarena_harness::l1::tx::TxRequest;
use zkarena_harness::l2::tx::deterministic_key;
use zkarena_harness::report::Report;

pub use params::ProofOfStake;

use self::validator::{PosSetup, Staker, Validator};
use super::{deploy_contract, CastContext, Deployed, Genesis, Mechanism, Routing, Section};
use crate::run::{cast_address, RunError, ETH};
use crate::scenario::{CastMember, Scenario};

/// The deployed StakeManager and PosRollup.
struct PosDeployment {
    params: ProofOfStake,
    manager: Address,
    rollup: Address,
    /// Known once genesis is over.
    setup: Option<PosSetup>,
}

impl ProofOfStake {
    /// Deploys the StakeManager, then the rollup that names it.
    fn deploy_contracts(&self, g: &mut Genesis<'_>) -> Result<Box<dyn Deployed>, RunError> {
        let args = bindings::StakeManager::constructorCall {
            token_: g.shared.token,
            blocksPerSlot_: self.blocks_per_slot,
            timeoutSlots_: self.timeout_slots,
            slashBps_: self.slash_bps,
            exitDelayBlocks_: self.exit_delay_blocks,
            burnSlash_: self.burn_slash,
            minStake_: U256::from(self.min_stake) * U256::from(ETH),
            maxValidators_: U256::from(self.max_validators),
            reporterBps_: self.reporter_bps,
        };
        let manager = deploy_contract(g, "StakeManager", args.abi_encode())?;
        let args = bindings::PosRollup::constructorCall {
            bridge_: g.shared.bridge,
            genesisRoot: g.genesis_root,
            keys: g.keys.clone(),
            stakeManager_: manager,
            forceFee_: U256::from(self.force_fee_gwei) * U256::from(1_000_000_000u64),
            forceTimeout_: U256::from(self.force_timeout_s),
        };
        let rollup = deploy_contract(g, "PosRollup", args.abi_encode())?;
        Ok(Box::new(PosDeployment {
            params: self.clone(),
            manager,
            rollup,
            setup: None,
        }))
    }
}

impl Deployed for PosDeployment {
    fn rollup(&self) -> Address {
        self.rollup
    }

    /// A validator approves the StakeManager and stakes its genesis stake.
    fn fund_member(
        &self,
        g: &mut Genesis<'_>,
        m: &CastMember,
        address: Address,
    ) -> Result<(), RunError> {
        let stake = self.params.genesis_stake(m);
        if stake.is_zero() {
            return Ok(());
        }
        g.chain.transact(TxRequest::call(
            address,
            g.shared.token,
            bindings::NetworkToken::approveCall {
                spender: self.manager,
                amount: stake,
            }
            .abi_encode(),
        ))?;
        g.chain.transact(TxRequest::call(
            address,
            self.manager,
            bindings::StakeManager::stakeCall { amount: stake }.abi_encode(),
        ))?;
        Ok(())
    }

    /// Slot 0 starts at the run's first block, the genesis stake counting.
    fn after_users_funded(&self, g: &mut Genesis<'_>) -> Result<(), RunError> {
        let genesis = g.chain.head().number + 2;
        g.chain.transact(TxRequest::call(
            g.shared.deployer,
            self.manager,
            bindings::StakeManager::beginCall {
                rollup_: self.rollup,
                genesisBlock_: genesis,
            }
            .abi_encode(),
        ))?;
        Ok(())
    }

    fn start(&mut self, s: &Scenario, first_block: u64) {
        let p = &self.params;
        let stakers = s
            .cast
            .iter()
            .filter_map(|m| match m {
                CastMember::Validator {
                    name,
                    stake,
                    params,
                } => Some(Staker {
                    name: name.clone(),
                    address: cast_address(s, m),
                    stake: *stake as u128 * ETH,
                    cartel: params.strategy.is_cartel(),
                }),
                _ => None,
            })
            .collect();
        self.setup = Some(PosSetup {
            manager: self.manager,
            rollup: self.rollup,
            genesis_block: first_block,
            blocks_per_slot: p.blocks_per_slot,
            timeout_slots: p.timeout_slots,
            collect_ms: p.collect_ms,
            gossip_ms: p.gossip_ms,
            force_timeout_ms: p.force_timeout_s.saturating_mul(1000),
            l1_slot_ms: s.slot_seconds * 1000,
            stakers,
        });
    }

    /// The StakeManager's events, and the batches of its `attest` calls (a canonical
    /// block's batch is sequenced from there).
    fn watch(&self, l1: L1Node) -> L1Node {
        l1.watch(self.manager, messages::decode_stake_manager)
            .reads_batches(messages::attested_batch)
    }

    fn cast(&self, m: &CastMember, c: &CastContext<'_>) -> Option<Box<dyn Role>> {
        let (p, setup) = (m.validator()?, self.setup.as_ref()?);
        let me = setup
            .stakers
            .iter()
            .position(|v| v.name == m.name())
            .expect("every validator stakes");
        Some(Box::new(Validator::new(
            me,
            deterministic_key(c.scenario.seed, m.name()),
            c.fee_account.expect("a validator builds batches"),
            p,
            setup.clone(),
            c.l2.clone(),
            c.first_block,
        )))
    }

    /// Users send to every validator (whoever leads the slot includes them).
    fn routing(&self, _s: &Scenario) -> Routing {
        let stakers = self.setup.as_ref().map(|s| &s.stakers[..]).unwrap_or(&[]);
        Routing {
            to: stakers.iter().map(|v| v.name.clone()).collect(),
            force_timeout_s: Some(self.params.force_timeout_s),
        }
    }

    fn section(&mut self, net: &mut Testnet, s: &Scenario, report: &Report) -> Option<Section> {
        let setup = self.setup.clone()?;
        let pos = report::read(net, &setup, s, report)?;
        Some(Section {
            name: report::SECTION,
            summary: pos.summary(),
            data: serde_json::to_value(&pos).expect("a PoS report serializes"),
        })
    }
}
