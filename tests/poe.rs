//! Proof of Efficiency end to end: the batch-fee market, the aggregator race and
//! inter-sequencer frontrunning with and without sequencer-specific chain ids. Each is
//! a shipped scenario; `poe-baseline` runs with real proofs, the others with dev proofs
//! (the same simulated proving times: only the provers' proof bytes, and so their L1
//! gas, differ). Outcomes and costs are separate snapshots.

#[macro_use]
#[path = "common/outcomes.rs"]
mod outcomes;

use outcomes::{dev, passing, variant};
use zkarena::actors as zkarena_actors;
use zkarena::harness::report::{ActorReport, Report};
use zkarena::run::{run, RunOptions};
use zkarena::scenario::Scenario;

fn actor<'a>(r: &'a Report, name: &str) -> &'a ActorReport {
    r.actors.iter().find(|a| a.name == name).unwrap()
}

#[test]
fn sequencers_pay_the_batch_fee_and_the_first_valid_proof_takes_it() {
    let r = passing(&outcomes::shipped("poe-baseline"));
    outcomes::assert_dev_matches_real("poe-baseline", &r);
    let (seq, fast, slow) = (actor(&r, "seq-a"), actor(&r, "fast"), actor(&r, "slow"));
    // The sequencer paid a token fee per batch on top of its L1 gas.
    assert!(seq.batches_sequenced > 0 && seq.l1_token_delta < 0 && seq.l1_fees_wei > 0);
    // The faster aggregator won every range and was paid the fees of what it verified;
    // the slower one lost every race, earned nothing and still paid for its attempts.
    assert_eq!(
        fast.proofs_accepted,
        r.batches.iter().filter(|b| b.prover.is_some()).count() as u64
    );
    assert!(fast.l1_token_delta > 0 && fast.l1_token_delta <= -seq.l1_token_delta);
    assert_eq!((slow.proofs_accepted, slow.l1_token_delta), (0, 0));
    assert!(slow.proofs_submitted > 0 && slow.l1_fees_wei > 0 && slow.profit_gwei < 0);
    // The loser's proving work was wasted, the winner's never.
    assert!(slow.proving_wasted_ms > 0);
    assert_eq!(fast.proving_wasted_ms, 0);
    assert_eq!(r.scorecard.nakamoto_provers, 1);
    snapshot_report!("poe_baseline", r);
}

#[test]
fn an_unprotected_sequencer_is_frontrun_and_loses() {
    let r = passing(&dev("poe-frontrun"));
    let (honest, mev) = (actor(&r, "honest"), actor(&r, "mev"));
    // Every honest batch landed after its copy: its transactions were already spent.
    for b in r.batches.iter().filter(|b| b.sequencer == "honest") {
        assert_eq!(b.applied, 0, "batch {} applied something", b.index);
    }
    assert_eq!(honest.l2_fees_earned, 0);
    assert!(
        honest.l1_token_delta < 0 && honest.profit_gwei < 0,
        "it paid gas and fees for nothing"
    );
    // The frontrunner took the users' fees and the sandwich profit, net of its L1 costs.
    assert!(mev.l2_fees_earned > 0);
    assert!(
        mev.mev_profit > mev.l2_fees_earned as i64,
        "the sandwich paid"
    );
    assert!(mev.profit_gwei > 0);
    assert!(r.scorecard.mev_share > 0.0);
    // The MEV inequality (seed): over this swap-heavy run the sequencing side (fees and
    // MEV) takes more value than the provers, whose reward is only the batch fee.
    let agg = actor(&r, "agg");
    let sequencing = (honest.l2_fees_earned as i64 + mev.mev_profit).max(0);
    let proving = agg.l1_token_delta as i64 / 2; // tokens at the pool's price of 0.5 ETH
    eprintln!("value split: sequencers {sequencing} gwei, provers {proving} gwei");
    assert!(sequencing > proving);
    snapshot_report!("poe_frontrun", r);
}

#[test]
fn chain_ids_make_frontrunning_a_loss() {
    let r = passing(&dev("poe-frontrun-chainid"));
    let (honest, mev) = (actor(&r, "honest"), actor(&r, "mev"));
    // The copies are skipped in the frontrunner's batches (wrong chain id); only its own
    // sandwich swaps execute there, and the honest batches apply the users' transactions.
    for b in r.batches.iter().filter(|b| b.sequencer == "mev") {
        assert!(b.applied <= 2, "batch {}: {} applied", b.index, b.applied);
    }
    assert!(r
        .batches
        .iter()
        .filter(|b| b.sequencer == "honest")
        .any(|b| b.applied > 0));
    assert!(honest.l2_fees_earned > 0);
    assert_eq!(mev.l2_fees_earned, 0);
    assert!(mev.profit_gwei <= 0);
    // The smarter frontrunner claims the honest sequencer's id in its header and its
    // own transactions: the contract binds ids to the address that claimed them, so
    // every one of its batches reverts (SequencerIdNotOwned) and it only pays gas.
    let impostor = actor(&r, "impostor");
    assert!(impostor.l1_txs_sent > 0, "it tried");
    assert!(impostor.l1_txs_failed > 0, "its batches reverted");
    assert_eq!(impostor.batches_sequenced, 0);
    assert_eq!(impostor.l2_fees_earned, 0);
    assert!(r.batches.iter().all(|b| b.sequencer != "impostor"));
    assert!(impostor.profit_gwei < 0);
    snapshot_report!("poe_frontrun_chainid", r);
}

#[test]
fn a_censored_user_forces_her_transactions_through_l1() {
    let r = passing(&dev("poe-censorship"));
    let censor = actor(&r, "censor");
    // Nothing of user-0's ever went into the censor's batches; the ones she sent early
    // enough landed in forced batches she sequenced herself after the timeout.
    let hers: Vec<_> = r
        .transactions
        .iter()
        .filter(|t| t.sender == "user-0")
        .collect();
    let forced: Vec<_> = hers.iter().filter(|t| t.batch.is_some()).collect();
    assert!(!forced.is_empty());
    for t in &forced {
        let b = r.batches.iter().find(|b| Some(b.index) == t.batch).unwrap();
        assert_eq!(b.sequencer, "user-0", "{t:?}");
        // Patience (3 slots) + forceBatch landing + the 36 s timeout, at least.
        assert!(
            t.inclusion_delay_ms.unwrap() >= 36_000 + 3 * 12_000,
            "{t:?}"
        );
    }
    // Once a forced batch was overdue, the censor's own batches were refused.
    assert!(censor.l1_txs_failed > 0);
    assert!(r.batches.iter().filter(|b| b.sequencer == "censor").count() >= 3);
    // Other users were served normally.
    assert!(r
        .transactions
        .iter()
        .any(|t| t.sender != "user-0" && t.batch.is_some()));
    snapshot_report!("poe_censorship", r);
}

#[test]
fn garbage_batches_are_proven_as_no_ops_at_the_posters_expense() {
    let r = passing(&dev("poe-garbage"));
    let junk = actor(&r, "junk");
    let garbage: Vec<_> = r.batches.iter().filter(|b| b.sequencer == "junk").collect();
    // Six kinds, one per slot: random bytes, truncated, unknown format, trailing bytes,
    // 65 transactions (over the largest circuit), an out-of-order deposit.
    assert!(garbage.len() >= 6, "every kind of garbage was sequenced");
    for b in &garbage {
        assert_eq!((b.txs, b.applied), (0, 0), "batch {} is a no-op", b.index);
    }
    // The ranges around them were proven: every batch but the last one or two.
    let verified = r.batches.iter().filter(|b| b.prover.is_some()).count();
    assert!(verified + 2 >= r.batches.len(), "{}", r.table());
    // No honest transaction was lost or skipped, and the poster paid fees and gas.
    assert!(r
        .transactions
        .iter()
        .all(|t| t.batch.is_some() || t.fate == zkarena::harness::report::Fate::Pending));
    assert!(junk.l1_token_delta < 0 && junk.l1_fees_wei > 0 && junk.profit_gwei < 0);
    snapshot_report!("poe_garbage", r);
}

#[test]
fn a_fair_sequencer_includes_forced_transactions_before_the_timeout() {
    let r = passing(&dev("poe-forced-inclusion"));
    let hers: Vec<_> = r
        .transactions
        .iter()
        .filter(|t| t.sender == "user-0" && t.batch.is_some())
        .collect();
    assert!(!hers.is_empty());
    for t in &hers {
        let b = r.batches.iter().find(|b| Some(b.index) == t.batch).unwrap();
        assert_eq!(b.sequencer, "fair", "{t:?}");
        // Patience, forceBatch, then the fair sequencer's next slot: well before the
        // 36 s timeout after which she would have had to do it herself.
        assert!(t.inclusion_delay_ms.unwrap() < 3 * 12_000 + 36_000, "{t:?}");
    }
    // The censor was never blocked: forced batches did not go overdue.
    assert_eq!(actor(&r, "censor").l1_txs_failed, 0);
    snapshot_report!("poe_forced_inclusion", r);
}

#[test]
fn data_availability_calldata_against_blobs_with_and_without_compression() {
    use zkarena::harness::l2::Format;
    use zkarena::scenario::CastMember;
    use zkarena_actors::sequencer::Da;
    let base = dev("poe-da-blob");
    let mut rows = Vec::new();
    for da in [Da::Calldata, Da::Blob] {
        for format in [Format::Plain, Format::Compact] {
            let mut s = base.clone();
            if let CastMember::Sequencer { params, .. } = &mut s.cast[0] {
                (params.da, params.format) = (da, format);
            }
            let out = run(&s, &RunOptions::default()).unwrap();
            let r = out.report;
            assert!(r.passed(), "{da:?} {format:?}: {}", r.table());
            let bytes: u64 = r.batches.iter().map(|b| b.bytes).sum();
            let txs: u64 = r.batches.iter().map(|b| b.txs).sum();
            let per_tx = bytes as f64 / txs as f64;
            // What one L1 block can carry: the calldata budget, or 9 blobs.
            let budget = match da {
                Da::Calldata => 128.0 * 1024.0,
                Da::Blob => 9.0 * 126_976.0,
            };
            let seq = actor(&r, "seq").clone();
            eprintln!(
                "{da:?} {format:?}: {per_tx:.1} bytes per tx, ceiling {:.0} L2 tx per L1 block, sequencer L1 gas {} for {} batches",
                budget / per_tx,
                seq.l1_gas,
                seq.batches_sequenced
            );
            rows.push((da, format, per_tx, budget / per_tx, seq.l1_gas));
            if (da, format) == (Da::Blob, Format::Compact) {
                snapshot_report!("poe_da_blob", r);
            }
        }
    }
    let find = |da, f| rows.iter().find(|r| r.0 == da && r.1 == f).unwrap();
    let (cp, cc) = (
        find(Da::Calldata, Format::Plain),
        find(Da::Calldata, Format::Compact),
    );
    let (bp, bc) = (
        find(Da::Blob, Format::Plain),
        find(Da::Blob, Format::Compact),
    );
    // Same load, same bytes per transaction whatever the channel. Compact shrinks the
    // integer fields (by about two thirds) but not the one-time signature, which every
    // transaction carries at full width: it saves a few percent.
    assert_eq!(cp.2, bp.2);
    let sig = zkarena::harness::l2::wots::SIG_BYTES as f64;
    assert!(cc.2 > sig && cc.2 < cp.2, "{} {}", cc.2, cp.2);
    assert!(cp.2 - cc.2 > 20.0, "{} {}", cc.2, cp.2);
    // Blobs carry about 8.7x more per block and cost the sequencer less L1 gas.
    assert!(bc.3 > 8.0 * cc.3);
    assert!(bc.4 < cc.4 && bp.4 < cp.4);
}

#[test]
fn a_gas_based_policy_starves_simple_transactions_under_congestion() {
    use zkarena::scenario::CastMember;
    use zkarena_actors::sequencer::Policy;
    let gas = passing(&dev("poe-congestion-gas"));
    let tip = run(
        &variant("poe-congestion-gas", |s| {
            if let CastMember::Sequencer { params, .. } = &mut s.cast[0] {
                params.policy = Policy::Tip;
            }
        }),
        &RunOptions::default(),
    )
    .unwrap()
    .report;
    // Mean wait of a kind, counting a transaction still pending as waiting to the end.
    let wait = |r: &Report, kind: &str| {
        let ts: Vec<_> = r.transactions.iter().filter(|t| t.kind == kind).collect();
        let total: u64 = ts
            .iter()
            .map(|t| {
                t.inclusion_delay_ms
                    .unwrap_or(r.duration_ms - t.submitted_ms)
            })
            .sum();
        total / ts.len() as u64
    };
    let (gas_transfer, tip_transfer) = (wait(&gas, "transfer"), wait(&tip, "transfer"));
    let (gas_swap, tip_swap) = (wait(&gas, "swap"), wait(&tip, "swap"));
    eprintln!(
        "mean wait (ms): transfers gas {gas_transfer} / tip {tip_transfer}; swaps gas {gas_swap} / tip {tip_swap}"
    );
    assert!(
        gas_transfer > tip_transfer,
        "simple transactions wait longer under the gas policy"
    );
    assert!(gas_swap < gas_transfer, "heavy ones go first");
    snapshot_report!("poe_congestion_gas", gas);
}

#[test]
fn a_copied_proof_is_refused_and_the_real_prover_is_paid() {
    let r = passing(&outcomes::shipped("poe-proof-copy"));
    let (prover, thief) = (actor(&r, "prover"), actor(&r, "thief"));
    let verified = r.batches.iter().filter(|b| b.prover.is_some()).count() as u64;
    assert!(verified > 0);
    // The copier resent every proof first (twice the tip), and every copy reverted
    // (ProofNotBound): it paid gas for nothing. The prover took every range's fees.
    assert_eq!(thief.proofs_submitted, prover.proofs_submitted);
    assert_eq!((thief.proofs_accepted, thief.l1_token_delta), (0, 0));
    assert_eq!(thief.l1_txs_failed, thief.l1_txs_sent);
    assert!(thief.profit_gwei < 0);
    assert_eq!(prover.proofs_accepted, verified);
    assert!(prover.l1_token_delta > 0);
    assert!(r
        .batches
        .iter()
        .filter_map(|b| b.prover.as_deref())
        .all(|p| p == "prover"));
    snapshot_report!("poe_proof_copy", r);
}

#[test]
fn at_one_proof_per_block_a_copier_crowds_the_bound_proofs_out() {
    // The binding makes every copy revert, but a copy still takes the block's
    // calldata: at 128 KiB a block holds one ~113 KB calldata proof, and the copier's
    // (twice the tip) goes first every time. No range is ever verified; the copier
    // pays for its reverted copies, the prover for nothing (none of its proofs land).
    let s = outcomes::variant("poe-proof-copy", |s| {
        s.l1.calldata_bytes_per_block = 128 * 1024;
        s.expect.clear();
    });
    let out = run(&s, &RunOptions::default()).unwrap();
    assert!(out.violation.is_none(), "{:?}", out.violation);
    let r = out.report;
    let (prover, thief) = (actor(&r, "prover"), actor(&r, "thief"));
    assert!(
        r.batches.iter().all(|b| b.prover.is_none()),
        "nothing verified"
    );
    assert!(prover.proofs_submitted >= 5 && thief.proofs_submitted >= 5);
    assert_eq!((prover.proofs_accepted, prover.l1_txs_included), (0, 0));
    assert_eq!((prover.l1_gas, prover.l1_token_delta), (0, 0));
    assert_eq!(thief.proofs_accepted, 0);
    assert_eq!(thief.l1_txs_failed, thief.l1_txs_included);
    assert!(thief.l1_txs_included >= 5 && thief.profit_gwei < 0);
}

#[test]
fn without_the_binding_the_copier_takes_every_range() {
    use zkarena::scenario::MechanismConfig;
    let mut s = Scenario::load("poe-proof-copy").unwrap();
    let MechanismConfig::ProofOfEfficiency(poe) = &mut s.mechanism else {
        panic!("a PoE scenario")
    };
    poe.bind_proofs = false;
    s.expect.clear();
    let out = run(&s, &RunOptions::default()).unwrap();
    assert!(out.violation.is_none(), "{:?}", out.violation);
    let r = out.report;
    let (prover, thief) = (actor(&r, "prover"), actor(&r, "thief"));
    let verified = r.batches.iter().filter(|b| b.prover.is_some()).count() as u64;
    assert!(verified > 0);
    // Its copies land first and are paid; the real prover's verifications revert
    // (RangeNotNext) and its proving work is wasted.
    assert_eq!(thief.proofs_accepted, verified);
    assert!(thief.l1_token_delta > 0);
    assert_eq!((prover.proofs_accepted, prover.l1_token_delta), (0, 0));
    assert!(prover.proving_wasted_ms > 0);
    assert!(r
        .batches
        .iter()
        .filter_map(|b| b.prover.as_deref())
        .all(|p| p == "thief"));
}
