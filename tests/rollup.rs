//! Rollup core: the native executor's rules, the batch and aggregation circuits, and
//! proofs checked from Solidity by the L1 verifier precompile.

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolCall;
use plonky2::field::types::{Field, PrimeField64};
use zkarena_harness::l1::contracts::bindings;
use zkarena_harness::l1::tx::TxRequest;
use zkarena_harness::l2::state::{BatchTrace, ExecError, SkipReason};
use zkarena_harness::l2::tx::{deterministic_key, key_address};
use zkarena_harness::l2::wots::SIG_BYTES;
use zkarena_harness::l2::{Action, Asset, Batch, Deposit, Fee, Format, L2Tx, UserTx, Withdrawal};
use zkarena_harness::sim::SimRng;
use zkarena_harness::zk::precompile::VerifierRegistry;
use zkarena_harness::zk::{digest_to_b256, CircuitCache, ProofKind, ProofMode, Prover, ShapeFacts};

mod common;
use common::*;

#[test]
fn executor_applies_each_kind_and_moves_exactly_the_amounts() {
    let mut w = World::new(3);
    let owner = Address::repeat_byte(0x77);
    // The depositor names the account: the first free one after users 1..=3.
    let new_account = 4;
    assert!(w.state.account(new_account).is_none(), "a free account");
    let (r_eth, r_tok) = (POOL[0] as u128, POOL[1] as u128);
    let amount_in = 1_000_000u64;
    let in_net = amount_in - 3 * (amount_in >> 10);
    let expected_out = (in_net as u128 * r_tok / (r_eth + in_net as u128)) as u64;
    let b = Batch {
        sequencer: 7,
        l1_block: 3,
        fee_account: 3,
        txs: vec![
            w.tx(0, 0, 0, eth(2, 1_000)),
            w.tx(
                1,
                0,
                7,
                Action::Swap {
                    asset_in: Asset::Eth,
                    amount_in,
                    min_out: expected_out,
                },
            ),
            w.tx(
                1,
                1,
                0,
                Action::Withdraw {
                    asset: Asset::Token,
                    amount: 77,
                },
            ),
            L2Tx::Deposit(Deposit {
                index: 0,
                account: new_account,
                owner,
                asset: Asset::Eth,
                amount: 5_000,
                key: [7, 9],
            }),
        ],
    };
    let supply_before = w.state.supply();
    let out = w.state.apply(&b).unwrap();
    assert_eq!(skipped(&out), vec![None, None, None, None]);
    // Sender 1 paid 1000 + fee 15; receiver 2 got 1000 then swapped and withdrew.
    assert_eq!(w.balance(1, Asset::Eth), FUNDS - 1_000 - 15);
    assert_eq!(w.balance(2, Asset::Eth), FUNDS + 1_000 - amount_in - 30);
    assert_eq!(w.balance(2, Asset::Token), FUNDS + expected_out - 77);
    assert_eq!(
        w.state.reserves(),
        [POOL[0] + amount_in, POOL[1] - expected_out]
    );
    // Fee account 3 earned the three user fees.
    assert_eq!(w.balance(3, Asset::Eth), FUNDS + 45);
    assert_eq!(out.fees, Fee { base: 30, tip: 15 });
    assert_eq!(w.state.account(new_account).unwrap().owner, owner);
    assert_eq!(
        w.state.account(new_account).unwrap().key,
        [7, 9],
        "its deposit's key"
    );
    assert_eq!(w.balance(new_account, Asset::Eth), 5_000);
    assert_eq!(w.state.deposits_consumed(), 1);
    assert_eq!(
        out.withdrawals,
        vec![Withdrawal {
            owner: key_address(&w.keys[1]),
            asset: Asset::Token,
            amount: 77
        }]
    );
    // Supply: ETH grew by the deposit; token shrank by the withdrawal.
    let after = w.state.supply();
    assert_eq!(after[0], supply_before[0] + 5_000);
    assert_eq!(after[1], supply_before[1] - 77);
    assert_eq!(w.state.account(1).unwrap().nonce, 1);
    assert_eq!(w.state.account(2).unwrap().nonce, 2);
}

#[test]
fn invalid_transactions_are_skipped_with_their_reason_and_move_no_balance() {
    let w = World::new(3);
    let other = deterministic_key(1, "mallory");
    let forged = L2Tx::User(UserTx::sign(&other, 1, 0, FEE, 0, eth(2, 1)));
    let cases: Vec<(L2Tx, SkipReason)> = vec![
        (forged, SkipReason::BadSignature),
        (
            w.tx(0, 0, 8, eth(2, 1)),
            SkipReason::WrongChainId {
                chain_id: 8,
                sequencer: 7,
            },
        ),
        (
            w.tx(0, 3, 0, eth(2, 1)),
            SkipReason::BadNonce {
                expected: 0,
                got: 3,
            },
        ),
        (
            w.tx(0, 0, 0, eth(2, FUNDS)),
            SkipReason::InsufficientBalance {
                asset: Asset::Eth,
                needed: FUNDS as u128 + 15,
                available: FUNDS,
            },
        ),
        (w.tx(0, 0, 0, eth(99, 1)), SkipReason::UnknownReceiver(99)),
        (
            w.tx(0, 0, 0, eth(1 << 21, 1)),
            SkipReason::UnknownReceiver(1 << 21),
        ),
        (
            w.tx(
                0,
                0,
                0,
                Action::Swap {
                    asset_in: Asset::Token,
                    amount_in: 1_000,
                    min_out: 1_000,
                },
            ),
            SkipReason::SlippageExceeded {
                out: 499,
                min_out: 1_000,
            },
        ),
        (
            L2Tx::Deposit(Deposit {
                index: 0,
                account: 2,
                owner: Address::repeat_byte(1),
                asset: Asset::Eth,
                amount: 9,
                key: [0, 0],
            }),
            SkipReason::DepositAccountTaken {
                account: 2,
                owner: Address::repeat_byte(1),
            },
        ),
    ];
    for (tx, reason) in cases {
        let mut state = w.state.clone();
        let root = state.root();
        let out = state.apply(&batch(7, vec![tx])).unwrap();
        assert_eq!(skipped(&out), vec![Some(reason.clone())]);
        // Nothing leaves the L2, except that a deposit it cannot place is refunded on
        // L1 to the deposit's owner.
        let refund: Vec<Withdrawal> = match tx {
            L2Tx::Deposit(d) => vec![Withdrawal {
                owner: d.owner,
                asset: d.asset,
                amount: d.amount,
            }],
            L2Tx::User(_) => vec![],
        };
        assert_eq!(out.withdrawals, refund, "{reason}");
        assert_eq!(
            out.fees,
            Fee::default(),
            "{reason}: a skipped tx pays nothing"
        );
        // A transaction skipped after its authorization (signature, nonce, chain id)
        // used its nonce and its one-time key: the sender's nonce advances and its key
        // becomes the next one, and no balance moves.
        let authorized = matches!(
            reason,
            SkipReason::InsufficientBalance { .. }
                | SkipReason::UnknownReceiver(_)
                | SkipReason::SlippageExceeded { .. }
        );
        for i in 1..=3u64 {
            let mut expected = *w.state.account(i).unwrap();
            if let (L2Tx::User(u), true) = (tx, authorized && i == 1) {
                expected.nonce += 1;
                expected.key = u.next_key;
            }
            assert_eq!(state.account(i), Some(&expected), "{reason}: account {i}");
        }
        assert_eq!(state.reserves(), POOL);
        if matches!(tx, L2Tx::Deposit(_)) {
            assert_ne!(out.new_root, root, "a skipped deposit is still consumed");
            assert_eq!(state.deposits_consumed(), 1);
        } else {
            assert_eq!(out.new_root == root, !authorized, "{reason}: the root");
        }
    }
}

#[test]
fn an_out_of_order_deposit_rejects_the_whole_batch() {
    let mut w = World::new(2);
    let root = w.state.root();
    let dep = |index| {
        L2Tx::Deposit(Deposit {
            index,
            account: 5,
            owner: Address::repeat_byte(5),
            asset: Asset::Token,
            amount: 1,
            key: [0, 0],
        })
    };
    let err = w
        .state
        .apply(&batch(1, vec![w.tx(0, 0, 0, eth(2, 1)), dep(1)]))
        .unwrap_err();
    assert_eq!(
        err,
        ExecError::DepositOutOfOrder {
            position: 1,
            expected: 0,
            got: 1
        }
    );
    assert_eq!(w.state.root(), root, "nothing was applied");
}

/// A random batch: mostly valid traffic with every invalid case mixed in.
fn random_batch(w: &World, rng: &mut SimRng, len: usize, deposits: &mut u64) -> Batch {
    let mut nonces = vec![0u64; w.keys.len()];
    let mut txs = Vec::new();
    for _ in 0..len {
        let u = rng.below(w.keys.len() as u64) as usize;
        let chain_id = *[0, 0, 0, 7, 8].get(rng.below(5) as usize).unwrap();
        let nonce = if rng.chance(0.1) {
            nonces[u] + 1
        } else {
            nonces[u]
        };
        let asset = if rng.chance(0.5) {
            Asset::Eth
        } else {
            Asset::Token
        };
        let amount = if rng.chance(0.1) {
            FUNDS * 2
        } else {
            1 + rng.below(1_000_000)
        };
        let tx = match rng.below(5) {
            0 | 1 => w.tx(
                u,
                nonce,
                chain_id,
                Action::Transfer {
                    to: 1 + rng.below(w.keys.len() as u64 + 1),
                    asset,
                    amount,
                },
            ),
            2 => w.tx(
                u,
                nonce,
                chain_id,
                Action::Swap {
                    asset_in: asset,
                    amount_in: amount,
                    min_out: rng.below(2 * amount),
                },
            ),
            3 => w.tx(u, nonce, chain_id, Action::Withdraw { asset, amount }),
            _ => {
                *deposits += 1;
                L2Tx::Deposit(Deposit {
                    index: *deposits - 1,
                    account: 1 + rng.below(w.keys.len() as u64 + 2),
                    owner: if rng.chance(0.5) {
                        key_address(&w.keys[u])
                    } else {
                        Address::repeat_byte(0xd0)
                    },
                    asset,
                    amount,
                    key: [0, 0],
                })
            }
        };
        if let L2Tx::User(t) = &tx {
            if t.nonce == nonces[u] {
                nonces[u] += 1;
            }
        }
        txs.push(tx);
    }
    Batch {
        sequencer: 7,
        l1_block: 1,
        fee_account: rng.below(4),
        txs,
    }
}

#[test]
fn circuit_and_executor_agree_on_random_batches() {
    // Fixed seeds; prove_batch checks the proof's roots and accumulators against the
    // native execution and fails with ZkError::Disagree otherwise.
    for seed in [1u64, 2, 3] {
        let mut w = World::new(5);
        let mut rng = SimRng::stream(seed, "batches");
        let mut deposits = 0;
        for round in 0..2 {
            let b = random_batch(&w, &mut rng, 14, &mut deposits);
            let out = w.state.apply(&b).unwrap();
            let skips = skipped(&out).iter().filter(|s| s.is_some()).count();
            assert!(skips > 0 && skips < b.txs.len(), "seed {seed}: a mix");
            let proof =
                prove(DEPTH, &out).unwrap_or_else(|e| panic!("seed {seed} round {round}: {e}"));
            assert_eq!(proof.public.new_root, digest_to_b256(&out.new_root));
            assert_eq!(
                proof.kind,
                ProofKind::Batch {
                    depth: DEPTH,
                    slots: 16
                }
            );
        }
    }
}

#[test]
fn proofs_round_trip_through_the_l1_verifier() {
    let registry = VerifierRegistry::new(false);
    let prover = Prover::new(ProofMode::Real);
    let batch_vd = CircuitCache::global()
        .batch(DEPTH, 4)
        .data()
        .verifier_data();
    let (batch_key, vd_size) = registry.register(&batch_vd);
    assert!(vd_size < 4096, "verifier data is {vd_size} bytes");
    let agg_vd = CircuitCache::global()
        .aggregation(&batch_vd)
        .data()
        .verifier_data();
    let (agg_key, _) = registry.register(&agg_vd);
    assert_eq!(batch_key, prover.batch_key(DEPTH, 4));

    let mut w = World::new(2);
    let alice = key_address(&w.keys[0]);
    let (mut chain, d, rollup) = l1_with_rollup(
        &registry,
        digest_to_b256(&w.state.root()),
        vec![batch_key, agg_key],
    );
    // Proofs are bound to this rollup and the test's prover account.
    let bound = zkarena_harness::zk::proof_binding(&rollup, &Address::repeat_byte(0xee));
    chain.set_balance(alice, U256::from(10u128.pow(18)));
    chain.set_balance(Address::repeat_byte(0xee), U256::from(10u128.pow(20)));
    // Alice deposits 1 ETH on L1; the batch consumes it, and she withdraws 0.4 ETH.
    chain
        .transact(
            TxRequest::call(
                alice,
                d.bridge,
                bindings::Bridge::depositEthCall {
                    l2Recipient: alice,
                    l2Account: 1,
                    l2Key: 0,
                }
                .abi_encode(),
            )
            .value(U256::from(10u128.pow(18) / 2)),
        )
        .unwrap();
    let deposit = L2Tx::Deposit(Deposit {
        index: 0,
        account: 1,
        owner: alice,
        asset: Asset::Eth,
        amount: 500_000_000,
        key: [0, 0],
    });
    let b1 = batch(
        3,
        vec![
            deposit,
            w.tx(
                0,
                0,
                0,
                Action::Withdraw {
                    asset: Asset::Eth,
                    amount: 400_000_000,
                },
            ),
        ],
    );
    let fork = w.state.clone();
    let out1 = w.state.apply(&b1).unwrap();
    assert_eq!(skipped(&out1), vec![None, None]);
    let p1 = prover
        .prove_batch(DEPTH, &out1, Default::default(), Default::default(), bound)
        .unwrap();
    sequence(&mut chain, rollup, &b1, Format::Compact);

    // A proof from another starting state (a fork where batch 1 was different).
    let mut other = fork;
    let b1_other = batch(3, vec![w.tx(0, 0, 0, eth(2, 5))]);
    let out_other = other.apply(&b1_other).unwrap();
    let p_other = prover
        .prove_batch(
            DEPTH,
            &out_other,
            Default::default(),
            Default::default(),
            bound,
        )
        .unwrap();
    let reason = revert_of(
        &mut chain,
        rollup,
        verify_call(1, 1, &p_other, p_other.bytes.clone(), &[]),
    );
    assert!(reason.starts_with("BatchRangeMismatch("), "{reason}");

    // Tampered proofs: one byte flipped (in the proof body), truncated.
    let mut flipped = p1.bytes.to_vec();
    let n = flipped.len();
    flipped[n / 2] ^= 1;
    let reason = revert_of(
        &mut chain,
        rollup,
        verify_call(1, 1, &p1, flipped.into(), &out1.withdrawals),
    );
    assert!(
        reason.starts_with("InvalidProof(") || reason.starts_with("MalformedProof("),
        "{reason}"
    );
    let truncated = p1.bytes.slice(..p1.bytes.len() - 100);
    let reason = revert_of(
        &mut chain,
        rollup,
        verify_call(1, 1, &p1, truncated, &out1.withdrawals),
    );
    assert!(reason.starts_with("MalformedProof("), "{reason}");
    // Withdrawals that are not the proven ones.
    let mut wrong = out1.withdrawals.clone();
    wrong[0].amount += 1;
    let reason = revert_of(
        &mut chain,
        rollup,
        verify_call(1, 1, &p1, p1.bytes.clone(), &wrong),
    );
    assert!(reason.starts_with("WithdrawalsMismatch("), "{reason}");

    // The real one lands, moves the root and pays Alice.
    let before = chain.balance(alice);
    let receipt = chain
        .transact(prover_tx(
            rollup,
            verify_call(1, 1, &p1, p1.bytes.clone(), &out1.withdrawals),
        ))
        .unwrap();
    eprintln!(
        "verifyBatches gas: {} for {} proof bytes",
        receipt.gas_used,
        p1.bytes.len()
    );
    assert_eq!(
        chain.balance(alice) - before,
        U256::from(400_000_000u64) * U256::from(10u64.pow(9))
    );
    let root = chain
        .call_sol(alice, rollup, &bindings::TestRollup::stateRootCall {})
        .unwrap();
    assert_eq!(root, digest_to_b256(&out1.new_root));

    // Replayed: the range is no longer the next one.
    let reason = revert_of(
        &mut chain,
        rollup,
        verify_call(1, 1, &p1, p1.bytes.clone(), &out1.withdrawals),
    );
    assert_eq!(reason, "RangeNotNext(1, 2)");

    // Two more batches, proven apart and aggregated; verified as one range.
    let b2 = batch(3, vec![w.tx(1, 0, 0, eth(1, 7))]);
    let out2 = w.state.apply(&b2).unwrap();
    let b3 = batch(
        4,
        vec![w.tx(
            0,
            1,
            0,
            Action::Withdraw {
                asset: Asset::Eth,
                amount: 1_000,
            },
        )],
    );
    let out3 = w.state.apply(&b3).unwrap();
    let acc1 = zkarena_harness::zk::b256_to_digest(&p1.public.batch_out).unwrap();
    let p2 = prover
        .prove_batch(DEPTH, &out2, acc1, Default::default(), bound)
        .unwrap();
    let wd2 = zkarena_harness::zk::b256_to_digest(&p2.public.withdrawals_out).unwrap();
    let acc2 = zkarena_harness::zk::b256_to_digest(&p2.public.batch_out).unwrap();
    let p3 = prover.prove_batch(DEPTH, &out3, acc2, wd2, bound).unwrap();
    // Batch 2's transactions proven from another root (the genesis state): the range
    // and accumulators match, the starting root does not.
    let mut stale = World::new(2).state;
    let out2_stale = stale.apply(&b2).unwrap();
    let p2_stale = prover
        .prove_batch(DEPTH, &out2_stale, acc1, Default::default(), bound)
        .unwrap();
    sequence(&mut chain, rollup, &b2, Format::Plain);
    let reason = revert_of(
        &mut chain,
        rollup,
        verify_call(2, 2, &p2_stale, p2_stale.bytes.clone(), &[]),
    );
    assert!(reason.starts_with("OldRootMismatch("), "{reason}");
    let agg = prover.aggregate(&p2, &p3).unwrap();
    assert_eq!(agg.verifier_key, agg_key);
    // Every real proof of a circuit has the length its shape gives (what dev proofs
    // take), batch and aggregation alike, and the table holds the built circuit's facts.
    let batch_facts = zkarena_harness::zk::shape::batch_facts(DEPTH, 4);
    let built = ShapeFacts::of(CircuitCache::global().batch(DEPTH, 4).data());
    assert_eq!(
        (
            batch_facts.verifier_key,
            batch_facts.plain_len,
            batch_facts.rows
        ),
        (built.verifier_key, built.plain_len, built.rows)
    );
    // Compressed (calldata) proofs vary around the table's typical length.
    for p in [&p2, &p3, &p2_stale] {
        let typical = batch_facts.calldata_len as f64;
        assert!((p.bytes.len() as f64 - typical).abs() < 0.05 * typical);
    }
    for p in [&p2, &p3, &p2_stale] {
        assert_eq!(p.fixed_bytes.len(), batch_facts.plain_len);
    }
    let agg_facts = ShapeFacts::of(CircuitCache::global().aggregation(&batch_vd).data());
    assert_eq!(agg.fixed_bytes.len(), agg_facts.plain_len);
    let dev = Prover::new(ProofMode::Dev);
    let d2 = dev
        .prove_batch(DEPTH, &out2, acc1, Default::default(), bound)
        .unwrap();
    let d3 = dev.prove_batch(DEPTH, &out3, acc2, wd2, bound).unwrap();
    let dev_agg = dev.aggregate(&d2, &d3).unwrap();
    assert_eq!(
        (dev_agg.verifier_key, dev_agg.fixed_bytes.len()),
        (agg_key, agg_facts.plain_len)
    );
    assert!(
        prover.aggregate(&p3, &p2).is_err(),
        "ranges must join in order"
    );
    sequence(&mut chain, rollup, &b3, Format::Plain);
    let before = chain.balance(alice);
    chain
        .transact(prover_tx(
            rollup,
            verify_call(2, 3, &agg, agg.bytes.clone(), &out3.withdrawals),
        ))
        .unwrap();
    assert_eq!(
        chain.balance(alice) - before,
        U256::from(1_000u64) * U256::from(10u64.pow(9))
    );
    let root = chain
        .call_sol(alice, rollup, &bindings::TestRollup::stateRootCall {})
        .unwrap();
    assert_eq!(root, digest_to_b256(&w.state.root()));
}

#[test]
fn dev_proofs_pass_only_a_dev_mode_verifier() {
    let mut w = World::new(2);
    let b = batch(1, vec![w.tx(0, 0, 0, eth(2, 5))]);
    let genesis = digest_to_b256(&w.state.root());
    let out = w.state.apply(&b).unwrap();
    let prover = Prover::new(ProofMode::Dev);
    for dev_mode in [false, true] {
        let registry = VerifierRegistry::new(dev_mode);
        let facts = zkarena_harness::zk::shape::batch_facts(DEPTH, 4);
        let key = prover.batch_key(DEPTH, 4);
        assert_eq!(
            key, facts.verifier_key,
            "a dev proof goes under the real key"
        );
        registry.register_dev(&facts);
        let (mut chain, _, rollup) = l1_with_rollup(&registry, genesis, vec![key]);
        let bound = zkarena_harness::zk::proof_binding(&rollup, &Address::repeat_byte(0xee));
        let p = prover
            .prove_batch(DEPTH, &out, Default::default(), Default::default(), bound)
            .unwrap();
        chain.set_balance(Address::repeat_byte(0xee), U256::from(10u128.pow(20)));
        sequence(&mut chain, rollup, &b, Format::Compact);
        assert_eq!(
            (p.bytes.len(), p.fixed_bytes.len()),
            (facts.calldata_len, facts.plain_len),
            "as long as a real proof"
        );
        let data = verify_call(1, 1, &p, p.bytes.clone(), &[]);
        if dev_mode {
            // A dev proof cut short, or padded, is not the circuit's size: refused.
            for len in [p.bytes.len() - 8, p.bytes.len() + 8] {
                let mut bytes = p.bytes.to_vec();
                bytes.resize(len, 1);
                let reason =
                    revert_of(&mut chain, rollup, verify_call(1, 1, &p, bytes.into(), &[]));
                assert!(reason.starts_with("MalformedProof("), "{reason}");
            }
            chain.transact(prover_tx(rollup, data)).unwrap();
        } else {
            assert_eq!(revert_of(&mut chain, rollup, data), "DevProofRejected()");
        }
    }
}

#[test]
fn malformed_batches_are_rejected_at_sequencing_with_their_offset() {
    let registry = VerifierRegistry::new(false);
    let (mut chain, _, rollup) = l1_with_rollup(&registry, B256::ZERO, vec![]);
    chain.set_balance(Address::repeat_byte(0xee), U256::from(10u128.pow(20)));
    let w = World::new(1);
    let mut bytes = batch(1, vec![w.tx(0, 0, 0, eth(1, 1))]).encode(Format::Plain);
    bytes.truncate(bytes.len() - 3);
    let call = bindings::TestRollup::sequenceCall {
        batch: bytes.into(),
    };
    let reason = revert_of(&mut chain, rollup, call.abi_encode());
    assert!(reason.starts_with("MalformedBatch("), "{reason}");
    assert!(
        reason.contains("truncated: signature needs 3 more bytes"),
        "{reason}"
    );
}

/// The circuit must refuse a tampered witness: proving fails, or the proof does not
/// verify.
fn assert_unprovable(trace: &BatchTrace, what: &str) {
    let circuit = CircuitCache::global().batch(DEPTH, 4);
    match circuit.prove(
        trace,
        Default::default(),
        Default::default(),
        Default::default(),
    ) {
        Err(_) => {}
        Ok(p) => assert!(
            circuit.data().verify(p).is_err(),
            "{what}: a proof verified"
        ),
    }
}

#[test]
fn witnesses_breaking_a_rule_cannot_be_proven() {
    let w = World::new(3);
    let t_pay = w.tx(0, 0, 0, eth(2, 1_000));
    let b = batch(
        7,
        vec![
            t_pay,
            t_pay,                                // nonce reuse: skipped
            w.tx(1, 0, 0, eth(3, FUNDS + 2_000)), // overdraft: skipped
            w.tx(
                2,
                0,
                0,
                Action::Swap {
                    asset_in: Asset::Token,
                    amount_in: 1 << 20,
                    min_out: 0,
                },
            ),
        ],
    );
    let honest = w.state.clone().apply(&b).unwrap();
    assert_eq!(
        skipped(&honest)
            .iter()
            .map(|s| s.is_some())
            .collect::<Vec<_>>(),
        vec![false, true, true, false]
    );
    // The honest trace proves.
    let circuit = CircuitCache::global().batch(DEPTH, 4);
    let good = circuit
        .prove(
            &honest.trace,
            Default::default(),
            Default::default(),
            Default::default(),
        )
        .unwrap();
    circuit.data().verify(good.clone()).unwrap();

    // Overdraft: claim the balance covers the transfer.
    let mut t = honest.trace.clone();
    t.slots[2].funds_eth = true;
    assert_unprovable(&t, "overdraft");
    // Nonce reuse: present the account as if its nonce were still 0.
    let mut t = honest.trace.clone();
    t.slots[1].a.before.as_mut().unwrap().nonce = 0;
    assert_unprovable(&t, "nonce reuse");
    // Bad swap output, too high or too low.
    let mut t = honest.trace.clone();
    t.slots[3].swap.out += 1;
    assert_unprovable(&t, "swap pays more");
    let mut t = honest.trace.clone();
    let den = w.state.reserves()[1] + (1 << 20) - 3 * 1024;
    t.slots[3].swap.out -= 1;
    t.slots[3].swap.rem += den;
    assert_unprovable(&t, "swap pays less");
    // A wrong new root: a different fee-account balance before the credit.
    let mut t = honest.trace.clone();
    t.fee_leaf.before.as_mut().unwrap().balances[0] += 1;
    assert_unprovable(&t, "fee account");
    // Public inputs edited after proving (the new root) do not verify.
    let mut forged = good.clone();
    forged.public_inputs[4] += plonky2::field::goldilocks_field::GoldilocksField::ONE;
    assert!(circuit.data().verify(forged).is_err(), "edited new root");
}

#[test]
fn a_wrong_chain_id_cannot_be_applied_under_the_committed_batch() {
    // The transaction authorises sequencer 8 only; sequencer 7 posts it. The circuit
    // computes the skip itself, so the only way to apply it is to prove another batch
    // (another sequencer or another chain id), whose commitment is not the posted one.
    let w = World::new(2);
    let tx = w.tx(0, 0, 8, eth(2, 1_000));
    let b = batch(7, vec![tx]);
    let out = w.state.clone().apply(&b).unwrap();
    assert_eq!(
        skipped(&out),
        vec![Some(SkipReason::WrongChainId {
            chain_id: 8,
            sequencer: 7
        })]
    );
    let posted = digest_to_b256(&zkarena_harness::zk::batch_commitment(
        Default::default(),
        &b,
    ));
    let p = prove(DEPTH, &out).unwrap();
    assert_eq!(p.public.batch_out, posted);

    let circuit = CircuitCache::global().batch(DEPTH, 4);
    // Claim sequencer 8: provable, but for a batch the L1 never saw.
    let mut as_8 = b.clone();
    as_8.sequencer = 8;
    let applied = w.state.clone().apply(&as_8).unwrap();
    assert_eq!(skipped(&applied), vec![None]);
    let forged = circuit
        .prove(
            &applied.trace,
            Default::default(),
            Default::default(),
            Default::default(),
        )
        .unwrap();
    let fields: Vec<u64> = forged
        .public_inputs
        .iter()
        .map(|f| f.to_canonical_u64())
        .collect();
    let public = zkarena_harness::zk::PublicInputs::from_fields(&fields).unwrap();
    assert_ne!(public.batch_out, posted);
    assert_eq!(public.sequencer, Some(8));
    // Keep the posted header but present the transaction as applied: the circuit's own
    // chain-id check makes the witness inconsistent.
    let mut t = applied.trace.clone();
    t.header[0] = 7;
    assert_unprovable(&t, "wrong chain id applied");
}

#[test]
fn compact_encoding_shrinks_the_integer_fields_to_a_third_on_mixed_traffic() {
    // 64 mixed transactions (transfers, swaps, withdrawals, deposits) over 5 users.
    let w = World::new(5);
    let mut rng = SimRng::stream(9, "compression");
    let mut deposits = 0;
    let b = random_batch(&w, &mut rng, 64, &mut deposits);
    let plain = b.encode(Format::Plain).len();
    let compact = b.encode(Format::Compact).len();
    assert_eq!(Batch::decode(&b.encode(Format::Compact)).unwrap(), b);
    // Signatures (1,088 bytes) and key digests (16 bytes) are field elements spread
    // over the whole field: both formats write them at full width. The integer fields
    // shrink from 8 to 1-3 bytes.
    let users = b.txs.iter().filter(|t| matches!(t, L2Tx::User(_))).count();
    let fixed = users * SIG_BYTES + b.txs.len() * 16;
    let ratio = (compact - fixed) as f64 / (plain - fixed) as f64;
    eprintln!(
        "64 mixed txs ({users} signed): plain {plain} bytes, compact {compact} bytes \
         (ratio {:.3}); without signatures and keys: ratio {ratio:.3}",
        compact as f64 / plain as f64
    );
    assert!((0.25..0.4).contains(&ratio), "ratio {ratio}");
}

#[test]
fn the_latency_model_counts_the_rows_of_the_built_circuit() {
    let c = CircuitCache::global().batch(DEPTH, 4);
    assert_eq!(c.rows_per_slot(), zkarena_harness::zk::ROWS_PER_SLOT);
    // Before plonky2 adds its constant and public-input gates.
    assert!(c.gates() - 4 * c.rows_per_slot() <= zkarena_harness::zk::FIXED_ROWS);
    for slots in zkarena_harness::zk::SHAPES {
        eprintln!(
            "{slots} slots: {} rows",
            zkarena_harness::zk::batch_rows(slots)
        );
    }
    assert_eq!(c.rows(), zkarena_harness::zk::batch_rows(4));
    let c16 = CircuitCache::global().batch(DEPTH, 16);
    assert_eq!(c16.rows(), zkarena_harness::zk::batch_rows(16));
}

#[test]
fn a_batch_can_only_consume_deposits_the_bridge_queued() {
    let registry = VerifierRegistry::new(false);
    let (mut chain, d, rollup) = l1_with_rollup(&registry, B256::ZERO, vec![]);
    let alice = Address::repeat_byte(0xa1);
    chain.set_balance(alice, U256::from(10u128.pow(19)));
    chain.set_balance(Address::repeat_byte(0xee), U256::from(10u128.pow(20)));
    chain
        .transact(
            TxRequest::call(
                alice,
                d.bridge,
                bindings::Bridge::depositEthCall {
                    l2Recipient: alice,
                    l2Account: 1,
                    l2Key: 0,
                }
                .abi_encode(),
            )
            .value(U256::from(10u128.pow(18))),
        )
        .unwrap();
    let deposit = |amount, owner| {
        L2Tx::Deposit(Deposit {
            index: 0,
            account: 1,
            owner,
            asset: Asset::Eth,
            amount,
            key: [0, 0],
        })
    };
    // A sequencer minting itself money: a deposit the bridge never saw, or a real one
    // with a bigger amount or another owner.
    for fake in [
        deposit(2_000_000_000, alice),
        deposit(1_000_000_000, Address::repeat_byte(0xbb)),
    ] {
        let reason = sequence_revert(&mut chain, rollup, &batch(1, vec![fake]));
        assert!(reason.starts_with("DepositsMismatch(0, 1, "), "{reason}");
    }
    // Two deposits where one was queued.
    let two = batch(
        1,
        vec![
            deposit(1_000_000_000, alice),
            L2Tx::Deposit(Deposit {
                index: 1,
                account: 1,
                owner: alice,
                asset: Asset::Eth,
                amount: 1,
                key: [0, 0],
            }),
        ],
    );
    let reason = sequence_revert(&mut chain, rollup, &two);
    assert!(
        reason.starts_with("DepositsMismatch(0, 2, 0x0000"),
        "{reason}"
    );
    // The real one is accepted and moves the rollup's deposit counter.
    chain
        .transact(TxRequest::call(
            Address::repeat_byte(0xee),
            rollup,
            sequence_call(
                &batch(1, vec![deposit(1_000_000_000, alice)]),
                Format::Compact,
            ),
        ))
        .unwrap();
    let consumed = chain
        .call_sol(
            alice,
            rollup,
            &bindings::TestRollup::depositsSequencedCall {},
        )
        .unwrap();
    assert_eq!(consumed, 1);
    // Replaying it is out of order now.
    let reason = revert_of(
        &mut chain,
        rollup,
        sequence_call(
            &batch(1, vec![deposit(1_000_000_000, alice)]),
            Format::Compact,
        ),
    );
    assert!(
        reason.contains("deposit 0 where the queue is at 1"),
        "{reason}"
    );
}

#[test]
fn random_and_mutated_bytes_never_panic_the_decoders_or_the_verifier() {
    // Batch codec: random bytes and single-byte mutations of valid batches either
    // decode or give a typed error inside the input.
    let w = World::new(2);
    let valid = batch(
        1,
        vec![
            w.tx(0, 0, 0, eth(2, 5)),
            w.tx(
                1,
                0,
                0,
                Action::Swap {
                    asset_in: Asset::Token,
                    amount_in: 9,
                    min_out: 0,
                },
            ),
        ],
    );
    let mut rng = SimRng::stream(5, "fuzz");
    for format in [Format::Plain, Format::Compact] {
        let bytes = valid.encode(format);
        for _ in 0..2_000 {
            let mut m = bytes.clone();
            let i = rng.below(m.len() as u64) as usize;
            m[i] = rng.below(256) as u8;
            if let Err(e) = Batch::decode(&m) {
                assert!(e.offset <= m.len(), "{e}");
            }
        }
    }
    for _ in 0..2_000 {
        let len = rng.below(300) as usize;
        let junk: Vec<u8> = (0..len).map(|_| rng.below(256) as u8).collect();
        if let Err(e) = Batch::decode(&junk) {
            assert!(e.offset <= junk.len(), "{e}");
        }
    }
    // The verifier: mutated and random proofs are rejected with a revert payload.
    let registry = VerifierRegistry::new(false);
    let mut state = World::new(2).state;
    let out = state.apply(&batch(1, vec![])).unwrap();
    let p = prove(DEPTH, &out).unwrap();
    let (key, _) = registry.register(
        &CircuitCache::global()
            .batch(DEPTH, 4)
            .data()
            .verifier_data(),
    );
    assert!(registry.verify(key, &p.bytes).is_ok());
    assert!(registry.verify_plain(key, &p.fixed_bytes).is_ok());
    for _ in 0..40 {
        let mut m = p.bytes.to_vec();
        let i = rng.below(m.len() as u64) as usize;
        m[i] ^= 1 + rng.below(255) as u8;
        assert!(registry.verify(key, &m).is_err());
        let junk: Vec<u8> = (0..rng.below(2_000))
            .map(|_| rng.below(256) as u8)
            .collect();
        assert!(registry.verify(key, &junk).is_err());
        assert!(registry.verify_plain(key, &junk).is_err());
    }
}
