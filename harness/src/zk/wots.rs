//! The one-time signature check of [`crate::l2::wots`] in the circuit: the message
//! digest of a transaction's words, its 68 base-4 digits (from the canonical bits of
//! the digest, so no prover can pick another decomposition), the 68 chains run to
//! their tips, and the key digest they hash to. Every chain runs all three steps and
//! keeps the ones its digit calls for, so a signature costs the same rows whatever it
//! signs: 204 chain permutations, 18 for the key digest and 3 for the message.

use plonky2::iop::target::{BoolTarget, Target};
use plonky2::plonk::circuit_data::CircuitConfig;

use crate::l2::smt::felt;
use crate::l2::tx::{word, TX_WORDS};
use crate::l2::wots::{
    domain, position, CHAINS, CHECKSUM_DIGITS, ELEMS, MSG_DIGITS, SIG_ELEMS, STEPS,
};

use super::gadgets::{sponge, Builder};

/// Poseidon permutations one signature check needs, its lower bound in rows (one
/// permutation per row): every chain step (a fixed-shape circuit runs the worst case,
/// 3 per chain), the key digest over the 68 tips and the message digest over the
/// transaction's words.
pub const CHECK_PERMUTATIONS: usize =
    CHAINS * STEPS + (2 + SIG_ELEMS).div_ceil(8) + TX_WORDS.div_ceil(8);

/// Rows the signature check takes in a slot ([`message_digest`] and [`recover`]),
/// counted on a builder of the batch circuit's configuration.
pub fn check_rows() -> usize {
    let mut b = Builder::new(CircuitConfig::standard_recursion_config());
    let words: Vec<Target> = (0..TX_WORDS).map(|_| b.add_virtual_target()).collect();
    let signature: [Target; SIG_ELEMS] = std::array::from_fn(|_| b.add_virtual_target());
    let before = b.num_gates();
    transaction_key(&mut b, &words, &signature);
    b.num_gates() - before
}

/// The key digest a transaction's signature verifies against: [`recover`] over the
/// [`message_digest`] of its words, for its sender at its nonce.
pub fn transaction_key(
    b: &mut Builder,
    words: &[Target],
    signature: &[Target; SIG_ELEMS],
) -> [Target; ELEMS] {
    let message = message_digest(b, words);
    recover(b, signature, message, words[word::FROM], words[word::NONCE])
}

/// The 64 bits of `x` as the canonical representative below the modulus: the split
/// `x = lo + 2^32 hi` is canonical unless `hi = 2^32 - 1` and `lo > 0`, which is refused
/// (otherwise a value below 2^32 - 1 would also split as `x + p`).
pub fn canonical_bits(b: &mut Builder, x: Target) -> Vec<BoolTarget> {
    let bits = b.split_le(x, 64);
    let lo = b.le_sum(bits[..32].iter());
    let hi = b.le_sum(bits[32..].iter());
    let all_ones = b.constant(felt(u32::MAX as u64));
    let top = b.is_equal(hi, all_ones);
    let alias = b.mul(top.target, lo);
    b.assert_zero(alias);
    bits
}

/// The message digest of a transaction's words ([`crate::l2::wots::message_digest`]).
pub fn message_digest(b: &mut Builder, words: &[Target]) -> [Target; ELEMS] {
    sponge(b, domain::MESSAGE, words)
}

/// The two bits (low, high) of each of the 68 digits of `message`: 64 from its bits,
/// 4 from the checksum `192 - sum(digits)`.
fn digit_bits(b: &mut Builder, message: [Target; ELEMS]) -> Vec<(BoolTarget, BoolTarget)> {
    let mut bits = canonical_bits(b, message[0]);
    bits.extend(canonical_bits(b, message[1]));
    let mut digits: Vec<(BoolTarget, BoolTarget)> = bits.chunks(2).map(|p| (p[0], p[1])).collect();
    debug_assert_eq!(digits.len(), MSG_DIGITS);
    let mut sum = b.zero();
    for &(lo, hi) in &digits {
        sum = b.add(sum, lo.target);
        sum = b.mul_const_add(felt(2), hi.target, sum);
    }
    let max = b.constant(felt((MSG_DIGITS * STEPS) as u64));
    let checksum = b.sub(max, sum);
    let check_bits = b.split_le(checksum, 2 * CHECKSUM_DIGITS);
    digits.extend(check_bits.chunks(2).map(|p| (p[0], p[1])));
    digits
}

/// Whether chain step `step` runs for a digit with bits `(lo, hi)`: steps from the
/// digit's value on (step 0 iff d = 0, step 1 iff d <= 1, step 2 iff d <= 2).
fn step_runs(b: &mut Builder, (lo, hi): (BoolTarget, BoolTarget), step: usize) -> BoolTarget {
    match step {
        0 => {
            let not_lo = b.not(lo);
            let not_hi = b.not(hi);
            b.and(not_lo, not_hi)
        }
        1 => b.not(hi),
        _ => {
            let both = b.and(lo, hi);
            b.not(both)
        }
    }
}

/// The key digest `signature` verifies against for `message`, from account `account`
/// at nonce `nonce` ([`crate::l2::wots::recover`]).
pub fn recover(
    b: &mut Builder,
    signature: &[Target; SIG_ELEMS],
    message: [Target; ELEMS],
    account: Target,
    nonce: Target,
) -> [Target; ELEMS] {
    let digits = digit_bits(b, message);
    let mut tips = vec![account, nonce];
    for (chain, &digit) in digits.iter().enumerate().take(CHAINS) {
        let mut value = [signature[ELEMS * chain], signature[ELEMS * chain + 1]];
        for step in 0..STEPS {
            let pos = b.constant(felt(position(chain, step)));
            let next: [Target; ELEMS] =
                sponge(b, domain::CHAIN, &[value[0], value[1], account, nonce, pos]);
            let runs = step_runs(b, digit, step);
            value = std::array::from_fn(|i| b.select(runs, next[i], value[i]));
        }
        tips.extend(value);
    }
    sponge(b, domain::PUBLIC, &tips)
}
