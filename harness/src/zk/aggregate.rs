//! The aggregation circuit: verifies two proofs of one child circuit (two batch proofs,
//! or two aggregation proofs of the level below) and proves that they join: the first's
//! new root, batch accumulator and withdrawal accumulator are the second's starting
//! ones, and both carry the same binding (rollup and prover), which it exposes. It exposes the joined range, so rollers and a federated prover tree can split
//! work and merge it in a binary tree.

use anyhow::Context as _;
use plonky2::iop::target::Target;
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_data::{CircuitConfig, CircuitData, VerifierCircuitData};
use plonky2::plonk::proof::{ProofWithPublicInputs, ProofWithPublicInputsTarget};

use crate::l2::smt::F;

use super::gadgets::Builder;
use super::public::AGG_PUBLIC_INPUTS;
use super::{C, D};

/// An aggregation circuit over one child circuit.
pub struct AggregationCircuit {
    data: CircuitData<F, C, D>,
    left: ProofWithPublicInputsTarget<D>,
    right: ProofWithPublicInputsTarget<D>,
}

impl AggregationCircuit {
    /// Builds the aggregation of two proofs of `child`.
    pub fn build(child: &VerifierCircuitData<F, C, D>) -> Self {
        let mut b = Builder::new(CircuitConfig::standard_recursion_config());
        let vd = b.constant_verifier_data(&child.verifier_only);
        let left = b.add_virtual_proof_with_pis(&child.common);
        let right = b.add_virtual_proof_with_pis(&child.common);
        b.verify_proof::<C>(&left, &vd, &child.common);
        b.verify_proof::<C>(&right, &vd, &child.common);
        let l = &left.public_inputs;
        let r = &right.public_inputs;
        let digest = |pis: &[Target], i: usize| pis[i * 4..i * 4 + 4].to_vec();
        // left.new_root == right.old_root; left.batch_out == right.batch_in;
        // left.withdrawals_out == right.withdrawals_in; both made for one binding (one
        // prover on one rollup: nobody merges proofs copied from someone else).
        for (lo, ri) in [(1, 0), (3, 2), (5, 4), (6, 6)] {
            for (x, y) in digest(l, lo).into_iter().zip(digest(r, ri)) {
                b.connect(x, y);
            }
        }
        for (pis, i) in [(l, 0), (r, 1), (l, 2), (r, 3), (l, 4), (r, 5), (l, 6)] {
            b.register_public_inputs(&digest(pis, i));
        }
        debug_assert_eq!(b.num_public_inputs(), AGG_PUBLIC_INPUTS);
        let data = b.build::<C>();
        Self { data, left, right }
    }

    /// The plonky2 circuit.
    pub fn data(&self) -> &CircuitData<F, C, D> {
        &self.data
    }

    /// Proves that `left` then `right` form one range.
    pub fn prove(
        &self,
        left: &ProofWithPublicInputs<F, C, D>,
        right: &ProofWithPublicInputs<F, C, D>,
    ) -> anyhow::Result<ProofWithPublicInputs<F, C, D>> {
        let mut pw = PartialWitness::new();
        pw.set_proof_with_pis_target(&self.left, left)?;
        pw.set_proof_with_pis_target(&self.right, right)?;
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.data.prove(pw)))
            .map_err(|_| anyhow::anyhow!("the two proofs do not join"))?
            .context("proving the aggregation")
    }
}
