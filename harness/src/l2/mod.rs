//! The L2 rollup state. Today: the Poseidon sparse Merkle tree over Goldilocks that
//! holds the accounts. Transactions, the batch codec and the native executor join it
//! with the rollup-core issue.

pub mod smt;

pub use smt::{Digest, MerkleProof, SmtError, SparseMerkleTree, F};
