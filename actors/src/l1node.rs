//! The L1 node: owns the embedded `Chain`, accepts L1 transactions from actors, seals a
//! block on every slot tick, answers each submitter with what became of its
//! transaction, and publishes every block to subscribers with the rollup events read
//! from its logs (and the batches decoded from the sequencing calldata).

use std::collections::BTreeMap;

use alloy_primitives::{Address, Bytes, TxHash, B256, U256};
use alloy_sol_types::{SolCall, SolEvent};
use zkarena_harness::l1::chain::Chain;
use zkarena_harness::l1::contracts::bindings::{
    Bridge, IForcedInclusion, IOpenSequencing, IZkRollup,
};
use zkarena_harness::l1::tx::{ExecStatus, TxStatus};
use zkarena_harness::l2::{Asset, Batch};
use zkarena_harness::report::ActorReport;
use zkarena_harness::sim::SimTime;
use zkarena_harness::zk::{b256_to_digest, batch_commitment, digest_to_b256};

use crate::msg::{L1Fate, L1Receipt, L1Tag, Msg, Outbox, RollupEvent};
use crate::node::Role;

pub use crate::msg::L1;

struct Submitted {
    submitter: String,
    tag: L1Tag,
    data: Bytes,
    blobs: Vec<Bytes>,
}

/// The batch the L1 sequenced for `bytes` with `first_deposit` deposits consumed
/// before it: the decoded batch, or the no-op batch if the bytes were malformed or
/// consumed deposits out of order (exactly what the BATCH_COMMITMENT precompile does).
fn l1_view(bytes: &[u8], first_deposit: u64) -> Batch {
    Batch::sequenced(bytes, first_deposit).unwrap_or_else(|_| Batch::noop())
}

/// The batch a sequencing transaction carried: in calldata (`sequenceBatch`, or a
/// mechanism's own call its `BatchReader` knows) or in its blobs
/// (`sequenceBatchFromBlobs`, `[length u32][batch]`), as the L1 sequenced it.
fn posted_batch(
    sub: &Submitted,
    first_deposit: u64,
    readers: &[BatchReader],
) -> Option<(Batch, u64)> {
    if let Ok(c) = IOpenSequencing::sequenceBatchCall::abi_decode(&sub.data) {
        let batch = l1_view(&c.batch, first_deposit);
        return Some((batch, c.batch.len() as u64));
    }
    if IOpenSequencing::sequenceBatchFromBlobsCall::abi_decode(&sub.data).is_ok() {
        let data: Vec<u8> = sub.blobs.iter().flat_map(|b| b.iter().copied()).collect();
        let len = data
            .get(..4)
            .map(|l| u32::from_be_bytes(l.try_into().expect("4 bytes")) as usize);
        let batch = len
            .and_then(|n| data.get(4..4 + n))
            .map(|b| l1_view(b, first_deposit))
            .unwrap_or_else(Batch::noop);
        return Some((batch, len.unwrap_or(0) as u64));
    }
    let bytes = readers.iter().find_map(|read| read(&sub.data))?;
    Some((l1_view(&bytes, first_deposit), bytes.len() as u64))
}

/// How a mechanism finds the batch in the calldata of its own sequencing call (PoS:
/// `StakeManager.attest`), if `data` is one.
pub type BatchReader = fn(&[u8]) -> Option<Bytes>;

/// How a mechanism reads one of its contracts' logs (`None`: not an event it follows).
pub type LogDecoder = fn(&alloy_primitives::Log) -> Option<crate::msg::MechanismPayload>;

/// The L1 node.
pub struct L1Node {
    chain: Chain,
    bridge: Address,
    token: Address,
    rollup: Address,
    /// Mechanism contracts whose events it reads, and how to decode them.
    watched: Vec<(Address, LogDecoder)>,
    /// How mechanisms' own sequencing calls carry their batch.
    batch_readers: Vec<BatchReader>,
    pending: BTreeMap<TxHash, Submitted>,
    /// Every published block: (number, hash, events, escrow), for catching followers
    /// up.
    history: Vec<Published>,
    /// If set, the next block holds exactly these pending transactions, in this order.
    next_order: Option<Vec<TxHash>>,
    /// Bridge deposits the sequenced batches consumed so far.
    deposits_sequenced: u64,
    /// The batch accumulator after the last sequenced batch.
    last_acc: B256,
    /// When each block of the run was sealed.
    sealed: Vec<Sealed>,
}

/// A published block: (number, hash, events shared with every subscriber, escrow).
type Published = (u64, B256, std::sync::Arc<[RollupEvent]>, [u128; 2]);

/// A block the node sealed: its number, when, and the transactions still pending after
/// it (the L1 mempool's depth).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sealed {
    /// Block number.
    pub number: u64,
    /// Simulated milliseconds.
    pub t_ms: u64,
    /// Transactions left in the mempool.
    pub pending_after: u64,
}

impl L1Node {
    /// A node over `chain` watching the bridge, the token and the rollup contract.
    pub fn new(chain: Chain, bridge: Address, token: Address, rollup: Address) -> Self {
        Self {
            chain,
            bridge,
            token,
            rollup,
            watched: Vec::new(),
            batch_readers: Vec::new(),
            pending: BTreeMap::new(),
            history: Vec::new(),
            next_order: None,
            deposits_sequenced: 0,
            last_acc: B256::ZERO,
            sealed: Vec::new(),
        }
    }

    /// Also reads the events of a mechanism's contract at `address`, decoded by
    /// `decode` into [`RollupEvent::Mechanism`].
    pub fn watch(mut self, address: Address, decode: LogDecoder) -> Self {
        self.watched.push((address, decode));
        self
    }

    /// Also reads sequenced batches from the calldata `read` recognizes (a mechanism
    /// whose contract sequences from a call of its own).
    pub fn reads_batches(mut self, read: BatchReader) -> Self {
        self.batch_readers.push(read);
        self
    }

    /// The rollup events of every block published so far, in order.
    pub fn events(&self) -> impl Iterator<Item = &RollupEvent> {
        self.history
            .iter()
            .flat_map(|(_, _, events, _)| events.iter())
    }

    /// Makes the next block hold exactly the pending transactions `order`, in that
    /// order (an empty list seals an empty block). Tests use it to play the builder.
    pub fn include_next(&mut self, order: Vec<TxHash>) {
        self.next_order = Some(order);
    }

    /// The rollup contract it watches.
    pub fn rollup(&self) -> Address {
        self.rollup
    }

    /// Blocks published to subscribers so far.
    pub fn published_blocks(&self) -> u64 {
        self.history.len() as u64
    }

    /// The chain (for inspection between steps).
    pub fn chain(&self) -> &Chain {
        &self.chain
    }

    /// The chain, mutably (tests: fund accounts, reorder the mempool...).
    pub fn chain_mut(&mut self) -> &mut Chain {
        &mut self.chain
    }

    /// The bridge's escrow in wei: ETH, token.
    pub fn escrow(&mut self) -> [u128; 2] {
        let (bridge, token) = (self.bridge, self.token);
        // Read as an account without code (EIP-3607 refuses contract senders).
        let mut read = |asset: Address| match self.chain.call_sol(
            Address::ZERO,
            bridge,
            &Bridge::escrowCall::new((asset,)),
        ) {
            Ok(v) => {
                let v: U256 = v;
                v.to::<u128>()
            }
            Err(e) => {
                tracing::error!(%e, "reading the bridge escrow");
                u128::MAX
            }
        };
        [read(Address::ZERO), read(token)]
    }

    /// Every block sealed during the run, in order.
    pub fn sealed(&self) -> &[Sealed] {
        &self.sealed
    }

    fn seal(&mut self, now: SimTime, out: &mut Outbox) {
        let block = match self.next_order.take() {
            Some(order) => self.chain.seal_block_with(&order).clone(),
            None => self.chain.seal_block().clone(),
        };
        self.sealed.push(Sealed {
            number: block.number,
            t_ms: now.as_millis(),
            pending_after: self.chain.mempool().len() as u64,
        });
        let mut events = Vec::new();
        for r in &block.receipts {
            let sub = self.pending.remove(&r.tx_hash);
            if let Some(sub) = &sub {
                let fate = match &r.status {
                    ExecStatus::Success => L1Fate::Succeeded,
                    other => L1Fate::Failed(other.clone()),
                };
                out.send(
                    &sub.submitter,
                    Msg::L1Receipt(L1Receipt {
                        tag: sub.tag.clone(),
                        fate,
                        gas_used: r.gas_used,
                        fee_wei: r.fee_paid(),
                        block: block.number,
                    }),
                );
            }
            if !matches!(r.status, ExecStatus::Success) {
                continue;
            }
            for log in &r.logs {
                if let Some((_, decode)) = self.watched.iter().find(|w| w.0 == log.address) {
                    events.extend(decode(log).map(RollupEvent::Mechanism));
                } else if log.address == self.bridge {
                    if let Ok(d) = Bridge::DepositQueued::decode_log(log) {
                        events.push(RollupEvent::Deposit {
                            index: d.index.to::<u64>(),
                            to: d.to,
                            account: d.l2Account,
                            asset: if d.asset == Address::ZERO {
                                Asset::Eth
                            } else {
                                Asset::Token
                            },
                            amount: d.l2Amount,
                            key: [(d.l2Key >> 64) as u64, d.l2Key as u64],
                        });
                    }
                } else if log.address == self.rollup {
                    if let Ok(e) = IZkRollup::BatchSequenced::decode_log(log) {
                        // The batch: from the sequencing calldata, or, for a forced
                        // batch the contract built itself, from its event.
                        let forced = r.logs.iter().find_map(|l| {
                            IForcedInclusion::ForcedBatchSequenced::decode_log(l)
                                .ok()
                                .filter(|f| f.batchIndex == e.index)
                                .map(|f| f.batch.clone())
                        });
                        let first = self.deposits_sequenced;
                        let batch = match forced {
                            Some(bytes) => Some((l1_view(&bytes, first), bytes.len() as u64)),
                            None => sub
                                .as_ref()
                                .and_then(|s| posted_batch(s, first, &self.batch_readers)),
                        };
                        // The batch read back must be the one the L1 committed to.
                        let prev = b256_to_digest(&self.last_acc);
                        let batch = batch.filter(|(b, _)| {
                            prev.is_some_and(|p| digest_to_b256(&batch_commitment(p, b)) == e.acc)
                        });
                        self.last_acc = e.acc;
                        if batch.is_none() {
                            tracing::error!(
                                index = e.index,
                                "a sequenced batch could not be read back"
                            );
                        }
                        if let Some((batch, bytes)) = batch {
                            self.deposits_sequenced += batch.deposit_count();
                            events.push(RollupEvent::BatchSequenced {
                                index: e.index,
                                acc: e.acc,
                                sender: r.from,
                                batch,
                                bytes,
                            });
                        }
                    } else if let Ok(e) = IForcedInclusion::ForceBatch::decode_log(log) {
                        events.push(RollupEvent::ForceBatch {
                            index: e.index,
                            record: e.l2Tx.clone(),
                        });
                    } else if let Ok(e) = IZkRollup::RangeVerified::decode_log(log) {
                        events.push(RollupEvent::RangeVerified {
                            from: e.from,
                            to: e.to,
                            new_root: e.newRoot,
                            prover: e.prover,
                        });
                    }
                }
            }
        }
        // Transactions the builder dropped or that were replaced.
        let gone: Vec<TxHash> = self
            .pending
            .keys()
            .filter(|h| !matches!(self.chain.status(h), Some(TxStatus::Pending)))
            .copied()
            .collect();
        for h in gone {
            let sub = self.pending.remove(&h).expect("listed above");
            out.send(
                &sub.submitter,
                Msg::L1Receipt(L1Receipt {
                    tag: sub.tag,
                    fate: L1Fate::Gone(self.chain.status(&h)),
                    gas_used: 0,
                    fee_wei: 0,
                    block: 0,
                }),
            );
        }
        let escrow_wei = self.escrow();
        let hash = self.chain.block_hash(block.number);
        let events: std::sync::Arc<[RollupEvent]> = events.into();
        self.history
            .push((block.number, hash, events.clone(), escrow_wei));
        out.publish(Msg::NewBlock {
            number: block.number,
            hash,
            events,
            escrow_wei,
        });
    }
}

impl Role for L1Node {
    fn name(&self) -> &str {
        L1
    }

    fn role(&self) -> zkarena_harness::report::RoleKind {
        zkarena_harness::report::RoleKind::L1
    }

    fn ticks(&self) -> bool {
        true
    }

    fn handle(&mut self, now: SimTime, from: &str, msg: Msg, out: &mut Outbox) {
        match msg {
            Msg::Tick { .. } => self.seal(now, out),
            Msg::SyncRequest { from_block } => {
                for (number, hash, events, escrow_wei) in &self.history {
                    if *number >= from_block {
                        out.send(
                            from,
                            Msg::NewBlock {
                                number: *number,
                                hash: *hash,
                                events: events.clone(),
                                escrow_wei: *escrow_wei,
                            },
                        );
                    }
                }
            }
            Msg::SubmitL1 { request, tag } => {
                let data = request.data.clone();
                let blobs = request.blobs.clone();
                let (sender, to, tip) =
                    (request.from, request.to, request.max_priority_fee_per_gas);
                match self.chain.submit(request) {
                    Ok(hash) => {
                        // The mempool is public: watchers see the calldata now.
                        out.publish_pending(Msg::PendingL1 {
                            from: sender,
                            to,
                            data: data.clone(),
                            tip,
                        });
                        self.pending.insert(
                            hash,
                            Submitted {
                                submitter: from.to_string(),
                                tag,
                                data,
                                blobs,
                            },
                        );
                    }
                    Err(e) => out.send(
                        from,
                        Msg::L1Receipt(L1Receipt {
                            tag,
                            fate: L1Fate::Refused(e),
                            gas_used: 0,
                            fee_wei: 0,
                            block: 0,
                        }),
                    ),
                }
            }
            _ => {}
        }
    }

    fn report(&self) -> ActorReport {
        ActorReport {
            name: L1.into(),
            role: zkarena_harness::report::RoleKind::L1,
            ..ActorReport::default()
        }
    }
}
