//! The messages actors exchange through the event queue, and what a handler hands back
//! to the driver (its [`Outbox`]).

use alloy_primitives::{Address, B256};
use zkarena_harness::l1::tx::TxRequest;
use zkarena_harness::l2::state::BatchOutcome;
use zkarena_harness::l2::Digest;
use zkarena_harness::l2::{Asset, Batch, L2Tx};
use zkarena_harness::sim::SimTime;
use zkarena_harness::zk::Proof;

/// The L1 node's name.
pub const L1: &str = "l1";

/// A rollup event read from an L1 block's logs (and, for batches, its calldata).
#[derive(Clone, Debug)]
pub enum RollupEvent {
    /// A deposit entered the bridge's queue.
    Deposit {
        /// Queue index.
        index: u64,
        /// L2 owner.
        to: Address,
        /// L2 account the depositor named.
        account: u64,
        /// Asset.
        asset: Asset,
        /// L2 units.
        amount: u64,
        /// Key digest the account opens with.
        key: zkarena_harness::l2::wots::KeyDigest,
    },
    /// A batch was sequenced.
    BatchSequenced {
        /// Index (from 1).
        index: u64,
        /// Batch accumulator after it.
        acc: B256,
        /// The L1 sender.
        sender: Address,
        /// The batch, decoded from the transaction's calldata or blobs.
        batch: Batch,
        /// Size of the batch data as posted.
        bytes: u64,
    },
    /// A censored user posted a transaction on L1 (PoE `forceBatch`).
    ForceBatch {
        /// Forced batch index (from 1).
        index: u64,
        /// The transaction's plain record.
        record: alloy_primitives::Bytes,
    },
    /// An event of a mechanism's own contracts, decoded by the mechanism
    /// (the L1 node's `LogDecoder`); the shared roles pass it by.
    Mechanism(MechanismPayload),
    /// A range was verified.
    RangeVerified {
        /// First batch.
        from: u64,
        /// Last batch.
        to: u64,
        /// New state root.
        new_root: B256,
        /// The L1 sender of the proof.
        prover: Address,
    },
}

/// An L2 transaction a user sent, as the report needs it.
#[derive(Clone, Debug)]
pub struct SentTx {
    /// Its hash.
    pub hash: B256,
    /// `transfer`, `swap` or `withdraw`.
    pub kind: &'static str,
    /// What it does.
    pub action: zkarena_harness::l2::Action,
    /// Its tip (gwei).
    pub tip: u64,
    /// When it was first sent (ms).
    pub sent_ms: u64,
}

impl SentTx {
    /// The record of user transaction `tx` sent at `sent_ms` (`None` for a deposit).
    pub fn of(tx: &L2Tx, sent_ms: u64) -> Option<SentTx> {
        let L2Tx::User(u) = tx else {
            return None;
        };
        Some(SentTx {
            hash: tx.hash(),
            kind: tx_kind(tx),
            action: u.action,
            tip: u.fee.tip,
            sent_ms,
        })
    }
}

/// A proof job for the worker pool.
#[derive(Clone, Debug)]
pub struct ProveJob {
    /// Tree depth.
    pub depth: usize,
    /// The batch's execution.
    pub outcome: BatchOutcome,
    /// Batch accumulator before.
    pub batch_in: Digest,
    /// Withdrawal accumulator before.
    pub withdrawals_in: Digest,
    /// What the proof is bound to: the rollup and the L1 address that will submit it
    /// ([`zkarena_harness::zk::proof_binding`]).
    pub binding: Digest,
    /// Simulated proving time (from the prover's hardware profile).
    pub sim_ms: u64,
    /// The requester's own label (e.g. the batch index).
    pub label: u64,
}

/// Why a proof job gave no proof.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProofFailure {
    /// The prover refused or failed.
    #[error(transparent)]
    Zk(#[from] zkarena_harness::zk::ZkError),
    /// The worker pool stopped before answering.
    #[error("the prover pool stopped")]
    PoolStopped,
    /// The prover panicked (a defect; the driver stops the run on it).
    #[error("the prover broke: {0}")]
    ProverBroke(String),
    /// A forger tried to relabel a real proof (only dev proofs can be).
    #[error("a real proof cannot be relabelled")]
    RealProofRelabelled,
    /// Not collected yet (a placeholder the runtime replaces before delivery).
    #[error("pending")]
    Pending,
}

/// What an L1 transaction is for, echoed in its receipt: `purpose` and `id` for the
/// sender's own bookkeeping (the batch a verification covers, the slot a batch was
/// built in), `label` for the trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct L1Tag {
    /// What kind of transaction (`"verify"`, `"batch"`, ...).
    pub purpose: &'static str,
    /// The sender's number for it (batch index, slot; 0 if none).
    pub id: u64,
    /// How the trace shows it.
    pub label: String,
}

impl L1Tag {
    /// A tag for `purpose` number `id`, shown as `label`.
    pub fn new(purpose: &'static str, id: u64, label: impl Into<String>) -> Self {
        Self {
            purpose,
            id,
            label: label.into(),
        }
    }

    /// Whether it is the tag of a `purpose` transaction.
    pub fn is(&self, purpose: &str) -> bool {
        self.purpose == purpose
    }
}

impl std::fmt::Display for L1Tag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label)
    }
}

/// What became of an L1 transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum L1Fate {
    /// Included, and it succeeded.
    Succeeded,
    /// Included, and it reverted or halted.
    Failed(zkarena_harness::l1::tx::ExecStatus),
    /// The mempool refused it at submission.
    Refused(zkarena_harness::l1::mempool::SubmitError),
    /// It left the mempool without a block: dropped by the builder, or replaced by a
    /// transaction of the same sender and nonce (its status, if the L1 still knows it).
    Gone(Option<zkarena_harness::l1::tx::TxStatus>),
}

impl L1Fate {
    /// Whether a block included it (successfully or not).
    pub fn included(&self) -> bool {
        matches!(self, L1Fate::Succeeded | L1Fate::Failed(_))
    }

    /// Whether it did not succeed.
    pub fn failed(&self) -> bool {
        *self != L1Fate::Succeeded
    }

    /// Whether a transaction of the same sender and nonce replaced it.
    pub fn replaced(&self) -> bool {
        matches!(
            self,
            L1Fate::Gone(Some(zkarena_harness::l1::tx::TxStatus::Replaced { .. }))
        )
    }

    /// Why it did not succeed (empty if it did).
    pub fn error(&self) -> String {
        use zkarena_harness::l1::tx::ExecStatus;
        match self {
            L1Fate::Succeeded => String::new(),
            L1Fate::Failed(ExecStatus::Reverted { reason }) => reason.to_string(),
            L1Fate::Failed(other) => format!("{other:?}"),
            L1Fate::Refused(e) => e.to_string(),
            L1Fate::Gone(status) => format!("{status:?}"),
        }
    }
}

/// What became of a submitted L1 transaction, as its sender learns it.
#[derive(Clone, Debug)]
pub struct L1Receipt {
    /// Its tag.
    pub tag: L1Tag,
    /// Its fate.
    pub fate: L1Fate,
    /// Gas used (0 if not included).
    pub gas_used: u64,
    /// Fee paid (wei).
    pub fee_wei: u128,
    /// Block number (0 if not included).
    pub block: u64,
}

/// A message.
#[derive(Clone, Debug)]
pub enum Msg {
    /// Start of an L1 slot (the L1 node seals a block on it).
    Tick {
        /// Slot number.
        slot: u64,
    },
    /// A timer an actor set for itself.
    Wake {
        /// The actor's label.
        label: u64,
    },
    /// An L2 transaction, user to sequencer.
    L2Tx(Box<L2Tx>),
    /// An L1 transaction to submit (to the L1 node).
    SubmitL1 {
        /// The request.
        request: TxRequest,
        /// What it is for, echoed in the receipt.
        tag: L1Tag,
    },
    /// What became of a submitted L1 transaction (L1 node to submitter).
    L1Receipt(L1Receipt),
    /// A new L1 block and the rollup events in it (L1 node to subscribers).
    NewBlock {
        /// Block number.
        number: u64,
        /// Block hash (what `BLOCKHASH` returns for it).
        hash: B256,
        /// Events, in log order (shared by every subscriber's copy of the message: a
        /// block of 10,000 deposits is not copied to 10,000 users).
        events: std::sync::Arc<[RollupEvent]>,
        /// The bridge's escrow after the block, in wei: ETH, token.
        escrow_wei: [u128; 2],
    },
    /// A proof job finished (worker pool to requester).
    ProofReady {
        /// The requester's label.
        label: u64,
        /// The proof, or why proving failed.
        result: Result<Proof, ProofFailure>,
    },
    /// The actor restarts after a crash.
    Restarted,
    /// An L1 transaction entered the mempool (L1 node to mempool watchers), before
    /// any block includes it.
    PendingL1 {
        /// Sender.
        from: Address,
        /// Receiver.
        to: Option<Address>,
        /// Calldata.
        data: alloy_primitives::Bytes,
        /// Priority fee per gas (wei).
        tip: u128,
    },
    /// A message between a mechanism's own roles (e.g. a PoS block or an attestation):
    /// its kind and trace line come from the payload.
    Mechanism(MechanismPayload),
    /// Asks the L1 node for every block from `from_block` on (a follower that missed
    /// blocks catches up this way).
    SyncRequest {
        /// First block wanted.
        from_block: u64,
    },
}

/// What a mechanism's own messages and L1 events carry: its roles downcast it to their
/// own type; the runtime needs only its kind and its trace line.
pub trait Payload: std::any::Any + std::fmt::Debug + Send + Sync {
    /// The kind, as faults and the trace name it (one of the mechanism's
    /// `message_kinds`).
    fn kind(&self) -> &'static str;
    /// One line for the trace.
    fn summary(&self) -> String;
    /// Itself, for downcasting.
    fn as_any(&self) -> &dyn std::any::Any;
}

/// A mechanism's message or event, shared cheaply between the subscribers of a block.
#[derive(Clone, Debug)]
pub struct MechanismPayload(pub std::sync::Arc<dyn Payload>);

impl MechanismPayload {
    /// Wraps `payload`.
    pub fn new(payload: impl Payload) -> Self {
        Self(std::sync::Arc::new(payload))
    }

    /// The payload, if it is a `T`.
    pub fn get<T: Payload>(&self) -> Option<&T> {
        self.0.as_any().downcast_ref::<T>()
    }
}

impl Msg {
    /// Every kind of the shared messages [`Msg::kind`] names (what a fault's link can
    /// select; a mechanism adds its own).
    pub const KINDS: [&'static str; 10] = [
        "tick",
        "wake",
        "l2_tx",
        "submit_l1",
        "l1_receipt",
        "new_block",
        "proof_ready",
        "restarted",
        "sync_request",
        "pending_l1",
    ];

    /// The kind, as faults and the trace name it.
    pub fn kind(&self) -> &'static str {
        match self {
            Msg::Tick { .. } => "tick",
            Msg::Wake { .. } => "wake",
            Msg::L2Tx(_) => "l2_tx",
            Msg::SubmitL1 { .. } => "submit_l1",
            Msg::L1Receipt { .. } => "l1_receipt",
            Msg::NewBlock { .. } => "new_block",
            Msg::ProofReady { .. } => "proof_ready",
            Msg::Restarted => "restarted",
            Msg::SyncRequest { .. } => "sync_request",
            Msg::PendingL1 { .. } => "pending_l1",
            Msg::Mechanism(p) => p.0.kind(),
        }
    }

    /// One line for the trace.
    pub fn summary(&self) -> String {
        match self {
            Msg::Tick { slot } => format!("slot {slot}"),
            Msg::Wake { label } => format!("timer {label}"),
            Msg::L2Tx(tx) => format!("{} {}", tx_kind(tx), short(&tx.hash())),
            Msg::SubmitL1 { tag, request } => {
                format!(
                    "{tag} ({} bytes, tip {})",
                    request.data.len(),
                    request.max_priority_fee_per_gas
                )
            }
            Msg::L1Receipt(r) => match &r.fate {
                L1Fate::Succeeded => format!("{} ok in block {}", r.tag, r.block),
                L1Fate::Failed(_) => {
                    format!("{} failed in block {}: {}", r.tag, r.block, r.fate.error())
                }
                _ => format!("{} not included: {}", r.tag, r.fate.error()),
            },
            Msg::NewBlock { number, events, .. } => {
                format!("block {number}, {} rollup events", events.len())
            }
            Msg::ProofReady { label, result } => match result {
                Ok(_) => format!("proof {label} ready"),
                Err(e) => format!("proof {label} failed: {e}"),
            },
            Msg::Restarted => "restart".into(),
            Msg::Mechanism(p) => p.0.summary(),
            Msg::SyncRequest { from_block } => format!("blocks from {from_block}"),
            Msg::PendingL1 {
                from, data, tip, ..
            } => {
                format!("from {from}, {} bytes, tip {tip}", data.len())
            }
        }
    }
}

/// The plain record of the transaction a forced batch carries, if `batch` is one: a
/// single transaction under sequencer 0, as `sequenceForceBatch` builds it. Forced
/// batches are sequenced strictly in order, so one settles the oldest waiting.
pub fn forced_record(batch: &Batch) -> Option<Vec<u8>> {
    match batch.txs.as_slice() {
        [tx] if batch.sequencer == 0 => Some(Batch::plain_record(tx)),
        _ => None,
    }
}

/// `transfer`, `swap`, `withdraw` or `deposit`.
pub fn tx_kind(tx: &L2Tx) -> &'static str {
    use zkarena_harness::l2::Action;
    match tx {
        L2Tx::User(u) => match u.action {
            Action::Transfer { .. } => "transfer",
            Action::Swap { .. } => "swap",
            Action::Withdraw { .. } => "withdraw",
        },
        L2Tx::Deposit(_) => "deposit",
    }
}

/// The first 8 bytes of a hash, hex.
pub fn short(h: &B256) -> String {
    hex::encode(&h[..8])
}

/// Where a message goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dest {
    /// An actor by name.
    Actor(String),
    /// Every actor subscribed to L1 blocks.
    Subscribers,
    /// Every actor watching the L1 mempool.
    Watchers,
}

/// What a handler asks the driver to do.
#[derive(Debug)]
pub enum Out {
    /// Send `msg` to `to` after `delay_ms`.
    Send {
        /// Receiver.
        to: Dest,
        /// Message.
        msg: Box<Msg>,
        /// Delay.
        delay_ms: u64,
    },
    /// Prove on the worker pool; the result comes back as [`Msg::ProofReady`] after the
    /// job's simulated time.
    Prove(Box<ProveJob>),
    /// An invariant broke: stop the run.
    Violation {
        /// Invariant.
        invariant: String,
        /// What broke.
        detail: String,
    },
}

/// The messages a handler produced.
#[derive(Debug, Default)]
pub struct Outbox {
    /// In order.
    pub out: Vec<Out>,
}

impl Outbox {
    /// Sends `msg` to the actor `to` now.
    pub fn send(&mut self, to: &str, msg: Msg) {
        self.send_in(to, msg, 0);
    }

    /// Sends `msg` to `to` after `delay_ms`.
    pub fn send_in(&mut self, to: &str, msg: Msg, delay_ms: u64) {
        self.out.push(Out::Send {
            to: Dest::Actor(to.to_string()),
            msg: Box::new(msg),
            delay_ms,
        });
    }

    /// Sets a timer: `Wake { label }` to oneself after `delay_ms`.
    pub fn wake_in(&mut self, me: &str, label: u64, delay_ms: u64) {
        self.send_in(me, Msg::Wake { label }, delay_ms);
    }

    /// Publishes to every mempool watcher.
    pub fn publish_pending(&mut self, msg: Msg) {
        self.out.push(Out::Send {
            to: Dest::Watchers,
            msg: Box::new(msg),
            delay_ms: 0,
        });
    }

    /// Publishes to every block subscriber.
    pub fn publish(&mut self, msg: Msg) {
        self.out.push(Out::Send {
            to: Dest::Subscribers,
            msg: Box::new(msg),
            delay_ms: 0,
        });
    }
}

/// Time as actors see it.
pub type Now = SimTime;

/// Follows L1 blocks in order: a block is processed once, and a gap (blocks lost to a
/// fault or a crash) makes the follower ask the L1 node for the missing ones.
#[derive(Clone, Debug)]
pub struct BlockFollower {
    next: u64,
    requested_at: Option<u64>,
}

impl BlockFollower {
    /// A follower whose first block is `first`.
    pub fn new(first: u64) -> Self {
        Self {
            next: first,
            requested_at: None,
        }
    }

    /// Whether to process block `number` now. On a gap it asks the L1 node (again, if
    /// an earlier request went unanswered) and skips the block, which the answer
    /// replays in order.
    pub fn accept(&mut self, number: u64, out: &mut Outbox) -> bool {
        if number < self.next {
            return false;
        }
        if number > self.next {
            if self.requested_at.is_none_or(|at| number > at) {
                self.resync(number, out);
            }
            return false;
        }
        self.next += 1;
        self.requested_at = None;
        true
    }

    /// Asks for every block from the next expected one (after a restart).
    pub fn resync(&mut self, now_block: u64, out: &mut Outbox) {
        self.requested_at = Some(now_block);
        out.send(
            L1,
            Msg::SyncRequest {
                from_block: self.next,
            },
        );
    }
}
