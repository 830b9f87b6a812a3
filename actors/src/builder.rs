//! The transaction pool and block building that sequencers and PoS validators share:
//! users' transactions ordered by a policy (each sender's in nonce order), the bridge's
//! pending deposits first, over the sequenced (virtual) state followed from L1.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use alloy_primitives::B256;
use zkarena_harness::l2::state::{BatchOutcome, ExecError, L2State};
use zkarena_harness::l2::{Batch, Deposit, L2Tx};

use crate::msg::RollupEvent;
use crate::sequencer::{l2_gas, Policy};

/// A user transaction's nonce, or a deposit's queue index: the order a sender's
/// transactions must go in.
pub(crate) fn nonce_of(tx: &L2Tx) -> u64 {
    match tx {
        L2Tx::User(u) => u.nonce,
        L2Tx::Deposit(d) => d.index,
    }
}

/// Who a batch is from: its sequencer id, L1 block and fee account.
#[derive(Clone, Copy, Debug)]
pub struct Header {
    /// Sequencer id.
    pub sequencer: u64,
    /// L1 block (or slot) it is built at.
    pub l1_block: u64,
    /// L2 account credited with its fees.
    pub fee_account: u64,
}

/// A pool of L2 transactions over the sequenced state.
#[derive(Clone, Debug)]
pub struct Builder {
    state: L2State,
    pool: Vec<(L2Tx, u64)>,
    seen: BTreeSet<B256>,
    deposits: VecDeque<Deposit>,
}

impl Builder {
    /// An empty pool over `state`.
    pub fn new(state: L2State) -> Self {
        Self {
            state,
            pool: Vec::new(),
            seen: BTreeSet::new(),
            deposits: VecDeque::new(),
        }
    }

    /// Takes a transaction that arrived at `now_ms` (a copy already seen is ignored).
    pub fn receive(&mut self, tx: L2Tx, now_ms: u64) {
        if self.seen.insert(tx.hash()) {
            self.pool.push((tx, now_ms));
        }
    }

    /// Queues a bridge deposit read from L1.
    pub fn deposit(&mut self, deposit: Deposit) {
        self.deposits.push_back(deposit);
    }

    /// The sequenced state.
    pub fn state(&self) -> &L2State {
        &self.state
    }

    /// Every transaction received.
    pub fn received(&self) -> Vec<B256> {
        self.seen.iter().copied().collect()
    }

    /// Transactions waiting for a batch.
    pub fn pending(&self) -> Vec<B256> {
        self.pool.iter().map(|(tx, _)| tx.hash()).collect()
    }

    /// Follows one rollup event from L1: queues a deposit, or applies a sequenced
    /// batch (returning its execution); other events are not its business.
    pub fn follow(&mut self, event: &RollupEvent) -> Option<Result<BatchOutcome, ExecError>> {
        match event {
            RollupEvent::Deposit {
                index,
                to,
                account,
                asset,
                amount,
                key,
            } => {
                self.deposit(Deposit {
                    index: *index,
                    account: *account,
                    owner: *to,
                    asset: *asset,
                    amount: *amount,
                    key: *key,
                });
                None
            }
            RollupEvent::BatchSequenced { batch, .. } => Some(self.apply(batch)),
            _ => None,
        }
    }

    /// Applies a batch sequenced on L1 and drops what it included from the pool.
    pub fn apply(&mut self, batch: &Batch) -> Result<BatchOutcome, ExecError> {
        let outcome = self.state.apply(batch)?;
        let done: BTreeSet<B256> = outcome.receipts.iter().map(|r| r.hash).collect();
        self.pool.retain(|(tx, _)| !done.contains(&tx.hash()));
        let consumed = self.state.deposits_consumed();
        while self.deposits.front().is_some_and(|d| d.index < consumed) {
            self.deposits.pop_front();
        }
        Ok(outcome)
    }

    /// A batch of at most `cap` transactions: pending deposits first, then users'
    /// transactions, best first by `policy`, each sender's in nonce order up to the
    /// first one `admit` refuses (a later nonce never overtakes an earlier one). May
    /// be empty.
    pub fn build(
        &self,
        header: Header,
        cap: usize,
        policy: Policy,
        admit: &dyn Fn(&L2Tx) -> bool,
    ) -> Batch {
        let cap = cap.min(64);
        let mut txs = Vec::new();
        // Deposits go to the account their depositor named (committed on L1); one that
        // cannot be placed is still consumed (and refunded on L1). Tried on a copy of
        // the state, made only when there are deposits to place.
        if !self.deposits.is_empty() {
            let mut scratch = self.state.clone();
            for &deposit in self.deposits.iter().take(cap) {
                let d = L2Tx::Deposit(deposit);
                let one = Batch {
                    sequencer: header.sequencer,
                    l1_block: header.l1_block,
                    fee_account: header.fee_account,
                    txs: vec![d],
                };
                if scratch.apply(&one).is_err() {
                    break;
                }
                txs.push(d);
            }
        }
        let mut by_sender: BTreeMap<u64, Vec<&(L2Tx, u64)>> = BTreeMap::new();
        for entry in &self.pool {
            if let L2Tx::User(u) = &entry.0 {
                by_sender.entry(u.from).or_default().push(entry);
            }
        }
        for (from, queue) in by_sender.iter_mut() {
            queue.sort_by_key(|(tx, arrival)| (nonce_of(tx), *arrival));
            // What `admit` refuses holds back the sender's later nonces too: they
            // would only be skipped for the gap. So does a nonce missing from the pool
            // (lost in flight, say, while this sequencer was down): the later ones
            // wait for its resend. Stale nonces still go in (skipped, they leave the
            // pool).
            let mut next = self.state.account(*from).map_or(0, |a| a.nonce);
            let admitted = queue
                .iter()
                .take_while(|(tx, _)| {
                    let nonce = nonce_of(tx);
                    let contiguous = nonce <= next;
                    if nonce == next {
                        next += 1;
                    }
                    contiguous && admit(tx)
                })
                .count();
            queue.truncate(admitted);
            queue.reverse(); // pop from the back
        }
        while txs.len() < cap {
            let best = by_sender
                .iter()
                .filter_map(|(&from, q)| {
                    q.last().map(|(tx, arrival)| {
                        let key = match policy {
                            Policy::Tip => tx.fee().tip,
                            Policy::Gas => l2_gas(tx),
                        };
                        (from, key, *arrival)
                    })
                })
                .max_by_key(|&(from, tip, arrival)| {
                    (tip, std::cmp::Reverse(arrival), std::cmp::Reverse(from))
                });
            let Some((from, _, _)) = best else { break };
            let (tx, _) = by_sender
                .get_mut(&from)
                .and_then(|q| q.pop())
                .expect("non-empty");
            txs.push(*tx);
        }
        Batch {
            sequencer: header.sequencer,
            l1_block: header.l1_block,
            fee_account: header.fee_account,
            txs,
        }
    }
}
