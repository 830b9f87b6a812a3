//! L2 transaction authorization: Winternitz one-time signatures (WOTS, w = 4) over
//! Poseidon on the Goldilocks field, the scheme the batch circuit verifies (see
//! docs/ARCHITECTURE.md, "Signatures in the circuit", for the comparison that chose it).
//!
//! An account's leaf holds the digest of its current one-time public key. A
//! transaction signs its words, which include the digest of the account's next key;
//! once the transaction is authorized (signature, nonce and chain id check out) the
//! account's nonce advances and its key becomes that next key, whether or not the
//! transaction then applies, so no one-time key ever signs two messages. Keys derive
//! from a per-owner seed, the account index and the nonce, so a signer needs no state.
//!
//! The message digest is 128 bits (two field elements, each read as its canonical
//! 64 bits), cut into 64 base-4 digits, plus 4 checksum digits: 68 hash chains of 3
//! steps. Every hash call is one Poseidon permutation, tweaked with the account, the
//! nonce and the chain position, with a domain word in the capacity; chain values and
//! key digests are two field elements (about 128 bits). Security: forging needs a
//! preimage of a 128-bit tweaked hash or a second preimage of the 128-bit message
//! digest, and the tweaks make every hash call in the system distinct (no multi-target
//! speed-up): over 100 bits classically, the FRI configuration's level.

use alloy_primitives::keccak256;
use plonky2::field::types::{Field, Field64, PrimeField64};
use serde::{Deserialize, Serialize};

use super::smt::{felt, sponge, F};

/// Winternitz parameter: each chain encodes one base-4 digit.
pub const W: usize = 4;
/// Hash steps of one chain (from the secret to the public tip).
pub const STEPS: usize = W - 1;
/// Digits of the 128-bit message digest.
pub const MSG_DIGITS: usize = 64;
/// Digits of the checksum `sum(3 - digit)`, at most 192 < 4^4.
pub const CHECKSUM_DIGITS: usize = 4;
/// Chains of one key.
pub const CHAINS: usize = MSG_DIGITS + CHECKSUM_DIGITS;
/// Field elements of one chain value, of a key digest and of a message digest.
pub const ELEMS: usize = 2;
/// Field elements of a signature.
pub const SIG_ELEMS: usize = CHAINS * ELEMS;
/// Bytes of a signature in the batch codec (each element as 8 bytes).
pub const SIG_BYTES: usize = SIG_ELEMS * 8;

/// Domain words (in the sponge's capacity) of the scheme's hash calls; the account
/// leaf uses 1 ([`super::smt::LEAF_DOMAIN`]).
pub mod domain {
    /// A chain step.
    pub const CHAIN: u64 = 0x776f_7473_0001;
    /// A one-time secret from the seed.
    pub const SECRET: u64 = 0x776f_7473_0002;
    /// The public key digest from the chain tips.
    pub const PUBLIC: u64 = 0x776f_7473_0003;
    /// The message digest from a transaction's words.
    pub const MESSAGE: u64 = 0x776f_7473_0004;
}

/// The digest of a one-time public key (what an account leaf holds): two canonical
/// field elements.
pub type KeyDigest = [u64; ELEMS];

/// A one-time signature: one chain value per chain, each two canonical field elements.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature(pub [[u64; ELEMS]; CHAINS]);

impl Default for Signature {
    fn default() -> Self {
        Self([[0; ELEMS]; CHAINS])
    }
}

impl std::fmt::Debug for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signature({:016x}..)", self.0[0][0])
    }
}

impl Signature {
    /// Its field elements in order (chain 0 first), as the batch commitment reads them.
    pub fn elements(&self) -> [u64; SIG_ELEMS] {
        let mut out = [0; SIG_ELEMS];
        for (i, v) in self.0.iter().enumerate() {
            out[ELEMS * i..ELEMS * i + ELEMS].copy_from_slice(v);
        }
        out
    }

    /// Its codec bytes: each element big-endian.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.elements()
            .iter()
            .flat_map(|e| e.to_be_bytes())
            .collect()
    }

    /// The signature of `SIG_BYTES` bytes, or the index of the first element that is
    /// not a canonical field element (at least the modulus).
    pub fn from_bytes(bytes: &[u8; SIG_BYTES]) -> Result<Self, usize> {
        let mut sig = Self::default();
        for (i, chunk) in bytes.chunks_exact(8).enumerate() {
            let e = u64::from_be_bytes(chunk.try_into().expect("8-byte chunk"));
            if e >= F::ORDER {
                return Err(i);
            }
            sig.0[i / ELEMS][i % ELEMS] = e;
        }
        Ok(sig)
    }
}

impl Serialize for Signature {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("0x{}", hex::encode(self.to_bytes())))
    }
}

impl<'de> Deserialize<'de> for Signature {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let text = String::deserialize(d)?;
        let bytes = hex::decode(text.trim_start_matches("0x")).map_err(D::Error::custom)?;
        let bytes: [u8; SIG_BYTES] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| D::Error::custom(format!("signature of {} bytes", b.len())))?;
        Self::from_bytes(&bytes)
            .map_err(|i| D::Error::custom(format!("signature element {i} is not canonical")))
    }
}

fn canon(x: [F; ELEMS]) -> [u64; ELEMS] {
    x.map(|e| e.to_canonical_u64())
}

fn felts(x: [u64; ELEMS]) -> [F; ELEMS] {
    x.map(F::from_noncanonical_u64)
}

/// The position word of step `step` of chain `chain` (a chain step's tweak).
pub fn position(chain: usize, step: usize) -> u64 {
    (chain * W + step) as u64
}

/// One chain step: `H_CHAIN(value ‖ account, nonce, position)`.
fn chain_step(value: [F; ELEMS], account: u64, nonce: u64, chain: usize, step: usize) -> [F; 2] {
    sponge(
        domain::CHAIN,
        &[
            value[0],
            value[1],
            felt(account),
            felt(nonce),
            felt(position(chain, step)),
        ],
    )
}

/// Runs chain `chain` from position `from` to the tip.
fn chain_to_tip(
    mut value: [F; ELEMS],
    account: u64,
    nonce: u64,
    chain: usize,
    from: usize,
) -> [F; 2] {
    for step in from..STEPS {
        value = chain_step(value, account, nonce, chain, step);
    }
    value
}

/// The 68 digits a message digest signs: 64 base-4 digits of its 128 bits (element 0
/// first, least significant first), then 4 digits of the checksum `sum(3 - digit)`.
pub fn digits(message: KeyDigest) -> [usize; CHAINS] {
    let bits = message[0] as u128 | (message[1] as u128) << 64;
    let mut d = [0usize; CHAINS];
    for (i, digit) in d.iter_mut().take(MSG_DIGITS).enumerate() {
        *digit = ((bits >> (2 * i)) & 3) as usize;
    }
    let checksum: usize = d[..MSG_DIGITS].iter().map(|x| STEPS - x).sum();
    for i in 0..CHECKSUM_DIGITS {
        d[MSG_DIGITS + i] = (checksum >> (2 * i)) & 3;
    }
    d
}

/// The digest a transaction's signature covers: `H_MESSAGE(words)`.
pub fn message_digest(words: &[u64]) -> KeyDigest {
    let v: Vec<F> = words.iter().map(|&w| F::from_noncanonical_u64(w)).collect();
    canon(sponge(domain::MESSAGE, &v))
}

/// The public key digest from the 68 chain tips: `H_PUBLIC(account, nonce ‖ tips)`.
fn public_digest(account: u64, nonce: u64, tips: &[[F; ELEMS]; CHAINS]) -> KeyDigest {
    let mut v = Vec::with_capacity(2 + SIG_ELEMS);
    v.extend([felt(account), felt(nonce)]);
    v.extend(tips.iter().flatten());
    canon(sponge(domain::PUBLIC, &v))
}

/// The key digest a signature verifies against for `message` (account `account`,
/// nonce `nonce`): the signature is valid iff this equals the account's key digest.
pub fn recover(sig: &Signature, message: KeyDigest, account: u64, nonce: u64) -> KeyDigest {
    let id = recovery_id(sig, message, account, nonce);
    if let Some(key) = RECOVERED.with(|c| c.borrow().get(&id).copied()) {
        return key;
    }
    let key = recover_uncached(sig, message, account, nonce);
    RECOVERED.with(|c| {
        let mut cache = c.borrow_mut();
        if cache.len() >= RECOVERED_CAPACITY {
            cache.clear();
        }
        cache.insert(id, key);
    });
    key
}

thread_local! {
    /// Recovered keys, by the keccak of what they were recovered from: every actor that
    /// follows the rollup (validators, provers, the referee) checks the same signature,
    /// and recovery is a pure function, so it is computed once per thread (the actors
    /// share one). Bounded: the cache is emptied when full. Only looked up, never
    /// iterated, so it cannot make a run depend on hash order.
    static RECOVERED: std::cell::RefCell<std::collections::HashMap<[u8; 32], KeyDigest>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// [`recover`] computed every time (what it costs: `benches/signatures.rs`).
pub fn recover_uncached(
    sig: &Signature,
    message: KeyDigest,
    account: u64,
    nonce: u64,
) -> KeyDigest {
    let d = digits(message);
    let tips: [[F; ELEMS]; CHAINS] =
        std::array::from_fn(|i| chain_to_tip(felts(sig.0[i]), account, nonce, i, d[i]));
    public_digest(account, nonce, &tips)
}

/// Most recoveries the cache holds (about 3 MB).
const RECOVERED_CAPACITY: usize = 1 << 16;

/// What identifies a recovery: keccak256 of the signature, message, account and nonce.
fn recovery_id(sig: &Signature, message: KeyDigest, account: u64, nonce: u64) -> [u8; 32] {
    let mut bytes = sig.to_bytes();
    for w in message.into_iter().chain([account, nonce]) {
        bytes.extend_from_slice(&w.to_be_bytes());
    }
    keccak256(bytes).0
}

/// An owner's signing seed: the L2 keys of all its accounts and nonces derive from it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Seed([F; 4]);

impl std::fmt::Debug for Seed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Seed(..)")
    }
}

impl Seed {
    /// The seed derived from `secret` bytes (an L1 secret key): keccak256 of a domain
    /// tag and the secret, read as four 64-bit words reduced into the field.
    pub fn derive(secret: &[u8]) -> Self {
        let h = keccak256([b"zkarena/wots-seed/v1".as_slice(), secret].concat());
        Self(std::array::from_fn(|i| {
            let w = u64::from_be_bytes(h[8 * i..8 * i + 8].try_into().expect("8 bytes"));
            F::from_noncanonical_u64(w)
        }))
    }

    fn secret(&self, account: u64, nonce: u64, chain: usize) -> [F; ELEMS] {
        let mut v = self.0.to_vec();
        v.extend([felt(account), felt(nonce), felt(chain as u64)]);
        sponge(domain::SECRET, &v)
    }

    /// The digest of the one-time key of `account` at `nonce`.
    pub fn key_digest(&self, account: u64, nonce: u64) -> KeyDigest {
        let tips: [[F; ELEMS]; CHAINS] = std::array::from_fn(|i| {
            chain_to_tip(self.secret(account, nonce, i), account, nonce, i, 0)
        });
        public_digest(account, nonce, &tips)
    }

    /// Signs `message` with the one-time key of `account` at `nonce`. Each key must sign
    /// one message only: two signatures under one key reveal enough chain values to
    /// forge others.
    pub fn sign(&self, message: KeyDigest, account: u64, nonce: u64) -> Signature {
        let d = digits(message);
        Signature(std::array::from_fn(|i| {
            let mut v = self.secret(account, nonce, i);
            for step in 0..d[i] {
                v = chain_step(v, account, nonce, i, step);
            }
            canon(v)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: u64 = 7;

    #[test]
    fn a_remembered_recovery_answers_only_for_the_same_signature_message_and_place() {
        let seed = Seed::derive(b"carol");
        let m = message_digest(&[9]);
        let sig = seed.sign(m, ACCOUNT, 1);
        let key = recover(&sig, m, ACCOUNT, 1);
        assert_eq!(key, seed.key_digest(ACCOUNT, 1));
        // The same inputs again come from the cache, and agree.
        assert_eq!(recover(&sig, m, ACCOUNT, 1), key);
        // Any other input is recovered afresh, not answered from the cache.
        let mut other = sig;
        other.0[5][0] ^= 1;
        assert_ne!(recover(&other, m, ACCOUNT, 1), key);
        assert_ne!(recover(&sig, message_digest(&[8]), ACCOUNT, 1), key);
        assert_ne!(recover(&sig, m, ACCOUNT + 1, 1), key);
        assert_ne!(recover(&sig, m, ACCOUNT, 2), key);
    }

    #[test]
    fn a_signature_recovers_its_key_and_nothing_else_does() {
        let seed = Seed::derive(b"alice");
        let key = seed.key_digest(ACCOUNT, 3);
        let m = message_digest(&[1, 2, 3]);
        let sig = seed.sign(m, ACCOUNT, 3);
        assert_eq!(recover(&sig, m, ACCOUNT, 3), key);
        // Another message, another nonce, another account, another seed, a flipped element.
        assert_ne!(recover(&sig, message_digest(&[1, 2, 4]), ACCOUNT, 3), key);
        assert_ne!(recover(&sig, m, ACCOUNT, 4), key);
        assert_ne!(recover(&sig, m, ACCOUNT + 1, 3), key);
        assert_ne!(Seed::derive(b"bob").key_digest(ACCOUNT, 3), key);
        let mut bad = sig;
        bad.0[67][1] ^= 1;
        assert_ne!(recover(&bad, m, ACCOUNT, 3), key);
    }

    #[test]
    fn the_checksum_makes_every_other_message_need_a_chain_inversion() {
        // For any two messages some digit of the second is below the first's, in the
        // message digits or in the checksum: a signature of the first never yields one of
        // the second by hashing forward.
        for (a, b) in [
            ([0u64, 0], [1u64, 0]),
            ([5, 9], [5, 8]),
            ([u64::MAX >> 1, 3], [0, 0]),
        ] {
            let (da, db) = (digits(a), digits(b));
            assert!(db.iter().zip(da).any(|(x, y)| *x < y), "{a:?} -> {b:?}");
        }
    }

    #[test]
    fn signatures_round_trip_through_bytes_and_refuse_non_canonical_elements() {
        let seed = Seed::derive(b"carol");
        let sig = seed.sign(message_digest(&[9]), 1, 0);
        let bytes: [u8; SIG_BYTES] = sig.to_bytes().try_into().unwrap();
        assert_eq!(Signature::from_bytes(&bytes), Ok(sig));
        let mut bad = bytes;
        bad[8 * 5..8 * 6].copy_from_slice(&u64::MAX.to_be_bytes());
        assert_eq!(Signature::from_bytes(&bad), Err(5));
    }
}
