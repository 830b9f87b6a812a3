//! An aggregator: follows the sequenced batches on L1, executes each natively, has it
//! proven on the worker pool (its hardware profile sets the simulated proving time) and
//! submits the proof to verify the next range.

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256};
use alloy_sol_types::SolCall;
use serde::{Deserialize, Serialize};
use zkarena_harness::l1::contracts::bindings::IZkRollup;
use zkarena_harness::l2::state::{BatchOutcome, L2State};
use zkarena_harness::report::ActorReport;
use zkarena_harness::sim::SimTime;
use zkarena_harness::zk::{b256_to_digest, batch_rows, proof_binding, shape_for};

use crate::l1sender::L1Sender;
use crate::msg::{BlockFollower, L1Tag, Msg, Outbox, ProofFailure, ProveJob, RollupEvent};
use crate::node::Role;

/// A prover's hardware: a deterministic latency model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Hardware {
    /// Circuit rows proven per simulated second.
    pub rows_per_sec: u64,
    /// Fixed overhead per proof (ms).
    #[serde(default)]
    pub overhead_ms: u64,
}

impl Hardware {
    /// Simulated time to prove a batch of `txs` transactions.
    pub fn prove_ms(&self, txs: usize) -> u64 {
        let rows = batch_rows(shape_for(txs).unwrap_or(64)) as u64;
        self.overhead_ms
            .saturating_add(rows * 1000 / self.rows_per_sec.max(1))
    }
}

/// What an aggregator does with its proofs.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Posts the proof it made.
    #[default]
    Honest,
    /// Posts a proof claiming a different new root. Only a dev proof can be relabelled,
    /// so this succeeds only against a dev-mode verifier: the safety invariant's test.
    ForgeRoot,
}

/// Where an aggregator puts its proofs on L1.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ProofDa {
    /// In blobs: the transaction's gas does not depend on the proof's bytes (real
    /// proofs vary from run to run), so reports stay reproducible.
    #[default]
    Blobs,
    /// In calldata, visible to everyone watching the mempool (what a proof copier
    /// needs). With real proofs the gas varies with the proof's bytes: use it with dev
    /// proofs where a report must be reproducible.
    Calldata,
}

/// How an aggregator behaves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AggregatorParams {
    /// Hardware.
    pub hardware: Hardware,
    /// L1 priority fee (gwei per gas).
    #[serde(default = "default_tip")]
    pub l1_tip_gwei: u64,
    /// Strategy.
    #[serde(default)]
    pub strategy: Strategy,
    /// Where its proofs go on L1.
    #[serde(default)]
    pub proof_da: ProofDa,
}

fn default_tip() -> u64 {
    2
}

/// An aggregator.
pub struct Aggregator {
    name: String,
    l1: L1Sender,
    rollup: Address,
    depth: usize,
    params: AggregatorParams,
    state: L2State,
    accs: BTreeMap<u64, B256>,
    outcomes: BTreeMap<u64, BatchOutcome>,
    next_to_prove: u64,
    verified_to: u64,
    busy: bool,
    /// Simulated proving time of each batch it proved, until the L1 answers.
    proving_ms: BTreeMap<u64, u64>,
    follower: BlockFollower,
    report: ActorReport,
}

impl Aggregator {
    /// An aggregator sending from `address`, starting at the genesis `state` and L1
    /// block `first_block`.
    pub fn new(
        name: &str,
        address: Address,
        rollup: Address,
        params: AggregatorParams,
        state: L2State,
        first_block: u64,
    ) -> Self {
        let mut accs = BTreeMap::new();
        accs.insert(0, B256::ZERO);
        Self {
            name: name.into(),
            l1: L1Sender::pooled(address),
            rollup,
            depth: state.depth(),
            params,
            state,
            accs,
            outcomes: BTreeMap::new(),
            next_to_prove: 1,
            verified_to: 0,
            busy: false,
            proving_ms: BTreeMap::new(),
            follower: BlockFollower::new(first_block),
            report: ActorReport {
                name: name.into(),
                role: zkarena_harness::report::RoleKind::Aggregator,
                ..ActorReport::default()
            },
        }
    }

    fn try_prove(&mut self, out: &mut Outbox) {
        if self.busy {
            return;
        }
        let i = self.next_to_prove;
        let (Some(outcome), Some(acc)) = (self.outcomes.get(&i), self.accs.get(&(i - 1))) else {
            return;
        };
        let Some(batch_in) = b256_to_digest(acc) else {
            return;
        };
        out.out.push(crate::msg::Out::Prove(Box::new(ProveJob {
            depth: self.depth,
            outcome: outcome.clone(),
            batch_in,
            withdrawals_in: Default::default(),
            binding: proof_binding(&self.rollup, &self.l1.address()),
            sim_ms: self.params.hardware.prove_ms(outcome.receipts.len()),
            label: i,
        })));
        self.proving_ms
            .insert(i, self.params.hardware.prove_ms(outcome.receipts.len()));
        self.busy = true;
    }
}

impl Role for Aggregator {
    fn name(&self) -> &str {
        &self.name
    }

    fn role(&self) -> zkarena_harness::report::RoleKind {
        zkarena_harness::report::RoleKind::Aggregator
    }

    fn subscribes(&self) -> bool {
        true
    }

    fn handle(&mut self, _now: SimTime, _from: &str, msg: Msg, out: &mut Outbox) {
        match msg {
            Msg::NewBlock { number, events, .. } => {
                if !self.follower.accept(number, out) {
                    return;
                }
                for e in events.iter().cloned() {
                    match e {
                        RollupEvent::BatchSequenced {
                            index, acc, batch, ..
                        } => match self.state.apply(&batch) {
                            Ok(o) => {
                                self.outcomes.insert(index, o);
                                self.accs.insert(index, acc);
                            }
                            Err(e) => {
                                tracing::warn!(aggregator = %self.name, %e, "batch does not apply")
                            }
                        },
                        RollupEvent::RangeVerified { to, .. } => {
                            self.verified_to = self.verified_to.max(to);
                            self.outcomes.retain(|&i, _| i > to);
                            if self.next_to_prove <= to {
                                self.next_to_prove = to + 1;
                            }
                        }
                        _ => {}
                    }
                }
                self.try_prove(out);
            }
            Msg::ProofReady { label, result } => {
                self.busy = false;
                let result = match (result, self.params.strategy) {
                    (Ok(p), Strategy::ForgeRoot) => {
                        let mut public = p.public;
                        public.new_root.0[31] ^= 1;
                        p.relabelled(public)
                            .ok_or(ProofFailure::RealProofRelabelled)
                    }
                    (r, _) => r,
                };
                match result {
                    Ok(proof) => {
                        let withdrawals = self
                            .outcomes
                            .get(&label)
                            .map(|o| o.withdrawals.clone())
                            .unwrap_or_default();
                        let withdrawals: Vec<_> = withdrawals
                            .iter()
                            .map(|w| IZkRollup::Withdrawal {
                                owner: w.owner,
                                asset: w.asset.code() as u8,
                                amount: w.amount,
                            })
                            .collect();
                        let tip = self.params.l1_tip_gwei as u128 * 1_000_000_000;
                        let request = match self.params.proof_da {
                            ProofDa::Blobs => {
                                let call = IZkRollup::verifyBatchesFromBlobsCall {
                                    from: label,
                                    to: label,
                                    key: proof.verifier_key,
                                    withdrawals,
                                };
                                // Room for the verifier (about 1.1 M) and a payout for
                                // each of up to 64 withdrawals.
                                let mut request = self
                                    .l1
                                    .call(self.rollup, call.abi_encode())
                                    .gas_limit(6_000_000)
                                    .fees(200_000_000_000, tip);
                                for blob in proof.blobs() {
                                    request = request.blob(blob, 1_000_000_000_000);
                                }
                                request
                            }
                            ProofDa::Calldata => {
                                let call = IZkRollup::verifyBatchesCall {
                                    from: label,
                                    to: label,
                                    key: proof.verifier_key,
                                    proof: proof.bytes.clone(),
                                    withdrawals,
                                };
                                self.l1
                                    .call(self.rollup, call.abi_encode())
                                    .gas_limit(10_000_000)
                                    .fees(200_000_000_000, tip)
                            }
                        };
                        let tag = L1Tag::new("verify", label, format!("verify {label}"));
                        self.l1.send(request, tag, &mut self.report, out);
                        self.report.proofs_submitted += 1;
                        self.next_to_prove = label + 1;
                    }
                    Err(e) => tracing::warn!(aggregator = %self.name, label, %e, "proving failed"),
                }
                self.try_prove(out);
            }
            Msg::L1Receipt(receipt) => {
                let failed = self.l1.settle(&receipt, &mut self.report).failed();
                // The batch it verifies (every transaction it sends is a verification).
                let batch = receipt.tag.is("verify").then_some(receipt.tag.id);
                // A verification that failed while its range is still open: prove it
                // again.
                if let Some(n) = batch.filter(|_| failed) {
                    if n > self.verified_to && n < self.next_to_prove {
                        self.next_to_prove = n;
                    }
                }
                let spent = batch.and_then(|n| self.proving_ms.remove(&n)).unwrap_or(0);
                if !failed {
                    self.report.proofs_accepted += 1;
                } else {
                    // Proving work the L1 did not take: a lost race, or a bad proof.
                    self.report.proving_wasted_ms += spent;
                }
            }
            Msg::Restarted => {
                // A crash loses the proof in progress and the blocks missed meanwhile.
                self.busy = false;
                self.follower.resync(0, out);
                self.try_prove(out);
            }
            _ => {}
        }
    }

    fn report(&self) -> ActorReport {
        self.report.clone()
    }
}
