//! The L1 precompiles the rollup contracts call, at fixed addresses:
//!
//! | address | name | input (ABI, no selector) | output | gas |
//! |---|---|---|---|---|
//! | `0x…0a00` | `ZK_VERIFIER` | `(bytes32 key, bytes proof)` | `uint64[] publicInputs` | 1 000 000 + 8 per input byte |
//! | `0x…0a01` | `POSEIDON` | `uint64[] words` | `bytes32 digest` | 60 + 300 per permutation (8 input words) |
//! | `0x…0a02` | `BATCH_COMMITMENT` | `(bytes32 prev, bytes batch, address token, uint64 firstDeposit, bytes32 depositHash)` | `(bytes32 acc, uint64 sequencer, uint64 l1Block, uint64 txCount, uint64 depositCount, bytes32 depositHashAfter)` | 3 000 + 4 per input byte + 300 per permutation (1 + 20 per transaction the header claims, at most one per 41 bytes) |
//! | `0x…0a04` | `BATCH_COMMITMENT_BLOB` | `(bytes32 prev, bytes32[] versionedHashes, address token, uint64 firstDeposit, bytes32 depositHash)` | as `BATCH_COMMITMENT` | as `BATCH_COMMITMENT` over the blob data + 5 000 per blob |
//! | `0x…0a03` | `ZK_BLOB_VERIFIER` | `(bytes32 key, bytes32[] versionedHashes)` | `uint64[] publicInputs` | 1 000 000 + 50 000 per blob |
//!
//! Prices follow CPU time (`benches/precompiles.rs`): each precompile charges at least
//! `ecrecover`'s gas per microsecond on its worst-case input, with a margin. A proof's
//! verification costs about the same for every proof of a circuit (the constant covers
//! the largest circuit, the 64-slot batch and aggregations); decompressing a calldata
//! proof grows with its bytes. A permutation is one Poseidon permutation (8 words
//! absorbed); a batch needs one for its header and 20 per transaction (its words and
//! its signature's 136 elements): at most the count its header claims (decoding stops
//! at the first missing record, and a header claiming more than 64 does not decode),
//! and at most one per 41 bytes, its shortest record (a compact deposit, which also
//! costs a keccak step).
//!
//! `ZK_VERIFIER` checks a plonky2 proof against verifier data registered (from Rust, by
//! its circuit digest) in a [`VerifierRegistry`]; dev proofs pass only when the registry
//! is in dev mode. `POSEIDON` is plonky2's Poseidon over Goldilocks (in the spirit of
//! EIP-5988). `BATCH_COMMITMENT` decodes a batch with the rollup's codec, extends the
//! batch accumulator and chains the deposits it consumes into the bridge's running hash
//! (so the contract can check them against the bridge), standing in for a Solidity
//! decoder. Every failure reverts with a
//! decoded error (declared in `contracts/ZkRollup.sol`); none burns the caller's gas.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use alloy_primitives::{Address, Bytes, B256};
use alloy_sol_types::{SolCall, SolError};
use plonky2::field::types::{Field, Field64, PrimeField64};
use plonky2::plonk::circuit_data::VerifierCircuitData;
use plonky2::plonk::proof::{CompressedProofWithPublicInputs, ProofWithPublicInputs};
use plonky2::util::serialization::DefaultGateSerializer;

use crate::l1::chain::{BlobStore, Chain, ChainError};
use crate::l1::precompile::{L1Precompile, PrecompileAnswer};
use crate::l2::codec::Batch;
use crate::l2::smt::{hash_fields, F};
use crate::l2::tx::{L2Tx, TX_WORDS};
use crate::l2::wots::SIG_ELEMS;

use super::public::{b256_to_digest, batch_commitment, digest_to_b256};
use super::{serialize_verifier, verifier_key, ShapeFacts, C, D, DEV_PROOF_MAGIC};

/// Address of the proof verifier.
pub const ZK_VERIFIER: Address = Address::new([
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a, 0x00,
]);
/// Address of the Poseidon hash.
pub const POSEIDON: Address = Address::new([
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a, 0x01,
]);
/// Address of the proof verifier reading the proof from the transaction's blobs.
pub const ZK_BLOB_VERIFIER: Address = Address::new([
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a, 0x03,
]);
/// Address of the batch commitment reading the batch from the transaction's blobs.
pub const BATCH_COMMITMENT_BLOB: Address = Address::new([
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a, 0x04,
]);
/// Address of the batch commitment.
pub const BATCH_COMMITMENT: Address = Address::new([
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a, 0x02,
]);

use crate::l1::contracts::bindings::IZkPrecompiles::*;

enum Key {
    Real(Arc<VerifierCircuitData<F, C, D>>),
    /// A dev-mode key, whose proofs are as long as the circuit's real ones: exactly in
    /// the plain form, typically in the compressed one.
    Dev(ShapeFacts),
}

/// Verifier keys the L1 accepts, shared between the chain's precompile and the Rust side
/// that registers circuits.
#[derive(Clone, Default)]
pub struct VerifierRegistry {
    inner: Arc<RwLock<Registry>>,
}

#[derive(Default)]
struct Registry {
    dev_mode: bool,
    keys: BTreeMap<B256, Key>,
}

impl VerifierRegistry {
    /// A registry; `dev_mode` lets dev proofs verify.
    pub fn new(dev_mode: bool) -> Self {
        let r = Self::default();
        r.inner.write().unwrap_or_else(|e| e.into_inner()).dev_mode = dev_mode;
        r
    }

    /// Whether dev proofs are accepted.
    pub fn dev_mode(&self) -> bool {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .dev_mode
    }

    /// Registers a circuit's verifier data, going through its serialized form (the bytes
    /// an L1 would store). Returns the key and the serialized size.
    pub fn register(&self, vd: &VerifierCircuitData<F, C, D>) -> (B256, usize) {
        let bytes = serialize_verifier(vd);
        let size = bytes.len();
        let parsed = VerifierCircuitData::from_bytes(bytes, &DefaultGateSerializer)
            .expect("verifier data round-trips");
        let key = verifier_key(&parsed);
        self.inner
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .keys
            .insert(key, Key::Real(Arc::new(parsed)));
        (key, size)
    }

    /// Registers a dev-mode key for the circuit with `facts`: its dev proofs must be as
    /// long as its real ones.
    pub fn register_dev(&self, facts: &ShapeFacts) {
        self.inner
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .keys
            .insert(facts.verifier_key, Key::Dev(*facts));
    }

    /// Verifies `proof` (plonky2's compressed form, or a dev proof) against `key` and
    /// returns its public inputs.
    pub fn verify(&self, key: B256, proof: &[u8]) -> Result<Vec<u64>, Bytes> {
        self.verify_as(key, proof, true)
    }

    /// Verifies `proof` in the plain (uncompressed) form.
    pub fn verify_plain(&self, key: B256, proof: &[u8]) -> Result<Vec<u64>, Bytes> {
        self.verify_as(key, proof, false)
    }

    fn verify_as(&self, key: B256, proof: &[u8], compressed: bool) -> Result<Vec<u64>, Bytes> {
        let reg = self.inner.read().unwrap_or_else(|e| e.into_inner());
        let Some(entry) = reg.keys.get(&key) else {
            return Err(UnknownVerifierKey { key }.abi_encode().into());
        };
        if proof.starts_with(DEV_PROOF_MAGIC.as_slice()) {
            return match entry {
                Key::Dev(facts) if reg.dev_mode => {
                    let len = if compressed {
                        facts.calldata_len
                    } else {
                        facts.plain_len
                    };
                    dev_public_inputs(proof, len)
                }
                _ => Err(DevProofRejected {}.abi_encode().into()),
            };
        }
        let Key::Real(vd) = entry else {
            return Err(MalformedProof {
                reason: "a real proof for a dev key".into(),
            }
            .abi_encode()
            .into());
        };
        let vd = vd.clone();
        drop(reg);
        let proof_len = proof.len();
        let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if compressed {
                CompressedProofWithPublicInputs::<F, C, D>::from_bytes(proof.to_vec(), &vd.common)
                    .and_then(|p| {
                        let bytes = p.to_bytes().len();
                        p.decompress(&vd.verifier_only.circuit_digest, &vd.common)
                            .map(|p| (p, bytes))
                    })
            } else {
                ProofWithPublicInputs::<F, C, D>::from_bytes(proof.to_vec(), &vd.common).map(|p| {
                    let bytes = p.to_bytes().len();
                    (p, bytes)
                })
            }
        }));
        let (proof, reencoded) = match parsed {
            Ok(Ok(p)) => p,
            Ok(Err(e)) => return Err(malformed(&format!("{e}"))),
            Err(_) => return Err(malformed("undecodable proof bytes")),
        };
        if proof.public_inputs.len() != vd.common.num_public_inputs {
            return Err(malformed(&format!(
                "{} public inputs, the circuit has {}",
                proof.public_inputs.len(),
                vd.common.num_public_inputs
            )));
        }
        if reencoded != proof_len {
            return Err(malformed("bytes after the end of the proof"));
        }
        let fields: Vec<u64> = proof
            .public_inputs
            .iter()
            .map(|f| f.to_canonical_u64())
            .collect();
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| vd.verify(proof))) {
            Ok(Ok(())) => Ok(fields),
            Ok(Err(e)) => Err(InvalidProof {
                reason: format!("{e}"),
            }
            .abi_encode()
            .into()),
            Err(_) => Err(InvalidProof {
                reason: "verifier rejected the proof's shape".into(),
            }
            .abi_encode()
            .into()),
        }
    }
}

/// The public inputs of a dev proof ([`DEV_PROOF_MAGIC`], their count, the inputs, then
/// filler), which must be `len` bytes long, as its circuit's real proofs (typically) are.
fn dev_public_inputs(proof: &[u8], len: usize) -> Result<Vec<u64>, Bytes> {
    if proof.len() != len {
        return Err(malformed(&format!(
            "a dev proof of {} bytes, the circuit's proofs have {len}",
            proof.len()
        )));
    }
    let mut words = proof[DEV_PROOF_MAGIC.len()..]
        .chunks_exact(8)
        .map(|c| u64::from_be_bytes(c.try_into().expect("8 bytes")));
    let count = words.next().unwrap_or(0);
    let inputs: Vec<u64> = words.by_ref().take(count.min(64) as usize).collect();
    if inputs.len() as u64 != count {
        return Err(malformed(
            "a dev proof's count of public inputs overruns it",
        ));
    }
    Ok(inputs)
}

fn malformed(reason: &str) -> Bytes {
    MalformedProof {
        reason: reason.into(),
    }
    .abi_encode()
    .into()
}

fn bad_input(reason: String) -> PrecompileAnswer {
    PrecompileAnswer::Revert(MalformedInput { reason }.abi_encode().into())
}

/// The proof verifier precompile.
pub struct ZkVerifier(pub VerifierRegistry);

impl L1Precompile for ZkVerifier {
    fn name(&self) -> &str {
        "ZK_VERIFIER"
    }

    fn gas(&self, input: &[u8]) -> u64 {
        1_000_000 + 8 * input.len() as u64
    }

    fn run(&self, input: &[u8]) -> PrecompileAnswer {
        let call = match verifyCall::abi_decode_raw_validate(input) {
            Ok(c) => c,
            Err(e) => return bad_input(format!("verify(bytes32,bytes): {e}")),
        };
        match self.0.verify(call.key, &call.proof) {
            Ok(pis) => PrecompileAnswer::Return(verifyCall::abi_encode_returns(&pis).into()),
            Err(revert) => PrecompileAnswer::Revert(revert),
        }
    }
}

fn permutations(words: usize) -> u64 {
    words.div_ceil(8).max(1) as u64
}

/// Permutations the commitment makes per transaction: its accumulator, 18 words and
/// 136 signature elements (zeros for a deposit), eight per permutation.
const PERMUTATIONS_PER_TX: u64 = (4 + TX_WORDS + SIG_ELEMS).div_ceil(8) as u64;
/// Bytes of the shortest record the decoder accepts: a compact deposit (kind, one-byte
/// index, account and amount varints, asset, 20-byte owner, 16-byte key).
const SHORTEST_RECORD_BYTES: u64 = 41;

/// BATCH_COMMITMENT's gas over `batch` data: 3 000, 4 per byte (decoding, a deposit's
/// keccak step) and 300 per permutation the decoder can make: one for the header and
/// [`PERMUTATIONS_PER_TX`] per transaction, for at most as many transactions as the
/// header claims (the decoder stops at the first record that is not there) and as
/// [`SHORTEST_RECORD_BYTES`]-byte records fit.
/// `bytes` is the whole input (or blob data) the precompile reads, `batch` where the
/// batch's header starts (empty if it cannot be located: then decoding fails at once).
fn commitment_gas(bytes: u64, batch: &[u8]) -> u64 {
    let records = Batch::claimed_tx_count(batch)
        .unwrap_or(0)
        .min(bytes.div_ceil(SHORTEST_RECORD_BYTES));
    3_000 + 4 * bytes + 300 * (1 + PERMUTATIONS_PER_TX * records)
}

/// The Poseidon precompile.
pub struct Poseidon;

impl L1Precompile for Poseidon {
    fn name(&self) -> &str {
        "POSEIDON"
    }

    fn gas(&self, input: &[u8]) -> u64 {
        60 + 300 * permutations(input.len() / 32)
    }

    fn run(&self, input: &[u8]) -> PrecompileAnswer {
        let call = match poseidonCall::abi_decode_raw_validate(input) {
            Ok(c) => c,
            Err(e) => return bad_input(format!("poseidon(uint64[]): {e}")),
        };
        let mut fields = Vec::with_capacity(call.words.len());
        for (i, &w) in call.words.iter().enumerate() {
            if w >= F::ORDER {
                return PrecompileAnswer::Revert(
                    NonCanonicalElement {
                        index: alloy_primitives::U256::from(i),
                    }
                    .abi_encode()
                    .into(),
                );
            }
            fields.push(F::from_canonical_u64(w));
        }
        let digest = digest_to_b256(&hash_fields(&fields));
        PrecompileAnswer::Return(poseidonCall::abi_encode_returns(&digest).into())
    }
}

/// The batch commitment precompile.
pub struct BatchCommitment;

impl L1Precompile for BatchCommitment {
    fn name(&self) -> &str {
        "BATCH_COMMITMENT"
    }

    fn gas(&self, input: &[u8]) -> u64 {
        let call = commitBatchCall::abi_decode_raw_validate(input);
        let batch = call.as_ref().map_or(&[][..], |c| &c.batch[..]);
        commitment_gas(input.len() as u64, batch)
    }

    fn run(&self, input: &[u8]) -> PrecompileAnswer {
        let call = match commitBatchCall::abi_decode_raw_validate(input) {
            Ok(c) => c,
            Err(e) => return bad_input(format!("commitBatch(bytes32,bytes): {e}")),
        };
        match commit(
            call.prev,
            &call.batch,
            call.token,
            call.firstDeposit,
            call.depositHash,
        ) {
            Ok(ret) => PrecompileAnswer::Return(commitBatchCall::abi_encode_returns(&ret).into()),
            Err(answer) => answer,
        }
    }
}

/// BATCH_COMMITMENT for a batch posted in the transaction's blobs: the contract passes
/// their versioned hashes; the data is `[length u32][batch bytes]` across the blobs.
pub struct BatchCommitmentBlobs(pub BlobStore);

impl L1Precompile for BatchCommitmentBlobs {
    fn name(&self) -> &str {
        "BATCH_COMMITMENT_BLOB"
    }

    fn gas(&self, input: &[u8]) -> u64 {
        // As BATCH_COMMITMENT over the blobs' data, plus 5 000 per blob read.
        let Ok(call) = commitBatchBlobsCall::abi_decode_raw_validate(input) else {
            return 3_000;
        };
        let blobs: Vec<_> = call
            .versionedHashes
            .iter()
            .filter_map(|h| self.0.get(h))
            .collect();
        let bytes: u64 = blobs.iter().map(|b| b.len() as u64).sum();
        // The batch starts after the 4-byte length prefix of the first blob.
        let batch = blobs.first().and_then(|b| b.get(4..)).unwrap_or(&[]);
        commitment_gas(bytes, batch) + 5_000 * call.versionedHashes.len() as u64
    }

    fn run(&self, input: &[u8]) -> PrecompileAnswer {
        let call = match commitBatchBlobsCall::abi_decode_raw_validate(input) {
            Ok(c) => c,
            Err(e) => return bad_input(format!("commitBatchBlobs(...): {e}")),
        };
        let mut data = Vec::new();
        for h in &call.versionedHashes {
            match self.0.get(h) {
                Some(b) => data.extend_from_slice(&b),
                None => {
                    return PrecompileAnswer::Revert(
                        UnknownBlob { versionedHash: *h }.abi_encode().into(),
                    )
                }
            }
        }
        let len = data
            .get(..4)
            .map(|l| u32::from_be_bytes(l.try_into().expect("4 bytes")) as usize);
        // A bad length prefix is malformed data like any other: empty bytes decode to
        // an error, which commits the no-op batch.
        let batch: &[u8] = match len.and_then(|n| data.get(4..4 + n)) {
            Some(b) => b,
            None => &[],
        };
        match commit(
            call.prev,
            batch,
            call.token,
            call.firstDeposit,
            call.depositHash,
        ) {
            Ok(ret) => {
                // The same return tuple as commitBatch.
                PrecompileAnswer::Return(commitBatchCall::abi_encode_returns(&ret).into())
            }
            Err(answer) => answer,
        }
    }
}

/// What BATCH_COMMITMENT answers for `batch_bytes`: the accumulator after it (the no-op
/// batch's if the bytes are malformed, with the reason), and its deposits chained into
/// the bridge's hash.
fn commit(
    prev_b: B256,
    batch_bytes: &[u8],
    token: Address,
    first_deposit: u64,
    deposit_hash_in: B256,
) -> Result<commitBatchReturn, PrecompileAnswer> {
    let Some(prev) = b256_to_digest(&prev_b) else {
        return Err(bad_input("prev is not a canonical digest".into()));
    };
    // Malformed bytes commit as the empty no-op batch (header 0, 0, 0), so that a
    // contract may accept them and the range stays provable; the reason says why.
    let noop = |at: usize, why: String| commitBatchReturn {
        acc: digest_to_b256(&batch_commitment(prev, &Batch::noop())),
        sequencer: 0,
        l1Block: 0,
        txCount: 0,
        depositCount: 0,
        depositHashAfter: deposit_hash_in,
        malformedAt: alloy_primitives::U256::from(at),
        malformed: why,
    };
    let ret = match Batch::sequenced(batch_bytes, first_deposit) {
        Err(e) => noop(e.offset, e.kind.to_string()),
        Ok(batch) => {
            // The deposits it consumes, in queue order from `firstDeposit`, chained
            // into the bridge's running hash for the contract to compare.
            let mut deposit_hash = deposit_hash_in;
            for tx in &batch.txs {
                if let L2Tx::Deposit(d) = tx {
                    deposit_hash = d.l1_hash_step(deposit_hash, token);
                }
            }
            commitBatchReturn {
                acc: digest_to_b256(&batch_commitment(prev, &batch)),
                sequencer: batch.sequencer,
                l1Block: batch.l1_block,
                txCount: batch.txs.len() as u64,
                depositCount: batch.deposit_count(),
                depositHashAfter: deposit_hash,
                malformedAt: alloy_primitives::U256::ZERO,
                malformed: String::new(),
            }
        }
    };
    Ok(ret)
}

/// The proof verifier reading the proof from blobs: the contract passes the versioned
/// hashes of its transaction's blobs (`blobhash(i)`), whose data is
/// `[length u32][plain proof]` cut into blobs.
pub struct ZkBlobVerifier {
    registry: VerifierRegistry,
    blobs: BlobStore,
}

impl L1Precompile for ZkBlobVerifier {
    fn name(&self) -> &str {
        "ZK_BLOB_VERIFIER"
    }

    fn gas(&self, input: &[u8]) -> u64 {
        // 1 000 000 plus 50 000 per blob read (a versioned hash is one 32-byte word).
        1_000_000 + 50_000 * (input.len().saturating_sub(96) / 32) as u64
    }

    fn run(&self, input: &[u8]) -> PrecompileAnswer {
        let call = match verifyBlobsCall::abi_decode_raw_validate(input) {
            Ok(c) => c,
            Err(e) => return bad_input(format!("verifyBlobs(bytes32,bytes32[]): {e}")),
        };
        let mut data = Vec::new();
        for h in &call.versionedHashes {
            match self.blobs.get(h) {
                Some(b) => data.extend_from_slice(&b),
                None => {
                    return PrecompileAnswer::Revert(
                        UnknownBlob { versionedHash: *h }.abi_encode().into(),
                    )
                }
            }
        }
        let Some(len) = data
            .get(..4)
            .map(|l| u32::from_be_bytes(l.try_into().expect("4 bytes")) as usize)
        else {
            return PrecompileAnswer::Revert(malformed("no length prefix in the blobs"));
        };
        let Some(proof) = data.get(4..4 + len) else {
            return PrecompileAnswer::Revert(malformed(
                "the blobs are shorter than the length prefix",
            ));
        };
        match self.registry.verify_plain(call.key, proof) {
            Ok(pis) => PrecompileAnswer::Return(verifyBlobsCall::abi_encode_returns(&pis).into()),
            Err(revert) => PrecompileAnswer::Revert(revert),
        }
    }
}

/// Registers the rollup's precompiles on `chain`, the verifiers backed by `registry`.
pub fn install(chain: &mut Chain, registry: &VerifierRegistry) -> Result<(), ChainError> {
    chain.register_precompile(ZK_VERIFIER, Arc::new(ZkVerifier(registry.clone())))?;
    chain.register_precompile(
        ZK_BLOB_VERIFIER,
        Arc::new(ZkBlobVerifier {
            registry: registry.clone(),
            blobs: chain.blob_store(),
        }),
    )?;
    chain.register_precompile(POSEIDON, Arc::new(Poseidon))?;
    chain.register_precompile(BATCH_COMMITMENT, Arc::new(BatchCommitment))?;
    chain.register_precompile(
        BATCH_COMMITMENT_BLOB,
        Arc::new(BatchCommitmentBlobs(chain.blob_store())),
    )?;
    Ok(())
}
