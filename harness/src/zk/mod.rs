//! Validity proofs: the plonky2 batch circuit ([`batch`]), the recursive aggregation
//! circuit ([`aggregate`]), the public inputs and accumulators they expose ([`public`]),
//! the process-wide circuit cache and the [`Prover`] that actors call, and the L1
//! precompiles that verify proofs on chain ([`precompile`]).

pub mod aggregate;
pub mod batch;
pub mod gadgets;
pub mod precompile;
pub mod public;
pub mod shape;
pub mod wots;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use alloy_primitives::{keccak256, Bytes, B256};
use plonky2::field::types::PrimeField64;
use plonky2::plonk::circuit_data::CircuitData;
use plonky2::plonk::circuit_data::VerifierCircuitData;
use plonky2::plonk::config::PoseidonGoldilocksConfig;
use plonky2::plonk::proof::ProofWithPublicInputs;
use plonky2::util::serialization::DefaultGateSerializer;
use serde::{Deserialize, Serialize};

use crate::l2::smt::{Digest, F};
use crate::l2::state::{state_root, BatchOutcome};

pub use aggregate::AggregationCircuit;
pub use batch::BatchCircuit;
pub use public::{
    b256_to_digest, batch_commitment, commitment_over, digest_to_b256, proof_binding,
    withdrawal_commitment, PublicInputs,
};
pub use shape::ShapeFacts;

/// Extension degree of the proofs.
pub const D: usize = 2;
/// plonky2 configuration: Poseidon over Goldilocks.
pub type C = PoseidonGoldilocksConfig;

/// Batch circuit shapes (slots per batch); a batch is proven in the smallest that fits.
pub const SHAPES: [usize; 3] = [4, 16, 64];

/// Rows one transaction slot of the batch circuit takes (a test checks it against the
/// built circuit).
pub const ROWS_PER_SLOT: usize = 467;

/// Rows of the batch circuit outside its slots: the fee account's leaf and the roots
/// (52 gates), and what plonky2 adds when it builds the circuit, mostly constant gates
/// for the 204 chain-position constants of the signature check (between 112 and 128
/// rows: at 471 rows per slot the 4-slot shape no longer fit 2,048 rows, at 467 it
/// does). A test checks the shapes' row counts against the built circuits.
pub const FIXED_ROWS: usize = 176;

/// Rows of the batch circuit with `slots` slots, without building it: what a prover's
/// simulated latency is computed from.
pub fn batch_rows(slots: usize) -> usize {
    (slots * ROWS_PER_SLOT + FIXED_ROWS).next_power_of_two()
}

/// The smallest shape that holds `txs` transactions.
pub fn shape_for(txs: usize) -> Option<usize> {
    SHAPES.iter().copied().find(|&s| s >= txs)
}

/// Whether proofs are real.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ProofMode {
    /// Real plonky2 proofs.
    #[default]
    Real,
    /// No proving: a marked dev proof carrying the public inputs, accepted only by a
    /// verifier started in dev mode.
    Dev,
}

/// What a proof proves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProofKind {
    /// One batch.
    Batch {
        /// Tree depth.
        depth: usize,
        /// Slots of the circuit.
        slots: usize,
    },
    /// Two proofs of the level below.
    Aggregate {
        /// 1 for two batch proofs.
        level: u32,
    },
}

/// Errors of proving.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ZkError {
    /// No shape holds the batch.
    #[error("a batch of {0} transactions is longer than the largest circuit ({max})", max = SHAPES[SHAPES.len() - 1])]
    TooLong(usize),
    /// The prover failed (the witness does not satisfy the circuit).
    #[error("proving failed: {0}")]
    Prove(String),
    /// Two proofs cannot be aggregated.
    #[error("cannot aggregate: {0}")]
    Aggregate(String),
    /// The circuit's public inputs differ from the native execution's.
    #[error("circuit and native executor disagree on {0}")]
    Disagree(&'static str),
}

/// A proof, with what it states.
#[derive(Clone, Debug)]
pub struct Proof {
    /// Real or dev.
    pub mode: ProofMode,
    /// What it proves.
    pub kind: ProofKind,
    /// Its public inputs.
    pub public: PublicInputs,
    /// The verifier key (circuit digest) the L1 checks it against.
    pub verifier_key: B256,
    /// The bytes posted to L1 in calldata: plonky2's compressed form (its length varies
    /// from proof to proof).
    pub bytes: Bytes,
    /// The plain (uncompressed) form, whose length is fixed per circuit: what goes into
    /// blobs, so that the L1 gas of posting a proof does not depend on its bytes.
    pub fixed_bytes: Bytes,
    /// Wall-clock proving time (benchmarks only; never in a report).
    pub wall: Duration,
    inner: Option<Arc<ProofWithPublicInputs<F, C, D>>>,
}

impl Proof {
    /// The same proof claiming other public inputs. Only a dev proof can be relabelled
    /// (it is nothing but its public inputs); for a real proof this is `None`. This is
    /// what a forging prover does, and why dev proofs pass only a dev-mode verifier.
    pub fn relabelled(&self, public: PublicInputs) -> Option<Proof> {
        (self.mode == ProofMode::Dev).then(|| Proof {
            public,
            bytes: dev_bytes(&public, self.bytes.len()),
            fixed_bytes: dev_bytes(&public, self.fixed_bytes.len()),
            ..self.clone()
        })
    }

    /// The proof as blobs: `[length u32 big-endian][plain proof bytes]`, cut into blobs
    /// of [`BLOB_DATA_BYTES`](crate::l1::tx::BLOB_DATA_BYTES). The count is fixed per
    /// circuit.
    pub fn blobs(&self) -> Vec<Bytes> {
        let mut data = (self.fixed_bytes.len() as u32).to_be_bytes().to_vec();
        data.extend_from_slice(&self.fixed_bytes);
        data.chunks(crate::l1::tx::BLOB_DATA_BYTES)
            .map(Bytes::copy_from_slice)
            .collect()
    }
}

/// Prefix of a dev proof.
pub const DEV_PROOF_MAGIC: &[u8; 16] = b"zkarena/devproof";

/// A circuit's verifier key: its plonky2 circuit digest as 32 bytes.
pub fn verifier_key(vd: &VerifierCircuitData<F, C, D>) -> B256 {
    digest_to_b256(&vd.verifier_only.circuit_digest)
}

/// Serialized verifier data (what is registered with the L1 verifier).
pub fn serialize_verifier(vd: &VerifierCircuitData<F, C, D>) -> Vec<u8> {
    vd.to_bytes(&DefaultGateSerializer)
        .expect("verifier data of a built circuit serializes")
}

/// Circuits built in this process, by shape: building one takes seconds, so it happens
/// once.
#[derive(Default)]
pub struct CircuitCache {
    batch: Mutex<BTreeMap<(usize, usize), Arc<BatchCircuit>>>,
    aggregation: Mutex<BTreeMap<B256, Arc<AggregationCircuit>>>,
}

impl CircuitCache {
    /// The process-wide cache.
    pub fn global() -> &'static CircuitCache {
        static CACHE: OnceLock<CircuitCache> = OnceLock::new();
        CACHE.get_or_init(CircuitCache::default)
    }

    /// The batch circuit of `depth` and `slots`.
    pub fn batch(&self, depth: usize, slots: usize) -> Arc<BatchCircuit> {
        let mut map = self.batch.lock().unwrap_or_else(|e| e.into_inner());
        map.entry((depth, slots))
            .or_insert_with(|| {
                tracing::debug!(depth, slots, "building batch circuit");
                Arc::new(BatchCircuit::build(depth, slots))
            })
            .clone()
    }

    /// The aggregation circuit over the child circuit `child`.
    pub fn aggregation(&self, child: &VerifierCircuitData<F, C, D>) -> Arc<AggregationCircuit> {
        let key = verifier_key(child);
        let mut map = self.aggregation.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(key)
            .or_insert_with(|| Arc::new(AggregationCircuit::build(child)))
            .clone()
    }
}

/// The public inputs a batch proof must expose, computed natively from the outcome.
pub fn expected_public_inputs(
    outcome: &BatchOutcome,
    batch_in: Digest,
    withdrawals_in: Digest,
    binding: Digest,
) -> PublicInputs {
    let t = &outcome.trace;
    let h = commitment_over(
        batch_in,
        t.header,
        t.slots.iter().map(|s| (s.words, s.signature.elements())),
    );
    PublicInputs {
        old_root: digest_to_b256(&state_root(
            t.accounts_root_before,
            t.reserves_before,
            t.deposits_before,
        )),
        new_root: digest_to_b256(&outcome.new_root),
        batch_in: digest_to_b256(&batch_in),
        batch_out: digest_to_b256(&h),
        withdrawals_in: digest_to_b256(&withdrawals_in),
        withdrawals_out: digest_to_b256(&withdrawal_commitment(
            withdrawals_in,
            &outcome.withdrawals,
        )),
        binding: digest_to_b256(&binding),
        sequencer: Some(t.header[0]),
    }
}

/// The bytes posted to L1: plonky2's compressed proof form (Merkle paths deduplicated),
/// about 10% smaller than the plain one (103 KB against 116 KB for a 4-slot batch).
fn wire_bytes(
    data: &CircuitData<F, C, D>,
    proof: &ProofWithPublicInputs<F, C, D>,
) -> Result<Bytes, ZkError> {
    let compressed = data
        .compress(proof.clone())
        .map_err(|e| ZkError::Prove(format!("compressing the proof: {e}")))?;
    Ok(compressed.to_bytes().into())
}

fn to_fields(pis: &[F]) -> Vec<u64> {
    pis.iter().map(|f| f.to_canonical_u64()).collect()
}

/// A real proof's [`Proof`], after checking its public inputs against the native ones.
fn finish(
    mode: ProofMode,
    kind: ProofKind,
    public: PublicInputs,
    data: &CircuitData<F, C, D>,
    proof: ProofWithPublicInputs<F, C, D>,
    start: Instant,
) -> Result<Proof, ZkError> {
    let wall = start.elapsed();
    let got = PublicInputs::from_fields(&to_fields(&proof.public_inputs))
        .ok_or(ZkError::Disagree("the number of public inputs"))?;
    check_agree(&got, &public)?;
    Ok(Proof {
        mode,
        kind,
        public,
        verifier_key: verifier_key(&data.verifier_data()),
        bytes: wire_bytes(data, &proof)?,
        fixed_bytes: proof.to_bytes().into(),
        wall,
        inner: Some(Arc::new(proof)),
    })
}

/// A dev proof of a circuit with `facts`: its public inputs behind a marker, under the
/// real proofs' key and as long as they are (plain: exactly; compressed: typically).
fn dev_proof(kind: ProofKind, public: PublicInputs, facts: ShapeFacts, start: Instant) -> Proof {
    Proof {
        mode: ProofMode::Dev,
        kind,
        public,
        verifier_key: facts.verifier_key,
        bytes: dev_bytes(&public, facts.calldata_len),
        fixed_bytes: dev_bytes(&public, facts.plain_len),
        wall: start.elapsed(),
        inner: None,
    }
}

/// A dev proof's bytes: [`DEV_PROOF_MAGIC`], the count of public inputs (u64
/// big-endian), each input (u64 big-endian), then filler up to `len` (the real proof's
/// length): a xoshiro stream seeded by the keccak of the inputs, so that its bytes are
/// as rarely zero as a real proof's field elements and calldata costs the same per byte
/// (a keccak stream cost as much as the rest of a dev run).
fn dev_bytes(public: &PublicInputs, len: usize) -> Bytes {
    let fields = public.to_fields();
    let mut out = Vec::with_capacity(len.max(24 + 8 * fields.len()));
    out.extend_from_slice(DEV_PROOF_MAGIC);
    out.extend_from_slice(&(fields.len() as u64).to_be_bytes());
    for f in &fields {
        out.extend_from_slice(&f.to_be_bytes());
    }
    let digest = keccak256(&out);
    let seed = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
    let mut filler = crate::sim::SimRng::stream(seed, "dev-proof-filler");
    while out.len() < len {
        let take = (len - out.len()).min(8);
        out.extend_from_slice(&filler.next_u64().to_le_bytes()[..take]);
    }
    out.into()
}

/// Proves batches and aggregates proofs, in one mode, with the process's circuit cache.
#[derive(Clone, Copy, Debug, Default)]
pub struct Prover {
    /// Real or dev.
    pub mode: ProofMode,
}

impl Prover {
    /// A prover in `mode`.
    pub fn new(mode: ProofMode) -> Self {
        Self { mode }
    }

    /// The verifier key of the batch circuit of this shape (the same in both modes;
    /// building the circuit if real).
    pub fn batch_key(&self, depth: usize, slots: usize) -> B256 {
        match self.mode {
            ProofMode::Real => verifier_key(
                &CircuitCache::global()
                    .batch(depth, slots)
                    .data()
                    .verifier_data(),
            ),
            ProofMode::Dev => shape::batch_facts(depth, slots).verifier_key,
        }
    }

    /// Proves the batch that produced `outcome`, continuing the accumulators, bound to
    /// `binding` ([`proof_binding`] of the rollup and the prover who will submit it).
    pub fn prove_batch(
        &self,
        depth: usize,
        outcome: &BatchOutcome,
        batch_in: Digest,
        withdrawals_in: Digest,
        binding: Digest,
    ) -> Result<Proof, ZkError> {
        let txs = outcome.trace.slots.len();
        let slots = shape_for(txs).ok_or(ZkError::TooLong(txs))?;
        let public = expected_public_inputs(outcome, batch_in, withdrawals_in, binding);
        let kind = ProofKind::Batch { depth, slots };
        let start = Instant::now();
        match self.mode {
            ProofMode::Dev => Ok(dev_proof(
                kind,
                public,
                shape::batch_facts(depth, slots),
                start,
            )),
            ProofMode::Real => {
                let circuit = CircuitCache::global().batch(depth, slots);
                let proof = circuit
                    .prove(&outcome.trace, batch_in, withdrawals_in, binding)
                    .map_err(|e| ZkError::Prove(format!("{e:#}")))?;
                finish(self.mode, kind, public, circuit.data(), proof, start)
            }
        }
    }

    /// Aggregates `left` then `right` (two proofs of the same circuit whose ranges join).
    pub fn aggregate(&self, left: &Proof, right: &Proof) -> Result<Proof, ZkError> {
        if left.verifier_key != right.verifier_key || left.mode != right.mode {
            return Err(ZkError::Aggregate(
                "the two proofs come from different circuits".into(),
            ));
        }
        let (l, r) = (&left.public, &right.public);
        for (what, a, b) in [
            ("state root", l.new_root, r.old_root),
            ("batch accumulator", l.batch_out, r.batch_in),
            (
                "withdrawal accumulator",
                l.withdrawals_out,
                r.withdrawals_in,
            ),
        ] {
            if a != b {
                return Err(ZkError::Aggregate(format!(
                    "the left proof's final {what} is not the right proof's starting one"
                )));
            }
        }
        if l.binding != r.binding {
            return Err(ZkError::Aggregate(
                "the two proofs are bound to different provers or rollups".into(),
            ));
        }
        let level = match left.kind {
            ProofKind::Batch { .. } => 1,
            ProofKind::Aggregate { level } => level + 1,
        };
        let public = PublicInputs {
            old_root: l.old_root,
            new_root: r.new_root,
            batch_in: l.batch_in,
            batch_out: r.batch_out,
            withdrawals_in: l.withdrawals_in,
            withdrawals_out: r.withdrawals_out,
            binding: l.binding,
            sequencer: None,
        };
        let start = Instant::now();
        let kind = ProofKind::Aggregate { level };
        match self.mode {
            ProofMode::Dev => {
                let child = child_verifier(&left.kind, &left.verifier_key)
                    .ok_or_else(|| ZkError::Aggregate("unknown child circuit".into()))?;
                let facts = ShapeFacts::of(CircuitCache::global().aggregation(&child).data());
                Ok(dev_proof(kind, public, facts, start))
            }
            ProofMode::Real => {
                let (Some(lp), Some(rp)) = (&left.inner, &right.inner) else {
                    return Err(ZkError::Aggregate(
                        "dev proofs cannot be aggregated for real".into(),
                    ));
                };
                let child = child_verifier(&left.kind, &left.verifier_key)
                    .ok_or_else(|| ZkError::Aggregate("unknown child circuit".into()))?;
                let circuit = CircuitCache::global().aggregation(&child);
                let proof = circuit
                    .prove(lp, rp)
                    .map_err(|e| ZkError::Aggregate(format!("{e:#}")))?;
                finish(self.mode, kind, public, circuit.data(), proof, start)
            }
        }
    }
}

/// The verifier data of the circuit that produced a proof of `kind` with `key`.
fn child_verifier(kind: &ProofKind, key: &B256) -> Option<VerifierCircuitData<F, C, D>> {
    let cache = CircuitCache::global();
    match *kind {
        ProofKind::Batch { depth, slots } => Some(cache.batch(depth, slots).data().verifier_data()),
        ProofKind::Aggregate { .. } => {
            let map = cache.aggregation.lock().unwrap_or_else(|e| e.into_inner());
            map.values()
                .map(|c| c.data().verifier_data())
                .find(|vd| verifier_key(vd) == *key)
        }
    }
}

fn check_agree(got: &PublicInputs, want: &PublicInputs) -> Result<(), ZkError> {
    for (what, a, b) in [
        ("the old root", got.old_root, want.old_root),
        ("the new root", got.new_root, want.new_root),
        ("the batch accumulator", got.batch_out, want.batch_out),
        (
            "the withdrawal accumulator",
            got.withdrawals_out,
            want.withdrawals_out,
        ),
        ("the binding", got.binding, want.binding),
    ] {
        if a != b {
            return Err(ZkError::Disagree(what));
        }
    }
    Ok(())
}
