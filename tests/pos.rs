//! PoS leader election (`contracts/StakeManager.sol`) on the embedded L1: stake-weighted
//! leaders drawn from block hashes, canonical blocks at 2/3 of the stake, slashing of
//! leaders whose slot stays empty, and exits that cannot escape a pending slash. The
//! validator actors and the cartel attacks build on this.

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_sol_types::{SolCall, SolConstructor};
use zkarena::prelude::*;
use zkarena_harness::l2::tx::{deterministic_key, key_address, SigningKey};

const TOKEN: u128 = 1_000_000_000_000_000_000;
const STAKES: [u128; 4] = [40, 30, 20, 10];

struct Pos {
    chain: Chain,
    manager: Address,
    keys: Vec<SigningKey>,
    validators: Vec<Address>,
    token: Address,
}

fn call(
    chain: &mut Chain,
    from: Address,
    to: Address,
    data: Vec<u8>,
) -> Result<Receipt, ChainError> {
    chain.transact(TxRequest::call(from, to, data).gas_limit(3_000_000))
}

/// Four validators staking 40/30/20/10 tokens; slots of one L1 block, slot 0 started; timeout 2 slots; 10% slash paid to the reporter; exits
/// wait 10 blocks.
fn pos() -> Pos {
    let mut chain = Chain::new(ChainConfig {
        seed: 3,
        ..ChainConfig::default()
    });
    let d = Deployment::deploy(&mut chain, &GenesisConfig::default()).unwrap();
    // Slot 0 starts once everyone has staked (3 blocks per validator below).
    let genesis_block = chain.head().number + 20;
    let args = bindings::StakeManager::constructorCall {
        token_: d.token,
        blocksPerSlot_: 1,
        timeoutSlots_: 2,
        slashBps_: 1_000,
        exitDelayBlocks_: 10,
        burnSlash_: false,
    };
    let manager = chain
        .deploy(
            d.deployer,
            Artifact::get("StakeManager")
                .unwrap()
                .init_code(&args.abi_encode()),
        )
        .unwrap();
    let keys: Vec<SigningKey> = (0..4)
        .map(|i| deterministic_key(3, &format!("validator-{i}")))
        .collect();
    let validators: Vec<Address> = keys.iter().map(key_address).collect();
    for (v, s) in validators.iter().zip(STAKES) {
        chain.set_balance(*v, U256::from(10 * TOKEN));
        d.mint(&mut chain, *v, U256::from(s * TOKEN)).unwrap();
        let approve = bindings::NetworkToken::approveCall {
            spender: manager,
            amount: U256::MAX,
        };
        call(&mut chain, *v, d.token, approve.abi_encode()).unwrap();
        let stake = bindings::StakeManager::stakeCall {
            amount: U256::from(s * TOKEN),
        };
        call(&mut chain, *v, manager, stake.abi_encode()).unwrap();
    }
    let begin = bindings::StakeManager::beginCall {
        rollup_: Address::ZERO,
        genesisBlock_: genesis_block,
    };
    call(&mut chain, d.deployer, manager, begin.abi_encode()).unwrap();
    while chain.head().number <= genesis_block {
        chain.seal_block();
    }
    Pos {
        chain,
        manager,
        keys,
        validators,
        token: d.token,
    }
}

impl Pos {
    fn leader(&mut self, slot: u64) -> usize {
        let l: Address = self
            .chain
            .call_sol(
                Address::ZERO,
                self.manager,
                &bindings::StakeManager::leaderCall { slot },
            )
            .unwrap();
        self.validators.iter().position(|v| *v == l).unwrap()
    }

    fn sign(&mut self, who: usize, slot: u64, block: B256) -> Bytes {
        let digest: B256 = self
            .chain
            .call_sol(
                Address::ZERO,
                self.manager,
                &bindings::StakeManager::attestationDigestCall {
                    slot,
                    blockHash: block,
                },
            )
            .unwrap();
        let (sig, recid) = self.keys[who]
            .sign_prehash_recoverable(digest.as_slice())
            .unwrap();
        let mut out = sig.to_bytes().to_vec();
        out.push(27 + recid.to_byte());
        out.into()
    }

    fn block_hash(&mut self, slot: u64, parent: B256, batch: &Bytes) -> B256 {
        self.chain
            .call_sol(
                Address::ZERO,
                self.manager,
                &bindings::StakeManager::blockHashOfCall {
                    slot,
                    parent,
                    batch: batch.clone(),
                },
            )
            .unwrap()
    }

    fn attest(
        &mut self,
        slot: u64,
        parent: B256,
        batch: &Bytes,
        who: &[usize],
    ) -> Result<Receipt, ChainError> {
        let block = self.block_hash(slot, parent, batch);
        let signatures = who.iter().map(|&w| self.sign(w, slot, block)).collect();
        let c = bindings::StakeManager::attestCall {
            slot,
            parent,
            batch: batch.clone(),
            signatures,
        };
        let reporter = Address::repeat_byte(0x77);
        self.chain.set_balance(reporter, U256::from(TOKEN));
        call(&mut self.chain, reporter, self.manager, c.abi_encode())
    }

    fn stake_of(&mut self, who: usize) -> u128 {
        let s: U256 = self
            .chain
            .call_sol(
                Address::ZERO,
                self.manager,
                &bindings::StakeManager::stakeOfCall::new((self.validators[who],)),
            )
            .unwrap();
        s.to::<u128>()
    }
}

fn reverted(r: Result<Receipt, ChainError>) -> String {
    match r {
        Err(ChainError::Failed {
            status: ExecStatus::Reverted { reason },
            ..
        }) => reason.to_string(),
        other => panic!("expected a revert, got {other:?}"),
    }
}

#[test]
fn leaders_are_drawn_by_stake_and_reproducibly() {
    let mut p = pos();
    for _ in 0..200 {
        p.chain.seal_block();
    }
    let mut counts = [0u32; 4];
    let leaders: Vec<usize> = (0..200).map(|s| p.leader(s)).collect();
    for &l in &leaders {
        counts[l] += 1;
    }
    // 40/30/20/10 % of 200 slots, within sampling noise.
    for (c, s) in counts.iter().zip(STAKES) {
        let expected = 2 * s as u32;
        assert!(c.abs_diff(expected) <= 25, "counts {counts:?}");
    }
    // The smallest staker rarely leads twice in a row (10% x 10%).
    let repeats = leaders
        .windows(2)
        .filter(|w| w[0] == 3 && w[1] == 3)
        .count();
    assert!(repeats <= 6, "{repeats}");
    // Same chain seed, same leaders.
    let mut again = pos();
    for _ in 0..200 {
        again.chain.seal_block();
    }
    assert_eq!(
        (0..50).map(|s| again.leader(s)).collect::<Vec<_>>(),
        leaders[..50]
    );
    // A slot that has not started has no leader yet.
    let far = p.chain.head().number + 10;
    let err = p
        .chain
        .call_sol(
            Address::ZERO,
            p.manager,
            &bindings::StakeManager::leaderCall { slot: far },
        )
        .unwrap_err();
    assert!(format!("{err:?}").contains("SlotNotStarted"), "{err:?}");
}

#[test]
fn a_block_is_canonical_at_two_thirds_of_the_stake_with_its_leader() {
    let mut p = pos();
    p.chain.seal_block();
    p.chain.seal_block();
    let slot = 1;
    let l = p.leader(slot);
    let batch = Bytes::from_static(b"a batch");
    let others: Vec<usize> = (0..4).filter(|&i| i != l).collect();
    // Without the leader's signature, nothing counts.
    let reason = reverted(p.attest(slot, B256::ZERO, &batch, &others));
    assert!(reason.starts_with("LeaderDidNotSign("), "{reason}");
    // The first block's parent is the genesis head, zero.
    let wrong_parent = B256::repeat_byte(0x99);
    let reason = reverted(p.attest(slot, wrong_parent, &batch, &[l]));
    assert!(reason.starts_with("NotOnHead("), "{reason}");
    // Add attesters by stake until 2/3 (of 100) is reached: canonical exactly then.
    let mut signed = vec![l];
    let mut stake = STAKES[l];
    for &o in &others {
        p.attest(slot, B256::ZERO, &batch, &signed).unwrap();
        let canonical: B256 = p
            .chain
            .call_sol(
                Address::ZERO,
                p.manager,
                &bindings::StakeManager::canonicalCall::new((slot,)),
            )
            .unwrap();
        assert_eq!(canonical != B256::ZERO, stake * 3 >= 200, "stake {stake}");
        if canonical != B256::ZERO {
            break;
        }
        signed.push(o);
        stake += STAKES[o];
    }
    assert!(stake * 3 >= 200);
    let block = p.block_hash(slot, B256::ZERO, &batch);
    let head: B256 = p
        .chain
        .call_sol(
            Address::ZERO,
            p.manager,
            &bindings::StakeManager::headCall {},
        )
        .unwrap();
    assert_eq!(head, block, "the canonical block is the new head");
    // An earlier slot cannot extend it, and a later block must name it as parent.
    let l0 = p.leader(0);
    let reason = reverted(p.attest(0, block, &batch, &[l0]));
    assert!(reason.starts_with("SlotBehindHead("), "{reason}");
    p.chain.seal_block();
    p.chain.seal_block();
    let l3 = p.leader(3);
    let reason = reverted(p.attest(3, B256::ZERO, &batch, &[l3]));
    assert!(reason.starts_with("NotOnHead("), "{reason}");
    p.attest(3, block, &batch, &[l3]).unwrap();
}

#[test]
fn an_empty_slot_slashes_its_leader_after_the_timeout_and_exits_cannot_escape() {
    let mut p = pos();
    p.chain.seal_block();
    let slot = 0;
    let l = p.leader(slot);
    // The leader asks to exit at once; its stake stays until the delay passes.
    let exit = bindings::StakeManager::requestExitCall {};
    call(&mut p.chain, p.validators[l], p.manager, exit.abi_encode()).unwrap();
    let reason = reverted(call(
        &mut p.chain,
        p.validators[l],
        p.manager,
        bindings::StakeManager::withdrawCall {}.abi_encode(),
    ));
    assert!(reason.starts_with("ExitPending("), "{reason}");
    // Too early to slash: the timeout is 2 slots after the slot.
    let reporter = Address::repeat_byte(0x55);
    p.chain.set_balance(reporter, U256::from(TOKEN));
    let slash = bindings::StakeManager::slashMissedCall { slot };
    let head = p.chain.head().number;
    let start: u64 = p
        .chain
        .call_sol(
            Address::ZERO,
            p.manager,
            &bindings::StakeManager::slotStartCall { slot: 3 },
        )
        .unwrap();
    if head + 1 < start {
        let reason = reverted(call(&mut p.chain, reporter, p.manager, slash.abi_encode()));
        assert!(reason.starts_with("TimeoutNotReached("), "{reason}");
    }
    for _ in 0..3 {
        p.chain.seal_block();
    }
    let before = p.stake_of(l);
    let leaders_before: Vec<usize> = (0..4).map(|s| p.leader(s)).collect();
    call(&mut p.chain, reporter, p.manager, slash.abi_encode()).unwrap();
    // Stake counts as it was at a slot's start: a slash does not redraw past leaders.
    let leaders_after: Vec<usize> = (0..4).map(|s| p.leader(s)).collect();
    assert_eq!(leaders_before, leaders_after);
    let cut = before / 10;
    assert_eq!(p.stake_of(l), before - cut, "10% slashed");
    let paid: U256 = p
        .chain
        .call_sol(
            Address::ZERO,
            p.token,
            &bindings::NetworkToken::balanceOfCall::new((reporter,)),
        )
        .unwrap();
    assert_eq!(paid, U256::from(cut), "the reporter is paid the slash");
    let reason = reverted(call(&mut p.chain, reporter, p.manager, slash.abi_encode()));
    assert!(reason.starts_with("AlreadySlashed("), "{reason}");
    // After the delay, the leader withdraws what is left.
    for _ in 0..10 {
        p.chain.seal_block();
    }
    call(
        &mut p.chain,
        p.validators[l],
        p.manager,
        bindings::StakeManager::withdrawCall {}.abi_encode(),
    )
    .unwrap();
    assert_eq!(p.stake_of(l), 0);
}
