//! The deterministic runtime: reproducible reports, faults doing what they say, the
//! invariants stopping a run, and the shipped scenarios' reports (snapshots).

#[macro_use]
#[path = "common/outcomes.rs"]
mod outcomes;

use zkarena::actors::runtime::Testnet;
use zkarena::harness::report::Fate;
use zkarena::harness::sim::{Fault, Link, TraceEntry};
use zkarena::harness::zk::ProofMode;
use zkarena::run::{run, Outcome, RunOptions};
use zkarena::scenario::{CastMember, Op, Scenario, ScenarioBuilder};

const SLOT: u64 = 12_000;

fn go(s: &Scenario) -> Outcome {
    run(s, &RunOptions::default()).expect("the scenario sets up")
}

fn delivered<'a>(
    trace: &'a [TraceEntry],
    from: &str,
    to: &str,
) -> impl Iterator<Item = &'a TraceEntry> {
    let (from, to) = (from.to_string(), to.to_string());
    trace
        .iter()
        .filter(move |e| e.from == from && e.to == to && !e.summary.starts_with("lost"))
}

#[test]
fn same_seed_same_report_whatever_the_threads_and_finishing_order() {
    let mut s = Scenario::load("aggregator-race").unwrap();
    assert_eq!(s.proof_mode, ProofMode::Real);
    // Five of its eight slots: three races of real proofs finishing in any order.
    s.slots = 5;
    s.expect.retain(|e| !e.metric.ends_with("proofs_accepted"));
    let one = run(
        &s,
        &RunOptions {
            threads: 1,
            ..RunOptions::default()
        },
    )
    .unwrap();
    let four = run(
        &s,
        &RunOptions {
            threads: 4,
            jitter_seed: Some(3),
            ..RunOptions::default()
        },
    )
    .unwrap();
    assert_eq!(one.report.to_json(), four.report.to_json());
    assert!(one.report.passed(), "{}", one.report.table());
    let verified = one
        .report
        .batches
        .iter()
        .filter(|b| b.prover.is_some())
        .count();
    assert!(verified >= 2, "real proofs raced: {}", one.report.table());
    // A different seed is a different run.
    let mut other = s.clone();
    other.seed += 1;
    let dev = |mut s: Scenario| {
        s.proof_mode = ProofMode::Dev;
        go(&s).report.to_json()
    };
    assert_ne!(dev(s.clone()), dev(other));
}

#[test]
fn the_shipped_baseline_report() {
    let out = go(&Scenario::load("baseline").unwrap());
    assert!(out.violation.is_none());
    assert!(out.report.passed(), "{}", out.report.table());
    // Who paid, who earned: the sequencer earned every applied user transaction's
    // fee (base 10 + tip), the aggregator's proofs all landed.
    let r = &out.report;
    let seq = r.actors.iter().find(|a| a.name == "seq").unwrap();
    let agg = r.actors.iter().find(|a| a.name == "agg").unwrap();
    let applied_users = r
        .transactions
        .iter()
        .filter(|t| t.fate == Fate::Applied && t.sender != "bridge")
        .count() as u64;
    assert!(seq.l2_fees_earned >= 10 * applied_users);
    assert!(seq.l2_fees_earned <= 20 * applied_users);
    assert_eq!(
        agg.proofs_submitted, agg.proofs_accepted,
        "every proof was accepted"
    );
    assert!(seq.l1_gas > 0 && agg.l1_gas > 0);
    outcomes::assert_dev_matches_real("baseline", r);
    snapshot_report!("baseline", r);
}

#[test]
fn a_partitioned_sequencer_reaches_the_l1_only_after_the_window() {
    let (from, until) = (2 * SLOT, 6 * SLOT);
    let s = ScenarioBuilder::centralized("partition", 4, 1.0)
        .proofs(ProofMode::Dev)
        .seed(5)
        .slots(12)
        .fault(Fault::Partition {
            from_ms: from,
            until_ms: until,
            group: vec!["seq".into()],
        })
        .build()
        .unwrap();
    let out = go(&s);
    assert!(out.violation.is_none(), "{:?}", out.violation);
    let to_l1: Vec<u64> = delivered(&out.trace, "seq", "l1").map(|e| e.t_ms).collect();
    assert!(to_l1.iter().all(|&t| t < from || t >= until), "{to_l1:?}");
    assert!(
        to_l1.iter().any(|&t| t >= until),
        "it posts again after the window"
    );
    // Users' transactions sent to it during the partition were lost on the way; the
    // users sent them again and they landed after the window.
    assert!(out.report.faults[0].messages > 0);
    let during: Vec<_> = out
        .report
        .transactions
        .iter()
        .filter(|t| t.sender != "bridge" && (from..until).contains(&t.submitted_ms))
        .collect();
    assert!(!during.is_empty());
    for t in &during {
        if let Some(d) = t.inclusion_delay_ms {
            assert!(t.submitted_ms + d >= until, "{t:?}");
        }
    }
    assert!(during.iter().filter(|t| t.fate == Fate::Applied).count() * 2 > during.len());
    // Everything that reached the sequencer has a fate, and it caught up with the L1.
    assert!(out.report.invariants.iter().all(|i| i.violation.is_none()));
    let verified = out
        .report
        .batches
        .iter()
        .filter(|b| b.prover.is_some())
        .count();
    assert!(
        verified >= 2 && verified + 1 >= out.report.batches.len(),
        "{}",
        out.report.table()
    );
}

#[test]
fn a_crashed_aggregator_resumes_after_restart() {
    let (crash, restart) = (3 * SLOT, 8 * SLOT);
    let s = ScenarioBuilder::centralized("crash", 4, 1.0)
        .proofs(ProofMode::Dev)
        .seed(6)
        .slots(14)
        .fault(Fault::Crash {
            actor: "agg".into(),
            at_ms: crash,
            restart_ms: Some(restart),
        })
        .build()
        .unwrap();
    let out = go(&s);
    assert!(out.violation.is_none(), "{:?}", out.violation);
    let to_agg: Vec<u64> = out
        .trace
        .iter()
        .filter(|e| e.to == "agg" && !e.summary.starts_with("lost"))
        .map(|e| e.t_ms)
        .collect();
    assert!(to_agg.iter().all(|&t| t < crash || t >= restart));
    let verifies: Vec<u64> = delivered(&out.trace, "agg", "l1").map(|e| e.t_ms).collect();
    assert!(
        verifies.iter().any(|&t| t > restart),
        "it proves again after the restart"
    );
    // It caught up: every batch sequenced before the last slots is verified.
    let verified = out
        .report
        .batches
        .iter()
        .filter(|b| b.prover.is_some())
        .count();
    assert!(
        verified + 2 >= out.report.batches.len(),
        "{}",
        out.report.table()
    );
    assert!(out.report.scorecard.longest_finalization_gap_ms >= restart - crash);
}

#[test]
fn a_withheld_proof_is_never_seen_by_the_l1() {
    let s = ScenarioBuilder::centralized("withhold", 3, 1.0)
        .proofs(ProofMode::Dev)
        .seed(8)
        .slots(8)
        .fault(Fault::Withhold {
            from_ms: 0,
            until_ms: u64::MAX,
            actor: "agg".into(),
            kind: "submit_l1".into(),
            release: false,
        })
        .expect("batches_verified", Op::Eq, 0.0)
        .build()
        .unwrap();
    let out = go(&s);
    assert!(out.report.passed(), "{}", out.report.table());
    assert_eq!(delivered(&out.trace, "agg", "l1").count(), 0);
    // Nothing verified: the final root is still the genesis one, not the sequenced state.
    let genesis = zkarena::run::prepare(&s, &RunOptions::default())
        .unwrap()
        .report(None)
        .final_root;
    assert_eq!(out.report.final_root, genesis);
    assert!(out.report.batches.len() >= 4, "the sequencer carries on");
    assert_eq!(
        out.report.scorecard.longest_finalization_gap_ms, out.report.duration_ms,
        "nothing was ever finalized"
    );
}

#[test]
fn delayed_and_duplicated_messages_change_timing_not_outcome() {
    let base = ScenarioBuilder::centralized("links", 3, 1.0)
        .proofs(ProofMode::Dev)
        .seed(9)
        .slots(8);
    let plain = go(&base.clone().build().unwrap());
    let faulty = go(&base
        .fault(Fault::Duplicate {
            from_ms: 0,
            until_ms: u64::MAX,
            link: Link {
                from: None,
                to: Some("seq".into()),
                kind: Some("l2_tx".into()),
            },
        })
        .fault(Fault::Delay {
            from_ms: 0,
            until_ms: u64::MAX,
            link: Link {
                from: None,
                to: Some("seq".into()),
                kind: Some("l2_tx".into()),
            },
            ms: 3_000,
        })
        .build()
        .unwrap());
    // Duplicates are recognised by hash: the same transactions, each applied once.
    let applied = |o: &Outcome| {
        o.report
            .transactions
            .iter()
            .filter(|t| t.fate == Fate::Applied)
            .count()
    };
    assert!(applied(&faulty) > 0);
    assert!(applied(&faulty) <= applied(&plain));
    assert_eq!(
        faulty.report.transactions.len(),
        plain.report.transactions.len()
    );
    let first = |o: &Outcome| delivered(&o.trace, "user-0", "seq").next().map(|e| e.t_ms);
    assert_eq!(first(&faulty), first(&plain).map(|t| t + 3_000));
    assert!(faulty
        .report
        .invariants
        .iter()
        .all(|i| i.violation.is_none()));
}

#[test]
fn a_forged_root_breaks_safety_and_stops_the_run_with_its_trace() {
    // In dev mode a proof is only its public inputs, so a forger can claim any root;
    // the referee's native replay catches the first one the L1 finalizes.
    let s = ScenarioBuilder::centralized("forger", 3, 1.0)
        .proofs(ProofMode::Dev)
        .seed(4)
        .slots(10)
        .edit(|s| {
            if let CastMember::Aggregator { params, .. } = &mut s.cast[1] {
                params.strategy = zkarena::actors::aggregator::Strategy::ForgeRoot;
            }
        })
        .build()
        .unwrap();
    let out = go(&s);
    let v = out.violation.expect("the forged root is caught");
    assert!(v.invariant.starts_with("safety"), "{}", v.invariant);
    assert!(v.detail.contains("finalized root"), "{}", v.detail);
    assert!(v.at.as_millis() < 10 * SLOT, "the run stopped early");
    assert!(v
        .trace
        .iter()
        .any(|e| e.from == "agg" && e.kind == "submit_l1"));
    assert!(!out.report.passed());
    assert_eq!(out.report.scorecard.finalized_invalid_roots, 1);
    // The same forger against real proofs cannot forge anything.
    let mut real = s.clone();
    real.proof_mode = ProofMode::Real;
    real.slots = 4;
    let out = go(&real);
    assert!(out.violation.is_none());
    assert_eq!(out.report.scorecard.finalized_invalid_roots, 0);
}

/// A two-user centralized testnet with dev proofs, prepared for a test to step.
fn stepped(name: &str) -> zkarena::run::Prepared {
    let s = ScenarioBuilder::centralized(name, 2, 2.0)
        .proofs(ProofMode::Dev)
        .seed(2)
        .build()
        .unwrap();
    zkarena::run::prepare(&s, &RunOptions::default()).unwrap()
}

/// The sequencer `seq`'s transactions waiting in the L1 mempool: (hash, max fee).
fn sequencer_pending(net: &mut Testnet) -> Vec<(zkarena::prelude::TxHash, u128)> {
    let seq = zkarena::prelude::named_address("seq");
    net.with("l1", move |n: &mut zkarena::actors::l1node::L1Node| {
        n.chain()
            .mempool()
            .pending()
            .iter()
            .filter(|t| t.request.from == seq)
            .map(|t| (t.hash, t.request.max_fee_per_gas))
            .collect()
    })
    .unwrap()
}

#[test]
fn a_test_can_step_the_world_and_play_the_block_builder() {
    use zkarena::actors::l1node::L1Node;
    use zkarena::actors::node::Role;
    use zkarena::actors::sequencer::Sequencer;
    let mut p = stepped("steps");
    let batch_pending = |net: &mut Testnet| -> Vec<_> {
        sequencer_pending(net).into_iter().map(|(h, _)| h).collect()
    };
    // Step event by event until the sequencer's batch waits in the L1 mempool.
    assert!(p
        .net
        .run_until_cond(10_000, |net| !batch_pending(net).is_empty())
        .unwrap());
    let hash = batch_pending(&mut p.net)[0];
    let slot = p.net.slots();
    // Play the builder: the next block is empty, so the batch waits...
    p.net
        .with("l1", |n: &mut L1Node| n.include_next(vec![]))
        .unwrap();
    p.net.run_slots(1).unwrap();
    assert_eq!(batch_pending(&mut p.net), vec![hash]);
    let landed = |net: &mut zkarena::actors::runtime::Testnet| {
        net.with("seq", |q: &mut Sequencer| q.report().batches_sequenced)
            .unwrap()
    };
    assert_eq!(landed(&mut p.net), 0);
    // ...then exactly it goes in, and the sequencer sees its batch land.
    p.net
        .with("l1", move |n: &mut L1Node| n.include_next(vec![hash]))
        .unwrap();
    p.net.run_slots(1).unwrap();
    assert!(
        !batch_pending(&mut p.net).contains(&hash),
        "it was included"
    );
    assert_eq!(landed(&mut p.net), 1);
    assert_eq!(p.net.slots(), slot + 2);
    let report = p.report(None);
    assert_eq!(report.batches.len(), 1);
    assert!(report.invariants.iter().all(|i| i.violation.is_none()));
}

#[test]
fn a_batch_held_back_for_three_slots_is_replaced_by_its_resend_with_higher_fees() {
    use zkarena::actors::l1node::L1Node;
    use zkarena::actors::node::Role;
    use zkarena::actors::sequencer::Sequencer;
    let mut p = stepped("resend");
    let pending = sequencer_pending;
    assert!(p
        .net
        .run_until_cond(10_000, |net| !pending(net).is_empty())
        .unwrap());
    let (first, first_max_fee) = pending(&mut p.net)[0];
    // The builder leaves it out until the sequencer gives up waiting (3 slots) and
    // resends the same batch at the same nonce.
    let mut resent = None;
    for _ in 0..4 {
        p.net
            .with("l1", |n: &mut L1Node| n.include_next(vec![]))
            .unwrap();
        p.net.run_slots(1).unwrap();
        if let Some(&(h, fee)) = pending(&mut p.net).iter().find(|(h, _)| *h != first) {
            resent = Some((h, fee));
            break;
        }
    }
    // The resend replaced the first: only it waits now, at a higher max fee (the
    // mempool asks a 10% bump of both fees to replace).
    let (resend, resend_max_fee) = resent.expect("the batch was resent and accepted");
    assert_eq!(pending(&mut p.net), vec![(resend, resend_max_fee)]);
    assert!(resend_max_fee >= first_max_fee * 11 / 10);
    p.net.run_slots(2).unwrap();
    let report = p.net.with("seq", |q: &mut Sequencer| q.report()).unwrap();
    // It landed; being replaced by its own resend is not a failure.
    assert!(report.batches_sequenced >= 1, "{report:?}");
    assert_eq!(report.l1_txs_failed, 0, "{report:?}");
}
