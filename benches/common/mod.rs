//! Helpers shared by the proof benches: a genesis of 32 funded accounts that signs
//! batches of valid ETH transfers, and proofs of consecutive batches.
#![allow(dead_code)]

use zkarena_harness::l2::state::{Account, BatchOutcome, L2State};
use zkarena_harness::l2::tx::{deterministic_key, SigningKey};
use zkarena_harness::l2::{Action, Asset, Batch, Fee, L2Tx, UserTx};
use zkarena_harness::zk::{b256_to_digest, Proof, Prover};

/// Depth of the account tree the benches prove over.
pub const DEPTH: usize = 20;

/// 32 funded accounts and their keys.
pub struct Users {
    state: L2State,
    keys: Vec<SigningKey>,
    nonces: Vec<u64>,
}

impl Users {
    pub fn new() -> Self {
        let mut state = L2State::new(DEPTH, [1 << 40, 1 << 40]).expect("genesis");
        let keys: Vec<_> = (0..32)
            .map(|i| deterministic_key(0, &format!("bench{i}")))
            .collect();
        for (i, k) in keys.iter().enumerate() {
            let account = Account::for_key(k, i as u64 + 1, [1 << 40, 1 << 40]);
            state.set_account(i as u64 + 1, account).expect("account");
        }
        Self {
            state,
            keys,
            nonces: vec![0; 32],
        }
    }

    /// Applies a batch of `n` valid ETH transfers.
    pub fn transfers(&mut self, n: usize) -> BatchOutcome {
        let batch = Batch {
            sequencer: 1,
            l1_block: 1,
            fee_account: 1,
            txs: (0..n).map(|i| self.transfer(i)).collect(),
        };
        self.state.apply(&batch).expect("the batch applies")
    }

    /// The `i`-th transfer of a batch, signed with its sender's next nonce.
    pub fn transfer(&mut self, i: usize) -> L2Tx {
        let from = i % 32;
        self.nonces[from] += 1;
        L2Tx::User(UserTx::sign(
            &self.keys[from],
            from as u64 + 1,
            self.nonces[from] - 1,
            Fee { base: 10, tip: 1 },
            0,
            Action::Transfer {
                to: ((i * 7 + 3) % 32) as u64 + 1,
                asset: Asset::Eth,
                amount: 1_000 + i as u64,
            },
        ))
    }
}

/// Proofs of two consecutive batches of `n` transfers (the second continues the
/// first's accumulators), ready to aggregate.
pub fn proof_pair(prover: &Prover, n: usize) -> (Proof, Proof) {
    let mut users = Users::new();
    let (first, second) = (users.transfers(n), users.transfers(n));
    let p1 = prover
        .prove_batch(
            DEPTH,
            &first,
            Default::default(),
            Default::default(),
            Default::default(),
        )
        .expect("proof");
    let digest = |b| b256_to_digest(&b).expect("digest");
    let p2 = prover
        .prove_batch(
            DEPTH,
            &second,
            digest(p1.public.batch_out),
            digest(p1.public.withdrawals_out),
            Default::default(),
        )
        .expect("proof");
    (p1, p2)
}
