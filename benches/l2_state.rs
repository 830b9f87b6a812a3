//! L2 state tree: cost of one leaf update (20 Poseidon compressions at depth 20) and
//! of a Merkle path, natively. The batch circuit's per-transaction lower bound is
//! counted in these compressions.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use zkarena::harness::l2::smt::{felt, hash_fields, SparseMerkleTree};

fn smt(c: &mut Criterion) {
    let mut tree = SparseMerkleTree::new(20).unwrap();
    for i in 0..1_000u64 {
        tree.set(i * 997 % (1 << 20), hash_fields(&[felt(i)]))
            .unwrap();
    }
    let mut group = c.benchmark_group("smt_depth20");
    let mut i = 0u64;
    group.bench_function("update", |b| {
        b.iter(|| {
            i = (i + 7919) % (1 << 20);
            black_box(tree.set(i, hash_fields(&[felt(i), felt(1)])).unwrap())
        })
    });
    group.bench_function("proof_verify", |b| {
        let leaf = tree.leaf(997).unwrap();
        let root = tree.root();
        b.iter(|| black_box(tree.proof(997).unwrap().verify(root, leaf)))
    });
    group.finish();
}

criterion_group!(benches, smt);
criterion_main!(benches);
