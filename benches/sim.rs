//! Simulation speed with dev proofs: L1 blocks per second (criterion's elements per
//! second, one element per L1 slot) for the 8-user baseline (one transaction per user
//! per slot), the same over 200 slots, and 1,000 users over 50 slots sending 4
//! transactions per slot in all. The targets of issue 17 (1,000 blocks/s for the
//! baseline, linear in users and slots) are not met yet; this bench is where to
//! measure progress. Most of the time is the users' one-time signatures (Poseidon).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use zkarena::harness::zk::ProofMode;
use zkarena::run::{run, RunOptions};
use zkarena::scenario::Scenario;

/// The shipped baseline with dev proofs, and optionally more slots, users and load.
fn baseline(slots: Option<u64>, users: Option<usize>, txs_per_slot: Option<f64>) -> Scenario {
    let mut s = Scenario::load("baseline").expect("shipped");
    s.proof_mode = ProofMode::Dev;
    s.expect.clear();
    if let Some(n) = slots {
        s.slots = n;
    }
    if let Some(n) = users {
        s.workload.users = n;
    }
    if let Some(r) = txs_per_slot {
        s.workload.txs_per_slot = r;
    }
    s
}

fn sim(c: &mut Criterion) {
    let cases = [
        ("baseline_8_users", baseline(None, None, None)),
        (
            "baseline_8_users_200_slots",
            baseline(Some(200), None, None),
        ),
        // `txs_per_slot` is each user's rate: 4 per slot in all.
        (
            "1000_users_50_slots_4_tx",
            baseline(Some(50), Some(1_000), Some(0.004)),
        ),
    ];
    let mut group = c.benchmark_group("sim_dev_proofs");
    group.sample_size(10);
    let opts = RunOptions {
        threads: 2,
        ..RunOptions::default()
    };
    for (name, s) in cases {
        s.validate("bench").expect("a valid scenario");
        group.throughput(Throughput::Elements(s.slots));
        group.bench_function(name, |b| b.iter(|| run(&s, &opts).expect("runs")));
    }
    group.finish();
}

criterion_group!(benches, sim);
criterion_main!(benches);
