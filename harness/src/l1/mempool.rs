//! The public L1 mempool: per-sender nonce queues, replacement by fee, and the fate of
//! every transaction it ever admitted (pending, included, dropped or replaced). The
//! block builder in [`super::chain`] takes from it in order of effective priority fee.

use std::sync::Arc;

use alloy_primitives::map::{AddressMap, B256Map, Entry};
use alloy_primitives::Address;
use smallvec::SmallVec;

use super::tx::{DropReason, PendingTx, TxHash, TxRequest, TxStatus};

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

/// One sender's pending transactions, ascending by nonce. Usually one or two, so they
/// live inline: admitting a new sender allocates nothing but its map slot.
#[derive(Clone, Debug, Default)]
struct NonceQueue(SmallVec<[Arc<PendingTx>; 2]>);

impl NonceQueue {
    /// Position of `nonce`, or where it would go.
    fn find(&self, nonce: u64) -> Result<usize, usize> {
        self.0.binary_search_by_key(&nonce, |tx| tx.nonce)
    }

    fn get(&self, nonce: u64) -> Option<&Arc<PendingTx>> {
        self.find(nonce).ok().map(|i| &self.0[i])
    }

    /// The next nonce after the contiguous run starting at `account_nonce`.
    fn next_nonce(&self, account_nonce: u64) -> u64 {
        let start = self.find(account_nonce).unwrap_or_else(|i| i);
        let mut nonce = account_nonce;
        for tx in &self.0[start..] {
            if tx.nonce != nonce {
                break;
            }
            nonce += 1;
        }
        nonce
    }
}

/// Where an admitted transaction is now.
#[derive(Clone, Debug)]
enum Seen {
    /// In its sender's queue (the index shares the queue's `Arc`, which keeps entries
    /// at 16 bytes: the index grows by one entry for every transaction ever admitted).
    Pending(Arc<PendingTx>),
    /// In block `block` at `index` (the chain holds the receipt).
    Included { block: u64, index: u32 },
    /// Dropped or replaced: rare, so boxed to keep the index's entries small.
    Gone(Box<TxStatus>),
}

// The index keeps an entry per transaction ever admitted; keep it small.
const _: () = assert!(std::mem::size_of::<Seen>() == 16);

/// The pending transactions, and the fate of every transaction the mempool admitted.
#[derive(Clone, Debug, Default)]
pub struct Mempool {
    /// Each sender's pending transactions. A queue that empties stays until the next
    /// block plan ([`Mempool::heads`]) clears it, so a sender that sends again in
    /// between keeps its slot.
    by_sender: AddressMap<NonceQueue>,
    /// Every admitted transaction by hash. One lookup answers a duplicate check, a
    /// status query and where an included transaction's receipt is.
    index: B256Map<Seen>,
    pending: usize,
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
        self.pending
    }

    /// Whether no transaction is pending.
    pub fn is_empty(&self) -> bool {
        self.pending == 0
    }

    /// The next nonce after `sender`'s contiguous pending transactions from `account_nonce`.
    pub fn next_nonce(&self, sender: Address, account_nonce: u64) -> u64 {
        self.by_sender
            .get(&sender)
            .map_or(account_nonce, |q| q.next_nonce(account_nonce))
    }

    /// Admits `request` under its hash for `chain_id`. A request without a nonce takes
    /// the sender's next free one (`account_nonce` is asked only then). A pending
    /// transaction with the same sender and nonce is replaced if this one pays enough more.
    /// A refused request may leave its sender an empty queue (see `by_sender`).
    pub(crate) fn admit(
        &mut self,
        request: TxRequest,
        chain_id: u64,
        account_nonce: impl FnOnce() -> u64,
    ) -> Result<Arc<PendingTx>, SubmitError> {
        let sender = request.from;
        let queue = self.by_sender.entry(sender).or_default();
        let nonce = request
            .nonce
            .unwrap_or_else(|| queue.next_nonce(account_nonce()));
        let blob_hashes = request.blob_hashes();
        let hash = request.hash_with_blob_hashes(chain_id, nonce, &blob_hashes);
        let Entry::Vacant(seen) = self.index.entry(hash) else {
            return Err(SubmitError::AlreadyKnown(hash));
        };
        let slot = queue.find(nonce);
        let replaced = match slot {
            Ok(i) => {
                let existing = &queue.0[i];
                let bump = |x: u128| x + x * u128::from(self.bump_percent) / 100;
                let min_max_fee = bump(existing.request.max_fee_per_gas);
                let min_tip = bump(existing.request.max_priority_fee_per_gas);
                if request.max_fee_per_gas < min_max_fee
                    || request.max_priority_fee_per_gas < min_tip
                {
                    return Err(SubmitError::ReplacementUnderpriced {
                        existing: existing.hash,
                        bump_percent: self.bump_percent,
                        min_max_fee,
                        min_tip,
                    });
                }
                Some(existing.hash)
            }
            Err(_) => None,
        };
        let tx = Arc::new(PendingTx {
            hash,
            request,
            blob_hashes,
            nonce,
            arrival: self.next_arrival,
        });
        self.next_arrival += 1;
        seen.insert(Seen::Pending(tx.clone()));
        match slot {
            Ok(i) => queue.0[i] = tx.clone(),
            Err(i) => {
                queue.0.insert(i, tx.clone());
                self.pending += 1;
            }
        }
        if let Some(old) = replaced {
            let status = TxStatus::Replaced { by: hash };
            self.index.insert(old, Seen::Gone(Box::new(status)));
        }
        Ok(tx)
    }

    /// The status of `hash` if the mempool admitted it.
    pub fn status(&self, hash: &TxHash) -> Option<TxStatus> {
        Some(match self.index.get(hash)? {
            Seen::Pending(_) => TxStatus::Pending,
            Seen::Included { block, index } => TxStatus::Included {
                block: *block,
                index: *index,
            },
            Seen::Gone(status) => (**status).clone(),
        })
    }

    /// Block number and index of included transaction `hash`.
    pub(crate) fn location(&self, hash: &TxHash) -> Option<(u64, u32)> {
        match self.index.get(hash)? {
            Seen::Included { block, index } => Some((*block, *index)),
            _ => None,
        }
    }

    /// The pending transaction `hash`.
    pub fn get(&self, hash: &TxHash) -> Option<&Arc<PendingTx>> {
        match self.index.get(hash)? {
            Seen::Pending(tx) => Some(tx),
            _ => None,
        }
    }

    /// Each sender's transaction at its account nonce, after dropping the transactions
    /// whose nonce the account has passed. In no particular order.
    pub(crate) fn heads(&mut self, account_nonce: impl Fn(&Address) -> u64) -> Vec<Arc<PendingTx>> {
        let Self {
            by_sender,
            index,
            pending,
            ..
        } = self;
        let mut heads = Vec::with_capacity(by_sender.len());
        by_sender.retain(|sender, queue| {
            let account_nonce = account_nonce(sender);
            let stale = queue.0.partition_point(|tx| tx.nonce < account_nonce);
            for tx in queue.0.drain(..stale) {
                let reason = DropReason::StaleNonce {
                    nonce: tx.nonce,
                    account_nonce,
                };
                tracing::debug!(hash = %tx.hash, %reason, "l1 mempool: dropped");
                let status = TxStatus::Dropped { reason };
                index.insert(tx.hash, Seen::Gone(Box::new(status)));
                *pending -= 1;
            }
            if let Some(head) = queue.get(account_nonce) {
                heads.push(head.clone());
            }
            !queue.0.is_empty()
        });
        heads
    }

    /// Records pending transaction `hash` as included at `index` of block `block` (the
    /// chain's receipts answer for it from now on). Returns its sender's pending
    /// transaction with the next nonce, if any.
    pub(crate) fn include(
        &mut self,
        hash: &TxHash,
        block: u64,
        index: u32,
    ) -> Option<Arc<PendingTx>> {
        self.settle(hash, Seen::Included { block, index }).flatten()
    }

    /// Drops pending transaction `hash`, recording why.
    pub(crate) fn drop_tx(&mut self, hash: &TxHash, reason: DropReason) {
        if matches!(self.index.get(hash), Some(Seen::Pending(_))) {
            tracing::debug!(%hash, %reason, "l1 mempool: dropped");
            self.settle(hash, Seen::Gone(Box::new(TxStatus::Dropped { reason })));
        }
    }

    /// Moves pending transaction `hash` out of its queue, to `to`. `None` if it was not
    /// pending; otherwise its sender's pending transaction with the next nonce, if any.
    fn settle(&mut self, hash: &TxHash, to: Seen) -> Option<Option<Arc<PendingTx>>> {
        let seen = self.index.get_mut(hash)?;
        let Seen::Pending(tx) = seen else {
            return None;
        };
        let (sender, nonce) = (tx.request.from, tx.nonce);
        *seen = to;
        self.pending -= 1;
        let queue = self.by_sender.get_mut(&sender)?;
        if let Ok(i) = queue.find(nonce) {
            queue.0.remove(i);
        }
        Some(queue.get(nonce + 1).cloned())
    }

    /// Pending transactions in order of arrival.
    pub fn pending(&self) -> Vec<Arc<PendingTx>> {
        let mut all: Vec<_> = self
            .by_sender
            .values()
            .flat_map(|q| q.0.iter().cloned())
            .collect();
        all.sort_by_key(|t| t.arrival);
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::U256;

    const CHAIN_ID: u64 = 1;

    fn transfer(from: u8, nonce: Option<u64>, tip: u128) -> TxRequest {
        let mut r = TxRequest::transfer(
            Address::repeat_byte(from),
            Address::repeat_byte(0xee),
            U256::from(1),
        )
        .fees(100, tip);
        r.nonce = nonce;
        r
    }

    #[test]
    fn every_admitted_transaction_keeps_one_fate() {
        let mut pool = Mempool::new(10);
        let alice = Address::repeat_byte(1);
        // Nonces are taken from the account nonce on, contiguously.
        let a0 = pool.admit(transfer(1, None, 1), CHAIN_ID, || 5).unwrap();
        let a1 = pool.admit(transfer(1, None, 1), CHAIN_ID, || 5).unwrap();
        assert_eq!((a0.nonce, a1.nonce), (5, 6));
        assert_eq!(pool.next_nonce(alice, 5), 7);
        let b = pool.admit(transfer(2, Some(0), 1), CHAIN_ID, || 0).unwrap();
        assert_eq!(pool.len(), 3);
        assert_eq!(pool.status(&a0.hash), Some(TxStatus::Pending));

        // The same transaction again is a duplicate; a 10% bump replaces it.
        assert_eq!(
            pool.admit(transfer(2, Some(0), 1), CHAIN_ID, || 0)
                .unwrap_err(),
            SubmitError::AlreadyKnown(b.hash)
        );
        let b2 = pool
            .admit(transfer(2, Some(0), 2).fees(110, 2), CHAIN_ID, || 0)
            .unwrap();
        assert_eq!(
            pool.status(&b.hash),
            Some(TxStatus::Replaced { by: b2.hash })
        );
        assert_eq!(pool.len(), 3);

        // Inclusion hands over the sender's next nonce and answers for the receipt.
        let next = pool.include(&a0.hash, 9, 0);
        assert_eq!(next.map(|t| t.hash), Some(a1.hash));
        assert_eq!(pool.location(&a0.hash), Some((9, 0)));
        assert_eq!(
            pool.status(&a0.hash),
            Some(TxStatus::Included { block: 9, index: 0 })
        );
        assert!(pool.get(&a0.hash).is_none());
        assert_eq!(
            pool.admit(transfer(1, Some(5), 1), CHAIN_ID, || 6)
                .unwrap_err(),
            SubmitError::AlreadyKnown(a0.hash)
        );
        assert_eq!(pool.len(), 2);

        // Planning a block drops what the account nonce has passed and offers the rest.
        let heads = pool.heads(|sender| if *sender == alice { 7 } else { 0 });
        assert_eq!(heads.len(), 1);
        assert_eq!(heads[0].hash, b2.hash);
        assert_eq!(
            pool.status(&a1.hash),
            Some(TxStatus::Dropped {
                reason: DropReason::StaleNonce {
                    nonce: 6,
                    account_nonce: 7
                }
            })
        );
        assert_eq!(pool.len(), 1);
        assert_eq!(pool.next_nonce(alice, 7), 7);
        assert_eq!(
            pool.pending().iter().map(|t| t.hash).collect::<Vec<_>>(),
            [b2.hash]
        );

        // An underpriced replacement is refused and leaves no trace.
        let carol = transfer(3, Some(0), 1);
        pool.admit(carol.clone(), CHAIN_ID, || 0).unwrap();
        assert!(matches!(
            pool.admit(carol.fees(101, 1), CHAIN_ID, || 0),
            Err(SubmitError::ReplacementUnderpriced { .. })
        ));
        assert_eq!(pool.len(), 2);
    }

    #[test]
    fn emptied_queues_last_until_the_next_block_plan() {
        let mut pool = Mempool::new(10);
        let a = pool.admit(transfer(1, Some(0), 1), CHAIN_ID, || 0).unwrap();
        assert_eq!(pool.include(&a.hash, 1, 0), None);
        pool.admit(transfer(1, Some(0), 1), CHAIN_ID, || 1)
            .unwrap_err();
        assert_eq!(pool.by_sender.len(), 1);
        assert!(pool.is_empty());
        assert!(pool.pending().is_empty());
        assert!(pool.heads(|_| 1).is_empty());
        assert!(pool.by_sender.is_empty());
    }
}
