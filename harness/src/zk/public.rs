//! What a proof states publicly, and the two running commitments it carries: the batch
//! accumulator (which batches, in which order: the L1 computes it when a batch is
//! sequenced) and the withdrawal accumulator (what the bridge must pay). Both chain
//! Poseidon over field words, so a proof of a range of batches joins proofs of its halves.

use alloy_primitives::{Address, B256};
use plonky2::field::types::{Field, Field64, PrimeField64};
use plonky2::hash::hash_types::HashOut;
use serde::{Deserialize, Serialize};

use crate::l2::codec::Batch;
use crate::l2::smt::{felt, hash_fields, Digest, F};
use crate::l2::state::Withdrawal;
use crate::l2::tx::{address_limbs, TX_WORDS};
use crate::l2::wots::SIG_ELEMS;

/// Field elements of a batch proof's public inputs (an aggregation proof has the first
/// [`AGG_PUBLIC_INPUTS`]).
pub const BATCH_PUBLIC_INPUTS: usize = 29;
/// Field elements of an aggregation proof's public inputs.
pub const AGG_PUBLIC_INPUTS: usize = 28;

/// The public inputs, in order: seven digests (old root, new root, batch accumulator in
/// and out, withdrawal accumulator in and out, the binding), then, for a batch proof
/// only, its sequencer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicInputs {
    /// State root before.
    pub old_root: B256,
    /// State root after.
    pub new_root: B256,
    /// Batch accumulator before the range.
    pub batch_in: B256,
    /// Batch accumulator after the range.
    pub batch_out: B256,
    /// Withdrawal accumulator before.
    pub withdrawals_in: B256,
    /// Withdrawal accumulator after.
    pub withdrawals_out: B256,
    /// What the proof is bound to: [`proof_binding`] of the rollup contract and the
    /// prover's L1 address. A rollup that binds proofs accepts it only from that prover
    /// and only on that rollup, so a proof copied from the mempool or replayed on
    /// another instance is worthless.
    pub binding: B256,
    /// The batch's sequencer (batch proofs only).
    pub sequencer: Option<u64>,
}

/// A digest as 32 bytes: its four elements, each 8 bytes big-endian (how contracts see
/// roots and accumulators).
pub fn digest_to_b256(d: &Digest) -> B256 {
    let mut out = [0u8; 32];
    for (i, e) in d.elements.iter().enumerate() {
        out[i * 8..i * 8 + 8].copy_from_slice(&e.to_canonical_u64().to_be_bytes());
    }
    B256::from(out)
}

/// The inverse of [`digest_to_b256`]; `None` if an element is not canonical.
pub fn b256_to_digest(b: &B256) -> Option<Digest> {
    let mut elements = [F::ZERO; 4];
    for (i, e) in elements.iter_mut().enumerate() {
        let v = u64::from_be_bytes(b[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
        if v >= F::ORDER {
            return None;
        }
        *e = felt(v);
    }
    Some(HashOut { elements })
}

impl PublicInputs {
    /// Reads public inputs from a proof's field elements.
    pub fn from_fields(fields: &[u64]) -> Option<Self> {
        if fields.len() != BATCH_PUBLIC_INPUTS && fields.len() != AGG_PUBLIC_INPUTS {
            return None;
        }
        let d = |i: usize| {
            let mut out = [0u8; 32];
            for (k, v) in fields[i * 4..i * 4 + 4].iter().enumerate() {
                out[k * 8..k * 8 + 8].copy_from_slice(&v.to_be_bytes());
            }
            B256::from(out)
        };
        Some(Self {
            old_root: d(0),
            new_root: d(1),
            batch_in: d(2),
            batch_out: d(3),
            withdrawals_in: d(4),
            withdrawals_out: d(5),
            binding: d(6),
            sequencer: fields.get(AGG_PUBLIC_INPUTS).copied(),
        })
    }

    /// The field elements, in circuit order.
    pub fn to_fields(&self) -> Vec<u64> {
        let mut out = Vec::with_capacity(BATCH_PUBLIC_INPUTS);
        for d in [
            &self.old_root,
            &self.new_root,
            &self.batch_in,
            &self.batch_out,
            &self.withdrawals_in,
            &self.withdrawals_out,
            &self.binding,
        ] {
            for k in 0..4 {
                out.push(u64::from_be_bytes(
                    d[k * 8..k * 8 + 8].try_into().expect("8 bytes"),
                ));
            }
        }
        out.extend(self.sequencer);
        out
    }
}

/// The binding of a proof made by `prover` for the rollup contract `rollup`:
/// `Poseidon(rollup as five 32-bit limbs ‖ prover as five 32-bit limbs)`, what
/// `ZkRollup.proofBinding(prover)` computes on L1 with the POSEIDON precompile.
pub fn proof_binding(rollup: &Address, prover: &Address) -> Digest {
    let mut v: Vec<F> = address_limbs(rollup).map(felt).to_vec();
    v.extend(address_limbs(prover).map(felt));
    hash_fields(&v)
}

/// The batch accumulator after `batch`, starting from `prev`:
/// `h = Poseidon(prev ‖ sequencer, l1_block, fee_account)`, then for every transaction
/// `h = Poseidon(h ‖ its 18 words ‖ its 136 signature elements)` (zeros for a
/// deposit): the signatures are bound, so no prover can swap one for garbage.
pub fn batch_commitment(prev: Digest, batch: &Batch) -> Digest {
    commitment_over(
        prev,
        batch.header_words(),
        batch
            .txs
            .iter()
            .map(|tx| (tx.words(), tx.signature().elements())),
    )
}

/// The batch accumulator over a header and transactions' words and signature
/// elements (what [`batch_commitment`] hashes, and what the circuit's witness
/// carries).
pub fn commitment_over(
    prev: Digest,
    header: [u64; 3],
    txs: impl IntoIterator<Item = ([u64; TX_WORDS], [u64; SIG_ELEMS])>,
) -> Digest {
    let mut v: Vec<F> = prev.elements.to_vec();
    v.extend(header.map(felt));
    let mut h = hash_fields(&v);
    for (words, signature) in txs {
        let mut v: Vec<F> = h.elements.to_vec();
        v.extend(words.map(felt));
        v.extend(signature.map(felt));
        h = hash_fields(&v);
    }
    h
}

/// The withdrawal accumulator after `withdrawals`, starting from `prev`:
/// `w = Poseidon(w ‖ owner limbs, asset * 2^62 + amount)` per withdrawal.
pub fn withdrawal_commitment(prev: Digest, withdrawals: &[Withdrawal]) -> Digest {
    withdrawals.iter().fold(prev, |w, wd| {
        let mut v: Vec<F> = w.elements.to_vec();
        v.extend(wd.words().map(felt));
        hash_fields(&v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_round_trip_through_bytes32_and_reject_non_canonical_limbs() {
        let d = hash_fields(&[felt(1), felt(2)]);
        assert_eq!(b256_to_digest(&digest_to_b256(&d)), Some(d));
        assert_eq!(b256_to_digest(&B256::repeat_byte(0xff)), None);
    }
}
