//! The public L1 mempool: per-sender nonce queues, replacement by fee, and the fate of
//! every transaction that left it. The block builder in [`super::chain`] takes from it
//! in order of effective priority fee.

use std::collections::BTreeMap;
use std::sync::Arc;

use alloy_primitives::map::{AddressMap, B256Map};
use alloy_primitives::Address;

use super::tx::{DropReason, PendingTx, TxHash, TxStatus};

/// Why the mempool refused a transaction at submission.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// The same transaction is already known.
    #[error("transaction {0} is already known")]
    AlreadyKnown(TxHash),
    /// A transaction with the same sender and nonce is pending, and this one does not
    /// raise both fees by the required bump.
    #[error(
        "replacement of {existing} underpriced: max fee and tip must both rise by {bump_percent}% \
         (to at least {min_max_fee} and {min_tip})"
    )]
    ReplacementUnderpriced {
        /// The pending transaction it would replace.
        existing: TxHash,
        /// Required bump.
        bump_percent: u64,
        /// Smallest acceptable max fee per gas.
        min_max_fee: u128,
        /// Smallest acceptable tip per gas.
        min_tip: u128,
    },
    /// A blob carries more than a blob can hold.
    #[error("blob {index} holds {bytes} bytes, more than the {max} a blob can carry")]
    BlobTooLarge {
        /// Blob index in the transaction.
        index: usize,
        /// Its size.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// More blobs than a transaction may carry.
    #[error("{count} blobs in one transaction, at most {max} allowed")]
    TooManyBlobs {
        /// Blobs in the transaction.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// Blob transactions must call a contract (EIP-4844).
    #[error("a blob transaction cannot create a contract")]
    BlobCreate,
}

/// One sender's pending transactions, by nonce.
type NonceQueue = BTreeMap<u64, Arc<PendingTx>>;

/// The pending transactions and the fate of those that left.
#[derive(Clone, Debug, Default)]
pub struct Mempool {
    by_sender: AddressMap<NonceQueue>,
    gone: B256Map<TxStatus>,
    known: B256Map<(Address, u64)>,
    next_arrival: u64,
    bump_percent: u64,
}

impl Mempool {
    /// An empty mempool requiring `bump_percent` on both fees for a replacement.
    pub fn new(bump_percent: u64) -> Self {
        Self {
            bump_percent,
            ..Self::default()
        }
    }

    /// Number of pending transactions.
    pub fn len(&self) -> usize {
        self.known.len()
    }

    /// Whether no transaction is pending.
    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
    }

    /// The next nonce after `sender`'s contiguous pending transactions from `account_nonce`.
    pub fn next_nonce(&self, sender: Address, account_nonce: u64) -> u64 {
        let mut nonce = account_nonce;
        if let Some(queue) = self.by_sender.get(&sender) {
            for n in queue.range(account_nonce..).map(|(n, _)| *n) {
                if n != nonce {
                    break;
                }
                nonce += 1;
            }
        }
        nonce
    }

    /// The arrival number the next accepted transaction will get.
    pub(crate) fn take_arrival(&mut self) -> u64 {
        let a = self.next_arrival;
        self.next_arrival += 1;
        a
    }

    /// Adds `tx`, replacing a pending one with the same sender and nonce if it pays enough more.
    pub fn insert(&mut self, tx: PendingTx) -> Result<Arc<PendingTx>, SubmitError> {
        if self.known.contains_key(&tx.hash) || self.gone.contains_key(&tx.hash) {
            return Err(SubmitError::AlreadyKnown(tx.hash));
        }
        let sender = tx.request.from;
        let queue = self.by_sender.entry(sender).or_default();
        if let Some(existing) = queue.get(&tx.nonce) {
            let bump = |x: u128| x + x * u128::from(self.bump_percent) / 100;
            let min_max_fee = bump(existing.request.max_fee_per_gas);
            let min_tip = bump(existing.request.max_priority_fee_per_gas);
            if tx.request.max_fee_per_gas < min_max_fee
                || tx.request.max_priority_fee_per_gas < min_tip
            {
                return Err(SubmitError::ReplacementUnderpriced {
                    existing: existing.hash,
                    bump_percent: self.bump_percent,
                    min_max_fee,
                    min_tip,
                });
            }
            let old = existing.hash;
            self.known.remove(&old);
            self.gone.insert(old, TxStatus::Replaced { by: tx.hash });
        }
        let tx = Arc::new(tx);
        self.known.insert(tx.hash, (sender, tx.nonce));
        queue.insert(tx.nonce, tx.clone());
        Ok(tx)
    }

    /// The status of `hash` if the mempool knows it (pending, dropped or replaced).
    pub fn status(&self, hash: &TxHash) -> Option<TxStatus> {
        if self.known.contains_key(hash) {
            return Some(TxStatus::Pending);
        }
        self.gone.get(hash).cloned()
    }

    /// The pending transaction `hash`.
    pub fn get(&self, hash: &TxHash) -> Option<&Arc<PendingTx>> {
        let (sender, nonce) = self.known.get(hash)?;
        self.by_sender.get(sender)?.get(nonce)
    }

    /// Senders with pending transactions, in no particular order.
    pub(crate) fn senders(&self) -> Vec<Address> {
        self.by_sender.keys().copied().collect()
    }

    /// `sender`'s pending transaction with `nonce`.
    pub(crate) fn at(&self, sender: &Address, nonce: u64) -> Option<&Arc<PendingTx>> {
        self.by_sender.get(sender)?.get(&nonce)
    }

    /// Drops every pending transaction of `sender` with a nonce below `account_nonce`.
    pub(crate) fn drop_stale(&mut self, sender: &Address, account_nonce: u64) {
        let Some(queue) = self.by_sender.get(sender) else {
            return;
        };
        // Empty on the hot path: collecting nothing allocates nothing.
        let stale: Vec<(u64, TxHash)> = queue
            .range(..account_nonce)
            .map(|(n, tx)| (*n, tx.hash))
            .collect();
        for (nonce, hash) in stale {
            self.drop_tx(
                &hash,
                DropReason::StaleNonce {
                    nonce,
                    account_nonce,
                },
            );
        }
    }

    /// Removes included transaction `hash` from the pending set (the chain's receipts
    /// answer for it from now on).
    pub(crate) fn remove_included(&mut self, hash: &TxHash) {
        self.take(hash);
    }

    /// Drops pending transaction `hash`, recording why.
    pub(crate) fn drop_tx(&mut self, hash: &TxHash, reason: DropReason) {
        if self.take(hash) {
            tracing::debug!(%hash, %reason, "l1 mempool: dropped");
            self.gone.insert(*hash, TxStatus::Dropped { reason });
        }
    }

    /// Removes `hash` from the pending set; whether it was pending.
    fn take(&mut self, hash: &TxHash) -> bool {
        let Some((sender, nonce)) = self.known.remove(hash) else {
            return false;
        };
        if let Some(queue) = self.by_sender.get_mut(&sender) {
            queue.remove(&nonce);
            if queue.is_empty() {
                self.by_sender.remove(&sender);
            }
        }
        true
    }

    /// Pending transactions in order of arrival.
    pub fn pending(&self) -> Vec<Arc<PendingTx>> {
        let mut all: Vec<_> = self
            .by_sender
            .values()
            .flat_map(|q| q.values().cloned())
            .collect();
        all.sort_by_key(|t| t.arrival);
        all
    }
}
