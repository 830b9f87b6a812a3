//! Circuit building blocks of the batch circuit: Merkle paths over the account tree,
//! account leaves, range checks and comparisons of values below 2^62 (every balance,
//! amount, fee, nonce and reserve the L2 stores), sums of up to three such values, and
//! exact products of values below 2^62 (the pool's arithmetic), which overflow the
//! 64-bit field and so are done on 21-bit limbs.
//!
//! Why 62 bits: the Goldilocks modulus is p = 2^64 - 2^32 + 1. A comparison proves
//! `x >= y` by range-checking `x - y` (or `y - x - 1`) to k bits; with x, y < 2^k a
//! wrapped difference is at least p - 2^k, which is out of range only if 2^(k+1) <= p,
//! i.e. k <= 63 with a margin: at k = 63 a wrapped difference can be as small as
//! 2^63 - 2^32 + 2 and pass. So every operand is range-checked to 62 bits and so is
//! every difference; a sum of three operands (3 * 2^62 < p) does not wrap and is split
//! into its low 62 bits and a carry of 0, 1 or 2.

use plonky2::field::types::{Field, Field64};
use plonky2::hash::hash_types::{HashOutTarget, NUM_HASH_OUT_ELTS};
use plonky2::hash::hashing::PlonkyPermutation;
use plonky2::hash::poseidon::{PoseidonHash, PoseidonPermutation};
use plonky2::iop::target::{BoolTarget, Target};
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::config::AlgebraicHasher;

use crate::l2::smt::{felt, MerkleProof, F, LEAF_DOMAIN, LEAF_FIELDS};
use crate::l2::state::LeafWitness;

use super::D;

/// Builder of the batch and aggregation circuits.
pub type Builder = CircuitBuilder<F, D>;

/// Bits of every value the L2 stores (balances, amounts, fees, nonces, reserves).
pub const VALUE_BITS: usize = 62;

/// Bits per limb of the wide arithmetic.
pub const LIMB_BITS: usize = 21;
/// Limbs of a value below 2^62 (21 + 21 + 20 bits).
pub const LIMBS: usize = 3;
/// Columns of a product of two limbed values.
const COLUMNS: usize = 2 * LIMBS - 1;
/// Offset that makes the (signed) column carries non-negative.
const CARRY_OFFSET: i128 = 1 << 23;
/// Bits of an offset carry.
const CARRY_BITS: usize = 24;

/// The root of a Merkle path from `leaf`, using `bits` (leaf level first) to order each
/// pair: one Poseidon row per level.
pub fn merkle_root(
    b: &mut Builder,
    leaf: HashOutTarget,
    bits: &[BoolTarget],
    siblings: &[HashOutTarget],
) -> HashOutTarget {
    let zero = b.zero();
    let mut node = leaf;
    for (bit, sib) in bits.iter().zip(siblings) {
        let mut perm = PoseidonPermutation::new(std::iter::repeat(zero));
        perm.set_from_slice(&node.elements, 0);
        perm.set_from_slice(&sib.elements, NUM_HASH_OUT_ELTS);
        let out = PoseidonHash::permute_swapped(perm, *bit, b);
        node = HashOutTarget::from_vec(out.squeeze()[..NUM_HASH_OUT_ELTS].to_vec());
    }
    node
}

/// A touched account leaf: its fields before, whether it exists, its Merkle siblings.
#[derive(Clone, Debug)]
pub struct LeafTargets {
    /// Owner limbs, ETH balance, token balance, nonce, key digest.
    pub fields: [Target; LEAF_FIELDS],
    /// Whether the leaf holds an account.
    pub exists: BoolTarget,
    /// Siblings, leaf level first.
    pub siblings: Vec<HashOutTarget>,
}

impl LeafTargets {
    /// Allocates a leaf whose fields are forced to zero when it does not exist.
    pub fn new(b: &mut Builder, depth: usize) -> Self {
        let fields = std::array::from_fn(|_| b.add_virtual_target());
        let exists = b.add_virtual_bool_target_safe();
        for &f in &fields {
            // (1 - exists) * f == 0
            let t = b.mul(exists.target, f);
            let d = b.sub(f, t);
            b.assert_zero(d);
        }
        let siblings = (0..depth).map(|_| b.add_virtual_hash()).collect();
        Self {
            fields,
            exists,
            siblings,
        }
    }

    /// Sets the witness.
    pub fn set(&self, pw: &mut PartialWitness<F>, w: &LeafWitness) -> anyhow::Result<()> {
        let fields = w
            .before
            .map(|a| a.fields())
            .unwrap_or([F::ZERO; LEAF_FIELDS]);
        for (t, v) in self.fields.iter().zip(fields) {
            pw.set_target(*t, v)?;
        }
        pw.set_bool_target(self.exists, w.before.is_some())?;
        set_path(pw, &self.siblings, &w.path)
    }
}

/// Sets Merkle siblings.
pub fn set_path(
    pw: &mut PartialWitness<F>,
    siblings: &[HashOutTarget],
    path: &MerkleProof,
) -> anyhow::Result<()> {
    for (t, v) in siblings.iter().zip(&path.siblings) {
        pw.set_hash_target(*t, *v)?;
    }
    Ok(())
}

/// [`crate::l2::smt::sponge`] in the circuit: a Poseidon sponge in overwrite mode with
/// `domain` in the first capacity word, one permutation per eight inputs.
pub fn sponge<const N: usize>(b: &mut Builder, domain: u64, inputs: &[Target]) -> [Target; N] {
    let zero = b.zero();
    let mut perm = PoseidonPermutation::new(std::iter::repeat(zero));
    let domain = b.constant(felt(domain));
    perm.set_elt(domain, PoseidonPermutation::<Target>::RATE);
    for chunk in inputs.chunks(PoseidonPermutation::<Target>::RATE) {
        perm.set_from_slice(chunk, 0);
        perm = b.permute::<PoseidonHash>(perm);
    }
    std::array::from_fn(|i| perm.squeeze()[i])
}

/// The leaf hash of `fields` ([`crate::l2::smt::leaf_hash`]): one permutation with
/// the leaf domain and the key digest in the capacity.
pub fn leaf_hash(b: &mut Builder, fields: &[Target; LEAF_FIELDS]) -> HashOutTarget {
    let zero = b.zero();
    let domain = b.constant(felt(LEAF_DOMAIN));
    let mut perm = PoseidonPermutation::new(std::iter::repeat(zero));
    perm.set_from_slice(&fields[..8], 0);
    perm.set_elt(domain, NUM_HASH_OUT_ELTS * 2);
    perm.set_from_slice(&fields[8..], NUM_HASH_OUT_ELTS * 2 + 1);
    let out = b.permute::<PoseidonHash>(perm);
    HashOutTarget::from_vec(out.squeeze()[..NUM_HASH_OUT_ELTS].to_vec())
}

/// The digest of a leaf with `fields` that exists iff `exists` (else the zero digest).
pub fn leaf_digest(
    b: &mut Builder,
    fields: &[Target; LEAF_FIELDS],
    exists: BoolTarget,
) -> HashOutTarget {
    let h = leaf_hash(b, fields);
    let elements = h.elements.map(|e| b.mul(exists.target, e));
    HashOutTarget { elements }
}

/// Range-checks `x < 2^62`.
pub fn assert_value(b: &mut Builder, x: Target) {
    b.range_check(x, VALUE_BITS);
}

/// Constrains `bit == (x >= y)`. Precondition, which the caller enforces in the
/// circuit: `x, y < 2^62` (see the module doc for why 62 and not 63).
pub fn assert_geq_bit(b: &mut Builder, x: Target, y: Target, bit: BoolTarget) {
    let diff = b.sub(x, y);
    let neg = b.neg(diff);
    let neg_minus_one = b.add_const(neg, -F::ONE);
    let d = b.select(bit, diff, neg_minus_one);
    b.range_check(d, VALUE_BITS);
}

/// A sum of up to three values below 2^62 (so below 3 * 2^62 < p: it does not wrap),
/// split as `sum = low + 2^62 * carry` with `low < 2^62` and `carry` in {0, 1, 2}.
/// Returns `low` and whether the sum fits 62 bits (`carry == 0`). The split is unique:
/// carry = 3 is excluded, so `low + 2^62 * carry` stays below p.
pub fn split_sum(b: &mut Builder, sum: Target) -> (Target, BoolTarget) {
    let (low, carry) = b.split_low_high(sum, VALUE_BITS, 64);
    let bits = b.split_le(carry, 2);
    let both = b.and(bits[0], bits[1]);
    b.assert_zero(both.target);
    let either = b.add(bits[0].target, bits[1].target);
    let one = b.one();
    let fits = BoolTarget::new_unsafe(b.sub(one, either));
    (low, fits)
}

/// Limbs of `x < 2^62`, range-checked, tied to `x`.
#[derive(Clone, Copy, Debug)]
pub struct Limbs(pub [Target; LIMBS]);

impl Limbs {
    /// Allocates limbs and constrains them to recompose `x` (which proves `x < 2^62`).
    pub fn of(b: &mut Builder, x: Target) -> Self {
        let limbs: [Target; LIMBS] = std::array::from_fn(|_| b.add_virtual_target());
        let mut acc = b.zero();
        for (i, &l) in limbs.iter().enumerate() {
            let bits = if i + 1 == LIMBS {
                62 - LIMB_BITS * i
            } else {
                LIMB_BITS
            };
            b.range_check(l, bits);
            acc = b.mul_const_add(felt(1 << (LIMB_BITS * i)), l, acc);
        }
        b.connect(acc, x);
        Self(limbs)
    }

    /// Sets the limbs of `v`.
    pub fn set(&self, pw: &mut PartialWitness<F>, v: u64) -> anyhow::Result<()> {
        for (i, t) in self.0.iter().enumerate() {
            pw.set_target(*t, felt((v >> (LIMB_BITS * i)) & ((1 << LIMB_BITS) - 1)))?;
        }
        Ok(())
    }
}

fn limbs_native(v: u64) -> [i128; LIMBS] {
    std::array::from_fn(|i| ((v >> (LIMB_BITS * i)) & ((1 << LIMB_BITS) - 1)) as i128)
}

/// Carries of the wide identity `q * d + r == x * y` (all below 2^62).
#[derive(Clone, Debug)]
pub struct WideEq {
    carries: [Target; COLUMNS - 1],
}

impl WideEq {
    /// Constrains `q * d + r == x * y` over the integers.
    // `k` is the column number of the schoolbook product, not just an index.
    #[allow(clippy::needless_range_loop)]
    pub fn new(b: &mut Builder, q: Limbs, d: Limbs, r: Limbs, x: Limbs, y: Limbs) -> Self {
        let carries: [Target; COLUMNS - 1] = std::array::from_fn(|_| {
            let c = b.add_virtual_target();
            b.range_check(c, CARRY_BITS);
            c
        });
        let base = felt(1 << LIMB_BITS);
        let offset = felt(CARRY_OFFSET as u64);
        let mut carry_in = b.zero();
        for k in 0..COLUMNS {
            // column k of q*d + r - x*y, plus the carry in, minus B times the carry out.
            let mut col = if k < LIMBS { r.0[k] } else { b.zero() };
            for i in 0..LIMBS {
                if k >= i && k - i < LIMBS {
                    col = b.mul_add(q.0[i], d.0[k - i], col);
                    let p = b.mul(x.0[i], y.0[k - i]);
                    col = b.sub(col, p);
                }
            }
            col = b.add(col, carry_in);
            if k + 1 < COLUMNS {
                let c = b.add_const(carries[k], -offset);
                let shifted = b.mul_const(base, c);
                let rest = b.sub(col, shifted);
                b.assert_zero(rest);
                carry_in = c;
            } else {
                b.assert_zero(col);
            }
        }
        Self { carries }
    }

    /// Sets the carries for values `q, d, r, x, y` with `q*d + r == x*y`.
    pub fn set(&self, pw: &mut PartialWitness<F>, [q, d, r, x, y]: [u64; 5]) -> anyhow::Result<()> {
        let (q, d, r, x, y) = (
            limbs_native(q),
            limbs_native(d),
            limbs_native(r),
            limbs_native(x),
            limbs_native(y),
        );
        let mut carry = 0i128;
        for k in 0..COLUMNS - 1 {
            let mut col = if k < LIMBS { r[k] } else { 0 };
            for i in 0..LIMBS {
                if k >= i && k - i < LIMBS {
                    col += q[i] * d[k - i] - x[i] * y[k - i];
                }
            }
            col += carry;
            carry = col >> LIMB_BITS; // exact when the identity holds
            pw.set_target(self.carries[k], felt_signed(carry + CARRY_OFFSET))?;
        }
        Ok(())
    }
}

/// A signed integer as a field element.
fn felt_signed(v: i128) -> F {
    let m = v.unsigned_abs() % F::ORDER as u128;
    let f = F::from_canonical_u64(m as u64);
    if v < 0 {
        -f
    } else {
        f
    }
}
