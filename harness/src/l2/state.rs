//! The rollup state and its native executor. Accounts sit in a Poseidon sparse Merkle
//! tree; the constant-product pool's reserves and the count of consumed bridge deposits
//! sit beside it; the state root commits to all three. [`L2State::apply`] runs a batch the
//! way every honest node and the batch circuit do: an invalid transaction is skipped with
//! its reason and changes nothing, so a sequenced batch is always provable. It also
//! records the witness the circuit needs ([`BatchTrace`]).

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256};
use serde::{Deserialize, Serialize};

use super::codec::Batch;
use super::smt::{
    felt, hash_fields, leaf_hash, Digest, MerkleProof, SmtError, SparseMerkleTree, F, LEAF_FIELDS,
};
use super::tx::{
    address_limbs, word, Action, Asset, L2Tx, MAX_AMOUNT, SWAP_FEE_NUM, SWAP_FEE_SHIFT, TX_WORDS,
};
use super::tx::{key_address, l2_key, SigningKey};
use super::wots::{KeyDigest, Signature};

/// Default depth of the account tree (about a million accounts).
pub const DEFAULT_DEPTH: usize = 20;
/// Deepest account tree: indices are 32-bit in the codec and the circuit.
pub const MAX_ACCOUNT_DEPTH: usize = 32;

/// An L2 account: its owner's L1 address, a balance per asset, a nonce and the digest
/// of the one-time key its next transaction must be signed with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Owner (withdrawals go there on L1).
    pub owner: Address,
    /// Balances indexed by [`Asset::code`].
    pub balances: [u64; 2],
    /// Next nonce.
    pub nonce: u64,
    /// Digest of the current one-time key (see [`super::wots`]).
    pub key: KeyDigest,
}

impl Account {
    /// The leaf's field elements: owner limbs, ETH balance, token balance, nonce, key.
    pub fn fields(&self) -> [F; LEAF_FIELDS] {
        let l = address_limbs(&self.owner);
        [
            felt(l[0]),
            felt(l[1]),
            felt(l[2]),
            felt(l[3]),
            felt(l[4]),
            felt(self.balances[0]),
            felt(self.balances[1]),
            felt(self.nonce),
            felt(self.key[0]),
            felt(self.key[1]),
        ]
    }

    /// A fresh account at `index` for the holder of the L1 key `key`: its address owns
    /// the account, its key of nonce 0 ([`l2_key`]) signs the first transaction.
    pub fn for_key(key: &SigningKey, index: u64, balances: [u64; 2]) -> Self {
        Self {
            owner: key_address(key),
            balances,
            nonce: 0,
            key: l2_key(key, index, 0),
        }
    }

    /// The leaf digest (an absent account is the zero digest): [`leaf_hash`] of its
    /// fields, domain-separated from the tree's inner nodes.
    pub fn digest(&self) -> Digest {
        leaf_hash(&self.fields())
    }

    /// Balance of `asset`.
    pub fn balance(&self, asset: Asset) -> u64 {
        self.balances[asset.code() as usize]
    }
}

/// Why a transaction was skipped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum SkipReason {
    /// The signature does not verify against the account's current key.
    #[error("bad signature")]
    BadSignature,
    /// The chain id names another sequencer.
    #[error("chain id {chain_id} does not authorise sequencer {sequencer}")]
    WrongChainId {
        /// The transaction's chain id.
        chain_id: u64,
        /// The batch's sequencer.
        sequencer: u64,
    },
    /// The sending account index is outside the tree or empty.
    #[error("account {0} does not exist")]
    UnknownAccount(u64),
    /// A deposit names an account outside the tree: it is refunded on L1 to its owner
    /// (a withdrawal of the same asset and amount) once the batch is verified.
    #[error("deposit account {0} is outside the account tree: refunded on L1")]
    DepositAccountOutOfTree(u64),
    /// Nonce mismatch.
    #[error("nonce {got}, account expects {expected}")]
    BadNonce {
        /// Account nonce.
        expected: u64,
        /// Transaction nonce.
        got: u64,
    },
    /// The receiver of a transfer does not exist.
    #[error("receiver {0} does not exist")]
    UnknownReceiver(u64),
    /// Balance below amount plus fee.
    #[error("insufficient {asset:?}: needs {needed}, has {available}")]
    InsufficientBalance {
        /// Asset short.
        asset: Asset,
        /// Needed (fees plus amount can exceed 64 bits' worth of any balance).
        needed: u128,
        /// Available.
        available: u64,
    },
    /// The swap's output is below the user's bound.
    #[error("swap output {out} below minimum {min_out}")]
    SlippageExceeded {
        /// What the pool would pay.
        out: u64,
        /// The user's bound.
        min_out: u64,
    },
    /// A deposit would open an account without naming its key (only the owner may name
    /// one, on L1): it is refunded on L1 to its owner once the batch is verified.
    #[error("deposit to the empty account {0} names no key: refunded on L1")]
    DepositWithoutKey(u64),
    /// A deposit names an account that belongs to someone else: it is refunded on L1
    /// to its owner (a withdrawal of the same asset and amount) once the batch is
    /// verified.
    #[error(
        "deposit for {owner} names account {account} owned by another address: refunded on L1"
    )]
    DepositAccountTaken {
        /// Account named.
        account: u64,
        /// The deposit's owner.
        owner: Address,
    },
}

/// What happened to one transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum TxOutcome {
    /// Applied.
    Applied {
        /// Swap output (0 for other kinds).
        swap_out: u64,
    },
    /// Skipped: no balance changed. A transaction skipped after its authorization
    /// (funds, receiver, slippage) still used its nonce and its one-time key.
    Skipped(SkipReason),
}

/// A transaction's receipt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxReceipt {
    /// [`L2Tx::hash`].
    pub hash: B256,
    /// Outcome.
    pub outcome: TxOutcome,
}

/// A withdrawal the bridge pays on L1 once the batch is verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdrawal {
    /// Recipient (the account's owner).
    pub owner: Address,
    /// Asset.
    pub asset: Asset,
    /// Amount in L2 units.
    pub amount: u64,
}

impl Withdrawal {
    /// Its six words in the withdrawal commitment: owner limbs, then
    /// `asset * 2^62 + amount`.
    pub fn words(&self) -> [u64; 6] {
        let l = address_limbs(&self.owner);
        [
            l[0],
            l[1],
            l[2],
            l[3],
            l[4],
            (self.asset.code() << 62) | self.amount,
        ]
    }
}

/// Errors that reject a whole batch (nothing is applied).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExecError {
    /// Deposits must be consumed in queue order.
    #[error("transaction {position}: deposit {got} out of order, the queue is at {expected}")]
    DepositOutOfOrder {
        /// Position in the batch.
        position: usize,
        /// Next deposit index.
        expected: u64,
        /// Index in the transaction.
        got: u64,
    },
    /// A balance or reserve would reach 2^62 (the L2's supply bound per asset). The
    /// bridge caps its escrow at that bound, so no batch the L1 accepts reaches it.
    #[error("transaction {position}: a balance would exceed the supply bound 2^62 - 1")]
    SupplyBound {
        /// Position in the batch.
        position: usize,
    },
    /// The batch has more transactions than the requested circuit shape.
    #[error("batch of {txs} transactions does not fit a circuit of {slots} slots")]
    TooLong {
        /// Transactions in the batch.
        txs: usize,
        /// Slots in the shape.
        slots: usize,
    },
}

/// Witness of one leaf touched by a slot: the account before, and its Merkle path at the
/// root the slot saw at that moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeafWitness {
    /// Account before (None: empty leaf).
    pub before: Option<Account>,
    /// Path (its index is the transaction's index truncated to the tree depth).
    pub path: MerkleProof,
}

/// Witness of one swap (zeros for other kinds): quotient and remainder of the pool's
/// division.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SwapWitness {
    /// Output.
    pub out: u64,
    /// Remainder of `in_net * reserve_out / (reserve_in + in_net)`.
    pub rem: u64,
}

/// Witness of one slot of the batch circuit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotTrace {
    /// The transaction's words (all zero for padding).
    pub words: [u64; TX_WORDS],
    /// Its signature (all zero for deposits and padding).
    pub signature: Signature,
    /// Whether the signature verifies against the sender's key (the circuit
    /// recomputes it from the two).
    pub sig_ok: bool,
    /// The sender / deposit account.
    pub a: LeafWitness,
    /// The transfer receiver (index 0 for other kinds), after `a` was updated.
    pub b: LeafWitness,
    /// Whether the ETH balance covers the ETH debit (fees plus an ETH amount, compared
    /// as integers: a debit of 2^62 or more is never covered).
    pub funds_eth: bool,
    /// Whether the token balance covers the token debit.
    pub funds_token: bool,
    /// Swap division (zeros unless the swap is funded: an unfunded swap's input may be
    /// too large for the pool's arithmetic).
    pub swap: SwapWitness,
    /// Whether the swap output meets its bound (true for other kinds).
    pub bound_ok: bool,
    /// Pool reserves (ETH, token) when the slot starts.
    pub reserves: [u64; 2],
}

impl SlotTrace {
    /// The debits the circuit compares against the sender's balances, from the words
    /// alone (whatever the kind): ETH = fees + amount if the asset is ETH; token = amount
    /// if the asset is the token. Exact integers: the ETH debit can reach 3 * 2^62.
    pub fn debits(words: &[u64; TX_WORDS]) -> [u128; 2] {
        let mut d = [
            words[word::FEE_BASE] as u128 + words[word::FEE_TIP] as u128,
            0,
        ];
        d[(words[word::ASSET] & 1) as usize] += words[word::AMOUNT] as u128;
        d
    }

    /// Whether the sender's balances cover both debits.
    pub fn funded(&self) -> bool {
        self.funds_eth && self.funds_token
    }

    /// Sets the comparison bits the circuit checks, from the words, the sender's leaf
    /// and the swap witness.
    fn set_comparators(&mut self) {
        let bal = self.a.before.unwrap_or_default().balances;
        let d = Self::debits(&self.words);
        self.funds_eth = bal[0] as u128 >= d[0];
        self.funds_token = bal[1] as u128 >= d[1];
        self.bound_ok = self.swap.out >= self.words[word::MIN_OUT];
    }

    /// A padding slot against `leaf` (index 0).
    pub fn padding(leaf: &LeafWitness, reserves: [u64; 2]) -> Self {
        let mut s = Self {
            words: [0; TX_WORDS],
            signature: Signature::default(),
            sig_ok: false,
            a: leaf.clone(),
            b: leaf.clone(),
            funds_eth: true,
            funds_token: true,
            swap: SwapWitness::default(),
            bound_ok: true,
            reserves,
        };
        s.set_comparators();
        s
    }
}

/// Everything the batch circuit needs to prove one batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchTrace {
    /// Sequencer, L1 block, fee account.
    pub header: [u64; 3],
    /// Pool reserves before.
    pub reserves_before: [u64; 2],
    /// Deposits consumed before.
    pub deposits_before: u64,
    /// Account-tree root before.
    pub accounts_root_before: Digest,
    /// One per transaction, in order.
    pub slots: Vec<SlotTrace>,
    /// Witness for padding slots (against index 0 after the last transaction).
    pub padding: SlotTrace,
    /// The fee account, after all transactions.
    pub fee_leaf: LeafWitness,
}

/// The result of applying a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchOutcome {
    /// State root before.
    pub old_root: Digest,
    /// State root after.
    pub new_root: Digest,
    /// One receipt per transaction.
    pub receipts: Vec<TxReceipt>,
    /// Withdrawals to pay on L1, in order.
    pub withdrawals: Vec<Withdrawal>,
    /// Base fees and tips the applied transactions paid.
    pub fees: super::tx::Fee,
    /// Whether they went to the batch's fee account (false: it is outside the tree,
    /// and the fees are burnt).
    pub fees_credited: bool,
    /// Circuit witness.
    pub trace: BatchTrace,
}

/// The L2 state.
#[derive(Clone, Debug)]
pub struct L2State {
    tree: SparseMerkleTree,
    accounts: BTreeMap<u64, Account>,
    reserves: [u64; 2],
    deposits_consumed: u64,
}

/// The state root: Poseidon of the account root, the two reserves and the deposit count.
pub fn state_root(accounts_root: Digest, reserves: [u64; 2], deposits: u64) -> Digest {
    let mut v = accounts_root.elements.to_vec();
    v.extend([felt(reserves[0]), felt(reserves[1]), felt(deposits)]);
    hash_fields(&v)
}

/// Output of the pool for `amount_in` against reserves `(r_in, r_out)`: the fee-reduced
/// input and the floor division's quotient and remainder.
pub fn swap_quote(amount_in: u64, r_in: u64, r_out: u64) -> (u64, SwapWitness) {
    let in_net = amount_in - SWAP_FEE_NUM * (amount_in >> SWAP_FEE_SHIFT);
    let num = in_net as u128 * r_out as u128;
    let den = r_in as u128 + in_net as u128;
    if den == 0 {
        return (in_net, SwapWitness::default());
    }
    let out = (num / den) as u64;
    let rem = (num % den) as u64;
    (in_net, SwapWitness { out, rem })
}

impl L2State {
    /// An empty state with an account tree of `depth` and a pool holding `reserves`.
    pub fn new(depth: usize, reserves: [u64; 2]) -> Result<Self, SmtError> {
        if depth > MAX_ACCOUNT_DEPTH {
            return Err(SmtError::BadDepth(depth));
        }
        Ok(Self {
            tree: SparseMerkleTree::new(depth)?,
            accounts: BTreeMap::new(),
            reserves,
            deposits_consumed: 0,
        })
    }

    /// Opens (or overwrites) an account at genesis, outside any batch.
    pub fn set_account(&mut self, index: u64, account: Account) -> Result<(), SmtError> {
        self.tree.set(index, account.digest())?;
        self.accounts.insert(index, account);
        Ok(())
    }

    /// Tree depth.
    pub fn depth(&self) -> usize {
        self.tree.depth()
    }

    /// The state root.
    pub fn root(&self) -> Digest {
        state_root(self.tree.root(), self.reserves, self.deposits_consumed)
    }

    /// The account at `index`.
    pub fn account(&self, index: u64) -> Option<&Account> {
        self.accounts.get(&index)
    }

    /// All accounts by index.
    pub fn accounts(&self) -> &BTreeMap<u64, Account> {
        &self.accounts
    }

    /// Pool reserves (ETH, token).
    pub fn reserves(&self) -> [u64; 2] {
        self.reserves
    }

    /// Deposits consumed from the bridge's queue so far.
    pub fn deposits_consumed(&self) -> u64 {
        self.deposits_consumed
    }

    /// Sum of all balances plus the pool's reserves, per asset.
    pub fn supply(&self) -> [u128; 2] {
        let mut s = [self.reserves[0] as u128, self.reserves[1] as u128];
        for a in self.accounts.values() {
            s[0] += a.balances[0] as u128;
            s[1] += a.balances[1] as u128;
        }
        s
    }

    fn in_tree(&self, index: u64) -> bool {
        index >> self.depth() == 0
    }

    fn leaf_witness(&self, index: u64) -> LeafWitness {
        let truncated = index & ((1u64 << self.depth()) - 1);
        LeafWitness {
            before: self.accounts.get(&truncated).copied(),
            path: self
                .tree
                .proof(truncated)
                .expect("truncated index is in range"),
        }
    }

    fn write(&mut self, index: u64, account: Account) {
        self.tree
            .set(index, account.digest())
            .expect("index checked against the depth");
        self.accounts.insert(index, account);
    }

    /// Applies `batch`. On error nothing changes.
    pub fn apply(&mut self, batch: &Batch) -> Result<BatchOutcome, ExecError> {
        let mut next = self.clone();
        let outcome = next.apply_in_place(batch)?;
        *self = next;
        Ok(outcome)
    }

    fn apply_in_place(&mut self, batch: &Batch) -> Result<BatchOutcome, ExecError> {
        let old_root = self.root();
        let mut trace = BatchTrace {
            header: batch.header_words(),
            reserves_before: self.reserves,
            deposits_before: self.deposits_consumed,
            accounts_root_before: self.tree.root(),
            slots: Vec::with_capacity(batch.txs.len()),
            padding: SlotTrace::padding(&self.leaf_witness(0), self.reserves),
            fee_leaf: self.leaf_witness(0),
        };
        let mut receipts = Vec::with_capacity(batch.txs.len());
        let mut withdrawals = Vec::new();
        let mut fees = super::tx::Fee::default();
        for (position, tx) in batch.txs.iter().enumerate() {
            let (slot, outcome) = self.apply_tx(batch.sequencer, position, tx)?;
            match (&outcome, tx) {
                (TxOutcome::Applied { .. }, L2Tx::User(u)) => {
                    fees.base = fees.base.saturating_add(u.fee.base);
                    fees.tip = fees.tip.saturating_add(u.fee.tip);
                    if let Action::Withdraw { asset, amount } = u.action {
                        let owner = self.accounts[&u.from].owner;
                        withdrawals.push(Withdrawal {
                            owner,
                            asset,
                            amount,
                        });
                    }
                }
                // A deposit that cannot be placed goes back to its owner on L1.
                (TxOutcome::Skipped(_), L2Tx::Deposit(d)) => withdrawals.push(Withdrawal {
                    owner: d.owner,
                    asset: d.asset,
                    amount: d.amount,
                }),
                _ => {}
            }
            trace.slots.push(slot);
            receipts.push(TxReceipt {
                hash: tx.hash(),
                outcome,
            });
        }
        trace.padding = SlotTrace::padding(&self.leaf_witness(0), self.reserves);
        trace.fee_leaf = self.leaf_witness(batch.fee_account);
        // Fees to the fee account, opened if empty; burnt if it is outside the tree.
        let fees_credited = self.in_tree(batch.fee_account);
        if fees_credited {
            let mut fee_acc = trace.fee_leaf.before.unwrap_or_default();
            fee_acc.balances[0] = checked(fee_acc.balances[0], fees.total(), batch.txs.len())?;
            self.write(batch.fee_account, fee_acc);
        }
        Ok(BatchOutcome {
            old_root,
            new_root: self.root(),
            receipts,
            withdrawals,
            fees,
            fees_credited,
            trace,
        })
    }

    fn apply_tx(
        &mut self,
        sequencer: u64,
        position: usize,
        tx: &L2Tx,
    ) -> Result<(SlotTrace, TxOutcome), ExecError> {
        let words = tx.words();
        let a = self.leaf_witness(words[word::FROM]);
        let mut slot = SlotTrace {
            words,
            signature: tx.signature(),
            sig_ok: false,
            a: a.clone(),
            b: a.clone(),
            funds_eth: true,
            funds_token: true,
            swap: SwapWitness::default(),
            bound_ok: true,
            reserves: self.reserves,
        };
        slot.set_comparators();
        let from = words[word::FROM];
        let outcome = match tx {
            L2Tx::Deposit(d) => {
                if d.index != self.deposits_consumed {
                    return Err(ExecError::DepositOutOfOrder {
                        position,
                        expected: self.deposits_consumed,
                        got: d.index,
                    });
                }
                self.deposits_consumed += 1;
                let skip = if !self.in_tree(d.account) {
                    Some(SkipReason::DepositAccountOutOfTree(d.account))
                } else if a.before.is_some_and(|acc| acc.owner != d.owner) {
                    Some(SkipReason::DepositAccountTaken {
                        account: d.account,
                        owner: d.owner,
                    })
                } else if a.before.is_none() && d.key == [0, 0] {
                    Some(SkipReason::DepositWithoutKey(d.account))
                } else {
                    None
                };
                let outcome = match skip {
                    Some(reason) => TxOutcome::Skipped(reason),
                    None => {
                        let mut acc = a.before.unwrap_or(Account {
                            owner: d.owner,
                            key: d.key,
                            ..Account::default()
                        });
                        let i = d.asset.code() as usize;
                        acc.balances[i] = checked(acc.balances[i], d.amount, position)?;
                        self.write(d.account, acc);
                        TxOutcome::Applied { swap_out: 0 }
                    }
                };
                // The circuit's second leaf is index 0, untouched, after the update.
                slot.b = self.leaf_witness(words[word::TO]);
                outcome
            }
            L2Tx::User(u) => {
                let asset = words[word::ASSET] as usize;
                let debit = SlotTrace::debits(&words);
                let acc = a.before.filter(|_| self.in_tree(from));
                if let Some(acc) = acc {
                    slot.sig_ok = u.authorized_by(acc.key);
                }
                let (r_in, r_out) = (self.reserves[asset], self.reserves[1 - asset]);
                // The pool quotes only a funded swap: its input is then at most the
                // sender's balance, so reserve + input stays within the supply bound.
                if let (Action::Swap { amount_in, .. }, true) = (u.action, slot.funded()) {
                    slot.swap = swap_quote(amount_in, r_in, r_out).1;
                }
                slot.set_comparators();
                let to = words[word::TO];
                let mut acc = match Self::authorize(u, acc, slot.sig_ok, sequencer) {
                    Ok(acc) => acc,
                    Err(reason) => {
                        slot.b = self.leaf_witness(to);
                        return Ok((slot, TxOutcome::Skipped(reason)));
                    }
                };
                // Authorized: the nonce advances and the one-time key rotates whether or
                // not the transaction applies (the key has signed; it must never sign
                // again).
                acc.nonce += 1;
                acc.key = u.next_key;
                let skip = if !slot.funds_eth || !slot.funds_token {
                    let i = if slot.funds_eth { 1 } else { 0 };
                    Some(SkipReason::InsufficientBalance {
                        asset: Asset::from_code(i as u64).expect("0 or 1"),
                        needed: debit[i],
                        available: acc.balances[i],
                    })
                } else {
                    match u.action {
                        Action::Transfer { to, .. }
                            if !self.in_tree(to) || !self.accounts.contains_key(&to) =>
                        {
                            Some(SkipReason::UnknownReceiver(to))
                        }
                        Action::Swap { min_out, .. } if !slot.bound_ok => {
                            Some(SkipReason::SlippageExceeded {
                                out: slot.swap.out,
                                min_out,
                            })
                        }
                        _ => None,
                    }
                };
                if let Some(reason) = skip {
                    self.write(from, acc);
                    slot.b = self.leaf_witness(to);
                    return Ok((slot, TxOutcome::Skipped(reason)));
                }
                // Funded: each debit is at most its balance.
                acc.balances[0] -= debit[0] as u64;
                acc.balances[1] -= debit[1] as u64;
                let mut swap_out = 0;
                if let Action::Swap { amount_in, .. } = u.action {
                    swap_out = slot.swap.out;
                    acc.balances[1 - asset] = checked(acc.balances[1 - asset], swap_out, position)?;
                    self.reserves[asset] = checked(r_in, amount_in, position)?;
                    self.reserves[1 - asset] = r_out - swap_out;
                }
                self.write(from, acc);
                slot.b = self.leaf_witness(to);
                if let Action::Transfer { to, amount, .. } = u.action {
                    let mut recv = self.accounts[&to];
                    recv.balances[asset] = checked(recv.balances[asset], amount, position)?;
                    self.write(to, recv);
                }
                TxOutcome::Applied { swap_out }
            }
        };
        Ok((slot, outcome))
    }
}

impl L2State {
    /// The sender's account if `u` is authorized to spend from it: the account exists,
    /// the nonce is its next one, the signature verifies against its key (`sig_ok`) and
    /// the chain id admits `sequencer`.
    fn authorize(
        u: &super::tx::UserTx,
        acc: Option<Account>,
        sig_ok: bool,
        sequencer: u64,
    ) -> Result<Account, SkipReason> {
        let acc = acc.ok_or(SkipReason::UnknownAccount(u.from))?;
        if acc.nonce != u.nonce {
            return Err(SkipReason::BadNonce {
                expected: acc.nonce,
                got: u.nonce,
            });
        }
        if !sig_ok {
            return Err(SkipReason::BadSignature);
        }
        if u.chain_id != 0 && u.chain_id != sequencer {
            return Err(SkipReason::WrongChainId {
                chain_id: u.chain_id,
                sequencer,
            });
        }
        Ok(acc)
    }
}

fn checked(balance: u64, credit: u64, position: usize) -> Result<u64, ExecError> {
    balance
        .checked_add(credit)
        .filter(|&v| v <= MAX_AMOUNT)
        .ok_or(ExecError::SupplyBound { position })
}
