//! Proof latency: batch proofs of N = 4, 16, 64 transfers over a depth-20 account tree,
//! aggregation of two batch proofs, and verification by the L1 precompile (time here,
//! gas printed from a real `verify` transaction). Also prints the proof sizes and the
//! circuit's rows per transaction, split into the signature check and the rest, next
//! to their Poseidon lower bounds.
//!
//! Run: `cargo bench --bench proof_latency`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use zkarena_harness::zk::precompile::VerifierRegistry;
use zkarena_harness::zk::{wots, CircuitCache, ProofMode, Prover, SHAPES};

mod common;
use common::{proof_pair, Users, DEPTH};

fn proofs(c: &mut Criterion) {
    let prover = Prover::new(ProofMode::Real);
    let registry = VerifierRegistry::new(false);
    let mut group = c.benchmark_group("proof_latency");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(8));
    for n in SHAPES {
        let circuit = CircuitCache::global().batch(DEPTH, n);
        let (_, vd_bytes) = registry.register(&circuit.data().verifier_data());
        let outcome = Users::new().transfers(n);
        let proof = prover
            .prove_batch(
                DEPTH,
                &outcome,
                Default::default(),
                Default::default(),
                Default::default(),
            )
            .unwrap();
        // Lower bounds per transfer. State: two leaves, each a Merkle path checked
        // and recomputed (2 x depth permutations) plus its old and new leaf hash (one
        // permutation each). Signature: the scheme's permutations per check.
        let state_bound = 2 * (2 * DEPTH + 2);
        let sig_rows = wots::check_rows();
        let sig_bound = wots::CHECK_PERMUTATIONS;
        let state_rows = circuit.rows_per_slot() - sig_rows;
        eprintln!(
            "batch N={n}: {} rows (2^{}), {} rows per slot = signature {sig_rows} (lower bound {sig_bound}, {:.2}x) + state and commitment {state_rows} (state lower bound {state_bound}), proof {} bytes, verifier data {vd_bytes} bytes",
            circuit.rows(),
            circuit.rows().trailing_zeros(),
            circuit.rows_per_slot(),
            sig_rows as f64 / sig_bound as f64,
            proof.bytes.len(),
        );
        group.bench_function(format!("batch_n{n}_depth{DEPTH}"), |b| {
            b.iter(|| {
                prover
                    .prove_batch(
                        DEPTH,
                        black_box(&outcome),
                        Default::default(),
                        Default::default(),
                        Default::default(),
                    )
                    .unwrap()
            })
        });
        group.bench_function(format!("l1_verify_n{n}"), |b| {
            b.iter(|| {
                registry
                    .verify(proof.verifier_key, black_box(&proof.bytes))
                    .unwrap()
            })
        });
    }
    // Aggregation of the proofs of two consecutive 16-transfer batches.
    let (p1, p2) = proof_pair(&prover, 16);
    let agg = prover.aggregate(&p1, &p2).unwrap();
    let agg_circuit = CircuitCache::global().aggregation(
        &CircuitCache::global()
            .batch(DEPTH, 16)
            .data()
            .verifier_data(),
    );
    let (_, vd_bytes) = registry.register(&agg_circuit.data().verifier_data());
    eprintln!(
        "aggregation of two N=16 proofs: 2^{} rows, proof {} bytes, verifier data {vd_bytes} bytes",
        agg_circuit.data().common.degree_bits(),
        agg.bytes.len()
    );
    group.bench_function("aggregate_two_n16", |b| {
        b.iter(|| prover.aggregate(black_box(&p1), black_box(&p2)).unwrap())
    });
    group.bench_function("l1_verify_aggregate", |b| {
        b.iter(|| {
            registry
                .verify(agg.verifier_key, black_box(&agg.bytes))
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, proofs);
criterion_main!(benches);
