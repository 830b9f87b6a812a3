//! The one-time signatures of L2 transactions, native against circuit: the circuit's
//! signature check ([`zkarena_harness::zk::wots`]) recovers the same key digest as the
//! native [`wots::recover`] on valid and invalid signatures (wrong key, wrong message,
//! a consumed one-time key, flipped elements), checked by real proofs of the check
//! alone for the labelled cases and by witness generation (the circuit's own
//! generators, no proving) for random ones; truncated signatures never decode.

use plonky2::field::types::{Field64, PrimeField64};
use plonky2::iop::generator::generate_partial_witness;
use plonky2::iop::target::Target;
use plonky2::iop::witness::{PartialWitness, Witness, WitnessWrite};
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::circuit_data::{CircuitConfig, CircuitData};
use zkarena_harness::l2::smt::{felt, F};
use zkarena_harness::l2::tx::{deterministic_key, l2_key, l2_seed, TX_WORDS};
use zkarena_harness::l2::wots::{self, KeyDigest, SIG_ELEMS};
use zkarena_harness::l2::{Action, Asset, Batch, CodecErrorKind, Fee, Format, L2Tx, UserTx};
use zkarena_harness::sim::SimRng;
use zkarena_harness::zk::{wots as gadget, C, D};

/// The signature check alone: a transaction's words and a signature in, the key
/// digest the signature verifies against out (public inputs).
struct CheckCircuit {
    data: CircuitData<F, C, D>,
    words: [Target; TX_WORDS],
    signature: [Target; SIG_ELEMS],
    key: [Target; 2],
}

impl CheckCircuit {
    fn build() -> Self {
        let mut b = CircuitBuilder::<F, D>::new(CircuitConfig::standard_recursion_config());
        let words = std::array::from_fn(|_| b.add_virtual_target());
        let signature = std::array::from_fn(|_| b.add_virtual_target());
        let key = gadget::transaction_key(&mut b, &words, &signature);
        b.register_public_inputs(&key);
        Self {
            data: b.build::<C>(),
            words,
            signature,
            key,
        }
    }

    fn witness(&self, tx: &UserTx) -> PartialWitness<F> {
        let mut pw = PartialWitness::new();
        for (t, v) in self.words.iter().zip(L2Tx::User(*tx).words()) {
            pw.set_target(*t, felt(v)).unwrap();
        }
        for (t, v) in self.signature.iter().zip(tx.signature.elements()) {
            pw.set_target(*t, felt(v)).unwrap();
        }
        pw
    }

    /// The key digest the circuit recovers, by witness generation only.
    fn recover_unproven(&self, tx: &UserTx) -> KeyDigest {
        let w =
            generate_partial_witness(self.witness(tx), &self.data.prover_only, &self.data.common)
                .unwrap();
        self.key.map(|t| w.get_target(t).to_canonical_u64())
    }

    /// The key digest a verified proof of the check exposes.
    fn recover_proven(&self, tx: &UserTx) -> KeyDigest {
        let proof = self.data.prove(self.witness(tx)).unwrap();
        self.data.verify(proof.clone()).unwrap();
        [0, 1].map(|i| proof.public_inputs[i].to_canonical_u64())
    }
}

fn native(tx: &UserTx) -> KeyDigest {
    wots::recover(&tx.signature, tx.message(), tx.from, tx.nonce)
}

fn transfer(to: u64, amount: u64) -> Action {
    Action::Transfer {
        to,
        asset: Asset::Eth,
        amount,
    }
}

const FEE: Fee = Fee { base: 10, tip: 5 };

#[test]
fn native_and_circuit_agree_on_labelled_valid_and_invalid_signatures() {
    let circuit = CheckCircuit::build();
    let alice = deterministic_key(3, "alice");
    let mallory = deterministic_key(3, "mallory");
    let valid = UserTx::sign(&alice, 1, 0, FEE, 0, transfer(2, 100));
    let mut wrong_message = valid;
    wrong_message.fee.tip += 1;
    let mut flipped = valid;
    flipped.signature.0[67][1] ^= 1 << 40;
    // Nonce 1 signed with the key of nonce 0, which nonce 0's transaction consumed.
    let mut reused = UserTx::sign(&alice, 1, 1, FEE, 0, transfer(2, 7));
    reused.signature = l2_seed(&alice).sign(reused.message(), 1, 0);
    let cases = [
        ("valid", valid, l2_key(&alice, 1, 0), true),
        (
            "wrong key",
            UserTx::sign(&mallory, 1, 0, FEE, 0, transfer(2, 100)),
            l2_key(&alice, 1, 0),
            false,
        ),
        ("wrong message", wrong_message, l2_key(&alice, 1, 0), false),
        ("flipped element", flipped, l2_key(&alice, 1, 0), false),
        ("consumed key", reused, l2_key(&alice, 1, 1), false),
    ];
    for (what, tx, account_key, valid) in cases {
        let circuit_key = circuit.recover_proven(&tx);
        assert_eq!(circuit_key, native(&tx), "{what}: circuit and native");
        assert_eq!(circuit_key == account_key, valid, "{what}: validity");
        assert_eq!(
            tx.authorized_by(account_key),
            valid,
            "{what}: native validity"
        );
    }
}

#[test]
fn native_and_circuit_agree_on_200_random_signatures() {
    let circuit = CheckCircuit::build();
    let mut rng = SimRng::stream(11, "signatures");
    let keys: Vec<_> = (0..4)
        .map(|i| deterministic_key(5, &format!("k{i}")))
        .collect();
    let (mut valid, mut invalid) = (0, 0);
    for case in 0..200 {
        let signer = &keys[rng.below(4) as usize];
        let owner = if rng.chance(0.5) {
            signer
        } else {
            &keys[rng.below(4) as usize]
        };
        let account = rng.below(1 << 20);
        let nonce = rng.below(1 << 40);
        let mut tx = UserTx::sign(
            signer,
            account,
            nonce,
            Fee {
                base: rng.below(1 << 62),
                tip: rng.below(1 << 62),
            },
            rng.below(4),
            transfer(rng.below(1 << 32), rng.below(1 << 62)),
        );
        match rng.below(4) {
            0 => {
                tx.signature.0[rng.below(68) as usize][rng.below(2) as usize] = rng.below(F::ORDER)
            }
            1 => tx.next_key[rng.below(2) as usize] ^= 1,
            _ => {}
        }
        let key = l2_key(owner, account, nonce);
        let circuit_key = circuit.recover_unproven(&tx);
        assert_eq!(circuit_key, native(&tx), "case {case}");
        if circuit_key == key {
            valid += 1;
        } else {
            invalid += 1;
        }
    }
    assert!(
        valid > 30 && invalid > 30,
        "{valid} valid, {invalid} invalid"
    );
}

#[test]
fn a_truncated_or_non_canonical_signature_never_decodes() {
    let alice = deterministic_key(3, "alice");
    let tx = L2Tx::User(UserTx::sign(&alice, 1, 0, FEE, 0, transfer(2, 100)));
    let b = Batch {
        sequencer: 1,
        l1_block: 1,
        fee_account: 1,
        txs: vec![tx],
    };
    for format in [Format::Plain, Format::Compact] {
        let bytes = b.encode(format);
        let cut = &bytes[..bytes.len() - 1];
        let err = Batch::decode(cut).unwrap_err();
        assert_eq!(
            err.kind,
            CodecErrorKind::Truncated {
                field: "signature",
                needed: 1
            }
        );
        // The last element set to the modulus: refused where it starts.
        let mut bad = bytes.clone();
        let at = bad.len() - 8;
        bad[at..].copy_from_slice(&F::ORDER.to_be_bytes());
        let err = Batch::decode(&bad).unwrap_err();
        assert_eq!(err.offset, at);
        assert!(matches!(
            err.kind,
            CodecErrorKind::OutOfRange {
                field: "signature element",
                ..
            }
        ));
    }
}
