//! The inter-sequencer frontrunner (the seed's "MEV inequality" section): it watches
//! the L1 mempool, and when another sequencer's batch shows up it decodes the L2
//! transactions, builds its own batch out of them, optionally sandwiching the first
//! swap between two of its own, and posts it with a higher L1 tip so that it lands
//! first. The victim's batch then carries already-spent transactions.

use std::collections::BTreeSet;

use alloy_primitives::{keccak256, Address, B256};
use alloy_sol_types::SolCall;
use serde::{Deserialize, Serialize};
use zkarena_harness::l1::contracts::bindings::IOpenSequencing;
use zkarena_harness::l2::state::L2State;
use zkarena_harness::l2::tx::SigningKey;
use zkarena_harness::l2::{Action, Batch, Fee, Format, L2Tx, UserTx};
use zkarena_harness::report::ActorReport;
use zkarena_harness::sim::SimTime;

use crate::msg::{BlockFollower, L1Tag, Msg, Outbox, RollupEvent};
use crate::node::Role;

use crate::l1sender::L1Sender;

/// How a frontrunner behaves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FrontrunnerParams {
    /// Its sequencer id.
    pub id: u64,
    /// Size of its front-running swap (L2 units of the victim's input asset); 0: no
    /// sandwich, only copy the transactions.
    #[serde(default)]
    pub sandwich_amount: u64,
    /// Its L1 tip as a multiple of the victim's.
    #[serde(default = "default_factor")]
    pub tip_factor: u64,
    /// Post under the victim's sequencer id (the header and its own transactions'
    /// chain ids) instead of its own, to get past the chain-id mitigation. A rollup
    /// that binds ids to their owners refuses these batches.
    #[serde(default)]
    pub impersonate: bool,
}

fn default_factor() -> u64 {
    2
}

/// The frontrunner.
pub struct Frontrunner {
    name: String,
    l1: L1Sender,
    rollup: Address,
    fee_account: u64,
    key: SigningKey,
    account: u64,
    params: FrontrunnerParams,
    state: L2State,
    follower: BlockFollower,
    attacked: BTreeSet<B256>,
    /// Nonces it has signed a transaction at: a one-time key signs one message only,
    /// so a nonce whose transaction was never applied (its batch refused, or skipped)
    /// is never signed again with another message.
    signed: BTreeSet<u64>,
    report: ActorReport,
}

impl Frontrunner {
    /// A frontrunner posting from `address`, collecting fees in `fee_account` and
    /// trading from `account` (owned by `key`).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        name: &str,
        address: Address,
        rollup: Address,
        fee_account: u64,
        key: SigningKey,
        account: u64,
        params: FrontrunnerParams,
        state: L2State,
        first_block: u64,
        l1_nonce: u64,
    ) -> Self {
        Self {
            name: name.into(),
            l1: L1Sender::optimistic(address, l1_nonce),
            rollup,
            fee_account,
            key,
            account,
            params,
            state,
            follower: BlockFollower::new(first_block),
            attacked: BTreeSet::new(),
            signed: BTreeSet::new(),
            report: ActorReport {
                name: name.into(),
                role: zkarena_harness::report::RoleKind::Frontrunner,
                ..ActorReport::default()
            },
        }
    }

    /// Its L2 accounts: (trading account, fee account).
    pub fn accounts(&self) -> (u64, u64) {
        (self.account, self.fee_account)
    }

    /// Its own batch around the victim's transactions.
    fn attack_batch(&mut self, victim: &Batch) -> Batch {
        let id = if self.params.impersonate {
            victim.sequencer
        } else {
            self.params.id
        };
        let mut txs: Vec<L2Tx> = Vec::new();
        let nonce = self.state.account(self.account).map_or(0, |a| a.nonce);
        let fee = Fee { base: 0, tip: 0 };
        let victim_swap = victim.txs.iter().position(|tx| {
            matches!(
                tx,
                L2Tx::User(UserTx {
                    action: Action::Swap { .. },
                    ..
                })
            )
        });
        let (key, account) = (self.key.clone(), self.account);
        let sign = |nonce, action| L2Tx::User(UserTx::sign(&key, account, nonce, fee, id, action));
        // Its keys for this nonce and the next are fresh only if it never signed there.
        let keys_fresh = !self.signed.contains(&nonce) && !self.signed.contains(&(nonce + 1));
        match (victim_swap, self.params.sandwich_amount) {
            (Some(i), amount) if amount > 0 && keys_fresh => {
                self.signed.extend([nonce, nonce + 1]);
                let L2Tx::User(UserTx {
                    action: Action::Swap { asset_in, .. },
                    ..
                }) = victim.txs[i]
                else {
                    unreachable!("position found a swap")
                };
                // Buy ahead of the victim, in the same direction...
                let front = sign(
                    nonce,
                    Action::Swap {
                        asset_in,
                        amount_in: amount,
                        min_out: 0,
                    },
                );
                let mut scratch = self.state.clone();
                let probe = Batch {
                    sequencer: id,
                    l1_block: victim.l1_block,
                    fee_account: self.fee_account,
                    txs: [&victim.txs[..i], &[front]].concat(),
                };
                let bought = scratch
                    .apply(&probe)
                    .ok()
                    .and_then(|o| match o.receipts.last().map(|r| &r.outcome) {
                        Some(zkarena_harness::l2::TxOutcome::Applied { swap_out }) => {
                            Some(*swap_out)
                        }
                        _ => None,
                    })
                    .unwrap_or(0);
                txs.extend_from_slice(&victim.txs[..i]);
                txs.push(front);
                txs.push(victim.txs[i]);
                // ...and sell right after at the price the victim pushed up.
                if bought > 0 {
                    txs.push(sign(
                        nonce + 1,
                        Action::Swap {
                            asset_in: asset_in.other(),
                            amount_in: bought,
                            min_out: 0,
                        },
                    ));
                }
                txs.extend_from_slice(&victim.txs[i + 1..]);
            }
            _ => txs.extend_from_slice(&victim.txs),
        }
        txs.truncate(64);
        Batch {
            sequencer: id,
            l1_block: victim.l1_block,
            fee_account: self.fee_account,
            txs,
        }
    }
}

impl Role for Frontrunner {
    fn name(&self) -> &str {
        &self.name
    }

    fn role(&self) -> zkarena_harness::report::RoleKind {
        zkarena_harness::report::RoleKind::Frontrunner
    }

    fn subscribes(&self) -> bool {
        true
    }

    fn watches_mempool(&self) -> bool {
        true
    }

    fn handle(&mut self, _now: SimTime, _from: &str, msg: Msg, out: &mut Outbox) {
        match msg {
            Msg::PendingL1 {
                from,
                to,
                data,
                tip,
            } => {
                if from == self.l1.address() || to != Some(self.rollup) {
                    return;
                }
                let Ok(call) = IOpenSequencing::sequenceBatchCall::abi_decode(&data) else {
                    return;
                };
                let Ok(victim) = Batch::decode(&call.batch) else {
                    return;
                };
                if !self.attacked.insert(keccak256(&data)) {
                    return;
                }
                let bytes = self.attack_batch(&victim).encode(Format::Compact);
                let gas_bytes = bytes.len();
                let call = IOpenSequencing::sequenceBatchCall {
                    batch: bytes.into(),
                };
                let request = self
                    .l1
                    .call(self.rollup, call.abi_encode())
                    .gas_limit(crate::sequencer::batch_gas_limit(gas_bytes))
                    .fees(400_000_000_000, tip * self.params.tip_factor as u128 + 1);
                let tag = L1Tag::new("frontrun", 0, "frontrun");
                self.l1.send(request, tag, &mut self.report, out);
            }
            Msg::L1Receipt(receipt) => {
                self.l1.settle(&receipt, &mut self.report);
            }
            Msg::NewBlock { number, events, .. } => {
                if !self.follower.accept(number, out) {
                    return;
                }
                for e in events.iter().cloned() {
                    if let RollupEvent::BatchSequenced { sender, batch, .. } = e {
                        if let Ok(o) = self.state.apply(&batch) {
                            if sender == self.l1.address() {
                                self.report.batches_sequenced += 1;
                                self.report.l2_fees_earned += o.fees.total();
                            }
                        }
                    }
                }
            }
            Msg::Restarted => self.follower.resync(0, out),
            _ => {}
        }
    }

    fn report(&self) -> ActorReport {
        self.report.clone()
    }
}
