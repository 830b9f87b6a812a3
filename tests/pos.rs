//! PoS leader election (`contracts/StakeManager.sol`) on the embedded L1: stake-weighted
//! leaders drawn from block hashes, canonical blocks at 2/3 of the stake, slashing of
//! leaders whose slot stays empty, and exits that cannot escape a pending slash. The
//! validator actors and the cartel attacks build on this.

#[macro_use]
#[path = "common/outcomes.rs"]
mod outcomes;

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

/// Four validators staking 40/30/20/10 tokens (at least 1, at most 100 validators);
/// slots of one L1 block, slot 0 started; timeout 2 slots; 10% slash, 1/8 of it paid
/// to the reporter and the rest burnt; exits wait 10 blocks.
fn pos() -> Pos {
    pos_with(false)
}

/// As `pos`, the slash burnt instead if `burn`.
fn pos_with(burn: bool) -> Pos {
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
        burnSlash_: burn,
        minStake_: U256::from(TOKEN),
        maxValidators_: U256::from(100),
        reporterBps_: 1_250,
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
    /// Reads a view of `to`.
    fn view<C: SolCall>(&mut self, to: Address, call: &C) -> C::Return {
        self.chain.call_sol(Address::ZERO, to, call).unwrap()
    }

    fn leader(&mut self, slot: u64) -> usize {
        let l: Address = self.view(self.manager, &bindings::StakeManager::leaderCall { slot });
        self.validators.iter().position(|v| *v == l).unwrap()
    }

    fn sign(&mut self, who: usize, slot: u64, block: B256) -> Bytes {
        let digest: B256 = self.view(
            self.manager,
            &bindings::StakeManager::attestationDigestCall {
                slot,
                blockHash: block,
            },
        );
        let (sig, recid) = self.keys[who]
            .sign_prehash_recoverable(digest.as_slice())
            .unwrap();
        let mut out = sig.to_bytes().to_vec();
        out.push(27 + recid.to_byte());
        out.into()
    }

    fn block_hash(&mut self, slot: u64, parent: B256, batch: &Bytes) -> B256 {
        self.view(
            self.manager,
            &bindings::StakeManager::blockHashOfCall {
                slot,
                parent,
                batch: batch.clone(),
            },
        )
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

    fn tokens_of(&mut self, who: Address) -> U256 {
        self.view(
            self.token,
            &bindings::NetworkToken::balanceOfCall::new((who,)),
        )
    }

    fn stake_of(&mut self, who: usize) -> u128 {
        let s: U256 = self.view(
            self.manager,
            &bindings::StakeManager::stakeOfCall::new((self.validators[who],)),
        );
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
        let canonical: B256 = p.view(
            p.manager,
            &bindings::StakeManager::canonicalCall::new((slot,)),
        );
        assert_eq!(canonical != B256::ZERO, stake * 3 >= 200, "stake {stake}");
        if canonical != B256::ZERO {
            break;
        }
        signed.push(o);
        stake += STAKES[o];
    }
    assert!(stake * 3 >= 200);
    let block = p.block_hash(slot, B256::ZERO, &batch);
    let head: B256 = p.view(p.manager, &bindings::StakeManager::headCall {});
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
    let start: u64 = p.view(
        p.manager,
        &bindings::StakeManager::slotStartCall { slot: 3 },
    );
    if head + 1 < start {
        let reason = reverted(call(&mut p.chain, reporter, p.manager, slash.abi_encode()));
        assert!(reason.starts_with("TimeoutNotReached("), "{reason}");
    }
    for _ in 0..3 {
        p.chain.seal_block();
    }
    let before = p.stake_of(l);
    // Part of the slash is paid to the reporter, so the leader may not report itself
    // (from another address it only gets that part back: tests/security_staking.rs).
    let reason = reverted(call(
        &mut p.chain,
        p.validators[l],
        p.manager,
        slash.abi_encode(),
    ));
    assert!(reason.starts_with("SelfReport("), "{reason}");
    assert_eq!(p.stake_of(l), before);
    let leaders_before: Vec<usize> = (0..4).map(|s| p.leader(s)).collect();
    call(&mut p.chain, reporter, p.manager, slash.abi_encode()).unwrap();
    // Stake counts as it was at a slot's start: a slash does not redraw past leaders.
    let leaders_after: Vec<usize> = (0..4).map(|s| p.leader(s)).collect();
    assert_eq!(leaders_before, leaders_after);
    let cut = before / 10;
    assert_eq!(p.stake_of(l), before - cut, "10% slashed");
    let paid = p.tokens_of(reporter);
    assert_eq!(
        paid,
        U256::from(cut / 8),
        "the reporter is paid 1/8 of the slash"
    );
    let burnt: U256 = p.view(p.manager, &bindings::StakeManager::burntCall {});
    assert_eq!(burnt, U256::from(cut - cut / 8), "the rest is burnt");
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

#[test]
fn a_burnt_slash_pays_nobody() {
    let mut p = pos_with(true);
    for _ in 0..4 {
        p.chain.seal_block();
    }
    let l = p.leader(0);
    let before = p.stake_of(l);
    let reporter = Address::repeat_byte(0x56);
    p.chain.set_balance(reporter, U256::from(TOKEN));
    let slash = bindings::StakeManager::slashMissedCall { slot: 0 };
    call(&mut p.chain, reporter, p.manager, slash.abi_encode()).unwrap();
    let cut = before / 10;
    assert_eq!(p.stake_of(l), before - cut);
    let paid = p.tokens_of(reporter);
    assert_eq!(paid, U256::ZERO);
    let burnt: U256 = p.view(p.manager, &bindings::StakeManager::burntCall {});
    assert_eq!(burnt, U256::from(cut));
}

#[test]
fn validators_mirror_the_contract_leader_digest_and_block_hash() {
    use zkarena::mechanisms::pos::validator::{attestation_digest, block_hash, draw_leader};
    let mut p = pos();
    for _ in 0..60 {
        p.chain.seal_block();
    }
    let stakes: Vec<u128> = STAKES.iter().map(|s| s * TOKEN).collect();
    for slot in 0..50 {
        let start: u64 = p.view(p.manager, &bindings::StakeManager::slotStartCall { slot });
        let mirrored = draw_leader(&stakes, slot, p.chain.block_hash(start));
        assert_eq!(mirrored, Some(p.leader(slot)), "slot {slot}");
    }
    let batch = Bytes::from_static(b"some batch bytes");
    let parent = B256::repeat_byte(0x42);
    let on_chain = p.block_hash(7, parent, &batch);
    assert_eq!(block_hash(7, parent, &batch), on_chain);
    let digest: B256 = p.view(
        p.manager,
        &bindings::StakeManager::attestationDigestCall {
            slot: 7,
            blockHash: on_chain,
        },
    );
    assert_eq!(attestation_digest(p.manager, 7, on_chain), digest);
}

mod scenarios {
    //! The PoS attacks end to end: shipped scenarios, `pos-uncle-40` with real proofs,
    //! the others with dev proofs (the same simulated proving times: only the provers'
    //! proof bytes, and so their L1 gas, differ); outcomes and costs are separate
    //! snapshots.

    use crate::outcomes::{dev, passing as shipped, variant};
    use zkarena::harness::report::{Report, RoleKind};
    use zkarena::mechanisms::pos::report::{PosReport, SlotOutcome};
    use zkarena::run::{run, RunOptions};
    use zkarena::scenario::Scenario;

    fn pos(r: &Report) -> PosReport {
        PosReport::of(r).expect("a PoS report")
    }

    /// Whether the slot's timeout passed before the end (slashable by then).
    fn settled(p: &PosReport, slot: u64) -> bool {
        p.timeline
            .iter()
            .find(|t| t.slot == slot)
            .is_some_and(|t| t.outcome != SlotOutcome::Open)
    }

    fn cartel(p: &PosReport, name: &str) -> bool {
        p.validators.iter().any(|v| v.name == name && v.cartel)
    }

    /// 10% of the stake, `times` times, as the contract cuts it (wei, floored), in
    /// 1e-9 token.
    fn after_slashes(start_units: u64, times: u64) -> u64 {
        let mut wei = start_units as u128 * 1_000_000_000;
        for _ in 0..times {
            wei -= wei * 1_000 / 10_000;
        }
        (wei / 1_000_000_000) as u64
    }

    #[test]
    fn a_cartel_at_40_percent_uncles_honest_blocks_and_gets_their_leaders_slashed() {
        let r = shipped(&crate::outcomes::shipped("pos-uncle-40"));
        crate::outcomes::assert_dev_matches_real("pos-uncle-40", &r);
        // A 48-slot scenario runs 48 L1 slots, not more.
        assert_eq!((r.l1_blocks, r.duration_ms), (48, 48 * 12_000));
        let p = &pos(&r);
        // No honest block ever reached 2/3: every settled honest slot was slashed, and
        // every canonical block is the cartel's.
        for t in &p.timeline {
            if cartel(p, &t.leader) {
                assert_eq!(t.outcome, SlotOutcome::Canonical, "cartel slot {}", t.slot);
            } else if settled(p, t.slot) {
                assert_eq!(t.outcome, SlotOutcome::Slashed, "honest slot {}", t.slot);
                // The honest stake alone attested, short of 2/3 (and shrinking as
                // it is slashed).
                let pct = t.attested_pct.expect("the leader posted its attestations");
                assert!((50.0..66.67).contains(&pct), "slot {}: {pct}", t.slot);
            }
        }
        // Each honest validator lost exactly 10% per slot it led and was slashed for;
        // the cartel lost nothing.
        for v in &p.validators {
            let slashed = p
                .timeline
                .iter()
                .filter(|t| t.leader == v.name && t.outcome == SlotOutcome::Slashed)
                .count() as u64;
            assert_eq!(
                v.stake_end,
                after_slashes(v.stake_start, slashed),
                "{}",
                v.name
            );
            if v.cartel {
                assert_eq!(slashed, 0, "{}", v.name);
            }
        }
        assert!(p.honest_slashed > 0 && p.honest_stake_slashed_pct > 10.0);
        assert_eq!(p.cartel_slashed, 0);
        assert!(
            p.liveness_gap_slots >= 3,
            "honest leaders in a row stall the chain"
        );
        // The canonical blocks were sequenced in order and proven like any batch.
        let canonical: Vec<u64> = p.timeline.iter().filter_map(|t| t.batch).collect();
        assert_eq!(canonical, (1..=canonical.len() as u64).collect::<Vec<_>>());
        assert!(r.batches.iter().filter(|b| b.prover.is_some()).count() + 1 >= r.batches.len());
        assert_eq!(r.scorecard.finalized_invalid_roots, 0);
        eprintln!(
            "40%: honest slashed {} ({}%), uncled {} of {} slots, gap {} slots ({} s)",
            p.honest_slashed,
            p.honest_stake_slashed_pct,
            p.uncled,
            p.slots,
            p.liveness_gap_slots,
            p.liveness_gap_ms / 1000
        );
        snapshot_report!("pos_uncle_40", r);
    }

    #[test]
    fn the_same_seed_gives_the_same_pos_report() {
        let s = dev("pos-lockup");
        let a = run(&s, &RunOptions::default()).unwrap().report.to_json();
        let opts = RunOptions {
            threads: 1,
            ..RunOptions::default()
        };
        let b = run(&s, &opts).unwrap().report.to_json();
        assert_eq!(a, b);
        let other = variant("pos-lockup", |s| {
            s.seed += 1;
        });
        assert_ne!(a, run(&other, &opts).unwrap().report.to_json());
    }

    #[test]
    fn faults_cost_slots_but_late_attestations_still_count() {
        use zkarena::harness::sim::{Fault, Link};
        use zkarena::mechanisms::pos::validator::slot_start_ms;
        use zkarena::scenario::MechanismConfig;
        let s = variant("pos-uncle-20", |s| {
            s.expect.clear();
            s.faults = vec![
                // Block gossip up to 3 s late: past the leaders' 2 s collection window.
                Fault::Reorder {
                    from_ms: 0,
                    until_ms: 600_000,
                    link: Link {
                        kind: Some("pos_block".into()),
                        ..Link::default()
                    },
                    max_ms: 3_000,
                },
                Fault::Crash {
                    actor: "honest-2".into(),
                    at_ms: 60_000,
                    restart_ms: Some(150_000),
                },
            ];
        });
        let r = shipped(&s);
        let p = &pos(&r);
        // Late attestations are posted again and still make honest blocks canonical.
        assert!(p.canonical * 10 >= p.slots * 6, "{}", r.table());
        // A leader that is down for the whole of its slot is slashed for it.
        let MechanismConfig::ProofOfStake(mechanism) = &s.mechanism else {
            unreachable!("a PoS scenario")
        };
        let start_ms = |slot| slot_start_ms(mechanism.blocks_per_slot, slot, s.slot_seconds * 1000);
        let mut down = 0;
        for t in &p.timeline {
            let (from, until) = (start_ms(t.slot), start_ms(t.slot + 1));
            if t.leader == "honest-2" && from >= 60_000 && until <= 150_000 {
                assert_eq!(t.outcome, SlotOutcome::Slashed, "{t:?}");
                down += 1;
            }
        }
        assert!(down > 0, "honest-2 led no slot while down: {}", r.table());
    }

    #[test]
    fn six_honest_validators_make_every_slot_canonical_and_nobody_is_slashed() {
        let r = shipped(&dev("pos-baseline"));
        let p = &pos(&r);
        // The baseline the attacks are measured against: with no cartel every block
        // gathers every attestation.
        assert_eq!(
            (p.cartel_strategy.as_str(), p.cartel_stake_pct),
            ("none", 0.0)
        );
        assert_eq!(p.canonical, p.slots);
        assert_eq!((p.uncled, p.slashed_slots), (0, 0));
        assert_eq!(
            (p.honest_slashed, p.cartel_slashed, p.liveness_gap_slots),
            (0, 0, 0)
        );
        // 48 L1 slots of two blocks each: 24 PoS slots, each led by one of the six.
        assert_eq!(p.slots, 24);
        assert_eq!(
            p.validators.iter().map(|v| v.slots_led).sum::<u64>(),
            p.slots
        );
        for v in &p.validators {
            assert_eq!(v.stake_end, v.stake_start, "{}", v.name);
        }
        // Equal stakes: no validator leads a majority of the slots.
        assert!(r.scorecard.nakamoto_sequencers >= 2, "{}", r.table());
        snapshot_report!("pos_baseline", r);
    }

    #[test]
    fn a_cartel_at_20_percent_fails_and_loses_its_own_stake() {
        let r = shipped(&dev("pos-uncle-20"));
        let p = &pos(&r);
        // Honest blocks still reach 2/3 without the cartel; the cartel's blocks, built
        // on its own chain, never extend the head and are uncled instead.
        for t in p.timeline.iter().filter(|t| settled(p, t.slot)) {
            let expected = if cartel(p, &t.leader) {
                SlotOutcome::Slashed
            } else {
                SlotOutcome::Canonical
            };
            assert_eq!(t.outcome, expected, "slot {} led by {}", t.slot, t.leader);
        }
        assert_eq!(p.honest_slashed, 0);
        assert!(p.cartel_slashed > 0);
        // A small staker (10% each) rarely leads twice in a row: 1% of slot pairs.
        for v in p.validators.iter().filter(|v| v.cartel) {
            assert!(v.led_twice_in_a_row <= 1, "{v:?}");
        }
        eprintln!(
            "20%: cartel slashed {}, uncled {} of {} slots",
            p.cartel_slashed, p.uncled, p.slots
        );
        snapshot_report!("pos_uncle_20", r);
    }

    /// One run of the cartel sweep, as the rows snapshot shows it.
    #[derive(serde::Serialize)]
    struct CartelRow {
        cartel_pct: u64,
        seed: u64,
        canonical: f64,
        uncled: f64,
        honest_slashed: f64,
        honest_stake_slashed_pct: f64,
        cartel_slashed: f64,
        liveness_gap_slots: f64,
        passed: bool,
    }

    #[test]
    fn slashing_of_honest_stake_starts_at_one_third_of_the_stake() {
        use zkarena::sweep::{exec, plan, Shard, SweepReport};
        let plan::Target::Plan(p, file, _) = plan::load("pos-uncle-sweep").unwrap() else {
            panic!("pos-uncle-sweep is a plan")
        };
        let plan = p.resolve(&file, None).unwrap();
        let runs = exec::execute(&plan, Shard::ALL, 2, &RunOptions::default(), &|_, _| {});
        assert_eq!(runs.len(), 33);
        let rows: Vec<CartelRow> = runs
            .iter()
            .map(|r| {
                let m = |name: &str| r.metric(name).unwrap_or_else(|| panic!("{name}: {r:?}"));
                CartelRow {
                    cartel_pct: plan.cells[r.cell].params["cartel_pct"].as_u64().unwrap(),
                    seed: r.seed,
                    canonical: m("slots_canonical"),
                    uncled: m("slots_uncled"),
                    honest_slashed: m("honest_slashed"),
                    honest_stake_slashed_pct: m("honest_stake_slashed_pct"),
                    cartel_slashed: m("cartel_slashed"),
                    liveness_gap_slots: m("liveness_gap_slots"),
                    passed: r.status == exec::RunStatus::Passed,
                }
            })
            .collect();
        for row in &rows {
            assert!(row.passed, "{}% seed {}", row.cartel_pct, row.seed);
            if row.cartel_pct < 34 {
                assert_eq!(row.honest_slashed, 0.0, "{}%", row.cartel_pct);
            } else {
                assert!(row.honest_slashed > 0.0, "{}%", row.cartel_pct);
                assert_eq!(row.cartel_slashed, 0.0, "{}%", row.cartel_pct);
            }
        }
        // Below the threshold the cartel pays for trying.
        assert!(rows
            .iter()
            .filter(|r| (10..34).contains(&r.cartel_pct))
            .all(|r| r.cartel_slashed > 0.0));
        // The summary: a cell per share; its mean is the mean of its three runs.
        let report = SweepReport::of(&plan, &runs);
        assert_eq!(report.cells.len(), 11);
        let at_35 = &report.cells[7];
        assert_eq!(at_35.label, "pos-uncle-40 cartel_pct=35");
        let mean: f64 = rows
            .iter()
            .filter(|r| r.cartel_pct == 35)
            .map(|r| r.honest_stake_slashed_pct)
            .sum::<f64>()
            / 3.0;
        let summary = &at_35.metrics["honest_stake_slashed_pct"];
        assert!(
            (summary.mean - mean).abs() < 1e-4,
            "{} vs {mean}",
            summary.mean
        );
        assert!(summary.mean_ci[0] <= summary.mean && summary.mean <= summary.mean_ci[1]);
        let (_, files) = zkarena::sweep::outputs(&plan, &runs).unwrap();
        let html = &files.iter().find(|(n, _)| *n == "sweep.html").unwrap().1;
        // A chart per shown metric: the three the plan charts and its claim's.
        assert_eq!(html.matches("<svg").count(), 4);
        let markdown = &files.iter().find(|(n, _)| *n == "sweep.md").unwrap().1;
        eprintln!("{markdown}");
        insta::assert_snapshot!("pos_uncle_sweep_summary", markdown);
        insta::assert_yaml_snapshot!("pos_uncle_sweep_rows", rows);
    }

    fn all_honest(s: &mut Scenario) {
        use zkarena::mechanisms::pos::validator::CartelStrategy;
        use zkarena::scenario::CastMember;
        for m in &mut s.cast {
            if let CastMember::Validator { params, .. } = m {
                params.strategy = CartelStrategy::Honest;
            }
        }
    }

    /// Mean L2 fee per transaction in the blocks `name` led.
    fn fee_per_tx(r: &Report, name: &str) -> f64 {
        let a = r.actors.iter().find(|a| a.name == name).unwrap();
        let txs: u64 = r
            .batches
            .iter()
            .filter(|b| b.sequencer == name)
            .map(|b| b.applied)
            .sum();
        a.l2_fees_earned as f64 / txs.max(1) as f64
    }

    #[test]
    fn a_leader_with_30_percent_censors_by_empty_blocks_and_gouges_fees() {
        let honest = shipped(&variant("pos-empty-30", |s| {
            all_honest(s);
            s.workload.patience_slots = None;
        }));
        let mut worst = vec![("honest", honest.scorecard.worst_inclusion_delay_ms)];
        for name in ["pos-empty-30", "pos-gouge-30"] {
            let forced = shipped(&dev(name));
            let unforced = shipped(&variant(name, |s| s.workload.patience_slots = None));
            for r in [&forced, &unforced] {
                let p = &pos(r);
                // 30% cannot stop honest blocks: every slot is canonical, nobody
                // is slashed, and every transaction sent early enough got in.
                assert_eq!(p.uncled, 0, "{name}");
                assert_eq!(p.honest_slashed + p.cartel_slashed, 0);
                assert_eq!(
                    r.transactions
                        .iter()
                        .filter(|t| t.fate == zkarena::harness::report::Fate::Skipped)
                        .count(),
                    0
                );
                // Censorship costs time: the worst wait is longer than without the
                // cartel.
                assert!(
                    r.scorecard.worst_inclusion_delay_ms
                        > honest.scorecard.worst_inclusion_delay_ms,
                    "{name}"
                );
            }
            if name == "pos-empty-30" {
                // Every block the censor led is empty.
                for b in forced.batches.iter().filter(|b| b.sequencer == "cartel-1") {
                    assert_eq!(b.txs, 0, "batch {}", b.index);
                }
            } else {
                // The gouger took only transactions tipping 8 gwei or more (base 10).
                assert!(fee_per_tx(&forced, "cartel-1") >= 18.0);
                assert!(fee_per_tx(&forced, "honest-1") < 18.0);
            }
            // The forced path went through L1 at the users' expense.
            let users = |r: &Report| -> (u64, u128) {
                r.actors
                    .iter()
                    .filter(|a| a.role == RoleKind::User)
                    .fold((0, 0), |acc, a| {
                        (acc.0 + a.l1_txs_sent, acc.1 + a.l1_fees_wei)
                    })
            };
            let (forced_txs, user_fees) = users(&forced);
            assert!(forced_txs > 0 && user_fees > 0, "{name}");
            assert_eq!(users(&unforced), (0, 0));
            worst.push((name, unforced.scorecard.worst_inclusion_delay_ms));
            worst.push((name, forced.scorecard.worst_inclusion_delay_ms));
            eprintln!(
                "{name}: worst inclusion {} ms without the forced path, {} ms with it ({} user L1 txs, users paid {} gwei of L1 fees)",
                unforced.scorecard.worst_inclusion_delay_ms,
                forced.scorecard.worst_inclusion_delay_ms,
                forced_txs,
                user_fees / 1_000_000_000
            );
            snapshot_report!(name.replace('-', "_"), forced);
        }
        eprintln!("worst inclusion delays: {worst:?}");
    }

    #[test]
    fn validators_follow_an_exit_and_keep_drawing_the_contracts_leaders() {
        use alloy_primitives::Address;
        use alloy_sol_types::SolCall;
        use zkarena::actors::l1node::{L1Node, L1};
        use zkarena::harness::l1::contracts::bindings::{PosRollup, StakeManager};
        use zkarena::harness::l1::tx::TxRequest;
        use zkarena::harness::l2::tx::{deterministic_key, key_address};
        use zkarena::run::prepare;
        let s = variant("pos-uncle-20", |s| {
            all_honest(s);
            s.expect.clear();
            s.slots = 60;
        });
        let mut p = prepare(&s, &RunOptions::default()).unwrap();
        p.net.run_slots(12).unwrap();
        // honest-1 leaves the active set mid-run: from its exit block its stake no
        // longer counts in the contract's draw, and the validators' mirror must follow.
        let leaver = key_address(&deterministic_key(s.seed, "honest-1"));
        let (manager, exit_block) = p
            .net
            .with(L1, move |n: &mut L1Node| {
                let rollup = n.rollup();
                let chain = n.chain_mut();
                let manager = chain
                    .call_sol(Address::ZERO, rollup, &PosRollup::stakeManagerCall {})
                    .unwrap();
                let exit = StakeManager::requestExitCall {}.abi_encode();
                chain
                    .submit(
                        TxRequest::call(leaver, manager, exit)
                            .gas_limit(200_000)
                            .fees(200_000_000_000, 2_000_000_000),
                    )
                    .unwrap();
                (manager, chain.head().number + 1)
            })
            .unwrap();
        p.net.run_slots(s.slots - 12).unwrap();
        let r = p.report(None);
        let pos = &pos(&r);
        // Every settled slot's block was built and posted by the leader the contract
        // drew: validators mirroring another stake table would have another validator
        // build it (the contract does not care who posts the attestations).
        let settled: Vec<_> = pos
            .timeline
            .iter()
            .filter(|t| settled(pos, t.slot))
            .collect();
        assert!(settled.len() > 20, "{}", r.table());
        for t in &settled {
            assert_eq!(t.outcome, SlotOutcome::Canonical, "{t:?}\n{}", r.table());
            let batch = r.batches.iter().find(|b| Some(b.index) == t.batch).unwrap();
            assert_eq!(batch.sequencer, t.leader, "slot {}", t.slot);
        }
        // The leaver leads no slot that starts after its exit.
        let starts: Vec<u64> = p
            .net
            .with(L1, move |n: &mut L1Node| {
                let chain = n.chain_mut();
                (0..60)
                    .map(|slot| {
                        let call = StakeManager::slotStartCall { slot };
                        chain.call_sol(Address::ZERO, manager, &call).unwrap()
                    })
                    .collect()
            })
            .unwrap();
        let after: Vec<_> = pos
            .timeline
            .iter()
            .filter(|t| starts[t.slot as usize] > exit_block)
            .collect();
        let exited = p
            .net
            .with(L1, move |n: &mut L1Node| {
                let call = StakeManager::exitAtCall::new((leaver,));
                n.chain_mut()
                    .call_sol(Address::ZERO, manager, &call)
                    .unwrap()
            })
            .unwrap();
        assert!(exited > 0, "the exit went through");
        assert!(after.len() > 10);
        assert!(after.iter().all(|t| t.leader != "honest-1"), "{after:?}");
        assert_eq!(pos.honest_slashed, 0);
    }

    #[test]
    fn a_token_lockup_pushes_swaps_through_l1_at_a_delay() {
        let locked = shipped(&dev("pos-lockup"));
        let open = shipped(&variant("pos-lockup", all_honest));
        let p = &pos(&locked);
        // No swap got in through a block: each one went through L1.
        assert!(
            p.swaps.iter().all(|w| w.path == "l1_forced"),
            "{:?}",
            p.swaps
        );
        let via_l1 = &p.swaps[0];
        assert!(via_l1.swaps > 0);
        // Honest leaders that carried swaps were uncled and slashed.
        assert!(p.honest_slashed > 0 && p.cartel_slashed == 0);
        let free = pos(&open).swaps;
        assert!(free.iter().all(|w| w.path == "l2"));
        assert!(via_l1.mean_delay_ms > free[0].mean_delay_ms);
        assert!(via_l1.worst_delay_ms > free[0].worst_delay_ms);
        eprintln!(
            "lockup: {} swaps via L1, delay mean {} ms worst {} ms, price impact mean {} bps worst {} bps; without the cartel {} swaps via L2, delay mean {} ms worst {} ms, impact mean {} bps worst {} bps",
            via_l1.swaps,
            via_l1.mean_delay_ms,
            via_l1.worst_delay_ms,
            via_l1.mean_price_impact_bps,
            via_l1.worst_price_impact_bps,
            free[0].swaps,
            free[0].mean_delay_ms,
            free[0].worst_delay_ms,
            free[0].mean_price_impact_bps,
            free[0].worst_price_impact_bps
        );
        snapshot_report!("pos_lockup", locked);
    }
}
