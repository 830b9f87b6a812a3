//! Precompile pricing: every precompile of `zk/precompile.rs` on its worst-case input,
//! next to revm's `ecrecover`, in one run. For each it prints the gas the precompile
//! charges, the CPU time of one call (the `gas` schedule and `run`, as the chain calls
//! them; criterion's median sample) and the gas per microsecond, with the ratio to
//! `ecrecover`'s: a precompile priced at a ratio below 1 sells CPU cheaper than Ethereum
//! does, which lets a transaction stall block building for its gas.
//!
//! Worst cases:
//! - `ZK_VERIFIER` / `ZK_BLOB_VERIFIER`: real proofs of the batch shapes N = 4 / 16 / 64
//!   (depth 20) and aggregation proofs (two N = 4, two N = 64, and level 2 over N = 4),
//!   compressed in calldata and plain in blobs. Verification work depends on the circuit,
//!   not on the proof's bytes.
//! - `POSEIDON`: one word (the constant) and 4096 words (the per-permutation term).
//! - `BATCH_COMMITMENT` / `_BLOB`: compact batches of deposits, the most expensive record
//!   per byte (25 bytes for three Poseidon permutations and a keccak step of the deposit
//!   hash), 64 of them (the largest circuit shape and the codec's bound) and 4096 (a
//!   header the codec refuses at once, priced without permutations); and 64 transfers
//!   (74 bytes each) for comparison.
//!
//! Run: `cargo bench --bench precompiles -- --warm-up-time 1 --measurement-time 3`.

use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alloy_primitives::{Address, Bytes, B256};
use alloy_sol_types::SolValue;
use criterion::{criterion_group, criterion_main, Criterion};
use zkarena_harness::l1::precompile::PrecompileAnswer;
use zkarena_harness::l1::{Chain, ChainConfig, L1Precompile};
use zkarena_harness::l2::tx::{deterministic_key, key_address};
use zkarena_harness::zk::precompile::{
    install, VerifierRegistry, BATCH_COMMITMENT, BATCH_COMMITMENT_BLOB, POSEIDON, ZK_BLOB_VERIFIER,
    ZK_VERIFIER,
};
use zkarena_harness::zk::{b256_to_digest, CircuitCache, Proof, ProofMode, Prover, SHAPES};

mod common;
use common::{proof_pair, Users, DEPTH};
#[path = "../tests/common/batches.rs"]
mod batches;
use batches::{compact_batch, deposits};

fn transfers_batch(n: usize) -> Vec<u8> {
    let mut users = Users::new();
    compact_batch((0..n).map(|i| users.transfer(i)).collect())
}

/// One measured call: a precompile (or ecrecover) on one input.
struct Case {
    name: String,
    gas: u64,
    call: Box<dyn Fn() -> bool>,
}

fn precompile_case(name: &str, p: Arc<dyn L1Precompile>, input: Vec<u8>) -> Case {
    let gas = p.gas(&input);
    let ok = matches!(p.run(&input), PrecompileAnswer::Return(_));
    assert!(ok, "{name}: the worst-case input must succeed");
    Case {
        name: name.to_string(),
        gas,
        call: Box::new(move || {
            let gas = p.gas(black_box(&input));
            black_box(gas);
            matches!(p.run(black_box(&input)), PrecompileAnswer::Return(_))
        }),
    }
}

fn ecrecover_case() -> Case {
    let key = deterministic_key(0, "ecrecover");
    let msg = alloy_primitives::keccak256(b"zkarena precompile pricing");
    let (sig, recid) = key
        .sign_prehash_recoverable(msg.as_slice())
        .expect("signature");
    let mut input = msg.to_vec();
    input.extend_from_slice(&[0u8; 31]);
    input.push(27 + recid.to_byte());
    input.extend_from_slice(&sig.to_bytes());
    let run = move || revm::precompile::secp256k1::ec_recover_run(black_box(&input), u64::MAX);
    let out = run().expect("ecrecover runs");
    assert_eq!(
        &out.bytes[12..],
        key_address(&key).as_slice(),
        "ecrecover recovers the signer"
    );
    Case {
        name: "ecrecover (revm)".into(),
        gas: out.gas_used,
        call: Box::new(move || run().is_ok_and(|o| !o.bytes.is_empty())),
    }
}

fn cases() -> Vec<Case> {
    let mut chain = Chain::new(ChainConfig::default());
    let registry = VerifierRegistry::new(false);
    install(&mut chain, &registry).expect("install");
    let at = |a| chain.precompile(&a).expect("installed").clone();
    let (verifier, blob_verifier) = (at(ZK_VERIFIER), at(ZK_BLOB_VERIFIER));
    let (poseidon, commit, commit_blob) = (
        at(POSEIDON),
        at(BATCH_COMMITMENT),
        at(BATCH_COMMITMENT_BLOB),
    );
    let blobs = chain.blob_store();
    let stored = |data: &[Bytes]| -> Vec<B256> {
        data.iter()
            .map(|b| {
                blobs.insert(b);
                zkarena_harness::l1::tx::blob_versioned_hash(b)
            })
            .collect()
    };

    let mut cases = vec![ecrecover_case()];

    // The verifiers: every batch shape and aggregation proofs.
    let prover = Prover::new(ProofMode::Real);
    let mut proofs: Vec<(String, Proof)> = Vec::new();
    let mut pairs = Vec::new();
    for n in SHAPES {
        let started = Instant::now();
        let circuit = CircuitCache::global().batch(DEPTH, n);
        registry.register(&circuit.data().verifier_data());
        let (p1, p2) = proof_pair(&prover, n);
        eprintln!("batch N={n}: 2 proofs in {:.1?}", started.elapsed());
        proofs.push((format!("batch N={n}"), p1.clone()));
        pairs.push((n, p1, p2));
    }
    for (n, p1, p2) in &pairs {
        if *n == 16 {
            continue;
        }
        let started = Instant::now();
        let child = CircuitCache::global()
            .batch(DEPTH, *n)
            .data()
            .verifier_data();
        let agg = CircuitCache::global().aggregation(&child);
        registry.register(&agg.data().verifier_data());
        let proof = prover.aggregate(p1, p2).expect("aggregation");
        eprintln!("aggregation of two N={n}: {:.1?}", started.elapsed());
        proofs.push((format!("agg L1 of N={n}"), proof));
    }
    {
        // Level 2 over N = 4: two level-1 aggregates of consecutive pairs.
        let started = Instant::now();
        let mut users = Users::new();
        let digest = |b| b256_to_digest(&b).expect("digest");
        let mut batch_proofs: Vec<Proof> = Vec::new();
        for _ in 0..4 {
            let outcome = users.transfers(4);
            let (bin, win) = match batch_proofs.last() {
                Some(p) => (digest(p.public.batch_out), digest(p.public.withdrawals_out)),
                None => Default::default(),
            };
            batch_proofs.push(
                prover
                    .prove_batch(DEPTH, &outcome, bin, win, Default::default())
                    .expect("proof"),
            );
        }
        let a1 = prover
            .aggregate(&batch_proofs[0], &batch_proofs[1])
            .expect("agg");
        let a2 = prover
            .aggregate(&batch_proofs[2], &batch_proofs[3])
            .expect("agg");
        let child = CircuitCache::global()
            .batch(DEPTH, 4)
            .data()
            .verifier_data();
        let level1 = CircuitCache::global()
            .aggregation(&child)
            .data()
            .verifier_data();
        let level2 = CircuitCache::global().aggregation(&level1);
        registry.register(&level2.data().verifier_data());
        let proof = prover.aggregate(&a1, &a2).expect("level 2");
        eprintln!("aggregation level 2 over N=4: {:.1?}", started.elapsed());
        proofs.push(("agg L2 of N=4".into(), proof));
    }
    for (label, proof) in &proofs {
        let input = (proof.verifier_key, proof.bytes.clone()).abi_encode_params();
        eprintln!(
            "{label}: compressed proof {} bytes, plain {} bytes in {} blobs",
            proof.bytes.len(),
            proof.fixed_bytes.len(),
            proof.blobs().len()
        );
        cases.push(precompile_case(
            &format!("ZK_VERIFIER {label}"),
            verifier.clone(),
            input,
        ));
        let hashes = stored(&proof.blobs());
        let input = (proof.verifier_key, hashes).abi_encode_params();
        cases.push(precompile_case(
            &format!("ZK_BLOB_VERIFIER {label}"),
            blob_verifier.clone(),
            input,
        ));
    }

    // Poseidon: the constant and the per-permutation term.
    for words in [1usize, 4096] {
        let input = ((0..words as u64).collect::<Vec<u64>>(),).abi_encode_params();
        cases.push(precompile_case(
            &format!("POSEIDON {words} words"),
            poseidon.clone(),
            input,
        ));
    }

    // Batch commitments: deposits are the most expensive record per byte.
    let prev = B256::ZERO;
    let token = Address::repeat_byte(0x70);
    for (label, batch) in [
        ("64 deposits", deposits(64)),
        ("4096 deposits", deposits(4096)),
        ("64 transfers", transfers_batch(64)),
    ] {
        eprintln!("batch of {label}: {} bytes", batch.len());
        let input = (prev, Bytes::from(batch.clone()), token, 0u64, B256::ZERO).abi_encode_params();
        cases.push(precompile_case(
            &format!("BATCH_COMMITMENT {label}"),
            commit.clone(),
            input,
        ));
        let mut data = (batch.len() as u32).to_be_bytes().to_vec();
        data.extend_from_slice(&batch);
        let blobs: Vec<Bytes> = data
            .chunks(zkarena_harness::l1::tx::BLOB_DATA_BYTES)
            .map(Bytes::copy_from_slice)
            .collect();
        let hashes = stored(&blobs);
        let input = (prev, hashes, token, 0u64, B256::ZERO).abi_encode_params();
        cases.push(precompile_case(
            &format!("BATCH_COMMITMENT_BLOB {label}"),
            commit_blob.clone(),
            input,
        ));
    }
    cases
}

fn pricing(c: &mut Criterion) {
    let cases = cases();
    let mut group = c.benchmark_group("precompiles");
    group.sample_size(10);
    let mut medians = Vec::new();
    for case in &cases {
        let samples: Arc<Mutex<Vec<f64>>> = Arc::default();
        let record = samples.clone();
        group.bench_function(case.name.as_str(), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    assert!((case.call)());
                }
                let elapsed = start.elapsed();
                record
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(elapsed.as_secs_f64() * 1e6 / iters as f64);
                elapsed
            })
        });
        let mut per_call = samples.lock().unwrap_or_else(|e| e.into_inner()).clone();
        per_call.sort_by(f64::total_cmp);
        medians.push(per_call[per_call.len() / 2]);
    }
    group.finish();

    let rate = |i: usize| cases[i].gas as f64 / medians[i];
    let ecrecover = rate(0);
    println!();
    println!(
        "{:<40} {:>12} {:>12} {:>9} {:>13}",
        "precompile / input", "gas", "µs", "gas/µs", "x ecrecover"
    );
    for (i, case) in cases.iter().enumerate() {
        println!(
            "{:<40} {:>12} {:>12.1} {:>9.1} {:>13.2}",
            case.name,
            case.gas,
            medians[i],
            rate(i),
            rate(i) / ecrecover
        );
    }
    let worst = (1..cases.len())
        .min_by(|&a, &b| rate(a).total_cmp(&rate(b)))
        .map(|i| (cases[i].name.as_str(), rate(i) / ecrecover));
    if let Some((name, ratio)) = worst {
        println!("lowest: {name} at {ratio:.2}x ecrecover's gas per µs");
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = pricing
}
criterion_main!(benches);
