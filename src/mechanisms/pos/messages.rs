//! What PoS validators say to each other (blocks and attestations) and what they read
//! from the StakeManager's logs: payloads the shared runtime carries without knowing them.

use alloy_primitives::{Address, Bytes, Log, B256};
use alloy_sol_types::{SolCall, SolEvent};
use zkarena_actors::msg::{short, MechanismPayload, Payload};
use zkarena_harness::l1::contracts::bindings::StakeManager;
use zkarena_harness::l2::Batch;

/// A message between validators.
#[derive(Clone, Debug)]
pub enum PosMsg {
    /// A PoS leader's block for its slot (leader to validators).
    Block {
        /// L2 slot.
        slot: u64,
        /// The canonical block it extends (zero: genesis).
        parent: B256,
        /// Its batch.
        batch: Batch,
    },
    /// A validator's signature over a PoS block (validator to the block's leader).
    Attestation {
        /// L2 slot.
        slot: u64,
        /// The block's hash.
        block_hash: B256,
        /// 65-byte signature over the StakeManager's attestation digest.
        signature: Bytes,
    },
}

/// The kinds of [`PosMsg`], as faults name them.
pub const MESSAGE_KINDS: &[&str] = &["pos_block", "attestation"];

impl Payload for PosMsg {
    fn kind(&self) -> &'static str {
        match self {
            PosMsg::Block { .. } => MESSAGE_KINDS[0],
            PosMsg::Attestation { .. } => MESSAGE_KINDS[1],
        }
    }

    fn summary(&self) -> String {
        match self {
            PosMsg::Block {
                slot,
                parent,
                batch,
            } => format!(
                "slot {slot} block on {}, {} txs",
                short(parent),
                batch.txs.len()
            ),
            PosMsg::Attestation {
                slot, block_hash, ..
            } => format!("slot {slot} attests {}", short(block_hash)),
        }
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// A StakeManager event.
#[derive(Clone, Debug)]
pub enum PosEvent {
    /// A PoS block became canonical (`Canonical`).
    Canonical {
        /// L2 slot.
        slot: u64,
        /// The block's hash.
        block_hash: B256,
        /// Its leader.
        leader: Address,
    },
    /// Attestations for a PoS block were recorded (`Attested`).
    Attested {
        /// L2 slot.
        slot: u64,
        /// The block's hash.
        block_hash: B256,
        /// Stake attested so far (token wei).
        stake: u128,
        /// The slot's stake, the 2/3 threshold's base (token wei).
        base: u128,
    },
    /// A leader was slashed for a slot without a canonical block (`Slashed`).
    Slashed {
        /// L2 slot.
        slot: u64,
        /// The slashed leader.
        validator: Address,
        /// Stake taken (token wei).
        amount: u128,
        /// Who reported it.
        reporter: Address,
        /// What the reporter was paid (token wei; the rest of `amount` is burnt).
        reward: u128,
    },
    /// A validator staked (`Staked`); it counts from the next block.
    Staked {
        /// The validator.
        validator: Address,
        /// Its stake (token wei).
        amount: u128,
    },
    /// A validator left the active set (`ExitRequested`): its stake no longer counts
    /// from this block on (it stays slashable until it withdraws).
    ExitRequested {
        /// The validator.
        validator: Address,
    },
}

impl Payload for PosEvent {
    fn kind(&self) -> &'static str {
        match self {
            PosEvent::Canonical { .. } => "canonical",
            PosEvent::Attested { .. } => "attested",
            PosEvent::Slashed { .. } => "slashed",
            PosEvent::Staked { .. } => "staked",
            PosEvent::ExitRequested { .. } => "exit_requested",
        }
    }

    fn summary(&self) -> String {
        format!("{self:?}")
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// Decodes a StakeManager log (the L1 node's [`zkarena_actors::l1node::LogDecoder`]).
pub fn decode_stake_manager(log: &Log) -> Option<MechanismPayload> {
    let event = if let Ok(e) = StakeManager::Canonical::decode_log(log) {
        PosEvent::Canonical {
            slot: e.slot,
            block_hash: e.blockHash,
            leader: e.leader,
        }
    } else if let Ok(e) = StakeManager::Attested::decode_log(log) {
        PosEvent::Attested {
            slot: e.slot,
            block_hash: e.blockHash,
            stake: e.stake.to::<u128>(),
            base: e.activeStake.to::<u128>(),
        }
    } else if let Ok(e) = StakeManager::Slashed::decode_log(log) {
        PosEvent::Slashed {
            slot: e.slot,
            validator: e.validator,
            amount: e.amount.to::<u128>(),
            reporter: e.reporter,
            reward: e.reward.to::<u128>(),
        }
    } else if let Ok(e) = StakeManager::Staked::decode_log(log) {
        PosEvent::Staked {
            validator: e.validator,
            amount: e.amount.to::<u128>(),
        }
    } else if let Ok(e) = StakeManager::ExitRequested::decode_log(log) {
        PosEvent::ExitRequested {
            validator: e.validator,
        }
    } else {
        return None;
    };
    Some(MechanismPayload::new(event))
}

/// The batch of an `attest` call (the L1 node's [`zkarena_actors::l1node::BatchReader`]):
/// the block whose attestations may make it canonical, and its batch sequenced.
pub fn attested_batch(data: &[u8]) -> Option<Bytes> {
    StakeManager::attestCall::abi_decode(data)
        .ok()
        .map(|c| c.batch)
}
