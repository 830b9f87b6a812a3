//! Attacks on the rollup core and its contracts, each performed end to end and kept as a
//! regression test: a prover minting money through a fee overflow, batches the L1
//! accepts but nobody can prove, garbage forced transactions, withdrawal asset
//! aliasing, copied and replayed proofs, redirected deposits and the escrow bound,
//! forged and suppressed signatures. Each
//! test asserts that the attack fails with the typed error or revert, and that nothing
//! is lost (escrow, balances, the rollup keeps verifying).

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolConstructor};
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::plonk::config::Hasher;
use zkarena_harness::l1::chain::Chain;
use zkarena_harness::l1::contracts::{bindings, Artifact};
use zkarena_harness::l1::deploy::Deployment;
use zkarena_harness::l1::tx::TxRequest;
use zkarena_harness::l2::codec::MAX_BATCH_TXS;
use zkarena_harness::l2::smt::{felt, leaf_hash};
use zkarena_harness::l2::state::{Account, SkipReason};
use zkarena_harness::l2::tx::{
    deterministic_key, key_address, key_to_u128, l2_key, SigningKey, MAX_AMOUNT,
};
use zkarena_harness::l2::{
    Action, Asset, Batch, CodecErrorKind, Deposit, Fee, Format, L2Tx, UserTx, Withdrawal,
};
use zkarena_harness::zk::precompile::VerifierRegistry;
use zkarena_harness::zk::{
    b256_to_digest, digest_to_b256, proof_binding, withdrawal_commitment, CircuitCache, ProofMode,
    Prover, SHAPES,
};

mod common;
use common::*;

const PROVER: Address = Address::repeat_byte(0xee);
const ONE_ETH: u128 = 1_000_000_000_000_000_000;

/// A TestRollup over `w`'s genesis accepting the real batch key of shape 4 (and its
/// aggregation), the bridge's escrow seeded with `escrow_gwei` of ETH, the prover
/// funded. Returns the chain, the deployment, the rollup and the binding of `PROVER`.
fn real_rollup(w: &World, escrow_gwei: u64) -> (Chain, Deployment, Address, B256) {
    let registry = VerifierRegistry::new(false);
    let vd = CircuitCache::global()
        .batch(DEPTH, 4)
        .data()
        .verifier_data();
    let (key, _) = registry.register(&vd);
    let (mut chain, d, rollup) =
        l1_with_rollup(&registry, digest_to_b256(&w.state.root()), vec![key]);
    chain.set_balance(PROVER, U256::from(100 * ONE_ETH));
    // The bridge pays from escrow: seed it as a deposit into the rollup's queue would.
    fund_escrow(&mut chain, &d, escrow_gwei);
    (chain, d, rollup, digest_to_b256(&binding(&rollup)))
}

fn binding(rollup: &Address) -> zkarena_harness::l2::Digest {
    proof_binding(rollup, &PROVER)
}

/// Puts `gwei` of ETH into the bridge's escrow through a deposit (to an account no
/// batch in these tests consumes).
fn fund_escrow(chain: &mut Chain, d: &Deployment, gwei: u64) {
    if gwei == 0 {
        return;
    }
    let whale = Address::repeat_byte(0x5a);
    chain.set_balance(whale, U256::from(gwei as u128 * 1_000_000_000 + ONE_ETH));
    chain
        .transact(
            TxRequest::call(
                whale,
                d.bridge,
                bindings::Bridge::depositEthCall {
                    l2Recipient: whale,
                    l2Account: 1000,
                    l2Key: 0,
                }
                .abi_encode(),
            )
            .value(U256::from(gwei as u128 * 1_000_000_000)),
        )
        .unwrap();
}

fn escrow_eth(chain: &mut Chain, d: &Deployment) -> U256 {
    chain
        .call_sol(
            Address::ZERO,
            d.bridge,
            &bindings::Bridge::escrowCall::new((Address::ZERO,)),
        )
        .unwrap()
}

/// Proves `out` (real, bound to `PROVER` on `rollup`), continuing the accumulators.
fn prove_real(
    out: &zkarena_harness::l2::state::BatchOutcome,
    batch_in: B256,
    withdrawals_in: B256,
    rollup: &Address,
) -> zkarena_harness::zk::Proof {
    Prover::new(ProofMode::Real)
        .prove_batch(
            DEPTH,
            out,
            b256_to_digest(&batch_in).unwrap(),
            b256_to_digest(&withdrawals_in).unwrap(),
            binding(rollup),
        )
        .unwrap()
}

/// Sequences `b` as batch `index`, executes it on `state`, proves it after `prev` (the
/// previous batch's proof; none for the first) and verifies it with its withdrawals:
/// the rollup advances by one batch.
fn advance(
    chain: &mut Chain,
    rollup: Address,
    state: &mut zkarena_harness::l2::state::L2State,
    b: &Batch,
    index: u64,
    prev: Option<&zkarena_harness::zk::Proof>,
) -> zkarena_harness::zk::Proof {
    let out = state.apply(b).unwrap();
    sequence(chain, rollup, b, Format::Compact);
    let (batch_in, withdrawals_in) = prev.map_or((B256::ZERO, B256::ZERO), |p| {
        (p.public.batch_out, p.public.withdrawals_out)
    });
    let p = prove_real(&out, batch_in, withdrawals_in, &rollup);
    chain
        .transact(prover_tx(
            rollup,
            verify_call(index, index, &p, p.bytes.clone(), &out.withdrawals),
        ))
        .unwrap();
    p
}

#[test]
fn a_fee_overflow_cannot_mint_money_and_the_batch_still_proves() {
    // An account with nothing sends the largest base fee and tip the codec admits and
    // withdraws the largest amount: fees + amount = 3 * (2^62 - 1), which a 63-bit
    // comparison read as covered by a zero balance (the sum wrapped past the modulus).
    let mut w = World::new(2);
    let mallory = deterministic_key(1, "mallory");
    w.state
        .set_account(3, Account::for_key(&mallory, 3, [0, 0]))
        .unwrap();
    let attack = L2Tx::User(UserTx::sign(
        &mallory,
        3,
        0,
        Fee {
            base: MAX_AMOUNT,
            tip: MAX_AMOUNT,
        },
        0,
        Action::Withdraw {
            asset: Asset::Eth,
            amount: MAX_AMOUNT,
        },
    ));
    let honest_tx = w.tx(0, 0, 0, eth(2, 1_000));
    let b1 = batch(1, vec![attack, honest_tx]);
    let escrowed_gwei = 10 * FUNDS;
    let (mut chain, d, rollup, _) = real_rollup(&w, escrowed_gwei);
    let escrow_before = escrow_eth(&mut chain, &d);

    // Natively the attack is skipped for want of funds, the honest transfer applies.
    let mut state = w.state.clone();
    let out1 = state.apply(&b1).unwrap();
    assert!(matches!(
        skipped(&out1)[0],
        Some(SkipReason::InsufficientBalance {
            asset: Asset::Eth,
            available: 0,
            ..
        })
    ));
    assert_eq!(skipped(&out1)[1], None);
    assert!(out1.withdrawals.is_empty());

    // The forged witness (the balance "covers" the debit) proves nothing but the
    // honest outcome: no proof carries the withdrawal.
    let forged_withdrawals = digest_to_b256(&withdrawal_commitment(
        Default::default(),
        &[Withdrawal {
            owner: key_address(&mallory),
            asset: Asset::Eth,
            amount: MAX_AMOUNT,
        }],
    ));
    let circuit = CircuitCache::global().batch(DEPTH, 4);
    let mut forged = out1.trace.clone();
    forged.slots[0].funds_eth = true;
    forged.slots[0].funds_token = true;
    if let Ok(p) = circuit.prove(
        &forged,
        Default::default(),
        Default::default(),
        binding(&rollup),
    ) {
        let w_out = zkarena_harness::zk::PublicInputs::from_fields(
            &p.public_inputs
                .iter()
                .map(plonky2::field::types::PrimeField64::to_canonical_u64)
                .collect::<Vec<_>>(),
        )
        .unwrap()
        .withdrawals_out;
        assert_ne!(
            w_out, forged_withdrawals,
            "a proof of the minted withdrawal"
        );
    }

    // The honest prover proves the batch; the L1 verifies it and pays nothing out.
    sequence(&mut chain, rollup, &b1, Format::Compact);
    let p1 = prove_real(&out1, B256::ZERO, B256::ZERO, &rollup);
    chain
        .transact(prover_tx(
            rollup,
            verify_call(1, 1, &p1, p1.bytes.clone(), &out1.withdrawals),
        ))
        .unwrap();
    assert_eq!(escrow_eth(&mut chain, &d), escrow_before, "escrow intact");

    // The rollup keeps going: the next batch verifies on top.
    let b2 = batch(1, vec![w.tx(1, 0, 0, eth(1, 7))]);
    advance(&mut chain, rollup, &mut state, &b2, 2, Some(&p1));
}

#[test]
fn every_batch_the_l1_accepts_is_provable_and_the_rollup_keeps_verifying() {
    let mut w = World::new(2);
    let (mut chain, _d, rollup, _) = real_rollup(&w, 0);
    // 65 transactions: more than the largest circuit. The codec refuses it, so the
    // L1 refuses it (or, in a permissionless mechanism, sequences the no-op batch).
    assert_eq!(MAX_BATCH_TXS, *SHAPES.last().unwrap());
    let long = batch(
        1,
        (0..=MAX_BATCH_TXS as u64)
            .map(|n| w.tx(0, n, 0, eth(2, 1)))
            .collect(),
    );
    let err = Batch::decode(&long.encode(Format::Compact)).unwrap_err();
    assert!(matches!(
        err.kind,
        CodecErrorKind::OutOfRange {
            field: "tx_count",
            ..
        }
    ));
    let reason = sequence_revert(&mut chain, rollup, &long);
    assert!(reason.starts_with("MalformedBatch("), "{reason}");

    // An out-of-order deposit: well-formed bytes the L1 neutralizes; everyone reads
    // the no-op batch back through the same function.
    let stray = batch(
        1,
        vec![L2Tx::Deposit(Deposit {
            index: 5,
            account: 1,
            owner: Address::repeat_byte(1),
            asset: Asset::Eth,
            amount: 1,
            key: [0, 0],
        })],
    );
    let err = Batch::sequenced(&stray.encode(Format::Plain), 0).unwrap_err();
    assert_eq!(
        err.kind,
        CodecErrorKind::DepositOutOfOrder {
            got: 5,
            expected: 0
        }
    );

    // A fee account outside the tree: the batch applies, its fees are burnt, and it
    // proves and verifies like any other; so does the next one.
    let mut b1 = batch(1, vec![w.tx(0, 0, 0, eth(2, 100))]);
    b1.fee_account = 1 << DEPTH;
    let out1 = w.state.clone().apply(&b1).unwrap();
    assert!(!out1.fees_credited);
    assert_eq!(skipped(&out1), vec![None]);
    let p1 = advance(&mut chain, rollup, &mut w.state, &b1, 1, None);
    assert_eq!(
        w.balance(1, Asset::Eth),
        FUNDS - 100 - FEE.total(),
        "the sender paid the fee"
    );
    let b2 = batch(1, vec![w.tx(1, 0, 0, eth(1, 5))]);
    advance(&mut chain, rollup, &mut w.state, &b2, 2, Some(&p1));
}

#[test]
fn an_aliased_withdrawal_asset_or_amount_reverts_and_both_escrows_stay() {
    // A real withdrawal of 1,000 gwei of ETH; the verifier claims asset 4 (which a
    // truncating `uint64(asset) << 62` hashed like ETH, and paid in tokens), or an
    // amount with bit 62 set (which hashed like the token with a smaller amount).
    let mut w = World::new(1);
    let (mut chain, d, rollup, _) = real_rollup(&w, FUNDS);
    let b = batch(
        1,
        vec![w.tx(
            0,
            0,
            0,
            Action::Withdraw {
                asset: Asset::Eth,
                amount: 1_000,
            },
        )],
    );
    let out = w.state.apply(&b).unwrap();
    sequence(&mut chain, rollup, &b, Format::Compact);
    let p = prove_real(&out, B256::ZERO, B256::ZERO, &rollup);
    let escrow_before = escrow_eth(&mut chain, &d);
    let owner = key_address(&w.keys[0]);
    for (asset, amount) in [(4u8, 1_000u64), (0, (1 << 62) | 1_000)] {
        let call = bindings::TestRollup::verifyCall {
            from: 1,
            to: 1,
            key: p.verifier_key,
            proof: p.bytes.clone(),
            withdrawals: vec![bindings::test_rollup::IZkRollup::Withdrawal {
                owner,
                asset,
                amount,
            }],
        };
        let reason = revert_of(&mut chain, rollup, call.abi_encode());
        assert_eq!(reason, format!("BadWithdrawal(0, {asset}, {amount})"));
    }
    assert_eq!(escrow_eth(&mut chain, &d), escrow_before);
    // The true withdrawal pays exactly 1,000 gwei.
    let before = chain.balance(owner);
    chain
        .transact(prover_tx(
            rollup,
            verify_call(1, 1, &p, p.bytes.clone(), &out.withdrawals),
        ))
        .unwrap();
    assert_eq!(
        chain.balance(owner) - before,
        U256::from(1_000_000_000_000u64)
    );
}

#[test]
fn a_copied_or_replayed_proof_is_worthless() {
    let mut w = World::new(2);
    let (mut chain, d, rollup, bound) = real_rollup(&w, 0);
    let b = batch(1, vec![w.tx(0, 0, 0, eth(2, 10))]);
    let genesis = digest_to_b256(&w.state.root());
    let out = w.state.apply(&b).unwrap();
    sequence(&mut chain, rollup, &b, Format::Compact);
    let p = prove_real(&out, B256::ZERO, B256::ZERO, &rollup);
    assert_eq!(p.public.binding, bound);
    // The copier sends the prover's calldata byte for byte from its own address.
    let copier = Address::repeat_byte(0xc0);
    chain.set_balance(copier, U256::from(ONE_ETH));
    let data = verify_call(1, 1, &p, p.bytes.clone(), &[]);
    let expected: B256 = chain
        .call_sol(
            copier,
            rollup,
            &bindings::TestRollup::proofBindingCall { prover: copier },
        )
        .unwrap();
    let reason = revert_reason(
        &mut chain,
        TxRequest::call(copier, rollup, data.clone()).gas_limit(10_000_000),
    );
    assert_eq!(reason, format!("ProofNotBound({expected}, {bound})"));
    // The same proof on a second rollup with the same genesis and batch: refused.
    let registry = VerifierRegistry::new(false);
    registry.register(
        &CircuitCache::global()
            .batch(DEPTH, 4)
            .data()
            .verifier_data(),
    );
    let twin = deploy_test_rollup(&mut chain, &d, genesis, vec![p.verifier_key]);
    sequence(&mut chain, twin, &b, Format::Compact);
    let reason = revert_of(&mut chain, twin, data.clone());
    assert!(reason.starts_with("ProofNotBound("), "{reason}");
    // The real prover is paid the range (its verification goes through).
    chain.transact(prover_tx(rollup, data)).unwrap();
    // Nobody merges a proof bound to someone else: aggregation refuses the pair.
    let other = Prover::new(ProofMode::Dev);
    let mine = other
        .prove_batch(
            DEPTH,
            &out,
            Default::default(),
            Default::default(),
            binding(&rollup),
        )
        .unwrap();
    let theirs = other
        .prove_batch(
            DEPTH,
            &out,
            Default::default(),
            Default::default(),
            proof_binding(&rollup, &copier),
        )
        .unwrap();
    let mut joined = theirs.clone();
    joined.public.old_root = mine.public.new_root;
    joined.public.batch_in = mine.public.batch_out;
    joined.public.withdrawals_in = mine.public.withdrawals_out;
    assert!(other.aggregate(&mine, &joined).is_err());
}

#[test]
fn a_deposit_names_its_account_and_an_unplaceable_one_is_refunded() {
    let mut w = World::new(1);
    let (mut chain, d, rollup, _) = real_rollup(&w, 0);
    let bob = Address::repeat_byte(0xb0);
    chain.set_balance(bob, U256::from(10 * ONE_ETH));
    // Bob deposits 1 ETH to account 1, which is the user's: it cannot be placed.
    chain
        .transact(
            TxRequest::call(
                bob,
                d.bridge,
                bindings::Bridge::depositEthCall {
                    l2Recipient: bob,
                    l2Account: 1,
                    l2Key: 0,
                }
                .abi_encode(),
            )
            .value(U256::from(ONE_ETH)),
        )
        .unwrap();
    let deposit = Deposit {
        index: 0,
        account: 1,
        owner: bob,
        asset: Asset::Eth,
        amount: 1_000_000_000,
        key: [0, 0],
    };
    // A sequencer redirecting it to a fresh account of its choosing: refused by the
    // bridge's hash, which commits the account.
    let redirected = batch(
        1,
        vec![L2Tx::Deposit(Deposit {
            account: 9,
            ..deposit
        })],
    );
    let reason = sequence_revert(&mut chain, rollup, &redirected);
    assert!(reason.starts_with("DepositsMismatch(0, 1, "), "{reason}");
    // Or registering a key of its choosing for the account: refused the same way.
    let rekeyed = batch(
        1,
        vec![L2Tx::Deposit(Deposit {
            key: [1, 2],
            ..deposit
        })],
    );
    let reason = sequence_revert(&mut chain, rollup, &rekeyed);
    assert!(reason.starts_with("DepositsMismatch(0, 1, "), "{reason}");
    // Sequenced as queued: skipped, and refunded when the batch is verified.
    let b = batch(1, vec![L2Tx::Deposit(deposit)]);
    let out = w.state.apply(&b).unwrap();
    assert_eq!(
        skipped(&out),
        vec![Some(SkipReason::DepositAccountTaken {
            account: 1,
            owner: bob
        })]
    );
    assert_eq!(
        out.withdrawals,
        vec![Withdrawal {
            owner: bob,
            asset: Asset::Eth,
            amount: 1_000_000_000
        }]
    );
    sequence(&mut chain, rollup, &b, Format::Compact);
    let p = prove_real(&out, B256::ZERO, B256::ZERO, &rollup);
    let before = chain.balance(bob);
    chain
        .transact(prover_tx(
            rollup,
            verify_call(1, 1, &p, p.bytes.clone(), &out.withdrawals),
        ))
        .unwrap();
    assert_eq!(chain.balance(bob) - before, U256::from(ONE_ETH), "refunded");
    assert_eq!(escrow_eth(&mut chain, &d), U256::ZERO);
}

#[test]
fn the_bridge_caps_escrow_below_the_l2_supply_bound_and_refuses_unencodable_accounts() {
    let w = World::new(1);
    let (mut chain, d, _, _) = real_rollup(&w, 0);
    let whale = Address::repeat_byte(0x77);
    let cap: U256 = chain
        .call_sol(whale, d.bridge, &bindings::Bridge::MAX_ESCROWCall {})
        .unwrap();
    assert_eq!(cap, U256::from(MAX_AMOUNT) * U256::from(1_000_000_000u64));
    chain.set_balance(whale, cap * U256::from(3));
    let deposit = |account: u64, wei: U256| {
        TxRequest::call(
            whale,
            d.bridge,
            bindings::Bridge::depositEthCall {
                l2Recipient: whale,
                l2Account: account,
                l2Key: 0,
            }
            .abi_encode(),
        )
        .value(wei)
    };
    // An account the codec cannot carry would block the deposit queue for good.
    let reason = revert_reason(&mut chain, deposit(1 << 32, U256::from(1_000_000_000u64)));
    assert_eq!(reason, "AccountNotEncodable(4294967296)");
    // So would a key digest whose halves are not field elements.
    let p = 0xffff_ffff_0000_0001u128;
    for key in [p, p << 64, u128::MAX] {
        let call = bindings::Bridge::depositEthCall {
            l2Recipient: whale,
            l2Account: 1,
            l2Key: key,
        };
        let request =
            TxRequest::call(whale, d.bridge, call.abi_encode()).value(U256::from(1_000_000_000u64));
        let reason = revert_reason(&mut chain, request);
        assert_eq!(reason, format!("KeyNotEncodable({key})"));
    }
    // Two deposits of the largest amount: the second would take the escrow past the
    // cap, so the L2 supply could pass 2^62.
    let max = U256::from(MAX_AMOUNT) * U256::from(1_000_000_000u64);
    chain.transact(deposit(1, max)).unwrap();
    let reason = revert_reason(&mut chain, deposit(1, U256::from(1_000_000_000u64)));
    assert!(reason.starts_with("EscrowCapExceeded("), "{reason}");
}

#[test]
fn only_the_owner_names_the_key_an_account_opens_with() {
    // Mallory would open the victim's account (owner: the victim, so the victim's
    // later deposits top it up) with a key of her own, and spend from it.
    let mut w = World::new(1);
    let (mut chain, d, rollup, _) = real_rollup(&w, 0);
    let victim_key = deterministic_key(1, "victim");
    let victim = key_address(&victim_key);
    let mallory = Address::repeat_byte(0x66);
    for a in [victim, mallory] {
        chain.set_balance(a, U256::from(10 * ONE_ETH));
    }
    let account = 5;
    let deposit = |from: Address, key: u128| {
        let call = bindings::Bridge::depositEthCall {
            l2Recipient: victim,
            l2Account: account,
            l2Key: key,
        };
        TxRequest::call(from, d.bridge, call.abi_encode()).value(U256::from(ONE_ETH))
    };
    let mallorys = l2_key(&deterministic_key(1, "mallory"), account, 0);
    let reason = revert_reason(&mut chain, deposit(mallory, key_to_u128(mallorys)));
    assert!(reason.starts_with("KeyFromNonOwner("), "{reason}");
    // Without a key her deposit cannot open the account: refunded to its owner. The
    // victim's own deposit opens it with the victim's key.
    chain.transact(deposit(mallory, 0)).unwrap();
    let victims = l2_key(&victim_key, account, 0);
    chain
        .transact(deposit(victim, key_to_u128(victims)))
        .unwrap();
    let gwei = 1_000_000_000;
    let queued = |index, key| {
        L2Tx::Deposit(Deposit {
            index,
            account,
            owner: victim,
            asset: Asset::Eth,
            amount: gwei,
            key,
        })
    };
    let b = batch(1, vec![queued(0, [0, 0]), queued(1, victims)]);
    let before = chain.balance(victim);
    let out = w.state.clone().apply(&b).unwrap();
    assert_eq!(
        skipped(&out),
        vec![Some(SkipReason::DepositWithoutKey(account)), None]
    );
    advance(&mut chain, rollup, &mut w.state, &b, 1, None);
    let opened = w.state.account(account).unwrap();
    assert_eq!((opened.owner, opened.key), (victim, victims));
    assert_eq!(opened.balances, [gwei, 0]);
    assert_eq!(
        chain.balance(victim) - before,
        U256::from(ONE_ETH),
        "refunded"
    );
}

/// World(1) plus Mallory's empty account 2, the rollup over it, and a transfer of
/// all of user 0's ETH to Mallory that Mallory signed with her own key.
fn forged_transfer() -> (World, SigningKey, L2Tx) {
    let mut w = World::new(1);
    let mallory = deterministic_key(1, "mallory");
    w.state
        .set_account(2, Account::for_key(&mallory, 2, [0, 0]))
        .unwrap();
    let amount = FUNDS - FEE.total();
    let forged = L2Tx::User(UserTx::sign(&mallory, 1, 0, FEE, 0, eth(2, amount)));
    (w, mallory, forged)
}

/// `b` executed on `state` with account 1 re-keyed to `key` (a prover lying about the
/// sender's key); asserts that the lie's trace, rooted at the real state's root, proves
/// nothing (the re-keyed leaf does not open under it). Returns the lie's outcome.
fn rekeyed_sender_is_unprovable(
    state: &zkarena_harness::l2::state::L2State,
    b: &Batch,
    key: zkarena_harness::l2::wots::KeyDigest,
) -> zkarena_harness::l2::state::BatchOutcome {
    let mut lie_state = state.clone();
    let mut sender = *lie_state.account(1).unwrap();
    sender.key = key;
    lie_state.set_account(1, sender).unwrap();
    let lie = lie_state.apply(b).unwrap();
    let mut t = lie.trace.clone();
    t.accounts_root_before = state.clone().apply(b).unwrap().trace.accounts_root_before;
    let circuit = CircuitCache::global().batch(DEPTH, 4);
    let zero = Default::default();
    assert!(
        circuit.prove(&t, zero, zero, zero).is_err(),
        "re-keyed leaf proven"
    );
    lie
}

/// Proves `out` (real) and submits it as batch 1: the revert reason.
fn verify_revert(
    chain: &mut Chain,
    rollup: Address,
    out: &zkarena_harness::l2::state::BatchOutcome,
) -> String {
    let p = prove_real(out, B256::ZERO, B256::ZERO, &rollup);
    revert_of(
        chain,
        rollup,
        verify_call(1, 1, &p, p.bytes.clone(), &out.withdrawals),
    )
}

#[test]
fn a_prover_cannot_apply_a_transfer_the_owner_did_not_sign() {
    let (mut w, mallory, forged) = forged_transfer();
    let (mut chain, _d, rollup, _) = real_rollup(&w, 0);
    let b = batch(1, vec![forged]);
    let honest = w.state.clone().apply(&b).unwrap();
    assert_eq!(skipped(&honest), vec![Some(SkipReason::BadSignature)]);
    // The prover's only lever: present the victim's leaf with Mallory's key, under
    // which the transfer applies. Against the real root the leaf does not open.
    let lie = rekeyed_sender_is_unprovable(&w.state, &b, l2_key(&mallory, 1, 0));
    assert_eq!(skipped(&lie), vec![None], "under Mallory's key it applies");
    // Proven as executed, the proof starts from a root the rollup never had.
    sequence(&mut chain, rollup, &b, Format::Compact);
    let reason = verify_revert(&mut chain, rollup, &lie);
    assert!(reason.starts_with("OldRootMismatch("), "{reason}");
    // The honest proof verifies: the transfer was skipped, Mallory has nothing.
    let before = w.state.clone();
    advance(&mut chain, rollup, &mut w.state, &b, 1, None);
    assert_eq!(w.balance(2, Asset::Eth), 0);
    assert_eq!(
        w.state.account(1),
        before.account(1),
        "the victim's leaf unchanged"
    );
}

#[test]
fn a_prover_cannot_skip_a_transfer_its_owner_signed() {
    let mut w = World::new(2);
    let (mut chain, _d, rollup, _) = real_rollup(&w, 0);
    let signed = w.tx(0, 0, 0, eth(2, 1_000));
    let b = batch(1, vec![signed]);
    sequence(&mut chain, rollup, &b, Format::Compact);
    let honest = w.state.clone().apply(&b).unwrap();
    assert_eq!(skipped(&honest), vec![None]);
    // Lie 1: prove the batch with the signature replaced by garbage (so it fails to
    // verify and the transfer is skipped). The signature is part of the batch
    // commitment: the proof is of another batch than the one sequenced.
    let L2Tx::User(mut garbled) = signed else {
        unreachable!()
    };
    garbled.signature.0[0][0] ^= 1;
    let lie = w
        .state
        .clone()
        .apply(&batch(1, vec![L2Tx::User(garbled)]))
        .unwrap();
    assert_eq!(skipped(&lie), vec![Some(SkipReason::BadSignature)]);
    let reason = verify_revert(&mut chain, rollup, &lie);
    assert!(reason.starts_with("BatchRangeMismatch("), "{reason}");
    // Lie 2: keep the signature and present the sender's leaf with another key (so
    // the signature does not match it): the leaf does not open under the root.
    let lie = rekeyed_sender_is_unprovable(&w.state, &b, [5, 5]);
    assert_eq!(skipped(&lie), vec![Some(SkipReason::BadSignature)]);
    // The honest proof verifies and the transfer is in it.
    advance(&mut chain, rollup, &mut w.state, &b, 1, None);
    assert_eq!(w.balance(2, Asset::Eth), FUNDS + 1_000);
}

#[test]
fn leaves_and_inner_nodes_hash_in_separate_domains() {
    // Eight field elements read as a leaf and as two children give different digests,
    // so no inner node passes for a leaf (or the reverse).
    let fields = std::array::from_fn(|i| felt(i as u64 + 1));
    let left = zkarena_harness::l2::Digest {
        elements: [fields[0], fields[1], fields[2], fields[3]],
    };
    let right = zkarena_harness::l2::Digest {
        elements: [fields[4], fields[5], fields[6], fields[7]],
    };
    assert_ne!(leaf_hash(&fields), PoseidonHash::two_to_one(left, right));
}

/// A transaction with extreme fields: fees, amounts and nonces at 0, 1, ordinary and the
/// codec's largest values; senders and receivers inside and outside the tree; every
/// kind; deposits (in queue order, within the escrow cap) to free, taken and
/// out-of-tree accounts.
fn extreme_tx(w: &World, rng: &mut zkarena_harness::sim::SimRng, deposits: &mut u64) -> L2Tx {
    use zkarena_harness::l2::tx::MAX_NONCE;
    let pick = |rng: &mut zkarena_harness::sim::SimRng, xs: &[u64]| {
        xs[rng.below(xs.len() as u64) as usize]
    };
    let value = [0, 1, 1_000, FUNDS, FUNDS + 1, MAX_AMOUNT / 2, MAX_AMOUNT];
    let index = [0, 1, 2, 3, 1 << DEPTH, (1 << DEPTH) + 1, u32::MAX as u64];
    let asset = if rng.chance(0.5) {
        Asset::Eth
    } else {
        Asset::Token
    };
    if rng.chance(0.15) {
        *deposits += 1;
        return L2Tx::Deposit(Deposit {
            index: *deposits - 1,
            account: pick(rng, &index),
            owner: if rng.chance(0.5) {
                key_address(&w.keys[0])
            } else {
                Address::repeat_byte(0xd0)
            },
            asset,
            // Within the bridge's escrow cap (the L2 supply stays below 2^62), as on L1.
            amount: pick(rng, &[1, 1_000, FUNDS]),
            key: [0, 0],
        });
    }
    let amount = pick(rng, &value);
    let action = match rng.below(3) {
        0 => Action::Transfer {
            to: pick(rng, &index),
            asset,
            amount,
        },
        1 => Action::Swap {
            asset_in: asset,
            amount_in: amount.max(1),
            min_out: pick(rng, &value),
        },
        _ => Action::Withdraw { asset, amount },
    };
    let u = rng.below(w.keys.len() as u64) as usize;
    let from = if rng.chance(0.8) {
        u as u64 + 1
    } else {
        pick(rng, &index)
    };
    // Half the time an ordinary transaction (the account's nonce, small fees and
    // amount), so that both outcomes are common.
    if rng.chance(0.5) {
        let nonce = w.state.account(u as u64 + 1).map_or(0, |a| a.nonce);
        let action = Action::Transfer {
            to: pick(rng, &[1, 2, 3]),
            asset,
            amount: 1 + rng.below(1_000),
        };
        return L2Tx::User(UserTx::sign(
            &w.keys[u],
            u as u64 + 1,
            nonce,
            FEE,
            0,
            action,
        ));
    }
    let nonce = pick(rng, &[0, 0, 0, 1, MAX_NONCE]);
    let fee = Fee {
        base: pick(rng, &[0, 10, MAX_AMOUNT]),
        tip: pick(rng, &[0, 5, MAX_AMOUNT]),
    };
    L2Tx::User(UserTx::sign(&w.keys[u], from, nonce, fee, 0, action))
}

/// Drives `cases` extreme transactions, four per batch, through the native executor and
/// the real circuit: every batch must prove, and `prove_batch` checks that the proof's
/// roots, batch accumulator and withdrawals are exactly the native execution's (so a
/// transaction applied natively is applied in the proof and a skipped one is skipped);
/// and a witness claiming a skipped transaction's funds and bound held proves nothing
/// else.
fn native_and_circuit_agree_on_extreme_transactions(cases: usize, seed: u64) {
    let mut w = World::new(3);
    let mut rng = zkarena_harness::sim::SimRng::stream(seed, "extreme");
    let mut deposits = 0;
    let prover = Prover::new(ProofMode::Real);
    let (mut applied, mut skipped_n) = (0, 0);
    for round in 0..cases.div_ceil(4) {
        let txs = (0..4)
            .map(|_| extreme_tx(&w, &mut rng, &mut deposits))
            .collect();
        let mut b = batch(1, txs);
        b.fee_account = *[1, 2, 1 << DEPTH].get(rng.below(3) as usize).unwrap();
        // Round-trip through the codec: these are batches the L1 would accept.
        let b = Batch::sequenced(&b.encode(Format::Compact), w.state.deposits_consumed())
            .expect("within the codec's bounds");
        let out = w.state.apply(&b).unwrap();
        for s in skipped(&out) {
            if s.is_some() {
                skipped_n += 1
            } else {
                applied += 1
            }
        }
        let proof = prover
            .prove_batch(
                DEPTH,
                &out,
                Default::default(),
                Default::default(),
                Default::default(),
            )
            .unwrap_or_else(|e| panic!("seed {seed} round {round}: {e}\n{b:?}"));
        // Every other batch: claim the first skipped user transaction's comparisons
        // all held. The circuit must refuse, or prove the very same (skipping) state.
        let first_skipped_user = out.receipts.iter().zip(&b.txs).position(|(r, tx)| {
            matches!(tx, L2Tx::User(_))
                && matches!(r.outcome, zkarena_harness::l2::TxOutcome::Skipped(_))
        });
        if let (0, Some(i)) = (round % 2, first_skipped_user) {
            let mut forged = out.trace.clone();
            let slot = &mut forged.slots[i];
            (slot.funds_eth, slot.funds_token, slot.bound_ok) = (true, true, true);
            let circuit = CircuitCache::global().batch(DEPTH, 4);
            if let Ok(p) = circuit.prove(
                &forged,
                Default::default(),
                Default::default(),
                Default::default(),
            ) {
                let fields: Vec<u64> = p
                    .public_inputs
                    .iter()
                    .map(plonky2::field::types::PrimeField64::to_canonical_u64)
                    .collect();
                let public = zkarena_harness::zk::PublicInputs::from_fields(&fields).unwrap();
                assert_eq!(
                    (public.new_root, public.withdrawals_out),
                    (proof.public.new_root, proof.public.withdrawals_out),
                    "seed {seed} round {round}: a skipped transaction proven applied"
                );
            }
        }
    }
    assert!(
        applied > cases / 10 && skipped_n > cases / 10,
        "{applied} applied, {skipped_n} skipped"
    );
}

#[test]
fn native_and_circuit_agree_on_extreme_transactions_seed_1() {
    native_and_circuit_agree_on_extreme_transactions(100, 1);
}

/// The same on another 100 (two tests, so that the suite's two threads share them).
#[test]
fn native_and_circuit_agree_on_extreme_transactions_seed_3() {
    native_and_circuit_agree_on_extreme_transactions(100, 3);
}

/// The long run: `cargo test --test security -- --ignored` (about 20 minutes).
#[test]
#[ignore]
fn native_and_circuit_agree_on_5000_extreme_transactions() {
    native_and_circuit_agree_on_extreme_transactions(5000, 2);
}

#[test]
fn a_garbage_forced_transaction_is_refused_and_a_valid_one_pays_its_includer() {
    // PoS: a forced record the codec cannot decode would be refused at sequencing by a
    // rollup that refuses malformed batches, and once past the timeout every canonical
    // block would revert ForcedBatchesPending (and leaders be slashed for it).
    let w = World::new(2);
    let registry = VerifierRegistry::new(false);
    let (mut chain, d, _) = l1_with_rollup(&registry, digest_to_b256(&w.state.root()), vec![]);
    let force_fee = U256::from(1_000_000_000u64);
    let args = bindings::PosRollup::constructorCall {
        bridge_: d.bridge,
        genesisRoot: digest_to_b256(&w.state.root()),
        keys: vec![],
        stakeManager_: Address::repeat_byte(0x51),
        forceFee_: force_fee,
        forceTimeout_: U256::from(60),
    };
    let rollup = chain
        .deploy(
            d.deployer,
            Artifact::get("PosRollup")
                .unwrap()
                .init_code(&args.abi_encode()),
        )
        .unwrap();
    let user = key_address(&w.keys[0]);
    let includer = Address::repeat_byte(0x1c);
    for a in [user, includer] {
        chain.set_balance(a, U256::from(ONE_ETH));
    }
    d.mint(&mut chain, user, U256::from(ONE_ETH)).unwrap();
    chain
        .transact(TxRequest::call(
            user,
            d.token,
            bindings::NetworkToken::approveCall {
                spender: rollup,
                amount: U256::MAX,
            }
            .abi_encode(),
        ))
        .unwrap();
    let force = |record: Vec<u8>| {
        TxRequest::call(
            user,
            rollup,
            bindings::PosRollup::forceBatchCall {
                l2Tx: record.into(),
            }
            .abi_encode(),
        )
        .gas_limit(1_000_000)
    };
    // A record is one transaction as the plain codec writes it inside a batch (after
    // the 21-byte header).
    let record = |tx: L2Tx| batch(0, vec![tx]).encode(Format::Plain)[21..].to_vec();
    let valid = record(w.tx(0, 0, 0, eth(2, 5)));
    for (garbage, why) in [
        (vec![0xde, 0xad], "MalformedForcedTx(0, "),
        (valid[..valid.len() - 1].to_vec(), "MalformedForcedTx("),
        ([valid.clone(), vec![0]].concat(), "MalformedForcedTx("),
        (
            record(L2Tx::Deposit(Deposit {
                index: 0,
                account: 1,
                owner: user,
                asset: Asset::Eth,
                amount: 1,
                key: [0, 0],
            })),
            "MalformedForcedTx(0, \"not a user transaction",
        ),
    ] {
        let reason = revert_reason(&mut chain, force(garbage));
        assert!(reason.starts_with(why), "{reason}");
    }
    // Nothing was queued: no forced batch can block sequencing.
    let queued: u64 = chain
        .call_sol(user, rollup, &bindings::PosRollup::lastForcedCall {})
        .unwrap();
    assert_eq!(queued, 0);
    let tokens = |chain: &mut Chain, a: Address| -> U256 {
        chain
            .call_sol(
                a,
                d.token,
                &bindings::NetworkToken::balanceOfCall::new((a,)),
            )
            .unwrap()
    };
    let user_before = tokens(&mut chain, user);
    chain.transact(force(valid.clone())).unwrap();
    assert_eq!(user_before - tokens(&mut chain, user), force_fee);
    // Anyone sequences it; the fee goes to whoever did, and nothing stays forced.
    chain
        .transact(
            TxRequest::call(
                includer,
                rollup,
                bindings::PosRollup::sequenceForceBatchCall { l2Tx: valid.into() }.abi_encode(),
            )
            .gas_limit(1_000_000),
        )
        .unwrap();
    assert_eq!(tokens(&mut chain, includer), force_fee);
    let (done, posted): (u64, u64) = (
        chain
            .call_sol(
                includer,
                rollup,
                &bindings::PosRollup::lastForcedSequencedCall {},
            )
            .unwrap(),
        chain
            .call_sol(includer, rollup, &bindings::PosRollup::lastForcedCall {})
            .unwrap(),
    );
    assert_eq!((done, posted), (1, 1));
}
