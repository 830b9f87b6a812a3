//! The batch circuit: proves `old_root -> new_root` for one batch of up to `slots`
//! transactions (shorter batches are padded with no-ops) over an account tree of
//! `depth`. Per slot it checks the sender's and the receiver's Merkle paths and
//! updates, the nonce, the balances, the chain-id rule, the swap arithmetic with its fee
//! and bound, and it skips exactly the transactions the native executor skips. Every
//! value it stores or compares is range-checked below 2^62 (see [`super::gadgets`]); a
//! deposit it cannot place is refunded through the withdrawal accumulator; a fee
//! account outside the tree burns the batch's fees. The public inputs end with the
//! proof's binding (the rollup and the prover it was made for) and, for a batch proof,
//! the sequencer. Each user transaction's one-time signature is verified in the
//! circuit against the sender's key ([`super::wots`]) and bound by the batch
//! commitment, so no prover can apply an unsigned transaction or skip a signed one.

use anyhow::Context as _;
use plonky2::field::types::Field;
use plonky2::hash::hash_types::HashOutTarget;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::target::{BoolTarget, Target};
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_data::{CircuitConfig, CircuitData};
use plonky2::plonk::proof::ProofWithPublicInputs;

use crate::l2::smt::{felt, Digest, F};
use crate::l2::state::{BatchTrace, SlotTrace};
use crate::l2::tx::{kind, word, SWAP_FEE_NUM, SWAP_FEE_SHIFT, TX_WORDS};
use crate::l2::wots::SIG_ELEMS;

use super::gadgets::{
    assert_geq_bit, assert_value, leaf_digest, merkle_root, split_sum, Builder, LeafTargets, Limbs,
    WideEq, VALUE_BITS,
};
use super::{wots, C, D};

/// Bits of an account index in the circuit (indices are 32-bit in the codec).
const INDEX_BITS: usize = 32;
/// Position of the key digest among a leaf's fields.
const KEY: usize = 8;

struct SlotTargets {
    words: [Target; TX_WORDS],
    signature: [Target; SIG_ELEMS],
    /// transfer, swap, withdraw, deposit
    kinds: [BoolTarget; 4],
    a: LeafTargets,
    b: LeafTargets,
    /// Whether the ETH balance is at least the low 62 bits of the ETH debit (the debit
    /// is covered iff this holds and the debit fits 62 bits).
    ge_eth: BoolTarget,
    funds_token: BoolTarget,
    bound_ok: BoolTarget,
    out: Target,
    rem: Target,
    /// in_eff, r_out, out, den_eff, rem
    limbs: [Limbs; 5],
    wide: WideEq,
}

struct Targets {
    header: [Target; 3],
    reserves_before: [Target; 2],
    deposits_before: Target,
    accounts_root_before: HashOutTarget,
    batch_in: HashOutTarget,
    withdrawals_in: HashOutTarget,
    binding: HashOutTarget,
    slots: Vec<SlotTargets>,
    fee_leaf: LeafTargets,
}

/// A built batch circuit of one shape.
pub struct BatchCircuit {
    depth: usize,
    slots: usize,
    /// Gates before padding to a power of two.
    gates: usize,
    data: CircuitData<F, C, D>,
    targets: Targets,
    rows_per_slot: usize,
}

fn select_hash(
    b: &mut Builder,
    bit: BoolTarget,
    x: HashOutTarget,
    y: HashOutTarget,
) -> HashOutTarget {
    HashOutTarget {
        elements: std::array::from_fn(|i| b.select(bit, x.elements[i], y.elements[i])),
    }
}

fn hash(b: &mut Builder, parts: &[&[Target]]) -> HashOutTarget {
    b.hash_n_to_hash_no_pad::<PoseidonHash>(parts.concat())
}

fn all(b: &mut Builder, bits: &[BoolTarget]) -> BoolTarget {
    let mut acc = bits[0];
    for &x in &bits[1..] {
        acc = b.and(acc, x);
    }
    acc
}

/// `index` split into bits, and whether the bits above `depth` are all zero.
fn index_bits(b: &mut Builder, index: Target, depth: usize) -> (Vec<BoolTarget>, BoolTarget) {
    let bits = b.split_le(index, INDEX_BITS);
    let high = b.add_many(bits[depth..].iter().map(|x| x.target));
    let zero = b.zero();
    let ok = b.is_equal(high, zero);
    (bits[..depth].to_vec(), ok)
}

impl BatchCircuit {
    /// Builds the circuit for batches of up to `slots` transactions over a tree of `depth`.
    pub fn build(depth: usize, slots: usize) -> Self {
        let mut b = Builder::new(CircuitConfig::standard_recursion_config());
        let header: [Target; 3] = std::array::from_fn(|_| b.add_virtual_target());
        let reserves_before: [Target; 2] = std::array::from_fn(|_| b.add_virtual_target());
        let deposits_before = b.add_virtual_target();
        let accounts_root_before = b.add_virtual_hash();
        let batch_in = b.add_virtual_hash();
        let withdrawals_in = b.add_virtual_hash();
        let old_root = hash(
            &mut b,
            &[
                &accounts_root_before.elements,
                &reserves_before,
                &[deposits_before],
            ],
        );
        let sequencer = header[0];
        let zero = b.zero();
        let one = b.one();
        let mut h = hash(&mut b, &[&batch_in.elements, &header]);
        let mut w = withdrawals_in;
        let mut root = accounts_root_before;
        let mut reserves = reserves_before;
        let mut deposits = deposits_before;
        let mut fees = zero;
        let mut slot_targets = Vec::with_capacity(slots);
        let gates_before_slots = b.num_gates();
        for _ in 0..slots {
            let words: [Target; TX_WORDS] = std::array::from_fn(|_| b.add_virtual_target());
            let signature: [Target; SIG_ELEMS] = std::array::from_fn(|_| b.add_virtual_target());
            let kinds: [BoolTarget; 4] = std::array::from_fn(|_| b.add_virtual_bool_target_safe());
            let [is_transfer, is_swap, is_withdraw, is_deposit] = kinds;
            // kind == 1*transfer + 2*swap + 3*withdraw + 4*deposit, at most one set.
            let mut k = zero;
            let mut any = zero;
            for (i, bit) in kinds.iter().enumerate() {
                k = b.mul_const_add(felt(i as u64 + 1), bit.target, k);
                any = b.add(any, bit.target);
            }
            b.connect(k, words[word::KIND]);
            let any = BoolTarget::new_unsafe(any);
            b.assert_bool(any);
            let is_noop = b.not(any);
            let is_user = b.add_many([is_transfer.target, is_swap.target, is_withdraw.target]);
            let is_user = BoolTarget::new_unsafe(is_user);

            // Batch commitment, signatures included: no-ops are not part of it.
            let next_h = hash(&mut b, &[&h.elements, &words, &signature]);
            h = select_hash(&mut b, is_noop, h, next_h);

            let (a_bits, a_index_ok) = index_bits(&mut b, words[word::FROM], depth);
            let (b_bits, b_index_ok) = index_bits(&mut b, words[word::TO], depth);
            let a = LeafTargets::new(&mut b, depth);
            let a_old = leaf_digest(&mut b, &a.fields, a.exists);
            let r = merkle_root(&mut b, a_old, &a_bits, &a.siblings);
            b.connect_hashes(r, root);

            let asset = BoolTarget::new_unsafe(words[word::ASSET]);
            b.assert_bool(asset);
            let amount = words[word::AMOUNT];
            // Every operand below 2^62 (the amount through its split below).
            for w in [word::NONCE, word::FEE_BASE, word::FEE_TIP, word::MIN_OUT] {
                assert_value(&mut b, words[w]);
            }
            assert_value(&mut b, a.fields[5]);
            assert_value(&mut b, a.fields[6]);
            let fee = b.add(words[word::FEE_BASE], words[word::FEE_TIP]);
            let chain_id = words[word::CHAIN_ID];
            let chain_any = b.is_equal(chain_id, zero);
            let chain_this = b.is_equal(chain_id, sequencer);
            let chain_ok = b.or(chain_any, chain_this);
            let nonce_ok = b.is_equal(words[word::NONCE], a.fields[7]);
            let debit_token = b.mul(asset.target, amount);
            let fee_plus_amount = b.add(fee, amount);
            // Below 3 * 2^62: covered only if it fits 62 bits and the balance reaches it.
            let debit_eth = b.sub(fee_plus_amount, debit_token);
            let (debit_eth_low, debit_eth_fits) = split_sum(&mut b, debit_eth);
            let ge_eth = b.add_virtual_bool_target_safe();
            assert_geq_bit(&mut b, a.fields[5], debit_eth_low, ge_eth);
            let funds_eth = b.and(debit_eth_fits, ge_eth);
            let funds_token = b.add_virtual_bool_target_safe();
            assert_geq_bit(&mut b, a.fields[6], debit_token, funds_token);
            let funded = b.and(funds_eth, funds_token);

            // Swap: out = floor(in_net * r_out / (r_in + in_net)), proven as
            // out * den + rem == in_net * r_out with rem < den, on limbs. Only a funded
            // swap is quoted: its input is then at most a balance, so r_in + in_net
            // stays below the supply bound 2^62 that the limbs require.
            let r_in = b.select(asset, reserves[1], reserves[0]);
            let r_out = b.select(asset, reserves[0], reserves[1]);
            let (_, blocks) = b.split_low_high(amount, SWAP_FEE_SHIFT as usize, VALUE_BITS);
            let swap_fee = b.mul_const(felt(SWAP_FEE_NUM), blocks);
            let in_net = b.sub(amount, swap_fee);
            let quoted = b.and(is_swap, funded);
            let in_eff = b.mul(quoted.target, in_net);
            let den = b.add(r_in, in_net);
            let den_minus_one = b.add_const(den, -F::ONE);
            let den_eff = b.mul_add(quoted.target, den_minus_one, one);
            let out = b.add_virtual_target();
            let rem = b.add_virtual_target();
            let limbs = [
                Limbs::of(&mut b, in_eff),
                Limbs::of(&mut b, r_out),
                Limbs::of(&mut b, out),
                Limbs::of(&mut b, den_eff),
                Limbs::of(&mut b, rem),
            ];
            let wide = WideEq::new(&mut b, limbs[2], limbs[3], limbs[4], limbs[0], limbs[1]);
            let slack = b.sub(den_eff, rem);
            let slack = b.add_const(slack, -F::ONE);
            b.range_check(slack, 62);
            let bound_ok = b.add_virtual_bool_target_safe();
            assert_geq_bit(&mut b, out, words[word::MIN_OUT], bound_ok);

            // The signature, against the sender's current key.
            let key = wots::transaction_key(&mut b, &words, &signature);
            let key_eq = [
                b.is_equal(key[0], a.fields[KEY]),
                b.is_equal(key[1], a.fields[KEY + 1]),
            ];
            let sig_ok = all(&mut b, &key_eq);
            let bl = LeafTargets::new(&mut b, depth);
            let not_transfer = b.not(is_transfer);
            let receiver_ok = all(&mut b, &[b_index_ok, bl.exists]);
            let transfer_ok = b.or(not_transfer, receiver_ok);
            let not_swap = b.not(is_swap);
            let swap_ok = b.or(not_swap, bound_ok);
            // Authorized: the nonce advances and the key rotates, applied or not.
            let authorized = all(
                &mut b,
                &[is_user, a_index_ok, a.exists, sig_ok, chain_ok, nonce_ok],
            );
            let ok_user = all(
                &mut b,
                &[authorized, funds_eth, funds_token, transfer_ok, swap_ok],
            );
            let mut owner_eq = Vec::with_capacity(5);
            for i in 0..5 {
                owner_eq.push(b.is_equal(a.fields[i], words[word::OWNER + i]));
            }
            let owner_eq = all(&mut b, &owner_eq);
            let vacant = b.not(a.exists);
            // An empty account opens only with a key (a zero key digest has no
            // preimage: the account could never be spent from).
            let no_key = [
                b.is_equal(words[word::KEY], zero),
                b.is_equal(words[word::KEY + 1], zero),
            ];
            let no_key = all(&mut b, &no_key);
            let has_key = b.not(no_key);
            let opens = b.and(vacant, has_key);
            let tops_up = b.and(a.exists, owner_eq);
            let owner_ok = b.or(opens, tops_up);
            let ok_dep = all(&mut b, &[is_deposit, a_index_ok, owner_ok]);
            // Deposits are consumed in queue order, applied or skipped.
            let gap = b.sub(words[word::DEPOSIT_INDEX], deposits);
            let gap = b.mul(is_deposit.target, gap);
            b.assert_zero(gap);
            deposits = b.add(deposits, is_deposit.target);

            // The sender / deposit account after.
            let new_exists = b.or(a.exists, ok_dep);
            let create = b.and(ok_dep, vacant);
            let mut a_new = a.fields;
            for i in 0..5 {
                a_new[i] = b.mul_add(create.target, words[word::OWNER + i], a.fields[i]);
            }
            let swap_out = b.mul(is_swap.target, out);
            let out_to_eth = b.mul(asset.target, swap_out);
            let out_to_token = b.sub(swap_out, out_to_eth);
            let dep_amount = b.mul(is_deposit.target, amount);
            let dep_token = b.mul(asset.target, dep_amount);
            let dep_eth = b.sub(dep_amount, dep_token);
            for (field, debit, out_credit, dep_credit) in [
                (5, debit_eth, out_to_eth, dep_eth),
                (6, debit_token, out_to_token, dep_token),
            ] {
                let user_delta = b.sub(out_credit, debit);
                let v = b.mul_add(ok_user.target, user_delta, a.fields[field]);
                a_new[field] = b.mul_add(ok_dep.target, dep_credit, v);
                assert_value(&mut b, a_new[field]);
            }
            a_new[7] = b.add(a.fields[7], authorized.target);
            assert_value(&mut b, a_new[7]);
            // The key: the deposit's when it opens the account (its fields are zero
            // then), the transaction's next key once authorized (exclusive cases).
            let rotate = BoolTarget::new_unsafe(b.add(authorized.target, create.target));
            for i in KEY..KEY + 2 {
                a_new[i] = b.select(rotate, words[word::KEY + i - KEY], a.fields[i]);
            }
            let a_digest = leaf_digest(&mut b, &a_new, new_exists);
            let mid = merkle_root(&mut b, a_digest, &a_bits, &a.siblings);

            // The receiver after (a transfer's credit), against the root after the sender.
            let b_old = leaf_digest(&mut b, &bl.fields, bl.exists);
            let r = merkle_root(&mut b, b_old, &b_bits, &bl.siblings);
            b.connect_hashes(r, mid);
            let ok_transfer = b.and(ok_user, is_transfer);
            let credit = b.mul(ok_transfer.target, amount);
            let credit_token = b.mul(asset.target, credit);
            let credit_eth = b.sub(credit, credit_token);
            let mut b_new = bl.fields;
            b_new[5] = b.add(bl.fields[5], credit_eth);
            b_new[6] = b.add(bl.fields[6], credit_token);
            assert_value(&mut b, b_new[5]);
            assert_value(&mut b, b_new[6]);
            let b_digest = leaf_digest(&mut b, &b_new, bl.exists);
            root = merkle_root(&mut b, b_digest, &b_bits, &bl.siblings);

            // Pool.
            let ok_swap = b.and(ok_user, is_swap);
            let r_in_new = b.mul_add(ok_swap.target, amount, r_in);
            let paid = b.mul(ok_swap.target, out);
            let r_out_new = b.sub(r_out, paid);
            reserves = [
                b.select(asset, r_out_new, r_in_new),
                b.select(asset, r_in_new, r_out_new),
            ];
            assert_value(&mut b, r_in_new);
            assert_value(&mut b, r_out_new);

            // Withdrawals, and refunds of deposits that could not be placed (to the
            // deposit's owner, same asset and amount).
            let ok_withdraw = b.and(ok_user, is_withdraw);
            let not_placed = b.not(ok_dep);
            let refund = b.and(is_deposit, not_placed);
            let pays = BoolTarget::new_unsafe(b.add(ok_withdraw.target, refund.target));
            let payee: [Target; 5] =
                std::array::from_fn(|i| b.select(is_deposit, words[word::OWNER + i], a.fields[i]));
            let packed = b.mul_const_add(felt(1 << 62), asset.target, amount);
            let next_w = hash(&mut b, &[&w.elements, &payee, &[packed]]);
            w = select_hash(&mut b, pays, next_w, w);

            fees = b.mul_add(ok_user.target, fee, fees);
            assert_value(&mut b, fees);
            slot_targets.push(SlotTargets {
                words,
                signature,
                kinds,
                a,
                b: bl,
                ge_eth,
                funds_token,
                bound_ok,
                out,
                rem,
                limbs,
                wide,
            });
        }
        let rows_per_slot = (b.num_gates() - gates_before_slots) / slots.max(1);

        // The batch's fees to its fee account (opened if empty), or burnt if the fee
        // account is outside the tree (the leaf at its truncated index is untouched).
        let (fee_bits, fee_in_tree) = index_bits(&mut b, header[2], depth);
        let fee_leaf = LeafTargets::new(&mut b, depth);
        let f_old = leaf_digest(&mut b, &fee_leaf.fields, fee_leaf.exists);
        let r = merkle_root(&mut b, f_old, &fee_bits, &fee_leaf.siblings);
        b.connect_hashes(r, root);
        let mut f_new = fee_leaf.fields;
        f_new[5] = b.mul_add(fee_in_tree.target, fees, f_new[5]);
        assert_value(&mut b, f_new[5]);
        let f_exists = b.or(fee_leaf.exists, fee_in_tree);
        let f_digest = leaf_digest(&mut b, &f_new, f_exists);
        let accounts_root = merkle_root(&mut b, f_digest, &fee_bits, &fee_leaf.siblings);
        let new_root = hash(&mut b, &[&accounts_root.elements, &reserves, &[deposits]]);

        // The binding (rollup and prover) is a free public input: the proof is valid
        // for the value it was made with and no other.
        let binding = b.add_virtual_hash();
        for d in [old_root, new_root, batch_in, h, withdrawals_in, w, binding] {
            b.register_public_inputs(&d.elements);
        }
        b.register_public_input(sequencer);

        let gates = b.num_gates();
        let data = b.build::<C>();
        Self {
            depth,
            slots,
            gates,
            data,
            targets: Targets {
                header,
                reserves_before,
                deposits_before,
                accounts_root_before,
                batch_in,
                withdrawals_in,
                binding,
                slots: slot_targets,
                fee_leaf,
            },
            rows_per_slot,
        }
    }

    /// Tree depth.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Slots.
    pub fn slots(&self) -> usize {
        self.slots
    }

    /// The plonky2 circuit.
    pub fn data(&self) -> &CircuitData<F, C, D> {
        &self.data
    }

    /// Gates (rows) one transaction slot adds.
    pub fn rows_per_slot(&self) -> usize {
        self.rows_per_slot
    }

    /// Gates before padding (the rows used).
    pub fn gates(&self) -> usize {
        self.gates
    }

    /// Total rows (a power of two).
    pub fn rows(&self) -> usize {
        1 << self.data.common.degree_bits()
    }

    /// Proves the batch whose execution `trace` records, continuing the accumulators
    /// `batch_in` and `withdrawals_in`, for `binding` (see
    /// [`super::public::proof_binding`]). Fails if the trace does not satisfy the
    /// circuit.
    pub fn prove(
        &self,
        trace: &BatchTrace,
        batch_in: Digest,
        withdrawals_in: Digest,
        binding: Digest,
    ) -> anyhow::Result<ProofWithPublicInputs<F, C, D>> {
        anyhow::ensure!(
            trace.slots.len() <= self.slots,
            "a batch of {} transactions does not fit {} slots",
            trace.slots.len(),
            self.slots
        );
        let mut pw = PartialWitness::new();
        self.fill(&mut pw, trace, batch_in, withdrawals_in)?;
        pw.set_hash_target(self.targets.binding, binding)?;
        // plonky2's witness generation panics on some contradictions instead of
        // returning an error; a bad witness is an error here, never a crash.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.data.prove(pw)))
            .map_err(|_| anyhow::anyhow!("the witness contradicts the circuit"))?
            .context("proving the batch")
    }

    fn fill(
        &self,
        pw: &mut PartialWitness<F>,
        trace: &BatchTrace,
        batch_in: Digest,
        withdrawals_in: Digest,
    ) -> anyhow::Result<()> {
        let t = &self.targets;
        for (x, v) in t.header.iter().zip(trace.header) {
            pw.set_target(*x, felt(v))?;
        }
        for (x, v) in t.reserves_before.iter().zip(trace.reserves_before) {
            pw.set_target(*x, felt(v))?;
        }
        pw.set_target(t.deposits_before, felt(trace.deposits_before))?;
        pw.set_hash_target(t.accounts_root_before, trace.accounts_root_before)?;
        pw.set_hash_target(t.batch_in, batch_in)?;
        pw.set_hash_target(t.withdrawals_in, withdrawals_in)?;
        for (i, st) in t.slots.iter().enumerate() {
            let slot = trace.slots.get(i).unwrap_or(&trace.padding);
            Self::fill_slot(pw, st, slot)?;
        }
        t.fee_leaf.set(pw, &trace.fee_leaf)
    }

    fn fill_slot(
        pw: &mut PartialWitness<F>,
        st: &SlotTargets,
        s: &SlotTrace,
    ) -> anyhow::Result<()> {
        for (x, v) in st.words.iter().zip(s.words) {
            pw.set_target(*x, felt(v))?;
        }
        let k = s.words[word::KIND];
        for (i, bit) in st.kinds.iter().enumerate() {
            pw.set_bool_target(*bit, k == i as u64 + 1)?;
        }
        for (x, v) in st.signature.iter().zip(s.signature.elements()) {
            pw.set_target(*x, felt(v))?;
        }
        st.a.set(pw, &s.a)?;
        st.b.set(pw, &s.b)?;
        // The ETH comparison is against the debit's low 62 bits; when the debit does
        // not fit, the comparison's honest answer is that of the low bits (and the
        // debit is not covered whatever it says).
        let debit_eth = SlotTrace::debits(&s.words)[0];
        let ge_eth = if debit_eth >> VALUE_BITS == 0 {
            s.funds_eth
        } else {
            let low = (debit_eth & ((1 << VALUE_BITS) - 1)) as u64;
            s.a.before.unwrap_or_default().balances[0] >= low
        };
        pw.set_bool_target(st.ge_eth, ge_eth)?;
        pw.set_bool_target(st.funds_token, s.funds_token)?;
        pw.set_bool_target(st.bound_ok, s.bound_ok)?;
        pw.set_target(st.out, felt(s.swap.out))?;
        pw.set_target(st.rem, felt(s.swap.rem))?;
        let asset = (s.words[word::ASSET] & 1) as usize;
        let (r_in, r_out) = (s.reserves[asset], s.reserves[1 - asset]);
        let amount = s.words[word::AMOUNT];
        let (in_eff, den_eff) = if k == kind::SWAP && s.funded() {
            let in_net = amount - SWAP_FEE_NUM * (amount >> SWAP_FEE_SHIFT);
            (in_net, r_in.saturating_add(in_net))
        } else {
            (0, 1)
        };
        let values = [in_eff, r_out, s.swap.out, den_eff, s.swap.rem];
        for (l, v) in st.limbs.iter().zip(values) {
            l.set(pw, v)?;
        }
        st.wide
            .set(pw, [s.swap.out, den_eff, s.swap.rem, in_eff, r_out])
    }
}
