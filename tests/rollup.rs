//! Rollup core: the native executor's rules, the batch and aggregation circuits, and
//! proofs checked by the L1 verifier precompile from Solidity.

use alloy_primitives::Address;
use zkarena_harness::l2::state::{Account, L2State, SkipReason, TxOutcome};
use zkarena_harness::l2::tx::SigningKey;
use zkarena_harness::l2::tx::{deterministic_key, key_address};
use zkarena_harness::l2::{Action, Asset, Batch, Deposit, Fee, L2Tx, UserTx};
use zkarena_harness::zk::{ProofMode, Prover};

const DEPTH: usize = 20;
const FEE: Fee = Fee { base: 10, tip: 5 };

struct World {
    state: L2State,
    keys: Vec<SigningKey>,
}

impl World {
    /// Accounts 1..=n with 10^12 of each asset; a pool of 10^13 ETH / 2*10^13 token.
    fn new(n: usize) -> Self {
        let mut state = L2State::new(DEPTH, [10_000_000_000_000, 20_000_000_000_000]).unwrap();
        let keys: Vec<SigningKey> = (0..n)
            .map(|i| deterministic_key(1, &format!("user{i}")))
            .collect();
        for (i, k) in keys.iter().enumerate() {
            state
                .set_account(
                    i as u64 + 1,
                    Account {
                        owner: key_address(k),
                        balances: [1_000_000_000_000, 1_000_000_000_000],
                        nonce: 0,
                    },
                )
                .unwrap();
        }
        Self { state, keys }
    }

    fn tx(&self, user: usize, nonce: u64, chain_id: u64, action: Action) -> L2Tx {
        L2Tx::User(UserTx::sign(
            &self.keys[user],
            user as u64 + 1,
            nonce,
            FEE,
            chain_id,
            action,
        ))
    }
}

fn transfer(to: u64, amount: u64) -> Action {
    Action::Transfer {
        to,
        asset: Asset::Eth,
        amount,
    }
}

#[test]
fn smoke_real_proof() {
    let mut w = World::new(4);
    let batch = Batch {
        sequencer: 7,
        l1_block: 3,
        fee_account: 4,
        txs: vec![
            w.tx(0, 0, 0, transfer(2, 1000)),
            w.tx(
                1,
                0,
                7,
                Action::Swap {
                    asset_in: Asset::Eth,
                    amount_in: 1_000_000,
                    min_out: 1,
                },
            ),
            w.tx(
                2,
                0,
                0,
                Action::Withdraw {
                    asset: Asset::Token,
                    amount: 77,
                },
            ),
            L2Tx::Deposit(Deposit {
                index: 0,
                account: 9,
                owner: Address::repeat_byte(9),
                asset: Asset::Eth,
                amount: 5,
            }),
        ],
    };
    let out = w.state.apply(&batch).unwrap();
    for r in &out.receipts {
        assert!(matches!(r.outcome, TxOutcome::Applied { .. }), "{r:?}");
    }
    let t0 = std::time::Instant::now();
    let proof = Prover::new(ProofMode::Real)
        .prove_batch(DEPTH, &out, Default::default(), Default::default())
        .unwrap();
    eprintln!("proved in {:?}, {} bytes", t0.elapsed(), proof.bytes.len());
    let _ = SkipReason::BadSignature;
}

#[test]
fn smoke_variants() {
    for n in 4..5 {
        let mut w = World::new(4);
        let all = vec![
            w.tx(0, 0, 0, transfer(2, 1000)),
            w.tx(
                1,
                0,
                7,
                Action::Swap {
                    asset_in: Asset::Eth,
                    amount_in: 1_000_000,
                    min_out: 1,
                },
            ),
            w.tx(
                2,
                0,
                0,
                Action::Withdraw {
                    asset: Asset::Token,
                    amount: 77,
                },
            ),
            L2Tx::Deposit(Deposit {
                index: 0,
                account: 9,
                owner: Address::repeat_byte(9),
                asset: Asset::Eth,
                amount: 5,
            }),
        ];
        for skip in 0..n.min(4) {
            let batch = Batch {
                sequencer: 7,
                l1_block: 3,
                fee_account: 4,
                txs: vec![all[skip]],
            };
            let mut w2 = World::new(4);
            let out = w2.state.apply(&batch).unwrap();
            let r = Prover::new(ProofMode::Real).prove_batch(
                DEPTH,
                &out,
                Default::default(),
                Default::default(),
            );
            eprintln!("single tx {skip}: {:?}", r.as_ref().err());
        }
        let batch = Batch {
            sequencer: 7,
            l1_block: 3,
            fee_account: 4,
            txs: vec![],
        };
        let out = w.state.apply(&batch).unwrap();
        let r = Prover::new(ProofMode::Real).prove_batch(
            DEPTH,
            &out,
            Default::default(),
            Default::default(),
        );
        eprintln!("empty: {:?}", r.as_ref().err());
        break;
    }
}
