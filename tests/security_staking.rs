//! Attacks on PoS leader election (`contracts/StakeManager.sol`) from a security review,
//! each performed end to end on the embedded L1 and asserted to fail with the typed
//! revert its fix introduced, while honest validators lose nothing:
//!
//! - finding 8: a late `slashMissed` after BLOCKHASH forgot the slot's start block
//!   redrew the leader (from a zero hash) and slashed someone else; a timeout longer
//!   than the window made the real leader unslashable;
//! - finding 9: sybil stakes (thousands of one-wei validators) made `attest` and
//!   `slashMissed` loop past a block's gas;
//! - finding 10: with the slash paid to the reporter, a leader reporting its own
//!   missed slot from a second address got the whole slash back.
//!
//! Figures come from the contract's constants and the shipped scenarios' parameters,
//! never from copied output.

use std::process::Command;

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_sol_types::{SolCall, SolConstructor, SolEvent};
use zkarena::mechanisms::pos::validator::{draw_leader, rules};
use zkarena::mechanisms::pos::ProofOfStake;
use zkarena::prelude::*;
use zkarena::scenario::{MechanismConfig, Scenario};
use zkarena_harness::l2::tx::{deterministic_key, key_address, SigningKey};

const TOKEN: u128 = 1_000_000_000_000_000_000;

/// The StakeManager's constructor parameters.
#[derive(Clone, Debug)]
struct Params {
    blocks_per_slot: u64,
    timeout_slots: u64,
    slash_bps: u16,
    burn: bool,
    min_stake: U256,
    max_validators: u64,
    reporter_bps: u16,
}

impl Params {
    /// The shipped scenarios' mechanism (`pos-uncle-20`, the defaults for the minimum
    /// stake, the validator cap and the reporter's share), with slots of one L1 block
    /// so the tests seal fewer blocks.
    fn shipped() -> Self {
        let s = Scenario::load("pos-uncle-20").unwrap();
        let MechanismConfig::ProofOfStake(ProofOfStake {
            timeout_slots,
            slash_bps,
            burn_slash,
            min_stake,
            max_validators,
            reporter_bps,
            ..
        }) = s.mechanism
        else {
            panic!("pos-uncle-20 is proof of stake");
        };
        Params {
            blocks_per_slot: 1,
            timeout_slots,
            slash_bps,
            burn: burn_slash,
            min_stake: U256::from(min_stake) * U256::from(TOKEN),
            max_validators,
            reporter_bps,
        }
    }
}

/// An L1 with the network token and bridge deployed.
struct Net {
    chain: Chain,
    d: Deployment,
}

/// A StakeManager on `Net`, with its validators' keys.
struct Pos {
    net: Net,
    manager: Address,
    keys: Vec<SigningKey>,
    validators: Vec<Address>,
}

fn reason(r: Result<impl std::fmt::Debug, ChainError>) -> String {
    match r {
        Err(ChainError::Failed {
            status: ExecStatus::Reverted { reason },
            ..
        }) => reason.to_string(),
        other => panic!("expected a revert, got {other:?}"),
    }
}

impl Net {
    fn new() -> Self {
        let mut chain = Chain::new(ChainConfig {
            seed: 8,
            ..ChainConfig::default()
        });
        let d = Deployment::deploy(&mut chain, &GenesisConfig::default()).unwrap();
        Net { chain, d }
    }

    fn deploy(&mut self, p: &Params) -> Result<Address, ChainError> {
        let args = bindings::StakeManager::constructorCall {
            token_: self.d.token,
            blocksPerSlot_: p.blocks_per_slot,
            timeoutSlots_: p.timeout_slots,
            slashBps_: p.slash_bps,
            exitDelayBlocks_: 10,
            burnSlash_: p.burn,
            minStake_: p.min_stake,
            maxValidators_: U256::from(p.max_validators),
            reporterBps_: p.reporter_bps,
        };
        let code = Artifact::get("StakeManager")
            .unwrap()
            .init_code(&args.abi_encode());
        self.chain.deploy(self.d.deployer, code)
    }

    fn view<C: SolCall>(&mut self, to: Address, call: &C) -> C::Return {
        self.chain.call_sol(Address::ZERO, to, call).unwrap()
    }

    fn send<C: SolCall>(
        &mut self,
        from: Address,
        to: Address,
        call: &C,
        gas: u64,
    ) -> Result<Receipt, ChainError> {
        self.chain.set_balance(from, U256::from(10 * TOKEN));
        self.chain
            .transact(TxRequest::call(from, to, call.abi_encode()).gas_limit(gas))
    }

    fn tokens_of(&mut self, who: Address) -> U256 {
        let token = self.d.token;
        self.view(token, &bindings::NetworkToken::balanceOfCall::new((who,)))
    }

    /// Submits `requests` and seals blocks until every one is in; their receipts.
    fn include(&mut self, requests: Vec<TxRequest>) -> Vec<Receipt> {
        let hashes: Vec<TxHash> = requests
            .into_iter()
            .map(|r| self.chain.submit(r).unwrap())
            .collect();
        while hashes.iter().any(|h| self.chain.receipt(h).is_none()) {
            self.chain.seal_block();
        }
        hashes
            .iter()
            .map(|h| self.chain.receipt(h).unwrap().clone())
            .collect()
    }
}

impl Pos {
    /// A StakeManager with `p`, and validators `validator-i` staking `stakes[i]` (in
    /// staking order), started with slot 0 at the next block.
    fn new(p: &Params, stakes: &[U256]) -> Self {
        let mut net = Net::new();
        let manager = net.deploy(p).unwrap();
        let keys: Vec<SigningKey> = (0..stakes.len())
            .map(|i| deterministic_key(8, &format!("validator-{i}")))
            .collect();
        let validators: Vec<Address> = keys.iter().map(key_address).collect();
        // Minted and approved first, then staked, many to a block.
        let mut funding = Vec::new();
        for (v, s) in validators.iter().zip(stakes) {
            net.chain.set_balance(*v, U256::from(10 * TOKEN));
            let mint = bindings::NetworkToken::mintCall { to: *v, amount: *s };
            funding.push(TxRequest::call(
                net.d.deployer,
                net.d.token,
                mint.abi_encode(),
            ));
            let approve = bindings::NetworkToken::approveCall {
                spender: manager,
                amount: U256::MAX,
            };
            funding.push(TxRequest::call(*v, net.d.token, approve.abi_encode()));
        }
        net.include(funding);
        let staking = validators
            .iter()
            .zip(stakes)
            .map(|(v, s)| {
                let stake = bindings::StakeManager::stakeCall { amount: *s };
                TxRequest::call(*v, manager, stake.abi_encode()).gas_limit(300_000)
            })
            .collect();
        for r in net.include(staking) {
            assert!(r.status.is_success(), "{:?}", r.status);
        }
        let genesis = net.chain.head().number + 2;
        let begin = bindings::StakeManager::beginCall {
            rollup_: Address::ZERO,
            genesisBlock_: genesis,
        };
        let deployer = net.d.deployer;
        net.send(deployer, manager, &begin, 200_000).unwrap();
        Pos {
            net,
            manager,
            keys,
            validators,
        }
    }

    fn view<C: SolCall>(&mut self, call: &C) -> C::Return {
        let m = self.manager;
        self.net.view(m, call)
    }

    fn try_view<C: SolCall>(&mut self, call: &C) -> Result<C::Return, CallError> {
        self.net.chain.call_sol(Address::ZERO, self.manager, call)
    }

    fn send<C: SolCall>(&mut self, from: Address, call: &C) -> Result<Receipt, ChainError> {
        let m = self.manager;
        self.net.send(from, m, call, 30_000_000 / 2)
    }

    fn slot_start(&mut self, slot: u64) -> u64 {
        self.view(&bindings::StakeManager::slotStartCall { slot })
    }

    /// The first L1 block at which `slot`'s leader can be slashed.
    fn slashable_from(&mut self, slot: u64) -> u64 {
        let timeout: u64 = self.view(&bindings::StakeManager::timeoutSlotsCall {});
        self.slot_start(slot + 1 + timeout)
    }

    /// Seals blocks until the head is at least block `number`.
    fn seal_until(&mut self, number: u64) {
        while self.net.chain.head().number < number {
            self.net.chain.seal_block();
        }
    }

    fn leader(&mut self, slot: u64) -> Address {
        self.view(&bindings::StakeManager::leaderCall { slot })
    }

    fn leader_index(&mut self, slot: u64) -> usize {
        let l = self.leader(slot);
        self.index(l)
    }

    fn index(&self, who: Address) -> usize {
        self.validators.iter().position(|v| *v == who).unwrap()
    }

    fn stake_of(&mut self, who: Address) -> U256 {
        self.view(&bindings::StakeManager::stakeOfCall::new((who,)))
    }

    fn stakes(&mut self) -> Vec<U256> {
        let all = self.validators.clone();
        all.iter().map(|v| self.stake_of(*v)).collect()
    }

    fn burnt(&mut self) -> U256 {
        self.view(&bindings::StakeManager::burntCall {})
    }

    /// Posts the block (slot, head, `batch`) with the signatures of `who`.
    fn attest(&mut self, slot: u64, who: &[usize]) -> Result<Receipt, ChainError> {
        let parent: B256 = self.view(&bindings::StakeManager::headCall {});
        let batch = Bytes::from(format!("batch of slot {slot}").into_bytes());
        let block: B256 = self.view(&bindings::StakeManager::blockHashOfCall {
            slot,
            parent,
            batch: batch.clone(),
        });
        let digest: B256 = self.view(&bindings::StakeManager::attestationDigestCall {
            slot,
            blockHash: block,
        });
        let signatures = who
            .iter()
            .map(|&w| {
                let (sig, recid) = self.keys[w]
                    .sign_prehash_recoverable(digest.as_slice())
                    .unwrap();
                let mut out = sig.to_bytes().to_vec();
                out.push(27 + recid.to_byte());
                Bytes::from(out)
            })
            .collect();
        let call = bindings::StakeManager::attestCall {
            slot,
            parent,
            batch,
            signatures,
        };
        self.send(Address::repeat_byte(0x77), &call)
    }

    fn canonical(&mut self, slot: u64) -> bool {
        let c: B256 = self.view(&bindings::StakeManager::canonicalCall::new((slot,)));
        c != B256::ZERO
    }

    /// `reporter` reports `slot`; the slashed validator, the amount and the reward.
    fn report(&mut self, reporter: Address, slot: u64) -> Result<Slash, ChainError> {
        let r = self.send(reporter, &bindings::StakeManager::slashMissedCall { slot })?;
        let e = r
            .logs
            .iter()
            .find_map(|l| bindings::StakeManager::Slashed::decode_log(l).ok())
            .expect("a Slashed event");
        Ok(Slash {
            validator: e.validator,
            amount: e.amount,
            reward: e.reward,
            gas: r.gas_used,
        })
    }
}

/// What a `slashMissed` did.
#[derive(Debug)]
struct Slash {
    validator: Address,
    amount: U256,
    reward: U256,
    gas: u64,
}

fn multiples(min: U256, of: &[u64]) -> Vec<U256> {
    of.iter().map(|k| min * U256::from(*k)).collect()
}

// ---------------------------------------------------------------------------------
// Finding 8: the leader redrawn after 256 blocks.
// ---------------------------------------------------------------------------------

#[test]
fn a_late_report_slashes_the_leader_drawn_at_the_slot_start_or_nobody() {
    let p = Params::shipped();
    let stakes = multiples(p.min_stake, &[4, 3, 2, 1]);
    let mut pos = Pos::new(&p, &stakes);
    let window: U256 = pos.view(&bindings::StakeManager::BLOCKHASH_WINDOWCall {});
    let window = window.to::<u64>();
    assert_eq!(window, rules::BLOCKHASH_WINDOW);
    // Slots whose leader a draw from a forgotten (zero) hash names differently: the
    // validator a late report used to slash instead.
    let wei: Vec<u128> = stakes.iter().map(|s| s.to::<u128>()).collect();
    let until = pos.slot_start(40) + 1;
    pos.seal_until(until);
    let mut redrawn = (0..40u64).filter(|&s| {
        let start = pos.slot_start(s);
        let real = draw_leader(&wei, s, pos.net.chain.block_hash(start));
        real != draw_leader(&wei, s, B256::ZERO)
    });
    let (attested, untouched) = (redrawn.next().unwrap(), redrawn.next().unwrap());
    let real = pos.leader(attested);
    let real_untouched = pos.leader(untouched);
    let zero_leader = pos.validators[draw_leader(&wei, attested, B256::ZERO).unwrap()];
    assert_ne!(real, zero_leader);
    // The leader of `attested` posts its block with its own signature only (short of
    // 2/3): the slot is touched while its start hash is readable, and stays empty.
    let l = pos.index(real);
    pos.attest(attested, &[l]).unwrap();
    assert!(!pos.canonical(attested));
    let seed: B256 = pos.view(&bindings::StakeManager::seedOfCall::new((attested,)));
    let start = pos.slot_start(attested);
    assert_eq!(seed, pos.net.chain.block_hash(start));
    // Both slots' start blocks leave BLOCKHASH's window.
    let expired = pos.slot_start(untouched).max(start) + window + 1;
    pos.seal_until(expired);
    let before = pos.stakes();
    // The late report slashes the leader drawn at the slot's start, not another one.
    let reporter = Address::repeat_byte(0x51);
    let slash = pos.report(reporter, attested).unwrap();
    assert_eq!(slash.validator, real, "the real leader");
    assert_eq!(pos.leader(attested), real, "still readable once recorded");
    let after = pos.stakes();
    for (i, v) in pos.validators.clone().into_iter().enumerate() {
        let lost = before[i] - after[i];
        if v == real {
            assert_eq!(lost, slash.amount);
            assert!(lost > U256::ZERO);
        } else {
            assert_eq!(
                lost,
                U256::ZERO,
                "validator {i} (zero-hash leader: {})",
                v == zero_leader
            );
        }
    }
    // A slot nobody touched while its hash was readable has no leader any more: the
    // report is refused instead of slashing whoever a zero hash draws.
    let start_untouched = pos.slot_start(untouched);
    let why = reason(pos.report(reporter, untouched));
    assert_eq!(why, format!("SeedExpired({untouched}, {start_untouched})"));
    let err = pos
        .try_view(&bindings::StakeManager::leaderCall { slot: untouched })
        .unwrap_err();
    assert!(format!("{err:?}").contains("SeedExpired"), "{err:?}");
    assert_eq!(pos.stakes(), after, "nobody else lost stake");
    eprintln!(
        "late report: slot {attested} (real leader {l}) slashed {} wei; slot {untouched} (leader {}) refused",
        slash.amount,
        pos.index(real_untouched)
    );
}

#[test]
fn the_timeout_leaves_reports_a_margin_inside_the_blockhash_window() {
    let shipped = Params::shipped();
    let mut net = Net::new();
    let probe = net.deploy(&shipped).unwrap();
    let max: U256 = net.view(probe, &bindings::StakeManager::MAX_TIMEOUT_BLOCKSCall {});
    let margin: U256 = net.view(probe, &bindings::StakeManager::REPORT_MARGIN_BLOCKSCall {});
    let window: U256 = net.view(probe, &bindings::StakeManager::BLOCKHASH_WINDOWCall {});
    let (max, margin, window) = (max.to::<u64>(), margin.to::<u64>(), window.to::<u64>());
    // The scenario validation mirrors the contract.
    assert_eq!(
        (max, margin, window),
        (
            rules::MAX_TIMEOUT_BLOCKS,
            rules::REPORT_MARGIN_BLOCKS,
            rules::BLOCKHASH_WINDOW
        )
    );
    assert_eq!(max + margin, window);
    // A timeout whose slashable block leaves no margin is refused at deployment:
    // (1 + timeout) x blocks per slot above the bound, for slots of 1 and 2 blocks.
    for (blocks_per_slot, timeout_slots) in [(1, max), (2, max / 2)] {
        let p = Params {
            blocks_per_slot,
            timeout_slots,
            ..shipped.clone()
        };
        let why = reason(net.deploy(&p));
        assert_eq!(
            why,
            format!("TimeoutTooLong({timeout_slots}, {blocks_per_slot}, {max})")
        );
    }
    // At the bound, a slot nobody touched is still slashed, for its real leader, by a
    // report in the last block of the margin...
    let p = Params {
        timeout_slots: max - 1,
        ..shipped
    };
    let mut pos = Pos::new(&p, &multiples(p.min_stake, &[4, 3, 2, 1]));
    let start = pos.slot_start(0);
    pos.seal_until(start + 1);
    let real = pos.leader(0);
    let from = pos.slashable_from(0);
    assert_eq!(from, start + max);
    pos.seal_until(from + margin - 1);
    let slash = pos.report(Address::repeat_byte(0x52), 0).unwrap();
    assert_eq!(slash.validator, real);
    assert_eq!(pos.net.chain.head().number, start + window);
    // ... and refused one block past the window.
    let start1 = pos.slot_start(1);
    pos.seal_until(start1 + window);
    let why = reason(pos.report(Address::repeat_byte(0x52), 1));
    assert_eq!(why, format!("SeedExpired(1, {start1})"));
}

#[test]
fn check_refuses_a_scenario_whose_timeout_the_blockhash_window_cannot_hold() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/scenarios/pos-uncle-20.json"),
    )
    .unwrap();
    let dir = std::env::temp_dir().join(format!("zkarena-security-staking-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let check = |blocks_per_slot: u64, timeout_slots: u64| {
        let mut s: serde_json::Value = serde_json::from_str(&text).unwrap();
        s["mechanism"]["blocks_per_slot"] = blocks_per_slot.into();
        s["mechanism"]["timeout_slots"] = timeout_slots.into();
        let path = dir.join(format!("timeout-{blocks_per_slot}-{timeout_slots}.json"));
        std::fs::write(&path, s.to_string()).unwrap();
        Command::new(env!("CARGO_BIN_EXE_zkarena"))
            .args(["check", path.to_str().unwrap()])
            .output()
            .unwrap()
    };
    let max = rules::MAX_TIMEOUT_BLOCKS;
    for blocks_per_slot in [2, 4] {
        // (1 + timeout) x blocks per slot exactly at the bound: accepted.
        let at = max / blocks_per_slot - 1;
        let out = check(blocks_per_slot, at);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // One slot more: refused, exit 2, naming the field.
        let out = check(blocks_per_slot, at + 1);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("`mechanism.timeout_slots`"), "{err}");
        assert!(err.contains(&max.to_string()), "{err}");
    }
}

// ---------------------------------------------------------------------------------
// Finding 9: sybil stakes make `attest` unbounded.
// ---------------------------------------------------------------------------------

/// The one-wei stakes of the finding: enough to push the old `attest` past 30 M gas.
const SYBIL_STAKES: usize = 2_000;

/// EIP-2929 / EIP-2200 and precompile costs the gas bound is built from.
const COLD_SLOAD: u64 = 2_100;
const WARM_SLOAD: u64 = 100;
const SSTORE_SET: u64 = 20_000;
const ECRECOVER: u64 = 3_000;
const CALLDATA_BYTE: u64 = 16;
/// Storage the loops read per validator: its entry in `validators`, `activeFrom`,
/// `exitAt`, its checkpoint count and one checkpoint.
const SLOTS_PER_VALIDATOR: u64 = 5;
/// Interpreter work per validator and pass: the calls into `stakeOfAt` and
/// `countsAt`, the mappings' keccaks, checked arithmetic, jumps (about 1,700 measured
/// on `slashMissed`), generously.
const STEPS_PER_PASS: u64 = 2_500;
/// A signature's calldata: 65 bytes padded to 96, its length and its offset.
const SIGNATURE_BYTES: u64 = 96 + 32 + 32;

/// Gas one more validator adds to `attest`: one cold pass over its storage (the
/// stake total of the draw) and two warm ones (the draw, the 2/3 base).
fn per_validator_attest() -> u64 {
    SLOTS_PER_VALIDATOR * COLD_SLOAD + 2 * SLOTS_PER_VALIDATOR * WARM_SLOAD + 3 * STEPS_PER_PASS
}

/// Gas one more validator adds to `slashMissed`: one cold pass and the draw's warm one.
fn per_validator_slash() -> u64 {
    SLOTS_PER_VALIDATOR * COLD_SLOAD + SLOTS_PER_VALIDATOR * WARM_SLOAD + 2 * STEPS_PER_PASS
}

/// Gas one more signature adds to `attest`: recovery, the cold `attestedBy` slot set,
/// the signer's stake (warm), its calldata and the work around it.
fn per_signature() -> u64 {
    ECRECOVER
        + COLD_SLOAD
        + SSTORE_SET
        + SLOTS_PER_VALIDATOR * WARM_SLOAD
        + SIGNATURE_BYTES * CALLDATA_BYTE
        + 2 * STEPS_PER_PASS
}

/// The most gas `attest` can take with `validators` staked and `signatures` new
/// signatures, anchored at `one`, what it took with one validator signing.
fn attest_bound(one: u64, validators: u64, signatures: u64) -> u64 {
    one + (validators - 1) * per_validator_attest() + (signatures - 1) * per_signature()
}

/// The most gas `slashMissed` can take with `validators` staked, anchored at `one`.
fn slash_bound(one: u64, validators: u64) -> u64 {
    one + (validators - 1) * per_validator_slash()
}

#[test]
fn sybil_stakes_are_refused_and_a_full_set_keeps_attest_and_slashing_bounded() {
    let shipped = Params::shipped();
    let mut net = Net::new();
    let probe = net.deploy(&shipped).unwrap();
    let ceiling: U256 = net.view(
        probe,
        &bindings::StakeManager::MAX_VALIDATORS_CEILINGCall {},
    );
    let ceiling = ceiling.to::<u64>();
    assert_eq!(ceiling, rules::MAX_VALIDATORS_CEILING);
    assert!(shipped.max_validators <= ceiling);
    // Deployment refuses a zero minimum and a cap above the ceiling.
    let why = reason(net.deploy(&Params {
        min_stake: U256::ZERO,
        ..shipped.clone()
    }));
    assert_eq!(why, "InvalidMinStake(0)");
    let why = reason(net.deploy(&Params {
        max_validators: ceiling + 1,
        ..shipped.clone()
    }));
    assert_eq!(
        why,
        format!("InvalidMaxValidators({}, {ceiling})", ceiling + 1)
    );

    // The worst set a deployment may have: the cap at the ceiling. Four honest
    // validators hold most of the stake...
    let p = Params {
        max_validators: ceiling,
        ..shipped
    };
    let min = p.min_stake;
    let honest = multiples(min, &[100, 100, 100, 100]);
    let mut pos = Pos::new(&p, &honest);
    let honest_n = honest.len();

    // ...and the attacker tries 2,000 one-wei stakes: every one is refused.
    let sybils: Vec<Address> = (0..SYBIL_STAKES)
        .map(|i| Address::from_word(B256::from(U256::from(0x5b1_0000 + i))))
        .collect();
    let attempts = sybils
        .iter()
        .map(|s| {
            pos.net.chain.set_balance(*s, U256::from(TOKEN));
            let call = bindings::StakeManager::stakeCall {
                amount: U256::from(1),
            };
            TxRequest::call(*s, pos.manager, call.abi_encode()).gas_limit(100_000)
        })
        .collect();
    for r in pos.net.include(attempts) {
        match &r.status {
            ExecStatus::Reverted { reason } => {
                assert_eq!(reason.to_string(), format!("StakeBelowMinimum(1, {min})"))
            }
            other => panic!("a one-wei stake went through: {other:?}"),
        }
    }
    let count: U256 = pos.view(&bindings::StakeManager::validatorCountCall {});
    assert_eq!(count, U256::from(honest_n));

    // With the minimum each, it fills the set up to the cap; one more is refused.
    let keys: Vec<SigningKey> = (0..ceiling as usize - honest_n + 1)
        .map(|i| deterministic_key(8, &format!("sybil-{i}")))
        .collect();
    let mut funding = Vec::new();
    for k in &keys {
        let a = key_address(k);
        pos.net.chain.set_balance(a, U256::from(10 * TOKEN));
        let mint = bindings::NetworkToken::mintCall { to: a, amount: min };
        funding.push(TxRequest::call(
            pos.net.d.deployer,
            pos.net.d.token,
            mint.abi_encode(),
        ));
        let approve = bindings::NetworkToken::approveCall {
            spender: pos.manager,
            amount: U256::MAX,
        };
        funding.push(TxRequest::call(a, pos.net.d.token, approve.abi_encode()));
    }
    pos.net.include(funding);
    let (last, fill) = keys.split_last().unwrap();
    let staking = fill
        .iter()
        .map(|k| {
            let call = bindings::StakeManager::stakeCall { amount: min };
            TxRequest::call(key_address(k), pos.manager, call.abi_encode()).gas_limit(300_000)
        })
        .collect();
    for r in pos.net.include(staking) {
        assert!(r.status.is_success(), "{:?}", r.status);
    }
    let why = reason(pos.send(
        key_address(last),
        &bindings::StakeManager::stakeCall { amount: min },
    ));
    assert_eq!(why, format!("ValidatorSetFull({ceiling})"));
    let count: U256 = pos.view(&bindings::StakeManager::validatorCountCall {});
    assert_eq!(count, U256::from(ceiling));
    pos.keys.extend(fill.iter().cloned());
    pos.validators.extend(fill.iter().map(key_address));

    // The gas of a single validator's attest and report anchors the bound.
    let mut one = Pos::new(&p, &[min]);
    let until = one.slot_start(1);
    one.seal_until(until);
    let one_attest = one.attest(0, &[0]).unwrap().gas_used;
    assert!(one.canonical(0));
    let until = one.slashable_from(1);
    one.seal_until(until);
    let one_slash = one.report(Address::repeat_byte(0x53), 1).unwrap().gas;

    // The slots the sybils staked in count them from the next block on: look at slots
    // starting after that.
    let first = {
        let head = pos.net.chain.head().number;
        (0..).find(|&s| pos.slot_start(s) > head).unwrap()
    };
    let until = pos.slot_start(first + 8) + 1;
    pos.seal_until(until);
    let all: Vec<usize> = (0..ceiling as usize).collect();
    let n = ceiling;
    // Every validator signs the first slot's block: canonical, within the bound.
    let l = pos.leader_index(first);
    let mut signers = vec![l];
    signers.extend(all.iter().filter(|&&i| i != l));
    let full = pos.attest(first, &signers).unwrap().gas_used;
    assert!(pos.canonical(first));
    let full_bound = attest_bound(one_attest, n, n);
    assert!(full <= full_bound, "attest {full} > bound {full_bound}");
    // A slot an honest validator leads: the honest signatures alone still make it
    // canonical (the sybils hold a small share), within the bound.
    let honest_slot = (first + 1..first + 8)
        .find(|&s| pos.leader_index(s) < honest_n)
        .expect("an honest leader within 7 slots");
    let l = pos.leader_index(honest_slot);
    let mut signers = vec![l];
    signers.extend((0..honest_n).filter(|&i| i != l));
    let honest_gas = pos.attest(honest_slot, &signers).unwrap().gas_used;
    assert!(
        pos.canonical(honest_slot),
        "honest blocks still become canonical"
    );
    let honest_bound = attest_bound(one_attest, n, honest_n as u64);
    assert!(
        honest_gas <= honest_bound,
        "attest {honest_gas} > bound {honest_bound}"
    );
    // A slot left empty is reported within the bound.
    let empty = honest_slot + 1;
    let from = pos.slashable_from(empty);
    pos.seal_until(from);
    let slash = pos.report(Address::repeat_byte(0x54), empty).unwrap();
    let slash_max = slash_bound(one_slash, n);
    assert!(
        slash.gas <= slash_max,
        "slashMissed {} > bound {slash_max}",
        slash.gas
    );
    eprintln!(
        "full set of {n}: attest {full} gas with {n} signatures (bound {full_bound}), {honest_gas} with {honest_n} (bound {honest_bound}); slashMissed {} (bound {slash_max}); one validator: attest {one_attest}, slashMissed {one_slash}",
        slash.gas
    );
    // The bounds fit the validators' gas limits, far below a block; the same bound
    // with the finding's 2,000 validators does not fit a 30 M block.
    let block = pos.net.chain.head().gas_limit;
    assert!(full_bound <= rules::ATTEST_GAS_LIMIT && rules::ATTEST_GAS_LIMIT <= block / 4);
    assert!(slash_max <= rules::SLASH_GAS_LIMIT && rules::SLASH_GAS_LIMIT <= block / 4);
    assert!(attest_bound(one_attest, SYBIL_STAKES as u64, 1) > block);
    // Nothing honest was lost: the honest stakes are whole unless slashed for a slot
    // they led and left empty.
    let slashed = pos.index(slash.validator);
    for (i, s) in honest.iter().enumerate() {
        let now = pos.stake_of(pos.validators[i]);
        if i == slashed {
            assert_eq!(now, *s - slash.amount);
        } else {
            assert_eq!(now, *s, "honest validator {i}");
        }
    }
}

// ---------------------------------------------------------------------------------
// Finding 10: self-report through a second address.
// ---------------------------------------------------------------------------------

#[test]
fn a_leader_reporting_itself_from_a_second_address_still_loses_the_slash_less_the_reporter_share() {
    let p = Params::shipped();
    assert!(!p.burn, "the shipped scenarios pay the reporter");
    let stakes = multiples(p.min_stake, &[4, 3, 2, 1]);
    let mut pos = Pos::new(&p, &stakes);
    let bps: u16 = pos.view(&bindings::StakeManager::reporterBpsCall {});
    let max_bps: u16 = pos.view(&bindings::StakeManager::MAX_REPORTER_BPSCall {});
    assert_eq!(bps, p.reporter_bps);
    assert!(bps <= max_bps && max_bps == rules::MAX_REPORTER_BPS);
    // No deployment pays the reporter more than the ceiling.
    let why = reason(pos.net.deploy(&Params {
        reporter_bps: max_bps + 1,
        ..p.clone()
    }));
    assert_eq!(
        why,
        format!("ReporterShareTooHigh({}, {max_bps})", max_bps + 1)
    );

    // Two slots with different leaders, both left empty.
    let until = pos.slot_start(20) + 1;
    pos.seal_until(until);
    let own = 0;
    let leader = pos.leader(own);
    let other = (1..20).find(|&s| pos.leader(s) != leader).unwrap();
    let victim = pos.leader(other);
    let until = pos.slashable_from(other);
    pos.seal_until(until);

    // The leader reports its own missed slot from a second address it controls.
    let second = Address::repeat_byte(0xa2);
    let stake_before = pos.stake_of(leader);
    let tokens_before = pos.net.tokens_of(second) + pos.net.tokens_of(leader);
    let burnt_before = pos.burnt();
    let slash = pos.report(second, own).unwrap();
    assert_eq!(slash.validator, leader);
    let lost = stake_before - pos.stake_of(leader);
    let recovered = pos.net.tokens_of(second) + pos.net.tokens_of(leader) - tokens_before;
    let net_loss = lost - recovered;
    // It keeps losing at least (1 - fraction) of the slash.
    let scale = U256::from(10_000u64);
    assert!(
        net_loss * scale >= slash.amount * (scale - U256::from(bps)),
        "net loss {net_loss} of a {} slash",
        slash.amount
    );
    assert_eq!(lost, slash.amount);
    assert_eq!(recovered, slash.reward);
    assert_eq!(pos.burnt() - burnt_before, slash.amount - slash.reward);

    // An honest third party reporting another leader receives exactly the fraction;
    // the rest is burnt.
    let honest_reporter = Address::repeat_byte(0x3d);
    let burnt_before = pos.burnt();
    let slash = pos.report(honest_reporter, other).unwrap();
    assert_eq!(slash.validator, victim);
    let share = slash.amount * U256::from(bps) / scale;
    assert!(share > U256::ZERO);
    assert_eq!(pos.net.tokens_of(honest_reporter), share);
    assert_eq!(slash.reward, share);
    assert_eq!(pos.burnt() - burnt_before, slash.amount - share);
    // Validators that led neither slot lost nothing.
    for (i, v) in pos.validators.clone().into_iter().enumerate() {
        if v != leader && v != victim {
            assert_eq!(pos.stake_of(v), stakes[i], "validator {i}");
        }
    }
}
