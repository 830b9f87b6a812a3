//! What one-time signatures cost a user and the L2's nodes, natively: deriving one
//! key digest (68 chains of 3 Poseidon steps, the digest of the tips), signing a
//! transfer (its one-time secrets, the chain prefixes and the next key's digest),
//! verifying it, and opening the genesis accounts of 1,000 users (one key digest
//! each). Scenario start-up with 1,000 users is timed end to end by `prepare`.
//!
//! Run: `cargo bench --bench signatures`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use zkarena::harness::l2::state::Account;
use zkarena::harness::l2::tx::{deterministic_key, l2_key, l2_seed};
use zkarena::harness::l2::{wots, Action, Asset, Fee, UserTx};
use zkarena::run::{prepare, RunOptions};
use zkarena::scenario::Scenario;

fn transfer() -> Action {
    Action::Transfer {
        to: 2,
        asset: Asset::Eth,
        amount: 1_000,
    }
}

fn signatures(c: &mut Criterion) {
    let key = deterministic_key(0, "bench");
    let seed = l2_seed(&key);
    let fee = Fee { base: 10, tip: 1 };
    let tx = UserTx::sign(&key, 1, 0, fee, 0, transfer());
    let current = l2_key(&key, 1, 0);
    let mut group = c.benchmark_group("wots");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    group.bench_function("key_digest", |b| {
        b.iter(|| seed.key_digest(black_box(1), black_box(7)))
    });
    let mut nonce = 0;
    group.bench_function("sign_transfer", |b| {
        b.iter(|| {
            nonce += 1;
            UserTx::sign(&key, 1, black_box(nonce), fee, 0, transfer())
        })
    });
    // The recovery itself (every actor after the first answers from the cache).
    group.bench_function("verify", |b| {
        b.iter(|| {
            let key = wots::recover_uncached(black_box(&tx.signature), tx.message(), 1, 0);
            assert_eq!(key, current)
        })
    });
    group.bench_function("verify_cached", |b| {
        b.iter(|| assert!(black_box(&tx).authorized_by(current)))
    });
    group.sample_size(10);
    let keys: Vec<_> = (0..1_000)
        .map(|i| deterministic_key(0, &format!("user-{i}")))
        .collect();
    group.bench_function("genesis_accounts_1000", |b| {
        b.iter(|| {
            keys.iter()
                .enumerate()
                .map(|(i, k)| Account::for_key(k, i as u64 + 1, [1, 1]))
                .collect::<Vec<_>>()
        })
    });
    group.finish();

    // Scenario start-up (genesis, deployment, cast) with 1,000 users.
    let mut scenario = Scenario::load("baseline").expect("shipped scenario");
    scenario.workload.users = 1_000;
    // Dev proofs: the circuits' key generation is not the users' business.
    scenario.proof_mode = zkarena::harness::zk::ProofMode::Dev;
    let started = Instant::now();
    let prepared = prepare(&scenario, &RunOptions::default()).expect("prepare");
    eprintln!(
        "start-up of `baseline` with 1,000 users (dev proofs): {:.2} s",
        started.elapsed().as_secs_f64()
    );
    drop(black_box(prepared));
}

criterion_group!(benches, signatures);
criterion_main!(benches);
