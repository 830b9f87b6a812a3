//! The gas schedule of the rollup's precompiles (`zk/precompile.rs`), pinned without
//! timing: the documented formulas, gas growing with the input as documented, and the
//! relation that makes them safe at any batch size — BATCH_COMMITMENT pays POSEIDON's
//! price for every permutation a batch of its bytes can need, up to the codec's bound.
//! The timing side (gas per microsecond against `ecrecover`) is `benches/precompiles.rs`.

use std::sync::Arc;

use alloy_primitives::{Address, Bytes, B256};
use alloy_sol_types::{SolCall, SolValue};
use zkarena::prelude::*;
use zkarena_harness::l1::tx::{blob_versioned_hash, BLOB_DATA_BYTES};
use zkarena_harness::l2::codec::MAX_BATCH_TXS;
#[path = "common/batches.rs"]
mod batches;
use batches::deposits;
use zkarena_harness::zk::precompile::{
    install, VerifierRegistry, BATCH_COMMITMENT, BATCH_COMMITMENT_BLOB, POSEIDON, ZK_BLOB_VERIFIER,
    ZK_VERIFIER,
};

/// The documented schedule (the table of `zk/precompile.rs`).
const VERIFY_BASE: u64 = 1_000_000;
const VERIFY_PER_BYTE: u64 = 8;
const BLOB_VERIFY_PER_BLOB: u64 = 50_000;
const POSEIDON_BASE: u64 = 60;
const PER_PERMUTATION: u64 = 300;
const COMMIT_BASE: u64 = 3_000;
const COMMIT_PER_BYTE: u64 = 4;
const COMMIT_PER_BLOB: u64 = 5_000;
/// The shortest record a batch can hold: a compact deposit (its 16-byte key digest
/// included).
const SHORTEST_RECORD: u64 = 41;
/// Permutations the commitment makes per transaction: 4 accumulator words, 18 words
/// and 136 signature elements, 8 per permutation.
const PERMUTATIONS_PER_TX: u64 = 20;

struct Precompiles {
    chain: Chain,
}

impl Precompiles {
    fn new() -> Self {
        let mut chain = Chain::new(ChainConfig::default());
        install(&mut chain, &VerifierRegistry::new(false)).unwrap();
        Self { chain }
    }

    fn get(&self, address: Address) -> Arc<dyn L1Precompile> {
        self.chain.precompile(&address).unwrap().clone()
    }

    fn gas(&self, address: Address, input: &[u8]) -> u64 {
        self.get(address).gas(input)
    }

    fn run(&self, address: Address, input: &[u8]) -> PrecompileAnswer {
        self.get(address).run(input)
    }

    /// Stores `data` as blobs and returns their versioned hashes.
    fn blobs(&self, data: &[u8]) -> Vec<B256> {
        let store = self.chain.blob_store();
        data.chunks(BLOB_DATA_BYTES)
            .map(|chunk| {
                let blob = Bytes::copy_from_slice(chunk);
                store.insert(&blob);
                blob_versioned_hash(&blob)
            })
            .collect()
    }
}

fn commit_input(batch: &[u8]) -> Vec<u8> {
    (
        B256::ZERO,
        Bytes::copy_from_slice(batch),
        Address::ZERO,
        0u64,
        B256::ZERO,
    )
        .abi_encode_params()
}

fn commit_blob_input(hashes: Vec<B256>) -> Vec<u8> {
    (B256::ZERO, hashes, Address::ZERO, 0u64, B256::ZERO).abi_encode_params()
}

/// Blob data carrying `batch`: `[length u32][batch]`.
fn blob_data(batch: &[u8]) -> Vec<u8> {
    let mut data = (batch.len() as u32).to_be_bytes().to_vec();
    data.extend_from_slice(batch);
    data
}

/// The permutations BATCH_COMMITMENT charges for `n` deposits in `bytes` of input: one
/// for the header and 20 per transaction the header claims, at most one per 41
/// bytes; a header claiming more than the codec's bound does not decode (none).
fn charged_records(n: usize, bytes: u64) -> u64 {
    let claimed = if n <= MAX_BATCH_TXS { n as u64 } else { 0 };
    claimed.min(bytes.div_ceil(SHORTEST_RECORD))
}

fn poseidon_input(words: usize) -> Vec<u8> {
    ((0..words as u64).collect::<Vec<u64>>(),).abi_encode_params()
}

#[test]
fn the_schedule_is_the_documented_formulas() {
    let p = Precompiles::new();
    // ZK_VERIFIER: constant + per input byte.
    for proof_len in [0usize, 1, 100_000, 133_000] {
        let input = (B256::ZERO, Bytes::from(vec![7u8; proof_len])).abi_encode_params();
        assert_eq!(
            p.gas(ZK_VERIFIER, &input),
            VERIFY_BASE + VERIFY_PER_BYTE * input.len() as u64
        );
    }
    // ZK_BLOB_VERIFIER: constant + per versioned hash.
    for blobs in [0usize, 1, 2, 6] {
        let input = (B256::ZERO, vec![B256::repeat_byte(1); blobs]).abi_encode_params();
        assert_eq!(
            p.gas(ZK_BLOB_VERIFIER, &input),
            VERIFY_BASE + BLOB_VERIFY_PER_BLOB * blobs as u64
        );
    }
    // POSEIDON: constant + per permutation of 8 input words (the ABI head included).
    for (words, permutations) in [(0, 1), (1, 1), (6, 1), (7, 2), (14, 2), (4096, 513)] {
        assert_eq!(
            p.gas(POSEIDON, &poseidon_input(words)),
            POSEIDON_BASE + PER_PERMUTATION * permutations,
            "{words} words"
        );
    }
    // BATCH_COMMITMENT: constant + per input byte + 1 + 20 permutations per claimed
    // transaction (at most one per 41 bytes).
    let commitment = |n: usize, bytes: u64| {
        COMMIT_BASE
            + COMMIT_PER_BYTE * bytes
            + PER_PERMUTATION * (1 + PERMUTATIONS_PER_TX * charged_records(n, bytes))
    };
    for n in [0, 1, 64, 65, 4096] {
        let input = commit_input(&deposits(n));
        assert_eq!(
            p.gas(BATCH_COMMITMENT, &input),
            commitment(n, input.len() as u64),
            "{n} deposits"
        );
    }
    // BATCH_COMMITMENT_BLOB: the same over the blob data, + per blob.
    for n in [0, 64, 4096, 6000] {
        let data = blob_data(&deposits(n));
        let hashes = p.blobs(&data);
        let blobs = hashes.len() as u64;
        assert_eq!(
            p.gas(BATCH_COMMITMENT_BLOB, &commit_blob_input(hashes)),
            commitment(n, data.len() as u64) + COMMIT_PER_BLOB * blobs,
            "{n} deposits"
        );
    }
}

#[test]
fn gas_grows_with_the_input() {
    let p = Precompiles::new();
    let nondecreasing = |name: &str, gas: Vec<u64>| {
        for w in gas.windows(2) {
            assert!(w[0] <= w[1], "{name}: {gas:?}");
        }
        assert!(gas.first() < gas.last(), "{name} grows: {gas:?}");
    };
    nondecreasing(
        "ZK_VERIFIER",
        (0..2_000)
            .step_by(97)
            .map(|n| {
                let input = (B256::ZERO, Bytes::from(vec![1u8; n])).abi_encode_params();
                p.gas(ZK_VERIFIER, &input)
            })
            .collect(),
    );
    nondecreasing(
        "ZK_BLOB_VERIFIER",
        (0..10)
            .map(|n| {
                let input = (B256::ZERO, vec![B256::ZERO; n]).abi_encode_params();
                p.gas(ZK_BLOB_VERIFIER, &input)
            })
            .collect(),
    );
    nondecreasing(
        "POSEIDON",
        (0..100)
            .map(|n| p.gas(POSEIDON, &poseidon_input(n)))
            .collect(),
    );
    // Up to the codec's bound (a longer batch does not decode and costs no hashing).
    nondecreasing(
        "BATCH_COMMITMENT",
        (0..=MAX_BATCH_TXS)
            .map(|n| p.gas(BATCH_COMMITMENT, &commit_input(&deposits(n))))
            .collect(),
    );
    nondecreasing(
        "BATCH_COMMITMENT_BLOB",
        (0..=MAX_BATCH_TXS)
            .map(|n| {
                let hashes = p.blobs(&blob_data(&deposits(n)));
                p.gas(BATCH_COMMITMENT_BLOB, &commit_blob_input(hashes))
            })
            .collect(),
    );
}

/// A batch of `n` deposits makes `1 + 3n` Poseidon permutations (the header, then 16
/// words and the 4-word accumulator per transaction): BATCH_COMMITMENT charges at least
/// POSEIDON's price for each, for every count up to the codec's bound (64), in calldata
/// or in blobs. A longer batch's header does not decode: it makes no permutation.
#[test]
fn commitment_pays_poseidon_for_every_permutation_at_any_batch_size() {
    let p = Precompiles::new();
    for n in [65, 100, 4_096] {
        let PrecompileAnswer::Return(out) = p.run(BATCH_COMMITMENT, &commit_input(&deposits(n)))
        else {
            panic!("{n}: a malformed batch commits as the no-op batch");
        };
        let ret =
            zkarena_harness::l1::contracts::bindings::IZkPrecompiles::commitBatchCall::abi_decode_returns(
                &out,
            )
            .unwrap();
        assert!(
            ret.malformed.starts_with("tx_count"),
            "{n}: {}",
            ret.malformed
        );
        assert_eq!(ret.txCount, 0);
    }
    for n in 0..=MAX_BATCH_TXS {
        let batch = deposits(n);
        // The shortest record: a compact deposit (with small fields) is 41 bytes.
        assert!(batch.len() as u64 >= 5 + SHORTEST_RECORD * n as u64, "{n}");
        let permutations = 1 + PERMUTATIONS_PER_TX * n as u64;
        let poseidon = PER_PERMUTATION * permutations;
        let calldata = p.gas(BATCH_COMMITMENT, &commit_input(&batch));
        assert!(
            calldata >= COMMIT_BASE + poseidon,
            "{n} deposits: {calldata}"
        );
        let hashes = p.blobs(&blob_data(&batch));
        let blob = p.gas(BATCH_COMMITMENT_BLOB, &commit_blob_input(hashes));
        assert!(
            blob >= COMMIT_BASE + poseidon,
            "{n} deposits in blobs: {blob}"
        );
        // The same number of Poseidon permutations costs at least as much through
        // BATCH_COMMITMENT as through POSEIDON (whose input of 8 words per permutation
        // is 256 bytes).
        let through_poseidon = p.gas(POSEIDON, &poseidon_input(8 * permutations as usize - 2));
        assert!(
            calldata + POSEIDON_BASE >= through_poseidon,
            "{n}: {calldata} vs {through_poseidon}"
        );
    }
}

/// Verifying a proof costs the constant whatever its bytes, so neither verifier can be
/// called for less than the largest circuit's verification.
#[test]
fn verifiers_charge_the_constant_for_any_proof() {
    let p = Precompiles::new();
    for input in [
        Vec::new(),
        vec![0u8; 31],
        (B256::ZERO, Bytes::new()).abi_encode_params(),
    ] {
        assert!(p.gas(ZK_VERIFIER, &input) >= VERIFY_BASE);
        assert!(p.gas(ZK_BLOB_VERIFIER, &input) >= VERIFY_BASE);
    }
}

/// The schedule is read from any bytes without panicking: garbage, truncated ABI, huge
/// claimed lengths, unknown blobs.
#[test]
fn gas_never_panics() {
    let p = Precompiles::new();
    let mut huge_claim = vec![0u8; 64];
    huge_claim[31] = 0x20;
    huge_claim[32..].fill(0xff);
    let inputs: Vec<Vec<u8>> = vec![
        Vec::new(),
        vec![0xff; 1],
        vec![0xff; 95],
        vec![0xff; 97],
        huge_claim,
        commit_blob_input(vec![B256::repeat_byte(0xee); 5]),
        (0..2_000u32).map(|i| (i * 7919 % 251) as u8).collect(),
    ];
    for address in [
        ZK_VERIFIER,
        ZK_BLOB_VERIFIER,
        POSEIDON,
        BATCH_COMMITMENT,
        BATCH_COMMITMENT_BLOB,
    ] {
        for input in &inputs {
            let gas = p.gas(address, input);
            assert!(gas > 0, "{address}: {gas}");
        }
    }
}
