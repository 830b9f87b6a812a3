//! A sequencer: collects users' L2 transactions, orders them by its policy (tip, then
//! arrival), puts the bridge's pending deposits first, and posts a batch to the rollup
//! contract when it has something to post and no batch in flight. It follows the
//! sequenced (virtual) state from L1 blocks.

use std::collections::VecDeque;

use alloy_primitives::Address;
use alloy_sol_types::SolCall;
use serde::{Deserialize, Serialize};
use zkarena_harness::l1::contracts::bindings::{IForcedInclusion, IOpenSequencing};
use zkarena_harness::l1::tx::{TxRequest, BLOB_DATA_BYTES};
use zkarena_harness::l2::state::L2State;
use zkarena_harness::l2::{Batch, Format, L2Tx};
use zkarena_harness::report::ActorReport;
use zkarena_harness::sim::SimTime;

use crate::builder::{Builder, Header};
use crate::l1sender::L1Sender;
use crate::msg::{BlockFollower, L1Tag, Msg, Outbox, RollupEvent};
use crate::node::{PoolChanges, Role};

/// How a sequencer behaves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SequencerParams {
    /// Its id (what users' chain ids name).
    pub id: u64,
    /// Most transactions per batch (at most 64).
    #[serde(default = "default_max_txs")]
    pub max_txs: usize,
    /// L1 priority fee (gwei per gas).
    #[serde(default = "default_tip")]
    pub l1_tip_gwei: u64,
    /// Batch encoding.
    #[serde(default = "default_format")]
    pub format: Format,
    /// L2 accounts whose transactions it never includes (censorship; a scenario
    /// names the users, see `CastMember::Sequencer`).
    #[serde(skip)]
    pub censor: Vec<u64>,
    /// Where it posts batch data.
    #[serde(default)]
    pub da: Da,
    /// How it orders transactions.
    #[serde(default)]
    pub policy: Policy,
}

pub use crate::builder::{l2_gas, Policy};

/// Where a sequencer posts its batches' data.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Da {
    /// In calldata (`sequenceBatch`).
    #[default]
    Calldata,
    /// In EIP-4844 blobs (`sequenceBatchFromBlobs`).
    Blob,
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

/// A sequencer.
pub struct Sequencer {
    name: String,
    l1: L1Sender,
    rollup: Address,
    fee_account: u64,
    params: SequencerParams,
    builder: Builder,
    in_flight: bool,
    slot: u64,
    /// Forced transactions (plain records) to sequence before its next batch.
    forced: VecDeque<alloy_primitives::Bytes>,
    follower: BlockFollower,
    /// The batch transaction in flight and the slot after which it is resent.
    last: Option<(TxRequest, u64)>,
    report: ActorReport,
}

/// Gas limit of a transaction sequencing `bytes` of batch data: 3 M for the rollup's
/// bookkeeping and header, plus 64 per byte (the calldata floor's 40, the commitment's
/// 4 per byte and its 20 permutations per record, at least 1,100 bytes for a signed
/// transaction, with margin). A full 64-transaction batch (about 70 KB) gets 7.5 M.
pub fn batch_gas_limit(bytes: usize) -> u64 {
    3_000_000 + 64 * bytes as u64
}

/// Slots a batch transaction may stay unanswered before it is resent with a higher tip.
const RESEND_AFTER_SLOTS: u64 = 3;

impl Sequencer {
    /// A sequencer posting from `address` to `rollup`, crediting fees to `fee_account`,
    /// starting from the genesis `state` and L1 block `first_block`.
    pub fn new(
        name: &str,
        address: Address,
        rollup: Address,
        fee_account: u64,
        params: SequencerParams,
        state: L2State,
        first_block: u64,
    ) -> Self {
        Self {
            name: name.into(),
            l1: L1Sender::replacing(address, 0),
            rollup,
            fee_account,
            params,
            builder: Builder::new(state),
            in_flight: false,
            slot: 0,
            forced: VecDeque::new(),
            follower: BlockFollower::new(first_block),
            last: None,
            report: ActorReport {
                name: name.into(),
                role: zkarena_harness::report::RoleKind::Sequencer,
                ..ActorReport::default()
            },
        }
    }

    /// Queues a forced transaction for inclusion ahead of its next batch, unless it
    /// censors the sender.
    fn include_forced(&mut self, record: alloy_primitives::Bytes) {
        let sender = match Batch::from_plain_record(&record) {
            Ok(L2Tx::User(u)) => Some(u.from),
            _ => None,
        };
        if !sender.is_some_and(|s| self.params.censor.contains(&s)) {
            self.forced.push_back(record);
        }
    }

    /// Posts a batch if none is in flight and there is something to post.
    fn post(&mut self, out: &mut Outbox) {
        if self.in_flight {
            return;
        }
        let slot = self.slot;
        // Forced transactions first, each as the batch the contract builds.
        if let Some(record) = self.forced.pop_front() {
            let call = IForcedInclusion::sequenceForceBatchCall { l2Tx: record };
            let request = self
                .l1
                .call(self.rollup, call.abi_encode())
                .gas_limit(3_000_000)
                .fees(
                    200_000_000_000,
                    self.params.l1_tip_gwei as u128 * 1_000_000_000,
                );
            self.last = Some((request.clone(), slot + RESEND_AFTER_SLOTS));
            self.in_flight = true;
            let tag = L1Tag::new("forced batch", slot, format!("forced batch@{slot}"));
            self.l1.send(request, tag, &mut self.report, out);
            return;
        }
        let Some(batch) = self.build(slot) else {
            return;
        };
        let bytes = batch.encode(self.params.format);
        let gas_limit = batch_gas_limit(bytes.len());
        let tip = self.params.l1_tip_gwei as u128 * 1_000_000_000;
        let request = match self.params.da {
            Da::Calldata => {
                let call = IOpenSequencing::sequenceBatchCall {
                    batch: bytes.into(),
                };
                self.l1.call(self.rollup, call.abi_encode())
            }
            Da::Blob => {
                let call = IOpenSequencing::sequenceBatchFromBlobsCall {};
                let mut data = (bytes.len() as u32).to_be_bytes().to_vec();
                data.extend_from_slice(&bytes);
                data.chunks(BLOB_DATA_BYTES).fold(
                    self.l1.call(self.rollup, call.abi_encode()),
                    |r, c| {
                        r.blob(
                            alloy_primitives::Bytes::copy_from_slice(c),
                            1_000_000_000_000,
                        )
                    },
                )
            }
        }
        .gas_limit(gas_limit)
        .fees(200_000_000_000, tip);
        self.last = Some((request.clone(), slot + RESEND_AFTER_SLOTS));
        let tag = L1Tag::new("batch", slot, format!("batch@{slot}"));
        self.l1.send(request, tag, &mut self.report, out);
        self.in_flight = true;
    }

    /// Starts its L1 nonce at `nonce` (its address may have sent genesis transactions).
    pub fn with_l1_nonce(mut self, nonce: u64) -> Self {
        self.l1 = L1Sender::replacing(self.l1.address(), nonce);
        self
    }

    fn build(&mut self, slot: u64) -> Option<Batch> {
        let header = Header {
            sequencer: self.params.id,
            l1_block: slot,
            fee_account: self.fee_account,
        };
        let censor = &self.params.censor;
        let admit = |tx: &L2Tx| !matches!(tx, L2Tx::User(u) if censor.contains(&u.from));
        let batch = self
            .builder
            .build(header, self.params.max_txs, self.params.policy, &admit);
        (!batch.txs.is_empty()).then_some(batch)
    }
}

impl Role for Sequencer {
    fn name(&self) -> &str {
        &self.name
    }

    fn role(&self) -> zkarena_harness::report::RoleKind {
        zkarena_harness::report::RoleKind::Sequencer
    }

    fn ticks(&self) -> bool {
        true
    }

    fn subscribes(&self) -> bool {
        true
    }

    fn handle(&mut self, now: SimTime, _from: &str, msg: Msg, out: &mut Outbox) {
        match msg {
            Msg::L2Tx(tx) => self.builder.receive(*tx, now.as_millis()),
            Msg::Tick { slot } => {
                self.slot = slot;
                match &mut self.last {
                    // Unanswered for too long (lost, or priced out): the same batch
                    // again, same nonce, 25% more on both fees (the mempool asks 10%
                    // of each to replace), so it replaces the first if that one is
                    // still waiting.
                    Some((request, deadline)) if self.in_flight && slot >= *deadline => {
                        let bump = |fee: u128| fee * 5 / 4;
                        let fees = (
                            bump(request.max_fee_per_gas),
                            bump(request.max_priority_fee_per_gas),
                        );
                        *request = request.clone().fees(fees.0, fees.1);
                        *deadline = slot + RESEND_AFTER_SLOTS;
                        let tag = L1Tag::new("batch", slot, format!("batch@{slot} (resent)"));
                        self.l1.send(request.clone(), tag, &mut self.report, out);
                    }
                    _ => self.post(out),
                }
            }
            Msg::Restarted => self.follower.resync(0, out),
            Msg::L1Receipt(receipt) => {
                // A transaction replaced by its own resend is not a failure; a reverted
                // one spent its nonce (the sender advances past it).
                let fate = self.l1.settle(&receipt, &mut self.report);
                if fate.failed() && !fate.replaced() {
                    self.in_flight = false;
                    self.last = None;
                }
            }
            Msg::NewBlock { number, events, .. } => {
                if !self.follower.accept(number, out) {
                    return;
                }
                for e in events.iter().cloned() {
                    let applied = self.builder.follow(&e);
                    match (e, applied) {
                        (RollupEvent::BatchSequenced { sender, batch, .. }, Some(Ok(outcome)))
                            if sender == self.l1.address() =>
                        {
                            self.l1.nonce_used();
                            self.last = None;
                            self.in_flight = false;
                            if batch.sequencer == self.params.id {
                                self.report.batches_sequenced += 1;
                                self.report.l2_fees_earned += outcome.fees.total();
                            }
                        }
                        (_, Some(Err(e))) => {
                            tracing::warn!(sequencer = %self.name, %e, "sequenced batch does not apply")
                        }
                        (RollupEvent::ForceBatch { record, .. }, _) => self.include_forced(record),
                        _ => {}
                    }
                }
                // Its batch landed: the next one can go out in this slot already.
                self.post(out);
            }
            _ => {}
        }
    }

    fn report(&self) -> ActorReport {
        self.report.clone()
    }

    fn pool_changes(&self, since: usize) -> Option<PoolChanges> {
        Some(PoolChanges {
            pending: self.builder.pending(),
            arrived: self.builder.arrived_since(since).to_vec(),
            cursor: self.builder.arrived(),
        })
    }
}
