//! What a real proof of each circuit looks like from the L1: its verifier key, its plain
//! byte length and the circuit's rows. A dev proof takes these from here, so that it
//! is registered under the real key, fills as many blobs as the real proof and costs
//! the same verification gas: a dev run's report equals the real run's.
//!
//! Building a batch circuit takes 0.25-5 s, so the facts of every batch shape (tree
//! depth 1-32 x [`SHAPES`](super::SHAPES)) are generated once into `shape_table.rs` by
//! `UPDATE_PROOF_SHAPES=1 cargo test --release --test proof_shapes`, which also checks
//! them (and, in the suite, the default depth's) against the built circuits. Any other
//! circuit (an aggregation) is built once per process and measured.

use alloy_primitives::{b256, B256};
use plonky2::hash::hash_types::MerkleCapTarget;
use plonky2::hash::merkle_proofs::MerkleProofTarget;
use plonky2::iop::ext_target::ExtensionTarget;
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::circuit_data::{CircuitConfig, CircuitData, CommonCircuitData};

use crate::l2::smt::F;

use super::{verifier_key, CircuitCache, C, D};

/// A circuit as the L1 sees its proofs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShapeFacts {
    /// Its verifier key (circuit digest).
    pub verifier_key: B256,
    /// Bytes of a proof in plonky2's plain form (public inputs included): the same for
    /// every proof of the circuit. What blobs carry.
    pub plain_len: usize,
    /// Typical bytes of a proof in plonky2's compressed form, what calldata carries:
    /// compression drops Merkle path nodes that the FRI queries share, so the length
    /// varies from proof to proof (by about 2 % either way); this is the mean of a few
    /// real proofs (the plain length for circuits never measured).
    pub calldata_len: usize,
    /// The circuit's rows (a power of two).
    pub rows: usize,
}

impl ShapeFacts {
    /// The facts of a built circuit (its calldata length unmeasured: the plain one).
    pub fn of(data: &CircuitData<F, C, D>) -> Self {
        let plain_len = plain_proof_len(&data.common);
        Self {
            verifier_key: verifier_key(&data.verifier_data()),
            plain_len,
            calldata_len: plain_len,
            rows: 1 << data.common.degree_bits(),
        }
    }
}

/// The facts of the batch circuit for a tree of `depth` with `slots` slots: from the
/// generated table, or (outside it) by building the circuit.
pub fn batch_facts(depth: usize, slots: usize) -> ShapeFacts {
    tabled_batch_facts(depth, slots).unwrap_or_else(|| {
        // Scenarios cannot get here (their depths and shapes are all tabled).
        tracing::warn!(depth, slots, "a batch shape outside the table: building it");
        ShapeFacts::of(CircuitCache::global().batch(depth, slots).data())
    })
}

/// The generated facts of a batch shape, if the table has it.
pub fn tabled_batch_facts(depth: usize, slots: usize) -> Option<ShapeFacts> {
    BATCH_SHAPES
        .iter()
        .find(|row| row.0 == depth && row.1 == slots)
        .map(
            |&(_, _, verifier_key, plain_len, calldata_len, rows)| ShapeFacts {
                verifier_key,
                plain_len,
                calldata_len,
                rows,
            },
        )
}

/// The byte length of any proof of a circuit with `common`, in plonky2's plain form
/// (`ProofWithPublicInputs::to_bytes`), without proving: it walks the shape of a proof
/// (`add_virtual_proof_with_pis`, what a recursive verifier expects) and counts what
/// plonky2's serializer writes for each part: 32 bytes per hash, 8 per field element,
/// one length byte per Merkle path and 8 for the public inputs' count.
pub fn plain_proof_len(common: &CommonCircuitData<F, D>) -> usize {
    let mut b = CircuitBuilder::<F, D>::new(CircuitConfig::standard_recursion_config());
    let shape = b.add_virtual_proof_with_pis(common);
    let (p, fri) = (&shape.proof, &shape.proof.opening_proof);
    let cap = |c: &MerkleCapTarget| HASH * c.0.len();
    let ext = |v: &[ExtensionTarget<D>]| FIELD * D * v.len();
    let path = |m: &MerkleProofTarget| 1 + HASH * m.siblings.len();
    let o = &p.openings;
    let openings: usize = [
        &o.constants,
        &o.plonk_sigmas,
        &o.wires,
        &o.plonk_zs,
        &o.plonk_zs_next,
        &o.lookup_zs,
        &o.next_lookup_zs,
        &o.partial_products,
        &o.quotient_polys,
    ]
    .into_iter()
    .map(|v| ext(v))
    .sum();
    let queries: usize = fri
        .query_round_proofs
        .iter()
        .map(|round| {
            let initial: usize = round
                .initial_trees_proof
                .evals_proofs
                .iter()
                .map(|(evals, proof)| FIELD * evals.len() + path(proof))
                .sum();
            let steps: usize = round
                .steps
                .iter()
                .map(|s| ext(&s.evals) + path(&s.merkle_proof))
                .sum();
            initial + steps
        })
        .sum();
    let fri_len = fri.commit_phase_merkle_caps.iter().map(cap).sum::<usize>()
        + queries
        + ext(&fri.final_poly.0)
        + FIELD;
    cap(&p.wires_cap)
        + cap(&p.plonk_zs_partial_products_cap)
        + cap(&p.quotient_polys_cap)
        + openings
        + fri_len
        + FIELD * (1 + shape.public_inputs.len())
}

/// Bytes of a field element and of a hash in plonky2's serialization.
const FIELD: usize = 8;
const HASH: usize = 4 * FIELD;

include!("shape_table.rs");
