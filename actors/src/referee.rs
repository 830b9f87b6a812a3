//! The referee: an observer that replays every sequenced batch natively from genesis
//! and checks the invariants after every L1 block: no state root is finalized unless
//! the native replay reaches it, and the bridge's escrow equals the L2 supply the
//! verified state holds plus the deposits it has not consumed. It also records the
//! fate of every L2 transaction for the report. It sends nothing but violations.

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256};
use zkarena_harness::l2::state::{L2State, TxOutcome};
use zkarena_harness::l2::{Action, Asset, L2Tx, UserTx};
use zkarena_harness::report::{ActorReport, InvariantReport};
use zkarena_harness::sim::SimTime;
use zkarena_harness::zk::digest_to_b256;

use crate::msg::{Msg, Out, Outbox, RollupEvent};
use crate::node::Role;

/// The referee's name.
pub const REFEREE: &str = "referee";

/// Where an L2 transaction ended up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inclusion {
    /// Batch index.
    pub batch: u64,
    /// Applied (else skipped with `reason`).
    pub applied: bool,
    /// Skip reason.
    pub reason: Option<String>,
    /// When the batch landed (ms).
    pub at_ms: u64,
    /// Sender account (or the deposit's account).
    pub kind: &'static str,
}

/// An applied swap: what went in, what came out, and whether it came through L1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SwapSeen {
    /// Asset sold.
    pub asset_in: Asset,
    /// Amount sold.
    pub amount_in: u64,
    /// Amount bought.
    pub out: u64,
    /// Sequenced in a forced batch (the user's L1 path).
    pub forced: bool,
}

/// What the referee saw of one batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchSeen {
    /// L1 sender.
    pub sender: Address,
    /// L1 block.
    pub block: u64,
    /// Transactions, applied.
    pub txs: [u64; 2],
    /// Bytes of its data as posted.
    pub bytes: u64,
    /// Root after it (native replay).
    pub root: B256,
    /// The verifying prover and block.
    pub verified: Option<(Address, u64)>,
}

/// The referee.
pub struct Referee {
    state: L2State,
    genesis_supply: [u128; 2],
    genesis_root: B256,
    /// Per batch: what it was.
    pub batches: BTreeMap<u64, BatchSeen>,
    /// Per batch: state supply after it, and deposits consumed.
    supply_after: BTreeMap<u64, ([u128; 2], u64)>,
    /// Deposits seen: index -> (asset, amount).
    deposits: BTreeMap<u64, (Asset, u64)>,
    /// Fees burnt per asset (a fee account outside the tree), by batch. (A deposit
    /// the L2 could not place is refunded on L1 with the batch's withdrawals.)
    burnt_fees: BTreeMap<u64, [u128; 2]>,
    /// Fates of transactions that reached a batch.
    pub inclusions: BTreeMap<B256, Inclusion>,
    /// Last verified batch.
    pub verified_to: u64,
    /// Times (ms) ranges were verified.
    pub finalizations: Vec<u64>,
    /// Ranges finalized on L1 with a root the native replay does not reach.
    pub invalid_roots: u64,
    /// Invariant checks and first violations.
    pub invariants: Vec<InvariantReport>,
    /// Number of L1 blocks seen.
    pub blocks: u64,
    /// Pool reserves (ETH, token) at genesis and after each batch, with the time it
    /// landed (ms).
    pub reserves: Vec<(u64, [u64; 2])>,
    /// Applied swaps by transaction hash.
    pub swaps: BTreeMap<B256, SwapSeen>,
    follower: crate::msg::BlockFollower,
}

const SAFETY: usize = 0;
const ESCROW: usize = 1;

impl Referee {
    /// A referee starting at the genesis `state` and L1 block `first_block`.
    pub fn new(state: L2State, first_block: u64) -> Self {
        let genesis_supply = state.supply();
        let genesis_root = digest_to_b256(&state.root());
        let genesis_reserves = state.reserves();
        Self {
            state,
            genesis_supply,
            genesis_root,
            batches: BTreeMap::new(),
            supply_after: BTreeMap::new(),
            deposits: BTreeMap::new(),
            burnt_fees: BTreeMap::new(),
            reserves: vec![(0, genesis_reserves)],
            swaps: BTreeMap::new(),
            inclusions: BTreeMap::new(),
            verified_to: 0,
            finalizations: Vec::new(),
            invalid_roots: 0,
            invariants: vec![
                InvariantReport {
                    name: "safety: finalized roots replay".into(),
                    checks: 0,
                    violation: None,
                },
                InvariantReport {
                    name: "escrow = verified L2 supply + unconsumed deposits".into(),
                    checks: 0,
                    violation: None,
                },
            ],
            blocks: 0,
            follower: crate::msg::BlockFollower::new(first_block),
        }
    }

    /// The L2 state after every sequenced batch.
    pub fn state(&self) -> &L2State {
        &self.state
    }

    /// The verified state root (hex), or the genesis one.
    pub fn verified_root(&self) -> B256 {
        self.batches
            .get(&self.verified_to)
            .map(|b| b.root)
            .unwrap_or(self.genesis_root)
    }

    fn violate(&mut self, which: usize, detail: String, out: &mut Outbox) {
        if self.invariants[which].violation.is_none() {
            self.invariants[which].violation = Some(detail.clone());
            out.out.push(Out::Violation {
                invariant: self.invariants[which].name.clone(),
                detail,
            });
        }
    }

    fn check_escrow(&mut self, escrow_wei: [u128; 2], out: &mut Outbox) {
        let (supply, consumed) = self
            .supply_after
            .get(&self.verified_to)
            .copied()
            .unwrap_or((self.genesis_supply, 0));
        // Only the verified state is backed: withdrawals leave escrow on verification.
        for (i, asset) in [Asset::Eth, Asset::Token].into_iter().enumerate() {
            let unconsumed: u128 = self
                .deposits
                .range(consumed..)
                .filter(|(_, (a, _))| *a == asset)
                .map(|(_, (_, x))| *x as u128)
                .sum();
            let burnt: u128 = self
                .burnt_fees
                .range(..=self.verified_to)
                .map(|(_, s)| s[i])
                .sum();
            // The bridge escrowed the genesis supply before the rollup started.
            let expected = supply[i] + unconsumed + burnt;
            let escrow = escrow_wei[i] / 1_000_000_000;
            self.invariants[ESCROW].checks += 1;
            if escrow != expected {
                self.violate(
                    ESCROW,
                    format!(
                        "{asset:?}: escrow {escrow} L2 units, expected {expected} (verified L2 supply {} + unconsumed deposits {unconsumed} + burnt fees {burnt})",
                        supply[i]
                    ),
                    out,
                );
            }
        }
    }
}

impl Role for Referee {
    fn name(&self) -> &str {
        REFEREE
    }

    fn role(&self) -> zkarena_harness::report::RoleKind {
        zkarena_harness::report::RoleKind::Referee
    }

    fn subscribes(&self) -> bool {
        true
    }

    fn handle(&mut self, now: SimTime, _from: &str, msg: Msg, out: &mut Outbox) {
        let Msg::NewBlock {
            number,
            events,
            escrow_wei,
            ..
        } = msg
        else {
            return;
        };
        if !self.follower.accept(number, out) {
            return;
        }
        self.blocks += 1;
        for e in events.iter().cloned() {
            match e {
                RollupEvent::Deposit {
                    index,
                    asset,
                    amount,
                    ..
                } => {
                    self.deposits.insert(index, (asset, amount));
                }
                RollupEvent::BatchSequenced {
                    index,
                    sender,
                    batch,
                    bytes,
                    ..
                } => {
                    let outcome = match self.state.apply(&batch) {
                        Ok(o) => o,
                        Err(e) => {
                            self.violate(
                                SAFETY,
                                format!("sequenced batch {index} cannot be executed: {e}"),
                                out,
                            );
                            continue;
                        }
                    };
                    let mut applied = 0;
                    for (tx, r) in batch.txs.iter().zip(&outcome.receipts) {
                        let (ok, reason) = match &r.outcome {
                            TxOutcome::Applied { .. } => (true, None),
                            TxOutcome::Skipped(s) => (false, Some(s.to_string())),
                        };
                        applied += ok as u64;
                        if let (
                            TxOutcome::Applied { swap_out },
                            L2Tx::User(UserTx {
                                action:
                                    Action::Swap {
                                        asset_in,
                                        amount_in,
                                        ..
                                    },
                                ..
                            }),
                        ) = (&r.outcome, tx)
                        {
                            self.swaps.insert(
                                r.hash,
                                SwapSeen {
                                    asset_in: *asset_in,
                                    amount_in: *amount_in,
                                    out: *swap_out,
                                    forced: batch.sequencer == 0,
                                },
                            );
                        }
                        // A transaction can sit in several batches (a copy by a
                        // frontrunner, a resend): the batch that applied it counts,
                        // else the first that carried it.
                        let seen = Inclusion {
                            batch: index,
                            applied: ok,
                            reason,
                            at_ms: now.as_millis(),
                            kind: crate::msg::tx_kind(tx),
                        };
                        match self.inclusions.get(&r.hash) {
                            Some(prev) if prev.applied || !ok => {}
                            _ => {
                                self.inclusions.insert(r.hash, seen);
                            }
                        }
                    }
                    if !outcome.fees_credited {
                        self.burnt_fees
                            .insert(index, [outcome.fees.total() as u128, 0]);
                    }
                    self.reserves.push((now.as_millis(), self.state.reserves()));
                    self.supply_after
                        .insert(index, (self.state.supply(), self.state.deposits_consumed()));
                    self.batches.insert(
                        index,
                        BatchSeen {
                            sender,
                            block: number,
                            txs: [batch.txs.len() as u64, applied],
                            bytes,
                            root: digest_to_b256(&outcome.new_root),
                            verified: None,
                        },
                    );
                }
                RollupEvent::ForceBatch { .. } | RollupEvent::Mechanism(_) => {}
                RollupEvent::RangeVerified {
                    from,
                    to,
                    new_root,
                    prover,
                } => {
                    self.invariants[SAFETY].checks += 1;
                    let replayed = self.batches.get(&to).map(|b| b.root);
                    if replayed != Some(new_root) {
                        self.invalid_roots += 1;
                        self.violate(
                            SAFETY,
                            format!("range {from}..={to} finalized root {new_root}, the replay reaches {replayed:?}"),
                            out,
                        );
                    }
                    for i in from..=to {
                        if let Some(b) = self.batches.get_mut(&i) {
                            b.verified = Some((prover, number));
                        }
                    }
                    self.verified_to = to;
                    self.finalizations.push(now.as_millis());
                }
            }
        }
        self.check_escrow(escrow_wei, out);
    }

    fn report(&self) -> ActorReport {
        ActorReport {
            name: REFEREE.into(),
            role: zkarena_harness::report::RoleKind::Referee,
            ..ActorReport::default()
        }
    }
}
