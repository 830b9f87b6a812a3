//! The embedded L1 checked against the specs it implements: EIP-1559 fees and ordering,
//! the mempool's replacement and drop rules, receipts and revert decoding, the bridge's
//! deposit queue, data availability (calldata budget, EIP-4844 blob fee market), custom
//! precompiles, and determinism of the state. A seeded model of the mempool and block
//! builder, written from the rules, checks random runs of submissions and blocks.

use std::sync::Arc;

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_sol_types::{SolCall, SolEvent, SolValue};
use zkarena::prelude::*;

const GWEI: u128 = 1_000_000_000;

fn ether(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18u64))
}

/// A chain with `n` funded accounts named user0..user{n-1}.
fn chain_with_users(config: ChainConfig, n: usize) -> (Chain, Vec<Address>) {
    let mut chain = Chain::new(config);
    let users: Vec<Address> = (0..n).map(|i| named_address(&format!("user{i}"))).collect();
    for u in &users {
        chain.set_balance(*u, ether(100));
    }
    (chain, users)
}

/// EIP-1559's base fee update, written out from the EIP's pseudo-code.
fn eip1559(parent_base_fee: u64, parent_gas_used: u64, parent_gas_target: u64) -> u64 {
    let (b, u, t) = (
        parent_base_fee as u128,
        parent_gas_used as u128,
        parent_gas_target as u128,
    );
    let next = if u == t {
        b
    } else if u > t {
        b + std::cmp::max(b * (u - t) / t / 8, 1)
    } else {
        b - b * (t - u) / t / 8
    };
    next as u64
}

/// A chain of small blocks (1M gas, target 500k) that 47 transfers fill, with `n` users.
fn small_block_chain(n: usize) -> (Chain, Vec<Address>) {
    let config = ChainConfig {
        gas_limit: 1_000_000,
        ..ChainConfig::default()
    };
    chain_with_users(config, n)
}

/// One 1-wei transfer from each of `users`.
fn submit_transfers(chain: &mut Chain, users: &[Address]) {
    for u in users {
        let tx = TxRequest::transfer(*u, Address::repeat_byte(7), U256::from(1));
        chain.submit(tx).unwrap();
    }
}

#[test]
fn base_fee_follows_eip1559_over_full_and_empty_blocks() {
    let (mut chain, users) = small_block_chain(47);
    let pattern = [
        true, true, true, false, true, false, false, false, true, true,
    ];
    for full in pattern {
        if full {
            submit_transfers(&mut chain, &users);
        }
        let block = chain.seal_block();
        assert_eq!(block.gas_used, if full { 47 * 21_000 } else { 0 });
    }
    let blocks = chain.blocks();
    assert_eq!(
        blocks[1].base_fee, 1_000_000_000,
        "block 1 keeps the initial base fee"
    );
    for w in blocks[1..].windows(2) {
        let (parent, child) = (&w[0], &w[1]);
        assert_eq!(
            child.base_fee,
            eip1559(parent.base_fee, parent.gas_used, parent.gas_limit / 2),
            "base fee of block {}",
            child.number
        );
    }
    // A full block (47 x 21000 = 987 000 gas) raises the fee by (987k-500k)/500k/8 = 12.175%.
    assert_eq!(blocks[1].gas_used, 47 * 21_000);
    assert_eq!(
        blocks[2].base_fee,
        1_000_000_000 + 1_000_000_000 * 487_000 / 500_000 / 8
    );
    // An empty block lowers it by exactly 1/8.
    let empty = &blocks[4];
    let after = &blocks[empty.number as usize + 1];
    assert_eq!(after.base_fee, empty.base_fee - empty.base_fee / 8);
}

#[test]
fn block_orders_by_effective_tip_then_arrival() {
    let (mut chain, users) = chain_with_users(ChainConfig::default(), 6);
    let to = Address::repeat_byte(9);
    let tips = [1, 3, 2, 3, 5]; // gwei, max fee 100 gwei
    let mut hashes = Vec::new();
    for (u, tip) in users.iter().zip(tips) {
        let tx = TxRequest::transfer(*u, to, U256::from(1)).fees(100 * GWEI, tip * GWEI);
        hashes.push(chain.submit(tx).unwrap());
    }
    // User 5's max fee leaves room for only 0.5 gwei of tip above the 1 gwei base fee:
    // its effective tip is 0.5 gwei, so it goes last despite bidding 1.2.
    let capped =
        TxRequest::transfer(users[5], to, U256::from(1)).fees(GWEI + GWEI / 2, GWEI + GWEI / 5);
    hashes.push(chain.submit(capped).unwrap());
    let block = chain.seal_block();
    let order: Vec<TxHash> = block.tx_hashes().collect();
    // Ties (users 1 and 3 at 3 gwei) go to the earlier arrival.
    assert_eq!(
        order,
        [hashes[4], hashes[1], hashes[3], hashes[2], hashes[0], hashes[5]]
    );
    assert_eq!(chain.receipt(&hashes[5]).unwrap().effective_tip, GWEI / 2);
    assert_eq!(
        chain.receipt(&hashes[4]).unwrap().effective_gas_price,
        6 * GWEI
    );
}

#[test]
fn replacement_needs_a_fee_bump() {
    let (mut chain, users) = chain_with_users(ChainConfig::default(), 1);
    let u = users[0];
    let to = Address::repeat_byte(1);
    let first = chain
        .submit(TxRequest::transfer(u, to, U256::from(1)).fees(10 * GWEI, GWEI))
        .unwrap();
    let err = chain
        .submit(
            TxRequest::transfer(u, to, U256::from(2))
                .fees(10 * GWEI + GWEI / 20, GWEI + GWEI / 20)
                .nonce(0),
        )
        .unwrap_err();
    assert_eq!(
        err,
        SubmitError::ReplacementUnderpriced {
            existing: first,
            bump_percent: 10,
            min_max_fee: 11 * GWEI,
            min_tip: GWEI + GWEI / 10
        }
    );
    let second = chain
        .submit(
            TxRequest::transfer(u, to, U256::from(2))
                .fees(11 * GWEI, GWEI + GWEI / 10)
                .nonce(0),
        )
        .unwrap();
    assert_eq!(
        chain.status(&first),
        Some(TxStatus::Replaced { by: second })
    );
    chain.seal_block();
    assert_eq!(
        chain.status(&second),
        Some(TxStatus::Included { block: 1, index: 0 })
    );
    assert_eq!(chain.balance(to), U256::from(2));
    assert_eq!(
        chain.submit(
            TxRequest::transfer(u, to, U256::from(2))
                .fees(11 * GWEI, GWEI + GWEI / 10)
                .nonce(0)
        ),
        Err(SubmitError::AlreadyKnown(second))
    );
}

#[test]
fn underpriced_transaction_waits_until_base_fee_falls() {
    let (mut chain, users) = small_block_chain(48);
    // Three full blocks push the base fee above 1.3 gwei.
    for _ in 0..3 {
        submit_transfers(&mut chain, &users[..47]);
        chain.seal_block();
    }
    let fee_cap = 1_200_000_000u128;
    assert!(u128::from(chain.next_base_fee()) > fee_cap);
    let waiting = chain
        .submit(
            TxRequest::transfer(users[47], Address::repeat_byte(4), U256::from(1))
                .fees(fee_cap, GWEI),
        )
        .unwrap();
    let mut landed = None;
    for _ in 0..10 {
        let base_fee = chain.next_base_fee();
        let block = chain.seal_block();
        let included = block.tx_hashes().any(|h| h == waiting);
        assert_eq!(
            included,
            u128::from(base_fee) <= fee_cap,
            "block {} base fee {base_fee}",
            block.number
        );
        if included {
            landed = Some(block.number);
            break;
        }
        assert_eq!(chain.status(&waiting), Some(TxStatus::Pending));
    }
    let landed = landed.expect("the transaction lands once the base fee falls under its cap");
    let receipt = chain.receipt(&waiting).unwrap();
    assert_eq!(
        receipt.effective_gas_price,
        fee_cap.min(u128::from(chain.block(landed).unwrap().base_fee) + GWEI)
    );
}

#[test]
fn coinbase_earns_exactly_the_tips_and_base_fee_is_burnt() {
    let (mut chain, users) = chain_with_users(ChainConfig::default(), 4);
    let coinbase = chain.config().coinbase;
    let supply_before: U256 =
        users.iter().map(|u| chain.balance(*u)).sum::<U256>() + chain.balance(coinbase);
    for (i, u) in users.iter().enumerate() {
        let tip = (i as u128 + 1) * GWEI;
        chain
            .submit(
                TxRequest::transfer(*u, users[(i + 1) % 4], U256::from(1000)).fees(50 * GWEI, tip),
            )
            .unwrap();
    }
    let block = chain.seal_block().clone();
    let tips: u128 = block
        .receipts
        .iter()
        .map(|r| r.gas_used as u128 * r.effective_tip)
        .sum();
    assert_eq!(tips, 21_000 * (1 + 2 + 3 + 4) * GWEI);
    assert_eq!(chain.balance(coinbase), U256::from(tips));
    let supply_after: U256 =
        users.iter().map(|u| chain.balance(*u)).sum::<U256>() + chain.balance(coinbase);
    assert_eq!(
        supply_before - supply_after,
        U256::from(block.burnt()),
        "the base fee is burnt"
    );
}

#[test]
fn invalid_transactions_are_dropped_with_a_reason() {
    let (mut chain, users) = chain_with_users(ChainConfig::default(), 2);
    let poor = named_address("poor");
    chain.set_balance(poor, U256::from(1_000u64));
    let to = Address::repeat_byte(5);
    let no_funds = chain
        .submit(TxRequest::transfer(poor, to, U256::from(1)))
        .unwrap();
    let tip_above_cap = chain
        .submit(TxRequest::transfer(users[0], to, U256::from(1)).fees(2 * GWEI, 3 * GWEI))
        .unwrap();
    let too_big = chain
        .submit(TxRequest::transfer(users[1], to, U256::from(1)).gas_limit(40_000_000))
        .unwrap();
    chain.seal_block();
    let dropped = |chain: &Chain, h| match chain.status(h) {
        Some(TxStatus::Dropped { reason }) => reason,
        other => panic!("expected a drop, got {other:?}"),
    };
    assert!(
        matches!(dropped(&chain, &no_funds), DropReason::InsufficientFunds { balance, .. } if balance == U256::from(1000u64))
    );
    assert_eq!(
        dropped(&chain, &tip_above_cap),
        DropReason::PriorityFeeAboveMaxFee {
            priority_fee: 3 * GWEI,
            max_fee: 2 * GWEI
        }
    );
    assert_eq!(
        dropped(&chain, &too_big),
        DropReason::GasLimitAboveBlockLimit {
            gas_limit: 40_000_000,
            block_gas_limit: 30_000_000
        }
    );

    // A nonce that the account has already used is stale.
    chain
        .transact(TxRequest::transfer(users[0], to, U256::from(1)).nonce(0))
        .unwrap();
    let stale = chain
        .submit(
            TxRequest::transfer(users[0], to, U256::from(7))
                .nonce(0)
                .fees(200 * GWEI, 2 * GWEI),
        )
        .unwrap();
    chain.seal_block();
    assert_eq!(
        dropped(&chain, &stale),
        DropReason::StaleNonce {
            nonce: 0,
            account_nonce: 1
        }
    );
    // A nonce gap waits; filling the gap releases both.
    let later = chain
        .submit(TxRequest::transfer(users[0], to, U256::from(1)).nonce(2))
        .unwrap();
    chain.seal_block();
    assert_eq!(chain.status(&later), Some(TxStatus::Pending));
    chain
        .submit(TxRequest::transfer(users[0], to, U256::from(1)).nonce(1))
        .unwrap();
    let block = chain.seal_block();
    assert_eq!(block.receipts.len(), 2);
    assert!(matches!(
        chain.status(&later),
        Some(TxStatus::Included { index: 1, .. })
    ));
}

#[test]
fn pending_transactions_are_visible_before_inclusion() {
    let (mut chain, users) = chain_with_users(ChainConfig::default(), 1);
    let watcher = chain.subscribe_pending();
    let data = Bytes::from_static(b"\x12\x34batch");
    let hash = chain
        .submit(TxRequest::call(
            users[0],
            Address::repeat_byte(8),
            data.clone(),
        ))
        .unwrap();
    let seen = watcher
        .try_recv()
        .expect("the subscriber sees the transaction at submission");
    assert_eq!(seen.hash, hash);
    assert_eq!(seen.request.data, data);
    assert_eq!(chain.status(&hash), Some(TxStatus::Pending));
    assert!(chain.receipt(&hash).is_none());
    chain.seal_block();
    assert!(chain.receipt(&hash).is_some());
}

/// Runs `request` in a block of its own and returns its decoded revert reason.
fn expect_revert(chain: &mut Chain, request: TxRequest) -> RevertReason {
    match chain.transact(request) {
        Err(ChainError::Failed {
            status: ExecStatus::Reverted { reason },
            ..
        }) => reason,
        other => panic!("expected a revert, got {other:?}"),
    }
}

fn deploy_genesis() -> (Chain, Deployment, Address) {
    let mut chain = Chain::new(ChainConfig::default());
    let d = Deployment::deploy(&mut chain, &GenesisConfig::default()).unwrap();
    let alice = named_address("alice");
    chain.set_balance(alice, ether(10));
    (chain, d, alice)
}

#[test]
fn revert_is_decoded_to_solidity_error() {
    let (mut chain, d, alice) = deploy_genesis();
    let transfer = bindings::NetworkToken::transferCall {
        to: d.deployer,
        amount: U256::from(5),
    };
    let reason = expect_revert(
        &mut chain,
        TxRequest::call(alice, d.token, transfer.abi_encode()),
    );
    assert_eq!(
        reason.to_string(),
        format!("InsufficientBalance({}, 0, 5)", alice.to_checksum(None))
    );
    // The same through a read-only call.
    let err = chain.call_sol(alice, d.token, &transfer).unwrap_err();
    assert_eq!(err, CallError::Reverted(reason));
    // Minting is the minter's alone.
    let mint = bindings::NetworkToken::mintCall {
        to: alice,
        amount: U256::from(1),
    };
    let reason = expect_revert(
        &mut chain,
        TxRequest::call(alice, d.token, mint.abi_encode()),
    );
    assert_eq!(reason.name(), Some("NotMinter"));
}

#[test]
fn deposits_enter_the_bridge_queue_with_the_running_hash() {
    let (mut chain, d, alice) = deploy_genesis();
    let bob = named_address("bob");
    d.mint(&mut chain, alice, ether(50)).unwrap();
    d.approve_bridge(&mut chain, alice).unwrap();

    let eth_dep = bindings::Bridge::depositEthCall {
        l2Recipient: bob,
        l2Account: 2,
        // Only an owner names its account's key: alice deposits for bob without one.
        l2Key: 0,
    };
    let r1 = chain
        .transact(TxRequest::call(alice, d.bridge, eth_dep.abi_encode()).value(ether(2)))
        .unwrap();
    let tok_dep = bindings::Bridge::depositTokenCall {
        l2Recipient: alice,
        l2Account: 1,
        l2Key: (1 << 64) | 3,
        amount: ether(3),
    };
    let r2 = chain
        .transact(TxRequest::call(alice, d.bridge, tok_dep.abi_encode()))
        .unwrap();

    // h_{i+1} = keccak256(abi.encode(h_i, i, asset, to, l2Account, l2Key, l2Amount)),
    // amounts in gwei.
    let step =
        |prev: B256, i: u64, asset: Address, to: Address, account: u64, key: u128, amount: u64| {
            keccak256((prev, U256::from(i), asset, to, account, key, amount).abi_encode())
        };
    let h1 = step(B256::ZERO, 0, Address::ZERO, bob, 2, 0, 2_000_000_000);
    let h2 = step(h1, 1, d.token, alice, 1, (1 << 64) | 3, 3_000_000_000);
    assert_eq!(
        chain
            .call_sol(alice, d.bridge, &bindings::Bridge::depositHashCall {})
            .unwrap(),
        h2
    );
    assert_eq!(
        chain
            .call_sol(alice, d.bridge, &bindings::Bridge::depositCountCall {})
            .unwrap(),
        U256::from(2)
    );
    let ev = bindings::Bridge::DepositQueued::decode_log(&r1.logs[0]).unwrap();
    assert_eq!(
        (ev.index, ev.to, ev.l2Account, ev.l2Amount, ev.runningHash),
        (U256::ZERO, bob, 2, 2_000_000_000, h1)
    );
    let ev = bindings::Bridge::DepositQueued::decode_log(r2.logs.last().unwrap()).unwrap();
    assert_eq!((ev.asset, ev.runningHash), (d.token, h2));
    // Escrow holds what was deposited.
    assert_eq!(chain.balance(d.bridge), ether(2));
    let escrow = chain
        .call_sol(
            alice,
            d.bridge,
            &bindings::Bridge::escrowCall::new((d.token,)),
        )
        .unwrap();
    assert_eq!(escrow, ether(3));
    // Amounts finer than the L2 unit are refused.
    let dust = bindings::Bridge::depositEthCall {
        l2Recipient: bob,
        l2Account: 2,
        l2Key: 0,
    };
    let reason = expect_revert(
        &mut chain,
        TxRequest::call(alice, d.bridge, dust.abi_encode()).value(U256::from(1)),
    );
    assert_eq!(reason.to_string(), "AmountNotL2Representable(1)");
}

/// Rollup data: 50 KiB of calldata per transaction against the 128 KiB block budget.
#[test]
fn calldata_budget_limits_rollup_data_per_block() {
    let (mut chain, users) = chain_with_users(ChainConfig::default(), 5);
    let data = Bytes::from(vec![0xab; 50 * 1024]);
    let hashes: Vec<_> = users
        .iter()
        .map(|u| {
            chain
                .submit(
                    TxRequest::call(*u, Address::repeat_byte(2), data.clone()).gas_limit(3_000_000),
                )
                .unwrap()
        })
        .collect();
    let b1 = chain.seal_block().clone();
    assert_eq!(
        b1.receipts.len(),
        2,
        "two 50 KiB payloads fit in 128 KiB, three do not"
    );
    assert_eq!(b1.calldata_bytes, 2 * 50 * 1024);
    let b2 = chain.seal_block().clone();
    let b3 = chain.seal_block().clone();
    assert_eq!((b2.receipts.len(), b3.receipts.len()), (2, 1));
    assert!(hashes.iter().all(|h| chain.receipt(h).is_some()));
    // EIP-7623: data-heavy transactions pay the calldata floor (10 gas per token, 4 tokens per nonzero byte).
    let r = &b1.receipts[0];
    assert_eq!(r.gas_used, 21_000 + 50 * 1024 * 4 * 10);
}

#[test]
fn blob_fee_market_follows_eip4844() {
    let (mut chain, users) = chain_with_users(ChainConfig::default(), 12);
    let da = chain.config().da.clone();
    let blob = Bytes::from(vec![7u8; 100_000]);
    // 12 one-blob transactions per slot: 9 fit (the block maximum), 3 wait.
    let mut excess = 0u64;
    for round in 0..25 {
        for u in &users {
            chain
                .submit(
                    TxRequest::call(*u, Address::repeat_byte(6), Bytes::new())
                        .blob(blob.clone(), GWEI)
                        .gas_limit(50_000),
                )
                .unwrap();
        }
        let block = chain.seal_block().clone();
        assert_eq!(block.excess_blob_gas, excess, "round {round}");
        assert_eq!(
            block.blob_base_fee,
            fake_exponential(1, excess as u128, da.blob_base_fee_update_fraction as u128)
        );
        let blobs = block.blob_gas_used / (1 << 17);
        assert_eq!(blobs, 9);
        assert_eq!(block.blob_data_bytes, 9 * 100_000);
        let r = &block.receipts[0];
        assert_eq!(r.blob_gas_price, block.blob_base_fee);
        assert_eq!(chain.blob(&blob_hash(&blob)), Some(&blob));
        excess = (excess + block.blob_gas_used).saturating_sub(da.target_blobs_per_block << 17);
    }
    // 25 blocks of 9 blobs against a target of 6: excess 75 blobs, fee e^(75*2^17/5007716) = 7 wei.
    assert_eq!(chain.head().blob_base_fee, 6);
    assert_eq!(chain.next_blob_base_fee(), 7);
    // Oversized blobs are refused at submission.
    let err = chain
        .submit(
            TxRequest::call(users[0], Address::repeat_byte(6), Bytes::new())
                .blob(vec![0u8; 200_000], 1),
        )
        .unwrap_err();
    assert!(matches!(
        err,
        SubmitError::BlobTooLarge {
            index: 0,
            bytes: 200_000,
            ..
        }
    ));
}

/// EIP-4844's `fake_exponential`, from the EIP's pseudo-code.
fn fake_exponential(factor: u128, numerator: u128, denominator: u128) -> u128 {
    let mut i = 1;
    let mut output = 0;
    let mut acc = factor * denominator;
    while acc > 0 {
        output += acc;
        acc = acc * numerator / (denominator * i);
        i += 1;
    }
    output / denominator
}

fn blob_hash(data: &[u8]) -> B256 {
    let mut h = keccak256(data);
    h.0[0] = 1;
    h
}

/// A Rust precompile for the tests: returns the sum of its 32-byte words; reverts with
/// `OddInput(uint256 length)` when the input is not whole words. 100 gas + 10 per word.
struct WordSum;

alloy_sol_types::sol! {
    error OddInput(uint256 length);
}

impl L1Precompile for WordSum {
    fn name(&self) -> &str {
        "word-sum"
    }
    fn gas(&self, input: &[u8]) -> u64 {
        100 + 10 * (input.len() as u64).div_ceil(32)
    }
    fn run(&self, input: &[u8]) -> PrecompileAnswer {
        if !input.len().is_multiple_of(32) {
            use alloy_sol_types::SolError;
            return PrecompileAnswer::Revert(
                OddInput {
                    length: U256::from(input.len()),
                }
                .abi_encode()
                .into(),
            );
        }
        let sum = input.chunks(32).fold(U256::ZERO, |acc, w| {
            acc.wrapping_add(U256::from_be_slice(w))
        });
        PrecompileAnswer::Return(Bytes::from(sum.to_be_bytes::<32>().to_vec()))
    }
}

#[test]
fn rust_precompile_is_callable_from_solidity_and_reverts_cheaply() {
    let (mut chain, d, alice) = deploy_genesis();
    let at = Address::with_last_byte(0xff).into_array();
    let at = Address::from({
        let mut a = at;
        a[18] = 0x5a;
        a
    });
    chain.register_precompile(at, Arc::new(WordSum)).unwrap();
    let err = chain
        .register_precompile(Address::with_last_byte(1), Arc::new(WordSum))
        .unwrap_err();
    assert!(matches!(err, ChainError::PrecompileAddressTaken { .. }));
    let probe = chain
        .deploy(
            d.deployer,
            Artifact::get("PrecompileProbe").unwrap().init_code(&[]),
        )
        .unwrap();

    let input: Bytes = (U256::from(40), U256::from(2)).abi_encode().into();
    let out = chain
        .call_sol(
            alice,
            probe,
            &bindings::PrecompileProbe::probeCall {
                precompile: at,
                input: input.clone(),
            },
        )
        .unwrap();
    assert_eq!(U256::from_be_slice(&out), U256::from(42));

    // From a transaction, the success is logged.
    let ok = chain
        .transact(TxRequest::call(
            alice,
            probe,
            bindings::PrecompileProbe::probeAndLogCall {
                precompile: at,
                input,
            }
            .abi_encode(),
        ))
        .unwrap();
    let ev = bindings::PrecompileProbe::Probed::decode_log(&ok.logs[0]).unwrap();
    assert_eq!(ev.outputHash, keccak256(U256::from(42).to_be_bytes::<32>()));

    // Failure: the precompile reverts; the contract bubbles up a decoded error, and the
    // transaction keeps most of its gas.
    let bad = bindings::PrecompileProbe::probeAndLogCall {
        precompile: at,
        input: Bytes::from_static(&[1, 2, 3]),
    };
    let hash = chain
        .submit(TxRequest::call(alice, probe, bad.abi_encode()).gas_limit(1_000_000))
        .unwrap();
    chain.seal_block();
    let r = chain.receipt(&hash).unwrap();
    let ExecStatus::Reverted { reason } = &r.status else {
        panic!("{:?}", r.status)
    };
    let expected_data = OddInput {
        length: U256::from(3),
    };
    use alloy_sol_types::SolError;
    assert_eq!(
        reason.to_string(),
        format!(
            "PrecompileFailed({}, {})",
            at.to_checksum(None),
            Bytes::from(expected_data.abi_encode())
        )
    );
    assert!(
        r.gas_used < 50_000,
        "a precompile revert must not burn the gas limit: used {}",
        r.gas_used
    );
}

#[test]
fn same_inputs_give_the_same_state_root() {
    let run = |amount: u64| {
        let (mut chain, d, alice) = deploy_genesis();
        d.mint(&mut chain, alice, ether(amount)).unwrap();
        chain
            .transact(TxRequest::transfer(alice, d.deployer, ether(1)))
            .unwrap();
        (chain.state_root(), chain.head().clone())
    };
    let (a, ha) = run(5);
    let (b, hb) = run(5);
    assert_eq!(a, b);
    assert_eq!(ha, hb, "blocks, receipts and logs are identical too");
    let (c, _) = run(6);
    assert_ne!(a, c);
}

#[test]
fn every_compiled_artifact_is_shipped() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/contracts");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .trim_end_matches(".json")
                .to_string()
        })
        .collect();
    on_disk.sort();
    let shipped: Vec<&str> = Artifact::names().collect();
    assert_eq!(
        on_disk, shipped,
        "list every artifact of fixtures/contracts in harness/src/l1/contracts.rs"
    );
    for a in Artifact::all() {
        assert!(
            a.compiler.starts_with("0.8.30+"),
            "{} compiled by {}",
            a.contract_name,
            a.compiler
        );
        // Interfaces (their file's namesake, `I` + a capital) ship their ABI only;
        // everything else is deployable.
        let interface = a.contract_name.starts_with('I')
            && a.contract_name[1..].starts_with(|c: char| c.is_ascii_uppercase());
        assert_eq!(
            a.deployed_bytecode.is_empty(),
            interface,
            "{}",
            a.contract_name
        );
    }
}

#[test]
fn bridge_pays_withdrawals_only_for_the_rollup() {
    let (mut chain, d, alice) = deploy_genesis();
    let rollup = named_address("rollup");
    chain.set_balance(rollup, ether(1));
    d.mint(&mut chain, alice, ether(10)).unwrap();
    d.approve_bridge(&mut chain, alice).unwrap();
    let dep = bindings::Bridge::depositTokenCall {
        l2Recipient: alice,
        l2Account: 1,
        l2Key: 0,
        amount: ether(4),
    };
    chain
        .transact(TxRequest::call(alice, d.bridge, dep.abi_encode()))
        .unwrap();
    let dep = bindings::Bridge::depositEthCall {
        l2Recipient: alice,
        l2Account: 1,
        l2Key: 0,
    };
    chain
        .transact(TxRequest::call(alice, d.bridge, dep.abi_encode()).value(ether(3)))
        .unwrap();

    let revert_name = |chain: &mut Chain, from, call: Vec<u8>| {
        expect_revert(chain, TxRequest::call(from, d.bridge, call)).to_string()
    };
    let pay = |asset, to, l2_amount| {
        bindings::Bridge::payWithdrawalCall {
            asset,
            to,
            l2Amount: l2_amount,
        }
        .abi_encode()
    };
    // Nobody may pay out before the rollup is set, and only the admin sets it, once.
    assert!(revert_name(&mut chain, rollup, pay(d.token, alice, 1)).starts_with("NotRollup("));
    let set = bindings::Bridge::setRollupCall { rollup_: rollup }.abi_encode();
    assert!(revert_name(&mut chain, alice, set.clone()).starts_with("NotAdmin("));
    chain
        .transact(TxRequest::call(d.deployer, d.bridge, set.clone()))
        .unwrap();
    assert!(revert_name(&mut chain, d.deployer, set).starts_with("RollupAlreadySet("));

    let bob = named_address("bob");
    chain
        .transact(TxRequest::call(
            rollup,
            d.bridge,
            pay(d.token, bob, 1_500_000_000),
        ))
        .unwrap();
    chain
        .transact(TxRequest::call(
            rollup,
            d.bridge,
            pay(Address::ZERO, bob, 2_000_000_000),
        ))
        .unwrap();
    let bal = chain
        .call_sol(
            bob,
            d.token,
            &bindings::NetworkToken::balanceOfCall::new((bob,)),
        )
        .unwrap();
    assert_eq!(bal, ether(3) / U256::from(2));
    assert_eq!(chain.balance(bob), ether(2));
    // The escrow cannot pay out more than was deposited.
    let reason = revert_name(&mut chain, rollup, pay(Address::ZERO, bob, 2_000_000_000));
    assert_eq!(
        reason,
        format!(
            "InsufficientEscrow(0x0000000000000000000000000000000000000000, {}, {})",
            ether(1),
            ether(2)
        )
    );
    assert!(revert_name(&mut chain, rollup, pay(bob, bob, 1)).starts_with("InsufficientEscrow("));
}

#[test]
fn garbage_calldata_reverts_without_data_and_keeps_the_sender_going() {
    let (mut chain, d, alice) = deploy_genesis();
    let bad = chain
        .submit(TxRequest::call(alice, d.bridge, vec![0xde, 0xad]))
        .unwrap();
    let good = chain
        .submit(TxRequest::transfer(alice, d.deployer, U256::from(1)))
        .unwrap();
    chain.seal_block();
    let r = chain.receipt(&bad).unwrap();
    assert_eq!(
        r.status,
        ExecStatus::Reverted {
            reason: RevertReason::Empty
        }
    );
    assert!(chain.receipt(&good).unwrap().status.is_success());
    assert_eq!(
        chain.nonce(alice),
        2,
        "a reverted transaction still uses its nonce"
    );
}

/// The mempool and block builder as the rules state them, written without the chain's
/// data structures: pending transactions by (sender, nonce), every fate by hash, and a
/// block built by rescanning all senders for the best next transaction each time.
#[derive(Default)]
struct MempoolModel {
    /// (sender, nonce) -> (hash, max fee, tip, arrival).
    pending: std::collections::BTreeMap<(Address, u64), (B256, u128, u128, u64)>,
    account_nonce: std::collections::BTreeMap<Address, u64>,
    fate: std::collections::BTreeMap<B256, TxStatus>,
    arrivals: u64,
    blocks: u64,
}

impl MempoolModel {
    const BUMP: u128 = 10;

    fn nonce_of(&self, sender: Address) -> u64 {
        self.account_nonce.get(&sender).copied().unwrap_or(0)
    }

    fn submit(&mut self, req: &TxRequest, chain_id: u64) -> Result<B256, SubmitError> {
        let nonce = req.nonce.unwrap_or_else(|| {
            let mut n = self.nonce_of(req.from);
            while self.pending.contains_key(&(req.from, n)) {
                n += 1;
            }
            n
        });
        let hash = req.hash_with(chain_id, nonce);
        if self.fate.contains_key(&hash) {
            return Err(SubmitError::AlreadyKnown(hash));
        }
        if let Some(&(old, max_fee, tip, _)) = self.pending.get(&(req.from, nonce)) {
            let (min_max_fee, min_tip) = (
                max_fee + max_fee * Self::BUMP / 100,
                tip + tip * Self::BUMP / 100,
            );
            if req.max_fee_per_gas < min_max_fee || req.max_priority_fee_per_gas < min_tip {
                return Err(SubmitError::ReplacementUnderpriced {
                    existing: old,
                    bump_percent: 10,
                    min_max_fee,
                    min_tip,
                });
            }
            self.fate.insert(old, TxStatus::Replaced { by: hash });
        }
        let entry = (
            hash,
            req.max_fee_per_gas,
            req.max_priority_fee_per_gas,
            self.arrivals,
        );
        self.arrivals += 1;
        self.pending.insert((req.from, nonce), entry);
        self.fate.insert(hash, TxStatus::Pending);
        Ok(hash)
    }

    /// The hashes a block with `base_fee` and room for `room` transfers includes, in order.
    fn seal(&mut self, base_fee: u64, mut room: usize) -> Vec<B256> {
        self.blocks += 1;
        let stale: Vec<_> = self
            .pending
            .keys()
            .filter(|(s, n)| *n < self.nonce_of(*s))
            .copied()
            .collect();
        for (sender, nonce) in stale {
            let (hash, ..) = self.pending.remove(&(sender, nonce)).unwrap();
            let account_nonce = self.nonce_of(sender);
            let reason = DropReason::StaleNonce {
                nonce,
                account_nonce,
            };
            self.fate.insert(hash, TxStatus::Dropped { reason });
        }
        let mut out_of_block = std::collections::BTreeSet::new();
        let mut included = Vec::new();
        loop {
            let mut best: Option<(u128, u64, Address)> = None;
            let senders: Vec<Address> = self.pending.keys().map(|(s, _)| *s).collect();
            for sender in senders {
                let key = (sender, self.nonce_of(sender));
                let Some(&(hash, max_fee, tip, arrival)) = self.pending.get(&key) else {
                    continue;
                };
                if out_of_block.contains(&sender) {
                    continue;
                }
                // Invalid whatever the base fee: dropped as soon as it is next in line.
                if tip > max_fee {
                    self.pending.remove(&key);
                    let reason = DropReason::PriorityFeeAboveMaxFee {
                        priority_fee: tip,
                        max_fee,
                    };
                    self.fate.insert(hash, TxStatus::Dropped { reason });
                    continue;
                }
                if max_fee < u128::from(base_fee) {
                    continue;
                }
                let effective = tip.min(max_fee - u128::from(base_fee));
                if best.is_none_or(|(t, a, _)| {
                    (effective, std::cmp::Reverse(arrival)) > (t, std::cmp::Reverse(a))
                }) {
                    best = Some((effective, arrival, sender));
                }
            }
            let Some((_, _, sender)) = best else {
                return included;
            };
            if room == 0 {
                // No gas left: the sender's transactions wait for a later block.
                out_of_block.insert(sender);
                continue;
            }
            room -= 1;
            let nonce = self.nonce_of(sender);
            let (hash, ..) = self.pending.remove(&(sender, nonce)).unwrap();
            let index = included.len() as u32;
            self.fate.insert(
                hash,
                TxStatus::Included {
                    block: self.blocks,
                    index,
                },
            );
            self.account_nonce.insert(sender, nonce + 1);
            included.push(hash);
        }
    }
}

/// xorshift64*: the test's own seeded randomness.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

#[test]
fn mempool_and_block_builder_match_a_model_of_the_rules() {
    const ROOM: usize = 6;
    for seed in 1..=12u64 {
        let config = ChainConfig {
            gas_limit: 21_000 * ROOM as u64,
            ..ChainConfig::default()
        };
        let (mut chain, users) = chain_with_users(config, 4);
        let chain_id = chain.config().chain_id;
        let mut model = MempoolModel::default();
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let mut sent: Vec<TxRequest> = Vec::new();
        for step in 0..400 {
            let at = format!("seed {seed}, step {step}");
            if rng.below(10) < 3 {
                let base_fee = chain.next_base_fee();
                let expected = model.seal(base_fee, ROOM);
                let block = chain.seal_block();
                assert_eq!(block.tx_hashes().collect::<Vec<_>>(), expected, "{at}");
                for (hash, fate) in &model.fate {
                    assert_eq!(chain.status(hash).as_ref(), Some(fate), "{at}: {hash}");
                }
                continue;
            }
            let from = users[rng.below(users.len() as u64) as usize];
            let fees = |rng: &mut Rng| {
                let max_fee = (1 + rng.below(4) as u128) * GWEI / 2;
                (max_fee, rng.below(5) as u128 * GWEI / 4)
            };
            let req = match rng.below(6) {
                // A duplicate of something sent before.
                0 if !sent.is_empty() => sent[rng.below(sent.len() as u64) as usize].clone(),
                // A replacement of a pending transaction, bumped by 0-20%.
                1 => match model.pending.iter().find(|((s, _), _)| *s == from) {
                    Some((&(_, nonce), &(_, max_fee, tip, _))) => {
                        let pct = 100 + u128::from(rng.below(21));
                        TxRequest::transfer(from, Address::repeat_byte(9), U256::from(2))
                            .nonce(nonce)
                            .fees(max_fee * pct / 100, tip * pct / 100)
                    }
                    None => continue,
                },
                // An explicit nonce: stale, current or beyond a gap.
                2 => {
                    let nonce = (model.nonce_of(from) + rng.below(4)).saturating_sub(1);
                    let (max_fee, tip) = fees(&mut rng);
                    TxRequest::transfer(from, Address::repeat_byte(8), U256::from(1))
                        .nonce(nonce)
                        .fees(max_fee, tip)
                }
                // The sender's next nonce.
                _ => {
                    let (max_fee, tip) = fees(&mut rng);
                    let value = U256::from(1 + rng.below(3));
                    TxRequest::transfer(from, Address::repeat_byte(7), value).fees(max_fee, tip)
                }
            };
            let expected = model.submit(&req, chain_id);
            assert_eq!(chain.submit(req.clone()), expected, "{at}");
            sent.push(req);
            let pending: Vec<B256> = chain.mempool().pending().iter().map(|t| t.hash).collect();
            let mut model_pending: Vec<_> = model.pending.values().collect();
            model_pending.sort_by_key(|(.., arrival)| *arrival);
            let model_pending: Vec<B256> = model_pending.iter().map(|(h, ..)| *h).collect();
            assert_eq!(pending, model_pending, "{at}");
            assert_eq!(chain.mempool().len(), model.pending.len(), "{at}");
        }
        // The run exercised every fate.
        let mut fates = std::collections::BTreeMap::new();
        for fate in model.fate.values() {
            let kind = match fate {
                TxStatus::Pending => "pending",
                TxStatus::Included { .. } => "included",
                TxStatus::Replaced { .. } => "replaced",
                TxStatus::Dropped {
                    reason: DropReason::StaleNonce { .. },
                } => "stale",
                TxStatus::Dropped {
                    reason: DropReason::PriorityFeeAboveMaxFee { .. },
                } => "tip above cap",
                TxStatus::Dropped { .. } => "other drop",
            };
            *fates.entry(kind).or_insert(0) += 1;
        }
        for kind in ["included", "replaced", "stale", "tip above cap"] {
            assert!(
                fates.contains_key(kind),
                "seed {seed}: no {kind} in {fates:?}"
            );
        }
        assert!(fates["included"] > 50, "seed {seed}: {fates:?}");
    }
}

/// Genesis reports no gas and no blob gas (nothing executed in it), and block 1 still
/// charges the initial base fee and a blob base fee of 1 wei.
#[test]
fn genesis_reports_no_phantom_gas() {
    let config = ChainConfig::default();
    let (mut chain, users) = chain_with_users(config.clone(), 1);
    let genesis = chain.head().clone();
    assert_eq!(genesis.number, 0);
    assert!(genesis.receipts.is_empty());
    assert_eq!(
        genesis.gas_used,
        genesis.receipts.iter().map(|r| r.gas_used).sum::<u64>()
    );
    assert_eq!(genesis.gas_used, 0);
    assert_eq!(genesis.blob_gas_used, 0);
    assert_eq!(genesis.burnt(), 0);
    assert_eq!(chain.next_base_fee(), config.initial_base_fee);
    assert_eq!(chain.next_excess_blob_gas(), 0);
    assert_eq!(chain.next_blob_base_fee(), 1);

    chain
        .submit(TxRequest::transfer(
            users[0],
            Address::repeat_byte(3),
            U256::from(1),
        ))
        .unwrap();
    chain.seal_block();
    chain.seal_block();
    let b1 = chain.block(1).unwrap();
    assert_eq!(b1.base_fee, config.initial_base_fee);
    assert_eq!((b1.excess_blob_gas, b1.blob_base_fee), (0, 1));
    // From block 1 on, EIP-1559 applies: block 1 used 21 000 of 15 M.
    let b2 = chain.block(2).unwrap();
    assert_eq!(b2.base_fee, eip1559(b1.base_fee, 21_000, b1.gas_target()));
    // Sums over blocks are the sums of their receipts.
    let gas: u64 = chain.blocks().iter().map(|b| b.gas_used).sum();
    let receipts: u64 = chain
        .blocks()
        .iter()
        .flat_map(|b| &b.receipts)
        .map(|r| r.gas_used)
        .sum();
    assert_eq!((gas, receipts), (21_000, 21_000));
    assert_eq!(
        chain.blocks().iter().map(|b| b.blob_gas_used).sum::<u64>(),
        0
    );
}

/// JSON and back, unchanged.
fn round_trip<T>(value: &T) -> T
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let json = serde_json::to_string(value)
        .unwrap_or_else(|e| panic!("{value:?} does not serialize: {e}"));
    let back: T =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{json} does not deserialize: {e}"));
    assert_eq!(&back, value, "{json}");
    back
}

/// Every variant of the L1's status, fate and drop types serializes to JSON and back,
/// including the drops revm words (`DropReason::Invalid`, which could not serialize as
/// a newtype variant under the `kind` tag): below intrinsic gas, below the EIP-7623
/// calldata floor, oversized initcode.
#[test]
fn every_status_fate_and_drop_round_trips_through_json() {
    // Listing every variant: a new one fails to compile here until it is added below.
    fn drop_kind(r: &DropReason) -> &'static str {
        match r {
            DropReason::StaleNonce { .. } => "stale_nonce",
            DropReason::PriorityFeeAboveMaxFee { .. } => "priority_fee_above_max_fee",
            DropReason::InsufficientFunds { .. } => "insufficient_funds",
            DropReason::GasLimitAboveBlockLimit { .. } => "gas_limit_above_block_limit",
            DropReason::CalldataAboveBlockBudget { .. } => "calldata_above_block_budget",
            DropReason::Invalid { .. } => "invalid",
        }
    }
    fn status_kind(s: &TxStatus) -> &'static str {
        match s {
            TxStatus::Pending => "pending",
            TxStatus::Included { .. } => "included",
            TxStatus::Dropped { .. } => "dropped",
            TxStatus::Replaced { .. } => "replaced",
        }
    }
    fn exec_kind(s: &ExecStatus) -> &'static str {
        match s {
            ExecStatus::Success => "success",
            ExecStatus::Reverted { .. } => "reverted",
            ExecStatus::Halted { .. } => "halted",
        }
    }
    fn revert_kind(r: &RevertReason) -> &'static str {
        match r {
            RevertReason::Empty => "empty",
            RevertReason::Message { .. } => "message",
            RevertReason::Panic { .. } => "panic",
            RevertReason::Custom { .. } => "custom",
            RevertReason::Unknown { .. } => "unknown",
        }
    }

    // Drops as the chain records them, revm's included.
    let (mut chain, users) = chain_with_users(ChainConfig::default(), 4);
    let to = Address::repeat_byte(5);
    let poor = named_address("poor");
    chain.set_balance(poor, U256::from(1_000u64));
    let heavy = Bytes::from(vec![0xab; 1_000]);
    let submitted = [
        chain.submit(TxRequest::transfer(poor, to, U256::from(1))),
        chain.submit(TxRequest::transfer(users[0], to, U256::from(1)).fees(2 * GWEI, 3 * GWEI)),
        chain.submit(TxRequest::transfer(users[1], to, U256::from(1)).gas_limit(40_000_000)),
        chain.submit(TxRequest::call(users[3], to, vec![1u8; 200 * 1024])),
        // Below the intrinsic gas of a transfer.
        chain.submit(TxRequest::transfer(users[2], to, U256::from(1)).gas_limit(20_000)),
    ];
    chain.seal_block();
    let more = [
        // Intrinsic gas 37 000 but an EIP-7623 floor of 61 000.
        chain.submit(TxRequest::call(users[2], to, heavy).gas_limit(40_000)),
    ];
    chain.seal_block();
    let last = [
        // Initcode above EIP-3860's 49 152 bytes.
        chain.submit(TxRequest::create(users[2], vec![0u8; 50_000]).gas_limit(20_000_000)),
    ];
    chain.seal_block();
    let mut drops: Vec<DropReason> = submitted
        .into_iter()
        .chain(more)
        .chain(last)
        .map(|h| match chain.status(&h.unwrap()) {
            Some(TxStatus::Dropped { reason }) => reason,
            other => panic!("expected a drop, got {other:?}"),
        })
        .collect();
    let invalid: Vec<String> = drops
        .iter()
        .filter_map(|d| match d {
            DropReason::Invalid { reason } => Some(reason.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(invalid.len(), 3, "revm's drops: {invalid:?}");
    drops.push(DropReason::StaleNonce {
        nonce: 0,
        account_nonce: 1,
    });
    // Fees beyond 64 bits too (written as decimal strings).
    drops.push(DropReason::PriorityFeeAboveMaxFee {
        priority_fee: u128::MAX,
        max_fee: u128::from(u64::MAX) + 1,
    });
    let mut kinds: Vec<_> = drops.iter().map(drop_kind).collect();
    kinds.sort_unstable();
    kinds.dedup();
    assert_eq!(kinds.len(), 6, "every drop reason: {kinds:?}");
    for drop in &drops {
        round_trip(drop);
        // The tag names the variant; revm's words are a field.
        let json = serde_json::to_value(drop).unwrap();
        assert_eq!(json["kind"], drop_kind(drop));
    }
    let json = serde_json::to_value(DropReason::Invalid {
        reason: "intrinsic gas too low".into(),
    })
    .unwrap();
    assert_eq!(
        json,
        serde_json::json!({"kind": "invalid", "reason": "intrinsic gas too low"})
    );

    let reverts = [
        RevertReason::Empty,
        RevertReason::Message {
            message: "no".into(),
        },
        RevertReason::Panic {
            code: 0x11,
            meaning: "arithmetic overflow".into(),
        },
        RevertReason::Custom {
            name: "InsufficientBalance".into(),
            args: vec!["0x01".into(), "0".into()],
        },
        RevertReason::Unknown {
            data: "0xdeadbeef".into(),
        },
    ];
    let execs: Vec<ExecStatus> = [
        ExecStatus::Success,
        ExecStatus::Halted {
            reason: "OutOfGas(Basic)".into(),
        },
    ]
    .into_iter()
    .chain(
        reverts
            .iter()
            .map(|r| ExecStatus::Reverted { reason: r.clone() }),
    )
    .collect();
    let statuses: Vec<TxStatus> = [
        TxStatus::Pending,
        TxStatus::Included { block: 3, index: 7 },
        TxStatus::Replaced {
            by: B256::repeat_byte(9),
        },
    ]
    .into_iter()
    .chain(drops.iter().map(|reason| TxStatus::Dropped {
        reason: reason.clone(),
    }))
    .collect();
    let count = |kinds: Vec<&'static str>| {
        let mut kinds = kinds;
        kinds.sort_unstable();
        kinds.dedup();
        kinds.len()
    };
    assert_eq!(count(reverts.iter().map(revert_kind).collect()), 5);
    assert_eq!(count(execs.iter().map(exec_kind).collect()), 3);
    assert_eq!(count(statuses.iter().map(status_kind).collect()), 4);
    for r in &reverts {
        round_trip(r);
    }
    for e in &execs {
        round_trip(e);
    }
    for s in &statuses {
        round_trip(s);
    }

    // Receipts carry them: a success with logs and a decoded revert.
    let (mut chain, d, alice) = deploy_genesis();
    let dep = bindings::Bridge::depositEthCall {
        l2Recipient: alice,
        l2Account: 1,
        l2Key: 0,
    };
    let ok = chain
        .transact(TxRequest::call(alice, d.bridge, dep.abi_encode()).value(ether(1)))
        .unwrap();
    assert!(!ok.logs.is_empty());
    round_trip(&ok);
    let transfer = bindings::NetworkToken::transferCall {
        to: d.deployer,
        amount: U256::from(5),
    };
    let hash = chain
        .submit(TxRequest::call(alice, d.token, transfer.abi_encode()))
        .unwrap();
    chain.seal_block();
    let reverted = chain.receipt(&hash).unwrap().clone();
    assert_eq!(exec_kind(&reverted.status), "reverted");
    round_trip(&reverted);
}

/// A chain whose blob base fee has risen to 2 wei: 9 blocks of 9 one-blob
/// transactions against the target of 6 (excess 27 blobs: e^(27 x 2^17 / 5 007 716)).
fn chain_with_blob_fee_2() -> (Chain, Vec<Address>) {
    let (mut chain, users) = chain_with_users(ChainConfig::default(), 10);
    for round in 0..9u8 {
        for (i, u) in users[..9].iter().enumerate() {
            chain
                .submit(
                    TxRequest::call(*u, Address::repeat_byte(6), Bytes::new())
                        .blob(vec![round, i as u8], 10)
                        .gas_limit(50_000),
                )
                .unwrap();
        }
        assert_eq!(chain.seal_block().blob_gas_used, 9 << 17);
    }
    assert_eq!(chain.next_excess_blob_gas(), 27 << 17);
    assert_eq!(chain.next_blob_base_fee(), 2);
    (chain, users)
}

/// A blob transaction whose max fee per blob gas is under the blob base fee waits in the
/// mempool, as one under the base fee does, and is included once the blob base fee falls
/// to its cap; or a replacement with a higher cap takes its place.
#[test]
fn blob_transaction_under_the_blob_base_fee_waits() {
    let blob_tx = |from: Address, cap: u128| {
        TxRequest::call(from, Address::repeat_byte(6), Bytes::new())
            .blob(vec![0xbb; 64], cap)
            .gas_limit(50_000)
    };

    // Waits, then lands when the blob base fee falls to 1 wei.
    let (mut chain, users) = chain_with_blob_fee_2();
    let waiting = chain.submit(blob_tx(users[9], 1)).unwrap();
    // Behind it, the sender's next nonce waits too.
    let behind = chain
        .submit(TxRequest::transfer(
            users[9],
            Address::repeat_byte(4),
            U256::from(1),
        ))
        .unwrap();
    let mut landed = None;
    for _ in 0..5 {
        let blob_base_fee = chain.next_blob_base_fee();
        let block = chain.seal_block();
        let included = block.tx_hashes().any(|h| h == waiting);
        assert_eq!(included, blob_base_fee <= 1, "block {}", block.number);
        if included {
            landed = Some(block.number);
            break;
        }
        assert_eq!(chain.status(&waiting), Some(TxStatus::Pending));
        assert_eq!(chain.status(&behind), Some(TxStatus::Pending));
    }
    let landed = landed.expect("included once the blob base fee falls under its cap");
    assert!(landed > 10, "it waited at least one block");
    let receipt = chain.receipt(&waiting).unwrap();
    assert_eq!(
        (receipt.blob_gas_used, receipt.blob_gas_price),
        (1 << 17, 1)
    );
    assert!(chain.receipt(&behind).is_some(), "its next nonce followed");

    // Or a replacement raising the cap (and both gas fees by 10%) is included at once.
    let (mut chain, users) = chain_with_blob_fee_2();
    let first = chain.submit(blob_tx(users[9], 1)).unwrap();
    // Six other blobs (the target) keep the blob base fee at 2 wei; three more would fit.
    for (i, u) in users[..6].iter().enumerate() {
        chain
            .submit(
                TxRequest::call(*u, Address::repeat_byte(6), Bytes::new())
                    .blob(vec![0xcc, i as u8], 10)
                    .gas_limit(50_000),
            )
            .unwrap();
    }
    let block = chain.seal_block();
    assert_eq!((block.blob_base_fee, block.blob_gas_used), (2, 6 << 17));
    assert_eq!(chain.status(&first), Some(TxStatus::Pending));
    assert_eq!(chain.next_blob_base_fee(), 2);
    let bumped = blob_tx(users[9], 2)
        .fees(
            TxRequest::DEFAULT_MAX_FEE * 11 / 10,
            TxRequest::DEFAULT_TIP * 11 / 10,
        )
        .nonce(0);
    let second = chain.submit(bumped).unwrap();
    assert_eq!(
        chain.status(&first),
        Some(TxStatus::Replaced { by: second })
    );
    let block = chain.seal_block().clone();
    assert_eq!(block.blob_base_fee, 2);
    assert!(block.tx_hashes().any(|h| h == second));
    assert_eq!(chain.receipt(&second).unwrap().blob_gas_price, 2);

    // A block built to order leaves it waiting too.
    let (mut chain, users) = chain_with_blob_fee_2();
    let low = chain.submit(blob_tx(users[9], 1)).unwrap();
    let block = chain.seal_block_with(&[low]);
    assert!(block.receipts.is_empty());
    assert_eq!(chain.status(&low), Some(TxStatus::Pending));
}
