//! The transaction pool and block building that sequencers and PoS validators share:
//! users' transactions ordered by a policy (each sender's in nonce order), the bridge's
//! pending deposits first, over the sequenced (virtual) state followed from L1. The pool
//! admits only transactions the codec can carry, proposes only those whose signature
//! verifies against the sender's key at that nonce, and is bounded.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use alloy_primitives::B256;
use serde::{Deserialize, Serialize};
use zkarena_harness::l2::state::{BatchOutcome, ExecError, L2State};
use zkarena_harness::l2::wots::{self, KeyDigest};
use zkarena_harness::l2::{Batch, Deposit, L2Tx, UserTx};

use crate::msg::RollupEvent;

/// How a sequencer orders transactions (the seed's fee discussion).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// Highest tip first (the seed's proposal: the tip is the sequencer's reward).
    #[default]
    Tip,
    /// Most L2 gas first: a reward proportional to gas, which starves simple
    /// transactions when batches are full.
    Gas,
}

/// L2 gas of a transaction under the gas-based policy: a swap touches the pool and
/// costs the most, a withdrawal pays out on L1, a transfer is the simple case.
pub fn l2_gas(tx: &L2Tx) -> u64 {
    use zkarena_harness::l2::Action;
    match tx {
        L2Tx::User(u) => match u.action {
            Action::Transfer { .. } => 21_000,
            Action::Withdraw { .. } => 40_000,
            Action::Swap { .. } => 90_000,
        },
        L2Tx::Deposit(_) => 0,
    }
}

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

/// Most transactions a pool holds; more are refused (as a node's transaction pool
/// refuses past its limit), so that a flood of transactions that never become valid
/// cannot exhaust memory.
pub const MAX_POOL: usize = 16_384;

/// A pooled transaction: its arrival time and the key digest its signature verifies
/// against (computed once, on arrival).
#[derive(Clone, Debug)]
struct Pooled {
    tx: L2Tx,
    hash: B256,
    arrival: u64,
    signed_by: KeyDigest,
}

impl Pooled {
    /// The pooled transaction (only user transactions enter the pool).
    fn user(&self) -> &UserTx {
        match &self.tx {
            L2Tx::User(u) => u,
            L2Tx::Deposit(_) => unreachable!("`receive` pools user transactions only"),
        }
    }
}

/// A pool of L2 transactions over the sequenced state.
#[derive(Clone, Debug)]
pub struct Builder {
    state: L2State,
    pool: Vec<Pooled>,
    seen: BTreeSet<B256>,
    /// Every transaction admitted, in order of arrival (what a fate check reads from
    /// a cursor, without copying the rest).
    arrivals: Vec<B256>,
    deposits: VecDeque<Deposit>,
}

impl Builder {
    /// An empty pool over `state`.
    pub fn new(state: L2State) -> Self {
        Self {
            state,
            pool: Vec::new(),
            seen: BTreeSet::new(),
            arrivals: Vec::new(),
            deposits: VecDeque::new(),
        }
    }

    /// Takes a user transaction that arrived at `now_ms`. Ignored: a copy already
    /// seen, a deposit (those come from L1), one the codec cannot carry (an element
    /// out of the field, a value above its bound: every batch holding it would be
    /// malformed), and any once the pool is full.
    pub fn receive(&mut self, tx: L2Tx, now_ms: u64) {
        let L2Tx::User(u) = tx else { return };
        let hash = tx.hash();
        if self.seen.contains(&hash) || self.pool.len() >= MAX_POOL {
            return;
        }
        let carried = Batch::from_plain_record(&Batch::plain_record(&tx)).is_ok_and(|t| t == tx);
        if !carried {
            return;
        }
        self.seen.insert(hash);
        self.arrivals.push(hash);
        self.pool.push(Pooled {
            tx,
            hash,
            arrival: now_ms,
            signed_by: wots::recover(&u.signature, u.message(), u.from, u.nonce),
        });
    }

    /// Queues a bridge deposit read from L1.
    pub fn deposit(&mut self, deposit: Deposit) {
        self.deposits.push_back(deposit);
    }

    /// The sequenced state.
    pub fn state(&self) -> &L2State {
        &self.state
    }

    /// Transactions waiting for a batch.
    pub fn pending(&self) -> Vec<B256> {
        self.pool.iter().map(|p| p.hash).collect()
    }

    /// Transactions admitted after the first `from`, in order of arrival.
    pub fn arrived_since(&self, from: usize) -> &[B256] {
        self.arrivals.get(from..).unwrap_or(&[])
    }

    /// How many transactions were ever admitted.
    pub fn arrived(&self) -> usize {
        self.arrivals.len()
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
        // What the batch included leaves, and so does what its sender's nonce has passed
        // (it could only be skipped).
        let done: BTreeSet<B256> = outcome.receipts.iter().map(|r| r.hash).collect();
        let state = &self.state;
        self.pool.retain(|p| {
            let u = p.user();
            let next = state.account(u.from).map_or(0, |a| a.nonce);
            !done.contains(&p.hash) && u.nonce >= next
        });
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
        let mut by_sender: BTreeMap<u64, Vec<&Pooled>> = BTreeMap::new();
        for p in &self.pool {
            by_sender.entry(p.user().from).or_default().push(p);
        }
        for (from, queue) in by_sender.iter_mut() {
            queue.sort_by_key(|p| (p.user().nonce, p.arrival));
            let account = self.state.account(*from);
            let (next, key) = account.map_or((0, [0, 0]), |a| (a.nonce, a.key));
            *queue = self.proposable(queue, next, key, admit);
            queue.reverse(); // pop from the back
        }
        while txs.len() < cap {
            let best = by_sender
                .iter()
                .filter_map(|(&from, q)| {
                    q.last().map(|p| {
                        let key = match policy {
                            Policy::Tip => p.tx.fee().tip,
                            Policy::Gas => l2_gas(&p.tx),
                        };
                        (from, key, p.arrival)
                    })
                })
                .max_by_key(|&(from, tip, arrival)| {
                    (tip, std::cmp::Reverse(arrival), std::cmp::Reverse(from))
                });
            let Some((from, _, _)) = best else { break };
            let p = by_sender
                .get_mut(&from)
                .and_then(|q| q.pop())
                .expect("non-empty");
            txs.push(p.tx);
        }
        Batch {
            sequencer: header.sequencer,
            l1_block: header.l1_block,
            fee_account: header.fee_account,
            txs,
        }
    }

    /// A sender's transactions (sorted by nonce, then arrival) that may go into a
    /// batch, in nonce order from the account's next nonce `next` and key `key`: at
    /// each nonce the first whose signature verifies against the key in force there
    /// (the previous one's next key), up to the first `admit` refuses or the first
    /// nonce missing (lost in flight, say, while this sequencer was down: the later
    /// ones wait for its resend, as they would only be skipped for the gap).
    /// Transactions that do not verify are never proposed.
    fn proposable<'a>(
        &self,
        queue: &[&'a Pooled],
        mut next: u64,
        mut key: KeyDigest,
        admit: &dyn Fn(&L2Tx) -> bool,
    ) -> Vec<&'a Pooled> {
        let mut out = Vec::new();
        for p in queue {
            let u = p.user();
            if u.nonce < next || p.signed_by != key {
                continue;
            }
            if u.nonce > next || !admit(&p.tx) {
                break;
            }
            out.push(*p);
            next += 1;
            key = u.next_key;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use zkarena_harness::l2::state::Account;
    use zkarena_harness::l2::tx::deterministic_key;
    use zkarena_harness::l2::{Action, Asset, Fee, UserTx};

    use super::*;

    const HEADER: Header = Header {
        sequencer: 1,
        l1_block: 1,
        fee_account: 3,
    };

    fn pay(key: &zkarena_harness::l2::tx::SigningKey, from: u64, nonce: u64, tip: u64) -> L2Tx {
        let action = Action::Transfer {
            to: 2,
            asset: Asset::Eth,
            amount: 1,
        };
        L2Tx::User(UserTx::sign(
            key,
            from,
            nonce,
            Fee { base: 1, tip },
            0,
            action,
        ))
    }

    fn pool() -> (Builder, [zkarena_harness::l2::tx::SigningKey; 2]) {
        let keys = [deterministic_key(2, "alice"), deterministic_key(2, "bob")];
        let mut state = L2State::new(8, [1 << 20, 1 << 20]).unwrap();
        for (i, k) in keys.iter().enumerate() {
            let index = i as u64 + 1;
            state
                .set_account(index, Account::for_key(k, index, [1 << 20, 1 << 20]))
                .unwrap();
        }
        (Builder::new(state), keys)
    }

    #[test]
    fn a_transaction_the_codec_cannot_carry_never_enters_the_pool() {
        let (mut b, [alice, _]) = pool();
        let L2Tx::User(mut bad) = pay(&alice, 1, 0, 1) else {
            unreachable!()
        };
        bad.next_key[0] = u64::MAX; // not a field element
        b.receive(L2Tx::User(bad), 0);
        bad.next_key[0] = 0;
        bad.signature.0[3][1] = u64::MAX;
        b.receive(L2Tx::User(bad), 0);
        assert!(b.pending().is_empty());
        let batch = b.build(HEADER, 64, Policy::Tip, &|_| true);
        assert!(Batch::decode(&batch.encode(zkarena_harness::l2::Format::Compact)).is_ok());
    }

    #[test]
    fn only_transactions_signed_with_the_key_in_force_are_proposed() {
        let (mut b, [alice, bob]) = pool();
        // Bob signs for Alice's account with a huge tip; Alice's own two follow.
        b.receive(pay(&bob, 1, 0, 1_000), 0);
        let (a0, a1) = (pay(&alice, 1, 0, 1), pay(&alice, 1, 1, 1));
        b.receive(a1, 1);
        b.receive(a0, 2);
        let batch = b.build(HEADER, 64, Policy::Tip, &|_| true);
        assert_eq!(batch.txs, vec![a0, a1]);
        // Once Alice's nonce passed it, the forgery leaves the pool.
        b.apply(&batch).unwrap();
        assert!(b.pending().is_empty());
    }
}
